package collector

// Benchmarks of the scrape paths. They measure and report; they assert
// nothing about speed. BENCHMARKS.md has the figures and the commands.
//
// Every benchmark serves /metrics (or /probe) the way the exporter's
// web.go does: a registry per scrape holding c.WithContext(ctx) (or
// c.Account), gathered by a promhttp handler after the exporter's own
// registry, written to a discarding ResponseWriter.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// benchSizes are the account counts of the warm and probe benchmarks.
var benchSizes = []int{10, 100, 1000, 10000}

// slowUpstream delays every answer of h by delay (or until the request is
// cancelled): the simulator itself answers at once.
func slowUpstream(h http.Handler, delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if delay > 0 {
			t := time.NewTimer(delay)
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

// benchUpstream is a simulator served on loopback with n D7 accounts, and
// their configuration.
type benchUpstream struct {
	sim *simulator.Simulator
	srv *httptest.Server
	cfg *config.Config
}

func (u *benchUpstream) close() {
	u.sim.Close()
	u.srv.Close()
}

// newBenchUpstream starts a simulator answering after delay, with n D7
// accounts ("acct-<i>"); hang adds one more account ("hanging", timeout
// 200ms) that never answers.
func newBenchUpstream(n int, delay time.Duration, hang bool, cacheTTL time.Duration) *benchUpstream {
	sim := simulator.New([]providers.Spec{d7networks.Spec})
	srv := httptest.NewServer(slowUpstream(sim, delay))
	u := &benchUpstream{sim: sim, srv: srv, cfg: &config.Config{}}
	add := func(name, token string, w providers.Wallet, timeout time.Duration) {
		sim.Add("d7networks", map[string]string{"token": token}, w)
		u.cfg.Accounts = append(u.cfg.Accounts, config.Account{Name: name, Provider: "d7networks",
			BaseURL: simulator.BaseURL(srv.URL, "d7networks"), Currency: "EUR",
			Timeout: timeout, CacheTTL: cacheTTL, MaxStale: time.Hour,
			Credentials: map[string]config.Secret{"token": config.Secret(token)}})
	}
	for i := 0; i < n; i++ {
		add(fmt.Sprintf("acct-%d", i), fmt.Sprintf("token-%d", i), providers.Wallet{Balance: float64(i)}, 5*time.Second)
	}
	if hang {
		add("hanging", "hang", providers.Wallet{Behavior: providers.Hang}, 200*time.Millisecond)
	}
	return u
}

// discard is an http.ResponseWriter that throws the body away.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header {
	if d.h == nil {
		d.h = http.Header{}
	}
	return d.h
}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

var handlerOpts = promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, EnableOpenMetrics: true}

// serveMetrics serves one /metrics scrape of c as web.go does.
func serveMetrics(own *prometheus.Registry, c *Collector) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.WithContext(ctx))
	promhttp.HandlerFor(prometheus.Gatherers{own, reg}, handlerOpts).
		ServeHTTP(&discard{}, httptest.NewRequest(http.MethodGet, "/metrics", nil))
}

// serveMetricsGatherer serves one /metrics scrape of c as web.go would
// with Collector.Gatherer: promhttp over Concat{own, c.Gatherer(ctx)}.
func serveMetricsGatherer(own *prometheus.Registry, c *Collector) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	promhttp.HandlerFor(Concat{own, c.Gatherer(ctx)}, handlerOpts).
		ServeHTTP(&discard{}, httptest.NewRequest(http.MethodGet, "/metrics", nil))
}

// serveProbe serves one /probe?target=name scrape of c as web.go does.
func serveProbe(b *testing.B, c *Collector, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ac, ok := c.Account(ctx, name)
	if !ok {
		b.Fatalf("no account %s", name)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(ac)
	promhttp.HandlerFor(prometheus.Gatherers{reg}, handlerOpts).
		ServeHTTP(&discard{}, httptest.NewRequest(http.MethodGet, "/probe?target="+name, nil))
}

// constCollector sends the same const metrics on every scrape.
type constCollector []prometheus.Metric

func (constCollector) Describe(chan<- *prometheus.Desc) {}
func (c constCollector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c {
		ch <- m
	}
}

// warmEnv is a collector with n accounts, all refreshed and cached for an
// hour, and a bare registry serving the same series as const metrics. It
// is built once per size: b.Run calls a benchmark function several times.
type warmEnv struct {
	up   *benchUpstream
	c    *Collector
	own  *prometheus.Registry
	bare http.Handler
}

var (
	warmMu   sync.Mutex
	warmEnvs = map[int]*warmEnv{}
)

// constMetrics rebuilds gathered families as plain const metrics (each
// family with its own Desc), as a bare exporter would serve them.
func constMetrics(b *testing.B, mfs []*dto.MetricFamily) constCollector {
	var out constCollector
	for _, mf := range mfs {
		var desc *prometheus.Desc
		for _, m := range mf.GetMetric() {
			var names, values []string
			for _, lp := range m.GetLabel() {
				names = append(names, lp.GetName())
				values = append(values, lp.GetValue())
			}
			if desc == nil {
				desc = prometheus.NewDesc(mf.GetName(), mf.GetHelp(), names, nil)
			}
			var cm prometheus.Metric
			var err error
			switch mf.GetType() {
			case dto.MetricType_GAUGE:
				cm, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, m.GetGauge().GetValue(), values...)
			case dto.MetricType_COUNTER:
				cm, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, m.GetCounter().GetValue(), values...)
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				buckets := map[float64]uint64{}
				for _, bk := range h.GetBucket() {
					buckets[bk.GetUpperBound()] = bk.GetCumulativeCount()
				}
				cm, err = prometheus.NewConstHistogram(desc, h.GetSampleCount(), h.GetSampleSum(), buckets, values...)
			default:
				b.Fatalf("unexpected type of %s", mf.GetName())
			}
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, cm)
		}
	}
	return out
}

func getWarmEnv(b *testing.B, n int) *warmEnv {
	warmMu.Lock()
	defer warmMu.Unlock()
	if e, ok := warmEnvs[n]; ok {
		return e
	}
	up := newBenchUpstream(n, 0, false, time.Hour)
	c := New(Options{})
	if err := c.Apply(up.cfg); err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	ms := constMetrics(b, mfs)
	if got := up.sim.Hits("/d7networks/messages/v1/balance"); got != n {
		b.Fatalf("%d provider calls for %d accounts", got, n)
	}
	bareReg := prometheus.NewRegistry()
	bareReg.MustRegister(ms)
	e := &warmEnv{up: up, c: c, own: prometheus.NewRegistry(), bare: promhttp.HandlerFor(bareReg, handlerOpts)}
	warmEnvs[n] = e
	return e
}

// BenchmarkWarmScrape serves /metrics of N accounts served from cache: as
// web.go does ("exporter": a registry per scrape holding WithContext,
// gathered with the own registry by prometheus.Gatherers), as web.go would
// with Collector.Gatherer ("gatherer": Concat{own, c.Gatherer(ctx)}), and
// a bare promhttp handler serving the same series as const metrics from a
// plain registry ("bare"). The exporter benchmarks also serve bare scrapes,
// interleaved with their own and outside their timer and allocation counts,
// and report x_bare: the time of their scrapes over the time of those bare
// ones (interleaving keeps the ratio steady on a noisy machine).
func BenchmarkWarmScrape(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("accounts=%d/bare", n), func(b *testing.B) {
			e := getWarmEnv(b, n)
			req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				e.bare.ServeHTTP(&discard{}, req)
			}
		})
		for _, v := range []struct {
			name  string
			serve func(*prometheus.Registry, *Collector)
		}{{"exporter", serveMetrics}, {"gatherer", serveMetricsGatherer}} {
			b.Run(fmt.Sprintf("accounts=%d/%s", n, v.name), func(b *testing.B) {
				e := getWarmEnv(b, n)
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				var exporter, bare time.Duration
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					v.serve(e.own, e.c)
					exporter += time.Since(start)
					b.StopTimer()
					start = time.Now()
					e.bare.ServeHTTP(&discard{}, req)
					bare += time.Since(start)
					b.StartTimer()
				}
				b.StopTimer()
				b.ReportMetric(float64(exporter)/float64(bare), "x_bare")
				if got := e.up.sim.Hits("/d7networks/messages/v1/balance"); got != n {
					b.Fatalf("%d provider calls for %d cached accounts", got, n)
				}
			})
		}
	}
}

// BenchmarkProbe serves /probe of one account among N, from cache: its cost
// should not depend on N.
func BenchmarkProbe(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprintf("accounts=%d", n), func(b *testing.B) {
			e := getWarmEnv(b, n)
			name := fmt.Sprintf("acct-%d", n/2)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				serveProbe(b, e.c, name)
			}
		})
	}
}

// BenchmarkColdScrape100x200ms serves the first /metrics of a fresh
// collector with 100 accounts on one host whose API answers after 200ms:
// every account is due. x_upstream is the scrape's duration over the 200ms
// of the slowest upstream call (the goal: at most 1.5).
func BenchmarkColdScrape100x200ms(b *testing.B) {
	const delay = 200 * time.Millisecond
	up := newBenchUpstream(100, delay, false, time.Hour)
	defer up.close()
	own := prometheus.NewRegistry()
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := New(Options{})
		if err := c.Apply(up.cfg); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		serveMetrics(own, c)
		total += time.Since(start)
		b.StopTimer()
		if st := c.Status(); !st[len(st)-1].Up {
			b.Fatalf("account not refreshed: %+v", st[len(st)-1])
		}
		c.opts.Client.CloseIdleConnections()
		b.StartTimer()
	}
	b.ReportMetric(total.Seconds()/float64(b.N)/delay.Seconds(), "x_upstream")
}

// BenchmarkColdScrape measures a scrape that must refresh 50 accounts over
// HTTP, one of which hangs until its 200ms timeout: it should take about the
// slowest account, not the sum.
func BenchmarkColdScrape(b *testing.B) {
	for _, hang := range []bool{false, true} {
		b.Run(fmt.Sprintf("hanging=%v", hang), func(b *testing.B) {
			up := newBenchUpstream(50, 0, hang, 0)
			defer up.close()
			for i := 0; i < b.N; i++ {
				c := New(Options{})
				if err := c.Apply(up.cfg); err != nil {
					b.Fatal(err)
				}
				if n := testutil.CollectAndCount(c, "sms_balance"); n != 50 {
					b.Fatalf("%d balances", n)
				}
				c.opts.Client.CloseIdleConnections()
			}
		})
	}
}
