package rtisms

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	clientID     = "rti-client-0042"
	clientSecret = "rti-secret-9d8e7f"
)

// fakeRTI answers POST /api/auth and GET /api/balance as the RTI-SMS docs
// show; balance is the handler for valid tokens.
type fakeRTI struct {
	t        *testing.T
	auth     http.Handler // nil: issue tokens
	balance  http.Handler
	validity string

	mu       sync.Mutex
	issued   int
	valid    map[string]bool
	authHits int
	balHits  int
}

func (f *fakeRTI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/auth":
		f.mu.Lock()
		f.authHits++
		f.mu.Unlock()
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			f.t.Errorf("auth: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if err := r.ParseForm(); err != nil {
			f.t.Errorf("auth form: %v", err)
		}
		if g, id, s := r.PostForm.Get("grant_type"), r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"); g != "client_credentials" || id != clientID || s != clientSecret {
			f.t.Errorf("auth form = %v", r.PostForm)
		}
		if f.auth != nil {
			f.auth.ServeHTTP(w, r)
			return
		}
		f.mu.Lock()
		f.issued++
		tok := fmt.Sprintf("token-%d", f.issued)
		f.valid[tok] = true
		f.mu.Unlock()
		pt.JSON(fmt.Sprintf(`{"access_token":%q,"validity_period":%s}`, tok, f.validity)).ServeHTTP(w, r)
	case "/api/balance":
		f.mu.Lock()
		f.balHits++
		auth := r.Header.Get("Authorization")
		ok := len(auth) > 7 && auth[:7] == "Bearer " && f.valid[auth[7:]]
		f.mu.Unlock()
		if r.Method != http.MethodGet || r.Header.Get("Content-Type") != "application/json" {
			f.t.Errorf("balance: %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if !ok {
			w.WriteHeader(http.StatusUnauthorized) // documented: empty body
			return
		}
		f.balance.ServeHTTP(w, r)
	default:
		f.t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	}
}

func (f *fakeRTI) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.valid = map[string]bool{}
}

func (f *fakeRTI) hits() (auth, balance int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.authHits, f.balHits
}

func newFake(t *testing.T, balance http.Handler) (*fakeRTI, *httptest.Server) {
	f := &fakeRTI{t: t, balance: balance, validity: `"3600"`, valid: map[string]bool{}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

var creds = map[string]string{"client_id": clientID, "client_secret": clientSecret}

func clp(v float64) providers.Balance {
	return providers.Money(v, "CLP")
}

func TestBalanceAnswers(t *testing.T) {
	cases := []pt.Case{
		{Name: "documented 200", Handler: pt.JSON(`{"balance":"457.00"}`), Want: clp(457)},
		{Name: "number amount", Handler: pt.JSON(`{"balance":12.5}`), Want: clp(12.5)},
		{Name: "no balance", Handler: pt.JSON(`{"saldo":"1"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance":"<amount>"}`},
		{Name: "empty string", Handler: pt.JSON(`{"balance":""}`), WantReason: providers.ReasonBadResponse},
		{Name: "403", Handler: pt.Answer{Status: 403}, WantReason: providers.ReasonAuth},
		{Name: "404", Handler: pt.Answer{Status: 404}, WantReason: providers.ReasonHTTPStatus, WantErr: "got 404"},
	}
	cases = append(cases, pt.CommonFailures()...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			_, srv := newFake(t, c.Handler)
			acct := pt.Settings(srv, creds)
			acct.Currency = "CLP"
			pt.Check(t, New(acct), c, creds)
		})
	}
}

func TestTokenAnswers(t *testing.T) {
	cases := []pt.Case{
		{Name: "401 invalid client", Handler: pt.Answer{Status: 401}, WantReason: providers.ReasonAuth, WantErr: "token refused"},
		{Name: "400 malformed credentials", Handler: pt.Answer{Status: 400, Header: map[string]string{"Content-Type": "application/json"}, Body: `{"error":"invalid_request"}`},
			WantReason: providers.ReasonAuth, WantErr: "HTTP 400"},
		{Name: "500", Handler: pt.Answer{Status: 500}, WantReason: providers.ReasonHTTPStatus},
		// The token endpoint's body is never quoted: it may echo the form.
		{Name: "500 echoing the form", Handler: pt.Answer{Status: 500, Body: "bad request: grant_type=client_credentials&client_id=" + clientID + "&client_secret=" + clientSecret[:10]},
			WantReason: providers.ReasonHTTPStatus, WantErr: "got 500"},
		{Name: "429", Handler: pt.Answer{Status: 429, Header: map[string]string{"Retry-After": "30"}}, WantReason: providers.ReasonRateLimited, WantRetryAfter: 30 * time.Second},
		{Name: "no access_token", Handler: pt.JSON(`{"validity_period":"3600"}`), WantReason: providers.ReasonBadResponse, WantErr: "no access_token"},
		{Name: "garbage echoing the secret", Handler: pt.JSON(`{"access_token": ` + clientSecret), WantReason: providers.ReasonBadResponse},
		{Name: "never answers", Handler: pt.Hang, WantReason: providers.ReasonTimeout},
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			f, srv := newFake(t, pt.JSON(`{"balance":"1.00"}`))
			f.auth = c.Handler
			pt.Check(t, New(pt.Settings(srv, creds)), c, creds)
			if _, bal := f.hits(); bal != 0 {
				t.Errorf("balance called %d times without a token", bal)
			}
		})
	}
}

func TestTokenLifecycle(t *testing.T) {
	ctx := context.Background()
	f, srv := newFake(t, pt.JSON(`{"balance":"457.00"}`))
	c := New(pt.Settings(srv, creds))
	now := time.Unix(1_700_000_000, 0)
	c.now = func() time.Time { return now }
	steps := []struct {
		name      string
		before    func()
		wantAuth  int
		wantCalls int
	}{
		{"first call fetches a token", nil, 1, 1},
		{"token reused", func() { now = now.Add(30 * time.Minute) }, 1, 2},
		{"still valid just before the renew margin", func() { now = now.Add(28*time.Minute + 59*time.Second) }, 1, 3},
		{"renewed shortly before expiry", func() { now = now.Add(2 * time.Second) }, 2, 4},
		{"revoked token: one renewal, one retry", f.revokeAll, 3, 6},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		got, err := c.Balances(ctx)
		if err != nil || len(got) != 1 || got[0].Value != 457 {
			t.Fatalf("%s: Balance() = %v, %v", s.name, got, err)
		}
		if a, b := f.hits(); a != s.wantAuth || b != s.wantCalls {
			t.Fatalf("%s: auth calls %d, balance calls %d; want %d, %d", s.name, a, b, s.wantAuth, s.wantCalls)
		}
	}
}

func TestRetryOnlyOnce(t *testing.T) {
	f, srv := newFake(t, pt.Answer{Status: 401})
	_, err := New(pt.Settings(srv, creds)).Balances(context.Background())
	if providers.Classify(err) != providers.ReasonAuth {
		t.Fatalf("error = %v, want auth", err)
	}
	if a, b := f.hits(); a != 2 || b != 2 {
		t.Fatalf("auth calls %d, balance calls %d; want 2, 2", a, b)
	}
}

func TestValidityPeriodShapes(t *testing.T) {
	for _, v := range []string{`"3600"`, `3600`, `null`, `"soon"`} {
		t.Run(v, func(t *testing.T) {
			f, srv := newFake(t, pt.JSON(`{"balance":"1.00"}`))
			f.validity = v
			c := New(pt.Settings(srv, creds))
			for i := 0; i < 2; i++ {
				if _, err := c.Balances(context.Background()); err != nil {
					t.Fatalf("Balances() error = %v", err)
				}
			}
			auth, _ := f.hits()
			// A readable validity lets the token be reused; without one it is used once.
			want := 2
			if v == `"3600"` || v == `3600` {
				want = 1
			}
			if auth != want {
				t.Fatalf("auth calls = %d, want %d", auth, want)
			}
		})
	}
}

func TestStaticAccessToken(t *testing.T) {
	f, srv := newFake(t, pt.JSON(`{"balance":"9.99"}`))
	f.valid["static-token-abc"] = true
	staticCreds := map[string]string{"access_token": "static-token-abc"}
	c := New(pt.Settings(srv, staticCreds))
	got, err := c.Balances(context.Background())
	if err != nil || len(got) != 1 || got[0].Value != 9.99 {
		t.Fatalf("Balance() = %v, %v", got, err)
	}
	f.revokeAll()
	pt.Check(t, c, pt.Case{WantReason: providers.ReasonAuth, WantErr: "cannot be renewed"}, staticCreds)
	if a, b := f.hits(); a != 0 || b != 2 {
		t.Fatalf("auth calls %d, balance calls %d; want 0, 2", a, b)
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFetchedTokenIsASecret checks that the token obtained at run time is
// handed to the account's secret sink, so that it is redacted like the
// configured credentials.
func TestFetchedTokenIsASecret(t *testing.T) {
	_, srv := newFake(t, pt.JSON(`{"balance":"1.00"}`))
	acct := pt.Settings(srv, creds)
	acct.Redactor = providers.NewRedactor()
	if _, err := New(acct).Balances(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := acct.Redactor.Redact("Bearer token-1"); got != "Bearer <secret>" {
		t.Fatalf("the fetched token is not redacted: %q", got)
	}
}
