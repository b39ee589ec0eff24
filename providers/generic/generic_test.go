package generic

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	apiKey = "termii-secret-key-9f3a1c"
	token  = "bearer-token-5e61d2aa"
)

var creds = map[string]string{"api_key": apiKey, "token": token}

// tc is a TestBalances case: the account's options and currency, and what
// the server must receive.
type tc struct {
	pt.Case
	// opts changes the default options (GET BASE/api/get-balance?api_key=…,
	// balance_path balance); BASE in o.URL becomes the server's URL.
	opts func(o *Options)
	// currency is the account's `currency:`.
	currency string
	// check asserts the request instead of checkGet.
	check func(t *testing.T, r *http.Request)
}

// checkGet asserts the default request: the key in the query.
func checkGet(t *testing.T, r *http.Request) {
	t.Helper()
	if r.Method != http.MethodGet || r.URL.Path != "/api/get-balance" {
		t.Errorf("request %s %s, want GET /api/get-balance", r.Method, r.URL.Path)
	}
	if got := r.URL.Query().Get("api_key"); got != apiKey {
		t.Errorf("api_key = %q, want the credential", got)
	}
	if got := r.Header.Get("User-Agent"); got != "providertest" {
		t.Errorf("User-Agent = %q", got)
	}
	if got := r.Header.Get("Accept"); !strings.HasPrefix(got, "application/json") {
		t.Errorf("Accept = %q", got)
	}
}

func newClient(t *testing.T, srv *httptest.Server, c tc) *Client {
	t.Helper()
	o := NewOptions()
	o.URL = "BASE/api/get-balance?api_key={{ .Credentials.api_key }}"
	o.BalancePath = "balance"
	if c.opts != nil {
		c.opts(o)
	}
	o.URL = strings.ReplaceAll(o.URL, "BASE", srv.URL)
	if err := o.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	acct := pt.Settings(srv, creds)
	acct.Options = o
	acct.Currency = c.currency
	cl, err := New(acct)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return cl
}

func run(t *testing.T, cases []tc) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			check := c.check
			if check == nil {
				check = checkGet
			}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				check(t, r)
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			pt.Check(t, newClient(t, srv, c), c.Case, creds)
		})
	}
}

func money(v float64, cur string) providers.Balance { return providers.Money(v, cur) }

func answer(status int, ctype, body string) pt.Answer {
	h := map[string]string{}
	if ctype != "" {
		h["Content-Type"] = ctype
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

func xmlOpts(path string) func(o *Options) {
	return func(o *Options) { o.Format, o.BalancePath = FormatXML, path }
}

func TestBalances(t *testing.T) {
	bad := providers.ReasonBadResponse
	cases := []tc{
		// The shapes of /work/shared/providers.md (all [3rd]: third-party only).
		{Case: pt.Case{Name: "termii", Handler: pt.JSON(`{"user":"Jane Doe","balance":2500.75,"currency":"NGN"}`), Want: money(2500.75, "NGN")},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "termii string balance", Handler: pt.JSON(`{"user":"Jane Doe","balance":"0.00","currency":"ngn"}`), Want: money(0, "NGN")},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "arkesel main balance", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"1,234","main_balance":"GHS 0.2","user":"Kofi"}}`), Want: money(0.2, "GHS")},
			opts: arkesel("data.main_balance", providers.UnitCurrency), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel sms balance", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"1,234","main_balance":"GHS 0.2"}}`), Want: providers.Credits(1234)},
			opts: arkesel("data.sms_balance", providers.UnitCredits), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel numeric sms balance", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":98,"main_balance":"GHS 0.2"}}`), Want: providers.Credits(98)},
			opts: arkesel("data.sms_balance", providers.UnitCredits), check: checkArkesel},
		{Case: pt.Case{Name: "mnotify", Handler: pt.JSON(`{"status":"success","balance":4000,"bonus":70}`), Want: providers.Credits(4000)},
			opts: func(o *Options) {
				o.URL = "BASE/api/balance/sms?key={{ .Credentials.api_key }}"
				o.Unit = providers.UnitCredits
				o.ErrorPath, o.ErrorValue = "status", "error"
			},
			check: func(t *testing.T, r *http.Request) {
				if r.URL.Path != "/api/balance/sms" || r.URL.Query().Get("key") != apiKey {
					t.Errorf("request %s, want /api/balance/sms?key=<api_key>", r.URL.Path)
				}
			}},
		{Case: pt.Case{Name: "mnotify error status", Handler: pt.JSON(`{"status":"error","message":"Invalid API key"}`), WantReason: bad, WantErr: `error_path "status" is "error"`},
			opts: func(o *Options) {
				o.Unit = providers.UnitCredits
				o.ErrorPath, o.ErrorValue = "status", "error"
			}},

		// Amounts with a currency code in them.
		{Case: pt.Case{Name: "code before amount", Handler: pt.JSON(`{"UserData":{"balance":"KES 1785.50"}}`), Want: money(1785.5, "KES")},
			opts: func(o *Options) { o.BalancePath = "UserData.balance" }},
		{Case: pt.Case{Name: "code after amount", Handler: pt.JSON(`{"balance":"0.2 GHS"}`), Want: money(0.2, "GHS")}},
		{Case: pt.Case{Name: "no currency anywhere", Handler: pt.JSON(`{"balance":5}`), Want: money(5, "")}},
		{Case: pt.Case{Name: "account currency", Handler: pt.JSON(`{"balance":5}`), Want: money(5, "EUR")}, currency: "EUR"},
		{Case: pt.Case{Name: "negative", Handler: pt.JSON(`{"balance":-3.5}`), Want: money(-3.5, "EUR")}, currency: "eur"},

		// Currency precedence: currency_path, then currency:, then the code in the amount.
		{Case: pt.Case{Name: "currency_path beats all", Handler: pt.JSON(`{"balance":"KES 5","cur":"TZS"}`), Want: money(5, "TZS")},
			currency: "UGX", opts: func(o *Options) { o.CurrencyPath = "cur" }},
		{Case: pt.Case{Name: "currency beats the amount's code", Handler: pt.JSON(`{"balance":"KES 5"}`), Want: money(5, "UGX")}, currency: "UGX"},
		{Case: pt.Case{Name: "currency_path missing", Handler: pt.JSON(`{"balance":5}`), WantReason: bad, WantErr: `currency_path "cur": no key "cur"`},
			currency: "UGX", opts: func(o *Options) { o.CurrencyPath = "cur" }},

		// Junk currencies.
		{Case: pt.Case{Name: "currency words", Handler: pt.JSON(`{"balance":5,"currency":"US Dollar"}`), WantReason: bad, WantErr: `found "US Dollar"`},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "currency 10 KB", Handler: pt.JSON(`{"balance":5,"currency":"` + strings.Repeat("A", 10<<10) + `"}`), WantReason: bad, WantErr: "three-letter"},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "currency newline", Handler: pt.JSON(`{"balance":5,"currency":"US\nD"}`), WantReason: bad, WantErr: "three-letter"},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "currency number", Handler: pt.JSON(`{"balance":5,"currency":840}`), WantReason: bad, WantErr: "found the number 840"},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "currency object", Handler: pt.JSON(`{"balance":5,"currency":{"id":"USD"}}`), WantReason: bad, WantErr: "found an object"},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},
		{Case: pt.Case{Name: "currency object with path", Handler: pt.JSON(`{"balance":5,"currency":{"id":"usd"}}`), Want: money(5, "USD")},
			opts: func(o *Options) { o.CurrencyPath = "currency.id" }},
		{Case: pt.Case{Name: "junk code in amount", Handler: pt.JSON(`{"balance":"KESH 5"}`), WantReason: bad, WantErr: `"KESH 5"`}},

		// Unparsable amounts say what they found.
		{Case: pt.Case{Name: "words", Handler: pt.JSON(`{"balance":"lots"}`), WantReason: bad, WantErr: `"lots"`}},
		{Case: pt.Case{Name: "empty string", Handler: pt.JSON(`{"balance":""}`), WantReason: bad, WantErr: `found ""`}},
		{Case: pt.Case{Name: "object", Handler: pt.JSON(`{"balance":{"amount":1}}`), WantReason: bad, WantErr: "found an object"}},
		{Case: pt.Case{Name: "array", Handler: pt.JSON(`{"balance":[1]}`), WantReason: bad, WantErr: "found an array"}},
		{Case: pt.Case{Name: "boolean", Handler: pt.JSON(`{"balance":true}`), WantReason: bad, WantErr: "found the boolean true"}},
		{Case: pt.Case{Name: "null", Handler: pt.JSON(`{"balance":null}`), WantReason: bad, WantErr: "found null"}},
		{Case: pt.Case{Name: "missing", Handler: pt.JSON(`{"credit":1}`), WantReason: bad, WantErr: `no key "balance" in the object at the top level`}},
		{Case: pt.Case{Name: "infinite", Handler: pt.JSON(`{"balance":1e999}`), WantReason: bad, WantErr: `"1e999"`}},
		{Case: pt.Case{Name: "NaN string", Handler: pt.JSON(`{"balance":"NaN"}`), WantReason: bad, WantErr: `"NaN"`}},
		{Case: pt.Case{Name: "top-level array", Handler: pt.JSON(`[1,2]`), WantReason: bad, WantErr: "expected an array index"}},
		{Case: pt.Case{Name: "money as credits", Handler: pt.JSON(`{"balance":"GHS 0.2"}`), WantReason: bad, WantErr: "unit: credits"},
			opts: func(o *Options) { o.Unit = providers.UnitCredits }},

		// Nested paths and array indexes.
		{Case: pt.Case{Name: "array index", Handler: pt.JSON(`{"data":{"wallets":[{"amount":1,"currency":"KES"},{"amount":"2.5","currency":"usd"}]}}`), Want: money(2.5, "USD")},
			opts: func(o *Options) { o.BalancePath, o.CurrencyPath = "data.wallets.1.amount", "data.wallets.1.currency" }},
		{Case: pt.Case{Name: "index out of range", Handler: pt.JSON(`{"data":{"wallets":[{"amount":1}]}}`), WantReason: bad, WantErr: `index 1 out of range: the array at "data.wallets" has 1 elements`},
			opts: func(o *Options) { o.BalancePath = "data.wallets.1.amount" }},
		{Case: pt.Case{Name: "key into an array", Handler: pt.JSON(`{"data":{"wallets":[{"amount":1}]}}`), WantReason: bad, WantErr: `expected an array index, got "amount"`},
			opts: func(o *Options) { o.BalancePath = "data.wallets.amount" }},
		{Case: pt.Case{Name: "through a scalar", Handler: pt.JSON(`{"data":"none"}`), WantReason: bad, WantErr: `found "none" at "data", not an object or array`},
			opts: func(o *Options) { o.BalancePath = "data.balance" }},
		{Case: pt.Case{Name: "numeric object key", Handler: pt.JSON(`{"0":{"balance":7}}`), Want: money(7, "")},
			opts: func(o *Options) { o.BalancePath = "0.balance" }},

		// error_path / error_value: an HTTP 200 that is an error.
		{Case: pt.Case{Name: "sms.ru error", Handler: pt.JSON(`{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id"}`), WantReason: bad, WantErr: `error_path "status" is "ERROR"`},
			opts: func(o *Options) { o.ErrorPath, o.ErrorValue = "status", "ERROR" }},
		{Case: pt.Case{Name: "sms.ru success", Handler: pt.JSON(`{"status":"OK","status_code":100,"balance":4122.56}`), Want: money(4122.56, "RUB")},
			currency: "RUB", opts: func(o *Options) { o.ErrorPath, o.ErrorValue = "status", "ERROR" }},
		{Case: pt.Case{Name: "numeric error code", Handler: pt.JSON(`{"error":"authorise error","error_code":2}`), WantReason: bad, WantErr: `error_path "error_code" is "2"`},
			opts: func(o *Options) { o.ErrorPath, o.ErrorValue = "error_code", "2" }},
		{Case: pt.Case{Name: "error path absent", Handler: pt.JSON(`{"balance":"84.75"}`), Want: money(84.75, "")},
			opts: func(o *Options) { o.ErrorPath, o.ErrorValue = "error_code", "2" }},

		// Statuses.
		{Case: pt.Case{Name: "401 default auth", Handler: answer(401, "application/json", `{"message":"invalid key"}`), WantReason: providers.ReasonAuth, WantErr: "401"}},
		{Case: pt.Case{Name: "403 default auth", Handler: answer(403, "", ""), WantReason: providers.ReasonAuth, WantErr: "403 with an empty body"}},
		{Case: pt.Case{Name: "403 not in auth_status", Handler: answer(403, "", ""), WantReason: providers.ReasonHTTPStatus, WantErr: "got 403"},
			opts: func(o *Options) { o.AuthStatus = []int{401} }},
		{Case: pt.Case{Name: "401 custom auth", Handler: answer(401, "", ""), WantReason: providers.ReasonAuth},
			opts: func(o *Options) { o.AuthStatus = []int{401} }},
		{Case: pt.Case{Name: "400 custom auth", Handler: answer(400, "application/json", `{"message":"Invalid API key"}`), WantReason: providers.ReasonAuth, WantErr: "Invalid API key"},
			opts: func(o *Options) { o.AuthStatus = []int{400} }},
		{Case: pt.Case{Name: "400 default", Handler: answer(400, "", "bad request"), WantReason: providers.ReasonHTTPStatus, WantErr: "400"}},
		{Case: pt.Case{Name: "auth body echoes the key", Handler: answer(401, "text/plain", "unknown key "+apiKey), WantReason: providers.ReasonAuth, WantErr: `"unknown key <secret>"`}},
		{Case: pt.Case{Name: "currency echoes the key", Handler: pt.JSON(`{"balance":1,"currency":"` + apiKey + `"}`), WantReason: bad, WantErr: `found "<secret>"`},
			opts: func(o *Options) { o.CurrencyPath = "currency" }},

		// Content types.
		{Case: pt.Case{Name: "json as text/plain", Handler: answer(200, "text/plain; charset=utf-8", `{"balance":1}`), Want: money(1, "")}},
		{Case: pt.Case{Name: "json without content type", Handler: answer(200, "", `{"balance":1}`), Want: money(1, "")}},
		{Case: pt.Case{Name: "+json", Handler: answer(200, "application/vnd.api+json", `{"balance":1}`), Want: money(1, "")}},
		{Case: pt.Case{Name: "text/json", Handler: answer(200, "text/json", `{"balance":1}`), Want: money(1, "")}},
		{Case: pt.Case{Name: "json with BOM", Handler: pt.JSON("\ufeff{\"balance\":1}"), Want: money(1, "")}},
		{Case: pt.Case{Name: "json as xml", Handler: answer(200, "application/xml", `<balance>1</balance>`), WantReason: bad, WantErr: "application/xml"}},
		{Case: pt.Case{Name: "trailing data", Handler: pt.JSON(`{"balance":1}{"balance":2}`), WantReason: bad, WantErr: "expected a JSON document"}},

		// Credentials in a header, in a POST body.
		{Case: pt.Case{Name: "bearer header", Handler: pt.JSON(`{"balance":1}`), Want: money(1, "")},
			opts: func(o *Options) {
				o.URL = "BASE/v1/balance"
				o.Headers = map[string]string{"Authorization": "Bearer {{ .Credentials.token }}", "Accept": "application/vnd.x+json"}
			},
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Authorization"); got != "Bearer "+token {
					t.Errorf("Authorization = %q", got)
				}
				if got := r.Header.Get("Accept"); got != "application/vnd.x+json" {
					t.Errorf("Accept = %q, want the configured one", got)
				}
				if r.URL.RawQuery != "" {
					t.Errorf("query %q, want none", r.URL.RawQuery)
				}
			}},
		{Case: pt.Case{Name: "json POST body", Handler: pt.JSON(`{"balance":"12"}`), Want: money(12, "")},
			opts: func(o *Options) {
				o.URL, o.Method = "BASE/balance", "post"
				o.Body = `{"api_key": "{{ .Credentials.api_key }}"}`
			},
			check: checkPost("application/json", `{"api_key": "`+apiKey+`"}`)},
		{Case: pt.Case{Name: "form POST body", Handler: pt.JSON(`{"balance":"12"}`), Want: money(12, "")},
			opts: func(o *Options) {
				o.URL, o.Method = "BASE/balance", "POST"
				o.Body = `key={{ .Credentials.api_key | urlquery }}&fmt=json`
			},
			check: checkPost("application/x-www-form-urlencoded", "key="+apiKey+"&fmt=json")},
		{Case: pt.Case{Name: "POST without body", Handler: pt.JSON(`{"balance":"12"}`), Want: money(12, "")},
			opts:  func(o *Options) { o.URL, o.Method = "BASE/balance?key={{ .Credentials.api_key }}", "POST" },
			check: checkPost("", "")},
		{Case: pt.Case{Name: "credential in the path, 500", Handler: answer(500, "text/plain", "no such account"), WantReason: providers.ReasonHTTPStatus, WantErr: "GET /accounts/<secret>/balance"},
			opts:  func(o *Options) { o.URL = "BASE/accounts/{{ .Credentials.api_key }}/balance" },
			check: func(*testing.T, *http.Request) {}},

		// XML.
		{Case: pt.Case{Name: "xml", Handler: answer(200, "application/xml", `<?xml version="1.0" encoding="UTF-8"?>
<response><status>OK</status><data><balance currency="ngn"> 12.50 </balance></data></response>`), Want: money(12.5, "NGN")},
			opts: func(o *Options) {
				o.Format, o.BalancePath, o.CurrencyPath = FormatXML, "response/data/balance", "response/data/balance/@currency"
				o.ErrorPath, o.ErrorValue = "response/status", "ERROR"
			},
			check: func(t *testing.T, r *http.Request) {
				if got := r.Header.Get("Accept"); !strings.HasPrefix(got, "application/xml") {
					t.Errorf("Accept = %q", got)
				}
			}},
		{Case: pt.Case{Name: "xml error status", Handler: answer(200, "text/xml", `<response><status>ERROR</status></response>`), WantReason: bad, WantErr: `error_path "response/status" is "ERROR"`},
			opts: func(o *Options) {
				o.Format, o.BalancePath = FormatXML, "response/data/balance"
				o.ErrorPath, o.ErrorValue = "response/status", "ERROR"
			}, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml namespaces and leading slash", Handler: answer(200, "application/soap+xml", `<s:Envelope xmlns:s="urn:s"><s:Body><b:Balance xmlns:b="urn:b">KES 3</b:Balance></s:Body></s:Envelope>`), Want: money(3, "KES")},
			opts: xmlOpts("/Envelope/Body/Balance"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml latin-1", Handler: answer(200, "text/xml", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r><n>Jos\xe9</n><b>7</b></r>"), Want: money(7, "")},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml cdata", Handler: answer(200, "text/xml", `<r><b><![CDATA[ 0.2 GHS ]]></b></r>`), Want: money(0.2, "GHS")},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml first of repeated", Handler: answer(200, "text/xml", `<r><b>1</b><b>2</b></r>`), Want: money(1, "")},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml wrong root", Handler: answer(200, "text/xml", `<error>denied</error>`), WantReason: bad, WantErr: "the root element is <error>, not <r>"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml missing element", Handler: answer(200, "text/xml", `<r><c>1</c></r>`), WantReason: bad, WantErr: "no element <b> in r"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml element with children", Handler: answer(200, "text/xml", `<r><b><v>1</v></b></r>`), WantReason: bad, WantErr: "an element with child elements (<v>)"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml empty element", Handler: answer(200, "text/xml", `<r><b/></r>`), WantReason: bad, WantErr: "an empty element"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml words", Handler: answer(200, "text/xml", `<r><b>lots</b></r>`), WantReason: bad, WantErr: `"lots"`},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml missing attribute", Handler: answer(200, "text/xml", `<r><b>1</b></r>`), WantReason: bad, WantErr: `no attribute "cur" on <b>`},
			opts: func(o *Options) { o.Format, o.BalancePath, o.CurrencyPath = FormatXML, "r/b", "r/b/@cur" }, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml malformed", Handler: answer(200, "text/xml", `<r><b>1</r>`), WantReason: bad, WantErr: "expected an XML document"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml two roots", Handler: answer(200, "text/xml", `<r><b>1</b></r><r/>`), WantReason: bad, WantErr: "more than one root element"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml html page", Handler: answer(200, "text/html", `<html><body>login</body></html>`), WantReason: bad, WantErr: "text/html"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "xml as json", Handler: pt.JSON(`{"b":1}`), WantReason: bad, WantErr: "application/json"},
			opts: xmlOpts("r/b"), check: func(*testing.T, *http.Request) {}},

		// Text.
		{Case: pt.Case{Name: "text", Handler: answer(200, "text/plain", "1785.50\n"), Want: money(1785.5, "KES")},
			currency: "KES", opts: textOpts, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text with code", Handler: answer(200, "text/plain", "KES 12"), Want: money(12, "KES")},
			opts: textOpts, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text grouped", Handler: answer(200, "", "1,234,567.5"), Want: money(1234567.5, "")},
			opts: textOpts, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text credits", Handler: answer(200, "application/octet-stream", "4000"), Want: providers.Credits(4000)},
			opts: func(o *Options) { textOpts(o); o.Unit = providers.UnitCredits }, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text words", Handler: answer(200, "text/plain", "ERROR: bad key"), WantReason: bad, WantErr: `"ERROR: bad key"`},
			opts: textOpts, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text empty", Handler: answer(200, "text/plain", " \n"), WantReason: bad, WantErr: "empty body"},
			opts: textOpts, check: func(*testing.T, *http.Request) {}},
		{Case: pt.Case{Name: "text html", Handler: answer(200, "text/html", "<p>12</p>"), WantReason: bad, WantErr: "text/html"},
			opts: textOpts, check: func(*testing.T, *http.Request) {}},
	}
	for _, c := range pt.CommonFailures() {
		cases = append(cases, tc{Case: c})
	}
	run(t, cases)
}

func arkesel(path, unit string) func(o *Options) {
	return func(o *Options) {
		o.URL = "BASE/api/v2/clients/balance-details"
		o.Headers = map[string]string{"api-key": "{{ .Credentials.api_key }}"}
		o.BalancePath, o.Unit = path, unit
		o.ErrorPath, o.ErrorValue = "status", "error"
	}
}

func checkArkesel(t *testing.T, r *http.Request) {
	t.Helper()
	if r.Method != http.MethodGet || r.URL.Path != "/api/v2/clients/balance-details" || r.URL.RawQuery != "" {
		t.Errorf("request %s %s?%s, want GET /api/v2/clients/balance-details", r.Method, r.URL.Path, r.URL.RawQuery)
	}
	if got := r.Header.Get("api-key"); got != apiKey {
		t.Errorf("api-key = %q", got)
	}
}

func checkPost(ctype, body string) func(t *testing.T, r *http.Request) {
	return func(t *testing.T, r *http.Request) {
		t.Helper()
		if r.Method != http.MethodPost || r.URL.Path != "/balance" {
			t.Errorf("request %s %s, want POST /balance", r.Method, r.URL.Path)
		}
		if got := r.Header.Get("Content-Type"); got != ctype {
			t.Errorf("Content-Type = %q, want %q", got, ctype)
		}
		b, _ := io.ReadAll(r.Body)
		if string(b) != body {
			t.Errorf("body = %q, want %q", b, body)
		}
	}
}

func textOpts(o *Options) { o.Format, o.BalancePath = FormatText, "" }

// TestBasicAuth: basic_auth comes from http_client_config.
func TestBasicAuth(t *testing.T) {
	const user, pass = "acct-user-7781", "acct-password-c0ffee"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			t.Errorf("basic auth = %q, %q, %v", u, p, ok)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		pt.JSON(`{"balance":"0.05","currency":"USD"}`).ServeHTTP(w, r)
	}))
	defer srv.Close()
	client, err := providers.NewClient(&promconfig.HTTPClientConfig{
		BasicAuth:       &promconfig.BasicAuth{Username: user, Password: promconfig.Secret(pass)},
		FollowRedirects: true, EnableHTTP2: true,
	}, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOptions()
	o.URL, o.BalancePath, o.CurrencyPath = srv.URL+"/2010-04-01/Accounts/AC123/Balance.json", "balance", "currency"
	p, err := Spec.New(providers.Settings{Name: "test", Options: o, Client: client})
	if err != nil {
		t.Fatal(err)
	}
	pt.Check(t, p, pt.Case{Want: money(0.05, "USD")}, nil)
}

// TestSecretInURL: whatever the server does, the error never holds the key
// that is in the query.
func TestSecretInURL(t *testing.T) {
	for _, c := range []pt.Case{
		{Name: "500", Handler: answer(500, "text/html", "<h1>Internal error</h1>"), WantReason: providers.ReasonHTTPStatus},
		{Name: "hangs", Handler: pt.Hang, WantReason: providers.ReasonTimeout},
		{Name: "garbage", Handler: pt.JSON("\x00\x01garbage"), WantReason: providers.ReasonBadResponse},
		{Name: "echoes the URL", Handler: answer(404, "text/plain", "no route for /api/get-balance?api_key="+apiKey), WantReason: providers.ReasonHTTPStatus,
			WantErr: "api_key=<secret>"},
		{Name: "closes the connection", Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}), WantReason: providers.ReasonNetwork},
	} {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(c.Handler)
			defer srv.Close()
			p := newClient(t, srv, tc{})
			pt.Check(t, p, c, creds)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := p.Balances(ctx)
			if err == nil || strings.Contains(err.Error(), apiKey) {
				t.Fatalf("error %v: want one without the key", err)
			}
		})
	}
}

// TestRedirects: a redirect to another origin is refused before it is
// followed; one to the same origin is followed.
func TestRedirects(t *testing.T) {
	var hits atomic.Int32
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		t.Errorf("server B reached: %s %s", r.Method, r.URL)
		pt.JSON(`{"balance":1}`).ServeHTTP(w, r)
	}))
	defer b.Close()
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/get-balance":
			http.Redirect(w, r, b.URL+"/steal/path?api_key="+r.URL.Query().Get("api_key"), http.StatusTemporaryRedirect)
		case "/same":
			http.Redirect(w, r, "/final?api_key="+r.URL.Query().Get("api_key"), http.StatusFound)
		case "/final":
			if r.URL.Query().Get("api_key") != apiKey {
				t.Errorf("final request without the key")
			}
			pt.JSON(`{"balance":"3.25"}`).ServeHTTP(w, r)
		}
	}))
	defer a.Close()

	t.Run("cross-origin refused", func(t *testing.T) {
		p := newClient(t, a, tc{})
		pt.Check(t, p, pt.Case{WantReason: providers.ReasonBadResponse, WantErr: "redirect to another origin " + b.URL + " refused"}, creds)
		_, err := p.Balances(context.Background())
		if err == nil || strings.Contains(err.Error(), "/steal") {
			t.Errorf("error %v names B's path", err)
		}
		if hits.Load() != 0 {
			t.Errorf("B reached %d times", hits.Load())
		}
	})
	t.Run("same origin followed", func(t *testing.T) {
		p := newClient(t, a, tc{opts: func(o *Options) { o.URL = "BASE/same?api_key={{ .Credentials.api_key }}" }})
		pt.Check(t, p, pt.Case{Want: money(3.25, "")}, creds)
	})
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		opts  func(o *Options)
		field string // "" when valid
	}{
		{"defaults", nil, ""},
		{"credential as host", func(o *Options) { o.URL = "https://{{ .Credentials.host }}/balance" }, ""},
		{"functions", func(o *Options) {
			o.URL = `https://api.example.com/b?k={{ .Credentials.k | urlquery }}&s={{ printf "%s-%03d" .Credentials.a 7 }}{{ if .Credentials.x }}&x=1{{ end }}`
		}, ""},
		{"lower-case post", func(o *Options) { o.Method = "post" }, ""},
		{"xml attribute", func(o *Options) { o.Format, o.BalancePath, o.CurrencyPath = "XML", "/r/b", "r/b/@currency" }, ""},
		{"text", func(o *Options) { o.Format, o.BalancePath = "text", "" }, ""},
		{"empty defaults", func(o *Options) { o.Method, o.Format, o.Unit, o.AuthStatus = "", "", "", nil }, ""},
		{"no url", func(o *Options) { o.URL = "" }, "url"},
		{"unclosed action", func(o *Options) { o.URL = "https://x/{{ .Credentials.k" }, "url"},
		{"unknown function", func(o *Options) { o.URL = "https://x/{{ env \"HOME\" }}" }, "url"},
		{"unknown field", func(o *Options) { o.URL = "https://x/{{ .Secrets.k }}" }, "url"},
		{"ftp", func(o *Options) { o.URL = "ftp://x/balance" }, "url"},
		{"relative", func(o *Options) { o.URL = "/balance" }, "url"},
		{"no host", func(o *Options) { o.URL = "https:///balance" }, "url"},
		{"user info", func(o *Options) { o.URL = "https://u:{{ .Credentials.p }}@x/balance" }, "url"},
		{"range", func(o *Options) { o.URL = "https://x/{{ range 99999999999 }}{{ end }}" }, "url"},
		{"template call", func(o *Options) { o.URL = `{{ define "a" }}x{{ end }}https://x/{{ template "a" }}` }, "url"},
		{"huge printf width", func(o *Options) { o.URL = `https://x/{{ printf "%0999999d" 1 }}` }, "url"},
		{"printf star", func(o *Options) { o.URL = `https://x/{{ printf "%*d" 999999 1 }}` }, "url"},
		{"put", func(o *Options) { o.Method = "PUT" }, "method"},
		{"header name", func(o *Options) { o.Headers = map[string]string{"Bad Name": "x"} }, "headers.Bad Name"},
		{"too many headers", func(o *Options) {
			o.Headers = map[string]string{}
			for i := range maxHeaders + 1 {
				o.Headers[fmt.Sprintf("X-H%d", i)] = "v"
			}
		}, "headers"},
		{"most headers", func(o *Options) {
			o.Headers = map[string]string{}
			for i := range maxHeaders {
				o.Headers[fmt.Sprintf("X-H%d", i)] = "v"
			}
		}, ""},
		{"header template", func(o *Options) { o.Headers = map[string]string{"X-Key": "{{ .Credentials.k"} }, "headers.X-Key"},
		{"header newline", func(o *Options) { o.Headers = map[string]string{"X-Key": "a\nb"} }, "headers.X-Key"},
		{"host header", func(o *Options) { o.Headers = map[string]string{"host": "x"} }, "headers.host"},
		{"duplicate header", func(o *Options) { o.Headers = map[string]string{"Accept": "a", "accept": "b"} }, "headers.accept"},
		{"body template", func(o *Options) { o.Body = "{{ if }}" }, "body"},
		{"format", func(o *Options) { o.Format = "yaml" }, "format"},
		{"no balance_path", func(o *Options) { o.BalancePath = "" }, "balance_path"},
		{"empty key", func(o *Options) { o.BalancePath = "data..balance" }, "balance_path"},
		{"trailing dot", func(o *Options) { o.BalancePath = "balance." }, "balance_path"},
		{"xml name", func(o *Options) { o.Format, o.BalancePath = "xml", "r/1b" }, "balance_path"},
		{"xml prefix", func(o *Options) { o.Format, o.BalancePath = "xml", "r/ns:b" }, "balance_path"},
		{"xml empty segment", func(o *Options) { o.Format, o.BalancePath = "xml", "r//b" }, "balance_path"},
		{"xml attribute first", func(o *Options) { o.Format, o.BalancePath = "xml", "@a" }, "balance_path"},
		{"text path", func(o *Options) { o.Format = "text" }, "balance_path"},
		{"currency_path", func(o *Options) { o.CurrencyPath = ".currency" }, "currency_path"},
		{"error_path syntax", func(o *Options) { o.ErrorPath, o.ErrorValue = "status.", "ERROR" }, "error_path"},
		{"error_path alone", func(o *Options) { o.ErrorPath = "status" }, "error_value"},
		{"error_value alone", func(o *Options) { o.ErrorValue = "ERROR" }, "error_path"},
		{"unit", func(o *Options) { o.Unit = "coins" }, "unit"},
		{"credits with currency_path", func(o *Options) { o.Unit, o.CurrencyPath = "credits", "currency" }, "currency_path"},
		{"auth status 200", func(o *Options) { o.AuthStatus = []int{401, 200} }, "auth_status"},
		{"auth status 600", func(o *Options) { o.AuthStatus = []int{600} }, "auth_status"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewOptions()
			o.URL, o.BalancePath = "https://api.example.com/balance?key={{ .Credentials.api_key }}", "balance"
			if c.opts != nil {
				c.opts(o)
			}
			err := o.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if o.Method != http.MethodGet && o.Method != http.MethodPost || o.Format == "" || o.Unit == "" || len(o.AuthStatus) == 0 {
					t.Errorf("not normalised: %+v", o)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error about %s", c.field)
			}
			if got := providers.FieldOf(err); got != c.field {
				t.Errorf("FieldOf(%v) = %q, want %q", err, got, c.field)
			}
		})
	}
}

func TestCheckCredentials(t *testing.T) {
	o := NewOptions()
	o.URL, o.BalancePath = "https://api.example.com/balance?key={{ .Credentials.api_key }}", "balance"
	o.Headers = map[string]string{"X-Token": "{{ .Credentials.token }}"}
	o.Body = `{"user":"{{ .Credentials.user }}"}`
	if err := o.CheckCredentials([]string{"api_key", "token", "user"}); err != nil {
		t.Fatalf("CheckCredentials = %v", err)
	}
	for _, c := range []struct {
		names []string
		field string
		want  string
	}{
		{[]string{"token", "user"}, "url", `unknown credential "api_key" (the account's credentials: token, user)`},
		{[]string{"api_key", "user"}, "headers.X-Token", `unknown credential "token"`},
		{[]string{"api_key", "token"}, "body", `unknown credential "user"`},
		{nil, "url", `unknown credential "api_key" (the account's credentials: none)`},
	} {
		err := o.CheckCredentials(c.names)
		if err == nil || providers.FieldOf(err) != c.field || !strings.Contains(err.Error(), c.want) {
			t.Errorf("CheckCredentials(%v) = %v, want a %s error containing %q", c.names, err, c.field, c.want)
		}
	}
	// New checks them too.
	if _, err := New(providers.Settings{Options: o, Credentials: map[string]string{"api_key": "k"}}); err == nil {
		t.Error("New with missing credentials: no error")
	}
}

func TestNew(t *testing.T) {
	if _, err := New(providers.Settings{}); err == nil {
		t.Error("New without options: no error")
	}
	o := NewOptions()
	o.URL, o.BalancePath = "https://api.example.com/balance", "balance"
	if _, err := New(providers.Settings{Options: o, Currency: "US Dollar"}); err == nil {
		t.Error("New with a junk currency: no error")
	}
	if _, err := Spec.New(providers.Settings{Options: o, Currency: "usd"}); err != nil {
		t.Errorf("New: %v", err)
	}
	if Spec.Fake != nil || Spec.CredentialSets != nil || !Spec.HTTPClientAuth || Spec.ID != "http" {
		t.Errorf("Spec = %+v", Spec)
	}
}

func credits(v float64) providers.Balance { return providers.Credits(v) }

func limit(b providers.Balance) providers.Balance {
	b.Kind = providers.KindCreditLimit
	return b
}

// extras returns options that add the extra_balances es (the account's
// main balance stays at balance_path).
func extras(es ...ExtraBalance) func(o *Options) {
	return func(o *Options) { o.ExtraBalances = es }
}

// TestExtraBalances: extra_balances, through answers shaped as the providers
// answer (/work/shared/providers.md) and edge cases.
func TestExtraBalances(t *testing.T) {
	bad := providers.ReasonBadResponse
	none := func(*testing.T, *http.Request) {}
	// arkeselBoth is the README's Arkesel account: GHS money first, the SMS
	// credits after.
	arkeselBoth := func(es ...ExtraBalance) func(o *Options) {
		return func(o *Options) {
			arkesel("data.main_balance", providers.UnitCurrency)(o)
			o.ExtraBalances = append([]ExtraBalance{{Path: "data.sms_balance", Unit: "credits"}}, es...)
		}
	}
	// telnyx is Telnyx's documented answer: balance and credit limit in
	// currency.
	const telnyx = `{"data":{"record_type":"balance","pending":"10.00","balance":"300.00","credit_limit":"100.00","available_credit":"400.00","currency":"USD"}}`
	telnyxOpts := func(o *Options) {
		o.BalancePath, o.CurrencyPath = "data.balance", "data.currency"
		o.ExtraBalances = []ExtraBalance{{Path: "data.credit_limit", CurrencyPath: "data.currency", Kind: "credit_limit"}}
	}
	const arkeselXML = `<?xml version="1.0"?><response><status>success</status><data><main_balance>GHS 0.2</main_balance><sms_balance>1,234</sms_balance><bonus currency="ghs" amount="5"/></data></response>`
	xmlArkesel := func(es ...ExtraBalance) func(o *Options) {
		return func(o *Options) {
			o.Format, o.BalancePath = FormatXML, "response/data/main_balance"
			o.ErrorPath, o.ErrorValue = "response/status", "error"
			o.ExtraBalances = es
		}
	}
	cases := []tc{
		// Arkesel: {"status":"success","data":{"sms_balance":…,"main_balance":"GHS 0.2"}} [3rd].
		{Case: pt.Case{Name: "arkesel money and credits", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"1,234","main_balance":"GHS 0.2","user":"Kofi"}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(1234)}}, opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel numeric sms balance", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":98,"main_balance":"0.2 GHS"}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(98)}}, opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel account currency", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":0,"main_balance":"12.5"}}`),
			WantAll: []providers.Balance{money(12.5, "GHS"), credits(0)}}, currency: "GHS", opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel error status before extras", Handler: pt.JSON(`{"status":"error","message":"Invalid API key"}`), WantReason: bad, WantErr: `error_path "status" is "error"`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel sms balance missing", Handler: pt.JSON(`{"status":"success","data":{"main_balance":"GHS 0.2"}}`),
			WantReason: bad, WantErr: `GET /api/v2/clients/balance-details: extra_balances[0].path "data.sms_balance": no key "sms_balance" in the object at "data"`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel sms balance words", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"unlimited","main_balance":"GHS 0.2"}}`),
			WantReason: bad, WantErr: `extra_balances[0].path "data.sms_balance": expected a decimal amount, got "unlimited"`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel sms balance null", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":null,"main_balance":"GHS 0.2"}}`),
			WantReason: bad, WantErr: `extra_balances[0].path "data.sms_balance": expected an amount, found null`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "arkesel sms balance as money", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"GHS 3","main_balance":"GHS 0.2"}}`),
			WantReason: bad, WantErr: `extra_balances[0].path "data.sms_balance": expected a number of credits (unit: credits)`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "main balance still fails first", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"1"}}`),
			WantReason: bad, WantErr: `balance_path "data.main_balance": no key "main_balance"`},
			opts: arkeselBoth(), check: checkArkesel},
		{Case: pt.Case{Name: "extra value echoes the key", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"` + apiKey + `","main_balance":"GHS 0.2"}}`),
			WantReason: bad, WantErr: `got "<secret>"`}, opts: arkeselBoth(), check: checkArkesel},

		// optional: an amount the answer lacks is left out; a bad one is
		// still an error.
		{Case: pt.Case{Name: "optional missing key", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"7","main_balance":"GHS 0.2"}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(7)}},
			opts: arkeselBoth(ExtraBalance{Path: "data.bonus", Unit: "credits", Kind: "credit_limit", Optional: true}), check: checkArkesel},
		{Case: pt.Case{Name: "optional null", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"7","main_balance":"GHS 0.2","bonus":null}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(7)}},
			opts: arkeselBoth(ExtraBalance{Path: "data.bonus", Unit: "credits", Kind: "credit_limit", Optional: true}), check: checkArkesel},
		{Case: pt.Case{Name: "optional empty string", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"7","main_balance":"GHS 0.2","bonus":" "}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(7)}},
			opts: arkeselBoth(ExtraBalance{Path: "data.bonus", Unit: "credits", Kind: "credit_limit", Optional: true}), check: checkArkesel},
		{Case: pt.Case{Name: "optional through null", Handler: pt.JSON(`{"balance":1,"limits":null}`), WantAll: []providers.Balance{money(1, "")}},
			opts: extras(ExtraBalance{Path: "limits.0.amount", Kind: "credit_limit", Optional: true})},
		{Case: pt.Case{Name: "optional index out of range", Handler: pt.JSON(`{"balance":1,"limits":[]}`), WantAll: []providers.Balance{money(1, "")}},
			opts: extras(ExtraBalance{Path: "limits.0.amount", Kind: "credit_limit", Optional: true})},
		{Case: pt.Case{Name: "required through null", Handler: pt.JSON(`{"balance":1,"limits":null}`),
			WantReason: bad, WantErr: `extra_balances[0].path "limits.0.amount": found null at "limits", not an object or array`},
			opts: extras(ExtraBalance{Path: "limits.0.amount", Kind: "credit_limit"})},
		{Case: pt.Case{Name: "optional present", Handler: pt.JSON(`{"status":"success","data":{"sms_balance":"7","main_balance":"GHS 0.2","bonus":"2"}}`),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(7), limit(credits(2))}},
			opts: arkeselBoth(ExtraBalance{Path: "data.bonus", Unit: "credits", Kind: "credit_limit", Optional: true}), check: checkArkesel},
		{Case: pt.Case{Name: "optional but words", Handler: pt.JSON(`{"balance":1,"bonus":"soon"}`),
			WantReason: bad, WantErr: `extra_balances[0].path "bonus"`}, opts: extras(ExtraBalance{Path: "bonus", Unit: "credits", Optional: true})},
		{Case: pt.Case{Name: "optional but an object", Handler: pt.JSON(`{"balance":1,"bonus":{"n":1}}`),
			WantReason: bad, WantErr: `extra_balances[0].path "bonus": expected an amount, found an object`},
			opts: extras(ExtraBalance{Path: "bonus", Unit: "credits", Optional: true})},
		{Case: pt.Case{Name: "optional but shape differs", Handler: pt.JSON(`{"balance":1,"bonus":[1]}`),
			WantReason: bad, WantErr: `extra_balances[0].path "bonus.amount": expected an array index, got "amount"`},
			opts: extras(ExtraBalance{Path: "bonus.amount", Unit: "credits", Optional: true})},
		{Case: pt.Case{Name: "order kept around a skipped amount", Handler: pt.JSON(`{"balance":"EUR 5","sms":40,"limit":"EUR 50"}`),
			WantAll: []providers.Balance{money(5, "EUR"), credits(40), limit(money(50, "EUR"))}},
			opts: extras(ExtraBalance{Path: "sms", Unit: "credits"}, ExtraBalance{Path: "bonus", Unit: "credits", Kind: "credit_limit", Optional: true},
				ExtraBalance{Path: "limit", Kind: "credit_limit"})},

		// Credit limits: Telnyx [doc] and BulkSMS [doc] shapes.
		{Case: pt.Case{Name: "telnyx credit limit", Handler: pt.JSON(telnyx), WantAll: []providers.Balance{money(300, "USD"), limit(money(100, "USD"))}},
			opts: telnyxOpts},
		{Case: pt.Case{Name: "bulksms credits limit", Handler: pt.JSON(`{"credits":{"balance":12.5,"isTransferAllowed":false,"limit":100}}`),
			WantAll: []providers.Balance{credits(12.5), limit(credits(100))}},
			opts: func(o *Options) {
				o.BalancePath, o.Unit = "credits.balance", "credits"
				o.ExtraBalances = []ExtraBalance{{Path: "credits.limit", Unit: "credits", Kind: "credit_limit"}}
			}},
		{Case: pt.Case{Name: "limit in the account currency", Handler: pt.JSON(`{"balance":3,"overdraft":"10"}`),
			WantAll: []providers.Balance{money(3, "KES"), limit(money(10, "KES"))}},
			currency: "KES", opts: extras(ExtraBalance{Path: "overdraft", Kind: "credit_limit"})},
		{Case: pt.Case{Name: "extra currency_path beats currency:", Handler: pt.JSON(`{"balance":3,"w":{"amount":"9","cur":"usd"}}`),
			WantAll: []providers.Balance{money(3, "KES"), money(9, "USD")}},
			currency: "KES", opts: extras(ExtraBalance{Path: "w.amount", CurrencyPath: "w.cur"})},
		{Case: pt.Case{Name: "extra currency_path missing", Handler: pt.JSON(`{"balance":3,"w":{"amount":"9"}}`),
			WantReason: bad, WantErr: `extra_balances[0].currency_path "w.cur": no key "cur" in the object at "w"`},
			opts: extras(ExtraBalance{Path: "w.amount", CurrencyPath: "w.cur", Optional: true})},
		{Case: pt.Case{Name: "extra currency_path words", Handler: pt.JSON(`{"balance":3,"w":{"amount":"9","cur":"dollars"}}`),
			WantReason: bad, WantErr: `extra_balances[0].currency_path "w.cur": expected a three-letter currency code, found "dollars"`},
			opts: extras(ExtraBalance{Path: "w.amount", CurrencyPath: "w.cur"})},
		{Case: pt.Case{Name: "main currency_path not inherited", Handler: pt.JSON(`{"balance":3,"cur":"USD","w":"GHS 9"}`),
			WantAll: []providers.Balance{money(3, "USD"), money(9, "GHS")}},
			opts: func(o *Options) { o.CurrencyPath, o.ExtraBalances = "cur", []ExtraBalance{{Path: "w"}} }},

		// Money in currencies only the answer names.
		{Case: pt.Case{Name: "wallets in two currencies", Handler: pt.JSON(`{"data":{"wallets":[{"amount":"GHS 1"},{"amount":"USD 2"}]}}`),
			WantAll: []providers.Balance{money(1, "GHS"), money(2, "USD")}},
			opts: func(o *Options) {
				o.BalancePath, o.ExtraBalances = "data.wallets.0.amount", []ExtraBalance{{Path: "data.wallets.1.amount"}}
			}},
		{Case: pt.Case{Name: "wallets in the same currency", Handler: pt.JSON(`{"data":{"wallets":[{"amount":"GHS 1"},{"amount":"GHS 2"}]}}`),
			WantReason: bad, WantErr: `balance_path "data.wallets.0.amount" and extra_balances[0].path "data.wallets.1.amount" give two amounts of the same series (sms_balance, unit currency, currency "GHS")`},
			opts: func(o *Options) {
				o.BalancePath, o.ExtraBalances = "data.wallets.0.amount", []ExtraBalance{{Path: "data.wallets.1.amount"}}
			}},
		{Case: pt.Case{Name: "same currency, other kinds", Handler: pt.JSON(`{"data":{"wallets":[{"amount":"GHS 1"},{"amount":"GHS 2"}]}}`),
			WantAll: []providers.Balance{money(1, "GHS"), limit(money(2, "GHS"))}},
			opts: func(o *Options) {
				o.BalancePath, o.ExtraBalances = "data.wallets.0.amount", []ExtraBalance{{Path: "data.wallets.1.amount", Kind: "CREDIT_LIMIT"}}
			}},

		// XML.
		{Case: pt.Case{Name: "xml arkesel-shaped", Handler: answer(200, "application/xml", arkeselXML),
			WantAll: []providers.Balance{money(0.2, "GHS"), credits(1234), limit(money(5, "GHS"))}},
			opts: xmlArkesel(ExtraBalance{Path: "response/data/sms_balance", Unit: "credits"},
				ExtraBalance{Path: "/response/data/bonus/@amount", CurrencyPath: "response/data/bonus/@currency", Kind: "credit_limit"}),
			check: none},
		{Case: pt.Case{Name: "xml missing element", Handler: answer(200, "text/xml", arkeselXML),
			WantReason: bad, WantErr: `extra_balances[1].path "response/data/overdraft": no element <overdraft> in response/data`},
			opts:  xmlArkesel(ExtraBalance{Path: "response/data/sms_balance", Unit: "credits"}, ExtraBalance{Path: "response/data/overdraft", Kind: "credit_limit"}),
			check: none},
		{Case: pt.Case{Name: "xml optional missing element and attribute", Handler: answer(200, "text/xml", arkeselXML),
			WantAll: []providers.Balance{money(0.2, "GHS")}},
			opts: xmlArkesel(ExtraBalance{Path: "response/data/overdraft", Kind: "credit_limit", Optional: true},
				ExtraBalance{Path: "response/data/bonus/@sms", Unit: "credits", Optional: true}),
			check: none},
		{Case: pt.Case{Name: "xml optional empty element", Handler: answer(200, "text/xml", `<response><data><main_balance>1</main_balance><sms_balance/></data></response>`),
			WantAll: []providers.Balance{money(1, "")}},
			opts: xmlArkesel(ExtraBalance{Path: "response/data/sms_balance", Unit: "credits", Optional: true}), check: none},
		{Case: pt.Case{Name: "xml required empty element", Handler: answer(200, "text/xml", `<response><data><main_balance>1</main_balance><sms_balance/></data></response>`),
			WantReason: bad, WantErr: `extra_balances[0].path "response/data/sms_balance": expected an amount, found an empty element`},
			opts: xmlArkesel(ExtraBalance{Path: "response/data/sms_balance", Unit: "credits"}), check: none},
		{Case: pt.Case{Name: "xml bad extra value", Handler: answer(200, "text/xml", `<response><data><main_balance>1</main_balance><sms_balance>many</sms_balance></data></response>`),
			WantReason: bad, WantErr: `extra_balances[0].path "response/data/sms_balance": expected a decimal amount, got "many"`},
			opts: xmlArkesel(ExtraBalance{Path: "response/data/sms_balance", Unit: "credits"}), check: none},
		{Case: pt.Case{Name: "xml wrong root is not missing", Handler: answer(200, "text/xml", `<response><data><main_balance>1</main_balance></data></response>`),
			WantReason: bad, WantErr: `extra_balances[0].path "other/sms": the root element is <response>, not <other>`},
			opts: xmlArkesel(ExtraBalance{Path: "other/sms", Unit: "credits", Optional: true}), check: none},
	}
	run(t, cases)
}

// TestValidateExtraBalances: every extra_balances error names the entry and
// its key, so that the configuration error points at it.
func TestValidateExtraBalances(t *testing.T) {
	xml := func(o *Options) { o.Format, o.BalancePath = FormatXML, "response/data/balance" }
	cases := []struct {
		name   string
		format func(o *Options) // nil: json, balance_path balance, unit currency
		unit   string           // the main balance's unit ("" for currency)
		es     []ExtraBalance
		field  string // "" when valid
		want   string // a substring of the error
	}{
		{name: "arkesel", es: []ExtraBalance{{Path: "data.sms_balance", Unit: "credits"}}},
		{name: "defaults normalised", es: []ExtraBalance{{Path: "a", Unit: " Credits ", Kind: "CREDIT_LIMIT"}, {Path: "b", Unit: "", Kind: ""}}},
		{name: "all keys", es: []ExtraBalance{{Path: "w.0.amount", CurrencyPath: "w.0.cur", Unit: "currency", Kind: "credit_limit", Optional: true}}},
		{name: "xml", format: xml, es: []ExtraBalance{{Path: "/response/data/sms", Unit: "credits"}, {Path: "response/data/limit/@value", CurrencyPath: "response/data/limit/@cur", Kind: "credit_limit"}}},
		{name: "credits of both kinds", unit: "credits", es: []ExtraBalance{{Path: "limit", Unit: "credits", Kind: "credit_limit"}}},
		{name: "money whose currency the answer tells", es: []ExtraBalance{{Path: "other"}, {Path: "third", CurrencyPath: "cur"}}},
		{name: "no path", es: []ExtraBalance{{Unit: "credits"}}, field: "extra_balances[0].path", want: "required"},
		{name: "path syntax", es: []ExtraBalance{{Path: "a", Unit: "credits"}, {Path: "data..sms", Kind: "credit_limit"}}, field: "extra_balances[1].path", want: "empty key"},
		{name: "path too long", es: []ExtraBalance{{Path: strings.Repeat("a", maxPathBytes+1)}}, field: "extra_balances[0].path", want: "longer than"},
		{name: "xml path syntax", format: xml, es: []ExtraBalance{{Path: "response/data/ns:sms", Unit: "credits"}}, field: "extra_balances[0].path", want: "expected element names"},
		{name: "json path under xml rules", format: xml, es: []ExtraBalance{{Path: "@sms", Unit: "credits"}}, field: "extra_balances[0].path"},
		{name: "currency_path syntax", es: []ExtraBalance{{Path: "a", CurrencyPath: "cur."}}, field: "extra_balances[0].currency_path", want: "empty key"},
		{name: "credits with currency_path", es: []ExtraBalance{{Path: "a", Unit: "credits", CurrencyPath: "cur"}}, field: "extra_balances[0].currency_path", want: "not used with unit credits"},
		{name: "unit", es: []ExtraBalance{{Path: "a", Unit: "sms"}}, field: "extra_balances[0].unit", want: `expected currency or credits, got "sms"`},
		{name: "kind", es: []ExtraBalance{{Path: "a", Unit: "credits"}, {Path: "b", Kind: "bonus"}}, field: "extra_balances[1].kind", want: `expected balance or credit_limit, got "bonus"`},
		{name: "text format", format: textOpts, es: []ExtraBalance{{Path: "a"}}, field: "extra_balances", want: "not used with format text"},

		// Series known to clash at load.
		{name: "credits twice", unit: "credits", es: []ExtraBalance{{Path: "sms", Unit: "credits"}}, field: "extra_balances[0].path",
			want: "same series as balance_path: both would be sms_balance in credits"},
		{name: "two extra credit limits", es: []ExtraBalance{{Path: "sms", Unit: "credits"}, {Path: "l1", Unit: "credits", Kind: "credit_limit"}, {Path: "l2", Unit: "credits", Kind: "credit_limit"}},
			field: "extra_balances[2].path", want: "same series as extra_balances[1].path: both would be sms_balance_credit_limit in credits"},
		{name: "same currency_path", es: []ExtraBalance{{Path: "w1", CurrencyPath: "cur"}, {Path: "w2", CurrencyPath: "cur"}}, field: "extra_balances[1].path",
			want: `both would be sms_balance of money in the currency at "cur"`},
		{name: "same path", es: []ExtraBalance{{Path: "balance"}}, field: "extra_balances[0].path", want: "read from the same value"},
		{name: "same xml path written two ways", format: xml, es: []ExtraBalance{{Path: "/response/data/balance"}}, field: "extra_balances[0].path"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := NewOptions()
			o.URL, o.BalancePath = "https://api.example.com/balance?key={{ .Credentials.api_key }}", "balance"
			if c.format != nil {
				c.format(o)
			}
			if c.unit != "" {
				o.Unit = c.unit
			}
			o.ExtraBalances = c.es
			err := o.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				for i, e := range o.ExtraBalances {
					if e.Unit != providers.UnitCurrency && e.Unit != providers.UnitCredits || e.Kind != KindBalance && e.Kind != KindCreditLimit {
						t.Errorf("extra_balances[%d] not normalised: %+v", i, e)
					}
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want an error about %s", c.field)
			}
			if got := providers.FieldOf(err); got != c.field {
				t.Errorf("FieldOf(%v) = %q, want %q", err, got, c.field)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("Validate() = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestNewExtraBalancesCurrency: with the account's currency:, amounts of
// money without a currency path all take it, so that two of one kind are
// refused when the client is made (at load), not at every refresh.
func TestNewExtraBalancesCurrency(t *testing.T) {
	o := NewOptions()
	o.URL, o.BalancePath = "https://api.example.com/balance", "balance"
	o.ExtraBalances = []ExtraBalance{{Path: "limit", Kind: "credit_limit"}, {Path: "wallet"}}
	if _, err := New(providers.Settings{Options: o}); err != nil {
		t.Fatalf("New without currency: %v", err)
	}
	_, err := New(providers.Settings{Options: o, Currency: "ghs"})
	if err == nil || providers.FieldOf(err) != "extra_balances[1].path" || !strings.Contains(err.Error(), "the account's currency: GHS") {
		t.Fatalf("New with currency: %v, want an extra_balances[1].path error naming currency: GHS", err)
	}
	o.ExtraBalances[1].CurrencyPath = "wallet_currency"
	if _, err := New(providers.Settings{Options: o, Currency: "GHS"}); err != nil {
		t.Fatalf("New with currency and a currency_path: %v", err)
	}
}

// TestEndpointURL: the host of url, which the collector's per-host limit
// counts the account's calls against; "" when the host is templated.
func TestEndpointURL(t *testing.T) {
	for _, tc := range []struct{ url, want string }{
		{"https://api.ng.termii.com/api/get-balance?api_key={{ .Credentials.api_key }}", "https://api.ng.termii.com/api/get-balance?api_key="},
		{"http://127.0.0.1:8080/b/{{ .Credentials.id }}", "http://127.0.0.1:8080/b/"},
		{"https://sms.arkesel.com/api/v2/clients/balance-details", "https://sms.arkesel.com/api/v2/clients/balance-details"},
		{"https://{{ .Credentials.host }}/balance", ""},
		{"https://api.{{ .Credentials.region }}.example.com/b", ""},
		{"https://example.com:{{ .Credentials.port }}/b", ""},
	} {
		o := &Options{URL: tc.url}
		if got := o.EndpointURL(); got != tc.want {
			t.Errorf("EndpointURL(%q) = %q, want %q", tc.url, got, tc.want)
		}
	}
	var _ providers.Endpointer = (*Options)(nil)
}
