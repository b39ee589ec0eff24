// Package plivo speaks the Plivo Account API: GET /v1/Account/{auth_id}/
// (with its trailing slash) with HTTP Basic auth auth_id:auth_token.
package plivo

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `plivo`.
var Spec = providers.Spec{
	ID:             "plivo",
	Name:           "Plivo",
	DefaultBaseURL: "https://api.plivo.com",
	CredentialSets: [][]string{{"auth_id", "auth_token"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Currency: "USD",
		Wallet:   providers.Wallet{Balance: 1.809, Currency: "USD", DrainPerSecond: 0.00002},
	},
}

// DefaultCurrency is the currency of a Plivo balance when the account sets
// no `currency:`: the API does not name one, and Plivo bills in US dollars.
const DefaultCurrency = "USD"

// New returns the account's balance call: one amount of money, the
// account's cash credits, in the account's `currency:` or else US dollars.
// The path holds the auth id (escaped); resp.Op and every error show it as
// <secret>.
func New(s providers.Settings) providers.Call {
	path := "/v1/Account/" + url.PathEscape(s.Credentials["auth_id"]) + "/"
	return providers.Call{Settings: s, Path: path, Auth: func(req *http.Request, creds map[string]string) {
		req.SetBasicAuth(creds["auth_id"], creds["auth_token"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		currency := s.Currency
		if currency == "" {
			currency = DefaultCurrency
		}
		return parse(resp, currency)
	}}
}

// describe returns what an error answer says for an error message. Plivo's
// error bodies are {"api_id":"…","error":"…"}; the body of a refused
// credential is not documented (empty, text and JSON are all accepted).
func describe(resp *providers.Response) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(resp.Body, &e) == nil {
		var s string
		if json.Unmarshal(e.Error, &s) != nil {
			s = ""
		}
		if s == "" {
			s = e.Message
		}
		if s = strings.TrimSpace(s); s != "" {
			return " (" + providers.Bound(s) + ")"
		}
	}
	return resp.Detail()
}

// parse reads the answer to the balance call: the account's details, whose
// "cash_credits" is the balance, a string ("1.80900"; a number is accepted
// too). The answer names no currency: currency is used.
func parse(resp *providers.Response, currency string) ([]providers.Balance, error) {
	switch {
	case resp.Status >= 200 && resp.Status <= 299:
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, providers.Errorf(providers.ReasonAuth, "%s: auth_id or auth_token rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, describe(resp))
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var body struct {
		CashCredits *providers.Amount `json:"cash_credits"`
		Error       json.RawMessage   `json:"error"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if body.CashCredits == nil || !body.CashCredits.Set {
		if len(body.Error) > 0 {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected the account's cash_credits, got an error%s", resp.Op, describe(resp))
		}
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"cash_credits": "<amount>", …}, got %s`, resp.Op, resp.Snippet())
	}
	return []providers.Balance{providers.Money(body.CashCredits.Value, currency)}, nil
}
