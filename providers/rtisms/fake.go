package rtisms

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is RTI-SMS's simulated API: POST /api/auth issues tokens valid for
// its validity period, GET /api/balance answers for a valid token, as the
// documentation shows.
type Fake struct {
	validity time.Duration
	accounts simulator.Ledger // by client_id + client_secret

	mu     sync.Mutex
	tokens map[string]fakeToken
}

type fakeToken struct {
	key    string
	expiry time.Time
}

// NewFake returns a Fake issuing tokens valid for validity.
func NewFake(validity time.Duration) *Fake {
	return &Fake{validity: validity, tokens: map[string]fakeToken{}}
}

// AddAccount implements providers.FakeAPI; creds holds client_id and client_secret.
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["client_id"], creds["client_secret"]), w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/api/auth":
		f.auth(w, r)
	case "/api/balance":
		f.balance(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *Fake) auth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		simulator.WriteJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	key := simulator.Key(r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"))
	wallet, ok := f.accounts.Get(key)
	if !ok || wallet.Behavior == providers.Reject {
		simulator.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	tok := "rti-" + hex.EncodeToString(b)
	f.mu.Lock()
	f.tokens[tok] = fakeToken{key: key, expiry: time.Now().Add(f.validity)}
	f.mu.Unlock()
	simulator.WriteJSON(w, http.StatusOK, map[string]string{
		"access_token":    tok,
		"validity_period": strconv.Itoa(int(f.validity.Seconds())),
	})
}

func (f *Fake) balance(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	t, known := f.tokens[tok]
	f.mu.Unlock()
	var wallet providers.Wallet
	if ok && known && time.Now().Before(t.expiry) {
		wallet, known = f.accounts.Get(t.key)
	} else {
		known = false
	}
	if !known || wallet.Behavior == providers.Reject {
		w.WriteHeader(http.StatusUnauthorized) // documented: 401 with an empty body
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]string{"balance": strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 2, 64)})
}
