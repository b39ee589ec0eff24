package providers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
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

func TestCutMessage(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int // length of the result
		cut  bool
	}{
		{"short", "abc", 3, false},
		{"exactly the limit", strings.Repeat("a", MaxErrorBytes), MaxErrorBytes, false},
		{"one over", strings.Repeat("a", MaxErrorBytes+1), MaxErrorBytes, true},
		// é is two bytes: the cut falls inside one and backs off to its start.
		{"multi-byte at the cut", strings.Repeat("é", MaxErrorBytes), MaxErrorBytes - 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := CutMessage(tc.in)
			if len(got) != tc.want || strings.HasSuffix(got, "…") != tc.cut || !utf8.ValidString(got) {
				t.Errorf("CutMessage: %d bytes, ellipsis %v, valid %v; want %d bytes, ellipsis %v",
					len(got), strings.HasSuffix(got, "…"), utf8.ValidString(got), tc.want, tc.cut)
			}
		})
	}
}

func TestBoundError(t *testing.T) {
	inner := &net.OpError{Op: "read", Err: errors.New(strings.Repeat("x", 10000))}
	err := BoundError(inner)
	if n := len([]rune(err.Error())); n > maxTextRunes+1 {
		t.Errorf("BoundError text of %d characters", n)
	}
	var oe *net.OpError
	if !errors.As(err, &oe) || oe != inner {
		t.Error("BoundError hides the error it bounds from errors.As")
	}
	if BoundError(nil) != nil {
		t.Error("BoundError(nil) != nil")
	}
}

func TestNormalizeCurrency(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"EUR", "EUR", true},
		{"ngn", "NGN", true},
		{" GHS ", "GHS", true},
		{"ngn\n", "", false},
		{"\tUSD", "", false},
		{"N\nG", "", false},
		{"EURO", "", false},
		{"E1R", "", false},
		{"", "", false},
		{"€UR", "", false},
		{`"EU`, "", false},
	} {
		got, ok := NormalizeCurrency(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("NormalizeCurrency(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
