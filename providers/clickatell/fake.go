package clickatell

import (
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Clickatell's simulated balance API (GET /public-client/balance
// with the API key as the Authorization header). The body of its 401 is a
// guess: the docs do not show one.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["api_key"], w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != path {
		writeError(w, http.StatusNotFound, 404, "Not found")
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, 405, "Method not allowed")
		return
	}
	key := r.Header.Get("Authorization")
	wallet, known := f.accounts.Get(key)
	if key == "" || !known || wallet.Behavior == providers.Reject {
		writeError(w, http.StatusUnauthorized, 1, "Invalid or missing API key")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	cur := wallet.Currency
	if cur == "" {
		cur = "ZAR"
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{"balance": wallet.Amount(time.Now()), "currency": cur})
}

// writeError answers status with an error object.
func writeError(w http.ResponseWriter, status, code int, description string) {
	simulator.WriteJSON(w, status, map[string]any{"error": map[string]any{"code": code, "description": description}})
}
