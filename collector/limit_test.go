package collector

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/africastalking"
)

func TestHostKey(t *testing.T) {
	for _, tc := range []struct {
		provider, baseURL, want string
	}{
		{"d7networks", "https://api.d7networks.com", "api.d7networks.com:443"},
		{"d7networks", "https://API.d7networks.com:443/", "api.d7networks.com:443"},
		{"d7networks", "http://127.0.0.1:8080/d7networks", "127.0.0.1:8080"},
		{"smsru", "http://127.0.0.1:8080/smsru", "127.0.0.1:8080"},
		{"vonage", "http://rest.nexmo.com", "rest.nexmo.com:80"},
		{"infobip", "https://[::1]:9443/x", "[::1]:9443"},
		{"http", "", "provider:http"},
		{"fake", "", "provider:fake"},
	} {
		if got := hostKey(config.Account{Provider: tc.provider, BaseURL: tc.baseURL}, nil); got != tc.want {
			t.Errorf("hostKey(%s, %q) = %q, want %q", tc.provider, tc.baseURL, got, tc.want)
		}
	}
	// Options that name their endpoint (the http provider's url) win over
	// base_url; an unknown one ("": a templated host) falls back.
	for _, tc := range []struct {
		endpoint, baseURL, want string
	}{
		{"https://api.ng.termii.com/api/get-balance?api_key=", "", "api.ng.termii.com:443"},
		{"http://127.0.0.1:18081/balance", "", "127.0.0.1:18081"},
		{"http://127.0.0.1:18082/b", "http://127.0.0.1:9/x", "127.0.0.1:18082"},
		{"", "http://127.0.0.1:9/x", "127.0.0.1:9"},
		{"", "", "provider:http"},
		{"not a url", "", "provider:http"},
	} {
		ac := config.Account{Provider: "http", BaseURL: tc.baseURL, Options: endpointOptions(tc.endpoint)}
		if got := hostKey(ac, nil); got != tc.want {
			t.Errorf("hostKey(endpoint %q, base_url %q) = %q, want %q", tc.endpoint, tc.baseURL, got, tc.want)
		}
	}
}

// The provider's own word wins: Africa's Talking with sandbox: true calls
// the sandbox host although base_url holds the live one.
func TestHostKeyOfProvider(t *testing.T) {
	ac := config.Account{Provider: "africastalking", BaseURL: "https://api.africastalking.com"}
	sandbox, err := africastalking.New(providers.Settings{BaseURL: ac.BaseURL, Options: &africastalking.Options{Sandbox: true}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hostKey(ac, sandbox), "api.sandbox.africastalking.com:443"; got != want {
		t.Errorf("hostKey(sandbox) = %q, want %q", got, want)
	}
	if got, want := hostKey(ac, nil), "api.africastalking.com:443"; got != want {
		t.Errorf("hostKey(no provider) = %q, want %q", got, want)
	}
	ac.Options = endpointOptions("http://127.0.0.1:1/x")
	if got, want := hostKey(ac, sandbox), "api.sandbox.africastalking.com:443"; got != want {
		t.Errorf("hostKey(provider and options) = %q, want the provider's %q", got, want)
	}
}

// endpointOptions are options naming their endpoint, as the http provider's.
type endpointOptions string

func (endpointOptions) Validate() error       { return nil }
func (e endpointOptions) EndpointURL() string { return string(e) }

// hostAccount describes accounts of one host in a limit test.
type hostAccount struct {
	baseURL        string
	n              int
	maxConcurrency []int // of the first accounts, if given
}

// TestHostLimit scrapes accounts whose provider calls block until released,
// and counts the calls running at once per host (and in all): exactly the
// host's limit run (none more), whatever the other hosts do.
func TestHostLimit(t *testing.T) {
	for _, tc := range []struct {
		name         string
		perHost      int // Options.MaxConcurrency
		total        int // Options.MaxTotalConcurrency (0: default)
		hosts        []hostAccount
		want         []int // most calls running at once, per host
		wantTotalMax int
	}{
		{
			name: "one host: its limit", perHost: 3,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 10}},
			want:  []int{3}, wantTotalMax: 3,
		},
		{
			name: "accounts fewer than the limit", perHost: 128,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 100}},
			want:  []int{100}, wantTotalMax: 100,
		},
		{
			name: "hosts do not share a limit", perHost: 3,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 5}, {baseURL: "https://b.example", n: 5}, {baseURL: "http://a.example", n: 5}},
			want:  []int{3, 3, 3}, wantTotalMax: 9,
		},
		{
			name: "one spelling of a host is one host", perHost: 4,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 3}, {baseURL: "https://A.example:443/v2", n: 3}},
			want:  []int{4, 4}, wantTotalMax: 4, // one host, both counters see the same calls
		},
		{
			name: "max_concurrency lowers its host only", perHost: 4,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 6, maxConcurrency: []int{0, 2}}, {baseURL: "https://b.example", n: 6}},
			want:  []int{2, 4}, wantTotalMax: 6,
		},
		{
			name: "the lowest max_concurrency of a host wins", perHost: 8,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 6, maxConcurrency: []int{5, 1, 3}}},
			want:  []int{1}, wantTotalMax: 1,
		},
		{
			name: "max_concurrency does not raise the limit", perHost: 2,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 6, maxConcurrency: []int{10}}},
			want:  []int{2}, wantTotalMax: 2,
		},
		{
			name: "accounts without base_url share one limit per provider", perHost: 3,
			hosts: []hostAccount{{baseURL: "", n: 7}},
			want:  []int{3}, wantTotalMax: 3,
		},
		{
			name: "the total cap bounds all hosts", perHost: 3, total: 4,
			hosts: []hostAccount{{baseURL: "https://a.example", n: 5}, {baseURL: "https://b.example", n: 5}},
			want:  []int{-1, -1}, wantTotalMax: 4, // -1: not checked (the split between hosts is not fixed)
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release := make(chan struct{})
			started := make(chan struct{}, 1000)
			all := &inFlight{}
			fakes := map[string]*fake{}
			var accounts []config.Account
			perHost := make([]*inFlight, len(tc.hosts))
			keyCounter := map[string]*inFlight{} // one counter per host key
			for hi, ha := range tc.hosts {
				key := hostKey(config.Account{Provider: "fake", BaseURL: ha.baseURL}, nil)
				if keyCounter[key] == nil {
					keyCounter[key] = &inFlight{}
				}
				perHost[hi] = keyCounter[key]
				for i := 0; i < ha.n; i++ {
					name := fmt.Sprintf("h%d-%d", hi, i)
					fakes[name] = &fake{bal: eur(1), block: release, started: started, inFlight: []*inFlight{keyCounter[key], all}}
					accounts = append(accounts, acct(name, func(a *config.Account) {
						a.BaseURL = ha.baseURL
						a.Timeout = time.Hour // never let a blocked call time out
						if i < len(ha.maxConcurrency) {
							a.MaxConcurrency = ha.maxConcurrency[i]
						}
					}))
				}
			}
			h := newHarness(t, fakes, func(o *Options) {
				o.MaxConcurrency, o.MaxTotalConcurrency = tc.perHost, tc.total
			})
			apply(t, h, accounts...)

			scraped := make(chan int, 1)
			go func() { scraped <- testutil.CollectAndCount(h, "sms_balance") }()
			released := false
			defer func() {
				if !released {
					close(release)
				}
			}()
			// Every limit is reached: then no call can end, and no other
			// can start, until released. (The timer only turns a limit
			// that is too low into a failure rather than a hang.)
			guard := time.NewTimer(time.Minute)
			defer guard.Stop()
			for i := 0; i < tc.wantTotalMax; i++ {
				select {
				case <-started:
				case <-guard.C:
					now, _ := all.counts()
					t.Fatalf("%d calls running and no more starting, want %d", now, tc.wantTotalMax)
				}
			}
			if now, _ := all.counts(); now != tc.wantTotalMax {
				t.Errorf("%d calls running before release, want %d", now, tc.wantTotalMax)
			}
			close(release)
			released = true
			if n := <-scraped; n != len(accounts) {
				t.Errorf("%d balances, want %d", n, len(accounts))
			}
			for hi, want := range tc.want {
				if _, most := perHost[hi].counts(); want >= 0 && most != want {
					t.Errorf("host %d (%s): at most %d calls at once, want %d", hi, tc.hosts[hi].baseURL, most, want)
				}
			}
			if _, most := all.counts(); most != tc.wantTotalMax {
				t.Errorf("at most %d calls at once in all, want %d", most, tc.wantTotalMax)
			}
			// The dispatcher agrees.
			for key, h2 := range h.limits {
				limit, most := h.dispatch.limitOf(h2)
				if most > limit {
					t.Errorf("%s: %d calls at once, limit %d", key, most, limit)
				}
			}
			for name, f := range fakes {
				if f.Calls() != 1 {
					t.Errorf("%s: %d calls, want 1", name, f.Calls())
				}
			}
		})
	}
}

// TestLimitersSurviveReload: a host still in use keeps its limiter (and
// the calls counted by it), with its limit recomputed; a host no longer in
// use is dropped.
func TestLimitersSurviveReload(t *testing.T) {
	fakes := map[string]*fake{"a1": {bal: eur(1)}, "a2": {bal: eur(2)}, "b1": {bal: eur(3)}}
	h := newHarness(t, fakes, func(o *Options) { o.MaxConcurrency = 10 })
	onA := func(a *config.Account) { a.BaseURL = "https://a.example" }
	onB := func(a *config.Account) { a.BaseURL = "https://b.example" }
	apply(t, h, acct("a1", onA), acct("a2", onA), acct("b1", onB))
	hostA := h.limits["a.example:443"]
	if hostA == nil || h.limits["b.example:443"] == nil || len(h.limits) != 2 {
		t.Fatalf("limits = %v", limitKeys(h.Collector))
	}
	if l, _ := h.dispatch.limitOf(hostA); l != 10 {
		t.Fatalf("limit of a.example = %d, want 10", l)
	}
	steps := []struct {
		accounts  []config.Account
		wantLimit int
		wantKeys  []string
	}{
		{[]config.Account{acct("a1", onA), acct("a2", onA, func(a *config.Account) { a.MaxConcurrency = 2 })}, 2, []string{"a.example:443"}},
		{[]config.Account{acct("a1", onA), acct("a2", onA), acct("b1", onB)}, 10, []string{"a.example:443", "b.example:443"}},
	}
	for i, s := range steps {
		apply(t, h, s.accounts...)
		if got := h.limits["a.example:443"]; got != hostA {
			t.Fatalf("step %d: a.example has a new limiter", i)
		}
		if l, _ := h.dispatch.limitOf(hostA); l != s.wantLimit {
			t.Errorf("step %d: limit of a.example = %d, want %d", i, l, s.wantLimit)
		}
		if got := limitKeys(h.Collector); fmt.Sprint(got) != fmt.Sprint(s.wantKeys) {
			t.Errorf("step %d: limits for %v, want %v", i, got, s.wantKeys)
		}
		for _, a := range h.snapshot() {
			if a.limit != h.limits[hostKey(a.cfg, a.provider)] {
				t.Errorf("step %d: account %s counts against another limiter", i, a.cfg.Name)
			}
		}
	}
	if n := testutil.CollectAndCount(h, "sms_balance"); n != 3 {
		t.Fatalf("%d balances, want 3", n)
	}
}

func limitKeys(c *Collector) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var keys []string
	for k := range c.limits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestWarmScrapeStartsNothing: once every account is cached, a scrape
// queues no refresh, starts no goroutine and allocates nothing in the
// collector (the registry's own work aside).
func TestWarmScrapeStartsNothing(t *testing.T) {
	fakes := map[string]*fake{}
	var accounts []config.Account
	for i := 0; i < 50; i++ {
		name := fmt.Sprintf("a%d", i)
		fakes[name] = &fake{bal: eur(float64(i))}
		accounts = append(accounts, acct(name, threshold(5)))
	}
	h := newHarness(t, fakes)
	apply(t, h, accounts...)
	testutil.CollectAndCount(h)
	all := h.snapshot()
	ch := make(chan prometheus.Metric, 50*20)
	ctx := context.Background()
	allocs := testing.AllocsPerRun(20, func() {
		h.collect(ctx, ch, all)
		for len(ch) > 0 {
			<-ch
		}
	})
	// The race detector allocates on its own: the count is checked without it
	// (.ci/test runs the collector's tests both ways); the calls in any case.
	if allocs != 0 && !raceEnabled {
		t.Errorf("%v allocations per warm collection of 50 accounts, want 0", allocs)
	}
	for name, f := range fakes {
		if f.Calls() != 1 {
			t.Errorf("%s: %d calls, want 1", name, f.Calls())
		}
	}
}
