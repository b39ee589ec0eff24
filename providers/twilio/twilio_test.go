package twilio

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	accountSid   = "ACtest0123456789abcdef0123456789ab"
	authToken    = "tw-auth-token-9f8e7d6c5b4a"
	apiKeySid    = "SKtest0123456789abcdef0123456789ab"
	apiKeySecret = "tw-key-secret-1a2b3c4d5e6f"
)

const documented401 = `{"code":20003,"message":"Authenticate","more_info":"https://www.twilio.com/docs/errors/20003","status":401}`

func jsonAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Body: body}
}

// notFound answers like Twilio for an unknown resource: its message echoes
// the path, and so the account sid.
var notFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	jsonAnswer(404, `{"code":20404,"message":"The requested resource `+r.URL.EscapedPath()+` was not found","more_info":"https://www.twilio.com/docs/errors/20404","status":404}`).ServeHTTP(w, r)
})

func cases() []pt.Case {
	money := func(v float64, cur string) providers.Balance { return providers.Money(v, cur) }
	cs := []pt.Case{
		{Name: "documented 200", Handler: jsonAnswer(200, `{"currency": "USD", "balance": "0.05", "account_sid": "`+accountSid+`"}`), Want: money(0.05, "USD")},
		{Name: "negative balance", Handler: pt.JSON(`{"account_sid":"` + accountSid + `","balance":"-3.24500","currency":"USD"}`), Want: money(-3.245, "USD")},
		{Name: "number amount", Handler: pt.JSON(`{"balance":12.5,"currency":"GBP"}`), Want: money(12.5, "GBP")},
		{Name: "lower-case currency", Handler: pt.JSON(`{"balance":"1","currency":"eur"}`), Want: money(1, "EUR")},
		{Name: "no currency uses the account's", Handler: pt.JSON(`{"balance":"7.10"}`), Want: money(7.1, "EUR")},
		{Name: "null currency uses the account's", Handler: pt.JSON(`{"balance":"7.10","currency":null}`), Want: money(7.1, "EUR")},
		{Name: "documented 401", Handler: jsonAnswer(401, documented401), WantReason: providers.ReasonAuth, WantErr: "Twilio error 20003: Authenticate"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "401 with an empty body"},
		{Name: "403", Handler: jsonAnswer(403, `{"code":20003,"message":"Authenticate","status":403}`), WantReason: providers.ReasonAuth, WantErr: "20003"},
		{Name: "404 echoing the sid", Handler: notFound, WantReason: providers.ReasonHTTPStatus, WantErr: "Twilio error 20404: The requested resource /2010-04-01/Accounts/<secret>/"},
		{Name: "404 text echoing the sid", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			pt.Answer{Status: 404, Header: map[string]string{"Content-Type": "text/plain"}, Body: "no " + r.URL.Path}.ServeHTTP(w, r)
		}), WantReason: providers.ReasonHTTPStatus, WantErr: `"no /2010-04-01/Accounts/<secret>/Balance.json"`},
		{Name: "no balance echoing the sid", Handler: pt.JSON(`{"account_sid":"` + accountSid + `","currency":"USD"}`), WantReason: providers.ReasonBadResponse, WantErr: `\"account_sid\":\"<secret>\"`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null,"currency":"USD"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance"`},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"lots","currency":"USD"}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency words", Handler: pt.JSON(`{"balance":"1","currency":"US Dollar"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency 10 KB", Handler: pt.JSON(`{"balance":"1","currency":"` + strings.Repeat("U", 10<<10) + `"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency with newline", Handler: pt.JSON(`{"balance":"1","currency":"USD\nEUR"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency not a string", Handler: pt.JSON(`{"balance":"1","currency":840}`), WantReason: providers.ReasonBadResponse},
	}
	return append(cs, pt.CommonFailures()...)
}

func TestBalances(t *testing.T) {
	sets := []struct {
		name       string
		creds      map[string]string
		user, pass string
	}{
		{"auth token", map[string]string{"account_sid": accountSid, "auth_token": authToken}, accountSid, authToken},
		{"api key", map[string]string{"account_sid": accountSid, "api_key_sid": apiKeySid, "api_key_secret": apiKeySecret}, apiKeySid, apiKeySecret},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/2010-04-01/Accounts/" + accountSid + "/Balance.json",
				BasicAuth: set.user + ":" + set.pass, Header: map[string]string{"Accept": "application/json"}}
			pt.Run(t, cases(), set.creds, want, func(s providers.Settings) providers.Provider {
				s.Currency = "EUR"
				return New(s)
			})
		})
	}
}

// TestPathEscape checks that an odd account sid is path-escaped and shows in
// no error, neither raw nor escaped.
func TestPathEscape(t *testing.T) {
	const sid = "AC odd/sid?x=1#frag"
	creds := map[string]string{"account_sid": sid, "auth_token": authToken}
	for _, c := range []pt.Case{
		{Name: "ok", Handler: pt.JSON(`{"balance":"2","currency":"USD"}`), Want: providers.Money(2, "USD")},
		{Name: "404 echo", Handler: notFound, WantReason: providers.ReasonHTTPStatus},
		{Name: "timeout", Handler: pt.Hang, WantReason: providers.ReasonTimeout},
		{Name: "garbage", Handler: pt.JSON(`{"sid":"` + sid + `"`), WantReason: providers.ReasonBadResponse},
	} {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if want := "/2010-04-01/Accounts/AC%20odd%2Fsid%3Fx=1%23frag/Balance.json"; r.URL.EscapedPath() != want || r.URL.RawQuery != "" {
					t.Errorf("path %s?%s, want %s", r.URL.EscapedPath(), r.URL.RawQuery, want)
				}
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			pt.Check(t, New(pt.Settings(srv, creds)), c, map[string]string{"account_sid": sid, "escaped": "AC%20odd%2Fsid", "auth_token": authToken})
		})
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFakeAPIKey checks that the fake refuses an API key it does not know
// (it knows accounts by their auth token only).
func TestFakeAPIKey(t *testing.T) {
	f := &Fake{}
	f.AddAccount(map[string]string{"account_sid": accountSid, "auth_token": authToken}, &providers.Wallet{Balance: 3, Currency: "USD"})
	srv := httptest.NewServer(f)
	defer srv.Close()
	ok := map[string]string{"account_sid": accountSid, "auth_token": authToken}
	pt.Check(t, New(pt.Settings(srv, ok)), pt.Case{Want: providers.Money(3, "USD")}, ok)
	key := map[string]string{"account_sid": accountSid, "api_key_sid": apiKeySid, "api_key_secret": apiKeySecret}
	pt.Check(t, New(pt.Settings(srv, key)), pt.Case{WantReason: providers.ReasonAuth, WantErr: "20003"}, key)
	other := map[string]string{"account_sid": "ACother0123456789", "auth_token": authToken}
	pt.Check(t, New(pt.Settings(srv, other)), pt.Case{WantReason: providers.ReasonAuth}, other)
}

func FuzzParse(f *testing.F) {
	f.Add(200, []byte(`{"currency": "USD", "balance": "0.05", "account_sid": "AC0123"}`))
	f.Add(200, []byte(`{"balance":-1e3,"currency":"eur"}`))
	f.Add(401, []byte(documented401))
	f.Add(404, []byte(`{"code":20404,"message":"The requested resource /2010-04-01/Accounts/AC1/Balance.json was not found","status":404}`))
	f.Add(200, []byte(`{"balance":"NaN","currency":"US Dollar"}`))
	f.Add(200, []byte(`{"balance":`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &providers.Response{Op: "GET /2010-04-01/Accounts/<secret>/Balance.json", Status: status,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
		got, err := parse(resp, "")
		pt.CheckOutcome(t, got, err)
		if err != nil && got != nil {
			t.Fatalf("amounts %+v with error %v", got, err)
		}
		if err == nil && (status < 200 || status > 299) {
			t.Fatalf("HTTP %d parsed as a success: %+v", status, got)
		}
	})
}
