package messagebird

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

const accessKey = "mb-live-access-key-8d21c0"

// Documented bodies.
const (
	docBalance      = `{"payment":"prepaid","type":"euros","amount":103}`
	docUnauthorized = `{"errors":[{"code":2,"description":"Request not allowed (incorrect access_key)","parameter":"access_key"}]}`
)

func jsonAnswer(status int, body string) pt.Answer {
	return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance { return providers.Money(v, cur) }
	cases := []pt.Case{
		{Name: "documented 200 euros", Handler: pt.JSON(docBalance), Want: money(103, "EUR")},
		{Name: "pounds", Handler: pt.JSON(`{"payment":"prepaid","type":"pounds","amount":12.5}`), Want: money(12.5, "GBP")},
		{Name: "dollars", Handler: pt.JSON(`{"payment":"postpaid","type":"dollars","amount":-3.25}`), Want: money(-3.25, "USD")},
		{Name: "credits", Handler: pt.JSON(`{"payment":"prepaid","type":"credits","amount":2500}`), Want: providers.Credits(2500)},
		{Name: "ISO code", Handler: pt.JSON(`{"payment":"prepaid","type":"CHF","amount":7}`), Want: money(7, "CHF")},
		{Name: "lower-case ISO code", Handler: pt.JSON(`{"payment":"prepaid","type":"sek","amount":7}`), Want: money(7, "SEK")},
		{Name: "capitalised word", Handler: pt.JSON(`{"payment":"prepaid","type":"Euros","amount":1}`), Want: money(1, "EUR")},
		{Name: "string amount", Handler: pt.JSON(`{"payment":"prepaid","type":"euros","amount":"103.40"}`), Want: money(103.4, "EUR")},
		{Name: "zero", Handler: pt.JSON(`{"payment":"prepaid","type":"credits","amount":0}`), Want: providers.Credits(0)},
		{Name: "documented 401", Handler: jsonAnswer(401, docUnauthorized),
			WantReason: providers.ReasonAuth, WantErr: "code 2: Request not allowed (incorrect access_key)"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "HTTP 401 with an empty body"},
		// A refusal in another shape is quoted (redacted and bounded).
		{Name: "401 plain text", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Unauthorized\n"},
			WantReason: providers.ReasonAuth, WantErr: `access key rejected: HTTP 401 with body "Unauthorized"`},
		{Name: "403 plain text", Handler: pt.Answer{Status: 403, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Forbidden"},
			WantReason: providers.ReasonAuth, WantErr: `HTTP 403 with body "Forbidden"`},
		{Name: "401 other JSON", Handler: jsonAnswer(401, `{"message":"Unauthorized"}`),
			WantReason: providers.ReasonAuth, WantErr: `HTTP 401 with body "{\"message\":\"Unauthorized\"}"`},
		{Name: "401 empty errors", Handler: jsonAnswer(401, `{"errors":[]}`), WantReason: providers.ReasonAuth, WantErr: `HTTP 401 with body "{\"errors\":[]}"`},
		{Name: "401 empty error entry", Handler: jsonAnswer(401, `{"errors":[{}]}`), WantReason: providers.ReasonAuth, WantErr: `HTTP 401 with body "{\"errors\":[{}]}"`},
		{Name: "401 description without code", Handler: jsonAnswer(401, `{"errors":[{"description":"Request not allowed"}]}`),
			WantReason: providers.ReasonAuth, WantErr: "HTTP 401 (Request not allowed)"},
		{Name: "200 with empty error entry", Handler: pt.JSON(`{"errors":[{"code":null}]}`),
			WantReason: providers.ReasonBadResponse, WantErr: `got an error with body "{\"errors\":[{\"code\":null}]}"`},
		{Name: "401 plain text echoing the key", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Bad key " + accessKey},
			WantReason: providers.ReasonAuth, WantErr: `with body "Bad key <secret>"`},
		{Name: "401 plain text 10KB", Handler: pt.Answer{Status: 401, Header: map[string]string{"Content-Type": "text/plain"}, Body: strings.Repeat("Unauthorized ", 800)},
			WantReason: providers.ReasonAuth, WantErr: "…"},
		// Bodies echoing the key [guess]: the error shows <secret>.
		{Name: "401 description echoing the key", Handler: jsonAnswer(401, `{"errors":[{"code":2,"description":"Request not allowed (incorrect access_key `+accessKey+`)"}]}`),
			WantReason: providers.ReasonAuth, WantErr: "(code 2: Request not allowed (incorrect access_key <secret>))"},
		{Name: "no type echoing the key", Handler: pt.JSON(`{"access_key":"` + accessKey + `","amount":1}`),
			WantReason: providers.ReasonBadResponse, WantErr: `{\"access_key\":\"<secret>\",\"amount\":1}`},
		{Name: "403 string code", Handler: jsonAnswer(403, `{"errors":[{"code":"2","description":"Request not allowed"}]}`),
			WantReason: providers.ReasonAuth, WantErr: "code 2"},
		{Name: "200 with error code 2", Handler: pt.JSON(docUnauthorized), WantReason: providers.ReasonAuth},
		{Name: "200 with other error", Handler: pt.JSON(`{"errors":[{"code":99,"description":"Internal error"}]}`),
			WantReason: providers.ReasonBadResponse, WantErr: "Internal error"},
		{Name: "404", Handler: jsonAnswer(404, `{"errors":[{"code":20,"description":"resource not found"}]}`),
			WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
		{Name: "no type", Handler: pt.JSON(`{"payment":"prepaid","amount":1}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"type"`},
		{Name: "no amount", Handler: pt.JSON(`{"payment":"prepaid","type":"euros"}`), WantReason: providers.ReasonBadResponse},
		{Name: "null amount", Handler: pt.JSON(`{"payment":"prepaid","type":"euros","amount":null}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric amount", Handler: pt.JSON(`{"payment":"prepaid","type":"euros","amount":"lots"}`), WantReason: providers.ReasonBadResponse},
		{Name: "unknown type word", Handler: pt.JSON(`{"payment":"prepaid","type":"francs","amount":1}`), WantReason: providers.ReasonBadResponse, WantErr: "francs"},
		// Junk where a currency should be.
		{Name: "currency label", Handler: pt.JSON(`{"payment":"prepaid","type":"US Dollar","amount":1}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency 10KB", Handler: pt.JSON(`{"payment":"prepaid","type":"` + strings.Repeat("E", 10<<10) + `","amount":1}`),
			WantReason: providers.ReasonBadResponse, WantErr: "…"},
		{Name: "currency with newline", Handler: pt.JSON(`{"payment":"prepaid","type":"EU\nR","amount":1}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency empty", Handler: pt.JSON(`{"payment":"prepaid","type":"","amount":1}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"access_key": accessKey}
	want := pt.Request{NoQuery: true, Method: http.MethodGet, Path: "/balance",
		Header: map[string]string{"Authorization": "AccessKey " + accessKey, "Accept": "application/json"}}
	pt.Run(t, cases, creds, want, func(s providers.Settings) providers.Provider { return New(s) })
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFakeTypes runs the client against the fake for each kind of wallet.
func TestFakeTypes(t *testing.T) {
	cases := []struct {
		wallet providers.Wallet
		want   providers.Balance
	}{
		{providers.Wallet{Balance: 10, Currency: "EUR"}, providers.Money(10, "EUR")},
		{providers.Wallet{Balance: 11, Currency: "GBP"}, providers.Money(11, "GBP")},
		{providers.Wallet{Balance: 12, Currency: "USD"}, providers.Money(12, "USD")},
		{providers.Wallet{Balance: 13, Currency: "nok"}, providers.Money(13, "NOK")},
		{providers.Wallet{Balance: 14, Currency: "EUR", Credits: true}, providers.Credits(14)},
	}
	sim := simulator.New([]providers.Spec{Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	for i, c := range cases {
		creds := map[string]string{"access_key": fmt.Sprintf("mb-fake-access-key-%02d", i)}
		sim.Add(Spec.ID, creds, c.wallet)
		p := New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, Spec.ID), Credentials: creds, Client: srv.Client()})
		got, err := p.Balances(context.Background())
		if err != nil || !reflect.DeepEqual(got, []providers.Balance{c.want}) {
			t.Errorf("wallet %+v: Balances() = %+v, %v; want %+v", c.wallet, got, err, c.want)
		}
	}
}

// TestFakeRoutes checks that the fake refuses what the real API refuses.
func TestFakeRoutes(t *testing.T) {
	f := &Fake{}
	f.AddAccount(map[string]string{"access_key": accessKey}, &providers.Wallet{Balance: 1, Currency: "EUR"})
	for _, c := range []struct {
		method, path, auth string
		want               int
	}{
		{http.MethodGet, "/balance", "AccessKey " + accessKey, 200},
		{http.MethodPost, "/balance", "AccessKey " + accessKey, 405},
		{http.MethodGet, "/balances", "AccessKey " + accessKey, 404},
		{http.MethodGet, "/balance", "Bearer " + accessKey, 401},
		{http.MethodGet, "/balance", "", 401},
	} {
		r := httptest.NewRequest(c.method, c.path, nil)
		if c.auth != "" {
			r.Header.Set("Authorization", c.auth)
		}
		w := httptest.NewRecorder()
		f.ServeHTTP(w, r)
		if w.Code != c.want {
			t.Errorf("%s %s (%q) = %d, want %d", c.method, c.path, c.auth, w.Code, c.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(docBalance))
	f.Add(200, "application/json", []byte(`{"payment":"prepaid","type":"credits","amount":"12"}`))
	f.Add(401, "application/json", []byte(docUnauthorized))
	f.Add(200, "application/json", []byte(`{"errors":[{"code":"2"}]}`))
	f.Add(200, "application/json", []byte(`{"type":"US Dollar","amount":1e400}`))
	f.Add(500, "text/html", []byte(`<html>oops</html>`))
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /balance", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		got, err := parse(resp)
		pt.CheckParsed(t, status, got, err)
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
	if err != nil || len(got) != 1 || got[0].Currency != "EUR" || got[0].Value <= 0 || got[0].Value > 103 {
		t.Fatalf("Balances() = %+v, %v; want up to EUR 103", got, err)
	}
}
