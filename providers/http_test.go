package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 2 * time.Minute},
		{" 5 ", 5 * time.Second},
		{"-3", 0},
		{"soon", 0},
		{"Sun, 22 Nov 2026 10:01:30 GMT", 90 * time.Second},
		{"Sun, 22 Nov 2026 09:00:00 GMT", 0},
	}
	for _, c := range cases {
		if got := ParseRetryAfter(c.in, now); got != c.want {
			t.Errorf("ParseRetryAfter(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestAmount(t *testing.T) {
	cases := []struct {
		in      string
		want    Amount
		wantErr bool
	}{
		{`457.00`, Amount{457, true}, false},
		{`"457.00"`, Amount{457, true}, false},
		{`" 1e2 "`, Amount{100, true}, false},
		{`null`, Amount{}, false},
		{`""`, Amount{}, true},
		{`"NaN"`, Amount{}, true},
		{`"Inf"`, Amount{}, true},
		{`true`, Amount{}, true},
		{`"12,50"`, Amount{}, true},
	}
	for _, c := range cases {
		var a Amount
		err := json.Unmarshal([]byte(c.in), &a)
		if (err != nil) != c.wantErr || (err == nil && a != c.want) {
			t.Errorf("Unmarshal(%s) = %+v, %v; want %+v, error %v", c.in, a, err, c.want, c.wantErr)
		}
	}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func TestClassify(t *testing.T) {
	cases := []struct {
		err  error
		want Reason
	}{
		{Errorf(ReasonAuth, "x"), ReasonAuth},
		{fmt.Errorf("wrapped: %w", Errorf(ReasonRateLimited, "x")), ReasonRateLimited},
		{context.DeadlineExceeded, ReasonTimeout},
		{timeoutErr{}, ReasonTimeout},
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, ReasonNetwork},
		{errors.New("something odd"), ReasonBadResponse},
	}
	for _, c := range cases {
		if got := Classify(c.err); got != c.want {
			t.Errorf("Classify(%v) = %s, want %s", c.err, got, c.want)
		}
	}
}
