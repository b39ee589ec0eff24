// Package infobip speaks the Infobip Account API: GET /account/1/balance
// with `Authorization: App <API key>`. Every Infobip account has its own API
// host (https://xxxxx.api.infobip.com), so base_url is required.
package infobip

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Spec registers the provider as `infobip`.
var Spec = providers.Spec{
	ID:              "infobip",
	Name:            "Infobip",
	DefaultBaseURL:  "", // each account has its own https://<base>.api.infobip.com
	BaseURLRequired: true,
	CredentialSets:  [][]string{{"api_key"}},
	New:             func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:            func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 47.79, Currency: "EUR", DrainPerSecond: 0.0003},
	},
}

// New returns the account's balance call: one amount of money in the
// currency the answer names.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: "/account/1/balance", Auth: func(req *http.Request, creds map[string]string) {
		req.Header.Set("Authorization", "App "+creds["api_key"])
	}, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// exception is the inside of Infobip's classic error body.
type exception struct {
	MessageID string `json:"messageId"`
	Text      string `json:"text"`
}

// errorBody holds the error shapes: the classic
// {"requestError":{"serviceException":{"messageId":"UNAUTHORIZED","text":"Invalid login details"}}}
// (seen in third-party code), its policyException variant, and the newer
// {"errorCode":"E401","description":"…"} model (a guess), accepted in case.
type errorBody struct {
	RequestError *struct {
		ServiceException *exception `json:"serviceException"`
		PolicyException  *exception `json:"policyException"`
	} `json:"requestError"`
	ErrorCode   string `json:"errorCode"`
	Description string `json:"description"`
}

// id and text return what the error says ("" when it is not one).
func (e *errorBody) idText() (id, text string) {
	if r := e.RequestError; r != nil {
		for _, x := range []*exception{r.ServiceException, r.PolicyException} {
			if x != nil && (x.MessageID != "" || x.Text != "") {
				return x.MessageID, x.Text
			}
		}
	}
	return e.ErrorCode, e.Description
}

// describe returns what an error answer says, for an error message:
// " (UNAUTHORIZED: Invalid login details)", or a quote of an unexpected body.
func describe(resp *providers.Response) string {
	var e errorBody
	if json.Unmarshal(resp.Body, &e) == nil {
		id, text := e.idText()
		id, text = strings.TrimSpace(id), strings.TrimSpace(text)
		switch {
		case id != "" && text != "":
			return " (" + providers.Bound(id) + ": " + providers.Bound(text) + ")"
		case id != "" || text != "":
			return " (" + providers.Bound(id+text) + ")"
		}
	}
	return resp.Detail()
}

// parse reads the answer to the balance call. The documented 200 is
// {"balance":47.79,"currency":"EUR"}; a string amount is accepted too. When
// the answer names no currency, fallback (the account's `currency:`) is used.
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	switch {
	case resp.Status >= 200 && resp.Status <= 299:
	case resp.Status == http.StatusUnauthorized || resp.Status == http.StatusForbidden:
		return nil, providers.Errorf(providers.ReasonAuth, "%s: API key rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp))
	case resp.Status == http.StatusTooManyRequests:
		return nil, resp.StatusError()
	default:
		return nil, providers.Errorf(providers.ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", resp.Op, resp.Status, describe(resp))
	}
	if err := resp.ExpectContentType("application/json"); err != nil {
		return nil, err
	}
	var body struct {
		Balance  *providers.Amount `json:"balance"`
		Currency *string           `json:"currency"`
		errorBody
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if body.Balance == nil || !body.Balance.Set {
		// An error in an HTTP 200 answer is not documented; if one comes,
		// believe what it says.
		if id, text := body.idText(); id != "" || text != "" {
			if id == "UNAUTHORIZED" || id == "FORBIDDEN" || id == "E401" || id == "E403" {
				return nil, providers.Errorf(providers.ReasonAuth, "%s: API key rejected: HTTP %d%s", resp.Op, resp.Status, describe(resp))
			}
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected a balance, got an error%s", resp.Op, describe(resp))
		}
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance": <number>, "currency": "<ISO 4217>"}, got %s`, resp.Op, resp.Snippet())
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
