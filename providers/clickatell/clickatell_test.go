package clickatell

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const apiKey = "ctl-Kq3vZ8pLm2Xw9Rt4Yb6N"

// documented is the 200 answer as Clickatell's docs show it.
const documented = `{"balance":1267.92865,"currency":"ZAR"}`

// invalidKey is a plausible 401 body (unverified).
const invalidKey = `{"error":{"code":1,"description":"Invalid or missing API key"}}`

func jsonAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: cur}
	}
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON(documented), Want: money(1267.92865, "ZAR")},
		{Name: "string balance", Handler: pt.JSON(`{"balance":"12.50","currency":"USD"}`), Want: money(12.5, "USD")},
		{Name: "zero", Handler: pt.JSON(`{"balance":0,"currency":"EUR"}`), Want: money(0, "EUR")},
		{Name: "negative", Handler: pt.JSON(`{"balance":-1.5,"currency":"ZAR"}`), Want: money(-1.5, "ZAR")},
		{Name: "lower-case currency", Handler: pt.JSON(`{"balance":3,"currency":"zar"}`), Want: money(3, "ZAR")},
		{Name: "no currency: account currency", Handler: pt.JSON(`{"balance":3}`), Want: money(3, "GBP")},
		{Name: "null currency: account currency", Handler: pt.JSON(`{"balance":3,"currency":null}`), Want: money(3, "GBP")},
		{Name: "empty currency: account currency", Handler: pt.JSON(`{"balance":3,"currency":""}`), Want: money(3, "GBP")},
		{Name: "null error fields beside the balance", Handler: pt.JSON(`{"balance":3,"currency":"ZAR","error":null,"errorCode":null,"errorDescription":null}`),
			Want: money(3, "ZAR")},
		{Name: "currency US Dollar", Handler: pt.JSON(`{"balance":3,"currency":"US Dollar"}`), WantReason: providers.ReasonBadResponse, WantErr: "US Dollar"},
		{Name: "currency newline", Handler: pt.JSON(`{"balance":3,"currency":"ZA\nR"}`), WantReason: providers.ReasonBadResponse, WantErr: "currency"},
		{Name: "currency 10 KB", Handler: pt.JSON(`{"balance":3,"currency":"` + strings.Repeat("R", 10<<10) + `"}`), WantReason: providers.ReasonBadResponse, WantErr: "currency"},
		{Name: "currency a number", Handler: pt.JSON(`{"balance":3,"currency":710}`), WantReason: providers.ReasonBadResponse},
		{Name: "401 JSON error object", Handler: jsonAnswer(401, invalidKey), WantReason: providers.ReasonAuth, WantErr: "error 1: Invalid or missing API key"},
		{Name: "401 flat error", Handler: jsonAnswer(401, `{"messages":[],"errorCode":1,"error":"Invalid or missing Integration API Key","errorDescription":"Invalid or missing Integration API Key"}`),
			WantReason: providers.ReasonAuth, WantErr: "error 1: Invalid or missing Integration API Key"},
		{Name: "401 string error code", Handler: jsonAnswer(401, `{"error":{"code":"001","description":"Authentication failed"}}`), WantReason: providers.ReasonAuth, WantErr: "error 1: Authentication failed"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "401 text", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Unauthorized"}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "401 text echoing the key", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Unknown key " + apiKey},
			WantReason: providers.ReasonAuth, WantErr: `"Unknown key <secret>"`},
		{Name: "200 echoing the key without a balance", Handler: pt.JSON(`{"key":"` + apiKey + `"}`), WantReason: providers.ReasonBadResponse, WantErr: `"{\"key\":\"<secret>\"}"`},
		{Name: "401 JSON echoing the key", Handler: jsonAnswer(401, `{"error":{"code":1,"description":"Invalid API key `+apiKey+`"}}`),
			WantReason: providers.ReasonAuth, WantErr: "error 1: Invalid API key <secret>"},
		{Name: "403 JSON", Handler: jsonAnswer(403, `{"error":{"code":7,"description":"IP Lockdown violation"}}`), WantReason: providers.ReasonAuth, WantErr: "IP Lockdown"},
		{Name: "200 error object auth code", Handler: pt.JSON(invalidKey), WantReason: providers.ReasonAuth, WantErr: "Invalid or missing API key"},
		{Name: "200 flat error auth code", Handler: pt.JSON(`{"errorCode":5,"error":"Invalid API key","errorDescription":null}`), WantReason: providers.ReasonAuth, WantErr: "Invalid API key"},
		{Name: "200 error other code", Handler: pt.JSON(`{"error":{"code":301,"description":"Internal error"}}`), WantReason: providers.ReasonBadResponse, WantErr: "error 301"},
		{Name: "404", Handler: jsonAnswer(404, `{"error":{"code":404,"description":"Not found"}}`), WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "no balance", Handler: pt.JSON(`{"currency":"ZAR"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance"`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null,"currency":"ZAR"}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"lots","currency":"ZAR"}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"api_key": apiKey}
	// The bare API key, no scheme.
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/public-client/balance",
		Header: map[string]string{"Authorization": apiKey, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "GBP"
		return New(s)
	})
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(documented))
	f.Add(401, "application/json", []byte(invalidKey))
	f.Add(401, "text/plain", []byte("Unauthorized"))
	f.Add(200, "application/json", []byte(`{"errorCode":"001","error":"Invalid API key","errorDescription":null}`))
	f.Add(200, "application/json", []byte(`{"balance":3,"currency":"US Dollar"}`))
	f.Add(200, "application/json", []byte(`{"balance":1e400}`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /public-client/balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp, "")
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
		if len(got) != 1 || got[0].Unit != providers.UnitCurrency {
			t.Fatalf("parse = %+v, want one amount of money", got)
		}
	})
}
