package messagebird

import (
	"net/http"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is MessageBird's simulated balance API (GET /balance), answering as
// the documentation shows.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "access_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["access_key"], w)
}

// fakeError answers MessageBird's {"errors":[…]} body.
func fakeError(w http.ResponseWriter, status, code int, description, parameter string) {
	e := map[string]any{"code": code, "description": description}
	if parameter != "" {
		e["parameter"] = parameter
	}
	simulator.WriteJSON(w, status, map[string]any{"errors": []any{e}})
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/balance" {
		fakeError(w, http.StatusNotFound, 20, "resource not found", "")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fakeError(w, http.StatusMethodNotAllowed, 21, "method not allowed", "")
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "AccessKey ")
	wallet, known := f.accounts.Get(key)
	if !ok || !known || wallet.Behavior == providers.Reject {
		fakeError(w, http.StatusUnauthorized, 2, "Request not allowed (incorrect access_key)", "access_key")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{
		"payment": "prepaid",
		"type":    fakeType(wallet),
		"amount":  wallet.Amount(time.Now()),
	})
}

// fakeType is the `type` MessageBird reports for a wallet.
func fakeType(w providers.Wallet) string {
	if w.Credits {
		return "credits"
	}
	switch cur := strings.ToUpper(w.Currency); cur {
	case "EUR", "":
		return "euros"
	case "GBP":
		return "pounds"
	case "USD":
		return "dollars"
	default:
		return cur
	}
}
