package rtisms

import (
	"net/http"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

// FuzzParse feeds arbitrary answers to the parsing of the balance call: it
// never panics, and what it accepts or refuses keeps the shared invariants.
func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"balance":"457.00"}`))
	f.Add(401, "application/json", []byte(``))
	f.Add(200, "application/xml", []byte(`<response><data><balance>1</balance></data></response>`))
	f.Add(200, "application/json", []byte(`{"balance":"NaN"}`))
	f.Add(502, "text/html", []byte(`<html>Bad Gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /api/balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parseBalance(resp, "CLP")
		pt.CheckParsed(t, status, got, err)
	})
}
