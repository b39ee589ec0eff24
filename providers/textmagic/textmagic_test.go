package textmagic

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	username = "acme-ops-textmagic"
	apiKey   = "tmKey9fQ2xLr7VbN1cZ0"
)

// user is a user object as GET /api/v2/user returns it; it echoes the
// username, a credential.
const user = `{"id":1482035,"username":"` + username + `","firstName":"John","lastName":"Doe","email":"john@example.com",` +
	`"status":"A","balance":208.64,"phone":"447860021130","company":"Acme",` +
	`"currency":{"id":"USD","htmlSymbol":"$"},"timezone":{"id":2,"area":"Europe","dst":1,"offset":0,"timezone":"Europe/London"},` +
	`"subaccountType":"P","emailAccepted":true,"phoneAccepted":true,"avatar":{"id":1,"href":"/avatars/1"}}`

func answer(status int, ct, body string) pt.Answer {
	h := map[string]string{}
	if ct != "" {
		h["Content-Type"] = ct
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: cur}
	}
	withCurrency := func(cur string) pt.Answer {
		return pt.JSON(`{"id":1,"balance":12.5,"currency":` + cur + `}`)
	}
	cases := []pt.Case{
		{Name: "user object", Handler: pt.JSON(user), Want: money(208.64, "USD")},
		{Name: "charset in content type", Handler: answer(200, "application/json; charset=utf-8", user), Want: money(208.64, "USD")},
		{Name: "string balance", Handler: pt.JSON(`{"balance":"208.64","currency":{"id":"USD","htmlSymbol":"$"}}`), Want: money(208.64, "USD")},
		{Name: "zero", Handler: pt.JSON(`{"balance":0,"currency":{"id":"EUR","htmlSymbol":"&euro;"}}`), Want: money(0, "EUR")},
		{Name: "negative", Handler: pt.JSON(`{"balance":-1.25,"currency":{"id":"GBP"}}`), Want: money(-1.25, "GBP")},
		{Name: "lower-case code", Handler: withCurrency(`{"id":"gbp"}`), Want: money(12.5, "GBP")},
		{Name: "currency as a bare code [guess]", Handler: withCurrency(`"EUR"`), Want: money(12.5, "EUR")},
		{Name: "no currency: configured one", Handler: pt.JSON(`{"balance":12.5}`), Want: money(12.5, "CAD")},
		{Name: "null currency", Handler: withCurrency(`null`), Want: money(12.5, "CAD")},
		{Name: "currency without id", Handler: withCurrency(`{"htmlSymbol":"$"}`), Want: money(12.5, "CAD")},
		{Name: "null currency id", Handler: withCurrency(`{"id":null}`), Want: money(12.5, "CAD")},
		{Name: "empty currency id", Handler: withCurrency(`{"id":""}`), Want: money(12.5, "CAD")},

		{Name: "currency name", Handler: withCurrency(`{"id":"US Dollar"}`), WantReason: providers.ReasonBadResponse, WantErr: `"US Dollar"`},
		{Name: "currency 10KB", Handler: withCurrency(`{"id":"` + strings.Repeat("U", 10<<10) + `"}`), WantReason: providers.ReasonBadResponse, WantErr: "…"},
		{Name: "currency with newline", Handler: withCurrency(`{"id":"US\nD"}`), WantReason: providers.ReasonBadResponse, WantErr: "currency"},
		{Name: "currency number", Handler: withCurrency(`840`), WantReason: providers.ReasonBadResponse, WantErr: "number"},
		{Name: "currency array", Handler: withCurrency(`["USD"]`), WantReason: providers.ReasonBadResponse, WantErr: "array"},
		{Name: "currency id number", Handler: withCurrency(`{"id":840}`), WantReason: providers.ReasonBadResponse},

		{Name: "no balance", Handler: pt.JSON(`{"id":1,"username":"` + username + `","currency":{"id":"USD"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: `numeric "balance", got "{\"id\":1,\"username\":\"<secret>\"`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null,"currency":{"id":"USD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"lots","currency":{"id":"USD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "balance object", Handler: pt.JSON(`{"balance":{"amount":1}}`), WantReason: providers.ReasonBadResponse},
		{Name: "array body", Handler: pt.JSON(`[]`), WantReason: providers.ReasonBadResponse},
		{Name: "two objects", Handler: pt.JSON(user + user), WantReason: providers.ReasonBadResponse, WantErr: "unexpected data"},
		// A cut-off user object is quoted with its username redacted.
		{Name: "truncated user object", Handler: pt.JSON(`{"id":1,"username":"` + username + `","balance":`),
			WantReason: providers.ReasonBadResponse, WantErr: `\"username\":\"<secret>\"`},
		{Name: "currency echoing the username", Handler: withCurrency(`{"id":"` + username + `"}`), WantReason: providers.ReasonBadResponse, WantErr: `got "<secret>"`},

		// The 401 body is unverified: each plausible shape.
		{Name: "401 JSON", Handler: answer(401, "application/json", `{"code":401,"message":"Unauthorized","errors":null}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401 (Unauthorized)"},
		{Name: "401 empty", Handler: answer(401, "", ""), WantReason: providers.ReasonAuth, WantErr: "HTTP 401 with an empty body"},
		{Name: "401 text", Handler: answer(401, "text/plain", "Unauthorized"), WantReason: providers.ReasonAuth, WantErr: `"Unauthorized"`},
		{Name: "401 html", Handler: answer(401, "text/html", "<html><body>401</body></html>"), WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		// A refusal that echoes a credential is quoted with it redacted.
		{Name: "401 text echoing the username", Handler: answer(401, "text/plain", "Unknown user "+username),
			WantReason: providers.ReasonAuth, WantErr: `HTTP 401 with body "Unknown user <secret>"`},
		{Name: "401 JSON echoing the key", Handler: answer(401, "application/json", `{"code":401,"message":"Bad key `+apiKey+`"}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401 (Bad key <secret>)"},
		{Name: "429 echoing the username", Handler: pt.Answer{Status: 429, Header: map[string]string{"Retry-After": "30"}, Body: username},
			WantReason: providers.ReasonRateLimited, WantErr: `"<secret>"`, WantRetryAfter: 30 * time.Second},
		{Name: "401 JSON without message", Handler: answer(401, "application/json", `{"code":401}`), WantReason: providers.ReasonAuth},
		{Name: "403", Handler: answer(403, "application/json", `{"code":403,"message":"Forbidden","errors":null}`), WantReason: providers.ReasonAuth, WantErr: "Forbidden"},
		{Name: "404", Handler: answer(404, "application/json", `{"code":404,"message":"Not Found","errors":null}`), WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "400", Handler: answer(400, "application/json", `{"code":400,"message":"Validation Failed","errors":{"common":["bad"]}}`), WantReason: providers.ReasonHTTPStatus, WantErr: "Validation Failed"},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"username": username, "api_key": apiKey}
	want := pt.Request{NoQuery: true, Absent: []string{"Authorization"}, Method: http.MethodGet, Path: "/api/v2/user",
		Header: map[string]string{"X-TM-Username": username, "X-TM-Key": apiKey, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "CAD"
		return New(s)
	})
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// seeds are the bodies FuzzParse starts from (also in testdata/fuzz).
var seeds = []string{
	user,
	`{"balance":"208.64","currency":"usd"}`,
	`{"balance":1,"currency":{"id":"US Dollar"}}`,
	`{"code":401,"message":"Unauthorized","errors":null}`,
	`{"balance":`,
	"<html>login</html>",
}

// FuzzParse runs each body through Balances (Settings.Do, parse and the
// redaction of its error) as a 200 and as a 401.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	creds := map[string]string{"username": username, "api_key": apiKey}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, status := range []int{200, 401} {
			acct := providers.Settings{Name: "fuzz", BaseURL: "https://textmagic.invalid", Credentials: creds,
				Client: &http.Client{Transport: pt.Canned{Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}}}
			got, err := New(acct).Balances(context.Background())
			pt.CheckOutcome(t, got, err)
			if err == nil {
				if status != 200 {
					t.Fatalf("HTTP %d parsed as %+v", status, got)
				}
				if len(got) != 1 || got[0].Unit != providers.UnitCurrency {
					t.Fatalf("Balances() = %+v, want one amount of money", got)
				}
				continue
			}
			if got != nil {
				t.Fatalf("Balances() returned %+v with error %v", got, err)
			}
			for k, v := range creds {
				if run, ok := pt.Leak(err.Error(), v); ok {
					t.Fatalf("error %q shows %q of credential %s", err, run, k)
				}
			}
		}
	})
}
