package providers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"
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
	// RetryAfter is the delay the provider asked for (429 Retry-After), or 0.
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
// ReasonTimeout for deadlines, ReasonNetwork for transport errors and
// ReasonBadResponse otherwise.
func Classify(err error) Reason {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Reason
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

// RetryAfter returns the delay a provider asked for in err, or 0.
func RetryAfter(err error) time.Duration {
	var pe *Error
	if errors.As(err, &pe) {
		return pe.RetryAfter
	}
	return 0
}
