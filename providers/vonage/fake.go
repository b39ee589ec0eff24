package vonage

import (
	"math"
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Vonage's simulated balance API (GET /account/get-balance), answering
// as the documentation shows, in euros whatever the wallet's currency.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "api_key" and
// "api_secret".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["api_key"], creds["api_secret"]), w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/account/get-balance" {
		simulator.WriteJSON(w, http.StatusNotFound, map[string]string{"error-code": "404", "error-code-label": "not found"})
		return
	}
	if r.Method != http.MethodGet {
		simulator.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"error-code": "405", "error-code-label": "method not allowed"})
		return
	}
	key, secret, _ := r.BasicAuth()
	wallet, known := f.accounts.Get(simulator.Key(key, secret))
	if !known || wallet.Behavior == providers.Reject {
		simulator.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error-code": "401", "error-code-label": "authentication failed"})
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	v := math.Round(wallet.Amount(time.Now())*1e5) / 1e5
	simulator.WriteJSON(w, http.StatusOK, map[string]any{"value": v, "autoReload": false})
}
