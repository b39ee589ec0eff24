// Package providers defines what every SMS provider client implements, the
// errors they return, and the HTTP helpers they share. Each provider lives in
// its own sub-package; providers/registry lists them.
package providers

import (
	"context"
	"errors"
	"net/http"
)

// Unit values of a Balance.
const (
	// UnitCurrency marks a balance that is an amount of money.
	UnitCurrency = "currency"
	// UnitCredits marks a balance that is a count of messages or credits.
	UnitCredits = "credits"
)

// Kind says what an amount means, and so which metric exports it.
type Kind int

// The kinds of amount a provider may report.
const (
	// KindBalance is credit held on the account: sms_balance.
	KindBalance Kind = iota
	// KindCreditLimit is a credit or overdraft limit that may be spent on
	// top of the balance: sms_balance_credit_limit.
	KindCreditLimit
)

// Balance is one amount a provider reports for an account.
type Balance struct {
	// Kind is KindBalance (the zero value) or KindCreditLimit.
	Kind Kind
	// Value is the amount.
	Value float64
	// Unit is UnitCurrency or UnitCredits.
	Unit string
	// Currency is the upper-case ISO 4217 code of a UnitCurrency amount, or
	// "" if unknown. Always "" for UnitCredits.
	Currency string
}

// Money returns a KindBalance amount of money in currency.
func Money(v float64, currency string) Balance {
	return Balance{Value: v, Unit: UnitCurrency, Currency: currency}
}

// Credits returns a KindBalance count of credits.
func Credits(v float64) Balance {
	return Balance{Value: v, Unit: UnitCredits}
}

// Provider asks one provider account for its balances.
type Provider interface {
	// Balances returns every amount the API reports for the account, the
	// main balance first (a low_balance_threshold applies to it). It must
	// honour ctx. Errors should be *Error so the caller can tell why it failed.
	Balances(ctx context.Context) ([]Balance, error)
}

// Settings is what a provider constructor receives for one account.
type Settings struct {
	// Name is the account's unique name in the configuration.
	Name string
	// BaseURL is the API root, already defaulted to Spec.DefaultBaseURL.
	BaseURL string
	// Currency is the account's `currency:`, for APIs that do not say.
	Currency string
	// Credentials holds the credential values by key (without the _file suffix).
	Credentials map[string]string
	// Options is the provider's options, as returned by Spec.NewOptions and
	// decoded from the account's `options:` (nil when the provider has none).
	Options Options
	// Client is the HTTP client to use; timeouts come from the context.
	Client *http.Client
	// UserAgent is sent with every request.
	UserAgent string
	// Redactor holds the account's secrets: the credentials, and tokens the
	// provider obtains at run time (AddSecret). Do uses it so that no error
	// quotes a secret; nil means one made from Credentials.
	Redactor *Redactor
}

// AddSecret makes value, a secret obtained at run time (an access token),
// redacted like the configured credentials.
func (s Settings) AddSecret(value string) {
	if s.Redactor != nil {
		s.Redactor.AddSecret(value)
	}
}

// RedactError returns err with the account's secrets redacted (see
// Redactor.RedactError): for errors a provider builds from values it found
// in an answer, which may echo a credential.
func (s Settings) RedactError(err error) error { return s.redactor().RedactError(err) }

// redactor returns s.Redactor, or one made from the credentials.
func (s Settings) redactor() *Redactor {
	if s.Redactor != nil {
		return s.Redactor
	}
	values := make([]string, 0, len(s.Credentials))
	for _, v := range s.Credentials {
		values = append(values, v)
	}
	return NewRedactor(values...)
}

// Do sends req with the account's HTTP client and reads the answer, like
// the package-level Do; its errors, and every quote of the answer made
// through the Response (Snippet, StatusError, DecodeJSON), have the
// account's secrets redacted before they are quoted or cut.
func (s Settings) Do(req *http.Request) (*Response, error) {
	r := s.redactor()
	resp, err := do(s.HTTPClient(), req, r)
	return resp, r.RedactError(err)
}

// Options are a provider's own settings, decoded strictly from an account's
// `options:` block into the struct Spec.NewOptions returns (yaml tags name
// the keys). Validate runs after decoding; a *FieldError names the key at
// fault so that the configuration error points at its line.
type Options interface {
	Validate() error
}

// Endpointer is implemented by a Provider or its Options that say where
// the provider calls (a Call's effective base URL, which a constructor may
// have changed from the account's base_url; the http provider's url): the
// collector counts the account's calls against that host's concurrency
// limit. EndpointURL returns "" when the host is not known before a call
// (a templated host).
type Endpointer interface {
	EndpointURL() string
}

// CredentialChecker is implemented by Options that refer to credentials by
// name (the http provider's templates); it runs at load with the names the
// account gives.
type CredentialChecker interface {
	CheckCredentials(names []string) error
}

// FieldError is an options validation error about one key (a dotted path
// below `options:`, such as "url" or "headers.Accept").
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Err.Error() }

// Unwrap returns the underlying error.
func (e *FieldError) Unwrap() error { return e.Err }

// FieldErrorf returns a *FieldError for field.
func FieldErrorf(field string, err error) error { return &FieldError{Field: field, Err: err} }

// FieldOf returns the field named by a *FieldError in err's chain, or "".
func FieldOf(err error) string {
	var fe *FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

// Spec describes a provider for the configuration and the registry.
type Spec struct {
	// ID is the value of `provider:` in the configuration.
	ID string
	// Name is a human readable name.
	Name string
	// DefaultBaseURL is used when an account sets no base_url.
	DefaultBaseURL string
	// BaseURLRequired makes base_url mandatory (each account has its own host).
	BaseURLRequired bool
	// CredentialSets lists the accepted combinations of credential keys;
	// an account must give exactly one of them. When nil, any keys are
	// accepted and none is required (the http provider).
	CredentialSets [][]string
	// NewOptions returns a fresh options value with its defaults set (a
	// pointer to a struct with yaml tags); nil when the provider takes no
	// `options:`.
	NewOptions func() Options
	// HTTPClientAuth says whether the auth fields of http_client_config
	// (basic_auth, authorization, oauth2, bearer_token) are accepted; only
	// for providers whose credentials do not say how to authenticate.
	HTTPClientAuth bool
	// New builds a client for one account.
	New func(Settings) (Provider, error)
	// Fake returns the provider's simulated API for tests and --demo (see
	// package simulator), or nil.
	Fake func() FakeAPI
	// Demo is the account --demo shows for this provider.
	Demo Demo
}

// FakeAPI is a provider's simulated API: it answers as the provider's
// documentation shows, for the accounts added to it. The simulator mounts
// it below /<provider id>, so its handler sees the provider's own paths.
type FakeAPI interface {
	http.Handler
	// AddAccount makes the account reachable with creds (keys as in
	// Spec.CredentialSets) hold w.
	AddAccount(creds map[string]string, w *Wallet)
}

// Demo describes the --demo account of a provider.
type Demo struct {
	// Name is the account's name (default: the provider id).
	Name string
	// Wallet is what the simulated account holds.
	Wallet Wallet
	// Currency is the account's `currency:` (for APIs that do not say).
	Currency string
	// Options is the account's `options:` block as YAML flow (e.g. "{sandbox: true}").
	Options string
	// LowBalanceThreshold is the account's threshold (0: none).
	LowBalanceThreshold float64
}
