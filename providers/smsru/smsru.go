// Package smsru speaks the SMS.ru API: GET /my/balance?api_id=…&json=1,
// which answers {"status":"OK","status_code":100,"balance":4122.56}. The
// api_id travels in the query string: it is encoded with url.Values and
// never appears in an error (resp.Op is the method and path only).
package smsru

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// balancePath is the balance call.
const balancePath = "/my/balance"

// currency is the only currency of SMS.ru accounts; the API never names it.
const currency = "RUB"

// statusBadAPIID is the status_code of a refused api_id (the fake's answer).
const statusBadAPIID = 200

// authStatus holds the status_codes SMS.ru's error table gives for refused
// authorization [3rd] (the table is copied in third-party SDKs; no answer
// was ever seen live): 200 bad api_id, 300 bad token (expired, or the
// client's IP changed), 301 bad api_id or login and password, 302 user
// authorized but the account not confirmed. Each needs the operator, not a
// retry, so each is ReasonAuth.
var authStatus = map[float64]bool{
	statusBadAPIID: true,
	300:            true,
	301:            true,
	302:            true,
}

// Spec registers the provider as `smsru`.
var Spec = providers.Spec{
	ID:             "smsru",
	Name:           "SMS.ru",
	DefaultBaseURL: "https://sms.ru",
	CredentialSets: [][]string{{"api_id"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		Wallet: providers.Wallet{Balance: 4122.56, Currency: currency, DrainPerSecond: 0.001},
	},
}

// New returns the account's balance call: one amount of money in RUB (the
// account's `currency:` is not used: SMS.ru accounts are in roubles).
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: balancePath, Auth: auth, Parse: func(resp *providers.Response, _ providers.Settings) ([]providers.Balance, error) {
		return parse(resp)
	}}
}

// auth sets the query on the built request (the api_id is never passed as
// a path, so that no error, including NewRequest's, can show it).
func auth(req *http.Request, creds map[string]string) {
	q := url.Values{}
	q.Set("api_id", creds["api_id"])
	q.Set("json", "1")
	req.URL.RawQuery = q.Encode()
}

// parse reads the answer to the balance call. Every SMS.ru error comes with
// HTTP 200 as {"status":"ERROR","status_code":N,"status_text":"…"} [3rd]:
// the authorization errors (status_code 200, 300, 301 and 302, see
// authStatus) are ReasonAuth, any other code ReasonBadResponse; either
// names the code and the (Russian, bounded) status_text.
// The balance has been seen both as a number and as a string [3rd].
//
// Quotes of the body go through resp, which redacts the api_id (an error
// page may echo the request URL and its query).
func parse(resp *providers.Response) ([]providers.Balance, error) {
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if err := expectJSONType(resp); err != nil {
		return nil, err
	}
	var body struct {
		Status     *string           `json:"status"`
		StatusCode *providers.Amount `json:"status_code"`
		StatusText *string           `json:"status_text"`
		Balance    *providers.Amount `json:"balance"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	status := ""
	if body.Status != nil {
		status = strings.ToUpper(strings.TrimSpace(*body.Status))
	}
	switch status {
	case "OK":
		if body.Balance == nil || !body.Balance.Set {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				`%s: expected "status":"OK" with a numeric "balance", got %s`, resp.Op, resp.Snippet())
		}
		return []providers.Balance{providers.Money(body.Balance.Value, currency)}, nil
	case "ERROR":
		desc := ""
		if body.StatusText != nil && *body.StatusText != "" {
			desc = ": " + providers.Bound(*body.StatusText)
		}
		if body.StatusCode == nil || !body.StatusCode.Set {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: SMS.ru error without status_code%s", resp.Op, desc)
		}
		if authStatus[body.StatusCode.Value] {
			return nil, providers.Errorf(providers.ReasonAuth, "%s: authorization refused (status_code %g%s)", resp.Op, body.StatusCode.Value, desc)
		}
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: SMS.ru error (status_code %g%s)", resp.Op, body.StatusCode.Value, desc)
	default:
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected "status":"OK" or "ERROR", got %s`, resp.Op, resp.Snippet())
	}
}

// expectJSONType checks the Content-Type, which is unverified [3rd]:
// application/json and text/plain pass, and so does a missing one. A
// text/html label passes only when the body is nonetheless a JSON object
// (PHP's default type): an HTML page is a bad_response naming the type.
func expectJSONType(resp *providers.Response) error {
	err := resp.ExpectContentType("application/json", "text/plain")
	if err == nil {
		return nil
	}
	mt, _, perr := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if perr == nil && strings.EqualFold(mt, "text/html") && bytes.HasPrefix(bytes.TrimSpace(resp.Body), []byte("{")) {
		return nil
	}
	return err
}
