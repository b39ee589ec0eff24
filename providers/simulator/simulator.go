// Package simulator serves the providers' simulated balance APIs from one
// http.Handler, each below /<provider id>, so that two providers may share a
// path. Each provider keeps its fake API beside its client (Spec.Fake); this
// package mounts them and holds what the fakes share. The tests and the
// exporter's --demo mode run the real provider clients against it: no
// credentials and no network needed.
package simulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Simulator is an http.Handler serving the simulated APIs of the providers
// it was built with, each below /<provider id>.
type Simulator struct {
	apis map[string]providers.FakeAPI
	now  func() time.Time

	stopCtx context.Context
	stop    context.CancelFunc

	mu   sync.Mutex
	hits map[string]int
}

// New returns a Simulator serving the fake API of every spec that has one.
func New(specs []providers.Spec) *Simulator {
	ctx, cancel := context.WithCancel(context.Background())
	s := &Simulator{apis: map[string]providers.FakeAPI{}, now: time.Now, stopCtx: ctx, stop: cancel, hits: map[string]int{}}
	for _, spec := range specs {
		if spec.Fake != nil {
			s.apis[spec.ID] = spec.Fake()
		}
	}
	return s
}

// IDs returns the ids of the providers served, sorted.
func (s *Simulator) IDs() []string {
	ids := make([]string, 0, len(s.apis))
	for id := range s.apis {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Close releases hanging requests.
func (s *Simulator) Close() { s.stop() }

// Add makes the account of provider id reachable with creds hold w. It
// panics if the simulator does not serve id.
func (s *Simulator) Add(id string, creds map[string]string, w providers.Wallet) {
	api, ok := s.apis[id]
	if !ok {
		panic(fmt.Sprintf("simulator: no fake API for provider %q", id))
	}
	if w.Since.IsZero() {
		w.Since = s.now()
	}
	api.AddAccount(creds, &w)
}

// BaseURL returns the base_url of provider id on a simulator served at root.
func BaseURL(root, id string) string { return strings.TrimRight(root, "/") + "/" + id }

// Hits returns how many requests reached path (with its /<provider id> prefix).
func (s *Simulator) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// ServeHTTP implements http.Handler: it strips the /<provider id> prefix
// and hands the request to that provider's fake, with a context that ends
// when the simulator is closed.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	id, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	api, ok := s.apis[id]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(s.stopCtx, cancel)
	defer stop()
	r2 := r.WithContext(ctx)
	u := *r.URL
	u.Path = "/" + rest
	u.RawPath = ""
	r2.URL = &u
	api.ServeHTTP(w, r2)
}

// Ledger is a fake API's accounts, by a key made of their credentials.
type Ledger struct {
	mu sync.Mutex
	m  map[string]*providers.Wallet
}

// Key joins credential values into a Ledger key.
func Key(parts ...string) string { return strings.Join(parts, "\x00") }

// Put stores w under key.
func (l *Ledger) Put(key string, w *providers.Wallet) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*providers.Wallet{}
	}
	l.m[key] = w
}

// Get returns a copy of the wallet under key, and whether there is one.
func (l *Ledger) Get(key string) (providers.Wallet, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.m[key]
	if !ok {
		return providers.Wallet{}, false
	}
	return *w, true
}

// Misbehave answers for the behaviours other than OK and Reject, the same
// way for every provider, and reports whether it did.
func Misbehave(w http.ResponseWriter, r *http.Request, b providers.Behavior) bool {
	switch b {
	case providers.Hang:
		<-r.Context().Done()
	case providers.ServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprint(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
	case providers.RateLimit:
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	case providers.Garbage:
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"balance":`)
	default:
		return false
	}
	return true
}

// WriteJSON answers status with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
