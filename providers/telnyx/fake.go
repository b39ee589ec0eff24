package telnyx

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Telnyx's simulated balance API (GET /v2/balance), answering as
// the documentation shows.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["api_key"], w)
}

// fakeError answers Telnyx's {"errors":[…]} body.
func fakeError(w http.ResponseWriter, status int, code, title, detail string) {
	simulator.WriteJSON(w, status, map[string]any{"errors": []map[string]string{{"code": code, "title": title, "detail": detail}}})
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v2/balance" {
		fakeError(w, http.StatusNotFound, "10005", "Resource not found", "The requested resource or URL could not be found.")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fakeError(w, http.StatusMethodNotAllowed, "10006", "Method not allowed", "The requested method is not allowed for this resource.")
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	wallet, known := f.accounts.Get(key)
	if !ok || !known || wallet.Behavior == providers.Reject {
		// The shape is a guess (Telnyx's usual error body).
		fakeError(w, http.StatusUnauthorized, "10009", "Authentication failed", "The API key looks malformed. Check that you copied it correctly.")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	cur := strings.ToUpper(wallet.Currency)
	if cur == "" {
		cur = "USD"
	}
	balance := wallet.Amount(time.Now())
	money := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	simulator.WriteJSON(w, http.StatusOK, map[string]any{"data": map[string]string{
		"record_type":      "balance",
		"pending":          money(0),
		"balance":          money(balance),
		"credit_limit":     money(wallet.CreditLimit),
		"available_credit": money(balance + wallet.CreditLimit),
		"currency":         cur,
	}})
}
