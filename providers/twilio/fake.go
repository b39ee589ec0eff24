package twilio

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Twilio's simulated balance API (GET
// /2010-04-01/Accounts/{AccountSid}/Balance.json), answering as the
// documentation shows. It knows accounts by AccountSid and AuthToken.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "account_sid" and
// "auth_token".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["account_sid"], creds["auth_token"]), w)
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
	wallet, known := f.accounts.Get(simulator.Key(user, pass))
	if !known || wallet.Behavior == providers.Reject {
		writeError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return
	}
	if user != sid { // another account's resource
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
