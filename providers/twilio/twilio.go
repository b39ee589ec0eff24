// Package twilio speaks the Twilio REST API: GET
// /2010-04-01/Accounts/{AccountSid}/Balance.json with HTTP Basic auth, either
// AccountSid:AuthToken or an API key's sid:secret.
package twilio

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

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

// safeOp names the balance call in error messages without the account sid.
const safeOp = "GET /2010-04-01/Accounts/{account_sid}/Balance.json"

// Client fetches a Twilio account's balance.
type Client struct {
	acct   providers.Settings
	redact *strings.Replacer
}

// New returns a Client for the account.
func New(s providers.Settings) *Client {
	return &Client{acct: s, redact: redactor(s.Credentials)}
}

// Balances implements providers.Provider: one amount of money in the
// currency the answer names.
func (c *Client) Balances(ctx context.Context) ([]providers.Balance, error) {
	creds := c.acct.Credentials
	path := "/2010-04-01/Accounts/" + url.PathEscape(creds["account_sid"]) + "/Balance.json"
	req, err := providers.NewRequest(ctx, c.acct, http.MethodGet, path, nil)
	if err != nil {
		return nil, c.redactErr(err)
	}
	req.Header.Set("Accept", "application/json")
	if key := creds["api_key_sid"]; key != "" {
		req.SetBasicAuth(key, creds["api_key_secret"])
	} else {
		req.SetBasicAuth(creds["account_sid"], creds["auth_token"])
	}
	resp, err := providers.Do(c.acct.HTTPClient(), req)
	if err != nil {
		return nil, c.redactErr(err) // the op in a transport error holds the sid
	}
	// Twilio echoes the path (and so the sid) in its 404 message and the sid
	// in every answer: errors quote neither.
	resp.Op = safeOp
	resp.Body = []byte(c.redact.Replace(string(resp.Body)))
	bs, err := parse(resp, c.acct.Currency)
	return bs, c.redactErr(err)
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
		return nil, providers.Errorf(providers.ReasonAuth, "%s: credentials rejected: HTTP %d%s", resp.Op, resp.Status, twilioError(resp.Body))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, twilioError(resp.Body))
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
			`%s: expected {"balance": "<amount>", "currency": "<ISO 4217>"}, got %s`, resp.Op, providers.Snippet(resp.Body))
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
func twilioError(b []byte) string {
	var e errorBody
	if json.Unmarshal(b, &e) != nil || (e.Code == "" && e.Message == "") {
		if len(strings.TrimSpace(string(b))) == 0 {
			return " with an empty body"
		}
		return " with body " + providers.Snippet(b)
	}
	return " (Twilio error " + providers.Bound(e.Code.String()) + ": " + providers.Bound(e.Message) + ")"
}

// redactor replaces every credential value, raw and path-escaped, with its
// key in braces; longer values first so that none is left half replaced.
func redactor(creds map[string]string) *strings.Replacer {
	type pair struct{ old, new string }
	var pairs []pair
	for k, v := range creds {
		if v == "" {
			continue
		}
		pairs = append(pairs, pair{v, "{" + k + "}"})
		if e := url.PathEscape(v); e != v {
			pairs = append(pairs, pair{e, "{" + k + "}"})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if len(pairs[i].old) != len(pairs[j].old) {
			return len(pairs[i].old) > len(pairs[j].old)
		}
		return pairs[i].old < pairs[j].old
	})
	args := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		args = append(args, p.old, p.new)
	}
	return strings.NewReplacer(args...)
}

// redactErr returns err as a *providers.Error without any credential value
// in its text. The wrapped error is kept when its own text is clean.
func (c *Client) redactErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *providers.Error
	if !errors.As(err, &pe) || error(pe) != err {
		return &providers.Error{Reason: providers.Classify(err), Msg: c.redact.Replace(err.Error()), RetryAfter: providers.RetryAfter(err)}
	}
	out := *pe
	out.Msg = c.redact.Replace(pe.Msg)
	if pe.Err != nil {
		if s := pe.Err.Error(); c.redact.Replace(s) != s {
			out.Msg += ": " + c.redact.Replace(s)
			out.Err = nil
		}
	}
	return &out
}
