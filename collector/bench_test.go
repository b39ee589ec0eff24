package collector

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// simAccounts returns n D7 accounts served by sim at url; with hang, one
// more account whose provider never answers (timeout 200ms).
func simAccounts(sim *simulator.Simulator, url string, n int, hang bool, cacheTTL time.Duration) *config.Config {
	cfg := &config.Config{}
	add := func(name, token string, timeout time.Duration) {
		cfg.Accounts = append(cfg.Accounts, config.Account{Name: name, Provider: "d7networks", BaseURL: simulator.BaseURL(url, "d7networks"), Currency: "EUR",
			Timeout: timeout, CacheTTL: cacheTTL, MaxStale: time.Hour, Credentials: map[string]config.Secret{"token": config.Secret(token)}})
	}
	for i := 0; i < n; i++ {
		tok := fmt.Sprintf("token-%d", i)
		sim.Add("d7networks", map[string]string{"token": tok}, providers.Wallet{Balance: float64(i)})
		add(fmt.Sprintf("acct-%d", i), tok, 5*time.Second)
	}
	if hang {
		sim.Add("d7networks", map[string]string{"token": "hang"}, providers.Wallet{Behavior: providers.Hang})
		add("hanging", "hang", 200*time.Millisecond)
	}
	return cfg
}

// BenchmarkColdScrape measures a scrape that must refresh 50 accounts over
// HTTP, one of which hangs until its 200ms timeout: it should take about the
// slowest account, not the sum.
func BenchmarkColdScrape(b *testing.B) {
	for _, hang := range []bool{false, true} {
		b.Run(fmt.Sprintf("hanging=%v", hang), func(b *testing.B) {
			sim := simulator.New([]providers.Spec{d7networks.Spec})
			srv := httptest.NewServer(sim)
			defer srv.Close()
			defer sim.Close()
			cfg := simAccounts(sim, srv.URL, 50, hang, 0)
			for i := 0; i < b.N; i++ {
				c := New(Options{})
				if err := c.Apply(cfg); err != nil {
					b.Fatal(err)
				}
				if n := testutil.CollectAndCount(c, "sms_balance"); n != 50 {
					b.Fatalf("%d balances", n)
				}
			}
		})
	}
}

// BenchmarkCachedScrape measures a scrape of 100 accounts served from cache.
func BenchmarkCachedScrape(b *testing.B) {
	sim := simulator.New([]providers.Spec{d7networks.Spec})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	c := New(Options{})
	if err := c.Apply(simAccounts(sim, srv.URL, 100, false, time.Hour)); err != nil {
		b.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	if _, err := reg.Gather(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
	if hits := sim.Hits("/d7networks/messages/v1/balance"); hits != 100 {
		b.Fatalf("%d provider calls, want 100", hits)
	}
}
