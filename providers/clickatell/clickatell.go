// Package clickatell speaks the Clickatell One (platform) API: GET
// /public-client/balance with the integration's API key as the whole
// Authorization header (no scheme).
package clickatell

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `clickatell`.
var Spec = providers.Spec{
	ID:             "clickatell",
	Name:           "Clickatell",
	DefaultBaseURL: "https://platform.clickatell.com",
	CredentialSets: [][]string{{"api_key"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 1267.92865, Currency: "ZAR", DrainPerSecond: 0.0005},
	},
}

// path is the balance endpoint.
const path = "/public-client/balance"

// New returns the account's balance call: one amount of money in the
// currency the answer names (else the account's configured currency).
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: path, Auth: func(req *http.Request, creds map[string]string) {
		req.Header.Set("Authorization", creds["api_key"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// answer is the balance answer {"balance":1267.92865,"currency":"ZAR"}.
// Error answers are unverified [guess]; two shapes are read: an error object
// {"error":{"code":1,"description":"Invalid or missing API key"}}, and the
// flat shape of Clickatell's other platform endpoints
// {"errorCode":1,"error":"Invalid or missing Integration API Key","errorDescription":"…"}.
type answer struct {
	Balance          *providers.Amount `json:"balance"`
	Currency         *string           `json:"currency"`
	Error            json.RawMessage   `json:"error"`
	ErrorCode        json.RawMessage   `json:"errorCode"`
	ErrorDescription *string           `json:"errorDescription"`
}

// apiError is a Clickatell error, whichever shape it came in.
type apiError struct {
	Code        string
	Description string
}

// failure returns the error the answer carries, or nil.
func (a *answer) failure() *apiError {
	e := &apiError{Code: code(a.ErrorCode)}
	raw := bytes.TrimSpace(a.Error)
	var obj struct {
		Code        json.RawMessage `json:"code"`
		Description string          `json:"description"`
	}
	var text string
	switch {
	case len(raw) == 0 || bytes.Equal(raw, []byte("null")):
	case json.Unmarshal(raw, &obj) == nil:
		if c := code(obj.Code); c != "" {
			e.Code = c
		}
		e.Description = obj.Description
	case json.Unmarshal(raw, &text) == nil:
		e.Description = text
	}
	if a.ErrorDescription != nil && strings.TrimSpace(*a.ErrorDescription) != "" {
		e.Description = *a.ErrorDescription
	}
	if e.Code == "" && strings.TrimSpace(e.Description) == "" {
		return nil
	}
	return e
}

// code returns an error code given as a number (1) or a zero-padded string
// ("001") without quotes or leading zeros; "" for none or null.
func code(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	s = strings.TrimSpace(strings.Trim(s, `"`))
	if t := strings.TrimLeft(s, "0"); t != "" {
		return t
	}
	return s
}

func (e *apiError) String() string {
	s := "error"
	if e.Code != "" {
		s += " " + e.Code
	}
	if d := strings.TrimSpace(e.Description); d != "" {
		s += ": " + d
	}
	return providers.Bound(s)
}

// authCodes are the Clickatell error codes that refuse the key or account
// [guess, from the platform's error code list]: 1 invalid or missing API
// key, 2 account suspended, 5 invalid API key, 7 IP lockdown violation.
var authCodes = map[string]bool{"1": true, "2": true, "5": true, "7": true}

// parse reads the answer to GET /public-client/balance. fallback is the
// account's configured currency, for an answer without one.
//
// The body of a 401 is unverified: it may be empty, plain text or JSON such
// as {"error":{"code":1,"description":"Invalid or missing API key"}}; any
// 401 or 403 is an auth failure. A JSON error object is named by its code
// and description; another body is quoted through resp, which redacts the
// key should the body echo it.
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		if e := errorObject(resp.Body); e != nil {
			return nil, providers.Errorf(providers.ReasonAuth, "%s: API key rejected: HTTP %d (%s)", resp.Op, resp.Status, e)
		}
	}
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var a answer
	if err := resp.DecodeJSON(&a); err != nil {
		return nil, err
	}
	if a.Balance == nil || !a.Balance.Set {
		if e := a.failure(); e != nil {
			// An error with HTTP 200 [guess]: its code decides.
			reason := providers.ReasonBadResponse
			if authCodes[e.Code] {
				reason = providers.ReasonAuth
			}
			return nil, providers.Errorf(reason, "%s: expected the balance, got %s", resp.Op, e)
		}
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance":<number>,"currency":"<code>"}, got %s`, resp.Op, resp.Snippet())
	}
	cur := fallback
	if a.Currency != nil && strings.TrimSpace(*a.Currency) != "" {
		c, ok := providers.NormalizeCurrency(*a.Currency)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				"%s: expected a three-letter currency code, got %q", resp.Op, providers.Bound(*a.Currency))
		}
		cur = c
	}
	return []providers.Balance{providers.Money(a.Balance.Value, cur)}, nil
}

// errorObject returns the error of a JSON error body, or nil.
func errorObject(body []byte) *apiError {
	var a answer
	if json.Unmarshal(body, &a) != nil {
		return nil
	}
	return a.failure()
}
