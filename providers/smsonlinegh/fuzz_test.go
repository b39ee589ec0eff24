package smsonlinegh

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

// FuzzParse feeds arbitrary answers to the parsing of the balance call: it
// never panics, and what it accepts or refuses keeps the shared invariants.
func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":2432,"model":"quantity"}}`))
	f.Add(401, "application/json", []byte(`<response><handshake><id>1203</id><label>HSHK_ERR_UA_AUTH</label></handshake></response>`))
	f.Add(200, "application/xml", []byte(`<response><data><balance>1</balance></data></response>`))
	f.Add(200, "application/json", []byte(`{"balance":"NaN"}`))
	f.Add(502, "text/html", []byte(`<html>Bad Gateway</html>`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "POST /v5/account/balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parseAnswer(resp, "application/json", "GHS")
		pt.CheckParsed(t, status, got, err)
	})
}

// TestErrorsAreBounded: text of any length in an answer (a handshake id, a
// Content-Type, an element name the XML decoder quotes) gives an error of at
// most providers.MaxErrorBytes.
func TestErrorsAreBounded(t *testing.T) {
	long := strings.Repeat("n", 16<<10)
	for _, tc := range []struct{ name, ctype, body string }{
		{"json handshake id", "application/json", `{"handshake":{"id":"` + long + `","label":"x"}}`},
		{"xml handshake id", "application/xml", `<response><handshake><id>` + long + `</id></handshake></response>`},
		{"content type", "application/" + long, `{}`},
		{"xml end tag mismatch", "application/xml", `<response><` + long + `></response>`},
		{"xml unknown entity", "application/xml", `<response>&` + long + `;</response>`},
		{"xml root", "application/xml", `<` + long + `/>`},
		{"json model", "application/json", `{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":1,"model":"` + long + `"}}`},
		{"json label", "application/json", `{"handshake":{"id":1408,"label":"` + long + `"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := &providers.Response{Op: "POST /v5/account/balance", Status: 200, Header: http.Header{"Content-Type": {tc.ctype}}, Body: []byte(tc.body)}
			_, err := parseAnswer(resp, "application/json", "GHS")
			if err == nil {
				t.Fatal("parsed")
			}
			if n := len(err.Error()); n > providers.MaxErrorBytes {
				t.Fatalf("error message of %d bytes (limit %d): %.200s…", n, providers.MaxErrorBytes, err)
			}
		})
	}
}
