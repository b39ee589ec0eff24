package smsonlinegh

import (
	"net/http"
	"net/http/httptest"
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
	type tc struct {
		pt.Case
		format string
	}
	cases := []tc{
		{Case: pt.Case{Name: "json quantity (docs)", Handler: pt.JSON(`{
    "handshake" : {"id": 0, "label" : "HSHK_OK"},
    "data": {"balance": 2432, "model": "quantity", "currencyName": null, "currencyCode": null}
}`), Want: credits}},
		{Case: pt.Case{Name: "json currency with model quantity (docs sample)", Handler: pt.JSON(`{
    "handshake" : {"id": 0, "label" : "HSHK_OK"},
    "data": {"balance": 350, "model": "quantity", "currencyName": "Ghana Cedi", "currencyCode": "GHS"}
}`), Want: ghs}},
		{Case: pt.Case{Name: "json currency model", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":12.75,"model":"currency","currencyName":"Ghana Cedi","currencyCode":"GHS"}}`),
			Want: providers.Money(12.75, "GHS")}},
		{Case: pt.Case{Name: "json currency model without code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":1.5,"model":"currency","currencyName":null,"currencyCode":null}}`),
			Want: providers.Money(1.5, "XOF")}},
		{format: FormatXML, Case: pt.Case{Name: "xml quantity (docs, null text)", Handler: xmlAnswer(200, `<response>
    <handshake><id>0</id><label>HSHK_OK</label></handshake>
    <data><balance>2432</balance><model>quantity</model><currencyName>null</currencyName><currencyCode>null</currencyCode></data>
</response>`), Want: credits}},
		{format: FormatXML, Case: pt.Case{Name: "xml quantity (empty elements)", Handler: xmlAnswer(200,
			`<response><handshake><id>0</id><label>HSHK_OK</label></handshake><data><balance>2432</balance><model>quantity</model><currencyName/><currencyCode/></data></response>`), Want: credits}},
		{format: FormatXML, Case: pt.Case{Name: "xml currency (docs)", Handler: xmlAnswer(200, `<response>
    <handshake><id>0</id><label>HSHK_OK</label></handshake>
    <data><balance>350</balance><model>quantity</model><currencyName>Ghana Cedi</currencyName><currencyCode>GHS</currencyCode></data>
</response>`), Want: ghs}},
		{Case: pt.Case{Name: "json 200 handshake 1203 (revoked key)", Handler: pt.JSON(`{"handshake":{"id":1203,"label":"HSHK_ERR_UA_AUTH"},"data":null}`),
			WantReason: providers.ReasonAuth, WantErr: "handshake 1203 (HSHK_ERR_UA_AUTH), HTTP 200"}},
		{Case: pt.Case{Name: "json 401 handshake 1203", Handler: jsonAnswer(401, `{"handshake":{"id":1203,"label":"HSHK_ERR_UA_AUTH"},"data":null}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401"}},
		{Case: pt.Case{Name: "json 1204 no API access", Handler: pt.JSON(`{"handshake":{"id":1204,"label":"HSHK_ERR_UA_API_NO_ACCESS"},"data":null}`), WantReason: providers.ReasonAuth}},
		{Case: pt.Case{Name: "json 1205 no password", Handler: pt.JSON(`{"handshake":{"id":1205,"label":"HSHK_ERR_UA_API_NO_PPASS"},"data":null}`), WantReason: providers.ReasonAuth}},
		{Case: pt.Case{Name: "json 1405 access denied", Handler: pt.JSON(`{"handshake":{"id":1405,"label":"HSHK_ERR_ACCESS_DENIED"},"data":null}`), WantReason: providers.ReasonAuth}},
		{format: FormatXML, Case: pt.Case{Name: "xml 200 handshake 1203", Handler: xmlAnswer(200, `<response><handshake><id>1203</id><label>HSHK_ERR_UA_AUTH</label></handshake><data/></response>`),
			WantReason: providers.ReasonAuth, WantErr: "1203"}},
		{Case: pt.Case{Name: "json 1408 account inactive", Handler: pt.JSON(`{"handshake":{"id":1408,"label":"HSHK_ERR_ACCT_INACTIVE"},"data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "handshake 1408"}},
		{Case: pt.Case{Name: "500 handshake 1403 internal", Handler: jsonAnswer(500, `{"handshake":{"id":1403,"label":"HSHK_ERR_INTERNAL"},"data":null}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "1403"}},
		{Case: pt.Case{Name: "401 without body", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth}},
		{Case: pt.Case{Name: "no handshake", Handler: pt.JSON(`{"data":{"balance":1,"model":"quantity"}}`), WantReason: providers.ReasonBadResponse, WantErr: "handshake"}},
		{Case: pt.Case{Name: "ok handshake without data", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":null}`), WantReason: providers.ReasonBadResponse, WantErr: "data.balance"}},
		{Case: pt.Case{Name: "unknown model", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":1,"model":"points","currencyCode":null}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "points"}},
		{format: FormatXML, Case: pt.Case{Name: "truncated xml", Handler: xmlAnswer(200, `<response><handshake><id>0</id>`), WantReason: providers.ReasonBadResponse}},
		{Case: pt.Case{Name: "lower-case currency code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":2,"model":"currency","currencyCode":"ghs"}}`),
			Want: providers.Money(2, "GHS")}},
		{Case: pt.Case{Name: "junk currency code", Handler: pt.JSON(`{"handshake":{"id":0,"label":"HSHK_OK"},"data":{"balance":2,"model":"currency","currencyCode":"Ghana\ncedi"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "currencyCode"}},
		{Case: pt.Case{Name: "huge handshake label is bounded", Handler: pt.JSON(`{"handshake":{"id":1408,"label":"` + strings.Repeat("L", 60000) + `"},"data":null}`),
			WantReason: providers.ReasonBadResponse, WantErr: "LLLL…"}},
		{format: FormatXML, Case: pt.Case{Name: "xml bad handshake id", Handler: xmlAnswer(200, `<response><handshake><id>zero</id></handshake></response>`), WantReason: providers.ReasonBadResponse}},
	}
	for _, c := range pt.CommonFailures() {
		cases = append(cases, tc{Case: c})
	}
	creds := map[string]string{"api_key": apiKey}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodPost || r.URL.Path != "/v5/account/balance" {
					t.Errorf("request %s %s, want POST /v5/account/balance", r.Method, r.URL.Path)
				}
				if got := r.Header.Get("Authorization"); got != "key "+apiKey {
					t.Errorf("Authorization = %q", got)
				}
				want := "application/json"
				if c.format == FormatXML {
					want = "application/xml"
				}
				if got := r.Header.Get("Accept"); got != want {
					t.Errorf("Accept = %q, want %q", got, want)
				}
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			acct := pt.Settings(srv, creds)
			if c.format != "" {
				acct.Options = &Options{ResponseFormat: c.format}
			}
			acct.Currency = "XOF"
			pt.Check(t, New(acct), c.Case, creds)
		})
	}
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
