// Package twilio speaks the Twilio REST API: GET
// /2010-04-01/Accounts/{AccountSid}/Balance.json with HTTP Basic auth, either
// AccountSid:AuthToken or an API key's sid:secret.
package twilio

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `twilio`.
var Spec = providers.Spec{
	ID:             "twilio",
	Name:           "Twilio",
	DefaultBaseURL: "https://api.twilio.com",
	CredentialSets: [][]string{{"account_sid", "auth_token"}, {"account_sid", "api_key_sid", "api_key_secret"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 20.5, Currency: "USD", DrainPerSecond: 0.0002},
	},
}

// New returns the account's balance call. The path holds the account sid
// (escaped); resp.Op and every error show it as <secret>.
func New(s providers.Settings) providers.Call {
	path := "/2010-04-01/Accounts/" + url.PathEscape(s.Credentials["account_sid"]) + "/Balance.json"
	// Twilio echoes the path, and so the sid, in its 404 message: parse
	// quotes that message, which Call redacts.
	return providers.Call{Settings: s, Path: path, Auth: auth, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// auth sets HTTP Basic auth: the API key's sid and secret when the account
// gives them, else the account sid and auth token.
func auth(req *http.Request, creds map[string]string) {
	if key := creds["api_key_sid"]; key != "" {
		req.SetBasicAuth(key, creds["api_key_secret"])
	} else {
		req.SetBasicAuth(creds["account_sid"], creds["auth_token"])
	}
}

// errorBody is Twilio's error answer, e.g. 401
// {"code":20003,"message":"Authenticate","more_info":"…","status":401}.
type errorBody struct {
	Code    json.Number `json:"code"`
	Message string      `json:"message"`
}

// parse reads the answer to the balance call. The documented 200 is
// {"account_sid":"AC…","balance":"0.05","currency":"USD"}: the amount is a
// string (a number is accepted too). When the answer names no currency,
// fallback (the account's `currency:`) is used.
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	switch {
	case resp.Status >= 200 && resp.Status <= 299:
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, providers.Errorf(providers.ReasonAuth, "%s: credentials rejected: HTTP %d%s", resp.Op, resp.Status, twilioError(resp))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, twilioError(resp))
	}
	var body struct {
		Balance  *providers.Amount `json:"balance"`
		Currency *string           `json:"currency"`
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if body.Balance == nil || !body.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance": "<amount>", "currency": "<ISO 4217>"}, got %s`, resp.Op, resp.Snippet())
	}
	currency := fallback
	if body.Currency != nil && *body.Currency != "" {
		code, ok := providers.NormalizeCurrency(*body.Currency)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected an ISO 4217 currency, got %q", resp.Op, providers.Bound(*body.Currency))
		}
		currency = code
	}
	return []providers.Balance{providers.Money(body.Balance.Value, currency)}, nil
}

// twilioError returns " (Twilio error 20003: Authenticate)" from an error
// body, or a quote of an unexpected one.
func twilioError(resp *providers.Response) string {
	var e errorBody
	if json.Unmarshal(resp.Body, &e) != nil || (e.Code == "" && e.Message == "") {
		return resp.Detail()
	}
	return " (Twilio error " + providers.Bound(e.Code.String()) + ": " + providers.Bound(e.Message) + ")"
}
