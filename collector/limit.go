package collector

import (
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// hostKey names the concurrency limit an account's provider calls count
// against: the host:port (the port defaulted from the scheme) of where its
// provider says it calls (providers.Endpointer: a providers.Call's
// effective base URL, the http provider's url in its options), else of its
// base_url; for an account with neither (a templated host), "provider:" and
// its provider id. p may be nil.
func hostKey(ac config.Account, p providers.Provider) string {
	for _, v := range []any{p, ac.Options} {
		if e, ok := v.(providers.Endpointer); ok {
			if k := urlHostKey(e.EndpointURL()); k != "" {
				return k
			}
		}
	}
	if k := urlHostKey(ac.BaseURL); k != "" {
		return k
	}
	return "provider:" + ac.Provider
}

// urlHostKey returns host:port of raw, or "" if it names no host.
func urlHostKey(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// hostLimits computes the limit of every host key used by accounts: the
// default, lowered by the max_concurrency of any account on that host.
func hostLimits(accounts []*accountState, def int) map[string]int {
	limits := make(map[string]int)
	for _, a := range accounts {
		ac, k := a.cfg, a.hostKey
		n, ok := limits[k]
		if !ok {
			n = def
		}
		if ac.MaxConcurrency > 0 {
			n = min(n, ac.MaxConcurrency)
		}
		limits[k] = n
	}
	return limits
}

// dispatcher runs jobs (provider calls) with at most hostLimit.limit of
// them running per host and at most total overall. A queued job costs no
// goroutine: workers are started only for jobs that may run, and a worker
// that finishes a job takes the next runnable one, round-robin between
// hosts.
type dispatcher struct {
	mu      sync.Mutex
	total   int // most jobs running at once
	running int
	ready   fifo[*hostLimit] // hosts with queued jobs and room under their limit
}

// hostLimit is the queue and limit of one host. Its fields are guarded by
// the dispatcher's mutex.
type hostLimit struct {
	key     string
	limit   int
	running int
	// maxRunning is the most jobs ever seen running at once (tests).
	maxRunning int
	queue      fifo[func()]
	inReady    bool
}

func newDispatcher(total int) *dispatcher { return &dispatcher{total: total} }

// submit queues job on h and starts it at once if the limits allow.
func (d *dispatcher) submit(h *hostLimit, job func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h.queue.push(job)
	d.markReadyLocked(h)
	d.startLocked()
}

// setLimit changes h's limit. Jobs running beyond a lowered limit finish;
// no new one starts until h is under it.
func (d *dispatcher) setLimit(h *hostLimit, n int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h.limit = n
	d.markReadyLocked(h)
	d.startLocked()
}

// limitOf returns h's limit and its highest count of running jobs so far.
func (d *dispatcher) limitOf(h *hostLimit) (limit, maxRunning int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return h.limit, h.maxRunning
}

func (d *dispatcher) markReadyLocked(h *hostLimit) {
	if !h.inReady && h.queue.len() > 0 && h.running < h.limit {
		h.inReady = true
		d.ready.push(h)
	}
}

// startLocked starts a worker for every job that may run now.
func (d *dispatcher) startLocked() {
	for d.running < d.total {
		h, job := d.nextLocked()
		if job == nil {
			return
		}
		go d.work(h, job)
	}
}

// nextLocked takes the next job that may run, counting it as running, or
// returns a nil job.
func (d *dispatcher) nextLocked() (*hostLimit, func()) {
	if d.running >= d.total {
		return nil, nil
	}
	for d.ready.len() > 0 {
		h := d.ready.pop()
		h.inReady = false
		if h.running >= h.limit || h.queue.len() == 0 {
			continue // its own workers put it back when there is room
		}
		job := h.queue.pop()
		h.running++
		h.maxRunning = max(h.maxRunning, h.running)
		d.running++
		d.markReadyLocked(h) // behind the other ready hosts
		return h, job
	}
	return nil, nil
}

// work runs job, then every next runnable job, until there is none.
func (d *dispatcher) work(h *hostLimit, job func()) {
	for job != nil {
		job()
		d.mu.Lock()
		h.running--
		d.running--
		d.markReadyLocked(h)
		h, job = d.nextLocked()
		d.mu.Unlock()
	}
}

// fifo is a first-in first-out queue that releases what it held.
type fifo[T any] struct {
	items []T
	head  int
}

func (q *fifo[T]) len() int { return len(q.items) - q.head }

func (q *fifo[T]) push(v T) {
	if q.head > 0 && q.head >= len(q.items)/2 && len(q.items) == cap(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	q.items = append(q.items, v)
}

func (q *fifo[T]) pop() T {
	var zero T
	v := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
		if cap(q.items) > 1024 {
			q.items = nil // a burst is over: let its array go
		}
	}
	return v
}
