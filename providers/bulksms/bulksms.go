// Package bulksms speaks the BulkSMS.com JSON REST API v1: GET /v1/profile
// with HTTP Basic (username:password or API token id:secret), whose answer
// carries the account's credits and credit limit.
package bulksms

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `bulksms`.
var Spec = providers.Spec{
	ID:             "bulksms",
	Name:           "BulkSMS.com",
	DefaultBaseURL: "https://api.bulksms.com",
	CredentialSets: [][]string{{"username", "password"}, {"token_id", "token_secret"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 250, Credits: true, CreditLimit: 50, DrainPerSecond: 0.001},
	},
}

// path is the profile endpoint, which carries the credits.
const path = "/v1/profile"

// New returns the account's balance call: the credits, then the credit
// limit when the profile has one.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: path, Auth: basicAuth, Parse: func(resp *providers.Response, _ providers.Settings) ([]providers.Balance, error) {
		return parse(resp)
	}}
}

// basicAuth sets the pair the account gives: username and password, or
// else the API token's id and secret.
func basicAuth(req *http.Request, cr map[string]string) {
	if _, ok := cr["username"]; ok {
		req.SetBasicAuth(cr["username"], cr["password"])
		return
	}
	req.SetBasicAuth(cr["token_id"], cr["token_secret"])
}

// profile is the part of the profile answer that is read.
type profile struct {
	Credits *creditInfo `json:"credits"`
}

// creditInfo is the profile's credits object:
// {"balance":<float>,"isTransferAllowed":<bool>,"limit":<int>}.
type creditInfo struct {
	Balance *providers.Amount `json:"balance"`
	Limit   *providers.Amount `json:"limit"`
}

// problem is an RFC 7807 problem document, BulkSMS's error shape:
// {"type":"https://developer.bulksms.com/json/v1/errors#authentication-failed",
// "title":"Authentication Failed","status":401,"detail":"…"}.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status *int   `json:"status"`
}

// Media types of BulkSMS answers: errors are application/problem+json.
var mediaTypes = []string{"application/json", "application/problem+json"}

// parse reads the answer to GET /v1/profile.
//
// The profile echoes the username (a credential): quotes of the body go
// through resp, which redacts the account's secrets. Of a problem document
// only the title is shown.
//
// credits.limit is documented as an int without saying what 0 means. It is
// exported whenever it is present and not null, 0 included: 0 states that
// nothing may be spent beyond the balance, and exporting it keeps the
// series from appearing and vanishing as the limit is set and removed.
func parse(resp *providers.Response) ([]providers.Balance, error) {
	if resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden {
		if title := problemTitle(resp.Body); title != "" {
			return nil, providers.Errorf(providers.ReasonAuth, "%s: credentials rejected: HTTP %d%s", resp.Op, resp.Status, title)
		}
	}
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if err := resp.ExpectContentType(mediaTypes...); err != nil {
		return nil, err
	}
	var p profile
	if err := resp.DecodeJSON(&p); err != nil {
		return nil, err
	}
	if p.Credits == nil || p.Credits.Balance == nil || !p.Credits.Balance.Set {
		var pr problem
		if json.Unmarshal(resp.Body, &pr) == nil && pr.Status != nil && (pr.Title != "" || pr.Type != "") {
			// A problem document with a 2xx status: its own status decides.
			reason := providers.ReasonBadResponse
			if *pr.Status == http.StatusUnauthorized || *pr.Status == http.StatusForbidden {
				reason = providers.ReasonAuth
			}
			return nil, providers.Errorf(reason, "%s: expected the profile, got a problem document with status %d%s",
				resp.Op, *pr.Status, problemTitle(resp.Body))
		}
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"credits":{"balance":<number>}}, no credits.balance in %s`, resp.Op, resp.Snippet())
	}
	out := []providers.Balance{providers.Credits(p.Credits.Balance.Value)}
	if p.Credits.Limit != nil && p.Credits.Limit.Set {
		out = append(out, providers.Balance{Kind: providers.KindCreditLimit, Value: p.Credits.Limit.Value, Unit: providers.UnitCredits})
	}
	return out, nil
}

// problemTitle returns " (<title>)" for a problem document body, or "".
func problemTitle(body []byte) string {
	var p struct {
		Title string `json:"title"`
	}
	if json.Unmarshal(body, &p) != nil || strings.TrimSpace(p.Title) == "" {
		return ""
	}
	return " (" + providers.Bound(strings.TrimSpace(p.Title)) + ")"
}
