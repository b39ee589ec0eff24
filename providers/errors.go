package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"golang.org/x/oauth2"
)

// Reason classifies a failed refresh; it is the `reason` label of
// sms_provider_request_failures_total.
type Reason string

// The failure reasons.
const (
	ReasonAuth        Reason = "auth"
	ReasonTimeout     Reason = "timeout"
	ReasonRateLimited Reason = "rate_limited"
	ReasonHTTPStatus  Reason = "http_status"
	ReasonBadResponse Reason = "bad_response"
	ReasonNetwork     Reason = "network"
)

// Reasons lists every Reason, in a stable order.
var Reasons = []Reason{ReasonAuth, ReasonTimeout, ReasonRateLimited, ReasonHTTPStatus, ReasonBadResponse, ReasonNetwork}

// Error is a classified provider failure. Its message never contains
// credentials.
type Error struct {
	// Reason says which kind of failure this is.
	Reason Reason
	// Msg describes what was expected and what came.
	Msg string
	// RetryAfter is how long to wait before calling again: what the
	// provider asked for (429 Retry-After), or what its documentation
	// implies (SMSC.ru after a refused login or an IP block); 0 for none.
	RetryAfter time.Duration
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given reason and formatted message.
func Errorf(reason Reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Msg: fmt.Sprintf(format, args...)}
}

// Classify returns the Reason of err: the one of an *Error in its chain,
// the one of a refusal of an OAuth2 token endpoint (see retrieveReason),
// ReasonTimeout for deadlines, ReasonNetwork for transport errors and
// ReasonBadResponse otherwise.
func Classify(err error) Reason {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return retrieveReason(re)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return ReasonTimeout
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ReasonTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return ReasonNetwork
	}
	return ReasonBadResponse
}

// retrieveReason classifies a refusal of an OAuth2 token endpoint: a
// rejected client (HTTP 401 or 403, or the RFC 6749 errors invalid_client,
// unauthorized_client and invalid_grant, whatever the status) is
// ReasonAuth, HTTP 429 ReasonRateLimited, any other failure status
// ReasonHTTPStatus, and an error in a 2xx answer ReasonBadResponse.
func retrieveReason(re *oauth2.RetrieveError) Reason {
	switch re.ErrorCode {
	case "invalid_client", "unauthorized_client", "invalid_grant":
		return ReasonAuth
	}
	if re.Response == nil {
		return ReasonBadResponse
	}
	switch s := re.Response.StatusCode; {
	case s == http.StatusUnauthorized || s == http.StatusForbidden:
		return ReasonAuth
	case s == http.StatusTooManyRequests:
		return ReasonRateLimited
	case s >= 200 && s < 300:
		return ReasonBadResponse
	default:
		return ReasonHTTPStatus
	}
}

// RetryAfter returns the delay a provider asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}
