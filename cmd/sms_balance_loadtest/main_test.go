package main

import (
	"bytes"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// figures are the names run prints, each followed by a number.
var figures = []string{
	"accounts", "scrapers", "cold_scrape_seconds", "duration_seconds", "scrapes", "scrapes_per_second",
	"latency_p50_seconds", "latency_p99_seconds", "latency_max_seconds", "failed_scrapes",
	"upstream_calls", "upstream_calls_per_account_per_ttl", "peak_rss_bytes", "peak_rss_mib", "rss_after_bytes", "rss_file_after_bytes",
	"goroutines_before", "goroutines_after", "open_fds_before", "open_fds_after",
	"seen_max_go_goroutines", "seen_max_go_memstats_heap_inuse_bytes",
}

// TestLoadTest runs the tool for about 2s with 20 accounts and 4 scrapers
// against a freshly built exporter, and checks that its figures parse and
// that concurrent scrapes called each account's API at most once per
// cache_ttl. Speed is reported, never asserted.
func TestLoadTest(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Fatalf("the load tool reads /proc: %v", err)
	}
	binary := filepath.Join(t.TempDir(), "sms_balance_exporter")
	build := exec.Command("go", "build", "-o", binary, "../sms_balance_exporter")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the exporter: %v\n%s", err, out)
	}
	var stdout, stderr bytes.Buffer
	code := run([]string{"--exporter.binary=" + binary, "--accounts=20", "--scrapers=4", "--duration=2s"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit code %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	t.Logf("\n%s", stdout.String())
	got := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			t.Fatalf("line %q is not `name value`", line)
		}
		if f[0] == "first_failure" {
			continue
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil || math.IsNaN(v) || v < 0 {
			t.Errorf("%s: %q is not a figure", f[0], f[1])
		}
		got[f[0]] = v
	}
	for _, name := range figures {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s in the output", name)
		}
	}
	checks := []struct {
		name    string
		ok      bool
		explain string
	}{
		{"accounts", got["accounts"] == 20, "want 20"},
		{"scrapers", got["scrapers"] == 4, "want 4"},
		{"scrapes", got["scrapes"] >= 4, "want at least one per scraper"},
		{"failed_scrapes", got["failed_scrapes"] == 0, "want 0"},
		{"upstream_calls", got["upstream_calls"] == 20, "want one per account (cache_ttl 60s)"},
		{"upstream_calls_per_account_per_ttl", got["upstream_calls_per_account_per_ttl"] <= 1, "want at most 1"},
		{"peak_rss_bytes", got["peak_rss_bytes"] > 0, "want the exporter's VmHWM"},
		{"goroutines_before", got["goroutines_before"] > 0, "want go_goroutines"},
		{"open_fds_before", got["open_fds_before"] > 0, "want a count"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s = %v: %s", c.name, got[c.name], c.explain)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{},                                      // no --exporter.binary
		{"--exporter.binary=x", "--accounts=0"}, // out of range
		{"--exporter.binary=x", "--failing=0.8", "--hanging=0.5"},
		{"--exporter.binary=x", "--scrapers=-1"},
		{"--exporter.binary=x", "--duration=0s"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit code %d, want 2 (stderr %q)", args, code, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "--accounts") {
		t.Errorf("--help: exit code %d, output %q", code, stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"--exporter.binary=/nonexistent/sms_balance_exporter", "--accounts=1", "--duration=1s"}, &stdout, &stderr); code != 1 {
		t.Errorf("missing binary: exit code %d, want 1", code)
	}
}
