package collector

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// fake is a scriptable providers.Provider.
type fake struct {
	mu      sync.Mutex
	bal     providers.Balance   // the one amount reported, unless bals is set
	bals    []providers.Balance // every amount reported
	err     error
	calls   int
	delay   time.Duration // honours ctx
	block   chan struct{} // ignores ctx until closed
	panics  bool
	started chan struct{} // receives on every call, if set
	// inFlight, if set, count this call while it runs (shared by fakes).
	inFlight []*inFlight
}

// inFlight counts the calls of some fakes running at once, and the most
// ever seen.
type inFlight struct {
	mu       sync.Mutex
	now, max int
}

func (c *inFlight) enter() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now++
	c.max = max(c.max, c.now)
}

func (c *inFlight) leave() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now--
}

// counts returns the calls running now and the most ever seen.
func (c *inFlight) counts() (now, most int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now, c.max
}

func (f *fake) set(bal providers.Balance, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bal, f.err = bal, err
}

func (f *fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fake) Balances(ctx context.Context) ([]providers.Balance, error) {
	f.mu.Lock()
	f.calls++
	bal, err, delay, block, panics, started := []providers.Balance{f.bal}, f.err, f.delay, f.block, f.panics, f.started
	if f.bals != nil {
		bal = f.bals
	}
	inFlight := f.inFlight
	f.mu.Unlock()
	for _, c := range inFlight {
		c.enter()
		defer c.leave()
	}
	if started != nil {
		started <- struct{}{}
	}
	if panics {
		panic("index out of range")
	}
	if block != nil {
		<-block
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return nil, &providers.Error{Reason: providers.ReasonTimeout, Msg: "GET /balance: timed out", Err: ctx.Err()}
		}
	}
	if err != nil {
		return nil, err
	}
	return bal, nil
}

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// harness is a Collector whose accounts use fakes, keyed by account name.
type harness struct {
	*Collector
	clock *clock
	fakes map[string]*fake
	logs  *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newHarness returns a harness; opts may change its Options.
func newHarness(t *testing.T, fakes map[string]*fake, opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{clock: &clock{t: time.Unix(1_800_000_000, 0)}, fakes: fakes, logs: &syncBuffer{}}
	o := Options{
		Logger: level.NewFilter(log.NewLogfmtLogger(h.logs), level.AllowInfo()),
		Now:    h.clock.Now,
		Lookup: func(id string) (providers.Spec, bool) {
			if id != "fake" {
				return providers.Spec{}, false
			}
			return providers.Spec{ID: "fake", New: func(a providers.Settings) (providers.Provider, error) {
				f, ok := h.fakes[a.Name]
				if !ok {
					t.Fatalf("no fake for account %s", a.Name)
				}
				return f, nil
			}}, true
		},
	}
	for _, f := range opts {
		f(&o)
	}
	h.Collector = New(o)
	return h
}

// acct returns an account of provider "fake" with the built-in defaults.
func acct(name string, opts ...func(*config.Account)) config.Account {
	a := config.Account{Name: name, Provider: "fake", Timeout: time.Second, CacheTTL: time.Minute, MaxStale: time.Hour,
		Credentials: map[string]config.Secret{"token": config.Secret("secret-of-" + name)}}
	for _, o := range opts {
		o(&a)
	}
	return a
}

func apply(t *testing.T, h *harness, accounts ...config.Account) {
	t.Helper()
	if err := h.Apply(&config.Config{Accounts: accounts}); err != nil {
		t.Fatal(err)
	}
}
