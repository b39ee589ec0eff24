package infobip

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const apiKey = "infobip-key-003026bbc133714df1834b8638bb496e-8f4b3d9a"

// classic401 is the answer to a refused key seen in third-party code.
const classic401 = `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`

func reply(status int, ct, body string) pt.Answer {
	h := map[string]string{}
	if ct != "" {
		h["Content-Type"] = ct
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance { return providers.Money(v, cur) }
	cases := []pt.Case{
		{Name: "documented 200", Handler: reply(200, "application/json;charset=UTF-8", `{"balance":47.79,"currency":"EUR"}`), Want: money(47.79, "EUR")},
		{Name: "string amount", Handler: pt.JSON(`{"balance":"12.5000","currency":"USD"}`), Want: money(12.5, "USD")},
		{Name: "negative", Handler: pt.JSON(`{"balance":-4.2,"currency":"GBP"}`), Want: money(-4.2, "GBP")},
		{Name: "lower-case currency", Handler: pt.JSON(`{"balance":1,"currency":"hrk"}`), Want: money(1, "HRK")},
		{Name: "no currency uses the account's", Handler: pt.JSON(`{"balance":3}`), Want: money(3, "CHF")},
		{Name: "null currency uses the account's", Handler: pt.JSON(`{"balance":3,"currency":null}`), Want: money(3, "CHF")},
		{Name: "401 classic body [3rd]", Handler: reply(401, "application/json", classic401), WantReason: providers.ReasonAuth, WantErr: "UNAUTHORIZED: Invalid login details"},
		{Name: "401 policy exception [guess]", Handler: reply(401, "application/json", `{"requestError":{"policyException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}`),
			WantReason: providers.ReasonAuth, WantErr: "Invalid login details"},
		{Name: "401 newer error model [guess]", Handler: reply(401, "application/json", `{"errorCode":"E401","description":"Unauthorized access.","action":"Check your credentials.","violations":[],"resources":[]}`),
			WantReason: providers.ReasonAuth, WantErr: "E401: Unauthorized access."},
		{Name: "401 empty", Handler: reply(401, "", ""), WantReason: providers.ReasonAuth, WantErr: "401 with an empty body"},
		{Name: "401 text", Handler: reply(401, "text/plain", "Unauthorized"), WantReason: providers.ReasonAuth, WantErr: `"Unauthorized"`},
		// Bodies echoing the key [guess]: the error shows <secret>.
		{Name: "401 text echoing the key", Handler: reply(401, "text/plain", "App "+apiKey+" is not a valid key"),
			WantReason: providers.ReasonAuth, WantErr: `"App <secret> is not a valid key"`},
		{Name: "401 exception echoing the key", Handler: reply(401, "application/json", `{"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid API key `+apiKey+`"}}}`),
			WantReason: providers.ReasonAuth, WantErr: "(UNAUTHORIZED: Invalid API key <secret>)"},
		{Name: "no balance echoing the key", Handler: pt.JSON(`{"apiKey":"` + apiKey + `"}`), WantReason: providers.ReasonBadResponse, WantErr: `{\"apiKey\":\"<secret>\"}`},
		{Name: "403", Handler: reply(403, "application/json", `{"requestError":{"serviceException":{"messageId":"FORBIDDEN","text":"Forbidden"}}}`), WantReason: providers.ReasonAuth, WantErr: "FORBIDDEN"},
		{Name: "200 with UNAUTHORIZED [guess]", Handler: pt.JSON(classic401), WantReason: providers.ReasonAuth, WantErr: "Invalid login details"},
		{Name: "200 with another error [guess]", Handler: pt.JSON(`{"requestError":{"serviceException":{"messageId":"GENERAL_ERROR","text":"Something went wrong"}}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "GENERAL_ERROR"},
		{Name: "404", Handler: reply(404, "application/json", `{"requestError":{"serviceException":{"messageId":"NOT_FOUND","text":"Requested URL not found: /account/1/balance"}}}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "NOT_FOUND"},
		{Name: "no balance", Handler: pt.JSON(`{"currency":"EUR"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance"`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null,"currency":"EUR"}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"lots","currency":"EUR"}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency words", Handler: pt.JSON(`{"balance":1,"currency":"US Dollar"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency 10 KB", Handler: pt.JSON(`{"balance":1,"currency":"` + strings.Repeat("E", 10<<10) + `"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency with newline", Handler: pt.JSON(`{"balance":1,"currency":"EU\nR"}`), WantReason: providers.ReasonBadResponse, WantErr: "ISO 4217"},
		{Name: "currency not a string", Handler: pt.JSON(`{"balance":1,"currency":978}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"api_key": apiKey}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/account/1/balance",
		Header: map[string]string{"Authorization": "App " + apiKey, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "CHF"
		return New(s)
	})
}

func TestSpecBaseURLRequired(t *testing.T) {
	if !Spec.BaseURLRequired || Spec.DefaultBaseURL != "" {
		t.Fatalf("BaseURLRequired = %v, DefaultBaseURL = %q; want true and \"\"", Spec.BaseURLRequired, Spec.DefaultBaseURL)
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

func FuzzParse(f *testing.F) {
	f.Add(200, []byte(`{"balance":47.79,"currency":"EUR"}`))
	f.Add(200, []byte(`{"balance":"12.5000","currency":"usd"}`))
	f.Add(401, []byte(classic401))
	f.Add(200, []byte(classic401))
	f.Add(401, []byte(`{"errorCode":"E401","description":"Unauthorized access."}`))
	f.Add(200, []byte(`{"balance":1,"currency":"US Dollar"}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		resp := &providers.Response{Op: "GET /account/1/balance", Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: body}
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
