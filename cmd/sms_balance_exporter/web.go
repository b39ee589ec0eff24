package main

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
	"github.com/sms-balance-exporter/sms_balance_exporter/config"
)

// server holds what the HTTP endpoints need.
type server struct {
	logger        log.Logger
	registry      *prometheus.Registry
	collector     *collector.Collector
	reloader      *config.Reloader
	telemetryPath string
	timeoutOffset time.Duration
}

func (s *server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(s.telemetryPath, promhttp.InstrumentMetricHandler(s.registry, http.HandlerFunc(s.metrics)))
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

// metrics serves one scrape, bounded by Prometheus' scrape timeout header
// less the offset.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if v := r.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || secs <= 0 {
			http.Error(w, fmt.Sprintf("invalid X-Prometheus-Scrape-Timeout-Seconds %q", v), http.StatusBadRequest)
			return
		}
		timeout := time.Duration(secs*float64(time.Second)) - s.timeoutOffset
		if timeout < 100*time.Millisecond {
			timeout = 100 * time.Millisecond
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	scrapeReg := prometheus.NewRegistry()
	scrapeReg.MustRegister(s.collector.WithContext(ctx))
	promhttp.HandlerFor(prometheus.Gatherers{s.registry, scrapeReg}, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s.logger},
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
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

var accountsTable = template.Must(template.New("accounts").Parse(`
<h2>Accounts</h2>
<table style="border-collapse: collapse">
<thead><tr><th align="left">Account</th><th align="left">Provider</th><th align="left">Status</th><th align="right">Balance</th><th align="left">Last success</th><th align="left">Last error</th></tr></thead>
<tbody>
{{range .}}<tr>
<td>{{.Name}}</td><td>{{.Provider}}</td>
<td>{{if not .Attempted}}not refreshed yet{{else if .Up}}up{{else}}down ({{.Reason}}){{end}}</td>
<td align="right">{{if .Balances}}{{.BalanceText}}{{else}}–{{end}}</td>
<td>{{if .LastSuccess.IsZero}}never{{else}}{{.LastSuccess.UTC.Format "2006-01-02 15:04:05Z"}}{{end}}</td>
<td>{{.LastError}}</td>
</tr>
{{else}}<tr><td colspan="6">No accounts configured.</td></tr>
{{end}}</tbody>
</table>
<style>td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; }</style>
`))

type statusRow struct {
	collector.Status
	BalanceText string
}

// landing serves the landing page with a table of the accounts. Statuses
// hold no credential: errors were redacted when recorded.
func (s *server) landing(w http.ResponseWriter, r *http.Request) {
	var rows []statusRow
	for _, st := range s.collector.Status() {
		row := statusRow{Status: st}
		row.BalanceText = amountsText(st.Balances)
		rows = append(rows, row)
	}
	var extra bytes.Buffer
	if err := accountsTable.Execute(&extra, rows); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page, err := web.NewLandingPage(web.LandingConfig{
		Name:        "SMS Balance Exporter",
		Description: "Prometheus exporter for the credit left on SMS provider accounts",
		Version:     version.Info(),
		Profiling:   "false",
		Links: []web.LandingLinks{
			{Address: s.telemetryPath, Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
		ExtraHTML: extra.String(),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}
