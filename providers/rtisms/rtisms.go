// Package rtisms speaks the RTI-SMS (Real-Time, Chile) API: an OAuth2-like
// token from POST /api/auth, then GET /api/balance.
package rtisms

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `rtisms`.
var Spec = providers.Spec{
	ID:             "rtisms",
	Name:           "RTI-SMS",
	DefaultBaseURL: "https://www.rti-sms.com",
	CredentialSets: [][]string{{"client_id", "client_secret"}, {"access_token"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return NewFake(time.Hour) },
	Demo: providers.Demo{Name: "cl-transactional", Currency: "CLP", LowBalanceThreshold: 100,
		Wallet: providers.Wallet{Balance: 457, DrainPerSecond: 0.0002}},
}

// Client fetches an RTI-SMS account's balance, keeping its access token
// until shortly before it expires.
type Client struct {
	acct providers.Settings
	now  func() time.Time

	mu     sync.Mutex
	token  string
	expiry time.Time // zero: use once (no validity given) or static
}

// New returns a Client for the account. With an `access_token` credential
// the token is used as is and cannot be renewed.
func New(s providers.Settings) *Client {
	c := &Client{acct: s, now: time.Now}
	if t := s.Credentials["access_token"]; t != "" {
		c.token = t
	}
	return c
}

func (c *Client) static() bool { return c.acct.Credentials["client_id"] == "" }

// renewMargin is how long before its expiry a token is replaced.
func renewMargin(validity time.Duration) time.Duration {
	m := validity / 10
	if m > time.Minute {
		m = time.Minute
	}
	return m
}

// Balances implements providers.Provider: one amount of money in the
// account's configured currency (the API does not say which).
func (c *Client) Balances(ctx context.Context) ([]providers.Balance, error) {
	tok, err := c.currentToken(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.getBalance(ctx, tok)
	if err != nil {
		return nil, err
	}
	if resp.Status == http.StatusUnauthorized {
		if c.static() {
			return nil, providers.Errorf(providers.ReasonAuth,
				"%s: access_token rejected (HTTP 401); it cannot be renewed without client_id and client_secret", resp.Op)
		}
		// The token was revoked or expired early: fetch a new one, retry once.
		c.forget(tok)
		if tok, err = c.currentToken(ctx); err != nil {
			return nil, err
		}
		if resp, err = c.getBalance(ctx, tok); err != nil {
			return nil, err
		}
		if resp.Status == http.StatusUnauthorized {
			return nil, providers.Errorf(providers.ReasonAuth,
				"%s: fresh access token rejected: HTTP 401", resp.Op)
		}
	}
	return parseBalance(resp, c.acct.Currency)
}

// parseBalance reads GET /api/balance's answer: {"balance":"457.00"}.
func parseBalance(resp *providers.Response, currency string) ([]providers.Balance, error) {
	var body struct {
		Balance *providers.Amount `json:"balance"`
	}
	if err := resp.DecodeJSONOK(&body); err != nil {
		return nil, err
	}
	if body.Balance == nil || !body.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance":"<amount>"}, got %s`, resp.Op, resp.Snippet())
	}
	return []providers.Balance{providers.Money(body.Balance.Value, currency)}, nil
}

func (c *Client) getBalance(ctx context.Context, tok string) (*providers.Response, error) {
	req, err := providers.NewRequest(ctx, c.acct, http.MethodGet, "/api/balance", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json") // documented as mandatory
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return c.acct.Do(req)
}

// currentToken returns a valid token, fetching one when there is none or
// the one held is about to expire.
func (c *Client) currentToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && (c.static() || c.now().Before(c.expiry)) {
		return c.token, nil
	}
	if c.static() {
		return "", providers.Errorf(providers.ReasonAuth, "no access_token configured")
	}
	tok, validity, err := c.fetchToken(ctx)
	if err != nil {
		return "", err
	}
	c.acct.AddSecret(tok)
	c.token, c.expiry = tok, time.Time{}
	if validity > 0 {
		c.expiry = c.now().Add(validity - renewMargin(validity))
	}
	return tok, nil
}

// forget drops tok if it is still the held token.
func (c *Client) forget(tok string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token == tok {
		c.token, c.expiry = "", time.Time{}
	}
}

func (c *Client) fetchToken(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {c.acct.Credentials["client_id"]},
		"client_secret": {c.acct.Credentials["client_secret"]},
	}
	req, err := providers.NewRequest(ctx, c.acct, http.MethodPost, "/api/auth", strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := c.acct.Do(req)
	if err != nil {
		return "", 0, err
	}
	if resp.Status == http.StatusBadRequest || resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		// The token endpoint answers 400/401 for invalid client credentials.
		return "", 0, providers.Errorf(providers.ReasonAuth, "%s: token refused for client_id/client_secret: HTTP %d", resp.Op, resp.Status)
	}
	// Never quote a body of the credential endpoint: it may echo the secret.
	if err := resp.StatusErrorWithoutBody(); err != nil {
		return "", 0, err
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return "", 0, err
	}
	var body struct {
		AccessToken    string          `json:"access_token"`
		ValidityPeriod json.RawMessage `json:"validity_period"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		// Never quote this body: it may hold a token.
		return "", 0, providers.Errorf(providers.ReasonBadResponse, `%s: expected {"access_token":…,"validity_period":"<seconds>"}`, resp.Op)
	}
	if body.AccessToken == "" {
		return "", 0, providers.Errorf(providers.ReasonBadResponse, `%s: no access_token in the answer`, resp.Op)
	}
	// validity_period is documented as a string of seconds; a number is
	// accepted too. Without a readable one the token is used once.
	var validity time.Duration
	var secs providers.Amount
	if json.Unmarshal(body.ValidityPeriod, &secs) == nil && secs.Set && secs.Value > 0 {
		validity = time.Duration(secs.Value * float64(time.Second))
	}
	return body.AccessToken, validity, nil
}
