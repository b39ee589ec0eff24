package collector

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family is one of the collector's metric families.
type family struct {
	name, help string
	typ        dto.MetricType
	desc       *prometheus.Desc
	index      int // in families
}

func newFamily(name, help string, typ dto.MetricType, labels []string) *family {
	return &family{name: name, help: help, typ: typ, desc: prometheus.NewDesc(name, help, labels, nil)}
}

func sortFamilies(fams ...*family) []*family {
	sort.Slice(fams, func(i, j int) bool { return fams[i].name < fams[j].name })
	for i, f := range fams {
		f.index = i
	}
	return fams
}

// Gatherer returns a prometheus.Gatherer for one scrape of every account:
// the same refreshes, deadline (ctx) and series as a registry holding
// WithContext(ctx), but it hands out each account's ready series as they
// are, already in the order a registry would sort them, instead of copying,
// hashing and sorting every one of them again on each scrape. With many
// accounts that is most of a scrape's time and memory.
//
// Its families are the collector's only (sms_balance*, sms_provider_*).
// Serve them with the exporter's own registry through Concat (or
// prometheus.Gatherers, which checks every series again).
func (c *Collector) Gatherer(ctx context.Context) prometheus.Gatherer {
	return gatherer{c: c, ctx: ctx}
}

// AccountGatherer is Gatherer for the account named name only (the /probe
// endpoint); it is false when there is no such account.
func (c *Collector) AccountGatherer(ctx context.Context, name string) (prometheus.Gatherer, bool) {
	c.mu.RLock()
	a, ok := c.byName[name]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return gatherer{c: c, ctx: ctx, accounts: []*accountState{a}}, true
}

type gatherer struct {
	c        *Collector
	ctx      context.Context
	accounts []*accountState // sorted by name; nil: every account
}

// Gather implements prometheus.Gatherer.
func (g gatherer) Gather() ([]*dto.MetricFamily, error) {
	accounts := g.accounts
	if accounts == nil {
		g.c.mu.RLock()
		accounts = g.c.sorted
		g.c.mu.RUnlock()
	}
	pending := g.c.refresh(g.ctx, accounts)
	now := g.c.opts.Now()
	n := len(accounts)
	metrics := make([][]*dto.Metric, len(families))
	for _, f := range families {
		switch f {
		case failuresFamily:
			metrics[f.index] = make([]*dto.Metric, 0, n*numReasons)
		case balanceFamily, upFamily, authFamily, requestsFamily, durationFamily, lastSuccessFamily:
			metrics[f.index] = make([]*dto.Metric, 0, n)
		}
	}
	var errs prometheus.MultiError
	for i, a := range accounts {
		s, fresh, showGood := a.current(now, pending != nil && pending[i])
		if err := a.labels.err; err != nil {
			errs = append(errs, fmt.Errorf("account %q: %w", a.cfg.Name, err))
			continue
		}
		if showGood {
			for k := range s.good {
				m := &s.good[k]
				metrics[m.fam.index] = append(metrics[m.fam.index], &m.m)
			}
			for _, m := range s.invalidMetrics() {
				errs = append(errs, m.Write(&dto.Metric{}))
			}
		}
		metrics[upFamily.index] = append(metrics[upFamily.index], &s.upFor(fresh).m)
		for k := range s.rest[:s.nrest] {
			m := &s.rest[k]
			metrics[m.fam.index] = append(metrics[m.fam.index], &m.m)
		}
	}
	out := make([]*dto.MetricFamily, 0, len(families))
	for _, f := range families {
		if len(metrics[f.index]) == 0 {
			continue
		}
		out = append(out, &dto.MetricFamily{Name: &f.name, Help: &f.help, Type: f.typ.Enum(), Metric: metrics[f.index]})
	}
	return out, errs.MaybeUnwrap()
}

// Concat is a prometheus.Gatherer of gatherers whose families have distinct
// names, such as the exporter's own registry and a Collector's Gatherer:
// it returns all their families, sorted by name, without checking every
// series again as prometheus.Gatherers does. A family whose name another
// gatherer returned already is left out, with an error.
type Concat []prometheus.Gatherer

// Gather implements prometheus.Gatherer.
func (gs Concat) Gather() ([]*dto.MetricFamily, error) {
	var out []*dto.MetricFamily
	var errs prometheus.MultiError
	seen := map[string]bool{}
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			var multi prometheus.MultiError
			if errors.As(err, &multi) {
				errs = append(errs, multi...)
			} else {
				errs = append(errs, err)
			}
		}
		for _, mf := range mfs {
			if seen[mf.GetName()] {
				errs = append(errs, fmt.Errorf("metric family %s gathered twice", mf.GetName()))
				continue
			}
			seen[mf.GetName()] = true
			out = append(out, mf)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetName() < out[j].GetName() })
	return out, errs.MaybeUnwrap()
}
