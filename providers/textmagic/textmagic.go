// Package textmagic speaks the TextMagic REST API v2: GET /api/v2/user with
// the X-TM-Username and X-TM-Key headers. The user object carries the
// account's balance and its currency.
package textmagic

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// userPath is the balance call: the current user, with its balance.
const userPath = "/api/v2/user"

// Spec registers the provider as `textmagic`.
var Spec = providers.Spec{
	ID:             "textmagic",
	Name:           "TextMagic",
	DefaultBaseURL: "https://rest.textmagic.com",
	CredentialSets: [][]string{{"username", "api_key"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 208.64, Currency: "USD", DrainPerSecond: 0.0002},
	},
}

// New returns the account's balance call: one amount of money in the
// currency the user object names (the account's `currency:` when it names
// none).
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: userPath, Auth: func(req *http.Request, creds map[string]string) {
		// The header names come from third-party clients [3rd].
		req.Header.Set("X-TM-Username", creds["username"])
		req.Header.Set("X-TM-Key", creds["api_key"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// parse reads the answer to GET /api/v2/user. The balance is a JSON number
// (a numeric string is accepted too); the currency is the object
// {"id":"USD","htmlSymbol":"$"} (a bare code string is accepted as well); a
// missing, null or empty currency falls back to fallback.
//
// The user object echoes the username, a credential: quotes of the body go
// through resp, which redacts the account's secrets.
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		// The body of a refusal is unverified: empty, text or
		// {"code":401,"message":"Unauthorized","errors":null} are accepted.
		return nil, providers.Errorf(providers.ReasonAuth, "%s: username or API key rejected: HTTP %d%s",
			resp.Op, resp.Status, refusalDetail(resp))
	}
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var body struct {
		Balance  *providers.Amount `json:"balance"`
		Currency json.RawMessage   `json:"currency"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if body.Balance == nil || !body.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected a user object with a numeric "balance", got %s`, resp.Op, resp.Snippet())
	}
	currency, err := currencyOf(resp.Op, body.Currency)
	if err != nil {
		return nil, err
	}
	if currency == "" {
		currency = fallback
	}
	return []providers.Balance{providers.Money(body.Balance.Value, currency)}, nil
}

// currencyOf reads the user's currency: {"id":"USD",…} as documented, or a
// bare "USD" [guess]. It returns "" when there is none (absent, null, no id,
// empty id) and a bad_response error when it is not a currency code.
func currencyOf(op string, raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var code string
	switch raw[0] {
	case '{':
		var obj struct {
			ID *string `json:"id"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return "", &providers.Error{Reason: providers.ReasonBadResponse,
				Msg: op + `: expected "currency":{"id":"<ISO code>"}`, Err: err}
		}
		if obj.ID != nil {
			code = *obj.ID
		}
	case '"':
		if err := json.Unmarshal(raw, &code); err != nil {
			return "", &providers.Error{Reason: providers.ReasonBadResponse, Msg: op + `: unreadable "currency"`, Err: err}
		}
	default:
		return "", providers.Errorf(providers.ReasonBadResponse,
			`%s: expected "currency":{"id":"<ISO code>"}, got a JSON %s`, op, jsonKind(raw[0]))
	}
	if code == "" {
		return "", nil
	}
	norm, ok := providers.NormalizeCurrency(code)
	if !ok {
		return "", providers.Errorf(providers.ReasonBadResponse,
			"%s: expected a three-letter currency code in currency.id, got %q", op, providers.Bound(code))
	}
	return norm, nil
}

// jsonKind names the kind of JSON value that starts with c.
func jsonKind(c byte) string {
	switch c {
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	default:
		return "number"
	}
}

// refusalDetail describes the body of a 401 or 403: the "message" of a JSON
// error, or the start of a text body; nothing for empty or HTML bodies.
func refusalDetail(resp *providers.Response) string {
	body := bytes.TrimSpace(resp.Body)
	if len(body) == 0 {
		return " with an empty body"
	}
	var e struct {
		Message string `json:"message"`
	}
	if body[0] == '{' {
		if json.Unmarshal(body, &e) == nil && e.Message != "" {
			return " (" + providers.Bound(e.Message) + ")"
		}
		return ""
	}
	if body[0] == '<' {
		return ""
	}
	return " with body " + resp.Snippet()
}
