// Package collector asks every configured account for its balance, through a
// per-account cache with a single in-flight refresh, and exposes the results
// as Prometheus metrics built fresh on each scrape.
package collector

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

// Defaults for Options.
const (
	// DefaultMaxConcurrency is the default limit of provider calls in flight
	// at once to one API host: enough for a cold scrape of a hundred
	// accounts on one host, or of hundreds on different hosts, in one wave.
	DefaultMaxConcurrency = 128
	// DefaultMaxTotalConcurrency bounds the provider calls in flight at once
	// over all hosts: a safety cap on goroutines, sockets and memory.
	DefaultMaxTotalConcurrency = 1024
	DefaultFailureTTL          = 15 * time.Second
)

var (
	labels        = []string{"provider", "account"}
	balanceLabels = []string{"provider", "account", "unit", "currency"}

	balanceFamily = newFamily("sms_balance",
		"Balance left on the provider account, in the given unit (currency: money in the given ISO currency; credits: messages or credits).",
		dto.MetricType_GAUGE, balanceLabels)
	thresholdFamily = newFamily("sms_balance_low_threshold",
		"Configured low_balance_threshold of the account, in the unit of its main sms_balance.",
		dto.MetricType_GAUGE, balanceLabels)
	creditLimitFamily = newFamily("sms_balance_credit_limit",
		"Credit or overdraft limit of the provider account that may be spent beyond sms_balance, in the same unit.",
		dto.MetricType_GAUGE, balanceLabels)
	upFamily = newFamily("sms_provider_up",
		"1 if the latest balance refresh of the account succeeded, else 0.", dto.MetricType_GAUGE, labels)
	authFamily = newFamily("sms_provider_auth_failures_total",
		"Balance refreshes rejected by the provider because of the credentials.", dto.MetricType_COUNTER, labels)
	requestsFamily = newFamily("sms_provider_requests_total",
		"Balance refreshes that went to the provider.", dto.MetricType_COUNTER, labels)
	failuresFamily = newFamily("sms_provider_request_failures_total",
		"Failed balance refreshes, by reason (auth, timeout, rate_limited, http_status, bad_response, network).",
		dto.MetricType_COUNTER, append(append([]string{}, labels...), "reason"))
	durationFamily = newFamily("sms_provider_request_duration_seconds",
		"Duration of balance refreshes that went to the provider (token fetch included).", dto.MetricType_HISTOGRAM, labels)
	lastSuccessFamily = newFamily("sms_provider_last_success_timestamp_seconds",
		"Unix time of the account's latest successful balance refresh.", dto.MetricType_GAUGE, labels)

	// families are all of the above, sorted by name; family.index is the
	// position of each.
	families = sortFamilies(balanceFamily, thresholdFamily, creditLimitFamily, upFamily, authFamily,
		requestsFamily, failuresFamily, durationFamily, lastSuccessFamily)

	balanceDesc     = balanceFamily.desc
	thresholdDesc   = thresholdFamily.desc
	creditLimitDesc = creditLimitFamily.desc
	upDesc          = upFamily.desc
	authDesc        = authFamily.desc
	requestsDesc    = requestsFamily.desc
	failuresDesc    = failuresFamily.desc
	durationDesc    = durationFamily.desc
	lastSuccessDesc = lastSuccessFamily.desc
)

// Options configure a Collector. Zero values take the defaults.
type Options struct {
	// Logger receives one line when an account starts failing and one when it recovers.
	Logger log.Logger
	// MaxConcurrency bounds the provider calls in flight at once to one API
	// host (the host:port of the accounts' base_url; accounts without one,
	// such as the http provider's, share one limit per provider id). An
	// account's max_concurrency lowers its host's limit: the lowest of the
	// accounts sharing the host wins.
	MaxConcurrency int
	// MaxTotalConcurrency bounds the provider calls in flight at once over
	// all hosts.
	MaxTotalConcurrency int
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
	opts     Options
	dispatch *dispatcher

	mu       sync.RWMutex
	accounts []*accountState // in file order
	sorted   []*accountState // by name
	byName   map[string]*accountState
	limits   map[string]*hostLimit // by hostKey, for the hosts of accounts
}

// New returns a Collector with no accounts; call Apply to give it some.
func New(opts Options) *Collector {
	if opts.Logger == nil {
		opts.Logger = log.NewNopLogger()
	}
	if opts.MaxConcurrency <= 0 {
		opts.MaxConcurrency = DefaultMaxConcurrency
	}
	if opts.MaxTotalConcurrency <= 0 {
		opts.MaxTotalConcurrency = DefaultMaxTotalConcurrency
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
	return &Collector{opts: opts, dispatch: newDispatcher(opts.MaxTotalConcurrency), limits: map[string]*hostLimit{}}
}

// Apply installs cfg's accounts. An account whose configuration did not
// change keeps its cache, token and counters; removed accounts vanish. A
// host still in use keeps its concurrency limiter (with its calls in
// flight), its limit recomputed. On error nothing changes.
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
		secrets := providers.NewRedactor(ac.SecretValues()...)
		client := c.opts.Client
		if ac.HTTPClientConfig != nil {
			var err error
			if client, err = providers.NewClient(ac.HTTPClientConfig, ac.Name, secrets); err != nil {
				return fmt.Errorf("account %q: %w", ac.Name, err)
			}
		}
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
	limits := make(map[string]*hostLimit)
	for key, n := range hostLimits(next, c.opts.MaxConcurrency) {
		h, ok := c.limits[key]
		if !ok {
			h = &hostLimit{key: key}
		}
		c.dispatch.setLimit(h, n)
		limits[key] = h
	}
	for _, a := range next {
		h := limits[a.hostKey]
		a.mu.Lock()
		a.limit = h // unchanged for a kept account: same host, same limiter
		a.mu.Unlock()
	}
	c.limits = limits
	c.accounts = next
	c.byName = make(map[string]*accountState, len(next))
	for _, a := range next {
		c.byName[a.cfg.Name] = a
	}
	c.sorted = append([]*accountState(nil), next...)
	sort.Slice(c.sorted, func(i, j int) bool { return c.sorted[i].cfg.Name < c.sorted[j].cfg.Name })
	return nil
}

func sameAccount(a, b config.Account) bool {
	a.Line, b.Line = 0, 0
	return reflect.DeepEqual(a, b)
}

// snapshot returns the accounts in file order. Apply replaces the slice and
// never changes it afterwards: callers only read it.
func (c *Collector) snapshot() []*accountState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.accounts
}

var descs = []*prometheus.Desc{balanceDesc, thresholdDesc, creditLimitDesc, upDesc, authDesc, requestsDesc, failuresDesc, durationDesc, lastSuccessDesc}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
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
		a.emit(ch, now, pending != nil && pending[i])
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
		if pending != nil && pending[i] {
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
// parallel within the hosts' limits, and waits for them until ctx is done.
// It reports which accounts were still refreshing then (nil: none was due).
// It starts nothing for an account that is not due, and waits without a
// goroutine per account.
func (c *Collector) refresh(ctx context.Context, accounts []*accountState) []bool {
	type wait struct {
		i    int
		done <-chan struct{}
	}
	now := c.opts.Now()
	var waits []wait
	for i, a := range accounts {
		if done := c.start(a, now); done != nil {
			waits = append(waits, wait{i, done})
		}
	}
	if len(waits) == 0 {
		return nil
	}
	pending := make([]bool, len(accounts))
	for k, w := range waits {
		select {
		case <-w.done:
			continue
		case <-ctx.Done():
		}
		for _, w := range waits[k:] {
			select {
			case <-w.done:
			default:
				pending[w.i] = true
			}
		}
		break
	}
	return pending
}

// start queues a refresh of a if it is due and none is in flight, and
// returns a channel closed when the refresh in flight ends; nil if a is not
// due.
func (c *Collector) start(a *accountState, now time.Time) <-chan struct{} {
	a.mu.Lock()
	if a.flight != nil {
		defer a.mu.Unlock()
		return a.flight
	}
	if !a.dueLocked(now) {
		a.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	a.flight = done
	limit := a.limit
	a.mu.Unlock()
	c.dispatch.submit(limit, func() { c.refreshAccount(a) })
	return done
}

// refreshAccount calls the provider once. It runs detached from any scrape
// (when its host's limit lets it), bounded by the account's timeout, so
// that a scrape that gives up does not waste the call: its result serves
// the next scrape.
func (c *Collector) refreshAccount(a *accountState) {
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
// account's other metrics or other accounts. The series were built when the
// account's latest refresh ended: emit allocates nothing, and sends them
// after releasing the account's lock.
func (a *accountState) emit(ch chan<- prometheus.Metric, now time.Time, pending bool) {
	if err := a.labels.err; err != nil {
		ch <- prometheus.NewInvalidMetric(upDesc, fmt.Errorf("account %q: %w", a.cfg.Name, err))
		return
	}
	s, fresh, showGood := a.current(now, pending)
	if showGood {
		for i := range s.good {
			ch <- &s.good[i]
		}
		for _, m := range s.invalidMetrics() {
			ch <- m
		}
	}
	ch <- s.upFor(fresh)
	for i := range s.rest[:s.nrest] {
		ch <- &s.rest[i]
	}
}

// current returns the account's series, whether it is up for this scrape
// (pending: the scrape could not wait for its refresh), and whether its
// amounts are shown (fresh, or within max_stale).
func (a *accountState) current(now time.Time, pending bool) (s *accountSeries, fresh, showGood bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fresh = a.up && !pending
	showGood = a.good != nil && (fresh || (a.cfg.MaxStale > 0 && now.Sub(a.goodAt) <= a.cfg.CacheTTL+a.cfg.MaxStale))
	return a.series, fresh, showGood
}
