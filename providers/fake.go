package providers

import (
	"math"
	"time"
)

// Behavior makes a simulated account misbehave.
type Behavior string

// The behaviours a simulated account can have.
const (
	// OK answers with the balance.
	OK Behavior = ""
	// Reject answers as the provider does for refused credentials.
	Reject Behavior = "reject"
	// Hang never answers (until the client gives up or the simulator closes).
	Hang Behavior = "hang"
	// ServerError answers HTTP 500 with an HTML page.
	ServerError Behavior = "server_error"
	// RateLimit answers as the provider does when throttling: HTTP 429 with
	// Retry-After: 120 for most (SMSC.ru: HTTP 200 with error_code 9).
	RateLimit Behavior = "rate_limit"
	// Garbage answers HTTP 200 with a body that is not the API's.
	Garbage Behavior = "garbage"
)

// Wallet is what a simulated account holds, for a FakeAPI.
type Wallet struct {
	// Balance is the amount at Since.
	Balance float64
	// DrainPerSecond makes the balance fall over time (never below 0).
	DrainPerSecond float64
	// Currency is the ISO code the API reports, for money.
	Currency string
	// Credits makes the balance a count of credits rather than money, for
	// APIs that can report either.
	Credits bool
	// CreditLimit is a credit limit, for APIs that report one (0: none).
	CreditLimit float64
	// Behavior makes the account misbehave.
	Behavior Behavior
	// Since is when the account was added (the simulator sets it).
	Since time.Time
}

// Amount returns the balance at now.
func (w *Wallet) Amount(now time.Time) float64 {
	if w.DrainPerSecond == 0 || w.Since.IsZero() {
		return w.Balance
	}
	return math.Max(w.Balance-w.DrainPerSecond*now.Sub(w.Since).Seconds(), 0)
}
