package d7networks

import (
	"net/http"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const token = "d7-test-token-3f9c"

var unauthorized = pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "application/json"}, Body: `{ 
    "detail": { 
    "code": "ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED",
    "message": "It looks like your requests were failed due to a missing or invalid 'Access Token'. Sign up at https://app.d7networks.com and create an authentication token in the developer section."
    } 
}`}

func TestBalance(t *testing.T) {
	eur := func(v float64) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: "EUR"}
	}
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON("{\n\"balance\": 99.9999999\n}"), Want: eur(99.9999999)},
		{Name: "string amount", Handler: pt.JSON(`{"balance":"12.50"}`), Want: eur(12.5)},
		{Name: "zero", Handler: pt.JSON(`{"balance":0}`), Want: eur(0)},
		{Name: "third-party data shape", Handler: pt.JSON(`{"data":{"balance":3.5,"sms_count":10}}`), Want: eur(3.5)},
		{Name: "documented 401", Handler: unauthorized, WantReason: providers.ReasonAuth, WantErr: "ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED"},
		{Name: "401 invalid token (SDK)", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"detail":{"code":"INVALID_API_TOKEN","message":"Invalid API token"}}`},
			WantReason: providers.ReasonAuth, WantErr: "INVALID_API_TOKEN"},
		{Name: "403", Handler: pt.Answer{Status: 403}, WantReason: providers.ReasonAuth},
		{Name: "402 insufficient credit", Handler: pt.Answer{Status: 402, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"detail":{"code":"INSUFFICIENT_CREDIT","message":"Insufficient credit"}}`},
			WantReason: providers.ReasonHTTPStatus, WantErr: "402"},
		{Name: "422 validation", Handler: pt.Answer{Status: 422, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"detail":[{"loc":["header"],"msg":"field required","type":"value_error.missing"}]}`},
			WantReason: providers.ReasonHTTPStatus, WantErr: "422"},
		{Name: "no balance", Handler: pt.JSON(`{"credit":1}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance": <number>}`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"lots"}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"token": token}
	want := pt.Request{Method: http.MethodGet, Path: "/messages/v1/balance",
		Header: map[string]string{"Authorization": "Bearer " + token, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "EUR"
		return New(s)
	})
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }
