package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProbeAndServiceDiscovery runs the built binary: /probe serves one
// account's series, /sd lists the accounts (and follows a reload), and an
// unknown target is refused without being reflected.
func TestProbeAndServiceDiscovery(t *testing.T) {
	e := newEnv(t)
	x := startExporter(t, "--config.file="+e.conf)
	timeout := map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"}

	code, body := x.get("/probe?target=marketing", timeout)
	if code != http.StatusOK {
		t.Fatalf("/probe?target=marketing: %d %s", code, body)
	}
	assertContains(t, "probe", body, `sms_balance{account="marketing",currency="EUR",provider="d7networks",unit="currency"} 99.5`,
		`sms_provider_up{account="marketing",provider="d7networks"} 1`)
	if strings.Contains(body, `account="chile"`) || strings.Contains(body, "go_goroutines") {
		t.Errorf("probe of marketing shows other series:\n%s", body)
	}
	promtoolCheck(t, body)
	if e.sim.Hits("/rtisms/api/balance") != 0 {
		t.Error("a probe of marketing refreshed chile")
	}

	for _, q := range []string{"/probe", "/probe?target=%3Cscript%3Ealert(1)%3C/script%3E", "/probe?target=nosuch"} {
		code, body := x.get(q, nil)
		if code != http.StatusBadRequest || strings.Contains(body, "<script>") || strings.Contains(body, "nosuch") {
			t.Errorf("GET %s = %d %q, want 400 without the target", q, code, body)
		}
	}

	var groups []sdGroup
	code, body = x.get("/sd", nil)
	if err := json.Unmarshal([]byte(body), &groups); code != http.StatusOK || err != nil {
		t.Fatalf("/sd: %d %v %s", code, err, body)
	}
	got := map[string]string{}
	for _, g := range groups {
		if len(g.Targets) != 1 || g.Labels["__meta_sms_account"] != g.Targets[0] {
			t.Errorf("target group %+v", g)
		}
		got[g.Targets[0]] = g.Labels["__meta_sms_provider"]
	}
	want := map[string]string{"chile": "rtisms", "marketing": "d7networks", "ghana": "smsonlinegh", "revoked": "d7networks"}
	if len(got) != len(want) {
		t.Errorf("/sd = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("/sd[%s] = %q, want %q", k, got[k], v)
		}
	}
	_, body = x.get("/sd?provider=d7networks", nil)
	if !strings.Contains(body, `"marketing"`) || !strings.Contains(body, `"revoked"`) || strings.Contains(body, "chile") {
		t.Errorf("/sd?provider=d7networks = %s", body)
	}

	e.write(false, false) // marketing and revoked go
	if code, body := x.do(http.MethodPost, "/-/reload", nil); code != http.StatusOK {
		t.Fatalf("reload: %d %s", code, body)
	}
	_, body = x.get("/sd", nil)
	if strings.Contains(body, "marketing") || !strings.Contains(body, "chile") {
		t.Errorf("/sd after reload = %s", body)
	}
	if code, _ := x.get("/probe?target=marketing", nil); code != http.StatusBadRequest {
		t.Errorf("probe of a removed account: %d", code)
	}
}

// TestProbeOnlyAndExporterMetrics checks --web.probe-only (/metrics has the
// exporter's own metrics only and calls no provider),
// --web.disable-exporter-metrics, and OpenMetrics negotiation.
func TestProbeOnlyAndExporterMetrics(t *testing.T) {
	e := newEnv(t)
	x := startExporter(t, "--config.file="+e.conf, "--web.probe-only", "--web.disable-exporter-metrics")
	metrics := x.scrape()
	assertContains(t, "probe-only /metrics", metrics, "sms_balance_exporter_build_info", "sms_balance_exporter_config_last_reload_successful 1")
	for _, absent := range []string{"sms_balance{", "sms_provider_up", "go_goroutines", "process_cpu_seconds_total", "promhttp_metric_handler"} {
		if strings.Contains(metrics, absent) {
			t.Errorf("probe-only /metrics with exporter metrics disabled has %s", absent)
		}
	}
	if n := e.sim.Hits("/d7networks/messages/v1/balance") + e.sim.Hits("/rtisms/api/auth") + e.sim.Hits("/smsonlinegh/v5/account/balance"); n != 0 {
		t.Errorf("probe-only /metrics called providers %d times", n)
	}
	if code, body := x.get("/probe?target=ghana", nil); code != http.StatusOK || !strings.Contains(body, `sms_balance{account="ghana"`) {
		t.Errorf("probe in probe-only mode: %d %s", code, body)
	}

	req, _ := http.NewRequest(http.MethodGet, x.base+"/probe?target=ghana", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	om, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Errorf("Content-Type with OpenMetrics asked = %q", ct)
	}
	// OpenMetrics: ends with # EOF, each family named once (counters lose
	// their _total in the family name), samples of counters end in _total.
	if !strings.HasSuffix(string(om), "# EOF\n") {
		t.Errorf("OpenMetrics probe does not end with # EOF:\n%s", om)
	}
	families := map[string]string{}
	for _, line := range strings.Split(string(om), "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[1] == "TYPE" {
			if _, dup := families[f[2]]; dup {
				t.Errorf("OpenMetrics family %s twice", f[2])
			}
			families[f[2]] = f[3]
		}
	}
	if families["sms_provider_requests"] != "counter" || !strings.Contains(string(om), "\nsms_provider_requests_total{") {
		t.Errorf("OpenMetrics counter family sms_provider_requests missing or its samples lack _total:\n%s", om)
	}
}

// TestMaxRequests checks that beyond --web.max-requests concurrent scrapes
// the answer is 503, and that a slot is freed when a scrape ends.
func TestMaxRequests(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	h := limit(make(chan struct{}, 1), "--web.max-requests", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	first := make(chan int)
	go func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		first <- rec.Code
	}()
	<-entered
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("second concurrent scrape: %d, want 503", rec.Code)
	}
	close(release)
	if code := <-first; code != http.StatusOK {
		t.Fatalf("first scrape: %d", code)
	}
	go func() { <-entered }()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape after the first ended: %d", rec.Code)
	}
}

// TestProbesHaveTheirOwnLimit runs the built binary with 30 accounts whose
// API answers after 500 ms: 30 concurrent probes are all served although
// --web.max-requests is 2 (it bounds /metrics; the probes shared it and 28
// of them answered 503), and --web.max-probe-requests bounds them instead.
func TestProbesHaveTheirOwnLimit(t *testing.T) {
	const accounts = 30
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(500 * time.Millisecond)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"balance": 12.5}`)
	}))
	t.Cleanup(upstream.Close)
	conf := filepath.Join(t.TempDir(), "exporter.yml")
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range accounts {
		fmt.Fprintf(&b, "  - {name: a%02d, provider: d7networks, base_url: %q, currency: EUR, credentials: {token: tok-%02d-secret}}\n", i, upstream.URL, i)
	}
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	probeAll := func(x *exporter) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range accounts {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code, body := x.get(fmt.Sprintf("/probe?target=a%02d", i), map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "10"})
				if code == http.StatusServiceUnavailable && !strings.Contains(body, "--web.max-probe-requests=") {
					t.Errorf("503 without naming its flag: %q", body)
				}
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}
	if codes := probeAll(startExporter(t, "--config.file="+conf, "--web.max-requests=2")); codes[http.StatusOK] != accounts {
		t.Errorf("30 concurrent probes with --web.max-requests=2: %v, want all 200", codes)
	}
	codes := probeAll(startExporter(t, "--config.file="+conf, "--web.max-probe-requests=5"))
	if codes[http.StatusOK] < 5 || codes[http.StatusServiceUnavailable] == 0 || codes[http.StatusOK]+codes[http.StatusServiceUnavailable] != accounts {
		t.Errorf("30 concurrent probes with --web.max-probe-requests=5: %v, want 5 or more 200 and the rest 503", codes)
	}
}

// TestTelemetryPath: a --web.telemetry-path that would take another
// endpoint's place (it panicked on the duplicate route) or is not a path is
// refused at start with exit code 2.
func TestTelemetryPath(t *testing.T) {
	for _, p := range []string{"/probe", "/sd", "/-/ready", "/-/healthy/", "/-/reload", "/-/anything", "metrics", "", "/a b", "/{x}", "GET /m", "//metrics", "/x/../metrics", "/./metrics", "/metrics//"} {
		code, _, stderr := runBinary(t, "--demo", "--web.telemetry-path="+p)
		if code != 2 || !strings.Contains(stderr, "--web.telemetry-path") || strings.Contains(stderr, "goroutine") {
			t.Errorf("--web.telemetry-path=%q: exit %d, %s", p, code, stderr)
		}
	}
	for _, p := range []string{"/metrics", "/", "/sms/metrics", "/probe2", "/metrics/"} {
		if err := checkTelemetryPath(p); err != nil {
			t.Errorf("checkTelemetryPath(%q) = %v", p, err)
		}
	}
	// Served at exactly that path: with "/" or "/metrics/" every path below
	// served the metrics (and refreshed every account).
	for _, tc := range []struct {
		path      string
		ok, notOK []string
	}{
		{"/", []string{"/"}, []string{"/favicon.ico", "/metrics", "/robots.txt"}},
		{"/metrics/", []string{"/metrics/"}, []string{"/metrics/anything", "/metrics/x/y"}},
		{"/metrics", []string{"/metrics"}, []string{"/metrics/anything"}},
	} {
		x := startExporter(t, "--demo", "--web.telemetry-path="+tc.path)
		for _, p := range tc.ok {
			if code, body := x.get(p, nil); code != http.StatusOK || !strings.Contains(body, "sms_balance{") {
				t.Errorf("--web.telemetry-path=%s: GET %s = %d, want the metrics", tc.path, p, code)
			}
		}
		for _, p := range tc.notOK {
			if code, body := x.get(p, nil); strings.Contains(body, "sms_balance{") {
				t.Errorf("--web.telemetry-path=%s: GET %s = %d with the metrics", tc.path, p, code)
			}
		}
	}
}

// TestScrapeDeadline checks the deadline taken from the scrape-timeout
// header: the offset is subtracted, a huge value (1e300, which overflowed
// to no deadline) is clamped, and junk is refused.
func TestScrapeDeadline(t *testing.T) {
	s := &server{timeoutOffset: 500 * time.Millisecond}
	cases := []struct {
		header  string
		atMost  time.Duration
		atLeast time.Duration
		bad     bool
	}{
		{"", maxScrapeTimeout, maxScrapeTimeout - time.Minute, false},
		{"10", 9500 * time.Millisecond, 9 * time.Second, false},
		{"0.2", 100 * time.Millisecond, 50 * time.Millisecond, false},
		{"1e300", maxScrapeTimeout, maxScrapeTimeout - time.Minute, false},
		{"+Inf", maxScrapeTimeout, maxScrapeTimeout - time.Minute, false},
		{"NaN", 0, 0, true},
		{"-1", 0, 0, true},
		{"soon", 0, 0, true},
	}
	for _, c := range cases {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if c.header != "" {
			req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", c.header)
		}
		ctx, cancel, err := s.scrapeContext(req)
		if c.bad {
			if err == nil {
				t.Errorf("header %q accepted", c.header)
				cancel()
			}
			continue
		}
		if err != nil {
			t.Errorf("header %q: %v", c.header, err)
			continue
		}
		deadline, ok := ctx.Deadline()
		left := time.Until(deadline)
		if !ok || left > c.atMost || left < c.atLeast {
			t.Errorf("header %q: deadline in %s, want between %s and %s", c.header, left, c.atLeast, c.atMost)
		}
		cancel()
	}
}

// TestServerTimeouts checks that the server holds no connection forever
// (only ReadHeaderTimeout was set): read, write and idle timeouts, and a
// write timeout above the longest scrape.
func TestServerTimeouts(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 {
		t.Errorf("server timeouts: header %s, read %s, idle %s, max header %d", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.IdleTimeout, srv.MaxHeaderBytes)
	}
	if srv.WriteTimeout <= maxScrapeTimeout {
		t.Errorf("write timeout %s does not outlast the longest scrape (%s)", srv.WriteTimeout, maxScrapeTimeout)
	}
}

// TestSlowClientIsCut checks on a live server that a client trickling its
// request headers is disconnected (by ReadHeaderTimeout, shortened here).
func TestSlowClientIsCut(t *testing.T) {
	srv := newHTTPServer(http.NotFoundHandler())
	srv.ReadHeaderTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /metrics HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 512)
	_, err = conn.Read(buf)
	for err == nil { // a 408 may come first; then the close
		_, err = conn.Read(buf)
	}
	if !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("the trickling client was not disconnected: %v", err)
	}
}
