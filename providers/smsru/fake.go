package smsru

import (
	"math"
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is SMS.ru's simulated balance API (/my/balance, GET or POST, api_id
// as a parameter). It always answers JSON (as with json=1) and answers
// every error with HTTP 200, as SMS.ru does: {"status":"ERROR",
// "status_code":200,"status_text":"Неправильный api_id"} for an api_id it
// does not know. The balance is in RUB whatever the wallet's currency.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "api_id".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["api_id"], w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != balancePath {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	id := r.FormValue("api_id")
	wallet, known := f.accounts.Get(id)
	if id == "" || !known || wallet.Behavior == providers.Reject {
		simulator.WriteJSON(w, http.StatusOK, map[string]any{
			"status": "ERROR", "status_code": statusBadAPIID, "status_text": "Неправильный api_id"})
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{
		"status": "OK", "status_code": 100, "balance": math.Round(wallet.Amount(time.Now())*100) / 100})
}
