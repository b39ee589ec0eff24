package clicksend

import (
	"net/http"
	"strconv"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is ClickSend's simulated account API (GET /v3/account with Basic
// username:api_key), answering in ClickSend's response envelope.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "username" and
// "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["username"], creds["api_key"]), w)
}

// currencyNames gives the prefix and long name of the currencies the fake
// knows, as ClickSend's _currency object shows them.
var currencyNames = map[string][2]string{
	"USD": {"$", "US Dollars"},
	"AUD": {"$", "Australian Dollars"},
	"EUR": {"€", "Euros"},
	"GBP": {"£", "British Pounds"},
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != path {
		writeEnvelope(w, http.StatusNotFound, "NOT_FOUND", "Resource not found.", nil)
		return
	}
	if r.Method != http.MethodGet {
		writeEnvelope(w, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "Method not allowed.", nil)
		return
	}
	user, key, ok := r.BasicAuth()
	wallet, known := f.accounts.Get(simulator.Key(user, key))
	if !ok || !known || wallet.Behavior == providers.Reject {
		writeEnvelope(w, http.StatusUnauthorized, "UNAUTHORIZED", "Invalid credentials", nil)
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	cur := wallet.Currency
	if cur == "" {
		cur = "USD"
	}
	names := currencyNames[cur]
	writeEnvelope(w, http.StatusOK, "SUCCESS", "Here are your data.", map[string]any{
		"user_id":  1,
		"username": user,
		"balance":  strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 6, 64),
		"_currency": map[string]string{
			"currency_name_short": cur,
			"currency_prefix_d":   names[0],
			"currency_prefix_c":   "",
			"currency_name_long":  names[1],
		},
	})
}

// writeEnvelope answers status with ClickSend's envelope around data.
func writeEnvelope(w http.ResponseWriter, status int, code, msg string, data any) {
	simulator.WriteJSON(w, status, map[string]any{
		"http_code":     status,
		"response_code": code,
		"response_msg":  msg,
		"data":          data,
	})
}
