package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// binary is the exporter built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sms_balance_exporter-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "sms_balance_exporter")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Credentials of the e2e accounts; none may ever show in any output.
const (
	rtiID      = "e2e-rti-client-id-77"
	rtiSecret  = "e2e-rti-client-secret-4b2a"
	d7Token    = "e2e-d7-token-c0ffee"
	d7Revoked  = "e2e-d7-revoked-token-dead"
	ghKey      = "e2e-gh-api-key-f00d"
	ghKeyInEnv = "E2E_GH_KEY"
)

var secrets = []string{rtiID, rtiSecret, d7Token, d7Revoked, ghKey}

// env is a simulator and a config directory for one test.
type env struct {
	t    *testing.T
	sim  *simulator.Simulator
	url  string
	dir  string
	conf string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	sim := simulator.New(registry.All)
	sim.Add("rtisms", map[string]string{"client_id": rtiID, "client_secret": rtiSecret}, providers.Wallet{Balance: 457})
	sim.Add("d7networks", map[string]string{"token": d7Token}, providers.Wallet{Balance: 99.5})
	sim.Add("smsonlinegh", map[string]string{"api_key": ghKey}, providers.Wallet{Balance: 2432, Credits: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(func() { sim.Close(); srv.Close() })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "rti_secret"), []byte(rtiSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, sim: sim, url: srv.URL, dir: dir, conf: filepath.Join(dir, "exporter.yml")}
	e.write(true, true)
	return e
}

// write writes the config: the three good accounts, and the revoked one if asked.
func (e *env) write(withD7, withRevoked bool) {
	e.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "defaults:\n  timeout: 2s\n  cache_ttl: 1s\naccounts:\n")
	fmt.Fprintf(&b, "  - name: chile\n    provider: rtisms\n    base_url: %s/rtisms\n    currency: CLP\n    low_balance_threshold: 500\n    credentials:\n      client_id: %s\n      client_secret_file: rti_secret\n", e.url, rtiID)
	if withD7 {
		fmt.Fprintf(&b, "  - name: marketing\n    provider: d7networks\n    base_url: %s/d7networks\n    currency: EUR\n    credentials:\n      token: %s\n", e.url, d7Token)
	}
	fmt.Fprintf(&b, "  - name: ghana\n    provider: smsonlinegh\n    base_url: %s/smsonlinegh\n    credentials:\n      api_key: ${%s}\n", e.url, ghKeyInEnv)
	if withRevoked {
		fmt.Fprintf(&b, "  - name: revoked\n    provider: d7networks\n    base_url: %s/d7networks\n    currency: EUR\n    credentials:\n      token: %s\n", e.url, d7Revoked)
	}
	e.writeRaw(b.String())
}

func (e *env) writeRaw(s string) {
	e.t.Helper()
	if err := os.WriteFile(e.conf, []byte(s), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// syncBuf collects a process' output.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runBinary runs the exporter to completion and returns its exit code and output.
func runBinary(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = append(os.Environ(), ghKeyInEnv+"="+ghKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee := (*exec.ExitError)(nil); errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

// exporter is a running exporter process.
type exporter struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string
	logs *syncBuf
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startExporter(t *testing.T, args ...string) *exporter {
	t.Helper()
	return startExporterEnv(t, append(os.Environ(), ghKeyInEnv+"="+ghKey), args...)
}

// startExporterEnv is startExporter with the process' whole environment.
func startExporterEnv(t *testing.T, environ []string, args ...string) *exporter {
	t.Helper()
	addr := freePort(t)
	cmd := exec.Command(binary, append([]string{"--web.listen-address=" + addr}, args...)...)
	cmd.Env = environ
	logs := &syncBuf{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	x := &exporter{t: t, cmd: cmd, base: "http://" + addr, logs: logs}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		if code, _ := x.get("/-/ready", nil); code == http.StatusOK {
			return x
		}
		if time.Now().After(deadline) {
			t.Fatalf("exporter not ready; logs:\n%s", logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (x *exporter) do(method, path string, header map[string]string) (int, string) {
	req, err := http.NewRequest(method, x.base+path, nil)
	if err != nil {
		x.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (x *exporter) get(path string, header map[string]string) (int, string) {
	return x.do(http.MethodGet, path, header)
}

func (x *exporter) scrape() string {
	x.t.Helper()
	code, body := x.get("/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
	if code != http.StatusOK {
		x.t.Fatalf("GET /metrics: %d %s", code, body)
	}
	return body
}

func assertContains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s does not contain %q:\n%s", what, w, s)
		}
	}
}

func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			t.Errorf("%s leaks credential %q", what, sec)
		}
	}
}

func promtoolCheck(t *testing.T, metrics string) {
	t.Helper()
	cmd := exec.Command("promtool", "check", "metrics")
	cmd.Stdin = strings.NewReader(metrics)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestServeScrapeReload(t *testing.T) {
	e := newEnv(t)
	x := startExporter(t, "--config.file="+e.conf)

	metrics := x.scrape()
	assertContains(t, "metrics", metrics,
		`sms_balance{account="chile",currency="CLP",provider="rtisms",unit="currency"} 457`,
		`sms_balance{account="marketing",currency="EUR",provider="d7networks",unit="currency"} 99.5`,
		`sms_balance{account="ghana",currency="",provider="smsonlinegh",unit="credits"} 2432`,
		`sms_balance_low_threshold{account="chile",currency="CLP",provider="rtisms",unit="currency"} 500`,
		`sms_provider_up{account="revoked",provider="d7networks"} 0`,
		`sms_provider_auth_failures_total{account="revoked",provider="d7networks"} 1`,
		`sms_balance_exporter_build_info{`,
		`sms_balance_exporter_config_last_reload_successful 1`,
		`go_goroutines `, `process_cpu_seconds_total `)
	if strings.Contains(metrics, `sms_balance{account="revoked"`) {
		t.Error("revoked account has a balance")
	}
	promtoolCheck(t, metrics)

	code, landing := x.get("/", nil)
	if code != http.StatusOK {
		t.Fatalf("landing page: %d", code)
	}
	assertContains(t, "landing page", landing, "<td>chile</td>", "<td>revoked</td>", "down (auth)", "ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED", "2432 credits", `href="/metrics"`)
	if code, _ := x.get("/-/healthy", nil); code != http.StatusOK {
		t.Errorf("/-/healthy: %d", code)
	}
	if code, _ := x.get("/-/reload", nil); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}

	// A bad file: the reload fails, names file, line and key, and the running config stays.
	e.writeRaw(strings.Replace(readFile(t, e.conf), "provider: rtisms", "provider: rtsms", 1))
	code, body := x.do(http.MethodPost, "/-/reload", nil)
	if code != http.StatusInternalServerError {
		t.Fatalf("POST /-/reload with a bad file: %d %s", code, body)
	}
	assertContains(t, "reload error", body, "exporter.yml:6: accounts[0].provider: unknown provider \"rtsms\"")
	metrics = x.scrape()
	assertContains(t, "metrics after failed reload", metrics,
		`sms_balance_exporter_config_last_reload_successful 0`,
		`sms_balance{account="chile",currency="CLP",provider="rtisms",unit="currency"} 457`)

	// A good file without two accounts, by SIGHUP: their series vanish.
	e.write(false, false)
	if err := x.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		return strings.Contains(x.scrape(), "sms_balance_exporter_config_last_reload_successful 1")
	})
	metrics = x.scrape()
	for _, gone := range []string{`account="marketing"`, `account="revoked"`} {
		if strings.Contains(metrics, gone) {
			t.Errorf("series of removed %s still exposed", gone)
		}
	}
	assertContains(t, "metrics after reload", metrics, `sms_balance{account="chile"`, `sms_balance{account="ghana"`)

	logs := x.logs.String()
	assertContains(t, "logs", logs, `msg="Account refresh failing"`, `reason=auth`, `Error reloading configuration`, `Reloaded configuration on SIGHUP`)
	for what, s := range map[string]string{"metrics": metrics, "landing page": landing, "logs": logs, "reload error": body} {
		assertNoSecrets(t, what, s)
	}
}

func TestScrapeTimeoutHeader(t *testing.T) {
	e := newEnv(t)
	e.sim.Add("d7networks", map[string]string{"token": d7Token}, providers.Wallet{Behavior: providers.Hang})
	x := startExporter(t, "--config.file="+e.conf, "--scrape.timeout-offset=0.1s")
	start := time.Now()
	code, body := x.get("/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "1"})
	elapsed := time.Since(start)
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	assertContains(t, "metrics", body, `sms_provider_up{account="marketing",provider="d7networks"} 0`, `sms_provider_up{account="chile",provider="rtisms"} 1`)
	t.Logf("scrape with a hanging account and a 1s scrape timeout took %s", elapsed)
	if code, _ := x.get("/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "soon"}); code != http.StatusBadRequest {
		t.Errorf("bad timeout header: %d, want 400", code)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestConfigCheck(t *testing.T) {
	e := newEnv(t)
	code, out, errOut := runBinary(t, "--config.file="+e.conf, "--config.check")
	if code != 0 || !strings.Contains(out, "4 account(s)") {
		t.Fatalf("valid config: exit %d\n%s%s", code, out, errOut)
	}
	if e.sim.Hits("/rtisms/api/auth")+e.sim.Hits("/d7networks/messages/v1/balance")+e.sim.Hits("/smsonlinegh/v5/account/balance") != 0 {
		t.Error("--config.check called a provider")
	}
	e.writeRaw(readFile(t, e.conf) + "    tiemout: 5s\n")
	code, out, errOut = runBinary(t, "--config.file="+e.conf, "--config.check")
	if code != 1 || !strings.Contains(errOut, "exporter.yml:30: accounts[3].tiemout: unknown key") {
		t.Fatalf("invalid config: exit %d\n%s%s", code, out, errOut)
	}
	assertNoSecrets(t, "--config.check output", out+errOut)
}

func TestOnce(t *testing.T) {
	e := newEnv(t)
	code, out, errOut := runBinary(t, "--config.file="+e.conf, "--once")
	if code != 1 {
		t.Fatalf("--once with a revoked account: exit %d, want 1\n%s%s", code, out, errOut)
	}
	assertContains(t, "--once table", out, "ACCOUNT", "chile", "457.00", "CLP", "ghana", "2432", "credits", "revoked", "error (auth)")
	assertNoSecrets(t, "--once output", out+errOut)

	e.write(true, false)
	code, out, errOut = runBinary(t, "--config.file="+e.conf, "--once")
	if code != 0 {
		t.Fatalf("--once with good accounts: exit %d\n%s%s", code, out, errOut)
	}
	if n := strings.Count(out, " ok "); n != 3 {
		t.Errorf("%d accounts ok, want 3:\n%s", n, out)
	}
}

func TestDemo(t *testing.T) {
	x := startExporter(t, "--demo", "--log.format=json")
	metrics := x.scrape()
	// One account per provider with a fake API, plus eu-alerts and
	// gh-billing; revoked has none.
	want := 2
	for _, spec := range registry.All {
		if spec.Fake != nil {
			want++
		}
	}
	if n := strings.Count(metrics, "\nsms_balance{"); n != want {
		t.Errorf("demo exposes %d balances, want %d:\n%s", n, want, metrics)
	}
	assertContains(t, "demo metrics", metrics, `sms_balance_low_threshold{account="eu-alerts"`, `sms_provider_auth_failures_total{account="revoked",provider="d7networks"} 1`,
		`sms_balance_credit_limit{account="telnyx",currency="USD",provider="telnyx",unit="currency"} 100`,
		`sms_balance_credit_limit{account="bulksms",currency="",provider="bulksms",unit="credits"} 50`)
	promtoolCheck(t, metrics)
	for _, s := range simulator.DemoSecrets(registry.All) {
		if strings.Contains(metrics+x.logs.String(), s) {
			t.Errorf("demo leaks %q", s)
		}
	}
	// Every log line is JSON, exporter-toolkit's included.
	for _, line := range strings.Split(strings.TrimSpace(x.logs.String()), "\n") {
		if !strings.HasPrefix(line, "{") {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
	assertContains(t, "logs", x.logs.String(), `"msg":"Listening on"`)
}

// TestGCPercent: without GOGC the exporter runs with Prometheus' default of
// 75; a GOGC in the environment wins.
func TestGCPercent(t *testing.T) {
	var base []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOGC=") {
			base = append(base, kv)
		}
	}
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"unset", nil, "go_gc_gogc_percent 75\n"},
		{"GOGC=100", []string{"GOGC=100"}, "go_gc_gogc_percent 100\n"},
		{"GOGC=50", []string{"GOGC=50"}, "go_gc_gogc_percent 50\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := startExporterEnv(t, append(slices.Clone(base), tc.env...), "--demo")
			assertContains(t, "metrics", x.scrape(), tc.want)
		})
	}
}

func TestFlags(t *testing.T) {
	code, out, _ := runBinary(t, "--version")
	if code != 0 || !strings.Contains(out, "sms_balance_exporter, version") {
		t.Errorf("--version: exit %d, %s", code, out)
	}
	code, out, _ = runBinary(t, "--help")
	if code != 0 {
		t.Errorf("--help: exit %d", code)
	}
	assertContains(t, "--help", out, "--config.file", "--[no-]config.check", "--web.listen-address", "--web.config.file", "--web.telemetry-path", "--log.level", "--log.format", "--[no-]once", "--[no-]demo", ":9863")
	if code, _, _ := runBinary(t, "--log.format=xml"); code != 2 {
		t.Errorf("bad flag value: exit %d, want 2", code)
	}
	if code, _, errOut := runBinary(t, "--config.file=/nonexistent/exporter.yml"); code != 1 || !strings.Contains(errOut, "/nonexistent/exporter.yml") {
		t.Errorf("missing config: exit %d, %s", code, errOut)
	}
}
