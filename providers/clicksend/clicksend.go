// Package clicksend speaks the ClickSend REST v3 API: GET /v3/account with
// HTTP Basic username:api_key, whose answer carries the account's balance
// and currency inside ClickSend's response envelope.
package clicksend

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `clicksend`.
var Spec = providers.Spec{
	ID:             "clicksend",
	Name:           "ClickSend",
	DefaultBaseURL: "https://rest.clicksend.com",
	CredentialSets: [][]string{{"username", "api_key"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 4.998, Currency: "USD", DrainPerSecond: 0.00001},
	},
}

// path is the account endpoint, which carries the balance.
const path = "/v3/account"

// New returns the account's balance call: one amount of money, in the
// currency the account reports (else the account's configured currency).
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: path, Auth: func(req *http.Request, creds map[string]string) {
		req.SetBasicAuth(creds["username"], creds["api_key"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// envelope is ClickSend's response envelope around /v3/account.
type envelope struct {
	HTTPCode     *providers.Amount `json:"http_code"`
	ResponseCode *string           `json:"response_code"`
	ResponseMsg  string            `json:"response_msg"`
	Data         *accountData      `json:"data"`
}

// accountData is the part of the envelope's data that is read.
type accountData struct {
	Balance *providers.Amount `json:"balance"`
	// Currency is the documented object; its fields are unverified.
	// SDK models name currency_name_short, currency_prefix_d,
	// currency_prefix_c and currency_name_long: only currency_name_short is
	// read (a `code` field appears nowhere and is not accepted).
	Currency *currency `json:"_currency"`
	// AltCurrency is `data.currency`, read by one third-party client [3rd];
	// used only when `_currency` names no currency.
	AltCurrency *currency `json:"currency"`
}

// currency accepts the currency object {"currency_name_short":"USD",…}, a
// bare code string, or null.
type currency struct {
	Code string
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *currency) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = currency{}
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &c.Code)
	}
	var obj struct {
		Short *string `json:"currency_name_short"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	c.Code = ""
	if obj.Short != nil {
		c.Code = *obj.Short
	}
	return nil
}

// authCodes are the envelope response_codes that mean the credentials were
// refused.
var authCodes = map[string]bool{"UNAUTHORIZED": true, "FORBIDDEN": true}

// parse reads the answer to GET /v3/account. fallback is the account's
// configured currency, used when the answer names none.
//
// The success body echoes the account's username (a credential); quotes of
// the body go through resp, which redacts the account's secrets.
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		// 401 {"http_code":401,"response_code":"UNAUTHORIZED","response_msg":"Invalid credentials","data":null} [3rd]:
		// name the envelope's code and message rather than quote its JSON.
		var env envelope
		if json.Unmarshal(resp.Body, &env) == nil && env.ResponseCode != nil {
			return nil, providers.Errorf(providers.ReasonAuth, "%s: credentials rejected: HTTP %d (%s)", resp.Op, resp.Status, describe(env))
		}
	}
	var env envelope
	if err := resp.DecodeJSONOK(&env); err != nil {
		return nil, err
	}
	// An error envelope may come with HTTP 200: the response_code decides.
	// A missing response_code is tolerated when the data is there.
	if env.ResponseCode != nil && !strings.EqualFold(strings.TrimSpace(*env.ResponseCode), "SUCCESS") {
		reason := providers.ReasonBadResponse
		if authCodes[strings.ToUpper(strings.TrimSpace(*env.ResponseCode))] {
			reason = providers.ReasonAuth
		}
		return nil, providers.Errorf(reason, "%s: expected response_code SUCCESS, got %s", resp.Op, describe(env))
	}
	if env.Data == nil || env.Data.Balance == nil || !env.Data.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"data":{"balance":<amount>}}, no data.balance in %s`, resp.Op, resp.Snippet())
	}
	cur := fallback
	code := ""
	if env.Data.Currency != nil && strings.TrimSpace(env.Data.Currency.Code) != "" {
		code = env.Data.Currency.Code
	} else if env.Data.AltCurrency != nil && strings.TrimSpace(env.Data.AltCurrency.Code) != "" {
		code = env.Data.AltCurrency.Code
	}
	if code != "" {
		c, ok := providers.NormalizeCurrency(code)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				"%s: expected a three-letter currency code in data._currency, got %q", resp.Op, providers.Bound(code))
		}
		cur = c
	}
	return []providers.Balance{providers.Money(env.Data.Balance.Value, cur)}, nil
}

// describe names an error envelope: response_code, then response_msg.
func describe(env envelope) string {
	s := strings.TrimSpace(derefOr(env.ResponseCode, "(no response_code)"))
	if msg := strings.TrimSpace(env.ResponseMsg); msg != "" {
		s += ": " + msg
	}
	return providers.Bound(s)
}

func derefOr(p *string, def string) string {
	if p == nil {
		return def
	}
	return *p
}
