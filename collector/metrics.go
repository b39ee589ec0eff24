package collector

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// A scrape of N accounts sends over a dozen series per account. Building
// each as a prometheus const metric cost a label pair, two string copies and
// a sort per label, and a map plus a sort per histogram, on every scrape.
// Instead an account keeps its series ready (accountSeries), rebuilt only
// when one of its refreshes ends, and a warm scrape builds nothing: it sends
// them, as a registry of const metrics would, or (Gatherer) hands their
// dto.Metric values out directly. To keep that cache small with thousands
// of accounts, everything immutable that accounts have in common is shared:
// label pairs other than the account's name, the values of counters (mostly
// the same few counts), histogram buckets (a bucket is an upper bound and a
// cumulative count) and thresholds. Shared dto values are never written
// after they are built, as with const metrics: concurrent scrapes (and
// protobuf's size caches, which are atomic) only read them.

// Label names, for label pairs to point to.
var (
	nameAccount  = "account"
	nameProvider = "provider"
	nameCurrency = "currency"
	nameUnit     = "unit"
	nameReason   = "reason"
)

// labelPair returns an immutable label pair.
func labelPair(name *string, value string) *dto.LabelPair {
	return &dto.LabelPair{Name: name, Value: &value}
}

// Shared label pairs: label pairs are immutable once built.
var (
	reasonPairs = func() []*dto.LabelPair {
		out := make([]*dto.LabelPair, len(providers.Reasons))
		for i, r := range providers.Reasons {
			out[i] = labelPair(&nameReason, string(r))
		}
		return out
	}()
	providerPairs = interned[string, dto.LabelPair]{max: 1024}
	currencyPairs = interned[string, dto.LabelPair]{max: 1024}
	unitPairs     = interned[string, dto.LabelPair]{max: 64}
)

// interned shares immutable values by key. It holds at most max of them:
// when full it starts afresh (the values it handed out stay valid; they are
// just no longer shared with later callers), so that keys that are never
// asked for again, such as the counts of a growing counter, do not pile up.
type interned[K comparable, V any] struct {
	mu  sync.Mutex
	m   map[K]*V
	max int
}

func (c *interned[K, V]) get(k K, build func(K) *V) *V {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[k]; ok {
		return v
	}
	if c.m == nil || len(c.m) >= c.max {
		c.m = make(map[K]*V)
	}
	v := build(k)
	c.m[k] = v
	return v
}

var errLabelValue = errors.New("label value is not valid UTF-8")

// accountLabels are an account's label sets, sorted by label name as the
// registry expects them, in one allocation.
type accountLabels struct {
	name    string
	account dto.LabelPair
	base    [2]*dto.LabelPair             // account, provider
	reasons [numReasons][3]*dto.LabelPair // account, provider, reason; by providers.Reasons
	err     error                         // a value is not valid UTF-8
}

func newAccountLabels(name, provider string) *accountLabels {
	l := &accountLabels{name: name}
	l.account.Name, l.account.Value = &nameAccount, &l.name
	if !utf8.ValidString(name) || !utf8.ValidString(provider) {
		l.err = errLabelValue
	}
	prov := providerPairs.get(provider, func(v string) *dto.LabelPair { return labelPair(&nameProvider, v) })
	l.base = [2]*dto.LabelPair{&l.account, prov}
	for i := range l.reasons {
		l.reasons[i] = [3]*dto.LabelPair{&l.account, prov, reasonPairs[i]}
	}
	return l
}

// balanceLabels returns the label sets of amounts (account, currency,
// provider, unit), and per amount why its labels are not valid (nil if all
// are).
func (l *accountLabels) balanceLabels(bal []providers.Balance) ([][]*dto.LabelPair, []error) {
	out := make([][]*dto.LabelPair, len(bal))
	all := make([][4]*dto.LabelPair, len(bal))
	var errs []error
	for i, b := range bal {
		cur := currencyPairs.get(b.Currency, func(v string) *dto.LabelPair { return labelPair(&nameCurrency, v) })
		unit := unitPairs.get(b.Unit, func(v string) *dto.LabelPair { return labelPair(&nameUnit, v) })
		all[i] = [4]*dto.LabelPair{&l.account, cur, l.base[1], unit}
		out[i] = all[i][:]
		if l.err != nil || !utf8.ValidString(b.Unit) || !utf8.ValidString(b.Currency) {
			if errs == nil {
				errs = make([]error, len(bal))
			}
			errs[i] = errLabelValue
		}
	}
	return out, errs
}

// Shared values: counters by value, buckets by bound and count, gauges of
// thresholds by value.
var (
	counters   = interned[float64, dto.Counter]{max: 4096}
	buckets    = interned[bucketKey, dto.Bucket]{max: 4096}
	thresholds = interned[float64, dto.Gauge]{max: 1024}
)

type bucketKey struct {
	i     int
	count uint64
}

func counterOf(v float64) *dto.Counter {
	return counters.get(v, func(v float64) *dto.Counter { return &dto.Counter{Value: &v} })
}

// emptyHistogram is the histogram of an account never refreshed.
var emptyHistogram = newHistogram(&[len(durationBuckets)]uint64{}, 0, 0)

// newHistogram builds the sms_provider_request_duration_seconds histogram
// of counts cumulative per durationBuckets, with shared buckets.
func newHistogram(counts *[len(durationBuckets)]uint64, count uint64, sum float64) *dto.Histogram {
	type block struct {
		h     dto.Histogram
		ptrs  [len(durationBuckets)]*dto.Bucket
		count uint64
		sum   float64
	}
	b := &block{count: count, sum: sum}
	for i, n := range counts {
		b.ptrs[i] = buckets.get(bucketKey{i, n}, func(k bucketKey) *dto.Bucket {
			return &dto.Bucket{CumulativeCount: &k.count, UpperBound: &durationBuckets[k.i]}
		})
	}
	b.h.SampleCount, b.h.SampleSum, b.h.Bucket = &b.count, &b.sum, b.ptrs[:]
	return &b.h
}

// Shared values of sms_provider_up.
var (
	gaugeZero = &dto.Gauge{Value: new(0.0)}
	gaugeOne  = &dto.Gauge{Value: new(1.0)}
)

// series is one series of an account: a prometheus.Metric like a const
// metric, immutable once built, whose Write shares its label pairs and
// value with every scrape. Its dto.Metric is also what Gatherer hands out.
type series struct {
	fam *family
	m   dto.Metric
}

// Desc implements prometheus.Metric.
func (s *series) Desc() *prometheus.Desc { return s.fam.desc }

// Write implements prometheus.Metric.
func (s *series) Write(out *dto.Metric) error {
	out.Label, out.Gauge, out.Counter, out.Histogram = s.m.Label, s.m.Gauge, s.m.Counter, s.m.Histogram
	return nil
}

// set makes s a series of fam with labels and one of gauge, counter or
// histogram; it returns s.
func (s *series) set(fam *family, labels []*dto.LabelPair, g *dto.Gauge, c *dto.Counter, h *dto.Histogram) *series {
	s.fam = fam
	s.m.Label, s.m.Gauge, s.m.Counter, s.m.Histogram = labels, g, c, h
	return s
}

// gaugeValue is a gauge with its value, in one allocation.
type gaugeValue struct {
	g dto.Gauge
	v float64
}

func (g *gaugeValue) set(v float64) *dto.Gauge {
	g.v, g.g.Value = v, &g.v
	return &g.g
}

// accountSeries are the series of an account, rebuilt when one of its
// refreshes ends and shared by every scrape until the next: a warm scrape
// builds nothing. Within a family, an account's series are sorted by their
// labels, as a registry sorts them (Gatherer relies on it).
type accountSeries struct {
	// good are the amounts and the threshold, sent while the balance is
	// fresh or within max_stale; invalid are those that could not be built
	// (nil, or rarely a list).
	good    []series
	invalid *[]prometheus.Metric
	// up is sms_provider_up as of the latest refresh; a scrape that could
	// not wait for a refresh makes its own (upFor).
	up series
	// rest are the counters, the histogram and the last success: the first
	// nrest of them.
	rest        [2 + numReasons + 2]series
	nrest       uint8
	lastSuccess gaugeValue
}

// upFor returns the sms_provider_up series for a scrape.
func (s *accountSeries) upFor(up bool) *series {
	if (s.up.m.Gauge == gaugeOne) == up {
		return &s.up
	}
	g := gaugeZero
	if up {
		g = gaugeOne
	}
	return new(series).set(upFamily, s.up.m.Label, g, nil, nil)
}

// invalidMetrics returns the metrics that could not be built.
func (s *accountSeries) invalidMetrics() []prometheus.Metric {
	if s.invalid == nil {
		return nil
	}
	return *s.invalid
}

// reasonOrder lists the indexes of providers.Reasons sorted by reason, the
// order of their series.
var reasonOrder = func() []int {
	out := make([]int, len(providers.Reasons))
	for i := range out {
		out[i] = i
	}
	sort.Slice(out, func(i, j int) bool { return providers.Reasons[out[i]] < providers.Reasons[out[j]] })
	return out
}()

// buildSeriesLocked rebuilds a.series from a's state; a.mu is held.
func (a *accountState) buildSeriesLocked() {
	l := a.labels
	base := l.base[:]
	out := &accountSeries{}
	if a.up {
		out.up.set(upFamily, base, gaugeOne, nil, nil)
	} else {
		out.up.set(upFamily, base, gaugeZero, nil, nil)
	}
	var invalid []prometheus.Metric
	if a.good != nil {
		n := len(a.good)
		if a.cfg.LowBalanceThreshold != nil {
			n++
		}
		out.good = make([]series, n)
		values := make([]gaugeValue, len(a.good))
		k := 0
		main := true
		for i, b := range a.good {
			fam := balanceFamily
			if b.Kind == providers.KindCreditLimit {
				fam = creditLimitFamily
			}
			isMain := main && b.Kind == providers.KindBalance
			if isMain {
				main = false
			}
			t := a.cfg.LowBalanceThreshold
			if a.goodErrs != nil && a.goodErrs[i] != nil {
				err := fmt.Errorf("account %q: %w", a.cfg.Name, a.goodErrs[i])
				invalid = append(invalid, prometheus.NewInvalidMetric(fam.desc, err))
				if t != nil && isMain {
					invalid = append(invalid, prometheus.NewInvalidMetric(thresholdDesc, err))
				}
				continue
			}
			out.good[k].set(fam, a.goodLabels[i], values[i].set(b.Value), nil, nil)
			k++
			if t != nil && isMain {
				g := thresholds.get(*t, func(v float64) *dto.Gauge { return &dto.Gauge{Value: &v} })
				out.good[k].set(thresholdFamily, a.goodLabels[i], g, nil, nil)
				k++
			}
		}
		out.good = out.good[:k]
		if invalid != nil {
			out.invalid = &invalid
		}
		// By family, then labels (account, currency, provider, unit: the
		// account and provider are the same).
		sort.SliceStable(out.good, func(i, j int) bool {
			x, y := &out.good[i], &out.good[j]
			if x.fam != y.fam {
				return x.fam.index < y.fam.index
			}
			if cx, cy := x.m.Label[1].GetValue(), y.m.Label[1].GetValue(); cx != cy {
				return cx < cy
			}
			return x.m.Label[3].GetValue() < y.m.Label[3].GetValue()
		})
	}
	r := out.rest[:]
	r[0].set(requestsFamily, base, nil, counterOf(float64(a.requests)), nil)
	r[1].set(authFamily, base, nil, counterOf(float64(a.failures[reasonIndex(providers.ReasonAuth)])), nil)
	for k, i := range reasonOrder {
		r[2+k].set(failuresFamily, l.reasons[i][:], nil, counterOf(float64(a.failures[i])), nil)
	}
	r[2+numReasons].set(durationFamily, base, nil, nil, a.hist)
	r = r[:3+numReasons]
	if !a.goodAt.IsZero() {
		r = r[:4+numReasons]
		r[3+numReasons].set(lastSuccessFamily, base, out.lastSuccess.set(float64(a.goodAt.UnixNano())/1e9), nil, nil)
	}
	out.nrest = uint8(len(r))
	a.series = out
}
