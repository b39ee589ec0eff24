package bulksms

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is BulkSMS.com's simulated profile API (GET /v1/profile with Basic
// auth), answering errors as problem documents. BulkSMS balances are always
// credits, whatever the wallet's Credits says.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "username" and
// "password" or "token_id" and "token_secret" (both are sent as Basic).
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	if _, ok := creds["username"]; ok {
		f.accounts.Put(simulator.Key(creds["username"], creds["password"]), w)
		return
	}
	f.accounts.Put(simulator.Key(creds["token_id"], creds["token_secret"]), w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != path {
		writeProblem(w, http.StatusNotFound, "not-found", "Not Found", "No resource at "+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet {
		writeProblem(w, http.StatusMethodNotAllowed, "method-not-allowed", "Method Not Allowed", "Request method '"+r.Method+"' not supported")
		return
	}
	user, secret, ok := r.BasicAuth()
	wallet, known := f.accounts.Get(simulator.Key(user, secret))
	if !ok || !known || wallet.Behavior == providers.Reject {
		writeProblem(w, http.StatusUnauthorized, "authentication-failed", "Authentication Failed",
			"Full authentication is required to access this resource")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{
		"id":        "5D1C5F2AE7B34C5D",
		"username":  user,
		"firstName": "Demo",
		"lastName":  "Account",
		"company":   map[string]any{"name": nil, "taxReference": nil},
		"email":     "demo@example.com",
		"credits": map[string]any{
			"balance":           wallet.Amount(time.Now()),
			"isTransferAllowed": false,
			"limit":             int64(wallet.CreditLimit),
		},
		"quota": map[string]int{"size": 100, "remaining": 100},
	})
}

// writeProblem answers status with a BulkSMS problem document.
func writeProblem(w http.ResponseWriter, status int, kind, title, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":   "https://developer.bulksms.com/json/v1/errors#" + kind,
		"title":  title,
		"status": status,
		"detail": detail,
	})
}
