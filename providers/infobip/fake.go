package infobip

import (
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Infobip's simulated balance API (GET /account/1/balance),
// answering as the documentation shows.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["api_key"], w)
}

// writeError answers with Infobip's classic error body.
func writeError(w http.ResponseWriter, status int, id, text string) {
	simulator.WriteJSON(w, status, map[string]any{"requestError": map[string]any{
		"serviceException": map[string]string{"messageId": id, "text": text},
	}})
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/account/1/balance" {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Requested URL not found: "+r.URL.Path)
		return
	}
	if r.Method != http.MethodGet {
		writeError(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Request method '"+r.Method+"' is not supported")
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "App ")
	wallet, known := f.accounts.Get(key)
	if !ok || !known || wallet.Behavior == providers.Reject {
		writeError(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid login details")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	currency := wallet.Currency
	if currency == "" {
		currency = "EUR"
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{
		"balance":  math.Round(wallet.Amount(time.Now())*1e4) / 1e4,
		"currency": currency,
	})
}
