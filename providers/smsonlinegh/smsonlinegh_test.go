package smsonlinegh

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const apiKey = "d5c683a1b4c3d2f278be3d4c03c23191b2f133378b12b6e197c1ad5d9b34c128"

func xmlAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/xml"}, Body: body}
}

func jsonAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

var (
	credits = providers.Credits(2432)
	ghs     = providers.Money(350, "GHS")
)

func TestBalance(t *testing.T) {
	// jsonCases run with the default response format, xmlCases with
	// response_format: xml; each format has its Accept header.
	jsonCases := []pt.Case{
		{Name: "json quantity (docs)", Handler: pt.JSON(`{
    "handshake" : {"id": 0, "label" : "HSHK_OK"},
    "data": {"balance": 2432, "model": "quantity", "currencyName": null, "currencyCode": null}
}`), Want: credits},
		{Name: "json currency with model quantity (docs sample)", Handler: pt.JSON(`{
    "handshake" : {"id": 0, "label" : "HSHK_OK"},
    "data": {"balance": 350, "model": "quantity", "currencyName": "Ghana Cedi", "currencyCode": "GHS"}
}`), Want: ghs},
		{Name: "json currency model", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":12.75,"model":"currency","currencyName":"Ghana Cedi","currencyCode":"GHS"}}`),
			Want: providers.Money(12.75, "GHS")},
		{Name: "json currency model without code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":1.5,"model":"currency","currencyName":null,"currencyCode":null}}`),
			Want: providers.Money(1.5, "XOF")},
		{Name: "json 200 handshake 1203 (revoked key)", Handler: pt.JSON(`{"handshake":{"id":1203,"label":"HSHK_ERR_UA_AUTH"},"data":null}`),
			WantReason: providers.ReasonAuth, WantErr: "handshake 1203 (HSHK_ERR_UA_AUTH), HTTP 200"},
		{Name: "json 401 handshake 1203", Handler: jsonAnswer(401, `{"handshake":{"id":1203,"label":"HSHK_ERR_UA_AUTH"},"data":null}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "json 1204 no API access", Handler: pt.JSON(`{"handshake":{"id":1204,"label":"HSHK_ERR_UA_API_NO_ACCESS"},"data":null}`), WantReason: providers.ReasonAuth},
		{Name: "json 1205 no password", Handler: pt.JSON(`{"handshake":{"id":1205,"label":"HSHK_ERR_UA_API_NO_PPASS"},"data":null}`), WantReason: providers.ReasonAuth},
		{Name: "json 1405 access denied", Handler: pt.JSON(`{"handshake":{"id":1405,"label":"HSHK_ERR_ACCESS_DENIED"},"data":null}`), WantReason: providers.ReasonAuth},
		{Name: "json 1408 account inactive", Handler: pt.JSON(`{"handshake":{"id":1408,"label":"HSHK_ERR_ACCT_INACTIVE"},"data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "handshake 1408"},
		{Name: "500 handshake 1403 internal", Handler: jsonAnswer(500, `{"handshake":{"id":1403,"label":"HSHK_ERR_INTERNAL"},"data":null}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "1403"},
		{Name: "401 without body", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth},
		{Name: "no handshake", Handler: pt.JSON(`{"data":{"balance":1,"model":"quantity"}}`), WantReason: providers.ReasonBadResponse, WantErr: "handshake"},
		{Name: "ok handshake without data", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":null}`), WantReason: providers.ReasonBadResponse, WantErr: "data.balance"},
		{Name: "unknown model", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":1,"model":"points","currencyCode":null}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "points"},
		{Name: "lower-case currency code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":2,"model":"currency","currencyCode":"ghs"}}`),
			Want: providers.Money(2, "GHS")},
		{Name: "junk currency code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":2,"model":"currency","currencyCode":"Ghana\ncedi"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "currencyCode"},
		{Name: "huge handshake label is bounded", Handler: pt.JSON(`{"handshake":{"id":1408,"label":"` + strings.Repeat("L", 60000) + `"},"data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "LLLL…"},
	}
	jsonCases = append(jsonCases, pt.CommonFailures()...)
	xmlCases := []pt.Case{
		{Name: "xml quantity (docs, null text)", Handler: xmlAnswer(200, `<response>
    <handshake><id>0</id><label>HSHK_OK</label></handshake>
    <data><balance>2432</balance><model>quantity</model><currencyName>null</currencyName><currencyCode>null</currencyCode></data>
</response>`), Want: credits},
		{Name: "xml quantity (empty elements)", Handler: xmlAnswer(200,
			`<response><handshake><id>0</id><label>HSHK_OK</label></handshake><data><balance>2432</balance><model>quantity</model><currencyName/><currencyCode/></data></response>`), Want: credits},
		{Name: "xml currency (docs)", Handler: xmlAnswer(200, `<response>
    <handshake><id>0</id><label>HSHK_OK</label></handshake>
    <data><balance>350</balance><model>quantity</model><currencyName>Ghana Cedi</currencyName><currencyCode>GHS</currencyCode></data>
</response>`), Want: ghs},
		{Name: "xml 200 handshake 1203", Handler: xmlAnswer(200, `<response><handshake><id>1203</id><label>HSHK_ERR_UA_AUTH</label></handshake><data/></response>`),
			WantReason: providers.ReasonAuth, WantErr: "1203"},
		{Name: "truncated xml", Handler: xmlAnswer(200, `<response><handshake><id>0</id>`), WantReason: providers.ReasonBadResponse},
		{Name: "xml bad handshake id", Handler: xmlAnswer(200, `<response><handshake><id>zero</id></handshake></response>`), WantReason: providers.ReasonBadResponse},
	}
	creds := map[string]string{"api_key": apiKey}
	want := func(accept string) pt.Request {
		return pt.Request{Method: http.MethodPost, Path: "/v5/account/balance",
			Header: map[string]string{"Authorization": "key " + apiKey, "Accept": accept}}
	}
	build := func(opts providers.Options) func(providers.Settings) providers.Provider {
		return func(s providers.Settings) providers.Provider {
			s.Options = opts
			s.Currency = "XOF"
			return New(s)
		}
	}
	pt.Run(t, jsonCases, creds, want("application/json"), build(nil))
	pt.Run(t, xmlCases, creds, want("application/xml"), build(&Options{ResponseFormat: FormatXML}))
}

func TestFake(t *testing.T) {
	pt.CheckFake(t, Spec, nil)
	pt.CheckFake(t, Spec, &Options{ResponseFormat: FormatXML})
}

func TestOptionsValidate(t *testing.T) {
	for _, c := range []struct {
		format string
		ok     bool
	}{{"json", true}, {"xml", true}, {"csv", false}, {"", false}} {
		err := (&Options{ResponseFormat: c.format}).Validate()
		if (err == nil) != c.ok || (err != nil && providers.FieldOf(err) != "response_format") {
			t.Errorf("Validate(%q) = %v", c.format, err)
		}
	}
}
