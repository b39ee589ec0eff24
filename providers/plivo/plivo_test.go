package plivo

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	authID    = "MAODQ5ZTK1NMQ0MTEWMZ"
	authToken = "plivo-auth-token-8d2e5f71c0a9"
)

// account is an account details answer in the documented shape; it echoes
// the auth id twice.
const account = `{
  "account_type": "standard",
  "address": "221B Baker Street",
  "api_id": "8c1f05d8-7e4c-11ee-a3f1-0242ac110003",
  "auth_id": "` + authID + `",
  "auto_recharge": false,
  "billing_mode": "prepaid",
  "cash_credits": "1.80900",
  "city": "London",
  "name": "Example Ltd",
  "resource_uri": "/v1/Account/` + authID + `/",
  "state": "",
  "timezone": "Europe/London"
}`

func reply(status int, ct, body string) pt.Answer {
	h := map[string]string{}
	if ct != "" {
		h["Content-Type"] = ct
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

func cases() []pt.Case {
	usd := func(v float64) providers.Balance { return providers.Money(v, "USD") }
	cs := []pt.Case{
		{Name: "documented 200", Handler: reply(200, "application/json", account), Want: usd(1.809)},
		{Name: "number cash_credits", Handler: pt.JSON(`{"cash_credits":12.5}`), Want: usd(12.5)},
		{Name: "zero", Handler: pt.JSON(`{"cash_credits":"0.00000"}`), Want: usd(0)},
		// The answer names no currency: a currency field, junk or not, is
		// not read (the account's `currency:` decides).
		{Name: "currency field ignored", Handler: pt.JSON(`{"cash_credits":"2","currency":"US Dollar\n"}`), Want: usd(2)},
		// The body of refused credentials is unverified: empty, text and JSON.
		{Name: "401 empty [guess]", Handler: reply(401, "", ""), WantReason: providers.ReasonAuth, WantErr: "401 with an empty body"},
		{Name: "401 text [guess]", Handler: reply(401, "text/html; charset=utf-8", "Could not verify your access level for that URL.\nYou have to login with proper credentials"),
			WantReason: providers.ReasonAuth, WantErr: "Could not verify"},
		{Name: "401 json [guess]", Handler: reply(401, "application/json", `{"api_id":"8c1f05d8-7e4c-11ee-a3f1-0242ac110003","error":"authentication failed"}`),
			WantReason: providers.ReasonAuth, WantErr: "(authentication failed)"},
		{Name: "401 json message [guess]", Handler: reply(401, "application/json", `{"message":"Unauthorized"}`), WantReason: providers.ReasonAuth, WantErr: "(Unauthorized)"},
		{Name: "403", Handler: reply(403, "application/json", `{"api_id":"x","error":"forbidden"}`), WantReason: providers.ReasonAuth},
		{Name: "404 echoing the auth id", Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			reply(404, "application/json", `{"api_id":"x","error":"resource `+r.URL.Path+` not found"}`).ServeHTTP(w, r)
		}), WantReason: providers.ReasonHTTPStatus, WantErr: "(resource /v1/Account/<secret>/ not found)"},
		{Name: "200 error body", Handler: pt.JSON(`{"api_id":"x","error":"account suspended"}`), WantReason: providers.ReasonBadResponse, WantErr: "account suspended"},
		{Name: "no cash_credits echoing the auth id", Handler: pt.JSON(`{"auth_id":"` + authID + `","resource_uri":"/v1/Account/` + authID + `/"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `{\"auth_id\":\"<secret>\",\"resource_uri\":\"/v1/Account/<secret>/\"}`},
		{Name: "null cash_credits", Handler: pt.JSON(`{"cash_credits":null}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"cash_credits"`},
		{Name: "non-numeric cash_credits", Handler: pt.JSON(`{"cash_credits":"lots"}`), WantReason: providers.ReasonBadResponse},
	}
	return append(cs, pt.CommonFailures()...)
}

func TestBalances(t *testing.T) {
	creds := map[string]string{"auth_id": authID, "auth_token": authToken}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/v1/Account/" + authID + "/", BasicAuth: authID + ":" + authToken,
		Header: map[string]string{"Accept": "application/json"}}
	pt.Run(t, cases(), creds, want, func(s providers.Settings) providers.Provider { return New(s) })
}

// TestAccountCurrency checks that the account's `currency:` replaces USD.
func TestAccountCurrency(t *testing.T) {
	srv := httptest.NewServer(reply(200, "application/json", account))
	defer srv.Close()
	creds := map[string]string{"auth_id": authID, "auth_token": authToken}
	acct := pt.Settings(srv, creds)
	acct.Currency = "INR"
	pt.Check(t, New(acct), pt.Case{Want: providers.Money(1.809, "INR")}, creds)
}

// TestPathEscape checks that an odd auth id is path-escaped and shows in no
// error, neither raw nor escaped.
func TestPathEscape(t *testing.T) {
	const id = "MA odd/id?x=1#f"
	creds := map[string]string{"auth_id": id, "auth_token": authToken}
	for _, c := range []pt.Case{
		{Name: "ok", Handler: pt.JSON(`{"cash_credits":"2"}`), Want: providers.Money(2, "USD")},
		{Name: "echo", Handler: pt.JSON(`{"auth_id":"` + id + `","resource_uri":"/v1/Account/MA%20odd%2Fid%3Fx=1%23f/"}`), WantReason: providers.ReasonBadResponse},
		{Name: "timeout", Handler: pt.Hang, WantReason: providers.ReasonTimeout},
		{Name: "404", Handler: reply(404, "text/plain", "MA%20odd%2Fid%3Fx=1%23f not found"), WantReason: providers.ReasonHTTPStatus},
	} {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if want := "/v1/Account/MA%20odd%2Fid%3Fx=1%23f/"; r.URL.EscapedPath() != want || r.URL.RawQuery != "" {
					t.Errorf("path %s?%s, want %s", r.URL.EscapedPath(), r.URL.RawQuery, want)
				}
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			pt.Check(t, New(pt.Settings(srv, creds)), c, map[string]string{"auth_id": id, "escaped": "MA%20odd%2Fid", "auth_token": authToken})
		})
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, []byte(account))
	f.Add(200, []byte(`{"cash_credits":12.5}`))
	f.Add(401, []byte(`{"api_id":"8c1f05d8","error":"authentication failed"}`))
	f.Add(401, []byte("Could not verify your access level for that URL."))
	f.Add(200, []byte(`{"api_id":"x","error":"account suspended"}`))
	f.Add(200, []byte(`{"cash_credits":`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &providers.Response{Op: "GET /v1/Account/<secret>/", Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
		got, err := parse(resp, DefaultCurrency)
		pt.CheckOutcome(t, got, err)
		if err != nil && got != nil {
			t.Fatalf("amounts %+v with error %v", got, err)
		}
		if err == nil && (status < 200 || status > 299) {
			t.Fatalf("HTTP %d parsed as a success: %+v", status, got)
		}
	})
}
