package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
	"github.com/sms-balance-exporter/sms_balance_exporter/config"
)

// maxScrapeTimeout bounds every scrape and probe, whatever the
// X-Prometheus-Scrape-Timeout-Seconds header says (or without one).
const maxScrapeTimeout = 5 * time.Minute

// server holds what the HTTP endpoints need.
type server struct {
	logger        log.Logger
	registry      *prometheus.Registry // the exporter's own metrics
	collector     *collector.Collector
	reloader      *config.Reloader
	telemetryPath string
	timeoutOffset time.Duration
	// probeOnly makes /metrics carry only the exporter's own metrics.
	probeOnly bool
	// exporterMetrics instruments the metrics handlers (promhttp_*).
	exporterMetrics bool
	// scrapes bounds concurrent /metrics requests, probes concurrent /probe
	// requests (nil: no bound). Apart, because Prometheus sends one probe per
	// account: thousands of cheap requests where /metrics sees a few heavy
	// ones, and probes waiting on slow providers must not starve /metrics.
	scrapes, probes chan struct{}
}

// defaultMaxProbeRequests is the default of --web.max-probe-requests: as
// many probes as provider calls may be in flight in all (collector's cap).
const defaultMaxProbeRequests = 1024

// reservedPaths are the exporter's own endpoints, which --web.telemetry-path
// may not take.
var reservedPaths = []string{"/probe", "/sd", "/-/healthy", "/-/ready", "/-/reload"}

// checkTelemetryPath refuses a --web.telemetry-path that is not an absolute
// URL path or that would take another endpoint's place.
func checkTelemetryPath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("%q does not start with /", p)
	case strings.ContainsAny(p, " \t\r\n{}?#"):
		return fmt.Errorf("%q holds a space, brace, ? or #", p)
	case path.Clean(p) != p && path.Clean(p)+"/" != p:
		return fmt.Errorf("%q is not a clean path (as %q, which clients are redirected to)", p, path.Clean(p))
	case slices.Contains(reservedPaths, strings.TrimSuffix(p, "/")) || strings.HasPrefix(p, "/-/"):
		return fmt.Errorf("%q is one of the exporter's own endpoints (%s)", p, strings.Join(reservedPaths, ", "))
	}
	return nil
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	metrics := http.Handler(http.HandlerFunc(s.metrics))
	probe := http.Handler(http.HandlerFunc(s.probe))
	if s.exporterMetrics {
		metrics = promhttp.InstrumentMetricHandler(s.registry, metrics)
	}
	// Exactly the path: a pattern ending in / would also match every path
	// below it (with "/", every path the exporter does not serve).
	pattern := s.telemetryPath
	if strings.HasSuffix(pattern, "/") {
		pattern += "{$}"
	}
	mux.Handle(pattern, limit(s.scrapes, "--web.max-requests", metrics))
	mux.Handle("/probe", limit(s.probes, "--web.max-probe-requests", probe))
	mux.HandleFunc("/sd", s.serviceDiscovery)
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "Healthy")
	})
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if s.reloader.Current() == nil {
			http.Error(w, "Not ready: no configuration loaded", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", s.reload)
	if s.telemetryPath != "/" {
		mux.HandleFunc("/", s.landing)
	}
	return mux
}

// limit answers 503 when cap(slots) requests of h are already being served
// (flag names the flag that sets it); nil slots: no limit.
func limit(slots chan struct{}, flag string, h http.Handler) http.Handler {
	if slots == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
			defer func() { <-slots }()
			h.ServeHTTP(w, r)
		default:
			http.Error(w, fmt.Sprintf("Too many concurrent requests (%s=%d); try again later", flag, cap(slots)), http.StatusServiceUnavailable)
		}
	})
}

// scrapeContext bounds a scrape by Prometheus' scrape timeout header less
// the offset, and by maxScrapeTimeout in any case.
func (s *server) scrapeContext(r *http.Request) (context.Context, context.CancelFunc, error) {
	timeout := maxScrapeTimeout
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || secs <= 0 {
			return nil, nil, fmt.Errorf("invalid X-Prometheus-Scrape-Timeout-Seconds %q", v)
		}
		if secs < maxScrapeTimeout.Seconds() {
			timeout = time.Duration(secs*float64(time.Second)) - s.timeoutOffset
		}
		timeout = max(timeout, 100*time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, cancel, nil
}

// serve gathers the exporter's own metrics and, when c is not nil, c's.
func (s *server) serve(w http.ResponseWriter, r *http.Request, gatherers prometheus.Gatherer) {
	promhttp.HandlerFor(gatherers, promhttp.HandlerOpts{
		ErrorLog:          promLogger{s.logger},
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	}).ServeHTTP(w, r)
}

// metrics serves /metrics: every account, unless in probe-only mode.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.probeOnly {
		s.serve(w, r, s.registry)
		return
	}
	ctx, cancel, err := s.scrapeContext(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer cancel()
	s.serve(w, r, collector.Concat{s.registry, s.collector.Gatherer(ctx)})
}

// probe serves /probe?target=<account>: that account's series only.
func (s *server) probe(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Query().Get("target")
	if target == "" {
		http.Error(w, "Missing parameter target: the name of a configured account", http.StatusBadRequest)
		return
	}
	ctx, cancel, err := s.scrapeContext(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	defer cancel()
	g, ok := s.collector.AccountGatherer(ctx, target)
	if !ok {
		http.Error(w, "Unknown target: not the name of a configured account (see /sd for the list)", http.StatusBadRequest)
		return
	}
	s.serve(w, r, g)
}

// sdGroup is one target group of Prometheus HTTP service discovery.
type sdGroup struct {
	Targets []string          `json:"targets"`
	Labels  map[string]string `json:"labels"`
}

// serviceDiscovery serves /sd: one target group per account (optionally of
// ?provider= only), for http_sd_configs.
func (s *server) serviceDiscovery(w http.ResponseWriter, r *http.Request) {
	provider := r.URL.Query().Get("provider")
	groups := []sdGroup{}
	for _, t := range s.collector.Targets() {
		if provider != "" && t.Provider != provider {
			continue
		}
		groups = append(groups, sdGroup{Targets: []string{t.Name}, Labels: map[string]string{
			"__meta_sms_provider": t.Provider,
			"__meta_sms_account":  t.Name,
		}})
	}
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(groups); err != nil {
		level.Debug(s.logger).Log("msg", "Error writing service discovery", "err", err)
	}
}

type promLogger struct{ l log.Logger }

func (p promLogger) Println(v ...any) { level.Error(p.l).Log("msg", fmt.Sprint(v...)) }

func (s *server) reload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodPut {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
		return
	}
	if err := s.reloader.Reload(); err != nil {
		level.Error(s.logger).Log("msg", "Error reloading configuration; keeping the running one", "err", err)
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	level.Info(s.logger).Log("msg", "Reloaded configuration", "accounts", len(s.reloader.Current().Accounts))
	fmt.Fprintln(w, "Configuration reloaded")
}
