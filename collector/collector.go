// Package collector asks every configured account for its balance, through a
// per-account cache with a single in-flight refresh, and exposes the results
// as Prometheus metrics built fresh on each scrape.
package collector

import (
	"context"
	"fmt"
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
		"Configured low_balance_threshold of the account, in the unit of its main sms_balance.",
		balanceLabels, nil)
	creditLimitDesc = prometheus.NewDesc("sms_balance_credit_limit",
		"Credit or overdraft limit of the provider account that may be spent beyond sms_balance, in the same unit.",
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
	// Client is the HTTP client handed to the providers of accounts without
	// http_client_config.
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
	accounts []*accountState
	byName   map[string]*accountState
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
		opts.Client = providers.NewDefaultClient()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Lookup == nil {
		opts.Lookup = registry.Lookup
	}
	return &Collector{opts: opts, sem: make(chan struct{}, opts.MaxConcurrency)}
}

// Apply installs cfg's accounts. An account whose configuration did not
// change keeps its cache, token and counters; removed accounts vanish. On
// error nothing changes.
func (c *Collector) Apply(cfg *config.Config) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := map[string]*accountState{}
	for _, a := range c.accounts {
		old[a.cfg.Name] = a
	}
	next := make([]*accountState, 0, len(cfg.Accounts))
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
		client := c.opts.Client
		if ac.HTTPClientConfig != nil {
			var err error
			if client, err = providers.NewClient(ac.HTTPClientConfig, ac.Name); err != nil {
				return fmt.Errorf("account %q: %w", ac.Name, err)
			}
		}
		secrets := providers.NewRedactor(ac.SecretValues()...)
		p, err := spec.New(providers.Settings{
			Name:        ac.Name,
			BaseURL:     ac.BaseURL,
			Currency:    ac.Currency,
			Credentials: ac.CredentialValues(),
			Options:     ac.Options,
			Client:      client,
			UserAgent:   c.opts.UserAgent,
			Redactor:    secrets,
		})
		if err != nil {
			return fmt.Errorf("account %q: %w", ac.Name, err)
		}
		next = append(next, newAccountState(ac, p, secrets))
	}
	c.accounts = next
	c.byName = make(map[string]*accountState, len(next))
	for _, a := range next {
		c.byName[a.cfg.Name] = a
	}
	return nil
}

func sameAccount(a, b config.Account) bool {
	a.Line, b.Line = 0, 0
	return reflect.DeepEqual(a, b)
}

func (c *Collector) snapshot() []*accountState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]*accountState(nil), c.accounts...)
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{balanceDesc, thresholdDesc, creditLimitDesc, upDesc, authDesc, requestsDesc, failuresDesc, durationDesc, lastSuccessDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector; refreshes are bounded by each
// account's timeout only. Use WithContext to bound a scrape.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.collect(context.Background(), ch, nil)
}

// WithContext returns a prometheus.Collector for one scrape: it stops
// waiting for refreshes when ctx is done, and reports the accounts it could
// not refresh in time as down.
func (c *Collector) WithContext(ctx context.Context) prometheus.Collector {
	return scrape{c: c, ctx: ctx}
}

// Account returns a prometheus.Collector for one scrape of the account
// named name only (the /probe endpoint): same cache, single-flight and
// deadline rules, same series. It is false when there is no such account.
// Finding the account does not depend on how many there are.
func (c *Collector) Account(ctx context.Context, name string) (prometheus.Collector, bool) {
	c.mu.RLock()
	a, ok := c.byName[name]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return scrape{c: c, ctx: ctx, accounts: []*accountState{a}}, true
}

// Targets lists the configured accounts' names and providers, in file
// order, without calling any provider.
func (c *Collector) Targets() []Target {
	accounts := c.snapshot()
	out := make([]Target, len(accounts))
	for i, a := range accounts {
		out[i] = Target{Name: a.cfg.Name, Provider: a.cfg.Provider}
	}
	return out
}

// Target is a configured account, for service discovery.
type Target struct {
	Name, Provider string
}

// scrape is the collector of one scrape: of every account, or of the
// given ones.
type scrape struct {
	c        *Collector
	ctx      context.Context
	accounts []*accountState // nil: every account
}

func (s scrape) Describe(ch chan<- *prometheus.Desc) { s.c.Describe(ch) }
func (s scrape) Collect(ch chan<- prometheus.Metric) { s.c.collect(s.ctx, ch, s.accounts) }

func (c *Collector) collect(ctx context.Context, ch chan<- prometheus.Metric, accounts []*accountState) {
	if accounts == nil {
		accounts = c.snapshot()
	}
	pending := c.refresh(ctx, accounts)
	now := c.opts.Now()
	for i, a := range accounts {
		a.emit(ch, now, pending[i])
	}
}

// Refresh refreshes the accounts whose cache is due and returns their
// status; accounts not refreshed before ctx is done are marked down.
func (c *Collector) Refresh(ctx context.Context) []Status {
	accounts := c.snapshot()
	pending := c.refresh(ctx, accounts)
	out := make([]Status, len(accounts))
	for i, a := range accounts {
		out[i] = a.status()
		if pending[i] {
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
func (c *Collector) refresh(ctx context.Context, accounts []*accountState) []bool {
	pending := make([]bool, len(accounts))
	now := c.opts.Now()
	var wg sync.WaitGroup
	for i, a := range accounts {
		if !a.due(now) {
			continue
		}
		done := a.flight.DoChan("refresh", func() (any, error) {
			c.refreshAccount(a)
			return nil, nil
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-done:
			case <-ctx.Done():
				pending[i] = true
			}
		}()
	}
	wg.Wait()
	return pending
}

// refreshAccount calls the provider once, unless another refresh made the
// cache fresh in the meantime. It runs detached from any scrape, bounded by
// the account's timeout, so that a scrape that gives up does not waste the
// call: its result serves the next scrape.
func (c *Collector) refreshAccount(a *accountState) {
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

func (c *Collector) failureTTL(a *accountState) time.Duration {
	return max(min(c.opts.FailureTTL, a.cfg.CacheTTL), time.Second)
}

// call runs the provider in its own goroutine so that one that ignores its
// context or panics costs only its own account's refresh.
func call(ctx context.Context, p providers.Provider, timeout time.Duration) ([]providers.Balance, error) {
	type result struct {
		bal []providers.Balance
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: providers.Errorf(providers.ReasonBadResponse, "provider client panicked: %v", r)}
			}
		}()
		b, err := p.Balances(ctx)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && ctx.Err() != nil && providers.Classify(r.err) == providers.ReasonNetwork {
			r.err = &providers.Error{Reason: providers.ReasonTimeout, Msg: fmt.Sprintf("no answer within %s", timeout), Err: r.err}
		}
		return r.bal, r.err
	case <-ctx.Done():
		return nil, providers.Errorf(providers.ReasonTimeout, "no answer within %s", timeout)
	}
}

// emit sends the account's metrics; pending means this scrape could not wait
// for its refresh. A metric that cannot be built (which validation at load
// and at refresh should prevent) is reported on its own, never costing the
// account's other metrics or other accounts.
func (a *accountState) emit(ch chan<- prometheus.Metric, now time.Time, pending bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	name, prov := a.cfg.Name, a.cfg.Provider
	fresh := a.up && !pending
	if a.good != nil && (fresh || (a.cfg.MaxStale > 0 && now.Sub(a.goodAt) <= a.cfg.CacheTTL+a.cfg.MaxStale)) {
		main := true
		for _, b := range a.good {
			desc := balanceDesc
			if b.Kind == providers.KindCreditLimit {
				desc = creditLimitDesc
			}
			send(ch, desc, prometheus.GaugeValue, b.Value, prov, name, b.Unit, b.Currency)
			if t := a.cfg.LowBalanceThreshold; t != nil && main && b.Kind == providers.KindBalance {
				send(ch, thresholdDesc, prometheus.GaugeValue, *t, prov, name, b.Unit, b.Currency)
				main = false
			}
		}
	}
	up := 0.0
	if fresh {
		up = 1
	}
	send(ch, upDesc, prometheus.GaugeValue, up, prov, name)
	send(ch, requestsDesc, prometheus.CounterValue, float64(a.requests), prov, name)
	send(ch, authDesc, prometheus.CounterValue, float64(a.failures[providers.ReasonAuth]), prov, name)
	for _, r := range providers.Reasons {
		send(ch, failuresDesc, prometheus.CounterValue, float64(a.failures[r]), prov, name, string(r))
	}
	buckets := make(map[float64]uint64, len(durationBuckets))
	for i, b := range durationBuckets {
		buckets[b] = a.bucketCount[i]
	}
	if m, err := prometheus.NewConstHistogram(durationDesc, a.durCount, a.durSum, buckets, prov, name); err == nil {
		ch <- m
	} else {
		ch <- prometheus.NewInvalidMetric(durationDesc, err)
	}
	if !a.goodAt.IsZero() {
		send(ch, lastSuccessDesc, prometheus.GaugeValue, float64(a.goodAt.UnixNano())/1e9, prov, name)
	}
}

// send sends one const metric, or an invalid metric carrying the error.
func send(ch chan<- prometheus.Metric, desc *prometheus.Desc, typ prometheus.ValueType, v float64, labels ...string) {
	m, err := prometheus.NewConstMetric(desc, typ, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(desc, err)
	}
	ch <- m
}
