package providers

import (
	"context"
	"net/http"
)

// Call is a Provider whose balance is one HTTP request to the account's
// API and the parsing of its answer — the shape of most balance APIs. A
// provider package then only says how to authenticate and how to read the
// answer:
//
//	New: func(s providers.Settings) (providers.Provider, error) {
//		return providers.Call{Settings: s, Path: "/v2/balance", Auth: bearer, Parse: parse}, nil
//	},
type Call struct {
	// Settings are the account's.
	Settings Settings
	// Method is the request's method; GET when empty.
	Method string
	// Path is appended to the account's base URL (it may hold a query).
	Path string
	// Accept is the Accept header; application/json when empty.
	Accept string
	// Auth adds the credentials to the request (headers, Basic auth, query).
	Auth func(req *http.Request, credentials map[string]string)
	// Parse reads the answer, classifying failures as *Error. Text it takes
	// from the answer into an error is redacted of the account's secrets.
	Parse func(resp *Response, s Settings) ([]Balance, error)
}

// EndpointURL implements Endpointer: the base URL the call goes to (what
// the provider's constructor made of the account's base_url).
func (c Call) EndpointURL() string { return c.Settings.BaseURL }

// Balances implements Provider.
func (c Call) Balances(ctx context.Context) ([]Balance, error) {
	method, accept := c.Method, c.Accept
	if method == "" {
		method = http.MethodGet
	}
	if accept == "" {
		accept = "application/json"
	}
	req, err := NewRequest(ctx, c.Settings, method, c.Path, nil)
	if err != nil {
		return nil, c.Settings.RedactError(err)
	}
	req.Header.Set("Accept", accept)
	if c.Auth != nil {
		c.Auth(req, c.Settings.Credentials)
	}
	resp, err := c.Settings.Do(req)
	if err != nil {
		return nil, err
	}
	bs, err := c.Parse(resp, c.Settings)
	return bs, c.Settings.RedactError(err)
}
