package textmagic

import (
	"math"
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is TextMagic's simulated API (GET /api/v2/user): it answers with a
// user object holding the wallet's balance and currency, and with 401
// {"code":401,"message":"Unauthorized","errors":null} for credentials it
// does not know.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds "username" and
// "api_key".
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(simulator.Key(creds["username"], creds["api_key"]), w)
}

// fakeUser is the part of TextMagic's user object the fake fills in.
type fakeUser struct {
	ID             int          `json:"id"`
	Username       string       `json:"username"`
	FirstName      string       `json:"firstName"`
	LastName       string       `json:"lastName"`
	Email          string       `json:"email"`
	Status         string       `json:"status"`
	Balance        float64      `json:"balance"`
	Company        string       `json:"company"`
	Currency       fakeCurrency `json:"currency"`
	SubaccountType string       `json:"subaccountType"`
}

type fakeCurrency struct {
	ID         string `json:"id"`
	HTMLSymbol string `json:"htmlSymbol"`
}

func fakeError(w http.ResponseWriter, status int, msg string) {
	simulator.WriteJSON(w, status, map[string]any{"code": status, "message": msg, "errors": nil})
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != userPath {
		fakeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		fakeError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
		return
	}
	user := r.Header.Get("X-TM-Username")
	wallet, known := f.accounts.Get(simulator.Key(user, r.Header.Get("X-TM-Key")))
	if user == "" || !known || wallet.Behavior == providers.Reject {
		fakeError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	cur := wallet.Currency
	if cur == "" {
		cur = "USD"
	}
	simulator.WriteJSON(w, http.StatusOK, fakeUser{
		ID: 1482035, Username: user, FirstName: "Demo", LastName: "Account", Email: "demo@example.com",
		Status: "A", Balance: math.Round(wallet.Amount(time.Now())*100) / 100, Company: "Example Ltd",
		Currency: fakeCurrency{ID: cur, HTMLSymbol: htmlSymbol(cur)}, SubaccountType: "P",
	})
}

// htmlSymbol is the currency's htmlSymbol, as TextMagic gives it.
func htmlSymbol(code string) string {
	switch code {
	case "USD":
		return "$"
	case "EUR":
		return "&euro;"
	case "GBP":
		return "&pound;"
	default:
		return code
	}
}
