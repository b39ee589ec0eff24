// Package providertest runs provider clients against httptest servers that
// answer as the providers' documentation shows, and holds the failure cases
// every provider must survive.
package providertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Answer is a canned HTTP answer.
type Answer struct {
	Status int
	Header map[string]string
	Body   string
}

// JSON is a 200 answer with a JSON body.
func JSON(body string) Answer {
	return Answer{Status: http.StatusOK, Header: map[string]string{"Content-Type": "application/json"}, Body: body}
}

// ServeHTTP writes the answer.
func (a Answer) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	for k, v := range a.Header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.Status)
	_, _ = w.Write([]byte(a.Body))
}

// Hang is a handler that never answers before the client gives up.
var Hang = http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })

// Case is one exchange: the server's handler for the balance call and what
// the client must make of it.
type Case struct {
	Name    string
	Handler http.Handler
	// Want is the expected (single) amount when WantReason is empty and
	// WantAll is nil.
	Want providers.Balance
	// WantAll is the expected list of amounts, when there are several.
	WantAll []providers.Balance
	// WantReason is the expected failure reason ("" for success).
	WantReason providers.Reason
	// WantErr is a substring of the expected error message.
	WantErr string
	// WantRetryAfter is the expected Retry-After of a rate_limited error.
	WantRetryAfter time.Duration
}

// CommonFailures are the answers any balance endpoint may give that the
// documentation does not promise: every provider must classify them.
func CommonFailures() []Case {
	return []Case{
		{Name: "5xx html page", Handler: Answer{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body>Bad Gateway</body></html>"},
			WantReason: providers.ReasonHTTPStatus, WantErr: "502"},
		{Name: "503 empty", Handler: Answer{Status: 503}, WantReason: providers.ReasonHTTPStatus, WantErr: "503 with an empty body"},
		{Name: "429 retry-after seconds", Handler: Answer{Status: 429, Header: map[string]string{"Retry-After": "120"}},
			WantReason: providers.ReasonRateLimited, WantRetryAfter: 120 * time.Second},
		{Name: "wrong content type", Handler: Answer{Status: 200, Header: map[string]string{"Content-Type": "text/html; charset=utf-8"}, Body: "<html>login</html>"},
			WantReason: providers.ReasonBadResponse, WantErr: "text/html"},
		{Name: "garbage", Handler: JSON("this is not json"), WantReason: providers.ReasonBadResponse},
		{Name: "truncated", Handler: JSON(`{"balance":`), WantReason: providers.ReasonBadResponse},
		{Name: "oversized", Handler: JSON(`{"balance":"1","pad":"` + strings.Repeat("x", providers.MaxBodyBytes) + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: "larger than"},
		{Name: "never answers", Handler: Hang, WantReason: providers.ReasonTimeout, WantErr: "timed out"},
	}
}

// Settings returns the settings of an account served by srv with the given
// credentials. Its client follows redirects by the providers' own policy.
func Settings(srv *httptest.Server, creds map[string]string) providers.Settings {
	client := srv.Client()
	client.CheckRedirect = providers.CheckRedirect
	return providers.Settings{Name: "test", BaseURL: srv.URL, Credentials: creds, Client: client, UserAgent: "providertest"}
}

// Check runs p.Balances with a short deadline and compares the outcome with
// c. It also checks that no run of 8 characters of a credential shows in
// the error.
func Check(t *testing.T, p providers.Provider, c Case, creds map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if c.Handler != nil && c.WantReason == providers.ReasonTimeout {
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	}
	defer cancel()
	got, err := p.Balances(ctx)
	if c.WantReason == "" {
		want := c.WantAll
		if want == nil {
			want = []providers.Balance{c.Want}
		}
		if err != nil {
			t.Fatalf("Balances() error = %v, want %+v", err, want)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Balances() = %+v, want %+v", got, want)
		}
		return
	}
	if err == nil {
		t.Fatalf("Balances() = %+v, want a %s error", got, c.WantReason)
	}
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Balances() error %T %v is not a *providers.Error", err, err)
	}
	if r := providers.Classify(err); r != c.WantReason {
		t.Errorf("reason = %s, want %s (error: %v)", r, c.WantReason, err)
	}
	if c.WantErr != "" && !strings.Contains(err.Error(), c.WantErr) {
		t.Errorf("error %q does not contain %q", err, c.WantErr)
	}
	if n := len(err.Error()); n > providers.MaxErrorBytes {
		t.Errorf("error message of %d bytes, more than providers.MaxErrorBytes", n)
	}
	if c.WantRetryAfter != 0 && providers.RetryAfter(err) != c.WantRetryAfter {
		t.Errorf("RetryAfter = %s, want %s", providers.RetryAfter(err), c.WantRetryAfter)
	}
	for k, v := range creds {
		if run, ok := Leak(err.Error(), v); ok {
			t.Errorf("error %q contains %q of credential %s", err, run, k)
		}
	}
}

// Leak reports whether text holds secret, or any run of 8 or more of its
// characters, and returns the run found.
func Leak(text, secret string) (string, bool) {
	const run = 8
	if len(secret) < run {
		return secret, secret != "" && strings.Contains(text, secret)
	}
	for i := 0; i+run <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+run]) {
			return secret[i : i+run], true
		}
	}
	return "", false
}

// CheckFake runs the provider's real client against its own simulated API
// (spec.Fake, served by the simulator) in every behaviour the simulator
// offers, and with credentials the fake does not know. opts are the
// account's options (nil for the provider's defaults); the account's
// `currency:` is EUR, the wallet's currency too (a provider whose API has a
// fixed currency may report that one).
func CheckFake(t *testing.T, spec providers.Spec, opts providers.Options) {
	t.Helper()
	if spec.Fake == nil {
		t.Fatalf("provider %s has no fake API", spec.ID)
	}
	sim := simulator.New([]providers.Spec{spec})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	t.Cleanup(sim.Close)
	if opts == nil && spec.NewOptions != nil {
		opts = spec.NewOptions()
	}
	creds := simulator.DemoCredentials(spec)
	newClient := func(creds map[string]string) providers.Provider {
		p, err := spec.New(providers.Settings{Name: "fake", BaseURL: simulator.BaseURL(srv.URL, spec.ID), Currency: "EUR",
			Credentials: creds, Options: opts, Client: srv.Client(), UserAgent: "providertest"})
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return p
	}
	behaviours := []struct {
		b    providers.Behavior
		want providers.Reason
	}{
		{providers.OK, ""},
		{providers.Reject, providers.ReasonAuth},
		{providers.Hang, providers.ReasonTimeout},
		{providers.ServerError, providers.ReasonHTTPStatus},
		{providers.RateLimit, providers.ReasonRateLimited},
		{providers.Garbage, providers.ReasonBadResponse},
	}
	for _, b := range behaviours {
		t.Run("fake/"+string(b.b), func(t *testing.T) {
			sim.Add(spec.ID, creds, providers.Wallet{Balance: 42, Currency: "EUR", Behavior: b.b})
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			got, err := newClient(creds).Balances(ctx)
			if b.want == "" {
				if err != nil || len(got) == 0 || got[0].Value != 42 || got[0].Kind != providers.KindBalance {
					t.Fatalf("Balances() = %+v, %v; want 42 first", got, err)
				}
				if got[0].Unit == providers.UnitCurrency && len(got[0].Currency) != 3 {
					t.Fatalf("Balances() = %+v, want a currency code", got)
				}
				return
			}
			if r := providers.Classify(err); r != b.want {
				t.Fatalf("Balances() error %v classified %s, want %s", err, r, b.want)
			}
		})
	}
	t.Run("fake/unknown credentials", func(t *testing.T) {
		other := map[string]string{}
		for k, v := range creds {
			other[k] = v + "-wrong"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_, err := newClient(other).Balances(ctx)
		if r := providers.Classify(err); r != providers.ReasonAuth {
			t.Fatalf("unknown credentials: error %v classified %s, want auth", err, r)
		}
	})
}

// CheckParsed is CheckOutcome for the parsing of an answer with HTTP
// status: a status outside 2xx is never a success.
func CheckParsed(t *testing.T, status int, got []providers.Balance, err error) {
	t.Helper()
	CheckOutcome(t, got, err)
	if err == nil && (status < 200 || status > 299) {
		t.Fatalf("HTTP %d parsed as a success: %+v", status, got)
	}
}

// CheckOutcome asserts what any outcome of a provider's parsing must
// satisfy, for fuzz targets: an error is a *providers.Error with a reason
// that parsing can give; a success has at least one amount, the main
// balance first, every value finite, a known unit, credits without a
// currency and currencies upper-case ISO-shaped.
func CheckOutcome(t *testing.T, got []providers.Balance, err error) {
	t.Helper()
	if err != nil {
		var pe *providers.Error
		if !errors.As(err, &pe) {
			t.Fatalf("error %T %v is not a *providers.Error", err, err)
		}
		switch pe.Reason {
		case providers.ReasonAuth, providers.ReasonRateLimited, providers.ReasonHTTPStatus, providers.ReasonBadResponse:
		default:
			t.Fatalf("reason %s from parsing: %v", pe.Reason, err)
		}
		if n := len(err.Error()); n > providers.MaxErrorBytes {
			t.Fatalf("error message of %d bytes, more than providers.MaxErrorBytes: %.200s…", n, err)
		}
		return
	}
	if len(got) == 0 {
		t.Fatal("success without an amount")
	}
	for i, b := range got {
		if math.IsNaN(b.Value) || math.IsInf(b.Value, 0) {
			t.Fatalf("amount %d is %v", i, b.Value)
		}
		if i == 0 && b.Kind != providers.KindBalance {
			t.Fatalf("the first amount is of kind %v, not the balance", b.Kind)
		}
		switch b.Unit {
		case providers.UnitCredits:
			if b.Currency != "" {
				t.Fatalf("credits with currency %q", b.Currency)
			}
		case providers.UnitCurrency:
			if b.Currency != "" {
				if c, ok := providers.NormalizeCurrency(b.Currency); !ok || c != b.Currency {
					t.Fatalf("currency %q is not three upper-case letters", b.Currency)
				}
			}
		default:
			t.Fatalf("unit %q", b.Unit)
		}
	}
}

// Request is what a provider's balance call must look like; Check reports
// every difference with t.Errorf. Empty fields are not checked.
type Request struct {
	Method string
	Path   string
	// Query holds the query parameters that must be there, with their values.
	Query map[string]string
	// NoQuery requires a request without any query (no secret in the URL).
	NoQuery bool
	// Header holds the headers that must be there, with their values.
	Header map[string]string
	// BasicAuth is "user:pass" when the request must carry HTTP Basic auth.
	BasicAuth string
	// Absent lists headers that must not be there.
	Absent []string
}

// Check reports with t.Errorf how r differs from the expected request.
func (want Request) Check(t *testing.T, r *http.Request) {
	t.Helper()
	if want.Method != "" && r.Method != want.Method {
		t.Errorf("method %s, want %s", r.Method, want.Method)
	}
	if want.Path != "" && r.URL.Path != want.Path {
		t.Errorf("path %s, want %s", r.URL.Path, want.Path)
	}
	for k, v := range want.Query {
		if got := r.URL.Query().Get(k); got != v {
			t.Errorf("query %s = %q, want %q", k, got, v)
		}
	}
	if want.NoQuery && r.URL.RawQuery != "" {
		t.Errorf("query %q, want none", r.URL.RawQuery)
	}
	for k, v := range want.Header {
		if got := r.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	for _, k := range want.Absent {
		if got, ok := r.Header[http.CanonicalHeaderKey(k)]; ok {
			t.Errorf("header %s = %q, want none", k, got)
		}
	}
	if want.BasicAuth != "" {
		user, pass, ok := r.BasicAuth()
		if !ok || user+":"+pass != want.BasicAuth {
			t.Errorf("basic auth %q:%q (%v), want %q", user, pass, ok, want.BasicAuth)
		}
	}
}

// Run runs every case against its own httptest server, which checks each
// request against want and then answers with the case's handler; build
// makes the client from the server's settings (credentials creds). Each
// outcome is checked with Check.
func Run(t *testing.T, cases []Case, creds map[string]string, want Request, build func(providers.Settings) providers.Provider) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				want.Check(t, r)
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			Check(t, build(Settings(srv, creds)), c, creds)
		})
	}
}

// Canned is an http.RoundTripper that answers every request with one HTTP
// answer, without a network: for fuzz targets that run a whole client.
type Canned struct {
	Status int
	Header http.Header
	Body   []byte
}

// RoundTrip implements http.RoundTripper.
func (c Canned) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: c.Status, Header: c.Header, Body: io.NopCloser(bytes.NewReader(c.Body)), Request: r}, nil
}
