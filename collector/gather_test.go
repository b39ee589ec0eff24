package collector

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// exposition serves g as promhttp does for /metrics, in the given format
// (an Accept header), and returns the body.
func exposition(t *testing.T, g prometheus.Gatherer, accept string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError, EnableOpenMetrics: true}).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// TestGathererMatchesRegistry: Gatherer (through Concat or
// prometheus.Gatherers) serves byte for byte what a registry holding
// WithContext serves, for accounts in any order with every kind of series,
// in the text and OpenMetrics formats; AccountGatherer likewise for one.
func TestGathererMatchesRegistry(t *testing.T) {
	fakes := map[string]*fake{
		"zeta": {bal: eur(12.5)},
		"Alpha": {bals: []providers.Balance{
			{Value: 300, Unit: providers.UnitCredits},
			eur(4),
			{Value: 50, Unit: providers.UnitCurrency, Currency: "EUR", Kind: providers.KindCreditLimit},
			{Value: 7, Unit: providers.UnitCurrency, Currency: "CLP"},
		}},
		"beta":    {err: authErr},
		"beta-2":  {bal: eur(1)},
		"äccount": {bal: providers.Balance{Value: 9, Unit: providers.UnitCredits}},
		"stale":   {bal: eur(40)},
		"limited": {err: &providers.Error{Reason: providers.ReasonRateLimited, Msg: "HTTP 429", RetryAfter: time.Minute}},
	}
	h := newHarness(t, fakes)
	apply(t, h, acct("zeta", threshold(20)), acct("Alpha", threshold(100)), acct("beta", threshold(5)),
		acct("beta-2"), acct("äccount"), acct("stale", func(a *config.Account) { a.CacheTTL = time.Second }), acct("limited"))
	collectOnce(h) // refresh all
	fakes["stale"].set(providers.Balance{}, providers.Errorf(providers.ReasonHTTPStatus, "HTTP 500"))
	h.clock.Add(2 * time.Second)
	collectOnce(h) // stale fails: its last good balance is shown within max_stale
	ctx := context.Background()
	own := prometheus.NewRegistry()
	own.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_like_own_metric", Help: "An own metric."}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(h.WithContext(ctx))
	for _, accept := range []string{"", "application/openmetrics-text; version=1.0.0"} {
		want := exposition(t, prometheus.Gatherers{own, reg}, accept)
		if !bytes.Contains([]byte(want), []byte(`sms_balance_credit_limit{account="Alpha"`)) || !bytes.Contains([]byte(want), []byte(`account="stale"`)) {
			t.Fatalf("the registry's exposition lacks series:\n%s", want)
		}
		for name, g := range map[string]prometheus.Gatherer{
			"Concat":    Concat{own, h.Gatherer(ctx)},
			"Gatherers": prometheus.Gatherers{own, h.Gatherer(ctx)},
		} {
			if got := exposition(t, g, accept); got != want {
				t.Errorf("%s (accept %q) differs from the registry:\n--- got\n%s\n--- want\n%s", name, accept, got, want)
			}
		}
		for _, name := range []string{"Alpha", "stale", "beta"} {
			ac, _ := h.Account(ctx, name)
			areg := prometheus.NewRegistry()
			areg.MustRegister(ac)
			ag, ok := h.AccountGatherer(ctx, name)
			if !ok {
				t.Fatalf("no AccountGatherer for %s", name)
			}
			if got, want := exposition(t, ag, accept), exposition(t, areg, accept); got != want {
				t.Errorf("AccountGatherer(%s) differs:\n--- got\n%s\n--- want\n%s", name, got, want)
			}
		}
	}
	if _, ok := h.AccountGatherer(ctx, "nope"); ok {
		t.Error("AccountGatherer found an unknown account")
	}
	for name, f := range fakes {
		want := 1
		if name == "stale" {
			want = 2
		}
		if f.Calls() != want {
			t.Errorf("%s: %d calls, want %d", name, f.Calls(), want)
		}
	}
}

// collectOnce collects h once.
func collectOnce(h *harness) {
	ch := make(chan prometheus.Metric, 1000)
	h.Collect(ch)
}

// TestGathererDeadline: an account not refreshed before the scrape's
// deadline is down in that scrape, as with WithContext.
func TestGathererDeadline(t *testing.T) {
	slow := &fake{bal: eur(7), block: make(chan struct{})}
	h := newHarness(t, map[string]*fake{"slow": slow, "ok": {bal: eur(1)}})
	apply(t, h, acct("slow", func(a *config.Account) { a.Timeout = time.Hour }), acct("ok"))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	mfs, err := h.Gatherer(ctx).Gather()
	if err != nil {
		t.Fatal(err)
	}
	up := map[string]float64{}
	for _, mf := range mfs {
		if mf.GetName() != "sms_provider_up" {
			continue
		}
		for _, m := range mf.GetMetric() {
			up[m.GetLabel()[0].GetValue()] = m.GetGauge().GetValue()
		}
	}
	if up["slow"] != 0 || len(up) != 2 {
		t.Errorf("up = %v, want slow 0", up)
	}
	close(slow.block)
	if v := upOf(t, h, "slow"); v != 1 {
		t.Errorf("after the refresh: up = %v, want 1", v)
	}
}

func TestConcatRefusesTwice(t *testing.T) {
	a, b := prometheus.NewRegistry(), prometheus.NewRegistry()
	for _, r := range []*prometheus.Registry{a, b} {
		r.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "same", Help: "h"}))
	}
	mfs, err := Concat{a, b}.Gather()
	if err == nil || len(mfs) != 1 {
		t.Fatalf("%d families, err %v; want 1 and an error", len(mfs), err)
	}
}

// TestConcurrentScrapesShareSeries: scrapes in every format at once, by
// both paths, read the same shared series (run with -race).
func TestConcurrentScrapesShareSeries(t *testing.T) {
	fakes := map[string]*fake{}
	var accounts []config.Account
	for _, name := range []string{"a", "b", "c", "d"} {
		fakes[name] = &fake{bal: eur(1)}
		accounts = append(accounts, acct(name, threshold(3)))
	}
	h := newHarness(t, fakes)
	apply(t, h, accounts...)
	collectOnce(h)
	ctx := context.Background()
	formats := []string{"", "application/openmetrics-text; version=1.0.0",
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"}
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			accept := formats[i%len(formats)]
			var g prometheus.Gatherer = Concat{h.Gatherer(ctx)}
			if i%2 == 1 {
				reg := prometheus.NewRegistry()
				reg.MustRegister(h.WithContext(ctx))
				g = reg
			}
			rec := httptest.NewRecorder()
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			promhttp.HandlerFor(g, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.Len() == 0 {
				done <- fmt.Sprintf("scrape %d: HTTP %d, %d bytes", i, rec.Code, rec.Body.Len())
				return
			}
			done <- ""
		}()
	}
	for i := 0; i < 8; i++ {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
