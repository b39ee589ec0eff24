package deploy_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// process is a server started by the end-to-end test.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs name with args, logging to a file in dir; it is stopped when
// the test ends, pass or fail, and its log is printed if the test failed.
func start(t *testing.T, dir, name string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(dir, filepath.Base(name)+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr, cmd.Dir = f, f, dir
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p := &process{name: filepath.Base(name), cmd: cmd, log: logPath}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("--- %s log:\n%s", p.name, tail(string(b), 3000))
		}
	})
	return p
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func httpGet(u string) (int, []byte, error) {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// eventually polls cond every 250ms until it returns "" or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msg := cond()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not met within %s: %s", what, timeout, msg)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func waitReady(t *testing.T, name, u string) {
	t.Helper()
	eventually(t, 30*time.Second, name+" ready", func() string {
		code, _, err := httpGet(u)
		if err != nil || code != http.StatusOK {
			return fmt.Sprintf("%d %v", code, err)
		}
		return ""
	})
}

// promSample is one element of a Prometheus instant-query vector.
type promSample struct {
	Metric map[string]string
	Value  [2]any
}

func (s promSample) float() float64 {
	v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
	if fmt.Sprint(s.Value[1]) == "NaN" {
		return math.NaN()
	}
	return v
}

// query runs an instant query; it returns an error for any failure of the
// query itself (bad PromQL, evaluation error).
func query(promURL, q string) ([]promSample, error) {
	code, body, err := httpGet(promURL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status, Error string
		Data          struct {
			ResultType string
			Result     json.RawMessage
		}
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", code, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s", r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, nil // scalar results (none expected) carry no series
	}
	var out []promSample
	err = json.Unmarshal(r.Data.Result, &out)
	return out, err
}

type amAlert struct {
	Labels map[string]string
	Status struct{ State string }
}

func alerts(amURL string) ([]amAlert, error) {
	_, body, err := httpGet(amURL + "/api/v2/alerts")
	if err != nil {
		return nil, err
	}
	var out []amAlert
	err = json.Unmarshal(body, &out)
	return out, err
}

// shortenFor rewrites every `for:` of the rules to d, except
// SMSBalanceRunningOut, whose `for:` is kept out of this short test's reach:
// its deriv over a few seconds of stepwise balances is noise.
func shortenFor(t *testing.T, rules map[string]any, d string) {
	for _, g := range rules["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			m := r.(map[string]any)
			if _, ok := m["for"]; !ok {
				continue
			}
			m["for"] = d
			if m["alert"] == "SMSBalanceRunningOut" {
				m["for"] = "5m"
			}
		}
	}
}

func writeYAML(t *testing.T, path string, v any) {
	t.Helper()
	b, err := yaml.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var dashboardVars = strings.NewReplacer(`$job`, `.+`, `$instance`, `.+`, `$provider`, `.*`, `$account`, `.*`, `$__rate_interval`, `1m`)

// TestEndToEnd runs the exporter against the bundled simulator (--demo:
// eu-alerts is under its threshold, revoked has refused credentials), a real
// Prometheus loading deploy/prometheus/ and a real Alertmanager, and checks
// what arrives where.
func TestEndToEnd(t *testing.T) {
	began := time.Now()
	for _, bin := range []string{"prometheus", "prometheus-alertmanager", "promtool"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is not installed: run the README's test command (bash .ci/test), which installs it", bin)
		}
	}
	dir := t.TempDir()
	exporterBin := filepath.Join(dir, "sms_balance_exporter")
	run(t, "..", "go", "build", "-o", exporterBin, "./cmd/sms_balance_exporter")
	exporterAddr, promAddr, amAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	promURL, amURL := "http://"+promAddr, "http://"+amAddr

	// Generated copies: short intervals, free ports, short `for:`.
	rules := readYAML(t, "prometheus/sms_balance_rules.yml")
	shortenFor(t, rules, "1s")
	writeYAML(t, filepath.Join(dir, "sms_balance_rules.yml"), rules)
	pcfg := readYAML(t, "prometheus/prometheus.yml")
	pcfg["global"] = map[string]any{"scrape_interval": "1s", "evaluation_interval": "1s"}
	pcfg["rule_files"] = []any{filepath.Join(dir, "sms_balance_rules.yml")}
	pcfg["alerting"] = map[string]any{"alertmanagers": []any{map[string]any{"static_configs": []any{map[string]any{"targets": []any{amAddr}}}}}}
	job := pcfg["scrape_configs"].([]any)[0].(map[string]any)
	if job["job_name"] != "sms_balance" {
		t.Fatalf("first scrape job is %v, want sms_balance", job["job_name"])
	}
	job["scrape_interval"], job["scrape_timeout"] = "1s", "1s"
	job["static_configs"] = []any{map[string]any{"targets": []any{exporterAddr}}}
	writeYAML(t, filepath.Join(dir, "prometheus.yml"), pcfg)
	run(t, dir, "promtool", "check", "config", "prometheus.yml")
	amConfig := "route:\n  receiver: default\n  group_wait: 1s\n  group_interval: 1s\nreceivers:\n  - name: default\n"
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(amConfig), 0o644); err != nil {
		t.Fatal(err)
	}

	start(t, dir, "prometheus-alertmanager", "--config.file=alertmanager.yml", "--storage.path=am-data",
		"--web.listen-address="+amAddr, "--cluster.listen-address=")
	start(t, dir, exporterBin, "--demo", "--web.listen-address="+exporterAddr)
	start(t, dir, "prometheus", "--config.file=prometheus.yml", "--storage.tsdb.path=prom-data",
		"--web.listen-address="+promAddr, "--rules.alert.resend-delay=1s")
	waitReady(t, "alertmanager", amURL+"/-/ready")
	waitReady(t, "exporter", "http://"+exporterAddr+"/-/ready")
	waitReady(t, "prometheus", promURL+"/-/ready")

	// The exporter target is up and sms_balance is queryable with the expected values.
	eventually(t, 30*time.Second, "exporter target up", func() string {
		s, err := query(promURL, `up{job="sms_balance"}`)
		if err != nil || len(s) != 1 || s[0].float() != 1 {
			return fmt.Sprintf("%v %v", s, err)
		}
		return ""
	})
	balances, err := query(promURL, `sms_balance`)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, s := range balances {
		got[s.Metric["account"]] = fmt.Sprintf("%s/%s/%s/%.1f", s.Metric["provider"], s.Metric["unit"], s.Metric["currency"], s.float())
	}
	want := map[string]string{
		"cl-transactional": "rtisms/currency/CLP/457.0",
		"marketing":        "d7networks/currency/EUR/100.0",
		"eu-alerts":        "d7networks/currency/EUR/4.2",
		"gh-otp":           "smsonlinegh/credits//2432.0",
		"gh-billing":       "smsonlinegh/currency/GHS/350.0",
	}
	for account, w := range want {
		if got[account] != w {
			t.Errorf("sms_balance{account=%q} in Prometheus = %q, want %q", account, got[account], w)
		}
	}
	// Every provider's demo account is there too (one account each, named
	// after the provider unless its Demo says otherwise).
	healthy := map[string]bool{"gh-billing": true}
	for _, spec := range registry.All {
		if spec.Fake == nil {
			continue
		}
		name := simulator.DemoName(spec)
		healthy[name] = true
		if !strings.HasPrefix(got[name], spec.ID+"/") {
			t.Errorf("no sms_balance for the demo account %s of provider %s: %v", name, spec.ID, got)
		}
	}
	if len(got) != len(healthy)+1 { // and eu-alerts; revoked has none
		t.Errorf("sms_balance has %d accounts, want %d: %v", len(got), len(healthy)+1, got)
	}

	// The low and the rejected accounts alert at Alertmanager; nothing else does.
	var fired []amAlert
	eventually(t, 60*time.Second, "alerts at Alertmanager", func() string {
		fired, err = alerts(amURL)
		if err != nil {
			return err.Error()
		}
		var low, auth bool
		for _, a := range fired {
			l := a.Labels
			low = low || (l["alertname"] == "SMSBalanceLow" && l["account"] == "eu-alerts" && l["provider"] == "d7networks" &&
				l["currency"] == "EUR" && l["unit"] == "currency" && l["severity"] == "warning" && l["job"] == "sms_balance")
			auth = auth || (l["alertname"] == "SMSProviderAuthFailing" && l["account"] == "revoked" && l["provider"] == "d7networks" && l["severity"] == "critical")
		}
		if !low || !auth {
			return fmt.Sprintf("SMSBalanceLow(eu-alerts) %v, SMSProviderAuthFailing(revoked) %v; alerts: %v", low, auth, fired)
		}
		return ""
	})
	for _, a := range fired {
		if healthy[a.Labels["account"]] || strings.HasPrefix(a.Labels["alertname"], "SMSBalanceExporter") {
			t.Errorf("unexpected alert %v", a.Labels)
		}
	}

	// Every expression of the rules evaluates without error.
	for _, g := range rules["groups"].([]any) {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			expr := r.(map[string]any)["expr"].(string)
			if _, err := query(promURL, expr); err != nil {
				t.Errorf("rule expression %q: %v", expr, err)
			}
		}
	}

	// Every dashboard query evaluates; balance, up and latency panels return data.
	d := readDashboard(t)
	mustHaveData := map[string]bool{"Balance": true, "Provider up": true, "Refresh latency": true}
	for _, p := range d.Panels {
		eventually(t, 45*time.Second, "panel "+p.Title, func() string {
			values := 0
			for _, tg := range p.Targets {
				q := dashboardVars.Replace(tg.Expr)
				if regexp.MustCompile(`\$\w`).MatchString(q) {
					t.Fatalf("panel %q: unsubstituted variable in %s", p.Title, q)
				}
				res, err := query(promURL, q)
				if err != nil {
					t.Fatalf("panel %q query %s %q: %v", p.Title, tg.RefID, q, err)
				}
				for _, s := range res {
					if !math.IsNaN(s.float()) {
						values++
					}
				}
			}
			if mustHaveData[p.Title] && values == 0 {
				return "no data yet"
			}
			return ""
		})
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok {
			m := regexp.MustCompile(`^label_values\((.*), (\w+)\)$`).FindStringSubmatch(dashboardVars.Replace(q["query"].(string)))
			if m == nil {
				t.Fatalf("variable %s: unexpected query %v", v.Name, q["query"])
			}
			if res, err := query(promURL, m[1]); err != nil || len(res) == 0 {
				t.Errorf("variable %s: %s returns %d series, %v", v.Name, m[1], len(res), err)
			}
		}
	}
	t.Logf("end-to-end test ran in %s", time.Since(began).Round(100*time.Millisecond))
}
