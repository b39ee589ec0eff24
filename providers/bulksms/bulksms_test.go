package bulksms

import (
	"net/http"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	username    = "bulk-user-81c4d2"
	password    = "bulk-pass-Q7w9e2R4"
	tokenID     = "5A1B2C3D4E5F6A7B-0001"
	tokenSecret = "tok-secret-9f8e7d6c5b4a"
)

// documented is the profile as the docs show it, with the username.
const documented = `{
  "id": "8D6F3A5E2B1C4D7E",
  "username": "` + username + `",
  "firstName": "Jane",
  "lastName": "Doe",
  "company": {"name": null, "taxReference": null},
  "email": "jane@example.com",
  "phoneNumber": "+27820000000",
  "credits": {"balance": 100.5, "isTransferAllowed": false, "limit": 0},
  "quota": {"size": 100, "remaining": 100}
}`

// authFailed is BulkSMS's documented problem document for bad credentials.
const authFailed = `{"type":"https://developer.bulksms.com/json/v1/errors#authentication-failed","title":"Authentication Failed","status":401,"detail":"Full authentication is required to access this resource"}`

func problemAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/problem+json"}, Body: body}
}

func credits(v float64) providers.Balance { return providers.Credits(v) }

func limit(v float64) providers.Balance {
	return providers.Balance{Kind: providers.KindCreditLimit, Value: v, Unit: providers.UnitCredits}
}

// cases are the exchanges for an account that logs in as login (a
// credential), which the profile echoes.
func cases(login string) []pt.Case {
	cs := []pt.Case{
		// limit 0 is exported (see parse): the documented answer gives two amounts.
		{Name: "documented 200", Handler: pt.JSON(documented), WantAll: []providers.Balance{credits(100.5), limit(0)}},
		{Name: "credit limit", Handler: pt.JSON(`{"credits":{"balance":250,"isTransferAllowed":true,"limit":50}}`),
			WantAll: []providers.Balance{credits(250), limit(50)}},
		{Name: "limit null", Handler: pt.JSON(`{"credits":{"balance":7.25,"isTransferAllowed":false,"limit":null}}`), Want: credits(7.25)},
		{Name: "limit absent", Handler: pt.JSON(`{"credits":{"balance":7.25}}`), Want: credits(7.25)},
		{Name: "string amounts", Handler: pt.JSON(`{"credits":{"balance":"12.5","limit":"10"}}`), WantAll: []providers.Balance{credits(12.5), limit(10)}},
		{Name: "zero balance", Handler: pt.JSON(`{"credits":{"balance":0,"limit":0}}`), WantAll: []providers.Balance{credits(0), limit(0)}},
		{Name: "negative balance", Handler: pt.JSON(`{"credits":{"balance":-3.5,"limit":20}}`), WantAll: []providers.Balance{credits(-3.5), limit(20)}},
		{Name: "problem+json content type on 200", Handler: pt.Answer{Status: 200, Header: map[string]string{"Content-Type": "application/problem+json"}, Body: `{"credits":{"balance":1}}`},
			Want: credits(1)},
		{Name: "401 problem", Handler: problemAnswer(401, authFailed), WantReason: providers.ReasonAuth, WantErr: "HTTP 401 (Authentication Failed)"},
		{Name: "401 problem as application/json", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "application/json"}, Body: authFailed},
			WantReason: providers.ReasonAuth, WantErr: "Authentication Failed"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "403 problem", Handler: problemAnswer(403, `{"type":"https://developer.bulksms.com/json/v1/errors#forbidden","title":"Forbidden","status":403,"detail":"Access is denied"}`),
			WantReason: providers.ReasonAuth, WantErr: "Forbidden"},
		{Name: "200 with auth problem", Handler: problemAnswer(200, authFailed), WantReason: providers.ReasonAuth, WantErr: "Authentication Failed"},
		{Name: "200 with other problem", Handler: pt.JSON(`{"type":"https://developer.bulksms.com/json/v1/errors#validation","title":"Bad Request","status":400}`),
			WantReason: providers.ReasonBadResponse, WantErr: "Bad Request"},
		{Name: "404 problem", Handler: problemAnswer(404, `{"type":"https://developer.bulksms.com/json/v1/errors#not-found","title":"Not Found","status":404,"detail":"No such resource"}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "no credits, login redacted", Handler: pt.JSON(`{"id":"1","username":"` + login + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `"username\":\"<secret>\"`},
		{Name: "credits null", Handler: pt.JSON(`{"credits":null}`), WantReason: providers.ReasonBadResponse, WantErr: "credits.balance"},
		{Name: "balance null", Handler: pt.JSON(`{"credits":{"balance":null,"limit":5}}`), WantReason: providers.ReasonBadResponse, WantErr: "credits.balance"},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"credits":{"balance":"lots"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric limit", Handler: pt.JSON(`{"credits":{"balance":1,"limit":"none"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "credits not an object", Handler: pt.JSON(`{"credits":12}`), WantReason: providers.ReasonBadResponse},
		{Name: "truncated profile, login redacted", Handler: pt.JSON(`{"username":"` + login + `","credits":{"balance":`),
			WantReason: providers.ReasonBadResponse, WantErr: "<secret>"},
		{Name: "401 problem echoing the login", Handler: problemAnswer(401, `{"title":"Unknown user `+login+`","status":401}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401 (Unknown user <secret>)"},
		{Name: "401 without a problem", Handler: pt.Answer{Status: 401, Body: "no access for " + login},
			WantReason: providers.ReasonAuth, WantErr: "no access for <secret>"},
	}
	return append(cs, pt.CommonFailures()...)
}

func TestBalances(t *testing.T) {
	pairs := []struct {
		name         string
		creds        map[string]string
		user, secret string
	}{
		{"username and password", map[string]string{"username": username, "password": password}, username, password},
		{"API token", map[string]string{"token_id": tokenID, "token_secret": tokenSecret}, tokenID, tokenSecret},
	}
	for _, pair := range pairs {
		t.Run(pair.name, func(t *testing.T) {
			want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/v1/profile", BasicAuth: pair.user + ":" + pair.secret,
				Header: map[string]string{"Accept": "application/json"}}
			pt.Run(t, cases(pair.user), pair.creds, want, func(s providers.Settings) providers.Provider { return New(s) })
		})
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(documented))
	f.Add(200, "application/json", []byte(`{"credits":{"balance":250,"isTransferAllowed":true,"limit":null}}`))
	f.Add(401, "application/problem+json", []byte(authFailed))
	f.Add(200, "application/problem+json", []byte(authFailed))
	f.Add(200, "application/json", []byte(`{"credits":{"balance":1e400,"limit":"x"}}`))
	f.Add(502, "text/html", []byte("<html><body>Bad Gateway</body></html>"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /v1/profile", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp)
		pt.CheckOutcome(t, got, err)
		if err != nil {
			if got != nil {
				t.Fatalf("parse returned %+v with error %v", got, err)
			}
			return
		}
		if status < 200 || status > 299 {
			t.Fatalf("HTTP %d parsed as %+v", status, got)
		}
		if len(got) > 2 || len(got) == 2 && got[1].Kind != providers.KindCreditLimit {
			t.Fatalf("parse = %+v, want the balance, at most a credit limit after it", got)
		}
		for _, b := range got {
			if b.Unit != providers.UnitCredits {
				t.Fatalf("amount %+v, want credits", b)
			}
		}
	})
}
