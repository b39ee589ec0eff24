// Package messagebird speaks the MessageBird (Bird) REST API: GET /balance
// with `Authorization: AccessKey <key>`, which answers the account's balance
// in credits or in money.
package messagebird

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `messagebird`.
var Spec = providers.Spec{
	ID:             "messagebird",
	Name:           "MessageBird",
	DefaultBaseURL: "https://rest.messagebird.com",
	CredentialSets: [][]string{{"access_key"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 103, Currency: "EUR", DrainPerSecond: 0.0002},
	},
}

// New returns the account's balance call: one amount, credits or money in
// the currency the API names.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: "/balance", Auth: func(req *http.Request, creds map[string]string) {
		req.Header.Set("Authorization", "AccessKey "+creds["access_key"])
	}, Parse: func(resp *providers.Response, _ providers.Settings) ([]providers.Balance, error) {
		return parse(resp)
	}}
}

// Words MessageBird uses in `type` for money, by currency.
var moneyTypes = map[string]string{
	"euros":   "EUR",
	"pounds":  "GBP",
	"dollars": "USD",
}

// apiError is one entry of MessageBird's {"errors":[…]} body.
type apiError struct {
	Code json.RawMessage `json:"code"` // a number; a string is accepted too

	Description string `json:"description"`
	Parameter   string `json:"parameter"`
}

// Error code 2 is "Request not allowed (incorrect access_key)".
const codeNotAllowed = "2"

// parse turns the answer to GET /balance into the balance. The documented
// answer is {"payment":"prepaid","type":"euros","amount":103}; `type` is
// "credits", "euros", "pounds", "dollars" or an ISO currency code. Refused
// keys get 401 {"errors":[{"code":2,"description":"Request not allowed
// (incorrect access_key)","parameter":"access_key"}]}; any 401 or 403 is an
// auth failure whatever its body, and its message gives the first error
// entry or else quotes the body (see detail).
func parse(resp *providers.Response) ([]providers.Balance, error) {
	var body struct {
		Payment string           `json:"payment"`
		Type    *string          `json:"type"`
		Amount  providers.Amount `json:"amount"`
		Errors  []apiError       `json:"errors"`
	}
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		_ = json.Unmarshal(resp.Body, &body) // the error entry, for the message only
		return nil, providers.Errorf(providers.ReasonAuth, "%s: access key rejected: HTTP %d%s", resp.Op, resp.Status, detail(resp, body.Errors))
	}
	if err := resp.DecodeJSONOK(&body); err != nil {
		return nil, err
	}
	if len(body.Errors) > 0 {
		// Not documented with a 2xx status; classify it anyway.
		reason := providers.ReasonBadResponse
		if code(body.Errors[0]) == codeNotAllowed {
			reason = providers.ReasonAuth
		}
		return nil, providers.Errorf(reason, "%s: expected a balance, got an error%s", resp.Op, detail(resp, body.Errors))
	}
	if body.Type == nil || !body.Amount.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"type": <unit>, "amount": <number>}, got %s`, resp.Op, resp.Snippet())
	}
	t := strings.ToLower(strings.TrimSpace(*body.Type))
	if t == "credits" {
		return []providers.Balance{providers.Credits(body.Amount.Value)}, nil
	}
	if cur, ok := moneyTypes[t]; ok {
		return []providers.Balance{providers.Money(body.Amount.Value, cur)}, nil
	}
	if cur, ok := providers.NormalizeCurrency(*body.Type); ok {
		return []providers.Balance{providers.Money(body.Amount.Value, cur)}, nil
	}
	return nil, providers.Errorf(providers.ReasonBadResponse,
		`%s: expected type "credits", "euros", "pounds", "dollars" or a currency code, got %q`, resp.Op, providers.Bound(*body.Type))
}

// detail describes an error answer for a message: its first error entry
// (describe) or, when the body holds none in MessageBird's shape (a
// plain-text page from a proxy, other JSON), the body's redacted, bounded
// quote (Response.Detail).
func detail(resp *providers.Response, errs []apiError) string {
	if d := describe(errs); d != "" {
		return d
	}
	return resp.Detail()
}

// describe renders the first error entry for a message, or "" when there
// is none or it has neither code nor description.
func describe(errs []apiError) string {
	if len(errs) == 0 {
		return ""
	}
	e := errs[0]
	c := code(e)
	if c == "null" {
		c = ""
	}
	switch {
	case c == "" && e.Description == "":
		return ""
	case c == "":
		return " (" + providers.Bound(e.Description) + ")"
	case e.Description == "":
		return " (code " + providers.Bound(c) + ")"
	default:
		return " (code " + providers.Bound(c) + ": " + providers.Bound(e.Description) + ")"
	}
}

// code returns an error entry's code as text.
func code(e apiError) string {
	return strings.Trim(strings.TrimSpace(string(e.Code)), `"`)
}
