package africastalking

import (
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is Africa's Talking's simulated user API (GET
// /version1/user?username=…), answering as the documentation shows: JSON
// when asked for it with Accept, XML otherwise.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "username" and
// "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["username"], creds["api_key"]), w)
}

// authInvalid is the refusal third-party code shows [3rd].
const authInvalid = "The supplied authentication is invalid"

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/version1/user" {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "Method Not Allowed", http.StatusMethodNotAllowed)
		return
	}
	username, key := r.URL.Query().Get("username"), r.Header.Get("apiKey")
	wallet, known := f.accounts.Get(simulator.Key(username, key))
	if username == "" || key == "" || !known || wallet.Behavior == providers.Reject {
		http.Error(w, authInvalid, http.StatusUnauthorized)
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	cur := wallet.Currency
	if cur == "" {
		cur = "KES"
	}
	balance := cur + " " + strconv.FormatFloat(wallet.Amount(time.Now()), 'f', 2, 64)
	if !acceptsJSON(r.Header.Get("Accept")) {
		w.Header().Set("Content-Type", "application/xml")
		_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<AfricasTalkingResponse><UserData><balance>%s</balance></UserData></AfricasTalkingResponse>`, xmlEscape(balance))
		return
	}
	simulator.WriteJSON(w, http.StatusOK, map[string]any{"UserData": map[string]string{"balance": balance}})
}

// acceptsJSON reports whether an Accept header names application/json.
func acceptsJSON(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "application/json" {
			return true
		}
	}
	return false
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
