package twilio

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
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

// TestFakeAPIKey checks that the fake knows an account by each credential
// set it was added with: the auth token, or an API key's sid and secret
// (Basic auth user api_key_sid, password api_key_secret, on the account
// sid's path), and by nothing else.
func TestFakeAPIKey(t *testing.T) {
	tokenCreds := map[string]string{"account_sid": accountSid, "auth_token": authToken}
	keyCreds := map[string]string{"account_sid": accountSid, "api_key_sid": apiKeySid, "api_key_secret": apiKeySecret}
	const otherSid = "ACother0123456789abcdef0123456789"
	const otherKey = "SKother0123456789abcdef0123456789"
	cases := []struct {
		name  string
		added []map[string]string // the credential sets the account was added with
		creds map[string]string   // the client's
		want  pt.Case
	}{
		{"auth token", []map[string]string{tokenCreds}, tokenCreds, pt.Case{Want: providers.Money(3, "USD")}},
		{"api key", []map[string]string{keyCreds}, keyCreds, pt.Case{Want: providers.Money(3, "USD")}},
		{"both sets: token", []map[string]string{tokenCreds, keyCreds}, tokenCreds, pt.Case{Want: providers.Money(3, "USD")}},
		{"both sets: key", []map[string]string{tokenCreds, keyCreds}, keyCreds, pt.Case{Want: providers.Money(3, "USD")}},
		{"key of an account added by token", []map[string]string{tokenCreds}, keyCreds,
			pt.Case{WantReason: providers.ReasonAuth, WantErr: "Twilio error 20003: Authenticate"}},
		{"token of an account added by key", []map[string]string{keyCreds}, tokenCreds,
			pt.Case{WantReason: providers.ReasonAuth, WantErr: "20003"}},
		{"wrong key secret", []map[string]string{keyCreds}, map[string]string{"account_sid": accountSid, "api_key_sid": apiKeySid, "api_key_secret": apiKeySecret + "-wrong"},
			pt.Case{WantReason: providers.ReasonAuth, WantErr: "20003"}},
		{"unknown key sid", []map[string]string{keyCreds}, map[string]string{"account_sid": accountSid, "api_key_sid": otherKey, "api_key_secret": apiKeySecret},
			pt.Case{WantReason: providers.ReasonAuth, WantErr: "20003"}},
		{"key on another account's path", []map[string]string{keyCreds}, map[string]string{"account_sid": otherSid, "api_key_sid": apiKeySid, "api_key_secret": apiKeySecret},
			pt.Case{WantReason: providers.ReasonHTTPStatus, WantErr: "Twilio error 20404"}},
		{"token on another account's path", []map[string]string{tokenCreds}, map[string]string{"account_sid": otherSid, "auth_token": authToken},
			pt.Case{WantReason: providers.ReasonAuth}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := &Fake{}
			w := &providers.Wallet{Balance: 3, Currency: "USD"}
			for _, creds := range c.added {
				f.AddAccount(creds, w)
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			pt.Check(t, New(pt.Settings(srv, c.creds)), c.want, c.creds)
		})
	}
}

// TestFakeAPIKeyBehaviours runs the real client with an API key against the
// simulator, in each behaviour that depends on the account being found.
func TestFakeAPIKeyBehaviours(t *testing.T) {
	sim := simulator.New([]providers.Spec{Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	for i, c := range []struct {
		b    providers.Behavior
		want providers.Reason
	}{
		{providers.OK, ""},
		{providers.Reject, providers.ReasonAuth},
		{providers.ServerError, providers.ReasonHTTPStatus},
		{providers.RateLimit, providers.ReasonRateLimited},
	} {
		t.Run("fake/"+string(c.b), func(t *testing.T) {
			creds := map[string]string{"account_sid": fmt.Sprintf("%s%02d", accountSid, i), "api_key_sid": fmt.Sprintf("%s%02d", apiKeySid, i), "api_key_secret": apiKeySecret}
			sim.Add(Spec.ID, creds, providers.Wallet{Balance: 42, Currency: "EUR", Behavior: c.b})
			got, err := New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, Spec.ID), Credentials: creds, Client: srv.Client()}).Balances(t.Context())
			if c.want == "" {
				if err != nil || len(got) != 1 || got[0] != providers.Money(42, "EUR") {
					t.Fatalf("Balances() = %+v, %v; want EUR 42", got, err)
				}
				return
			}
			if r := providers.Classify(err); r != c.want {
				t.Fatalf("Balances() error %v classified %s, want %s", err, r, c.want)
			}
		})
	}
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
