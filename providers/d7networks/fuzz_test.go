package d7networks

import (
	"net/http"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

// FuzzParse feeds arbitrary answers to the parsing of the balance call: it
// never panics, and what it accepts or refuses keeps the shared invariants.
func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"balance": 99.9999999}`))
	f.Add(401, "application/json", []byte(`{"detail":{"code":"ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED","message":"x"}}`))
	f.Add(200, "application/xml", []byte(`<response><data><balance>1</balance></data></response>`))
	f.Add(200, "application/json", []byte(`{"balance":"NaN"}`))
	f.Add(502, "text/html", []byte(`<html>Bad Gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /messages/v1/balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp, "EUR")
		pt.CheckParsed(t, status, got, err)
	})
}
