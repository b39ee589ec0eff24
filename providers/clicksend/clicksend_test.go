package clicksend

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	username = "cs-user-7a1e2b9c"
	apiKey   = "cs-key-D83F2A91-44B7"
)

// documented is the success envelope of GET /v3/account as ClickSend's docs
// show it (user details trimmed, the username among them).
const documented = `{
  "http_code": 200,
  "response_code": "SUCCESS",
  "response_msg": "Here are your data.",
  "data": {
    "user_id": 1,
    "username": "` + username + `",
    "user_email": "johndoe@awesome.com",
    "balance": "4.998000",
    "user_phone": "+61411111111",
    "user_first_name": "John",
    "user_last_name": "Doe",
    "country": "US",
    "default_country_sms": "US",
    "_currency": {
      "currency_name_short": "USD",
      "currency_prefix_d": "$",
      "currency_prefix_c": "¢",
      "currency_name_long": "US Dollars"
    }
  }
}`

// unauthorized is the 401 seen in third-party code [3rd].
const unauthorized = `{"http_code":401,"response_code":"UNAUTHORIZED","response_msg":"Invalid credentials","data":null}`

func withCurrency(cur string) string {
	return `{"http_code":200,"response_code":"SUCCESS","response_msg":"Here are your data.","data":{"username":"` + username +
		`","balance":"1.50","_currency":{"currency_name_short":` + cur + `}}}`
}

func jsonAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: cur}
	}
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON(documented), Want: money(4.998, "USD")},
		{Name: "numeric balance", Handler: pt.JSON(`{"http_code":200,"response_code":"SUCCESS","data":{"balance":12.5,"_currency":{"currency_name_short":"AUD"}}}`),
			Want: money(12.5, "AUD")},
		{Name: "zero", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"0.000000","_currency":{"currency_name_short":"GBP"}}}`), Want: money(0, "GBP")},
		{Name: "negative", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"-0.25","_currency":{"currency_name_short":"USD"}}}`), Want: money(-0.25, "USD")},
		{Name: "lower-case currency", Handler: pt.JSON(withCurrency(`"eur"`)), Want: money(1.5, "EUR")},
		{Name: "no _currency: account currency", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3"}}`), Want: money(3, "NZD")},
		{Name: "null _currency: account currency", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3","_currency":null}}`), Want: money(3, "NZD")},
		{Name: "_currency without currency_name_short: account currency", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3","_currency":{"currency_prefix_d":"$"}}}`),
			Want: money(3, "NZD")},
		{Name: "empty currency_name_short: account currency", Handler: pt.JSON(withCurrency(`""`)), Want: money(1.5, "NZD")},
		{Name: "_currency.code is not read", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3","_currency":{"code":"EUR"}}}`), Want: money(3, "NZD")},
		{Name: "third-party data.currency object", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3","currency":{"currency_name_short":"CAD"}}}`),
			Want: money(3, "CAD")},
		{Name: "_currency as a bare code", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"3","_currency":"JPY"}}`), Want: money(3, "JPY")},
		{Name: "no response_code but data", Handler: pt.JSON(`{"data":{"balance":"2.5","_currency":{"currency_name_short":"USD"}}}`), Want: money(2.5, "USD")},
		{Name: "currency US Dollar", Handler: pt.JSON(withCurrency(`"US Dollar"`)), WantReason: providers.ReasonBadResponse, WantErr: "US Dollar"},
		{Name: "currency newline", Handler: pt.JSON(withCurrency(`"US\nD"`)), WantReason: providers.ReasonBadResponse, WantErr: "currency"},
		{Name: "currency 10 KB", Handler: pt.JSON(withCurrency(`"` + strings.Repeat("D", 10<<10) + `"`)), WantReason: providers.ReasonBadResponse, WantErr: "currency"},
		{Name: "currency a number", Handler: pt.JSON(withCurrency(`840`)), WantReason: providers.ReasonBadResponse},
		{Name: "401 envelope", Handler: jsonAnswer(401, unauthorized), WantReason: providers.ReasonAuth, WantErr: "UNAUTHORIZED: Invalid credentials"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "403 envelope", Handler: jsonAnswer(403, `{"http_code":403,"response_code":"FORBIDDEN","response_msg":"Resource not allowed.","data":null}`),
			WantReason: providers.ReasonAuth, WantErr: "FORBIDDEN"},
		{Name: "200 UNAUTHORIZED envelope", Handler: pt.JSON(unauthorized), WantReason: providers.ReasonAuth, WantErr: "UNAUTHORIZED"},
		{Name: "200 other error envelope", Handler: pt.JSON(`{"http_code":400,"response_code":"BAD_REQUEST","response_msg":"Something went wrong.","data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "BAD_REQUEST"},
		{Name: "404 envelope", Handler: jsonAnswer(404, `{"http_code":404,"response_code":"NOT_FOUND","response_msg":"Resource not found.","data":null}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "data null", Handler: pt.JSON(`{"http_code":200,"response_code":"SUCCESS","data":null}`), WantReason: providers.ReasonBadResponse, WantErr: "data.balance"},
		{Name: "no balance, username redacted", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"username":"` + username + `"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: `"username\":\"<secret>\"`},
		{Name: "null balance", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":null}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"response_code":"SUCCESS","data":{"balance":"lots"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "garbage with username redacted", Handler: pt.JSON(`{"data":{"username":"` + username + `","balance":`),
			WantReason: providers.ReasonBadResponse, WantErr: "<secret>"},
		{Name: "error envelope echoing the api key", Handler: jsonAnswer(500, `{"http_code":500,"response_code":"ERROR","response_msg":"bad key `+apiKey+`"}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "<secret>"},
		{Name: "error envelope echoing the username", Handler: pt.JSON(`{"http_code":400,"response_code":"BAD_REQUEST","response_msg":"No account ` + username + `","data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "BAD_REQUEST: No account <secret>"},
		{Name: "trailing data", Handler: pt.JSON(documented + `{}`), WantReason: providers.ReasonBadResponse, WantErr: "after the JSON object"},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"username": username, "api_key": apiKey}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/v3/account", BasicAuth: username + ":" + apiKey,
		Header: map[string]string{"Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "NZD"
		return New(s)
	})
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(documented))
	f.Add(401, "application/json", []byte(unauthorized))
	f.Add(200, "application/json", []byte(unauthorized))
	f.Add(200, "application/json", []byte(withCurrency(`"US Dollar"`)))
	f.Add(200, "application/json; charset=utf-8", []byte(`{"data":{"balance":1e400}}`))
	f.Add(200, "text/html", []byte("<html>login</html>"))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /v3/account", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp, "EUR")
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
		if len(got) != 1 || got[0].Unit != providers.UnitCurrency || got[0].Currency == "" {
			t.Fatalf("parse = %+v, want one amount of money with a currency", got)
		}
	})
}
