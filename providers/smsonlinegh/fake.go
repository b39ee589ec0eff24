package smsonlinegh

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// Fake is SMSOnlineGH's simulated balance API (POST /v5/account/balance),
// answering in JSON or XML as the Accept header asks. A wallet with Credits
// is on the quantity model (an integer count), any other on the currency
// model with the wallet's currency.
type Fake struct {
	accounts simulator.Ledger
}

// AddAccount implements providers.FakeAPI; creds holds api_key.
func (f *Fake) AddAccount(creds map[string]string, w *providers.Wallet) {
	f.accounts.Put(creds["api_key"], w)
}

type fakeHandshake struct {
	ID    int    `json:"id" xml:"id"`
	Label string `json:"label" xml:"label"`
}

type fakeData struct {
	Balance      float64 `json:"balance" xml:"balance"`
	Model        string  `json:"model" xml:"model"`
	CurrencyName *string `json:"currencyName" xml:"currencyName"`
	CurrencyCode *string `json:"currencyCode" xml:"currencyCode"`
}

type fakeResponse struct {
	XMLName   xml.Name      `json:"-" xml:"response"`
	Handshake fakeHandshake `json:"handshake" xml:"handshake"`
	Data      *fakeData     `json:"data" xml:"data"`
}

// ServeHTTP implements http.Handler.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	format := "application/json"
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Accept")); mt == "application/xml" {
		format = "application/xml"
	}
	reply := func(status int, resp fakeResponse) {
		w.Header().Set("Content-Type", format)
		w.WriteHeader(status)
		if format == "application/xml" {
			_ = xml.NewEncoder(w).Encode(resp)
			return
		}
		_ = json.NewEncoder(w).Encode(resp)
	}
	if r.URL.Path != "/v5/account/balance" {
		reply(http.StatusNotFound, fakeResponse{Handshake: fakeHandshake{1402, "HSHK_ERR_BAD_REQUEST"}})
		return
	}
	if r.Method != http.MethodPost {
		reply(http.StatusMethodNotAllowed, fakeResponse{Handshake: fakeHandshake{1402, "HSHK_ERR_BAD_REQUEST"}})
		return
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "key ")
	wallet, known := f.accounts.Get(key)
	if !ok || !known || wallet.Behavior == providers.Reject {
		// A revoked key has been seen answered with HTTP 200 and handshake 1203.
		reply(http.StatusOK, fakeResponse{Handshake: fakeHandshake{1203, "HSHK_ERR_UA_AUTH"}})
		return
	}
	if simulator.Misbehave(w, r, wallet.Behavior) {
		return
	}
	bal := wallet.Amount(time.Now())
	data := fakeData{Balance: math.Floor(bal), Model: "quantity"}
	if !wallet.Credits {
		code, name := wallet.Currency, wallet.Currency
		if code == "GHS" {
			name = "Ghana Cedi"
		}
		data = fakeData{Balance: bal, Model: "currency", CurrencyCode: &code, CurrencyName: &name}
	}
	reply(http.StatusOK, fakeResponse{Handshake: fakeHandshake{0, "HSHK_OK"}, Data: &data})
}
