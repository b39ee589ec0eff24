package collector

import (
	"math"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	dto "github.com/prometheus/client_model/go"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// durationBuckets are the sms_provider_request_duration_seconds buckets.
// (an array: the histograms written for scrapes point into it).
var durationBuckets = [...]float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// maxRetryAfter caps how long a provider's Retry-After can silence an account.
const maxRetryAfter = time.Hour

// accountState is one configured account with its provider client, cache and
// counters. Its state survives reloads that leave its configuration alone.
type accountState struct {
	cfg      config.Account
	provider providers.Provider
	secrets  *providers.Redactor
	labels   *accountLabels

	mu sync.Mutex
	// flight is closed when the refresh queued or running ends; nil when
	// there is none (one refresh in flight per account).
	flight chan struct{}
	// limit is the concurrency limit of the account's API host, named by
	// hostKey.
	limit       *hostLimit
	hostKey     string
	attempted   bool
	lastAttempt time.Time // when the latest refresh finished
	up          bool
	lastErr     string
	lastReason  providers.Reason
	retryAt     time.Time           // after a failure: no new call before this
	good        []providers.Balance // the latest good amounts, main balance first
	goodLabels  [][]*dto.LabelPair  // their label sets
	goodErrs    []error             // per amount, why its labels are invalid (nil: all valid)
	goodAt      time.Time
	lastDur     time.Duration
	requests    uint64
	failures    [numReasons]uint64           // by providers.Reasons
	bucketCount [len(durationBuckets)]uint64 // cumulative per durationBuckets
	durCount    uint64
	durSum      float64
	hist        *dto.Histogram // the histogram of the above, immutable once built
	series      *accountSeries // the series of all the above, immutable once built
	failStart   time.Time
}

// numReasons is len(providers.Reasons), checked at init.
const numReasons = 6

func init() {
	if len(providers.Reasons) != numReasons {
		panic("collector: numReasons does not match providers.Reasons")
	}
}

// reasonIndex returns r's index in providers.Reasons, or -1.
func reasonIndex(r providers.Reason) int {
	for i, x := range providers.Reasons {
		if x == r {
			return i
		}
	}
	return -1
}

func newAccountState(cfg config.Account, p providers.Provider, secrets *providers.Redactor) *accountState {
	a := &accountState{
		cfg:      cfg,
		provider: p,
		secrets:  secrets,
		labels:   newAccountLabels(cfg.Name, cfg.Provider),
		hostKey:  hostKey(cfg, p),
	}
	a.hist = emptyHistogram
	a.buildSeriesLocked()
	return a
}

// dueLocked says whether the cached result is too old to serve at now;
// a.mu is held.
func (a *accountState) dueLocked(now time.Time) bool {
	switch {
	case !a.attempted:
		return true
	case a.up:
		return !now.Before(a.lastAttempt.Add(a.cfg.CacheTTL))
	default:
		return !now.Before(a.retryAt)
	}
}

// record stores the outcome of one refresh that went to the provider, ends
// the account's flight and logs when the account starts failing or
// recovers.
func (a *accountState) record(bal []providers.Balance, err error, dur time.Duration, now time.Time, failureTTL time.Duration, logger log.Logger) {
	if err == nil {
		err = validate(bal)
	}
	var goodLabels [][]*dto.LabelPair
	var goodErrs []error
	if err == nil {
		goodLabels, goodErrs = a.labels.balanceLabels(bal)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	defer a.endFlightLocked()
	defer a.buildSeriesLocked()
	a.requests++
	a.durCount++
	a.durSum += dur.Seconds()
	for i, b := range durationBuckets {
		if dur.Seconds() <= b {
			a.bucketCount[i]++
		}
	}
	a.hist = newHistogram(&a.bucketCount, a.durCount, a.durSum)
	wasFailing := a.attempted && !a.up
	a.attempted, a.lastAttempt, a.lastDur = true, now, dur
	logger = log.With(logger, "account", a.cfg.Name, "provider", a.cfg.Provider)
	if err == nil {
		if wasFailing {
			level.Info(logger).Log("msg", "Account refresh recovered", "failed_for", now.Sub(a.failStart).Round(time.Second))
		}
		a.up, a.good, a.goodAt, a.lastErr, a.lastReason = true, bal, now, "", ""
		a.goodLabels, a.goodErrs = goodLabels, goodErrs
		level.Debug(logger).Log("msg", "Refreshed balance", "duration_seconds", dur.Seconds())
		return
	}
	reason := providers.Classify(err)
	msg := a.secrets.RedactMessage(err.Error())
	if i := reasonIndex(reason); i >= 0 {
		a.failures[i]++
	}
	wait := failureTTL
	if ra := providers.RetryAfter(err); ra > wait {
		wait = min(ra, maxRetryAfter)
	}
	a.up, a.lastErr, a.lastReason, a.retryAt = false, msg, reason, now.Add(wait)
	if !wasFailing {
		a.failStart = now
		level.Warn(logger).Log("msg", "Account refresh failing", "reason", reason, "err", msg)
	} else {
		level.Debug(logger).Log("msg", "Account refresh still failing", "reason", reason, "err", msg)
	}
}

// endFlightLocked releases the scrapes waiting for the account's refresh.
func (a *accountState) endFlightLocked() {
	if a.flight != nil {
		close(a.flight)
		a.flight = nil
	}
}

// validate checks what a provider reported before it becomes metrics:
// finite values, known units, ISO-shaped currencies, at least one balance
// and no two amounts that would make the same series.
func validate(bal []providers.Balance) error {
	type series struct {
		kind           providers.Kind
		unit, currency string
	}
	seen := map[series]bool{}
	balances := 0
	for _, b := range bal {
		switch {
		case math.IsNaN(b.Value) || math.IsInf(b.Value, 0):
			return providers.Errorf(providers.ReasonBadResponse, "provider returned a non-finite amount")
		case b.Unit != providers.UnitCurrency && b.Unit != providers.UnitCredits:
			return providers.Errorf(providers.ReasonBadResponse, "provider returned unknown unit %q", providers.Bound(b.Unit))
		case b.Unit == providers.UnitCredits && b.Currency != "":
			return providers.Errorf(providers.ReasonBadResponse, "provider returned credits with a currency")
		case b.Kind != providers.KindBalance && b.Kind != providers.KindCreditLimit:
			return providers.Errorf(providers.ReasonBadResponse, "provider returned an amount of unknown kind %d", b.Kind)
		}
		if b.Currency != "" {
			if code, ok := providers.NormalizeCurrency(b.Currency); !ok || code != b.Currency {
				return providers.Errorf(providers.ReasonBadResponse, "provider returned currency %q, not an upper-case ISO 4217 code", providers.Bound(b.Currency))
			}
		}
		k := series{b.Kind, b.Unit, b.Currency}
		if seen[k] {
			return providers.Errorf(providers.ReasonBadResponse, "provider returned two amounts in %s %s", b.Unit, b.Currency)
		}
		seen[k] = true
		if b.Kind == providers.KindBalance {
			balances++
		}
	}
	if balances == 0 {
		return providers.Errorf(providers.ReasonBadResponse, "provider returned no balance")
	}
	return nil
}

// Status is a snapshot of one account, for the landing page and --once.
type Status struct {
	Name      string
	Provider  string
	Attempted bool
	Up        bool
	// Balances are the last good amounts (main balance first), if any.
	Balances    []providers.Balance
	LastSuccess time.Time
	// LastError is the latest refresh's error (redacted), or "".
	LastError    string
	Reason       providers.Reason
	LastDuration time.Duration
	// LastAttempt is when the latest refresh finished (zero before the first).
	LastAttempt time.Time
	// LowBalanceThreshold is the account's low_balance_threshold, if set:
	// the main balance is low at or under it.
	LowBalanceThreshold *float64
}

func (a *accountState) status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Status{
		Name: a.cfg.Name, Provider: a.cfg.Provider, Attempted: a.attempted, Up: a.up,
		LastSuccess: a.goodAt, LastError: a.lastErr, Reason: a.lastReason, LastDuration: a.lastDur,
		LastAttempt: a.lastAttempt,
	}
	if t := a.cfg.LowBalanceThreshold; t != nil {
		v := *t
		s.LowBalanceThreshold = &v
	}
	s.Balances = a.good
	return s
}
