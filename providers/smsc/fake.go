package smsc

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is SMSC.ru's simulated balance API (/sys/balance.php, GET or POST,
// login and psw as parameters). It speaks fmt=3 (JSON) only and answers
// every error with HTTP 200, as SMSC.ru does: {"error":"authorise
// error","error_code":2} for credentials it does not know, and
// {"error":"too many requests","error_code":9} (no Retry-After) for a
// rate-limited account, where other fakes answer HTTP 429. A RUB (or
// unset) wallet is reported as "RUR", like the real API.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "login" and
// "password".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["login"], creds["password"]), w)
}

func fakeError(w http.ResponseWriter, code int, text string) {
	simulator.WriteJSON(w, http.StatusOK, map[string]any{"error": text, "error_code": code})
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
	login, psw := r.FormValue("login"), r.FormValue("psw")
	if login == "" || psw == "" || r.FormValue("fmt") != "3" {
		fakeError(w, 1, "parameters error")
		return
	}
	wallet, known := f.accounts.Get(simulator.Key(login, psw))
	if !known || wallet.Behavior == providers.Reject {
		fakeError(w, 2, "authorise error")
		return
	}
	if wallet.Behavior == providers.RateLimit {
		fakeError(w, 9, "too many requests")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	answer := map[string]string{"balance": strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 2, 64)}
	if r.FormValue("cur") == "1" {
		cur := wallet.Currency
		if cur == "" || cur == "RUB" {
			cur = "RUR"
		}
		answer["currency"] = cur
	}
	simulator.WriteJSON(w, http.StatusOK, answer)
}
