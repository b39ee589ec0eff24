// Package simulator answers like the RTI-SMS, D7 Networks and SMSOnlineGH
// balance APIs, as their documentation shows them, from one http.Handler.
// The tests and the exporter's --demo mode run the real provider clients
// against it: no credentials and no network needed.
package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Behavior makes an account misbehave.
type Behavior string

// The behaviours an account can have.
const (
	// OK answers with the balance.
	OK Behavior = ""
	// Reject answers as the provider does for refused credentials.
	Reject Behavior = "reject"
	// Hang never answers (until the client gives up or the simulator closes).
	Hang Behavior = "hang"
	// ServerError answers HTTP 500.
	ServerError Behavior = "server_error"
	// RateLimit answers HTTP 429 with Retry-After: 120.
	RateLimit Behavior = "rate_limit"
	// Garbage answers HTTP 200 with a body that is not the API's.
	Garbage Behavior = "garbage"
)

// Account is a simulated provider account.
type Account struct {
	// Balance is the balance at the time the account was added.
	Balance float64
	// DrainPerSecond makes the balance fall over time (never below 0).
	DrainPerSecond float64
	// Model is SMSOnlineGH's credit model: "quantity" (default) or "currency".
	Model string
	// CurrencyCode and CurrencyName are SMSOnlineGH's currency fields.
	CurrencyCode, CurrencyName string
	// Behavior makes the account misbehave.
	Behavior Behavior

	added time.Time
}

type rtiClient struct {
	secret string
	acct   *Account
}

type rtiToken struct {
	clientID string
	expiry   time.Time
}

// Simulator is an http.Handler serving the three providers' balance APIs.
type Simulator struct {
	// TokenValidity is the validity_period RTI-SMS tokens are issued with.
	TokenValidity time.Duration

	now  func() time.Time
	stop chan struct{}

	mu     sync.Mutex
	closed bool
	rti    map[string]*rtiClient
	tokens map[string]rtiToken
	d7     map[string]*Account
	gh     map[string]*Account
	hits   map[string]int
}

// New returns an empty Simulator.
func New() *Simulator {
	return &Simulator{
		TokenValidity: time.Hour,
		now:           time.Now,
		stop:          make(chan struct{}),
		rti:           map[string]*rtiClient{},
		tokens:        map[string]rtiToken{},
		d7:            map[string]*Account{},
		gh:            map[string]*Account{},
		hits:          map[string]int{},
	}
}

// Close releases hanging requests.
func (s *Simulator) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.stop)
	}
}

// AddRTI adds (or replaces) an RTI-SMS account reachable with clientID and secret.
func (s *Simulator) AddRTI(clientID, secret string, a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.added = s.now()
	s.rti[clientID] = &rtiClient{secret: secret, acct: &a}
}

// AddD7 adds (or replaces) a D7 Networks account reachable with token.
func (s *Simulator) AddD7(token string, a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.added = s.now()
	s.d7[token] = &a
}

// AddSMSOnlineGH adds (or replaces) an SMSOnlineGH account reachable with apiKey.
func (s *Simulator) AddSMSOnlineGH(apiKey string, a Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.added = s.now()
	s.gh[apiKey] = &a
}

// Hits returns how many requests reached path.
func (s *Simulator) Hits(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// ServeHTTP implements http.Handler.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	s.mu.Unlock()
	switch r.URL.Path {
	case "/api/auth":
		s.rtiAuth(w, r)
	case "/api/balance":
		s.rtiBalance(w, r)
	case "/messages/v1/balance":
		s.d7Balance(w, r)
	case "/v5/account/balance":
		s.ghBalance(w, r)
	default:
		http.NotFound(w, r)
	}
}

// balance returns the account's balance now and its behaviour.
func (s *Simulator) balance(a *Account) (float64, Behavior) {
	v := a.Balance - a.DrainPerSecond*s.now().Sub(a.added).Seconds()
	return math.Max(v, 0), a.Behavior
}

// misbehave answers for the non-OK behaviours other than Reject and
// reports whether it did.
func (s *Simulator) misbehave(w http.ResponseWriter, r *http.Request, b Behavior) bool {
	switch b {
	case Hang:
		select {
		case <-r.Context().Done():
		case <-s.stop:
		}
	case ServerError:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, "<html><body><h1>500 Internal Server Error</h1></body></html>")
	case RateLimit:
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	case Garbage:
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"balance":`)
	default:
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Simulator) rtiAuth(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	s.mu.Lock()
	c, ok := s.rti[r.PostForm.Get("client_id")]
	ok = ok && c.secret == r.PostForm.Get("client_secret") && c.acct.Behavior != Reject
	var tok string
	if ok {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		tok = "rti-" + hex.EncodeToString(b)
		s.tokens[tok] = rtiToken{clientID: r.PostForm.Get("client_id"), expiry: s.now().Add(s.TokenValidity)}
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"access_token":    tok,
		"validity_period": strconv.Itoa(int(s.TokenValidity.Seconds())),
	})
}

func (s *Simulator) rtiBalance(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	t, known := s.tokens[tok]
	var acct *Account
	if ok && known && s.now().Before(t.expiry) {
		if c := s.rti[t.clientID]; c != nil {
			acct = c.acct
		}
	}
	var bal float64
	var b Behavior
	if acct != nil {
		bal, b = s.balance(acct)
	}
	s.mu.Unlock()
	if acct == nil || b == Reject {
		w.WriteHeader(http.StatusUnauthorized) // documented: 401 with an empty body
		return
	}
	if s.misbehave(w, r, b) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"balance": strconv.FormatFloat(bal, 'f', 2, 64)})
}

func (s *Simulator) d7Balance(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	acct := s.d7[tok]
	var bal float64
	var b Behavior
	if acct != nil {
		bal, b = s.balance(acct)
	}
	s.mu.Unlock()
	if !ok || acct == nil || b == Reject {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": map[string]string{
			"code":    "ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED",
			"message": "It looks like your requests were failed due to a missing or invalid 'Access Token'.",
		}})
		return
	}
	if s.misbehave(w, r, b) {
		return
	}
	writeJSON(w, http.StatusOK, map[string]float64{"balance": bal})
}

type ghHandshake struct {
	ID    int    `json:"id" xml:"id"`
	Label string `json:"label" xml:"label"`
}

type ghData struct {
	Balance      float64 `json:"balance" xml:"balance"`
	Model        string  `json:"model" xml:"model"`
	CurrencyName *string `json:"currencyName" xml:"currencyName"`
	CurrencyCode *string `json:"currencyCode" xml:"currencyCode"`
}

type ghResponse struct {
	XMLName   xml.Name    `json:"-" xml:"response"`
	Handshake ghHandshake `json:"handshake" xml:"handshake"`
	Data      *ghData     `json:"data" xml:"data"`
}

func (s *Simulator) ghBalance(w http.ResponseWriter, r *http.Request) {
	format := "application/json"
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt == "application/xml" {
		format = "application/xml"
	}
	reply := func(status int, resp ghResponse) {
		w.Header().Set("Content-Type", format)
		w.WriteHeader(status)
		if format == "application/xml" {
			_ = xml.NewEncoder(w).Encode(resp)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
	if r.Method != http.MethodPost {
		reply(http.StatusMethodNotAllowed, ghResponse{Handshake: ghHandshake{1402, "HSHK_ERR_BAD_REQUEST"}})
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "key ")
	s.mu.Lock()
	acct := s.gh[key]
	var bal float64
	var b Behavior
	var data ghData
	if acct != nil {
		bal, b = s.balance(acct)
		data = ghData{Balance: bal, Model: acct.Model}
		if data.Model == "" {
			data.Model = "quantity"
		}
		if data.Model == "quantity" && acct.CurrencyCode == "" {
			data.Balance = math.Floor(bal)
		}
		if acct.CurrencyCode != "" {
			code, name := acct.CurrencyCode, acct.CurrencyName
			data.CurrencyCode, data.CurrencyName = &code, &name
		}
	}
	s.mu.Unlock()
	if !ok || acct == nil || b == Reject {
		// A revoked key has been seen answered with HTTP 200 and handshake 1203.
		reply(http.StatusOK, ghResponse{Handshake: ghHandshake{1203, "HSHK_ERR_UA_AUTH"}})
		return
	}
	if s.misbehave(w, r, b) {
		return
	}
	reply(http.StatusOK, ghResponse{Handshake: ghHandshake{0, "HSHK_OK"}, Data: &data})
}
