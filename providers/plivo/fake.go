package plivo

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Plivo's simulated account API (GET /v1/Account/{auth_id}/),
// answering as the documentation shows. The body of a refused credential is
// not documented: the fake answers Plivo's usual error shape (a guess).
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "auth_id" and
// "auth_token".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["auth_id"], creds["auth_token"]), w)
}

const fakeAPIID = "3c8f5e2a-6b1d-11ee-9d41-0242ac110002"

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/Account/")
	id, ok2 := strings.CutSuffix(rest, "/")
	if !ok || !ok2 || id == "" || strings.Contains(id, "/") {
		simulator.WriteJSON(w, http.StatusNotFound, map[string]string{"api_id": fakeAPIID, "error": "not found"})
		return
	}
	if r.Method != http.MethodGet {
		simulator.WriteJSON(w, http.StatusMethodNotAllowed, map[string]string{"api_id": fakeAPIID, "error": "method not allowed"})
		return
	}
	user, pass, _ := r.BasicAuth()
	wallet, known := f.accounts.Get(simulator.Key(user, pass))
	if !known || user != id || wallet.Behavior == providers.Reject {
		simulator.WriteJSON(w, http.StatusUnauthorized, map[string]string{"api_id": fakeAPIID, "error": "authentication failed"})
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{
		"account_type":  "standard",
		"address":       "",
		"api_id":        fakeAPIID,
		"auth_id":       id,
		"auto_recharge": false,
		"billing_mode":  "prepaid",
		"cash_credits":  strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 5, 64),
		"city":          "",
		"name":          "Demo account",
		"resource_uri":  "/v1/Account/" + id + "/",
		"state":         "",
		"timezone":      "America/New_York",
	})
}
