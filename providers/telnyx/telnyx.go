// Package telnyx speaks the Telnyx API v2: GET /v2/balance with a Bearer API
// key, which answers the balance, its currency and the credit limit.
package telnyx

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `telnyx`.
var Spec = providers.Spec{
	ID:             "telnyx",
	Name:           "Telnyx",
	DefaultBaseURL: "https://api.telnyx.com",
	CredentialSets: [][]string{{"api_key"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 300, Currency: "USD", CreditLimit: 100, DrainPerSecond: 0.0005},
	},
}

// New returns the account's balance call: the balance, then the credit
// limit when the API gives one.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: "/v2/balance", Auth: func(req *http.Request, creds map[string]string) {
		req.Header.Set("Authorization", "Bearer "+creds["api_key"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// parse turns the answer to GET /v2/balance into amounts. The documented
// answer is {"data":{"record_type":"balance","pending":"10.00",
// "balance":"300.00","credit_limit":"100.00","available_credit":"400.00",
// "currency":"USD"}} (amounts as strings; numbers are accepted too). The
// balance comes first, then credit_limit (when present and not null) as a
// KindCreditLimit amount. currency, the account's `currency:`, is used only
// if the answer names none: data.currency absent, null, empty or blank (with
// no `currency:` either, the amounts have no currency).
//
// Refused keys: the body is a guess (Telnyx's usual {"errors":[{"code":
// "10009","title":"Authentication failed",…}]}), so any 401 or 403 is an
// auth failure whatever its body; the message gives the first error's code
// and title, or else quotes the body (redacted and bounded, see
// Response.Detail), so that a plain-text refusal from a proxy still says
// something.
func parse(resp *providers.Response, currency string) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		detail := describe(resp.Body)
		if detail == "" {
			detail = resp.Detail()
		}
		return nil, providers.Errorf(providers.ReasonAuth, "%s: API key rejected: HTTP %d%s", resp.Op, resp.Status, detail)
	}
	var body struct {
		Data *struct {
			Balance     providers.Amount `json:"balance"`
			CreditLimit providers.Amount `json:"credit_limit"`
			Currency    *string          `json:"currency"`
		} `json:"data"`
	}
	if err := resp.DecodeJSONOK(&body); err != nil {
		return nil, err
	}
	if body.Data == nil || !body.Data.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"data": {"balance": "<amount>", "currency": "<code>"}}, got %s`, resp.Op, resp.Snippet())
	}
	cur := currency
	if c := body.Data.Currency; c != nil && strings.TrimSpace(*c) != "" {
		code, ok := providers.NormalizeCurrency(*c)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				"%s: expected data.currency to be a three-letter currency code, got %q", resp.Op, providers.Bound(*c))
		}
		cur = code
	}
	out := []providers.Balance{providers.Money(body.Data.Balance.Value, cur)}
	if limit := body.Data.CreditLimit; limit.Set {
		out = append(out, providers.Balance{Kind: providers.KindCreditLimit, Value: limit.Value, Unit: providers.UnitCurrency, Currency: cur})
	}
	return out, nil
}

// describe renders the first entry of Telnyx's {"errors":[…]} body for a
// message, or "" when the body has another shape.
func describe(body []byte) string {
	var e struct {
		Errors []struct {
			Code  json.RawMessage `json:"code"`
			Title string          `json:"title"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	code := strings.Trim(strings.TrimSpace(string(e.Errors[0].Code)), `"`)
	parts := []string{}
	if code != "" && code != "null" {
		parts = append(parts, providers.Bound(code))
	}
	if e.Errors[0].Title != "" {
		parts = append(parts, providers.Bound(e.Errors[0].Title))
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ": ") + ")"
}
