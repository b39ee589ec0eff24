package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Load test shape (issue: 200 concurrent scrapes for 30 s against 50
// accounts, 50 reloads under that load).
const (
	loadScrapers   = 200
	loadDuration   = 30 * time.Second
	loadAccounts   = 50
	loadReloads    = 50
	loadCacheTTL   = 2 * time.Second
	loadScrapeSecs = 10
)

// countingUpstream wraps the simulator: it counts calls per token and
// makes the "slow-" accounts answer after 300 ms.
type countingUpstream struct {
	next  http.Handler
	mu    sync.Mutex
	calls map[string]int
}

func (u *countingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	u.mu.Lock()
	u.calls[tok]++
	u.mu.Unlock()
	if strings.HasPrefix(tok, "slow-") {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	u.next.ServeHTTP(w, r)
}

func openFDs(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// TestLoadAndReloads runs the exporter in this process (so that -race sees
// it) with 50 accounts — slow, failing and hanging ones among them — under
// 200 concurrent scrapers for 30 s, while 50 reloads (SIGHUP and POST
// /-/reload, every other one broken, the *_file cases included) happen.
// Every scrape must answer 200 with all 50 accounts within its deadline, each
// account's API is called at most once per cache_ttl, every broken reload
// keeps the running configuration, and goroutines and file descriptors go
// back to their starting level.
func TestLoadAndReloads(t *testing.T) {
	goroutinesBefore, fdsBefore := runtime.NumGoroutine(), openFDs(t)

	sim := simulator.New([]providers.Spec{d7networks.Spec})
	up := &countingUpstream{next: sim, calls: map[string]int{}}
	upstream := httptest.NewServer(up)
	dir := t.TempDir()
	var accounts strings.Builder
	for i := 0; i < loadAccounts; i++ {
		tok, behaviour, timeout := fmt.Sprintf("ok-token-%02d", i), providers.OK, "2s"
		switch {
		case i < 5:
			tok = fmt.Sprintf("slow-token-%02d", i)
		case i < 10:
			tok, behaviour = fmt.Sprintf("fail-token-%02d", i), providers.ServerError
		case i < 15:
			tok, behaviour, timeout = fmt.Sprintf("hang-token-%02d", i), providers.Hang, "1s"
		}
		sim.Add("d7networks", map[string]string{"token": tok}, providers.Wallet{Balance: float64(i), Behavior: behaviour})
		fmt.Fprintf(&accounts, "  - name: acct-%02d\n    provider: d7networks\n    base_url: %s\n    currency: EUR\n    timeout: %s\n    credentials:\n      token: %s\n",
			i, simulator.BaseURL(upstream.URL, "d7networks"), timeout, tok)
	}
	good := fmt.Sprintf("defaults:\n  cache_ttl: %s\n  max_stale: 1h\naccounts:\n%s", model(loadCacheTTL), accounts.String())
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge")
	if f, err := os.Create(huge); err != nil || f.Truncate(1<<30) != nil || f.Close() != nil {
		t.Fatalf("sparse file: %v", err)
	}
	brokenAccount := func(extra string) string {
		return good + "  - name: broken\n    provider: d7networks\n    credentials:\n" + extra
	}
	broken := []string{
		brokenAccount("      token_file: /dev/zero\n"),
		brokenAccount("      token_file: " + fifo + "\n"),
		brokenAccount("      token_file: " + huge + "\n"),
		good + "  - name: [unclosed\n",
		brokenAccount("      token: t\n    provider: nosuchprovider\n"),
	}
	conf := filepath.Join(dir, "exporter.yml")
	write := func(s string) {
		if err := os.WriteFile(conf, []byte(s), 0o600); err != nil {
			t.Error(err)
		}
	}
	write(good)

	addr := freePort(t)
	base := "http://" + addr
	exited := make(chan int, 1)
	var logs syncBuf
	go func() {
		exited <- run([]string{"--config.file=" + conf, "--web.listen-address=" + addr, "--log.level=info",
			"--web.max-requests=" + fmt.Sprint(loadScrapers+10)}, io.Discard, &logs)
	}()
	transport := &http.Transport{MaxIdleConnsPerHost: loadScrapers + 10}
	client := &http.Client{Transport: transport}
	get := func(path string) (int, string, error) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", fmt.Sprint(loadScrapeSecs))
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		if code, _, _ := get("/-/ready"); code == http.StatusOK {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("not ready:\n%s", logs.String())
		}
	}

	var served, failed atomic.Int64
	var mu sync.Mutex
	var latencies []time.Duration
	stop := time.Now().Add(loadDuration)
	began := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < loadScrapers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				t0 := time.Now()
				code, body, err := get("/metrics")
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				mu.Unlock()
				if err != nil || code != http.StatusOK || strings.Count(body, "\nsms_provider_up{") != loadAccounts {
					if failed.Add(1) <= 3 {
						t.Errorf("scrape: %d %v, %d accounts", code, err, strings.Count(body, "\nsms_provider_up{"))
					}
					continue
				}
				served.Add(1)
			}
		}()
	}

	// SIGHUP reloads are seen in the log: one line each, success or error.
	sighups := func() int {
		l := logs.String()
		return strings.Count(l, "Reloaded configuration on SIGHUP") + strings.Count(l, "Error reloading configuration on SIGHUP")
	}
	interval := loadDuration / (loadReloads + 2)
	wantSighups := 0
	for i := 0; i < loadReloads; i++ {
		time.Sleep(interval)
		content, ok := good, true
		if i%2 == 1 {
			content, ok = broken[(i/2)%len(broken)], false
		}
		write(content)
		if i%4 < 2 { // POST
			req, _ := http.NewRequest(http.MethodPost, base+"/-/reload", nil)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("reload %d: %v", i, err)
			}
			resp.Body.Close()
			if (resp.StatusCode == http.StatusOK) != ok {
				t.Errorf("reload %d (broken %v): HTTP %d", i, !ok, resp.StatusCode)
			}
			continue
		}
		wantSighups++
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(10 * time.Second); sighups() < wantSighups; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("SIGHUP reload %d not done:\n%s", i, logs.String())
			}
		}
		if got := strings.Count(logs.String(), "Error reloading configuration on SIGHUP"); got != (i+1)/4 {
			t.Errorf("SIGHUP reload %d (broken %v): %d failed so far", i, !ok, got)
		}
	}
	write(good)
	wg.Wait()
	elapsed := time.Since(began)

	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	longest := latencies[len(latencies)-1]
	t.Logf("%d scrapes served (%.0f/s), %d failed; latency p50 %s, p99 %s, longest %s",
		served.Load(), float64(served.Load())/elapsed.Seconds(), failed.Load(),
		latencies[len(latencies)/2], latencies[len(latencies)*99/100], longest)
	// The deadline bounds the wait for refreshes; writing 200 answers at once
	// takes CPU on top. Under the race detector (CI runs this test both ways)
	// that CPU is about ten times more, so only gross overruns count there.
	limit := time.Duration(loadScrapeSecs)*time.Second + 2*time.Second
	if raceEnabled {
		limit = 3 * time.Duration(loadScrapeSecs) * time.Second
	}
	if longest > limit {
		t.Errorf("a scrape took %s, beyond its %ds deadline (allowed: %s; race detector: %v)", longest, loadScrapeSecs, limit, raceEnabled)
	}
	perTTL := int(math.Ceil(elapsed.Seconds()/loadCacheTTL.Seconds())) + 2
	up.mu.Lock()
	for tok, n := range up.calls {
		if n > perTTL {
			t.Errorf("account with token %s called %d times in %s, more than once per cache_ttl (%d)", tok, n, elapsed.Round(time.Second), perTTL)
		}
	}
	t.Logf("upstream calls per account: at most %d allowed over %s", perTTL, elapsed.Round(time.Second))
	up.mu.Unlock()

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-exited:
		if code != 0 {
			t.Errorf("exit %d:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the exporter did not stop")
	}
	transport.CloseIdleConnections()
	sim.Close()
	upstream.Close()
	var goroutinesAfter, fdsAfter int
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		goroutinesAfter, fdsAfter = runtime.NumGoroutine(), openFDs(t)
		if (goroutinesAfter <= goroutinesBefore+2 && fdsAfter <= fdsBefore) || time.Now().After(deadline) {
			break
		}
	}
	t.Logf("goroutines %d before, %d after; open descriptors %d before, %d after", goroutinesBefore, goroutinesAfter, fdsBefore, fdsAfter)
	// +2: os/signal's watcher goroutine and its loop stay once started.
	if goroutinesAfter > goroutinesBefore+2 || fdsAfter > fdsBefore {
		buf := make([]byte, 1<<20)
		t.Errorf("leak: goroutines %d → %d, descriptors %d → %d\n%s", goroutinesBefore, goroutinesAfter, fdsBefore, fdsAfter, buf[:runtime.Stack(buf, true)])
	}
}

// model renders d in Prometheus' duration format.
func model(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }
