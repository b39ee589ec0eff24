package twilio

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Twilio's simulated balance API (GET
// /2010-04-01/Accounts/{AccountSid}/Balance.json), answering as the
// documentation shows. It knows an account by each credential set it was
// added with: AccountSid and AuthToken, or an API key's sid and secret
// (Basic auth user and password); either reaches only the account's own
// path.
type Fake struct {
	accounts simulator.Ledger // by simulator.Key(Basic auth user, password)

	mu    sync.Mutex
	owner map[string]string // the account sid, by the same key
}

// AddAccount implements providers.FakeAPI; creds holds "account_sid" and
// "auth_token", or "account_sid", "api_key_sid" and "api_key_secret" (given
// both, the account is reachable with either).
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	sid := creds["account_sid"]
	var keys []string
	if token, ok := creds["auth_token"]; ok {
		keys = append(keys, simulator.Key(sid, token))
	}
	if keySid, ok := creds["api_key_sid"]; ok {
		keys = append(keys, simulator.Key(keySid, creds["api_key_secret"]))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.owner == nil {
		f.owner = map[string]string{}
	}
	for _, k := range keys {
		f.accounts.Put(k, w)
		f.owner[k] = sid
	}
}

// ownerOf returns the account sid whose credentials key is.
func (f *Fake) ownerOf(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.owner[key]
}

// writeError answers with Twilio's error body.
func writeError(w http.ResponseWriter, status, code int, msg string) {
	simulator.WriteJSON(w, status, map[string]any{
		"code": code, "message": msg, "status": status,
		"more_info": "https://www.twilio.com/docs/errors/" + strconv.Itoa(code),
	})
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2010-04-01/Accounts/")
	sid, ok2 := strings.CutSuffix(rest, "/Balance.json")
	if !ok || !ok2 || sid == "" || strings.Contains(sid, "/") {
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, 20004, "Method not allowed")
		return
	}
	user, pass, _ := r.BasicAuth()
	key := simulator.Key(user, pass)
	wallet, known := f.accounts.Get(key)
	if !known || wallet.Behavior == providers.Reject {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if f.ownerOf(key) != sid { // another account's resource
		writeError(w, http.StatusNotFound, 20404, "The requested resource "+r.URL.Path+" was not found")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	currency := wallet.Currency
	if currency == "" {
		currency = "USD"
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]string{
		"account_sid": sid,
		"balance":     strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 5, 64),
		"currency":    currency,
	})
}
