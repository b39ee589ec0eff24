package collector

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

func eur(v float64) providers.Balance {
	return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: "EUR"}
}

var authErr = providers.Errorf(providers.ReasonAuth, "GET /balance: credentials rejected: HTTP 401")

func threshold(v float64) func(*config.Account) {
	return func(a *config.Account) { a.LowBalanceThreshold = &v }
}

const exactWant = `
# HELP sms_balance Balance left on the provider account, in the given unit (currency: money in the given ISO currency; credits: messages or credits).
# TYPE sms_balance gauge
sms_balance{account="eur",currency="EUR",provider="fake",unit="currency"} 12.5
sms_balance{account="sms",currency="",provider="fake",unit="credits"} 300
# HELP sms_balance_low_threshold Configured low_balance_threshold of the account, in the unit of its main sms_balance.
# TYPE sms_balance_low_threshold gauge
sms_balance_low_threshold{account="eur",currency="EUR",provider="fake",unit="currency"} 20
# HELP sms_provider_auth_failures_total Balance refreshes rejected by the provider because of the credentials.
# TYPE sms_provider_auth_failures_total counter
sms_provider_auth_failures_total{account="bad",provider="fake"} 1
sms_provider_auth_failures_total{account="eur",provider="fake"} 0
sms_provider_auth_failures_total{account="sms",provider="fake"} 0
# HELP sms_provider_last_success_timestamp_seconds Unix time of the account's latest successful balance refresh.
# TYPE sms_provider_last_success_timestamp_seconds gauge
sms_provider_last_success_timestamp_seconds{account="eur",provider="fake"} 1.8e+09
sms_provider_last_success_timestamp_seconds{account="sms",provider="fake"} 1.8e+09
# HELP sms_provider_request_failures_total Failed balance refreshes, by reason (auth, timeout, rate_limited, http_status, bad_response, network).
# TYPE sms_provider_request_failures_total counter
sms_provider_request_failures_total{account="bad",provider="fake",reason="auth"} 1
sms_provider_request_failures_total{account="bad",provider="fake",reason="bad_response"} 0
sms_provider_request_failures_total{account="bad",provider="fake",reason="http_status"} 0
sms_provider_request_failures_total{account="bad",provider="fake",reason="network"} 0
sms_provider_request_failures_total{account="bad",provider="fake",reason="rate_limited"} 0
sms_provider_request_failures_total{account="bad",provider="fake",reason="timeout"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="auth"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="bad_response"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="http_status"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="network"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="rate_limited"} 0
sms_provider_request_failures_total{account="eur",provider="fake",reason="timeout"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="auth"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="bad_response"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="http_status"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="network"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="rate_limited"} 0
sms_provider_request_failures_total{account="sms",provider="fake",reason="timeout"} 0
# HELP sms_provider_requests_total Balance refreshes that went to the provider.
# TYPE sms_provider_requests_total counter
sms_provider_requests_total{account="bad",provider="fake"} 1
sms_provider_requests_total{account="eur",provider="fake"} 1
sms_provider_requests_total{account="sms",provider="fake"} 1
# HELP sms_provider_up 1 if the latest balance refresh of the account succeeded, else 0.
# TYPE sms_provider_up gauge
sms_provider_up{account="bad",provider="fake"} 0
sms_provider_up{account="eur",provider="fake"} 1
sms_provider_up{account="sms",provider="fake"} 1
`

const durationWant = `
# HELP sms_provider_request_duration_seconds Duration of balance refreshes that went to the provider (token fetch included).
# TYPE sms_provider_request_duration_seconds histogram
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="0.05"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="0.1"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="0.25"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="0.5"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="1"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="2.5"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="5"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="10"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="30"} 1
sms_provider_request_duration_seconds_bucket{account="eur",provider="fake",le="+Inf"} 1
sms_provider_request_duration_seconds_sum{account="eur",provider="fake"} 0
sms_provider_request_duration_seconds_count{account="eur",provider="fake"} 1
`

func TestCollectExact(t *testing.T) {
	h := newHarness(t, map[string]*fake{
		"eur": {bal: eur(12.5)},
		"sms": {bal: providers.Balance{Value: 300, Unit: providers.UnitCredits}},
		"bad": {err: authErr},
	})
	apply(t, h, acct("eur", threshold(20)), acct("sms"), acct("bad", threshold(5)))
	if err := testutil.CollectAndCompare(h, strings.NewReader(exactWant),
		"sms_balance", "sms_balance_low_threshold", "sms_provider_up", "sms_provider_auth_failures_total",
		"sms_provider_requests_total", "sms_provider_request_failures_total", "sms_provider_last_success_timestamp_seconds"); err != nil {
		t.Fatal(err)
	}
	apply(t, h, acct("eur", threshold(20)))
	if err := testutil.CollectAndCompare(h, strings.NewReader(durationWant), "sms_provider_request_duration_seconds"); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.CollectAndLint(h); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

func TestCacheTTL(t *testing.T) {
	f := &fake{bal: eur(1)}
	h := newHarness(t, map[string]*fake{"a": f})
	apply(t, h, acct("a"))
	steps := []struct {
		advance   time.Duration
		wantCalls int
	}{
		{0, 1}, {0, 1}, {59 * time.Second, 1}, {time.Second, 2}, {30 * time.Second, 2},
	}
	for i, s := range steps {
		h.clock.Add(s.advance)
		testutil.CollectAndCount(h)
		if got := f.Calls(); got != s.wantCalls {
			t.Fatalf("step %d: %d provider calls, want %d", i, got, s.wantCalls)
		}
	}
}

func TestSingleFlight(t *testing.T) {
	f := &fake{bal: eur(1), block: make(chan struct{}), started: make(chan struct{}, 100)}
	h := newHarness(t, map[string]*fake{"a": f})
	apply(t, h, acct("a", func(a *config.Account) { a.Timeout = time.Minute }))
	var wg sync.WaitGroup
	ups := make([]float64, 20)
	for i := range ups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ups[i] = upOf(t, h, "a")
		}()
	}
	<-f.started // one call is in flight; let the other scrapes pile up behind it
	time.Sleep(50 * time.Millisecond)
	close(f.block)
	wg.Wait()
	if got := f.Calls(); got != 1 {
		t.Fatalf("%d provider calls for 20 concurrent scrapes, want 1", got)
	}
	for i, up := range ups {
		if up != 1 {
			t.Errorf("scrape %d: up = %v, want 1", i, up)
		}
	}
}

// upOf collects h and returns sms_provider_up of account name (-1 if absent).
func upOf(t *testing.T, c prometheus.Collector, name string) float64 {
	t.Helper()
	return metricValue(t, c, "sms_provider_up", name)
}

func TestHangingAccountIsBounded(t *testing.T) {
	hang := &fake{block: make(chan struct{})} // ignores its context
	defer close(hang.block)
	ok := &fake{bal: eur(5)}
	h := newHarness(t, map[string]*fake{"hang": hang, "ok": ok})
	apply(t, h, acct("hang", func(a *config.Account) { a.Timeout = 100 * time.Millisecond }), acct("ok"))
	if err := testutil.CollectAndCompare(h, strings.NewReader(`
# HELP sms_provider_up 1 if the latest balance refresh of the account succeeded, else 0.
# TYPE sms_provider_up gauge
sms_provider_up{account="hang",provider="fake"} 0
sms_provider_up{account="ok",provider="fake"} 1
`), "sms_provider_up"); err != nil {
		t.Fatal(err)
	}
	if v := failures(t, h, "hang", "timeout"); v != 1 {
		t.Fatalf("timeout failures = %v, want 1", v)
	}
	st := h.Status()
	if st[0].Reason != providers.ReasonTimeout || !strings.Contains(st[0].LastError, "no answer within 100ms") {
		t.Fatalf("status = %+v", st[0])
	}
}

func TestScrapeDeadline(t *testing.T) {
	slow := &fake{bal: eur(7), delay: 300 * time.Millisecond}
	h := newHarness(t, map[string]*fake{"slow": slow})
	apply(t, h, acct("slow", func(a *config.Account) { a.Timeout = 10 * time.Second }))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if up := metricValue(t, h.WithContext(ctx), "sms_provider_up", "slow"); up != 0 {
		t.Fatalf("up = %v for a scrape that could not wait, want 0", up)
	}
	// The refresh goes on without the scrape; the next scrape joins it.
	if up := upOf(t, h, "slow"); up != 1 {
		t.Fatalf("up = %v after the refresh finished, want 1", up)
	}
	if got := slow.Calls(); got != 1 {
		t.Fatalf("%d provider calls, want 1", got)
	}
}

func TestMaxStale(t *testing.T) {
	f := &fake{bal: eur(40)}
	h := newHarness(t, map[string]*fake{"a": f, "z": {bal: eur(1)}})
	apply(t, h, acct("a", func(a *config.Account) { a.MaxStale = 10 * time.Minute }),
		acct("z", func(a *config.Account) { a.MaxStale = 0 }))
	testutil.CollectAndCount(h)
	f.set(providers.Balance{}, providers.Errorf(providers.ReasonHTTPStatus, "HTTP 500"))
	h.fakes["z"].set(providers.Balance{}, providers.Errorf(providers.ReasonHTTPStatus, "HTTP 500"))
	steps := []struct {
		advance          time.Duration
		wantA, wantZ     float64 // sms_balance, -1 if absent
		wantUpA, wantUpZ float64
	}{
		{time.Minute, 40, -1, 0, 0},               // failed: a keeps its last good balance, z (max_stale 0) drops it
		{10 * time.Minute, 40, -1, 0, 0},          // 11m after the success: within cache_ttl + max_stale
		{time.Minute + time.Second, -1, -1, 0, 0}, // beyond
	}
	for i, s := range steps {
		h.clock.Add(s.advance)
		if got := metricValue(t, h, "sms_balance", "a"); got != s.wantA {
			t.Errorf("step %d: a balance = %v, want %v", i, got, s.wantA)
		}
		if got := metricValue(t, h, "sms_balance", "z"); got != s.wantZ {
			t.Errorf("step %d: z balance = %v, want %v", i, got, s.wantZ)
		}
		if got := upOf(t, h, "a"); got != s.wantUpA {
			t.Errorf("step %d: a up = %v", i, got)
		}
	}
	f.set(eur(39), nil)
	h.clock.Add(time.Minute)
	if got := metricValue(t, h, "sms_balance", "a"); got != 39 {
		t.Fatalf("after recovery: balance = %v, want 39", got)
	}
}

func TestFailureIsRemembered(t *testing.T) {
	limited := &fake{err: &providers.Error{Reason: providers.ReasonRateLimited, Msg: "HTTP 429", RetryAfter: 2 * time.Minute}}
	broken := &fake{err: providers.Errorf(providers.ReasonHTTPStatus, "HTTP 500")}
	h := newHarness(t, map[string]*fake{"limited": limited, "broken": broken})
	apply(t, h, acct("limited"), acct("broken"))
	steps := []struct {
		advance                 time.Duration
		wantLimited, wantBroken int
	}{
		{0, 1, 1},
		{10 * time.Second, 1, 1},  // both remembered
		{5 * time.Second, 1, 2},   // 15s: the failure TTL is over, the Retry-After is not
		{100 * time.Second, 1, 3}, // 115s
		{5 * time.Second, 2, 3},   // 120s: Retry-After over
	}
	for i, s := range steps {
		h.clock.Add(s.advance)
		testutil.CollectAndCount(h)
		if l, b := limited.Calls(), broken.Calls(); l != s.wantLimited || b != s.wantBroken {
			t.Fatalf("step %d: calls limited=%d broken=%d, want %d, %d", i, l, b, s.wantLimited, s.wantBroken)
		}
	}
}

func TestReloadRemovesSeries(t *testing.T) {
	keep, drop := &fake{bal: eur(1)}, &fake{bal: eur(2)}
	h := newHarness(t, map[string]*fake{"keep": keep, "drop": drop})
	apply(t, h, acct("keep"), acct("drop"))
	testutil.CollectAndCount(h)
	apply(t, h, acct("keep"))
	if err := testutil.CollectAndCompare(h, strings.NewReader(`
# HELP sms_provider_requests_total Balance refreshes that went to the provider.
# TYPE sms_provider_requests_total counter
sms_provider_requests_total{account="keep",provider="fake"} 1
`), "sms_provider_requests_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(h, "sms_balance"); n != 1 {
		t.Fatalf("%d sms_balance series, want 1", n)
	}
	if keep.Calls() != 1 {
		t.Fatalf("unchanged account was called again: %d calls", keep.Calls())
	}
	// A changed account starts afresh.
	apply(t, h, acct("keep", threshold(3)))
	testutil.CollectAndCount(h)
	if keep.Calls() != 2 {
		t.Fatalf("changed account: %d calls, want 2", keep.Calls())
	}
	if err := h.Apply(&config.Config{Accounts: []config.Account{{Name: "x", Provider: "nope"}}}); err == nil {
		t.Fatal("Apply with an unknown provider succeeded")
	}
	if n := len(h.Status()); n != 1 {
		t.Fatalf("failed Apply changed the accounts: %d", n)
	}
}

func TestPanicAndBadValues(t *testing.T) {
	h := newHarness(t, map[string]*fake{
		"panics": {panics: true},
		"nan":    {bal: providers.Balance{Value: nan(), Unit: providers.UnitCurrency}},
		"unit":   {bal: providers.Balance{Value: 1, Unit: "euros"}},
		"ok":     {bal: eur(3)},
	})
	apply(t, h, acct("panics"), acct("nan"), acct("unit"), acct("ok"))
	for _, name := range []string{"panics", "nan", "unit"} {
		if up := upOf(t, h, name); up != 0 {
			t.Errorf("%s: up = %v", name, up)
		}
		if v := failures(t, h, name, "bad_response"); v != 1 {
			t.Errorf("%s: bad_response failures = %v", name, v)
		}
	}
	if up := upOf(t, h, "ok"); up != 1 {
		t.Errorf("ok: up = %v", up)
	}
}

func TestLogsTransitionsAndRedacts(t *testing.T) {
	f := &fake{err: providers.Errorf(providers.ReasonAuth, "token secret-of-a refused")}
	h := newHarness(t, map[string]*fake{"a": f})
	apply(t, h, acct("a", func(a *config.Account) { a.CacheTTL = 0 }))
	for i := 0; i < 3; i++ {
		testutil.CollectAndCount(h)
		h.clock.Add(2 * time.Second)
	}
	f.set(eur(1), nil)
	testutil.CollectAndCount(h)
	h.clock.Add(2 * time.Second)
	testutil.CollectAndCount(h)
	logs := h.logs.String()
	if n := strings.Count(logs, "Account refresh failing"); n != 1 {
		t.Errorf("%d 'failing' lines, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "Account refresh recovered"); n != 1 {
		t.Errorf("%d 'recovered' lines, want 1:\n%s", n, logs)
	}
	if n := strings.Count(logs, "\n"); n != 2 {
		t.Errorf("%d log lines, want 2:\n%s", n, logs)
	}
	if strings.Contains(logs, "secret-of-a") || !strings.Contains(logs, "token <secret> refused") {
		t.Errorf("credential not redacted in logs:\n%s", logs)
	}
	if f.Calls() != 5 {
		t.Errorf("%d calls, want 5", f.Calls())
	}
}

// failOnce scrapes one account whose provider fails with err and returns
// its status, with the harness (for its logs).
func failOnce(t *testing.T, err error) ([]Status, *harness) {
	t.Helper()
	h := newHarness(t, map[string]*fake{"a": {err: err}})
	apply(t, h, acct("a"))
	testutil.CollectAndCount(h)
	st := h.Status()
	if len(st) != 1 {
		t.Fatalf("%d statuses", len(st))
	}
	return st, h
}

// TestLongErrorIsCut: an error of any length from a provider is kept and
// logged cut to providers.MaxErrorBytes, after redaction, so a secret at the
// cut is still redacted.
func TestLongErrorIsCut(t *testing.T) {
	// The secret ("secret-of-a", see newHarness) straddles the cut.
	text := "GET /x: " + strings.Repeat("n", providers.MaxErrorBytes-12) + "secret-of-a" + strings.Repeat("m", 100<<10)
	st, h := failOnce(t, providers.Errorf(providers.ReasonBadResponse, "%s", text))
	if n := len(st[0].LastError); n > providers.MaxErrorBytes || n < providers.MaxErrorBytes-16 {
		t.Errorf("LastError of %d bytes, want at most and about %d", n, providers.MaxErrorBytes)
	}
	if !strings.HasSuffix(st[0].LastError, "…") || !strings.HasPrefix(st[0].LastError, "GET /x: nnn") {
		t.Errorf("LastError %.40q…%q not cut with an ellipsis", st[0].LastError, st[0].LastError[len(st[0].LastError)-20:])
	}
	logs := h.logs.String()
	if n := len(logs); n > providers.MaxErrorBytes+512 {
		t.Errorf("log of %d bytes", n)
	}
	for _, s := range []string{st[0].LastError, logs} {
		if strings.Contains(s, "secret-") || strings.Contains(s, "of-a") {
			t.Errorf("a piece of the secret shows: %q", s[len(s)-60:])
		}
	}
}

// TestErrorIsOneLine: an error with newlines, tabs or escapes (an OAuth2
// library's "…500 Internal Server Error\nResponse: …") is kept on one line,
// so that it cannot break the --once table or the page.
func TestErrorIsOneLine(t *testing.T) {
	st, _ := failOnce(t, providers.Errorf(providers.ReasonHTTPStatus, "GET /x: 500 Internal Server Error\nResponse: \x1b[31mboom\r\n\tend"))
	if want := "GET /x: 500 Internal Server Error Response:  [31mboom   end"; st[0].LastError != want {
		t.Errorf("LastError = %q, want %q", st[0].LastError, want)
	}
}
