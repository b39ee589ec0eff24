package africastalking

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

const (
	username = "acme-notifications-ke"
	apiKey   = "atsk_0a1b2c3d4e5f60718293a4b5c6d7e8f9"
)

// Documented bodies.
const (
	docBalance = `{"UserData":{"balance":"KES 1785.50"}}`
	docAuth    = "The supplied authentication is invalid"
)

func TestBalances(t *testing.T) {
	kes := func(v float64) providers.Balance { return providers.Money(v, "KES") }
	plain := func(status int, body string) pt.Answer {
		return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "text/plain"}, Body: body}
	}
	jsonAnswer := func(status int, body string) pt.Answer {
		return pt.Answer{Status: status, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
	}
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON(docBalance), Want: kes(1785.5)},
		{Name: "userData lower case", Handler: pt.JSON(`{"userData":{"balance":"KES 12.00"}}`), Want: kes(12)},
		{Name: "other currency", Handler: pt.JSON(`{"UserData":{"balance":"UGX 50000.0000"}}`), Want: providers.Money(50000, "UGX")},
		{Name: "lower-case code after amount", Handler: pt.JSON(`{"UserData":{"balance":"0.50 ngn"}}`), Want: providers.Money(0.5, "NGN")},
		{Name: "no code: account currency", Handler: pt.JSON(`{"UserData":{"balance":"99.5"}}`), Want: providers.Money(99.5, "TZS")},
		{Name: "bare number: account currency", Handler: pt.JSON(`{"UserData":{"balance":7}}`), Want: providers.Money(7, "TZS")},
		{Name: "negative", Handler: pt.JSON(`{"UserData":{"balance":"KES -3.20"}}`), Want: kes(-3.2)},
		{Name: "documented 401 plain text", Handler: plain(401, docAuth), WantReason: providers.ReasonAuth, WantErr: docAuth},
		{Name: "401 JSON", Handler: jsonAnswer(401, `{"errorMessage":"The supplied authentication is invalid"}`), WantReason: providers.ReasonAuth, WantErr: "HTTP 401"},
		{Name: "401 empty", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "empty body"},
		{Name: "403", Handler: plain(403, "Forbidden"), WantReason: providers.ReasonAuth},
		{Name: "401 echoing the username", Handler: plain(401, "Invalid username "+username), WantReason: providers.ReasonAuth, WantErr: `"Invalid username <secret>"`},
		{Name: "400 echoing the username", Handler: plain(400, "Unknown user "+username), WantReason: providers.ReasonHTTPStatus, WantErr: `"Unknown user <secret>"`},
		{Name: "garbage echoing the key", Handler: pt.JSON("apiKey=" + apiKey), WantReason: providers.ReasonBadResponse, WantErr: `"apiKey=<secret>"`},
		{Name: "balance echoing the username", Handler: pt.JSON(`{"UserData":{"balance":"` + username + `"}}`), WantReason: providers.ReasonBadResponse, WantErr: `got "<secret>"`},
		{Name: "object balance echoing the key", Handler: pt.JSON(`{"UserData":{"balance":{"key":"` + apiKey + `"}}}`), WantReason: providers.ReasonBadResponse, WantErr: `\"key\":\"<secret>\"`},
		{Name: "XML answer", Handler: pt.Answer{Status: 200, Header: map[string]string{"Content-Type": "application/xml"},
			Body: `<AfricasTalkingResponse><UserData><balance>KES 1785.50</balance></UserData></AfricasTalkingResponse>`},
			WantReason: providers.ReasonBadResponse, WantErr: "application/xml"},
		{Name: "no UserData", Handler: pt.JSON(`{"SMSMessageData":{}}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"UserData"`},
		{Name: "no balance", Handler: pt.JSON(`{"UserData":{}}`), WantReason: providers.ReasonBadResponse},
		{Name: "null balance", Handler: pt.JSON(`{"UserData":{"balance":null}}`), WantReason: providers.ReasonBadResponse},
		{Name: "object balance", Handler: pt.JSON(`{"UserData":{"balance":{"KES":1}}}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"UserData":{"balance":"KES lots"}}`), WantReason: providers.ReasonBadResponse, WantErr: "KES lots"},
		{Name: "empty balance", Handler: pt.JSON(`{"UserData":{"balance":""}}`), WantReason: providers.ReasonBadResponse},
		// Junk where a currency should be.
		{Name: "currency label", Handler: pt.JSON(`{"UserData":{"balance":"US Dollar 12.00"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency 10KB", Handler: pt.JSON(`{"UserData":{"balance":"` + strings.Repeat("K", 10<<10) + ` 1.00"}}`),
			WantReason: providers.ReasonBadResponse, WantErr: "…"},
		{Name: "currency with newline", Handler: pt.JSON(`{"UserData":{"balance":"K\nES 1.00"}}`), WantReason: providers.ReasonBadResponse},
		{Name: "currency of digits", Handler: pt.JSON(`{"UserData":{"balance":"404 1.00"}}`), WantReason: providers.ReasonBadResponse},
	}
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"username": username, "api_key": apiKey}
	want := pt.Request{Method: http.MethodGet, Path: "/version1/user", Query: map[string]string{"username": username},
		Header: map[string]string{"apiKey": apiKey, "Accept": "application/json"}}
	pt.Run(t, onlyUsername(t, cases), creds, want, func(s providers.Settings) providers.Provider {
		s.Currency = "TZS"
		s.Options = &Options{Sandbox: true} // an explicit base_url wins
		p, err := New(s)
		if err != nil {
			panic(err) // build has no t; New fails only on options of another type
		}
		return p
	})
}

// onlyUsername adds to each case's handler the check pt.Request cannot
// make: the query holds the username once and nothing else. It reports on
// t, the test around the cases.
func onlyUsername(t *testing.T, cases []pt.Case) []pt.Case {
	for i, c := range cases {
		cases[i].Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if got := r.URL.Query(); !reflect.DeepEqual(got, url.Values{"username": {username}}) {
				t.Errorf("%s: query = %v", c.Name, got)
			}
			c.Handler.ServeHTTP(w, r)
		})
	}
	return cases
}

// TestUsernameEscaped checks that the username is query-encoded.
func TestUsernameEscaped(t *testing.T) {
	const odd = "acme & co=ke?#x"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query()["username"]; len(got) != 1 || got[0] != odd {
			t.Errorf("username = %q, want %q", got, odd)
		}
		pt.JSON(docBalance).ServeHTTP(w, r)
	}))
	defer srv.Close()
	p, err := New(pt.Settings(srv, map[string]string{"username": odd, "api_key": apiKey}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Balances(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestBaseURL(t *testing.T) {
	cases := []struct {
		name, configured string
		opts             *Options
		want             string
	}{
		{"no options", DefaultBaseURL, nil, DefaultBaseURL},
		{"live", DefaultBaseURL, &Options{}, DefaultBaseURL},
		{"sandbox", DefaultBaseURL, &Options{Sandbox: true}, SandboxBaseURL},
		{"sandbox, default with slash", DefaultBaseURL + "/", &Options{Sandbox: true}, SandboxBaseURL},
		{"sandbox, no base_url", "", &Options{Sandbox: true}, SandboxBaseURL},
		{"live, no base_url", "", &Options{}, DefaultBaseURL},
		{"explicit base_url wins", "https://proxy.example.com/at", &Options{Sandbox: true}, "https://proxy.example.com/at"},
		{"explicit sandbox", SandboxBaseURL, &Options{}, SandboxBaseURL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := baseURL(c.configured, c.opts); got != c.want {
				t.Errorf("baseURL(%q, %+v) = %q, want %q", c.configured, c.opts, got, c.want)
			}
			var opts providers.Options
			if c.opts != nil {
				opts = c.opts
			}
			cl, err := New(providers.Settings{BaseURL: c.configured, Options: opts})
			if err != nil {
				t.Fatal(err)
			}
			if cl.Settings.BaseURL != c.want {
				t.Errorf("New: BaseURL = %q, want %q", cl.Settings.BaseURL, c.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	o := Spec.NewOptions()
	dec := yaml.NewDecoder(strings.NewReader("sandbox: true\n"))
	dec.KnownFields(true)
	if err := dec.Decode(o); err != nil {
		t.Fatal(err)
	}
	if got, ok := o.(*Options); !ok || !got.Sandbox {
		t.Fatalf("decoded %#v, want sandbox true", o)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if _, err := New(providers.Settings{Options: otherOptions{}}); err == nil {
		t.Fatal("New accepted options of another type")
	}
}

type otherOptions struct{}

func (otherOptions) Validate() error { return nil }

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFakeSandboxOption runs the client with `sandbox: true` against the
// fake (an explicit base_url wins).
func TestFakeSandboxOption(t *testing.T) { pt.CheckFake(t, Spec, &Options{Sandbox: true}) }

// TestFakeRoutes checks that the fake refuses what the real API refuses.
func TestFakeRoutes(t *testing.T) {
	f := &Fake{}
	f.AddAccount(map[string]string{"username": username, "api_key": apiKey}, &providers.Wallet{Balance: 1785.5, Currency: "KES"})
	for _, c := range []struct {
		method, target, key, accept string
		want                        int
		wantType, wantBody          string
	}{
		{http.MethodGet, "/version1/user?username=" + username, apiKey, "application/json", 200, "application/json", `"KES 1785.50"`},
		{http.MethodGet, "/version1/user?username=" + username, apiKey, "", 200, "application/xml", "<balance>KES 1785.50</balance>"},
		{http.MethodGet, "/version1/user?username=" + username, "wrong-key", "application/json", 401, "text/plain", docAuth},
		{http.MethodGet, "/version1/user?username=someone-else", apiKey, "application/json", 401, "text/plain", docAuth},
		{http.MethodGet, "/version1/user", apiKey, "application/json", 401, "text/plain", docAuth},
		{http.MethodPost, "/version1/user?username=" + username, apiKey, "application/json", 405, "text/plain", ""},
		{http.MethodGet, "/version1/users?username=" + username, apiKey, "application/json", 404, "text/plain", ""},
	} {
		r := httptest.NewRequest(c.method, c.target, nil)
		r.Header.Set("apiKey", c.key)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		w := httptest.NewRecorder()
		f.ServeHTTP(w, r)
		if w.Code != c.want || !strings.HasPrefix(w.Header().Get("Content-Type"), c.wantType) || !strings.Contains(w.Body.String(), c.wantBody) {
			t.Errorf("%s %s = %d %q %q, want %d %s containing %q", c.method, c.target, w.Code, w.Header().Get("Content-Type"), w.Body, c.want, c.wantType, c.wantBody)
		}
	}
}

// TestDemo checks the demo wallet through the simulator.
func TestDemo(t *testing.T) {
	sim := simulator.Demo([]providers.Spec{Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	p, err := New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, Spec.ID), Credentials: simulator.DemoCredentials(Spec), Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Balances(context.Background())
	if err != nil || len(got) != 1 || got[0].Currency != "KES" || got[0].Value <= 0 || got[0].Value > 1785.5 {
		t.Fatalf("Balances() = %+v, %v; want up to KES 1785.50", got, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(200, "application/json", []byte(docBalance))
	f.Add(200, "application/json", []byte(`{"userData":{"balance":12.5}}`))
	f.Add(401, "text/plain", []byte(docAuth))
	f.Add(200, "application/json", []byte(`{"UserData":{"balance":"US Dollar 1e400"}}`))
	f.Add(200, "application/xml", []byte(`<AfricasTalkingResponse/>`))
	f.Add(503, "", []byte(nil))
	f.Add(400, "text/plain", []byte("Unknown user "+username))
	creds := map[string]string{"username": username, "api_key": apiKey}
	c, err := New(providers.Settings{Credentials: creds})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte) {
		resp := &providers.Response{Op: "GET /version1/user", Status: status, Header: http.Header{"Content-Type": {contentType}}, Body: body}
		// What Call.Balances does with the answer: parse, then redact.
		got, err := c.Parse(resp, c.Settings)
		err = c.Settings.RedactError(err)
		pt.CheckParsed(t, status, got, err)
		for k, v := range creds {
			if run, ok := pt.Leak(fmt.Sprint(err), v); ok {
				t.Fatalf("error %q shows %q of credential %s", err, run, k)
			}
		}
	})
}
