// Package africastalking speaks the Africa's Talking API: GET
// /version1/user?username=<username> with the `apiKey` header, which answers
// the account's balance as one string holding currency and amount
// ("KES 1785.50").
package africastalking

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// The API hosts.
const (
	// DefaultBaseURL is the live API.
	DefaultBaseURL = "https://api.africastalking.com"
	// SandboxBaseURL is the sandbox API, used with `sandbox: true`.
	SandboxBaseURL = "https://api.sandbox.africastalking.com"
)

// Spec registers the provider as `africastalking`.
var Spec = providers.Spec{
	ID:             "africastalking",
	Name:           "Africa's Talking",
	DefaultBaseURL: DefaultBaseURL,
	CredentialSets: [][]string{{"username", "api_key"}},
	NewOptions:     func() providers.Options { return &Options{} },
	New: func(s providers.Settings) (providers.Provider, error) {
		c, err := New(s)
		if err != nil {
			return nil, err
		}
		return c, nil
	},
	Fake: func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 1785.50, Currency: "KES", DrainPerSecond: 0.002},
	},
}

// Options are the account's `options:`.
type Options struct {
	// Sandbox sends the requests to the sandbox host
	// (api.sandbox.africastalking.com) instead of the live one, unless the
	// account sets its own base_url.
	Sandbox bool `yaml:"sandbox"`
}

// Validate implements providers.Options; there is nothing to check.
func (o *Options) Validate() error { return nil }

// New returns the account's balance call, to the host baseURL picks: one
// amount of money, in the currency the API names (or the account's
// `currency:` if it names none). s.Options is nil or an *Options.
func New(s providers.Settings) (providers.Call, error) {
	var opts *Options
	if s.Options != nil {
		o, ok := s.Options.(*Options)
		if !ok {
			return providers.Call{}, fmt.Errorf("africastalking: options of type %T, want *africastalking.Options", s.Options)
		}
		opts = o
	}
	s.BaseURL = baseURL(s.BaseURL, opts)
	return providers.Call{Settings: s, Path: "/version1/user", Auth: auth, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}, nil
}

// baseURL picks the API host. The configuration fills base_url with the
// live host when the account gives none, so the live host together with
// `sandbox: true` means the sandbox; an explicit base_url always wins.
func baseURL(configured string, opts *Options) string {
	configured = strings.TrimSpace(configured)
	isDefault := configured == "" || strings.TrimRight(configured, "/") == DefaultBaseURL
	switch {
	case isDefault && opts != nil && opts.Sandbox:
		return SandboxBaseURL
	case configured == "":
		return DefaultBaseURL
	default:
		return configured
	}
}

// auth sets the username in the query (after NewRequest, so that no error
// message can show it) and the API key in the apiKey header.
func auth(req *http.Request, creds map[string]string) {
	req.URL.RawQuery = url.Values{"username": {creds["username"]}}.Encode()
	req.Header.Set("apiKey", creds["api_key"])
}

// userData is the object holding the balance.
type userData struct {
	Balance json.RawMessage `json:"balance"`
}

// parse turns the answer to GET /version1/user into the balance. The
// documented answer is {"UserData":{"balance":"KES 1785.50"}}; "userData"
// is accepted too, and a balance without a currency code (or a bare JSON
// number) takes currency, the account's `currency:`.
//
// Refused credentials: third-party code shows 401 with the plain text "The
// supplied authentication is invalid" [3rd]; any 401 or 403, whatever its
// body (plain text or JSON), is an auth failure.
func parse(resp *providers.Response, currency string) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		return nil, providers.Errorf(providers.ReasonAuth, "%s: username or API key rejected: HTTP %d with %s",
			resp.Op, resp.Status, resp.Snippet())
	}
	var body struct {
		Upper *userData `json:"UserData"`
		Lower *userData `json:"userData"`
	}
	if err := resp.DecodeJSONOK(&body); err != nil {
		return nil, err
	}
	data := body.Upper
	if data == nil {
		data = body.Lower
	}
	if data == nil || len(data.Balance) == 0 || string(data.Balance) == "null" {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"UserData": {"balance": "<currency> <amount>"}}, got %s`, resp.Op, resp.Snippet())
	}
	var text string
	if err := json.Unmarshal(data.Balance, &text); err != nil {
		// Not a string: accept a bare number.
		var n json.Number
		if json.Unmarshal(data.Balance, &n) != nil {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				"%s: expected UserData.balance to be a string such as \"KES 1785.50\", got %s", resp.Op, providers.Snippet(data.Balance))
		}
		text = n.String()
	}
	v, cur, err := providers.ParseMoney(text)
	if err != nil {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			"%s: expected UserData.balance to be an amount with a currency code such as \"KES 1785.50\", got %q",
			resp.Op, providers.Bound(text))
	}
	if cur == "" {
		cur = currency
	}
	return []providers.Balance{providers.Money(v, cur)}, nil
}
