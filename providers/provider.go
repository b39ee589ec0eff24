// Package providers defines what every SMS provider client implements, the
// errors they return, and the HTTP helpers they share. Each provider lives in
// its own sub-package; providers/registry lists them.
package providers

import (
	"context"
	"net/http"
)

// Unit values of a Balance.
const (
	// UnitCurrency marks a balance that is an amount of money.
	UnitCurrency = "currency"
	// UnitCredits marks a balance that is a count of messages or credits.
	UnitCredits = "credits"
)

// Balance is what a provider reports for one account.
type Balance struct {
	// Value is the amount left.
	Value float64
	// Unit is UnitCurrency or UnitCredits.
	Unit string
	// Currency is the ISO 4217 code for UnitCurrency balances, or "" if unknown.
	Currency string
}

// Provider asks one provider account for its balance.
type Provider interface {
	// Balance returns the account's current balance. It must honour ctx.
	// Errors should be *Error so the caller can tell why it failed.
	Balance(ctx context.Context) (Balance, error)
}

// Account is what a provider constructor receives from the configuration.
type Account struct {
	// Name is the account's unique name in the configuration.
	Name string
	// BaseURL is the API root, already defaulted to Spec.DefaultBaseURL.
	BaseURL string
	// Currency is the ISO code configured for providers whose API does not say.
	Currency string
	// ResponseFormat is a provider-specific wire format choice ("" for the default).
	ResponseFormat string
	// Credentials holds the credential values by key (without the _file suffix).
	Credentials map[string]string
	// Client is the HTTP client to use; timeouts come from the context.
	Client *http.Client
	// UserAgent is sent with every request.
	UserAgent string
}

// Spec describes a provider for the configuration and the registry.
type Spec struct {
	// ID is the value of `provider:` in the configuration.
	ID string
	// Name is a human readable name.
	Name string
	// DefaultBaseURL is used when an account sets no base_url.
	DefaultBaseURL string
	// CredentialSets lists the accepted combinations of credential keys;
	// an account must give exactly one of them.
	CredentialSets [][]string
	// ResponseFormats lists the accepted response_format values; when empty,
	// the key is not accepted for this provider.
	ResponseFormats []string
	// New builds a client for one account.
	New func(Account) (Provider, error)
}
