package d7networks

import (
	"net/http"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is D7 Networks' simulated balance API (GET /messages/v1/balance),
// answering as the documentation shows.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "token".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["token"], w)
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/messages/v1/balance" {
		simulator.WriteJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		return
	}
	if r.Method != http.MethodGet {
		simulator.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	wallet, known := f.accounts.Get(tok)
	if !ok || !known || wallet.Behavior == providers.Reject {
		simulator.WriteJSON(w, http.StatusUnauthorized, map[string]any{"detail": map[string]string{
			"code":    "ACCESS_TOKEN_SIGNATURE_VERIFICATION_FAILED",
			"message": "It looks like your requests were failed due to a missing or invalid 'Access Token'.",
		}})
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]float64{"balance": wallet.Amount(time.Now())})
}
