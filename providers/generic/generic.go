// Package generic is the `http` provider: it watches any balance API that
// is not built in. The account's options say which URL to call (GET or
// POST, with templated headers and body that refer to the account's
// credentials by name), how to read the answer (JSON, XML or plain text),
// where the amount is in it and, optionally, where further amounts are
// (extra_balances: a balance in another unit, a credit limit). The
// account's base_url is not used: the URL is the whole endpoint.
// Authentication that the credentials do not express (basic_auth,
// authorization, oauth2 …) comes from the account's http_client_config.
package generic

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `http`. It has no fake API and no demo:
// the API is whatever the account points at.
var Spec = providers.Spec{
	ID:             "http",
	Name:           "Generic HTTP",
	DefaultBaseURL: "", // base_url is not used: options.url is the endpoint
	CredentialSets: nil,
	NewOptions:     func() providers.Options { return NewOptions() },
	HTTPClientAuth: true,
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s) },
}

// Client fetches the balance of an http account.
type Client struct {
	acct providers.Settings
	req  *request
}

// New returns a Client for the account; it fails when the options are
// missing or invalid, or refer to credentials the account does not give.
func New(s providers.Settings) (*Client, error) {
	o, ok := s.Options.(*Options)
	if !ok || o == nil {
		return nil, errors.New("http provider: options (at least url and balance_path) are required")
	}
	r, err := o.compile()
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(s.Credentials))
	for k := range s.Credentials {
		names = append(names, k)
	}
	if err := r.checkCredentials(names); err != nil {
		return nil, err
	}
	if s.Currency != "" {
		code, ok := providers.NormalizeCurrency(s.Currency)
		if !ok {
			return nil, fmt.Errorf("currency: expected a three-letter code, got %q", providers.Bound(s.Currency))
		}
		r.parser.defaultCurrency = code
		// Amounts of money without a currency path all take currency:.
		if err := r.parser.checkSeries(); err != nil {
			return nil, err
		}
	}
	return &Client{acct: s, req: r}, nil
}

// Balances implements providers.Provider: the main balance (balance_path),
// then the amounts of extra_balances that the answer holds, each of money
// or credits as the options say.
//
// Settings.Do redacts the credentials from the request's Op (a templated
// URL may put one in the path) and from quotes of the answer; the error is
// redacted once more because parse also quotes single values found in the
// answer, and an expansion error may show a credential.
func (c *Client) Balances(ctx context.Context) ([]providers.Balance, error) {
	b, err := c.balances(ctx)
	if err != nil {
		return nil, c.acct.RedactError(err)
	}
	return b, nil
}

func (c *Client) balances(ctx context.Context) ([]providers.Balance, error) {
	req, err := c.newRequest(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := c.acct.Do(req)
	if err != nil {
		return nil, err
	}
	if err := c.statusError(resp); err != nil {
		return nil, err
	}
	return parse(resp, c.req.parser)
}

// statusError classifies a non-2xx answer: a status in auth_status is an
// auth failure, 429 is rate_limited, anything else http_status.
func (c *Client) statusError(resp *providers.Response) error {
	switch {
	case c.req.auth[resp.Status]:
		return providers.Errorf(providers.ReasonAuth, "%s: credentials rejected: HTTP %d%s", resp.Op, resp.Status, resp.Detail())
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		// Not in auth_status: StatusError would call it auth.
		return providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, resp.Detail())
	}
	return resp.StatusError()
}

// newRequest expands the templates with the account's credentials and
// builds the request. No error quotes the expanded URL or a header value.
func (c *Client) newRequest(ctx context.Context) (*http.Request, error) {
	r, creds := c.req, c.acct.Credentials
	fail := func(field string, err error) error {
		return &providers.Error{Reason: providers.ReasonBadResponse, Msg: "expanding options." + field, Err: err}
	}
	raw, err := expand(r.url, creds)
	if err != nil {
		return nil, fail("url", err)
	}
	raw = strings.TrimSpace(raw)
	if err := checkURL(raw); err != nil {
		return nil, fail("url", fmt.Errorf("%w (a credential may need | urlquery)", err))
	}
	var body io.Reader
	var bodyText string
	if r.body != nil {
		if bodyText, err = expand(r.body, creds); err != nil {
			return nil, fail("body", err)
		}
		body = strings.NewReader(bodyText)
	} else if r.method == http.MethodPost {
		body = http.NoBody
	}
	req, err := http.NewRequestWithContext(ctx, r.method, raw, body)
	if err != nil { // err would quote the URL
		return nil, fail("url", errors.New("not a valid request URL"))
	}
	if c.acct.UserAgent != "" {
		req.Header.Set("User-Agent", c.acct.UserAgent)
	}
	req.Header.Set("Accept", acceptFor(r.parser.format))
	if r.body != nil {
		req.Header.Set("Content-Type", contentTypeFor(bodyText))
	}
	for _, h := range r.headers {
		v, err := expand(h.value, creds)
		if err != nil {
			return nil, fail("headers."+h.key, err)
		}
		if !validHeaderValue(v) {
			return nil, fail("headers."+h.key, errors.New("the value holds a control character such as a newline"))
		}
		req.Header.Set(h.name, v)
	}
	return req, nil
}

// acceptFor is the Accept header sent unless headers set one.
func acceptFor(format string) string {
	switch format {
	case FormatXML:
		return "application/xml, text/xml;q=0.9, */*;q=0.1"
	case FormatText:
		return "text/plain, */*;q=0.1"
	}
	return "application/json, */*;q=0.1"
}

// contentTypeFor is the Content-Type of a body unless headers set one.
func contentTypeFor(body string) string {
	if s := strings.TrimSpace(body); strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		return "application/json"
	}
	return "application/x-www-form-urlencoded"
}
