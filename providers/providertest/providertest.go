// Package providertest runs provider clients against httptest servers that
// answer as the providers' documentation shows, and holds the failure cases
// every provider must survive.
package providertest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
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
	// Want is the expected balance when WantReason is empty.
	Want providers.Balance
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

// Account returns an account for srv with the given credentials.
func Account(srv *httptest.Server, creds map[string]string) providers.Account {
	return providers.Account{Name: "test", BaseURL: srv.URL, Credentials: creds, Client: srv.Client(), UserAgent: "providertest"}
}

// Check runs p.Balance with a short deadline and compares the outcome with
// c. It also checks that no credential value shows in the error.
func Check(t *testing.T, p providers.Provider, c Case, creds map[string]string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	if c.Handler != nil && c.WantReason == providers.ReasonTimeout {
		cancel()
		ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
	}
	defer cancel()
	got, err := p.Balance(ctx)
	if c.WantReason == "" {
		if err != nil {
			t.Fatalf("Balance() error = %v, want %+v", err, c.Want)
		}
		if got != c.Want {
			t.Fatalf("Balance() = %+v, want %+v", got, c.Want)
		}
		return
	}
	if err == nil {
		t.Fatalf("Balance() = %+v, want a %s error", got, c.WantReason)
	}
	var pe *providers.Error
	if !errors.As(err, &pe) {
		t.Fatalf("Balance() error %T %v is not a *providers.Error", err, err)
	}
	if r := providers.Classify(err); r != c.WantReason {
		t.Errorf("reason = %s, want %s (error: %v)", r, c.WantReason, err)
	}
	if c.WantErr != "" && !strings.Contains(err.Error(), c.WantErr) {
		t.Errorf("error %q does not contain %q", err, c.WantErr)
	}
	if c.WantRetryAfter != 0 && providers.RetryAfter(err) != c.WantRetryAfter {
		t.Errorf("RetryAfter = %s, want %s", providers.RetryAfter(err), c.WantRetryAfter)
	}
	for k, v := range creds {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error %q contains credential %s", err, k)
		}
	}
}
