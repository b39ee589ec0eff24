// Package d7networks speaks the D7 Networks API: GET /messages/v1/balance
// with a static Bearer API token.
package d7networks

import (
	"encoding/json"
	"net/http"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `d7networks`.
var Spec = providers.Spec{
	ID:             "d7networks",
	Name:           "D7 Networks",
	DefaultBaseURL: "https://api.d7networks.com",
	CredentialSets: [][]string{{"token"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{Name: "marketing", Currency: "EUR", LowBalanceThreshold: 20,
		Wallet: providers.Wallet{Balance: 99.9999999, DrainPerSecond: 0.00005}},
}

// New returns the account's balance call: one amount of money in the
// account's configured currency (the API does not say which).
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: "/messages/v1/balance", Auth: func(req *http.Request, creds map[string]string) {
		req.Header.Set("Authorization", "Bearer "+creds["token"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
			return nil, providers.Errorf(providers.ReasonAuth, "%s: token rejected: HTTP %d%s", resp.Op, resp.Status, detailCode(resp.Body))
		}
		return parse(resp, s.Currency)
	}}
}

// parse reads a 2xx answer. The documented answer is {"balance": 99.9999999};
// a third-party type shows {"data":{"balance":…}}, accepted too.
func parse(resp *providers.Response, currency string) ([]providers.Balance, error) {
	var body struct {
		Balance *providers.Amount `json:"balance"`
		Data    *struct {
			Balance *providers.Amount `json:"balance"`
		} `json:"data"`
	}
	if err := resp.DecodeJSONOK(&body); err != nil {
		return nil, err
	}
	amount := body.Balance
	if amount == nil && body.Data != nil {
		amount = body.Data.Balance
	}
	if amount == nil || !amount.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance": <number>}, got %s`, resp.Op, resp.Snippet())
	}
	return []providers.Balance{providers.Money(amount.Value, currency)}, nil
}

// detailCode extracts D7's error code from {"detail":{"code":…}} for the
// error message, or "".
func detailCode(body []byte) string {
	var e struct {
		Detail struct {
			Code string `json:"code"`
		} `json:"detail"`
	}
	if json.Unmarshal(body, &e) != nil || e.Detail.Code == "" {
		return ""
	}
	return " (" + providers.Bound(e.Detail.Code) + ")"
}
