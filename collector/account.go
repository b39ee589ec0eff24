package collector

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"golang.org/x/sync/singleflight"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// durationBuckets are the sms_provider_request_duration_seconds buckets.
var durationBuckets = []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// maxRetryAfter caps how long a provider's Retry-After can silence an account.
const maxRetryAfter = time.Hour

// account is one configured account with its provider client, cache and
// counters. Its state survives reloads that leave its configuration alone.
type account struct {
	cfg      config.Account
	provider providers.Provider
	secrets  []string
	sf       singleflight.Group

	mu          sync.Mutex
	attempted   bool
	lastAttempt time.Time // when the latest refresh finished
	up          bool
	lastErr     string
	lastReason  providers.Reason
	retryAt     time.Time // after a failure: no new call before this
	good        *providers.Balance
	goodAt      time.Time
	lastDur     time.Duration
	requests    uint64
	failures    map[providers.Reason]uint64
	bucketCount []uint64 // cumulative per durationBuckets
	durCount    uint64
	durSum      float64
	failStart   time.Time
}

func newAccount(cfg config.Account, p providers.Provider) *account {
	return &account{
		cfg:         cfg,
		provider:    p,
		secrets:     cfg.SecretValues(),
		failures:    map[providers.Reason]uint64{},
		bucketCount: make([]uint64, len(durationBuckets)),
	}
}

// due says whether the cached result is too old to serve at now.
func (a *account) due(now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch {
	case !a.attempted:
		return true
	case a.up:
		return !now.Before(a.lastAttempt.Add(a.cfg.CacheTTL))
	default:
		return !now.Before(a.retryAt)
	}
}

// record stores the outcome of one refresh that went to the provider and
// logs when the account starts failing or recovers.
func (a *account) record(bal providers.Balance, err error, dur time.Duration, now time.Time, failureTTL time.Duration, logger log.Logger) {
	if err == nil {
		err = validate(bal)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	a.durCount++
	a.durSum += dur.Seconds()
	for i, b := range durationBuckets {
		if dur.Seconds() <= b {
			a.bucketCount[i]++
		}
	}
	wasFailing := a.attempted && !a.up
	a.attempted, a.lastAttempt, a.lastDur = true, now, dur
	logger = log.With(logger, "account", a.cfg.Name, "provider", a.cfg.Provider)
	if err == nil {
		if wasFailing {
			level.Info(logger).Log("msg", "Account refresh recovered", "failed_for", now.Sub(a.failStart).Round(time.Second))
		}
		b := bal
		a.up, a.good, a.goodAt, a.lastErr, a.lastReason = true, &b, now, "", ""
		level.Debug(logger).Log("msg", "Refreshed balance", "duration_seconds", dur.Seconds())
		return
	}
	reason := providers.Classify(err)
	msg := redact(err.Error(), a.secrets)
	a.failures[reason]++
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

func validate(b providers.Balance) error {
	switch {
	case math.IsNaN(b.Value) || math.IsInf(b.Value, 0):
		return providers.Errorf(providers.ReasonBadResponse, "provider returned a non-finite balance")
	case b.Unit != providers.UnitCurrency && b.Unit != providers.UnitCredits:
		return providers.Errorf(providers.ReasonBadResponse, "provider returned unknown unit %q", b.Unit)
	}
	return nil
}

// redact replaces every credential value in s.
func redact(s string, secrets []string) string {
	// Longest first, so that a secret containing another is replaced whole.
	sorted := append([]string(nil), secrets...)
	sort.Slice(sorted, func(i, j int) bool { return len(sorted[i]) > len(sorted[j]) })
	for _, sec := range sorted {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<secret>")
		}
	}
	return s
}

// Status is a snapshot of one account, for the landing page and --once.
type Status struct {
	Name      string
	Provider  string
	Attempted bool
	Up        bool
	// Balance is the last good balance, if any.
	Balance     *providers.Balance
	LastSuccess time.Time
	// LastError is the latest refresh's error (redacted), or "".
	LastError    string
	Reason       providers.Reason
	LastDuration time.Duration
}

func (a *account) status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := Status{
		Name: a.cfg.Name, Provider: a.cfg.Provider, Attempted: a.attempted, Up: a.up,
		LastSuccess: a.goodAt, LastError: a.lastErr, Reason: a.lastReason, LastDuration: a.lastDur,
	}
	if a.good != nil {
		b := *a.good
		s.Balance = &b
	}
	return s
}

// FormatValue renders a balance for people.
func FormatValue(b providers.Balance) string {
	if b.Unit == providers.UnitCredits {
		return fmt.Sprintf("%g", b.Value)
	}
	return fmt.Sprintf("%.2f", b.Value)
}
