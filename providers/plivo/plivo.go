// Package plivo speaks the Plivo Account API: GET /v1/Account/{auth_id}/
// (with its trailing slash) with HTTP Basic auth auth_id:auth_token.
package plivo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `plivo`.
var Spec = providers.Spec{
	ID:             "plivo",
	Name:           "Plivo",
	DefaultBaseURL: "https://api.plivo.com",
	CredentialSets: [][]string{{"auth_id", "auth_token"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Currency: "USD",
		Wallet:   providers.Wallet{Balance: 1.809, Currency: "USD", DrainPerSecond: 0.00002},
	},
}

// DefaultCurrency is the currency of a Plivo balance when the account sets
// no `currency:`: the API does not name one, and Plivo bills in US dollars.
const DefaultCurrency = "USD"

// safeOp names the balance call in error messages without the auth id.
const safeOp = "GET /v1/Account/{auth_id}/"

// Client fetches a Plivo account's balance.
type Client struct {
	acct   providers.Settings
	redact *strings.Replacer
}

// New returns a Client for the account.
func New(s providers.Settings) *Client {
	return &Client{acct: s, redact: redactor(s.Credentials)}
}

// Balances implements providers.Provider: one amount of money, the
// account's cash credits, in the account's `currency:` or else US dollars.
func (c *Client) Balances(ctx context.Context) ([]providers.Balance, error) {
	creds := c.acct.Credentials
	req, err := providers.NewRequest(ctx, c.acct, http.MethodGet, "/v1/Account/"+url.PathEscape(creds["auth_id"])+"/", nil)
	if err != nil {
		return nil, c.redactErr(err)
	}
	req.Header.Set("Accept", "application/json")
	req.SetBasicAuth(creds["auth_id"], creds["auth_token"])
	resp, err := providers.Do(c.acct.HTTPClient(), req)
	if err != nil {
		return nil, c.redactErr(err) // the op in a transport error holds the auth id
	}
	// The answer echoes the auth id (auth_id, resource_uri): errors quote
	// neither it nor the token.
	resp.Op = safeOp
	resp.Body = []byte(c.redact.Replace(string(resp.Body)))
	currency := c.acct.Currency
	if currency == "" {
		currency = DefaultCurrency
	}
	bs, err := parse(resp, currency)
	return bs, c.redactErr(err)
}

// describe returns what an error answer says for an error message. Plivo's
// error bodies are {"api_id":"…","error":"…"}; the body of a refused
// credential is not documented (empty, text and JSON are all accepted).
func describe(b []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		var s string
		if json.Unmarshal(e.Error, &s) != nil {
			s = ""
		}
		if s == "" {
			s = e.Message
		}
		if s = strings.TrimSpace(s); s != "" {
			return " (" + providers.Bound(s) + ")"
		}
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return " with an empty body"
	}
	return " with body " + providers.Snippet(b)
}

// parse reads the answer to the balance call: the account's details, whose
// "cash_credits" is the balance, a string ("1.80900"; a number is accepted
// too). The answer names no currency: currency is used.
func parse(resp *providers.Response, currency string) ([]providers.Balance, error) {
	switch {
	case resp.Status >= 200 && resp.Status <= 299:
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, providers.Errorf(providers.ReasonAuth, "%s: auth_id or auth_token rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp.Body))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, describe(resp.Body))
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var body struct {
		CashCredits *providers.Amount `json:"cash_credits"`
		Error       json.RawMessage   `json:"error"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if body.CashCredits == nil || !body.CashCredits.Set {
		if len(body.Error) > 0 {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected the account's cash_credits, got an error%s", resp.Op, describe(resp.Body))
		}
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"cash_credits": "<amount>", …}, got %s`, resp.Op, providers.Snippet(resp.Body))
	}
	return []providers.Balance{providers.Money(body.CashCredits.Value, currency)}, nil
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
