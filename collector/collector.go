// Package collector asks every configured account for its balance, through a
// per-account cache with a single in-flight refresh, and exposes the results
// as Prometheus metrics built fresh on each scrape.
package collector

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

// Defaults for Options.
const (
	DefaultMaxConcurrency = 32
	DefaultFailureTTL     = 15 * time.Second
)

var (
	labels        = []string{"provider", "account"}
	balanceLabels = []string{"provider", "account", "unit", "currency"}

	balanceDesc = prometheus.NewDesc("sms_balance",
		"Balance left on the provider account, in the given unit (currency: money in the given ISO currency; credits: messages or credits).",
		balanceLabels, nil)
	thresholdDesc = prometheus.NewDesc("sms_balance_low_threshold",
		"Configured low_balance_threshold of the account, in the unit of sms_balance.",
		balanceLabels, nil)
	upDesc = prometheus.NewDesc("sms_provider_up",
		"1 if the latest balance refresh of the account succeeded, else 0.", labels, nil)
	authDesc = prometheus.NewDesc("sms_provider_auth_failures_total",
		"Balance refreshes rejected by the provider because of the credentials.", labels, nil)
	requestsDesc = prometheus.NewDesc("sms_provider_requests_total",
		"Balance refreshes that went to the provider.", labels, nil)
	failuresDesc = prometheus.NewDesc("sms_provider_request_failures_total",
		"Failed balance refreshes, by reason (auth, timeout, rate_limited, http_status, bad_response, network).",
		append(append([]string{}, labels...), "reason"), nil)
	durationDesc = prometheus.NewDesc("sms_provider_request_duration_seconds",
		"Duration of balance refreshes that went to the provider (token fetch included).", labels, nil)
	lastSuccessDesc = prometheus.NewDesc("sms_provider_last_success_timestamp_seconds",
		"Unix time of the account's latest successful balance refresh.", labels, nil)
)

// Options configure a Collector. Zero values take the defaults.
type Options struct {
	// Logger receives one line when an account starts failing and one when it recovers.
	Logger log.Logger
	// MaxConcurrency bounds the provider calls in flight at once.
	MaxConcurrency int
	// FailureTTL is the longest a failed refresh is remembered (bounded by
	// the account's cache_ttl, at least one second, and extended to a 429's
	// Retry-After).
	FailureTTL time.Duration
	// Client is the HTTP client handed to providers.
	Client *http.Client
	// UserAgent is sent with provider requests.
	UserAgent string
	// Now is the clock (tests).
	Now func() time.Time
	// Lookup finds a provider by id; default registry.Lookup (tests use fakes).
	Lookup func(id string) (providers.Spec, bool)
}

// Collector implements prometheus.Collector for the configured accounts.
type Collector struct {
	opts Options
	sem  chan struct{}

	mu       sync.RWMutex
	accounts []*account
}

// New returns a Collector with no accounts; call Apply to give it some.
func New(opts Options) *Collector {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.FailureTTL <= 0 {
		opts.FailureTTL = DefaultFailureTTL
	}
	if opts.Client == nil {
		opts.Client = NewHTTPClient()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lookup == nil {
		opts.Lookup = registry.Lookup
	}
	return &Collector{opts: opts, sem: make(chan struct{}, opts.MaxConcurrency)}
}

// NewHTTPClient returns the HTTP client used for providers: the proxy from
// the environment, bounded dials and idle connections kept for reuse.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}}
}

// Apply installs cfg's accounts. An account whose configuration did not
// change keeps its cache, token and counters; removed accounts vanish. On
// error nothing changes.
func (c *Collector) Apply(cfg *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := map[string]*account{}
	for _, a := range c.accounts {
		old[a.cfg.Name] = a
	}
	next := make([]*account, 0, len(cfg.Accounts))
	for _, ac := range cfg.Accounts {
		if prev, ok := old[ac.Name]; ok && sameAccount(prev.cfg, ac) {
			prev.cfg.Line = ac.Line
			next = append(next, prev)
			continue
		}
		spec, ok := c.opts.Lookup(ac.Provider)
		if !ok {
			return fmt.Errorf("account %q: unknown provider %q", ac.Name, ac.Provider)
		}
		p, err := spec.New(providers.Account{
			Name:           ac.Name,
			BaseURL:        ac.BaseURL,
			Currency:       ac.Currency,
			ResponseFormat: ac.ResponseFormat,
			Credentials:    ac.CredentialValues(),
			Client:         c.opts.Client,
			UserAgent:      c.opts.UserAgent,
		})
		if err != nil {
			return fmt.Errorf("account %q: %w", ac.Name, err)
		}
		next = append(next, newAccount(ac, p))
	}
	c.accounts = next
	return nil
}

func sameAccount(a, b config.Account) bool {
	a.Line, b.Line = 0, 0
	return reflect.DeepEqual(a, b)
}

func (c *Collector) snapshot() []*account {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]*account(nil), c.accounts...)
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{balanceDesc, thresholdDesc, upDesc, authDesc, requestsDesc, failuresDesc, durationDesc, lastSuccessDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; refreshes are bounded by each
// account's timeout only. Use WithContext to bound a scrape.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collect(context.Background(), ch)
}

// WithContext returns a prometheus.Collector for one scrape: it stops
// waiting for refreshes when ctx is done, and reports the accounts it could
// not refresh in time as down.
func (c *Collector) WithContext(ctx context.Context) prometheus.Collector {
	return scrape{c: c, ctx: ctx}
}

type scrape struct {
	c   *Collector
	ctx context.Context
}

func (s scrape) Describe(ch chan<- *prometheus.Desc) { s.c.Describe(ch) }
func (s scrape) Collect(ch chan<- prometheus.Metric) { s.c.collect(s.ctx, ch) }

func (c *Collector) collect(ctx context.Context, ch chan<- prometheus.Metric) {
	accounts := c.snapshot()
	late := c.refresh(ctx, accounts)
	now := c.opts.Now()
	for i, a := range accounts {
		a.emit(ch, now, late[i])
	}
}

// Refresh refreshes the accounts whose cache is due and returns their
// status; accounts not refreshed before ctx is done are marked down.
func (c *Collector) Refresh(ctx context.Context) []Status {
	accounts := c.snapshot()
	late := c.refresh(ctx, accounts)
	out := make([]Status, len(accounts))
	for i, a := range accounts {
		out[i] = a.status()
		if late[i] {
			out[i].Up = false
			out[i].LastError = "not refreshed before the deadline"
			out[i].Reason = providers.ReasonTimeout
		}
	}
	return out
}

// Status returns every account's state without calling any provider.
func (c *Collector) Status() []Status {
	accounts := c.snapshot()
	out := make([]Status, len(accounts))
	for i, a := range accounts {
		out[i] = a.status()
	}
	return out
}

// refresh starts (or joins) a refresh for every due account, all in
// parallel, and waits for them until ctx is done. It reports which accounts
// were still refreshing then.
func (c *Collector) refresh(ctx context.Context, accounts []*account) []bool {
	late := make([]bool, len(accounts))
	now := c.opts.Now()
	var wg sync.WaitGroup
	for i, a := range accounts {
		if !a.due(now) {
			continue
		}
		done := a.sf.DoChan("refresh", func() (any, error) {
			c.refreshAccount(a)
			return nil, nil
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-done:
			case <-ctx.Done():
				late[i] = true
			}
		}()
	}
	wg.Wait()
	return late
}

// refreshAccount calls the provider once, unless another refresh made the
// cache fresh in the meantime. It runs detached from any scrape, bounded by
// the account's timeout, so that a scrape that gives up does not waste the
// call: its result serves the next scrape.
func (c *Collector) refreshAccount(a *account) {
	if !a.due(c.opts.Now()) {
		return
	}
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	ctx, cancel := context.WithTimeout(context.Background(), a.cfg.Timeout)
	defer cancel()
	start := c.opts.Now()
	bal, err := call(ctx, a.provider, a.cfg.Timeout)
	end := c.opts.Now()
	a.record(bal, err, end.Sub(start), end, c.failureTTL(a), c.opts.Logger)
}

func (c *Collector) failureTTL(a *account) time.Duration {
	return max(min(c.opts.FailureTTL, a.cfg.CacheTTL), time.Second)
}

// call runs the provider in its own goroutine so that one that ignores its
// context or panics costs only its own account's refresh.
func call(ctx context.Context, p providers.Provider, timeout time.Duration) (bal providers.Balance, err error) {
	type result struct {
		bal providers.Balance
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: providers.Errorf(providers.ReasonBadResponse, "provider client panicked: %v", r)}
			}
		}()
		b, err := p.Balance(ctx)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil && providers.Classify(r.err) == providers.ReasonNetwork {
			r.err = &providers.Error{Reason: providers.ReasonTimeout, Msg: fmt.Sprintf("no answer within %s", timeout), Err: r.err}
		}
		return r.bal, r.err
	case <-ctx.Done():
		return providers.Balance{}, providers.Errorf(providers.ReasonTimeout, "no answer within %s", timeout)
	}
}

// emit sends the account's metrics; late means this scrape could not wait
// for its refresh.
func (a *account) emit(ch chan<- prometheus.Metric, now time.Time, late bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	name, prov := a.cfg.Name, a.cfg.Provider
	fresh := a.up && !late
	if a.good != nil && (fresh || (a.cfg.MaxStale > 0 && now.Sub(a.goodAt) <= a.cfg.CacheTTL+a.cfg.MaxStale)) {
		ch <- prometheus.MustNewConstMetric(balanceDesc, prometheus.GaugeValue, a.good.Value, prov, name, a.good.Unit, a.good.Currency)
		if t := a.cfg.LowBalanceThreshold; t != nil {
			ch <- prometheus.MustNewConstMetric(thresholdDesc, prometheus.GaugeValue, *t, prov, name, a.good.Unit, a.good.Currency)
		}
	}
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, b2f(fresh), prov, name)
	ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(a.requests), prov, name)
	ch <- prometheus.MustNewConstMetric(authDesc, prometheus.CounterValue, float64(a.failures[providers.ReasonAuth]), prov, name)
	for _, r := range providers.Reasons {
		ch <- prometheus.MustNewConstMetric(failuresDesc, prometheus.CounterValue, float64(a.failures[r]), prov, name, string(r))
	}
	buckets := make(map[float64]uint64, len(durationBuckets))
	for i, b := range durationBuckets {
		buckets[b] = a.bucketCount[i]
	}
	ch <- prometheus.MustNewConstHistogram(durationDesc, a.durCount, a.durSum, buckets, prov, name)
	if !a.goodAt.IsZero() {
		ch <- prometheus.MustNewConstMetric(lastSuccessDesc, prometheus.GaugeValue, float64(a.goodAt.UnixNano())/1e9, prov, name)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
