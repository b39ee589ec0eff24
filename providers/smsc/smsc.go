// Package smsc speaks the SMSC.ru HTTP API: GET
// /sys/balance.php?login=…&psw=…&fmt=3&cur=1, which answers
// {"balance":"84.75","currency":"RUR"}. The login and password travel in
// the query string: they are encoded with url.Values and never appear in an
// error (resp.Op is the method and path only).
package smsc

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// balancePath is the balance call.
const balancePath = "/sys/balance.php"

// rateLimitWait is how long to hold off after error_code 9 (too many
// requests). SMSC.ru gives no Retry-After; its limits are counted per
// minute [3rd], so one minute.
const rateLimitWait = time.Minute

// blockedWait is how long to hold off after error_code 4 (IP address
// temporarily blocked). SMSC.ru blocks the client's IP for 30 minutes after
// 5 failed logins within 30 minutes, for 10 minutes after 100 erroneous
// requests in a row, and briefly after frequent identical requests [doc]
// (smscentre.com/faq/99, the provider's FAQ). It sends no Retry-After and
// does not say which block applies; calling at the usual pace only feeds
// the block, so wait 10 minutes (the collector honours up to an hour).
const blockedWait = 10 * time.Minute

// authWait is how long to hold off after error_code 2 (login or password
// rejected). Five failed logins within 30 minutes block the client's IP
// for 30 minutes [doc] (smscentre.com/faq/99), and with it every other
// SMSC.ru account and application behind that IP. One call every 10
// minutes or more makes at most 4 failures in any 30 minutes, under the 5
// that block. The wait does not delay a fix: a reload with other
// credentials (their resolved values are compared) starts the account
// afresh, and the collector calls it at once.
const authWait = 10 * time.Minute

// Spec registers the provider as `smsc`.
var Spec = providers.Spec{
	ID:             "smsc",
	Name:           "SMSC.ru",
	DefaultBaseURL: "https://smsc.ru",
	CredentialSets: [][]string{{"login", "password"}},
	New:            func(s providers.Settings) (providers.Provider, error) { return New(s), nil },
	Fake:           func() providers.FakeAPI { return &Fake{} },
	Demo: providers.Demo{
		// The fake answers "RUR", as the real API does.
		Wallet: providers.Wallet{Balance: 84.75, Currency: "RUB", DrainPerSecond: 0.0001},
	},
}

// New returns the account's balance call: one amount of money in the
// currency the API names (cur=1), RUR read as RUB.
func New(s providers.Settings) providers.Call {
	return providers.Call{Settings: s, Path: balancePath, Auth: auth, Parse: func(resp *providers.Response, s providers.Settings) ([]providers.Balance, error) {
		return parse(resp, s.Currency)
	}}
}

// auth sets the query on the built request (the credentials are never
// passed as a path, so that no error, including NewRequest's, can show
// them).
func auth(req *http.Request, creds map[string]string) {
	q := url.Values{}
	q.Set("login", creds["login"])
	q.Set("psw", creds["password"])
	q.Set("fmt", "3") // JSON
	q.Set("cur", "1") // include the currency
	req.URL.RawQuery = q.Encode()
}

// parse reads the answer to the balance call. Every SMSC.ru error comes
// with HTTP 200 as {"error":"…","error_code":N} [3rd]:
//
//   - 2 (authorise error): ReasonAuth, with RetryAfter authWait: repeated
//     failed logins get the IP blocked (error 4).
//   - 9 (too many requests): ReasonRateLimited, RetryAfter one minute (the
//     API sends no Retry-After).
//   - 4 (IP address temporarily blocked): ReasonRateLimited, RetryAfter
//     blockedWait. rate_limited is the reason that says "wait before
//     calling again", which is the cure: the block lifts by itself after a
//     while, and every call meanwhile only prolongs the errors. It is not
//     auth (the credentials need not be at fault), nor http_status (the
//     status is 200), nor bad_response (the answer is well formed, and no
//     back-off would keep the exporter hammering). The message names the
//     block and its likely cause so it is found in the logs.
//   - 1 (bad parameters) and any other code: ReasonBadResponse naming it.
//
// The amount is a string ("84.75"; a number is accepted too). The currency
// comes from the body; RUR (the pre-1998 code SMSC.ru still sends) becomes
// RUB, and a missing or empty one falls back to fallback.
//
// Quotes of the body go through resp, which redacts the credentials (an
// error page may echo the request URL and its query).
func parse(resp *providers.Response, fallback string) ([]providers.Balance, error) {
	if err := resp.StatusError(); err != nil {
		return nil, err
	}
	if err := expectJSONType(resp); err != nil {
		return nil, err
	}
	var body struct {
		Balance   *providers.Amount `json:"balance"`
		Currency  *string           `json:"currency"`
		Error     *string           `json:"error"`
		ErrorCode *providers.Amount `json:"error_code"`
	}
	if err := resp.DecodeJSON(&body); err != nil {
		return nil, err
	}
	if (body.Error != nil && *body.Error != "") || (body.ErrorCode != nil && body.ErrorCode.Set && body.ErrorCode.Value != 0) {
		return nil, apiError(resp.Op, body.Error, body.ErrorCode)
	}
	if body.Balance == nil || !body.Balance.Set {
		return nil, providers.Errorf(providers.ReasonBadResponse,
			`%s: expected {"balance":"<amount>","currency":"<code>"}, got %s`, resp.Op, resp.Snippet())
	}
	currency := fallback
	if body.Currency != nil && *body.Currency != "" {
		code, ok := providers.NormalizeCurrency(*body.Currency)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse,
				"%s: expected a three-letter currency code, got %q", resp.Op, providers.Bound(*body.Currency))
		}
		if code == "RUR" {
			code = "RUB"
		}
		currency = code
	}
	return []providers.Balance{providers.Money(body.Balance.Value, currency)}, nil
}

// apiError classifies an HTTP-200 error body.
func apiError(op string, text *string, code *providers.Amount) error {
	desc := ""
	if text != nil && *text != "" {
		desc = ": " + providers.Bound(*text)
	}
	if code == nil || !code.Set {
		return providers.Errorf(providers.ReasonBadResponse, "%s: SMSC.ru error without error_code%s", op, desc)
	}
	switch code.Value {
	case 2:
		e := providers.Errorf(providers.ReasonAuth, "%s: login or password rejected (error_code 2%s); waiting %s, as repeated failed logins get the IP blocked", op, desc, authWait)
		e.RetryAfter = authWait
		return e
	case 9:
		e := providers.Errorf(providers.ReasonRateLimited, "%s: too many requests (error_code 9%s); waiting %s", op, desc, rateLimitWait)
		e.RetryAfter = rateLimitWait
		return e
	case 4:
		e := providers.Errorf(providers.ReasonRateLimited,
			"%s: this client's IP address is temporarily blocked by SMSC.ru (error_code 4%s), usually after repeated failed logins or requests; waiting %s",
			op, desc, blockedWait)
		e.RetryAfter = blockedWait
		return e
	case 1:
		return providers.Errorf(providers.ReasonBadResponse, "%s: SMSC.ru reports bad parameters (error_code 1%s)", op, desc)
	default:
		return providers.Errorf(providers.ReasonBadResponse, "%s: SMSC.ru error (error_code %g%s)", op, code.Value, desc)
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
