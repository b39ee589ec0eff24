// Command sms_balance_loadtest measures a built sms_balance_exporter under
// load, on loopback only.
//
// It builds nothing: --exporter.binary names the exporter to run. It serves
// the bundled provider simulator in-process on 127.0.0.1 with --accounts D7
// Networks accounts (a --failing fraction answering HTTP 500, a --hanging
// fraction never answering, every answer delayed by --upstream-delay),
// writes their configuration to a temporary directory, starts the exporter
// on a free loopback port and takes a baseline with one (cold) scrape of
// /metrics. Then --scrapers concurrent scrapers scrape /metrics for
// --duration, each scrape carrying X-Prometheus-Scrape-Timeout-Seconds, and
// it prints one figure per line ("name value"):
//
//	cold_scrape_seconds                  the baseline scrape (every account due)
//	scrapes, scrapes_per_second          completed scrapes under load
//	latency_p50_seconds, _p99_, _max_    their latency
//	failed_scrapes                       transport errors and non-200 answers
//	upstream_calls                       simulator.Hits of the balance endpoint
//	upstream_calls_per_account_per_ttl   upstream_calls / accounts / cache_ttl periods
//	peak_rss_bytes                       the exporter's VmHWM (/proc/<pid>/status)
//	rss_after_bytes, rss_file_after_bytes  its VmRSS at the end, and the file-backed part
//	goroutines_before, goroutines_after  the exporter's own go_goroutines
//	seen_max_go_*                        the highest go_goroutines, heap, stack and sys
//	                                     bytes the exporter reported in the scrapes
//	open_fds_before, open_fds_after      entries of /proc/<pid>/fd
//
// Every loop is bounded by --duration or a fixed timeout; the exporter is
// stopped (SIGTERM, then SIGKILL) before it returns. Linux only (/proc).
package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

const name = "sms_balance_loadtest"

// balancePath is the simulated D7 balance endpoint, as simulator.Hits counts it.
const balancePath = "/d7networks/messages/v1/balance"

// maxSamples bounds the latencies kept for the percentiles.
const maxSamples = 1 << 20

// peakMetrics are the exporter's own metrics whose highest value over the
// scrapes is reported (each scrape's value is taken when it is gathered,
// before the accounts: a sample of the exporter's state, not its true peak).
var peakMetrics = []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes"}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// settings are the parsed flags.
type settings struct {
	binary         string
	exporterArgs   []string
	exporterEnv    []string
	exporterOutput bool
	startTimeout   time.Duration
	accounts       int
	upstreamDelay  time.Duration
	failing        float64
	hanging        float64
	scrapers       int
	duration       time.Duration
	scrapeTimeout  time.Duration
	cacheTTL       time.Duration
	accountTimeout time.Duration
}

// run is the whole program; it returns the exit code (0 when the run
// completed, whatever its figures; 1 when it could not run; 2 on bad flags).
func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New(name, "Load test of a built sms_balance_exporter against the in-process provider simulator, on loopback.")
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	var s settings
	app.Flag("exporter.binary", "Path of the sms_balance_exporter binary to run (built beforehand).").Required().StringVar(&s.binary)
	app.Flag("exporter.arg", "Extra argument for the exporter, e.g. --exporter.arg=--collector.max-concurrency=32; repeatable.").StringsVar(&s.exporterArgs)
	app.Flag("exporter.env", "Extra environment variable KEY=VALUE for the exporter only, e.g. --exporter.env=GOGC=50; repeatable.").StringsVar(&s.exporterEnv)
	app.Flag("exporter.output", "Copy the exporter's standard output and error to standard error, each line prefixed with 'exporter| ' (e.g. with --exporter.env=GODEBUG=gctrace=1).").BoolVar(&s.exporterOutput)
	app.Flag("exporter.start-timeout", "How long to wait for the exporter to become ready.").Default("20s").DurationVar(&s.startTimeout)
	app.Flag("accounts", "Number of simulated D7 Networks accounts.").Default("100").IntVar(&s.accounts)
	app.Flag("upstream-delay", "Delay of every simulated provider answer.").Default("0s").DurationVar(&s.upstreamDelay)
	app.Flag("failing", "Fraction of the accounts whose provider answers HTTP 500.").Default("0").Float64Var(&s.failing)
	app.Flag("hanging", "Fraction of the accounts whose provider never answers (until the account's timeout).").Default("0").Float64Var(&s.hanging)
	app.Flag("scrapers", "Concurrent scrapers of /metrics.").Default("2").IntVar(&s.scrapers)
	app.Flag("duration", "How long the scrapers run.").Default("10s").DurationVar(&s.duration)
	app.Flag("scrape-timeout", "Sent as X-Prometheus-Scrape-Timeout-Seconds with every scrape.").Default("10s").DurationVar(&s.scrapeTimeout)
	app.Flag("cache-ttl", "cache_ttl of the accounts.").Default("60s").DurationVar(&s.cacheTTL)
	app.Flag("account-timeout", "timeout of the accounts.").Default("5s").DurationVar(&s.accountTimeout)
	app.HelpFlag.Short('h')
	exited := -1
	app.Terminate(func(code int) { exited = code })
	_, err := app.Parse(args)
	if exited >= 0 { // --help
		return exited
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: error: %v\n", name, err)
		return 2
	}
	if msg := s.check(); msg != "" {
		fmt.Fprintf(stderr, "%s: error: %s\n", name, msg)
		return 2
	}
	res, err := loadTest(s, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	res.print(stdout)
	return 0
}

func (s settings) check() string {
	switch {
	case s.accounts < 1 || s.accounts > 100_000:
		return "--accounts must be from 1 to 100000"
	case s.scrapers < 1 || s.scrapers > 1000:
		return "--scrapers must be from 1 to 1000"
	case s.duration <= 0 || s.duration > time.Hour:
		return "--duration must be positive and at most 1h"
	case s.failing < 0 || s.hanging < 0 || s.failing+s.hanging > 1:
		return "--failing and --hanging must be fractions adding up to at most 1"
	case s.upstreamDelay < 0 || s.upstreamDelay > time.Minute:
		return "--upstream-delay must be from 0 to 1m"
	case s.scrapeTimeout < time.Second:
		return "--scrape-timeout must be at least 1s"
	case s.cacheTTL < 0 || s.accountTimeout <= 0:
		return "--cache-ttl must not be negative and --account-timeout must be positive"
	}
	for _, kv := range s.exporterEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Sprintf("--exporter.env %q is not KEY=VALUE", kv)
		}
	}
	return ""
}

// result is what a run measured.
type result struct {
	accounts, scrapers                int
	coldScrape                        time.Duration
	elapsed                           time.Duration // of the scrapers
	latencies                         []time.Duration
	failed                            int
	firstFailure                      string
	upstreamCalls                     int
	ttlPeriods                        int
	peakRSS, rssAfter                 int64
	rssFile                           int64 // of rssAfter: file-backed (the binary's code)
	goroutinesBefore, goroutinesAfter float64
	// peaks are the highest values of some of the exporter's own go_*
	// metrics seen by the scrapes, by name.
	peaks               map[string]float64
	fdsBefore, fdsAfter int
}

func (r *result) print(w io.Writer) {
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	line := func(k string, v any) { fmt.Fprintf(w, "%-36s %v\n", k, v) }
	line("accounts", r.accounts)
	line("scrapers", r.scrapers)
	line("cold_scrape_seconds", secs(r.coldScrape))
	line("duration_seconds", secs(r.elapsed))
	line("scrapes", len(r.latencies))
	line("scrapes_per_second", strconv.FormatFloat(float64(len(r.latencies))/r.elapsed.Seconds(), 'f', 2, 64))
	line("latency_p50_seconds", secs(percentile(r.latencies, 0.50)))
	line("latency_p99_seconds", secs(percentile(r.latencies, 0.99)))
	line("latency_max_seconds", secs(percentile(r.latencies, 1)))
	line("failed_scrapes", r.failed)
	line("upstream_calls", r.upstreamCalls)
	line("upstream_calls_per_account_per_ttl", strconv.FormatFloat(float64(r.upstreamCalls)/float64(r.accounts)/float64(r.ttlPeriods), 'f', 3, 64))
	line("peak_rss_bytes", r.peakRSS)
	line("peak_rss_mib", strconv.FormatFloat(float64(r.peakRSS)/(1<<20), 'f', 1, 64))
	line("rss_after_bytes", r.rssAfter)
	line("rss_file_after_bytes", r.rssFile)
	line("goroutines_before", r.goroutinesBefore)
	line("goroutines_after", r.goroutinesAfter)
	for _, name := range peakMetrics {
		line("seen_max_"+name, r.peaks[name])
	}
	line("open_fds_before", r.fdsBefore)
	line("open_fds_after", r.fdsAfter)
	if r.firstFailure != "" {
		line("first_failure", strconv.Quote(r.firstFailure))
	}
}

func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 4, 64) }

// percentile of sorted durations (nearest rank); 0 when there are none.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// delayed delays every answer of h by d (or until the request is cancelled).
type delayed struct {
	h http.Handler
	d time.Duration
}

func (d delayed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.d > 0 {
		t := time.NewTimer(d.d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	d.h.ServeHTTP(w, r)
}

// loadTest runs the whole test and returns its figures.
func loadTest(s settings, logw io.Writer) (*result, error) {
	sim := simulator.New([]providers.Spec{d7networks.Spec})
	defer sim.Close()
	simURL, stopSim, err := serve(delayed{h: sim, d: s.upstreamDelay})
	if err != nil {
		return nil, err
	}
	defer stopSim()

	dir, err := os.MkdirTemp("", name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	conf := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(conf, configFor(sim, simURL, s), 0o600); err != nil {
		return nil, err
	}

	x, err := startExporter(s, conf, logw)
	if err != nil {
		return nil, err
	}
	defer x.stop()

	client := &http.Client{Transport: &http.Transport{
		Proxy:               nil, // loopback only, whatever the environment says
		MaxIdleConnsPerHost: s.scrapers + 1,
		DisableCompression:  true,
	}}
	defer client.CloseIdleConnections()
	res := &result{accounts: s.accounts, scrapers: s.scrapers, peaks: map[string]float64{}}

	// Baseline: the fds now, and go_goroutines as gathered before the
	// accounts (the exporter gathers its own registry first) by one scrape,
	// which is cold: it waits for every account.
	res.fdsBefore = x.fds()
	start := time.Now()
	body, err := x.scrape(client, s.scrapeTimeout)
	if err != nil {
		return nil, fmt.Errorf("baseline scrape: %w; exporter output:\n%s", err, x.logs.String())
	}
	res.coldScrape = time.Since(start)
	res.goroutinesBefore = gauge(body, "go_goroutines")

	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		stop = time.Now().Add(s.duration)
	)
	loadStart := time.Now()
	for i := 0; i < s.scrapers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				body, err := x.scrape(client, s.scrapeTimeout)
				d := time.Since(t0)
				seen := ownMetrics(body)
				mu.Lock()
				for k, v := range seen {
					res.peaks[k] = max(res.peaks[k], v)
				}
				if len(res.latencies) < maxSamples {
					res.latencies = append(res.latencies, d)
				}
				if err != nil {
					res.failed++
					if res.firstFailure == "" {
						res.firstFailure = err.Error()
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(loadStart)
	total := time.Since(start)

	// After: let the exporter drop the scrapers' connections, then measure.
	client.CloseIdleConnections()
	time.Sleep(300 * time.Millisecond)
	res.fdsAfter = x.fds()
	if body, err := x.scrape(client, s.scrapeTimeout); err == nil {
		res.goroutinesAfter = gauge(body, "go_goroutines")
	} else {
		res.goroutinesAfter = math.NaN()
	}
	client.CloseIdleConnections()
	res.peakRSS, res.rssAfter, res.rssFile = x.memory()
	res.upstreamCalls = sim.Hits(balancePath)
	res.ttlPeriods = 1
	if s.cacheTTL > 0 {
		res.ttlPeriods = int(total/s.cacheTTL) + 1
	}
	if x.exited() {
		return nil, fmt.Errorf("the exporter exited during the test; output:\n%s", x.logs.String())
	}
	if logs := x.logs.String(); strings.Contains(logs, "level=error") {
		fmt.Fprintf(logw, "exporter logged errors:\n%s", logs)
	}
	return res, nil
}

// configFor adds s.accounts accounts to sim and returns their configuration:
// the first --failing fraction answer HTTP 500, the next --hanging fraction
// never answer.
func configFor(sim *simulator.Simulator, simURL string, s settings) []byte {
	failing := int(math.Round(s.failing * float64(s.accounts)))
	hanging := int(math.Round(s.hanging * float64(s.accounts)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "defaults:\n  timeout: %s\n  cache_ttl: %s\n  max_stale: 1h\naccounts:\n",
		promDuration(s.accountTimeout), promDuration(s.cacheTTL))
	base := simulator.BaseURL(simURL, d7networks.Spec.ID)
	for i := 0; i < s.accounts; i++ {
		w := providers.Wallet{Balance: float64(1000 + i)}
		switch {
		case i < failing:
			w.Behavior = providers.ServerError
		case i < failing+hanging:
			w.Behavior = providers.Hang
		}
		token := fmt.Sprintf("loadtest-token-%06d", i)
		sim.Add(d7networks.Spec.ID, map[string]string{"token": token}, w)
		fmt.Fprintf(&b, "  - name: acct-%06d\n    provider: d7networks\n    base_url: %s\n    currency: EUR\n    credentials:\n      token: %s\n",
			i, base, token)
	}
	return b.Bytes()
}

// promDuration formats d in Prometheus' duration format (milliseconds).
func promDuration(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
}

// serve serves h on a free loopback port and returns its URL.
func serve(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("listening for the simulator: %w", err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

// exporter is the running exporter process.
type exporter struct {
	cmd  *exec.Cmd
	base string
	logs *tailBuffer
	done chan struct{}
}

// startExporter starts the binary on a free loopback port and waits until
// it is ready.
func startExporter(s settings, conf string, logw io.Writer) (*exporter, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"--config.file=" + conf, "--web.listen-address=" + addr, "--log.level=warn"}, s.exporterArgs...)
	cmd := exec.Command(s.binary, args...)
	cmd.Env = append(os.Environ(), s.exporterEnv...)
	logs := &tailBuffer{max: 64 << 10}
	cmd.Stdout, cmd.Stderr = logs, logs
	if s.exporterOutput {
		w := io.MultiWriter(logs, &lockedWriter{w: logw, prefix: []byte("exporter| "), atStart: true})
		cmd.Stdout, cmd.Stderr = w, w
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the exporter: %w", err)
	}
	x := &exporter{cmd: cmd, base: "http://" + addr, logs: logs, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(x.done) }()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(s.startTimeout)
	for time.Now().Before(deadline) {
		if x.exited() {
			return nil, fmt.Errorf("the exporter exited at start; output:\n%s", logs.String())
		}
		if resp, err := client.Get(x.base + "/-/ready"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return x, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	x.stop()
	return nil, fmt.Errorf("the exporter was not ready within %s; output:\n%s", s.startTimeout, logs.String())
}

func (x *exporter) exited() bool {
	select {
	case <-x.done:
		return true
	default:
		return false
	}
}

// stop ends the exporter: SIGTERM, then SIGKILL after 5s.
func (x *exporter) stop() {
	if x.exited() {
		return
	}
	_ = x.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-x.done:
	case <-time.After(5 * time.Second):
		_ = x.cmd.Process.Kill()
		<-x.done
	}
}

// scrape GETs /metrics with the scrape timeout header and returns the body.
func (x *exporter) scrape(client *http.Client, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, x.base+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64))
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(body[:min(len(body), 200)]))
	}
	return body, nil
}

// fds counts the exporter's open file descriptors (-1 if unknown).
func (x *exporter) fds() int {
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", x.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	return len(entries)
}

// memory returns the exporter's VmHWM, VmRSS and RssFile in bytes (-1 if
// unknown).
func (x *exporter) memory() (peak, now, file int64) {
	peak, now, file = -1, -1, -1
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", x.cmd.Process.Pid))
	if err != nil {
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmHWM":
			peak = n << 10
		case "VmRSS":
			now = n << 10
		case "RssFile":
			file = n << 10
		}
	}
	return
}

// ownMetrics returns the values of peakMetrics in a scrape's body. The
// exporter's own families sort before the accounts' (sms_*): the scan stops
// there.
func ownMetrics(body []byte) map[string]float64 {
	out := make(map[string]float64, len(peakMetrics))
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if bytes.HasPrefix(line, []byte("sms_")) {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(" "))
		if !ok || bytes.HasPrefix(line, []byte("#")) {
			continue
		}
		for _, m := range peakMetrics {
			if string(name) == m {
				if v, err := strconv.ParseFloat(string(value), 64); err == nil {
					out[m] = v
				}
			}
		}
	}
	return out
}

// gauge returns the value of the unlabelled sample name in a text
// exposition, or NaN.
func gauge(body []byte, name string) float64 {
	for _, l := range bytes.Split(body, []byte("\n")) {
		rest, ok := bytes.CutPrefix(l, []byte(name+" "))
		if !ok {
			continue
		}
		if v, err := strconv.ParseFloat(string(bytes.TrimSpace(rest)), 64); err == nil {
			return v
		}
	}
	return math.NaN()
}

// lockedWriter serializes writes to w, starting every line with prefix.
type lockedWriter struct {
	mu      sync.Mutex
	w       io.Writer
	prefix  []byte
	atStart bool
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b []byte
	for _, c := range p {
		if l.atStart {
			b = append(b, l.prefix...)
		}
		b = append(b, c)
		l.atStart = c == '\n'
	}
	if _, err := l.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
