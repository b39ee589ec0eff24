package providers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxBodyBytes is the most of a response body that is read; a longer body is
// a bad_response error.
const MaxBodyBytes = 64 << 10

// Response is a fully read HTTP response.
type Response struct {
	// Op names the request ("GET /api/balance") for error messages.
	Op string
	// Status is the HTTP status code.
	Status int
	// Header holds the response headers.
	Header http.Header
	// Body is the response body, at most MaxBodyBytes long.
	Body []byte

	redactor *Redactor // secrets never quoted from Body
}

// Snippet quotes the start of the body for an error message, with the
// account's secrets redacted before it is quoted and cut.
func (r *Response) Snippet() string {
	if r.redactor == nil {
		return Snippet(r.Body)
	}
	return Snippet([]byte(r.redactor.Redact(string(r.Body))))
}

// Do sends req and reads its answer. Transport errors are classified as
// timeout or network and never include the request URL (which could carry
// user info) beyond its path.
//
// Prefer Settings.Do, which redacts the account's secrets.
func Do(client *http.Client, req *http.Request) (*Response, error) { return do(client, req, nil) }

func do(client *http.Client, req *http.Request, redactor *Redactor) (*Response, error) {
	op := redactor.Redact(req.Method + " " + req.URL.Path)
	resp, err := client.Do(req)
	if err != nil {
		return nil, transportError(req.Context(), op, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, transportError(req.Context(), op+": reading body", err)
	}
	if len(body) > MaxBodyBytes {
		return nil, Errorf(ReasonBadResponse, "%s: response body larger than %d bytes", op, MaxBodyBytes)
	}
	return &Response{Op: op, Status: resp.StatusCode, Header: resp.Header, Body: body, redactor: redactor}, nil
}

func transportError(ctx context.Context, op string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var pe *Error
	if errors.As(err, &pe) { // already classified (a refused redirect)
		return &Error{Reason: pe.Reason, Msg: op + ": " + pe.Msg, RetryAfter: pe.RetryAfter, Err: pe.Err}
	}
	if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &Error{Reason: ReasonTimeout, Msg: op + ": timed out", Err: context.DeadlineExceeded}
	}
	reason := Classify(err)
	if reason == ReasonBadResponse { // an unclassified transport error
		reason = ReasonNetwork
	}
	return &Error{Reason: reason, Msg: op, Err: err}
}

// StatusError returns nil for a 2xx status and otherwise a classified error:
// 401 and 403 are auth failures, 429 is rate_limited (with Retry-After), any
// other status is http_status.
func (r *Response) StatusError() error { return r.statusError(r.Detail()) }

// StatusErrorWithoutBody is StatusError for endpoints whose bodies may echo
// credentials (token endpoints): the body is never quoted.
func (r *Response) StatusErrorWithoutBody() error { return r.statusError("") }

func (r *Response) statusError(detail string) error {
	switch {
	case r.Status >= 200 && r.Status < 300:
		return nil
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		return Errorf(ReasonAuth, "%s: credentials rejected: HTTP %d%s", r.Op, r.Status, detail)
	case r.Status == http.StatusTooManyRequests:
		e := Errorf(ReasonRateLimited, "%s: rate limited: HTTP 429%s", r.Op, detail)
		e.RetryAfter = ParseRetryAfter(r.Header.Get("Retry-After"), time.Now())
		return e
	default:
		return Errorf(ReasonHTTPStatus, "%s: expected HTTP 200, got %d%s", r.Op, r.Status, detail)
	}
}

// Detail describes the body for an error message: " with an empty body" or
// " with body " and a redacted, bounded quote of it.
func (r *Response) Detail() string {
	if len(bytes.TrimSpace(r.Body)) == 0 {
		return " with an empty body"
	}
	return " with body " + r.Snippet()
}

// ExpectContentType returns a bad_response error unless the response's
// media type is one of want. A response without Content-Type passes: the
// body's parser decides.
func (r *Response) ExpectContentType(want ...string) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, w := range want {
			if strings.EqualFold(mt, w) {
				return nil
			}
		}
	}
	return Errorf(ReasonBadResponse, "%s: expected Content-Type %s, got %q", r.Op, strings.Join(want, " or "), Bound(r.redactor.Redact(ct)))
}

// DecodeJSON decodes the body into v; anything but one JSON value is a
// bad_response error.
func (r *Response) DecodeJSON(v any) error {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	if err := dec.Decode(v); err != nil {
		return &Error{Reason: ReasonBadResponse, Msg: fmt.Sprintf("%s: expected a JSON object, got %s", r.Op, r.Snippet()), Err: err}
	}
	if _, err := dec.Token(); err != io.EOF {
		return Errorf(ReasonBadResponse, "%s: unexpected data after the JSON object in %s", r.Op, r.Snippet())
	}
	return nil
}

// DecodeJSONOK is the usual path of a JSON API: StatusError, then
// ExpectContentType application/json, then DecodeJSON into v.
func (r *Response) DecodeJSONOK(v any) error {
	if err := r.StatusError(); err != nil {
		return err
	}
	if err := r.ExpectContentType("application/json"); err != nil {
		return err
	}
	return r.DecodeJSON(v)
}

// Snippet quotes the start of a body for an error message.
func Snippet(b []byte) string {
	const max = 80
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "an empty body"
	}
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "…"
	}
	return strconv.Quote(string(b))
}

// ParseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
// It returns 0 when the header is missing or unreadable.
func ParseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		if s > math.MaxInt64/int64(time.Second) {
			s = math.MaxInt64 / int64(time.Second)
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// ParseAmount parses a decimal amount given as text. Empty, NaN and
// infinite values are errors.
func ParseAmount(s string) (float64, error) {
	s = strings.TrimSpace(s)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("expected a decimal amount, got %q", Bound(s))
	}
	return v, nil
}

// Amount is a JSON amount given either as a number or as a string holding
// a number ("457.00"). A missing or null Amount has Set false.
type Amount struct {
	Value float64
	Set   bool
}

// UnmarshalJSON accepts a JSON number, a string holding a number, or null.
func (a *Amount) UnmarshalJSON(b []byte) error {
	s := string(bytes.TrimSpace(b))
	if s == "null" {
		*a = Amount{}
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		s = str
	}
	v, err := ParseAmount(s)
	if err != nil {
		return err
	}
	*a = Amount{Value: v, Set: true}
	return nil
}

// NewRequest builds a request for base+path with the account's User-Agent.
func NewRequest(ctx context.Context, acct Settings, method, path string, body io.Reader) (*http.Request, error) {
	u := strings.TrimRight(acct.BaseURL, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, fmt.Errorf("building %s %s: %w", method, path, err)
	}
	if acct.UserAgent != "" {
		req.Header.Set("User-Agent", acct.UserAgent)
	}
	return req, nil
}

// HTTPClient returns the account's HTTP client or a shared default one
// (which refuses cross-origin redirects too).
func (a Settings) HTTPClient() *http.Client {
	if a.Client != nil {
		return a.Client
	}
	return defaultClient
}
