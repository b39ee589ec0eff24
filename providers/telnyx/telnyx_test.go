package telnyx

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

const apiKey = "KEY0188a1b2c3d4e5f6_telnyxTestSecret"

// The documented answer, and the guessed refusal.
const (
	docBalance      = `{"data":{"record_type":"balance","pending":"10.00","balance":"300.00","credit_limit":"100.00","available_credit":"400.00","currency":"USD"}}`
	guessedAuthBody = `{"errors":[{"code":"10009","title":"Authentication failed","detail":"Could not understand the provided credentials."}]}`
)

func TestBalances(t *testing.T) {
	usd := func(v float64) providers.Balance { return providers.Money(v, "USD") }
	limit := func(v float64, cur string) providers.Balance {
		return providers.Balance{Kind: providers.KindCreditLimit, Value: v, Unit: providers.UnitCurrency, Currency: cur}
	}
	jsonAnswer := func(status int, body string) pt.Answer {
		return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
	}
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON(docBalance), WantAll: []providers.Balance{usd(300), limit(100, "USD")}},
		{Name: "numbers", Handler: pt.JSON(`{"data":{"balance":12.5,"credit_limit":0,"currency":"EUR"}}`),
			WantAll: []providers.Balance{providers.Money(12.5, "EUR"), limit(0, "EUR")}},
		{Name: "lower-case currency", Handler: pt.JSON(`{"data":{"balance":"-4.10","credit_limit":"50.00","currency":"gbp"}}`),
			WantAll: []providers.Balance{providers.Money(-4.1, "GBP"), limit(50, "GBP")}},
		{Name: "credit_limit absent", Handler: pt.JSON(`{"data":{"record_type":"balance","balance":"300.00","currency":"USD"}}`), Want: usd(300)},
		{Name: "credit_limit null", Handler: pt.JSON(`{"data":{"balance":"300.00","credit_limit":null,"currency":"USD"}}`), Want: usd(300)},
		{Name: "currency absent: account currency", Handler: pt.JSON(`{"data":{"balance":"1.00","credit_limit":"2.00"}}`),
			WantAll: []providers.Balance{providers.Money(1, "CAD"), limit(2, "CAD")}},
		{Name: "currency null: account currency", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":null}}`), Want: providers.Money(1, "CAD")},
		{Name: "currency empty: account currency", Handler: pt.JSON(`{"data":{"balance":"1.00","credit_limit":"2.00","currency":""}}`),
			WantAll: []providers.Balance{providers.Money(1, "CAD"), limit(2, "CAD")}},
		{Name: "currency blank: account currency", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":" "}}`), Want: providers.Money(1, "CAD")},
		{Name: "guessed 401", Handler: jsonAnswer(401, guessedAuthBody), WantReason: providers.ReasonAuth, WantErr: "10009: Authentication failed"},
		{Name: "401 numeric code", Handler: jsonAnswer(401, `{"errors":[{"code":10009,"title":"Authentication failed"}]}`), WantReason: providers.ReasonAuth, WantErr: "10009"},
		// A refusal in another shape is quoted (redacted and bounded).
		{Name: "401 other JSON", Handler: jsonAnswer(401, `{"message":"Unauthorized"}`), WantReason: providers.ReasonAuth,
			WantErr: `HTTP 401 with body "{\"message\":\"Unauthorized\"}"`},
		{Name: "401 empty errors", Handler: jsonAnswer(401, `{"errors":[]}`), WantReason: providers.ReasonAuth, WantErr: `HTTP 401 with body "{\"errors\":[]}"`},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401 with an empty body"},
		{Name: "401 plain text", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Unauthorized"},
			WantReason: providers.ReasonAuth, WantErr: `API key rejected: HTTP 401 with body "Unauthorized"`},
		{Name: "403 plain text", Handler: pt.Answer{Status: 403, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Forbidden: IP not allowed\n"},
			WantReason: providers.ReasonAuth, WantErr: `HTTP 403 with body "Forbidden: IP not allowed"`},
		{Name: "401 plain text echoing the key", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Bad key " + apiKey},
			WantReason: providers.ReasonAuth, WantErr: `with body "Bad key <secret>"`},
		{Name: "401 plain text 10KB", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: strings.Repeat("Unauthorized ", 800)},
			WantReason: providers.ReasonAuth, WantErr: "…"},
		// Bodies echoing the key [guess]: the error shows <secret>.
		{Name: "401 title echoing the key", Handler: jsonAnswer(401, `{"errors":[{"code":"10009","title":"Unknown API key `+apiKey+`"}]}`),
			WantReason: providers.ReasonAuth, WantErr: "(10009: Unknown API key <secret>)"},
		{Name: "no data echoing the key", Handler: pt.JSON(`{"api_key":"` + apiKey + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `{\"api_key\":\"<secret>\"}`},
		{Name: "403 errors", Handler: jsonAnswer(403, `{"errors":[{"code":"10010","title":"Authorization failed"}]}`), WantReason: providers.ReasonAuth, WantErr: "Authorization failed"},
		{Name: "404", Handler: jsonAnswer(404, `{"errors":[{"code":"10005","title":"Resource not found"}]}`), WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "no data", Handler: pt.JSON(`{"balance":"300.00"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"data"`},
		{Name: "errors with 200", Handler: pt.JSON(guessedAuthBody), WantReason: providers.ReasonBadResponse},
		{Name: "no balance", Handler: pt.JSON(`{"data":{"credit_limit":"1.00","currency":"USD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "null balance", Handler: pt.JSON(`{"data":{"balance":null,"currency":"USD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"data":{"balance":"lots","currency":"USD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric credit_limit", Handler: pt.JSON(`{"data":{"balance":"1","credit_limit":"none","currency":"USD"}}`), WantReason: providers.ReasonBadResponse},
		// Junk where a currency should be.
		{Name: "currency label", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":"US Dollar"}}`), WantReason: providers.ReasonBadResponse, WantErr: "US Dollar"},
		{Name: "currency 10KB", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":"` + strings.Repeat("U", 10<<10) + `"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "…"},
		{Name: "currency with newline", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":"US\nD"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency number", Handler: pt.JSON(`{"data":{"balance":"1.00","currency":840}}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"api_key": apiKey}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/v2/balance",
		Header: map[string]string{"Authorization": "Bearer " + apiKey, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "CAD"
		return New(s)
	})
}

// TestCurrencyFallback checks that an empty data.currency is read like an
// absent one: the account's `currency:`, else no currency.
func TestCurrencyFallback(t *testing.T) {
	for _, c := range []struct {
		name, body, account, want string
	}{
		{"absent, account CAD", `{"data":{"balance":"1.00"}}`, "CAD", "CAD"},
		{"empty, account CAD", `{"data":{"balance":"1.00","currency":""}}`, "CAD", "CAD"},
		{"absent, no account currency", `{"data":{"balance":"1.00"}}`, "", ""},
		{"null, no account currency", `{"data":{"balance":"1.00","currency":null}}`, "", ""},
		{"empty, no account currency", `{"data":{"balance":"1.00","currency":""}}`, "", ""},
		{"USD, account CAD", `{"data":{"balance":"1.00","currency":"USD"}}`, "CAD", "USD"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(pt.JSON(c.body))
			defer srv.Close()
			s := pt.Settings(srv, map[string]string{"api_key": apiKey})
			s.Currency = c.account
			got, err := New(s).Balances(t.Context())
			if want := []providers.Balance{providers.Money(1, c.want)}; err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Balances() = %+v, %v; want %+v", got, err, want)
			}
		})
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFakeCreditLimit checks the fake's credit limit and currency through
// the real client.
func TestFakeCreditLimit(t *testing.T) {
	sim := simulator.New([]providers.Spec{Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	creds := map[string]string{"api_key": apiKey}
	sim.Add(Spec.ID, creds, providers.Wallet{Balance: 300, Currency: "USD", CreditLimit: 100})
	got, err := New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, Spec.ID), Credentials: creds, Client: srv.Client()}).Balances(context.Background())
	want := []providers.Balance{providers.Money(300, "USD"), {Kind: providers.KindCreditLimit, Value: 100, Unit: providers.UnitCurrency, Currency: "USD"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Balances() = %+v, %v; want %+v", got, err, want)
	}
}

// TestFakeRoutes checks that the fake refuses what the real API refuses.
func TestFakeRoutes(t *testing.T) {
	f := &Fake{}
	f.AddAccount(map[string]string{"api_key": apiKey}, &providers.Wallet{Balance: 1, Currency: "USD"})
	for _, c := range []struct {
		method, path, auth string
		want               int
	}{
		{http.MethodGet, "/v2/balance", "Bearer " + apiKey, 200},
		{http.MethodPost, "/v2/balance", "Bearer " + apiKey, 405},
		{http.MethodGet, "/v1/balance", "Bearer " + apiKey, 404},
		{http.MethodGet, "/v2/balance", "Bearer wrong-" + apiKey, 401},
		{http.MethodGet, "/v2/balance", apiKey, 401},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		r.Header.Set("Authorization", c.auth)
		w := httptest.NewRecorder()
		f.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s %s (%q) = %d, want %d", c.method, c.path, c.auth, w.Code, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(docBalance))
	f.Add(200, "application/json", []byte(`{"data":{"balance":1,"credit_limit":null}}`))
	f.Add(401, "application/json", []byte(guessedAuthBody))
	f.Add(200, "application/json", []byte(`{"data":{"balance":"1e400","currency":"US Dollar"}}`))
	f.Add(200, "text/html", []byte(`<html>login</html>`))
	f.Add(429, "", []byte(nil))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /v2/balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp, "")
		pt.CheckParsed(t, status, got, err)
		if err == nil && len(got) > 1 && (got[1].Kind != providers.KindCreditLimit || got[1].Unit != got[0].Unit || got[1].Currency != got[0].Currency) {
			t.Fatalf("second amount %+v is not a credit limit in the unit of the balance %+v", got[1], got[0])
		}
	})
}

// TestDemo checks the demo wallet through the simulator.
func TestDemo(t *testing.T) {
	sim := simulator.Demo([]providers.Spec{Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	got, err := New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, Spec.ID), Credentials: simulator.DemoCredentials(Spec), Client: srv.Client()}).
		Balances(context.Background())
	if err != nil || len(got) != 2 || got[0].Currency != "USD" || got[0].Value <= 0 || got[0].Value > 300 ||
		got[1] != (providers.Balance{Kind: providers.KindCreditLimit, Value: 100, Unit: providers.UnitCurrency, Currency: "USD"}) {
		t.Fatalf("Balances() = %+v, %v; want up to USD 300 and a USD 100 credit limit", got, err)
	}
}
