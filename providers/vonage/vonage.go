// Package vonage speaks the Vonage (formerly Nexmo) Account API: GET
// /account/get-balance with HTTP Basic auth api_key:api_secret. The API also
// takes the key and secret as query parameters; this client never does, so
// that the secret cannot end up in a logged URL.
package vonage

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `vonage`.
var Spec = providers.Spec{
	ID:             "vonage",
	Name:           "Vonage (Nexmo)",
	DefaultBaseURL: "https://rest.nexmo.com",
	CredentialSets: [][]string{{"api_key", "api_secret"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 10.28, Currency: "EUR", DrainPerSecond: 0.0001},
	},
}

// Currency is the currency of every Vonage balance: the API does not name
// it, and accounts are kept in euros.
const Currency = "EUR"

// New returns the account's balance call: one amount of money in euros.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: "/account/get-balance", Auth: func(req *http.Request, creds map[string]string) {
		req.SetBasicAuth(creds["api_key"], creds["api_secret"])
	}, Parse: func(resp *providers.Response, _ providers.Settings) ([]providers.Balance, error) {
		return parse(resp)
	}}
}

// answer holds every field the balance call is known to answer with: the
// documented 200 {"value":10.28,"autoReload":false}, the legacy error
// {"error-code":"401","error-code-label":"authentication failed"} (seen only
// in third-party code) and the problem details of Vonage's newer APIs
// ({"type":…,"title":"Unauthorized","detail":…}), accepted in case.
type answer struct {
	Value      *providers.Amount `json:"value"`
	ErrorCode  json.RawMessage   `json:"error-code"`
	ErrorLabel json.RawMessage   `json:"error-code-label"`
	Title      json.RawMessage   `json:"title"`
	Detail     json.RawMessage   `json:"detail"`
}

// text returns a JSON string or number as text ("" for anything else).
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// describe returns what an error answer says, for an error message:
// " (401: authentication failed)", or a quote of an unexpected body.
func describe(resp *providers.Response) string {
	var a answer
	if json.Unmarshal(resp.Body, &a) == nil {
		code, label := text(a.ErrorCode), text(a.ErrorLabel)
		if label == "" {
			label = text(a.Title)
			if d := text(a.Detail); d != "" {
				label = strings.TrimSpace(label + ": " + d)
			}
		}
		switch {
		case code != "" && label != "":
			return " (" + providers.Bound(code) + ": " + providers.Bound(label) + ")"
		case code != "" || label != "":
			return " (" + providers.Bound(code+label) + ")"
		}
	}
	return resp.Detail()
}

// parse reads the answer to the balance call.
func parse(resp *providers.Response) ([]providers.Balance, error) {
	switch {
	case resp.Status >= 200 && resp.Status <= 299:
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, providers.Errorf(providers.ReasonAuth, "%s: api_key or api_secret rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, describe(resp))
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var a answer
	if err := resp.DecodeJSON(&a); err != nil {
		return nil, err
	}
	// Vonage's legacy APIs may put an error code in an HTTP 200 answer: take
	// it at its word.
	if code := text(a.ErrorCode); code != "" && code != "200" && code != "0" {
		switch {
		case code == "401" || code == "403" || strings.Contains(strings.ToLower(text(a.ErrorLabel)), "auth"):
			return nil, providers.Errorf(providers.ReasonAuth, "%s: api_key or api_secret rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp))
		case code == "429":
			return nil, providers.Errorf(providers.ReasonRateLimited, "%s: rate limited: HTTP %d%s", resp.Op, resp.Status, describe(resp))
		default:
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected a balance, got an error%s", resp.Op, describe(resp))
		}
	}
	if a.Value == nil || !a.Value.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"value": <number>}, got %s`, resp.Op, resp.Snippet())
	}
	return []providers.Balance{providers.Money(a.Value.Value, Currency)}, nil
}
