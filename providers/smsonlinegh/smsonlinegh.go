// Package smsonlinegh speaks the SMSOnlineGH v5 API: POST
// /v5/account/balance with `Authorization: key …`, answered in JSON or XML
// with a handshake that says whether the request was accepted.
package smsonlinegh

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Response formats an account may ask for.
const (
	FormatJSON = "json"
	FormatXML  = "xml"
)

// Spec registers the provider as `smsonlinegh`.
var Spec = providers.Spec{
	ID:             "smsonlinegh",
	Name:           "SMSOnlineGH",
	DefaultBaseURL: "https://api.smsonlinegh.com",
	CredentialSets: [][]string{{"api_key"}},
	NewOptions:     func() providers.Options { return &Options{ResponseFormat: FormatJSON} },
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{Name: "gh-otp", LowBalanceThreshold: 500,
		Wallet: providers.Wallet{Balance: 2432, Credits: true}},
}

// Options are the provider's `options:`.
type Options struct {
	// ResponseFormat is the answer format asked for: json (default) or xml.
	ResponseFormat string `yaml:"response_format"`
}

// Validate implements providers.Options.
func (o *Options) Validate() error {
	if o.ResponseFormat != FormatJSON && o.ResponseFormat != FormatXML {
		return providers.FieldErrorf("response_format", fmt.Errorf("expected json or xml, got %q", o.ResponseFormat))
	}
	return nil
}

// Handshake ids that mean the key was refused (SDK enum RequestHandshake).
var authHandshakes = map[int]string{
	1203: "HSHK_ERR_UA_AUTH",
	1204: "HSHK_ERR_UA_API_NO_ACCESS",
	1205: "HSHK_ERR_UA_API_NO_PPASS",
	1405: "HSHK_ERR_ACCESS_DENIED",
}

// Client fetches an SMSOnlineGH account's balance.
type Client struct {
	acct   providers.Settings
	format string
}

// New returns a Client for the account.
func New(s providers.Settings) *Client {
	c := &Client{acct: s, format: FormatJSON}
	if o, ok := s.Options.(*Options); ok && o != nil && o.ResponseFormat != "" {
		c.format = o.ResponseFormat
	}
	return c
}

// answer is the common shape of the JSON and XML answers.
type answer struct {
	HandshakeID    *int
	HandshakeLabel string
	HasData        bool
	Balance        string
	Model          string
	CurrencyCode   string
}

// Balances implements providers.Provider: one amount, money or credits as
// the answer's model says.
func (c *Client) Balances(ctx context.Context) ([]providers.Balance, error) {
	req, err := providers.NewRequest(ctx, c.acct, http.MethodPost, "/v5/account/balance", nil)
	if err != nil {
		return nil, err
	}
	accept := "application/json"
	if c.format == FormatXML {
		accept = "application/xml"
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("Authorization", "key "+c.acct.Credentials["api_key"])
	resp, err := c.acct.Do(req)
	if err != nil {
		return nil, err
	}
	return parseAnswer(resp, accept, c.acct.Currency)
}

// parseAnswer reads the answer to the balance call. The handshake decides, whatever the HTTP status: a revoked key has been
// seen answered with HTTP 200 and handshake 1203.
func parseAnswer(resp *providers.Response, accept, currency string) ([]providers.Balance, error) {
	ans, parseErr := parse(resp, accept)
	if parseErr == nil && ans.HandshakeID != nil && *ans.HandshakeID != 0 {
		return nil, handshakeError(resp, *ans.HandshakeID, ans.HandshakeLabel)
	}
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if parseErr != nil {
		return nil, parseErr
	}
	if ans.HandshakeID == nil {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected a handshake in the answer, got %s", resp.Op, resp.Snippet())
	}
	if !ans.HasData || ans.Balance == "" {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected data.balance in the answer, got %s", resp.Op, resp.Snippet())
	}
	v, err := providers.ParseAmount(ans.Balance)
	if err != nil {
		return nil, &providers.Error{Reason: providers.ReasonBadResponse, Msg: resp.Op + ": data.balance", Err: err}
	}
	// The docs' own currency sample says model "quantity" while giving a
	// currency: currency fields, when present, win.
	switch {
	case ans.CurrencyCode != "":
		code, ok := providers.NormalizeCurrency(ans.CurrencyCode)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected an ISO 4217 data.currencyCode, got %q", resp.Op, providers.Bound(ans.CurrencyCode))
		}
		return []providers.Balance{providers.Money(v, code)}, nil
	case ans.Model == "currency":
		return []providers.Balance{providers.Money(v, currency)}, nil
	case ans.Model == "quantity":
		return []providers.Balance{providers.Credits(v)}, nil
	default:
		return nil, providers.Errorf(providers.ReasonBadResponse, `%s: expected data.model "quantity" or "currency", got %q`, resp.Op, providers.Bound(ans.Model))
	}
}

func handshakeError(resp *providers.Response, id int, label string) error {
	known, auth := authHandshakes[id]
	if label == "" {
		label = known
	}
	label = providers.Bound(label)
	if auth {
		return providers.Errorf(providers.ReasonAuth, "%s: API key refused: handshake %d (%s), HTTP %d", resp.Op, id, label, resp.Status)
	}
	reason := providers.ReasonBadResponse
	if resp.Status < 200 || resp.Status > 299 {
		reason = providers.ReasonHTTPStatus
	}
	return providers.Errorf(reason, "%s: request refused: handshake %d (%q), HTTP %d", resp.Op, id, label, resp.Status)
}

// parse reads the answer as JSON or XML, chosen by Content-Type (or by the
// body's first byte when there is none).
func parse(resp *providers.Response, accept string) (answer, error) {
	body := bytes.TrimSpace(resp.Body)
	format := FormatJSON
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		switch {
		case err == nil && (mt == "application/json" || mt == "text/json"):
		case err == nil && (mt == "application/xml" || mt == "text/xml"):
			format = FormatXML
		default:
			return answer{}, providers.Errorf(providers.ReasonBadResponse, "%s: expected Content-Type %s, got %q", resp.Op, accept, providers.Bound(ct))
		}
	} else if len(body) > 0 && body[0] == '<' {
		format = FormatXML
	}
	if format == FormatXML {
		return parseXML(resp)
	}
	return parseJSON(resp)
}

func parseJSON(resp *providers.Response) (answer, error) {
	var body struct {
		Handshake *struct {
			ID    *int   `json:"id"`
			Label string `json:"label"`
		} `json:"handshake"`
		Data *struct {
			Balance      json.RawMessage `json:"balance"`
			Model        *string         `json:"model"`
			CurrencyCode *string         `json:"currencyCode"`
		} `json:"data"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return answer{}, err
	}
	var a answer
	if body.Handshake != nil {
		a.HandshakeID, a.HandshakeLabel = body.Handshake.ID, body.Handshake.Label
	}
	if d := body.Data; d != nil {
		a.HasData = true
		a.Balance = strings.Trim(strings.TrimSpace(string(d.Balance)), `"`)
		if a.Balance == "null" {
			a.Balance = ""
		}
		a.Model = deref(d.Model)
		a.CurrencyCode = nullable(deref(d.CurrencyCode))
	}
	return a, nil
}

func parseXML(resp *providers.Response) (answer, error) {
	var body struct {
		XMLName   xml.Name `xml:"response"`
		Handshake *struct {
			ID    string `xml:"id"`
			Label string `xml:"label"`
		} `xml:"handshake"`
		Data *struct {
			Balance      string `xml:"balance"`
			Model        string `xml:"model"`
			CurrencyCode string `xml:"currencyCode"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(resp.Body, &body); err != nil {
		return answer{}, &providers.Error{Reason: providers.ReasonBadResponse,
			Msg: fmt.Sprintf("%s: expected an XML <response>, got %s", resp.Op, resp.Snippet()), Err: providers.BoundError(err)}
	}
	var a answer
	if h := body.Handshake; h != nil {
		var id int
		if _, err := fmt.Sscan(strings.TrimSpace(h.ID), &id); err != nil {
			return answer{}, providers.Errorf(providers.ReasonBadResponse, "%s: expected a numeric handshake id, got %q", resp.Op, providers.Bound(h.ID))
		}
		a.HandshakeID, a.HandshakeLabel = &id, strings.TrimSpace(h.Label)
	}
	if d := body.Data; d != nil {
		a.HasData = true
		a.Balance = nullable(strings.TrimSpace(d.Balance))
		a.Model = strings.TrimSpace(d.Model)
		a.CurrencyCode = nullable(strings.TrimSpace(d.CurrencyCode))
	}
	return a, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nullable treats the seed's literal "null" element text like an empty value.
func nullable(s string) string {
	if strings.EqualFold(s, "null") {
		return ""
	}
	return s
}
