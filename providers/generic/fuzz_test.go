package generic

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

// checkOutcome asserts the invariants of parse's result (pt.CheckOutcome)
// and what parse adds: it fails only with bad_response (statuses are the
// Client's), with a bounded message, and succeeds with the main balance
// first, then one amount for each entry of p.extras (an optional one may be
// missing), in order and of the entry's kind and unit, and no two amounts
// in the same series.
func checkOutcome(t *testing.T, p parser, got []providers.Balance, err error) {
	t.Helper()
	pt.CheckOutcome(t, got, err)
	if err != nil {
		if r := providers.Classify(err); r != providers.ReasonBadResponse {
			t.Fatalf("error %v is %s, want bad_response", err, r)
		}
		if len(err.Error()) > providers.MaxErrorBytes {
			t.Fatalf("error message of %d bytes", len(err.Error()))
		}
		return
	}
	if len(got) == 0 || got[0].Kind != providers.KindBalance || got[0].Unit != p.unit {
		t.Fatalf("got %+v, want the main balance in %s first", got, p.unit)
	}
	rest := got[1:]
	for i, a := range p.extras {
		if len(rest) > 0 && rest[0].Kind == a.kind && rest[0].Unit == a.unit {
			rest = rest[1:]
			continue
		}
		if !a.optional {
			t.Fatalf("got %+v: no amount for extra %d (%+v)", got, i, a)
		}
	}
	if len(rest) > 0 {
		t.Fatalf("got %+v: %d amounts more than the options give", got, len(rest))
	}
	for i := range got {
		for j := 0; j < i; j++ {
			if got[i].Kind == got[j].Kind && got[i].Unit == got[j].Unit && got[i].Currency == got[j].Currency {
				t.Fatalf("got %+v: amounts %d and %d make the same series", got, j, i)
			}
		}
	}
}

func fuzzParse(t *testing.T, format, ctype string, body []byte, path string) {
	segs, err := splitPath(format, path)
	if err != nil {
		return
	}
	resp := &providers.Response{Op: "GET /x", Status: 200, Header: http.Header{"Content-Type": {ctype}}, Body: body}
	extra := func(i int, unit string, kind providers.Kind, currency bool, optional bool) amount {
		a := amount{key: fmt.Sprintf("extra_balances[%d].path", i), currencyKey: fmt.Sprintf("extra_balances[%d].currency_path", i),
			kind: kind, unit: unit, path: segs, pathText: path, optional: optional}
		if currency {
			a.currency, a.currencyText = segs, path
		}
		return a
	}
	for _, p := range []parser{
		{format: format, unit: providers.UnitCurrency, balance: segs, balanceText: path},
		{format: format, unit: providers.UnitCredits, balance: segs, balanceText: path},
		{format: format, unit: providers.UnitCurrency, balance: segs, balanceText: path, currency: segs, currencyText: path,
			errorPath: segs, errorText: path, errorValue: "ERROR"},
		// The same value read again as other amounts: as credits, as a
		// credit limit, with its currency in it, optionally.
		{format: format, unit: providers.UnitCurrency, balance: segs, balanceText: path,
			extras: []amount{extra(0, providers.UnitCredits, providers.KindBalance, false, false)}},
		{format: format, unit: providers.UnitCredits, balance: segs, balanceText: path, extras: []amount{
			extra(0, providers.UnitCurrency, providers.KindCreditLimit, true, true),
			extra(1, providers.UnitCredits, providers.KindCreditLimit, false, true),
			extra(2, providers.UnitCurrency, providers.KindBalance, false, true),
		}},
		// Two amounts whose currencies only the answer tells: a clash is
		// an error naming both paths.
		{format: format, unit: providers.UnitCurrency, balance: segs, balanceText: path,
			extras: []amount{extra(0, providers.UnitCurrency, providers.KindBalance, true, false)}},
	} {
		got, err := parse(resp, p)
		checkOutcome(t, p, got, err)
	}
}

func FuzzJSONPath(f *testing.F) {
	f.Add([]byte(`{"user":"Jane","balance":2500.75,"currency":"NGN"}`), "balance")
	f.Add([]byte(`{"status":"success","data":{"sms_balance":"1,234","main_balance":"GHS 0.2"}}`), "data.main_balance")
	f.Add([]byte(`{"data":{"wallets":[{"amount":1},{"amount":"2.5"}]}}`), "data.wallets.1.amount")
	f.Add([]byte(`[[0],[1e999]]`), "1.0")
	f.Add([]byte(`{"balance":null}`), "balance")
	f.Add([]byte(`{"data":{"balance":"300.00","credit_limit":"100.00","currency":"USD"}}`), "data.currency")
	f.Add([]byte(`{"b":"GHS 1"}`), "b")
	f.Add([]byte(`{"b":""}`), "b")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if segs, err := splitPath(FormatJSON, path); err == nil {
			if doc, err := decodeJSON(body); err == nil {
				if v, err := lookupJSON(doc.v, segs); err == nil {
					_ = describeJSON(v)
				} else if len(err.Error()) > 1024 {
					t.Fatalf("lookup error of %d bytes", len(err.Error()))
				}
			}
		}
		fuzzParse(t, FormatJSON, "application/json", body, path)
	})
}

func FuzzXMLPath(f *testing.F) {
	f.Add([]byte(`<?xml version="1.0"?><response><data><balance currency="NGN">12.50</balance></data></response>`), "response/data/balance")
	f.Add([]byte(`<r><b cur="KES">KES 1</b></r>`), "/r/b/@cur")
	f.Add([]byte(`<s:E xmlns:s="urn:s"><s:B>0.2 GHS</s:B></s:E>`), "E/B")
	f.Add([]byte("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r>\xe9</r>"), "r")
	f.Add([]byte(`<r><b><c/></b></r>`), "r/b")
	f.Add([]byte(`<r><b>USD</b></r>`), "r/b")
	f.Add([]byte(`<r><b/></r>`), "r/b")
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		if segs, err := splitPath(FormatXML, path); err == nil {
			if root, err := decodeXML(body); err == nil {
				_, _ = lookupXML(root, segs)
			}
		}
		fuzzParse(t, FormatXML, "text/xml", body, path)
	})
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"KES 1785.50", "0.2 GHS", "1,234,567.89", "-0", "lots", "1e999", "NaN", " 12 ", "GHS -1,000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, code, err := parseAmount(s)
		if err != nil {
			if len(err.Error()) > 512 {
				t.Fatalf("error of %d bytes", len(err.Error()))
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("parseAmount(%q) = %v", s, v)
		}
		if code != "" {
			if c, ok := providers.NormalizeCurrency(code); !ok || c != code {
				t.Fatalf("parseAmount(%q) code %q", s, code)
			}
		}
		if pv, pc, perr := providers.ParseMoney(s); perr == nil && (pv != v || pc != code) {
			t.Fatalf("parseAmount(%q) = %v %q, ParseMoney = %v %q", s, v, code, pv, pc)
		}
		p := parser{format: FormatText, unit: providers.UnitCurrency}
		got, err := parse(&providers.Response{Op: "GET /x", Status: 200, Body: []byte(s)}, p)
		checkOutcome(t, p, got, err)
	})
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{
		"https://api.ng.termii.com/api/get-balance?api_key={{ .Credentials.api_key }}",
		`https://x/{{ .Credentials.k | urlquery }}{{ if .Credentials.x }}&x={{ printf "%s-%03d" .Credentials.x 7 }}{{ end }}`,
		`{{ with $k := index .Credentials "api_key" }}https://x/?k={{ js $k }}{{ else }}https://y/{{ end }}`,
		`{{ range 3 }}x{{ end }}`,
		`{"key":"{{ .Credentials.api_key }}","n":{{ len .Credentials }}}`,
	} {
		f.Add(s)
	}
	creds := map[string]string{"api_key": "fuzz-secret-key-1234", "k": "v&w", "x": ""}
	names := []string{"api_key", "k", "x"}
	f.Fuzz(func(t *testing.T, text string) {
		o := NewOptions()
		o.URL, o.BalancePath = text, "balance"
		if err := o.Validate(); err == nil {
			_ = o.CheckCredentials(names)
		} else if providers.FieldOf(err) != "url" {
			t.Fatalf("Validate error %v names %q, want url", err, providers.FieldOf(err))
		}
		o = NewOptions()
		o.URL, o.BalancePath, o.Method = "https://api.example.com/balance", "balance", "POST"
		o.Headers = map[string]string{"X-Key": text}
		o.Body = text
		if err := o.Validate(); err != nil {
			if f := providers.FieldOf(err); f != "headers.X-Key" && f != "body" {
				t.Fatalf("Validate error %v names %q", err, f)
			}
			return
		}
		err := o.CheckCredentials(names)
		if err != nil {
			return
		}
		c, err := New(providers.Settings{Options: o, Credentials: creds})
		if err != nil {
			t.Fatalf("New after CheckCredentials: %v", err)
		}
		req, err := c.newRequest(context.Background())
		if err != nil {
			if strings.Contains(err.Error(), creds["api_key"]) {
				t.Fatalf("error %v holds the credential", err)
			}
			return
		}
		if req.Method != http.MethodPost {
			t.Fatalf("method %s", req.Method)
		}
	})
}

// TestParseErrorsAreBounded: text of any length in an answer gives an error
// of at most providers.MaxErrorBytes, whatever part of the parsing refuses it
// (the XML decoder's own errors quote element names and entities).
func TestParseErrorsAreBounded(t *testing.T) {
	long := strings.Repeat("n", 16<<10)
	for _, tc := range []struct{ name, format, body, path, extra string }{
		{"xml end tag mismatch", FormatXML, "<r><" + long + "></r>", "r/b", ""},
		{"xml unknown entity", FormatXML, "<r>&" + long + ";</r>", "r", ""},
		{"xml bad attribute", FormatXML, "<r " + long + "></r>", "r", ""},
		{"xml unclosed tag name", FormatXML, "<r></" + long, "r", ""},
		{"xml root mismatch", FormatXML, "<" + long + "/>", "r", ""},
		{"json long key", FormatJSON, `{"` + long + `":1}`, "balance", ""},
		{"json long string", FormatJSON, `{"balance":"` + long + `"}`, "balance", ""},
		{"json bad literal", FormatJSON, `{"balance":` + long + `}`, "balance", ""},
		{"extra long string", FormatJSON, `{"balance":1,"sms":"` + long + `"}`, "balance", "sms"},
		{"extra long key", FormatJSON, `{"balance":1,"` + long + `":{}}`, "balance", long[:maxPathBytes/2] + "." + long[:maxPathBytes/2-1]},
		{"extra long paths clash", FormatJSON, `{"` + long[:maxPathBytes] + `":"GHS 1","` + long[:maxPathBytes-1] + `":"GHS 2"}`, long[:maxPathBytes], long[:maxPathBytes-1]},
		{"extra xml long element", FormatXML, "<r><b>1</b><" + long + ">x</" + long + "></r>", "r/b", "r/" + long[:maxPathBytes-2]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			segs, err := splitPath(tc.format, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			p := parser{format: tc.format, unit: providers.UnitCurrency, balance: segs, balanceText: tc.path}
			if tc.extra != "" {
				extra, err := splitPath(tc.format, tc.extra)
				if err != nil {
					t.Fatal(err)
				}
				p.extras = []amount{{key: "extra_balances[0].path", unit: providers.UnitCurrency, path: extra, pathText: tc.extra}}
			}
			resp := &providers.Response{Op: "GET /x", Status: 200, Body: []byte(tc.body)}
			_, err = parse(resp, p)
			if err == nil {
				t.Fatal("parsed")
			}
			if n := len(err.Error()); n > providers.MaxErrorBytes {
				t.Fatalf("error message of %d bytes (limit %d): %.200s…", n, providers.MaxErrorBytes, err)
			}
		})
	}
}
