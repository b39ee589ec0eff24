package vonage

import (
	"net/http"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	apiKey    = "vonage-key-4e1d9a"
	apiSecret = "vonage-secret-b7c2f08e"
)

// legacy401 is the answer to refused credentials seen in third-party code.
const legacy401 = `{"error-code":"401","error-code-label":"authentication failed"}`

func reply(status int, ct, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": ct}, Body: body}
}

func TestBalances(t *testing.T) {
	eur := func(v float64) providers.Balance { return providers.Money(v, "EUR") }
	cases := []pt.Case{
		{Name: "documented 200", Handler: reply(200, "application/json;charset=UTF-8", `{"value":10.28,"autoReload":false}`), Want: eur(10.28)},
		{Name: "string value", Handler: pt.JSON(`{"value":"3.14150","autoReload":true}`), Want: eur(3.1415)},
		{Name: "zero", Handler: pt.JSON(`{"value":0,"autoReload":false}`), Want: eur(0)},
		{Name: "negative", Handler: pt.JSON(`{"value":-0.25}`), Want: eur(-0.25)},
		// The API names no currency: a currency field, junk or not, is not
		// read (the balance is always in euros).
		{Name: "currency field ignored", Handler: pt.JSON(`{"value":1.5,"currency":"US Dollar\n"}`), Want: eur(1.5)},
		{Name: "401 legacy body [3rd]", Handler: reply(401, "application/json", legacy401), WantReason: providers.ReasonAuth, WantErr: "401: authentication failed"},
		{Name: "401 numeric error-code", Handler: reply(401, "application/json", `{"error-code":401,"error-code-label":"authentication failed"}`), WantReason: providers.ReasonAuth, WantErr: "authentication failed"},
		{Name: "401 problem details [guess]", Handler: reply(401, "application/problem+json", `{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized","detail":"You did not provide correct credentials.","instance":"797a8f199c45014ab7b08bfe9cc1c12c"}`),
			WantReason: providers.ReasonAuth, WantErr: "Unauthorized: You did not provide correct credentials."},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "401 with an empty body"},
		{Name: "401 text", Handler: reply(401, "text/plain", "Unauthorized"), WantReason: providers.ReasonAuth, WantErr: `"Unauthorized"`},
		// Bodies echoing a credential [guess]: the error shows <secret>.
		{Name: "401 text echoing the credentials", Handler: reply(401, "text/plain", "Bad credentials "+apiKey+":"+apiSecret),
			WantReason: providers.ReasonAuth, WantErr: `"Bad credentials <secret>:<secret>"`},
		{Name: "401 label echoing the key", Handler: reply(401, "application/json", `{"error-code":"401","error-code-label":"unknown api_key `+apiKey+`"}`),
			WantReason: providers.ReasonAuth, WantErr: "(401: unknown api_key <secret>)"},
		{Name: "no value echoing the secret", Handler: pt.JSON(`{"api_secret":"` + apiSecret + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `\"api_secret\":\"<secret>\"`},
		{Name: "403", Handler: reply(403, "application/json", `{"error-code":"403","error-code-label":"forbidden"}`), WantReason: providers.ReasonAuth},
		{Name: "200 with error-code 401 [guess]", Handler: pt.JSON(legacy401), WantReason: providers.ReasonAuth, WantErr: "authentication failed"},
		{Name: "200 with error-code 429 [guess]", Handler: pt.JSON(`{"error-code":"429","error-code-label":"throttled"}`), WantReason: providers.ReasonRateLimited},
		{Name: "200 with another error-code [guess]", Handler: pt.JSON(`{"error-code":"500","error-code-label":"internal error"}`), WantReason: providers.ReasonBadResponse, WantErr: "internal error"},
		{Name: "200 with error-code 200 and value", Handler: pt.JSON(`{"error-code":"200","value":2}`), Want: eur(2)},
		{Name: "404", Handler: reply(404, "application/json", `{"error-code":"404","error-code-label":"not found"}`), WantReason: providers.ReasonHTTPStatus, WantErr: "404: not found"},
		{Name: "no value", Handler: pt.JSON(`{"autoReload":false}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"value"`},
		{Name: "null value", Handler: pt.JSON(`{"value":null}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric value", Handler: pt.JSON(`{"value":"lots"}`), WantReason: providers.ReasonBadResponse},
		{Name: "value object", Handler: pt.JSON(`{"value":{"amount":1}}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"api_key": apiKey, "api_secret": apiSecret}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/account/get-balance", BasicAuth: apiKey + ":" + apiSecret,
		Header: map[string]string{"Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "USD" // ignored: Vonage balances are in euros
		return New(s)
	})
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, []byte(`{"value":10.28,"autoReload":false}`))
	f.Add(200, []byte(`{"value":"3.14150","autoReload":true}`))
	f.Add(401, []byte(legacy401))
	f.Add(200, []byte(legacy401))
	f.Add(401, []byte(`{"type":"https://developer.nexmo.com/api-errors#unauthorized","title":"Unauthorized","detail":"You did not provide correct credentials."}`))
	f.Add(200, []byte(`{"value":`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &providers.Response{Op: "GET /account/get-balance", Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
		got, err := parse(resp)
		pt.CheckOutcome(t, got, err)
		if err != nil && got != nil {
			t.Fatalf("amounts %+v with error %v", got, err)
		}
		if err == nil && (status < 200 || status > 299) {
			t.Fatalf("HTTP %d parsed as a success: %+v", status, got)
		}
	})
}
