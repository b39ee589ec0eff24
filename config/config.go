// Package config reads, expands and validates the exporter's YAML
// configuration. Parsing is strict: every problem is reported with the file,
// the line and the key it concerns, and never with a credential's value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

// Built-in defaults, used where neither `defaults:` nor the account says.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultCacheTTL = 60 * time.Second
	DefaultMaxStale = time.Hour
)

// Config is a validated configuration.
type Config struct {
	// File is the path the configuration was read from.
	File string
	// Defaults are the values accounts inherit.
	Defaults Defaults
	// Accounts are the provider accounts, in file order, with defaults applied.
	Accounts []Account
}

// Defaults are the `defaults:` section, with built-in defaults applied.
type Defaults struct {
	// Timeout bounds one refresh of one account (token fetch + balance call).
	Timeout time.Duration
	// CacheTTL is how long a balance is served without asking the provider.
	CacheTTL time.Duration
	// MaxStale is how long the last good balance is still exposed after failures.
	MaxStale time.Duration
}

// Account is one provider account.
type Account struct {
	// Name is the `account` label; unique in the file.
	Name string
	// Provider is a registered provider id.
	Provider string
	// BaseURL is the API root (the provider's default unless set).
	BaseURL string
	// Currency is the ISO 4217 code for providers whose API does not say.
	Currency string
	// ResponseFormat is the provider-specific answer format ("" for its default).
	ResponseFormat string
	// Timeout, CacheTTL and MaxStale are resolved against Defaults.
	Timeout, CacheTTL, MaxStale time.Duration
	// LowBalanceThreshold is the balance at or under which the account is low, if set.
	LowBalanceThreshold *float64
	// Credentials are the resolved credential values by key (no _file suffix).
	Credentials map[string]Secret
	// Line is where the account starts in the file.
	Line int
}

// Secret is a credential value. It formats as "<secret>" so that it cannot
// leak through logs or error messages by accident; use Value for the text.
type Secret string

// String redacts the secret.
func (Secret) String() string { return "<secret>" }

// GoString redacts the secret.
func (Secret) GoString() string { return `"<secret>"` }

// MarshalText redacts the secret.
func (Secret) MarshalText() ([]byte, error) { return []byte("<secret>"), nil }

// Value returns the secret's text.
func (s Secret) Value() string { return string(s) }

// CredentialValues returns the plain credentials, for the provider client.
func (a Account) CredentialValues() map[string]string {
	m := make(map[string]string, len(a.Credentials))
	for k, v := range a.Credentials {
		m[k] = v.Value()
	}
	return m
}

// SecretValues returns every credential value, for redaction.
func (a Account) SecretValues() []string {
	out := make([]string, 0, len(a.Credentials))
	for _, v := range a.Credentials {
		out = append(out, v.Value())
	}
	return out
}

// Error is one problem in a configuration file.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
}

func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s: %s", e.File, e.Line, e.Key, e.Msg)
}

// Options change where Parse looks things up; zero values use the process
// environment and the file system.
type Options struct {
	// LookupEnv resolves ${VAR}; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads *_file credentials; default os.ReadFile.
	ReadFile func(string) ([]byte, error)
}

// Load reads and validates the configuration file at path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(data, path, Options{})
}

// Parse validates data read from file. Relative *_file paths are resolved
// against file's directory.
func Parse(data []byte, file string, opts Options) (*Config, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	d := &decoder{file: file, dir: filepath.Dir(file), opts: opts}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Msg: "the file is empty; expected a mapping with `accounts:`"}
		}
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document; expected one"}
	}
	cfg := d.config(&doc)
	if len(d.errs) > 0 {
		return nil, errors.Join(d.errs...)
	}
	return cfg, nil
}

type decoder struct {
	file string
	dir  string
	opts Options
	errs []error
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapping checks that n is a mapping whose keys are all in fields, each at
// most once, and calls the field's function with the value.
func (d *decoder) mapping(n *yaml.Node, path string, fields map[string]func(v *yaml.Node, key string)) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		fn, ok := fields[k.Value]
		if !ok {
			d.errorf(k, key, "unknown key %q (accepted: %s)", k.Value, strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, key, "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		fn(resolve(v), key)
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return "a scalar (" + strings.TrimPrefix(n.Tag, "!!") + ")"
	default:
		return "an empty document"
	}
}

var envRef = regexp.MustCompile(`\$\$|\$\{([^}]*)\}`)
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// text returns a scalar's value with ${VAR} expanded (and $$ for a literal
// $). ok is false when the value is missing (null), of the wrong type or
// refers to an unset variable; an error has been recorded then, except for
// null, which the caller judges. want names the expected type for messages.
func (d *decoder) text(n *yaml.Node, key, want string) (string, bool) {
	if n.Tag == "!!null" {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || n.Tag == "!!bool" || n.Tag == "!!binary" {
		d.errorf(n, key, "expected %s, got %s", want, kindName(n))
		return "", false
	}
	ok := true
	out := envRef.ReplaceAllStringFunc(n.Value, func(m string) string {
		if m == "$$" {
			return "$"
		}
		name := m[2 : len(m)-1]
		if !envName.MatchString(name) {
			d.errorf(n, key, "invalid environment variable reference %q", m)
			ok = false
			return ""
		}
		v, set := d.opts.LookupEnv(name)
		if !set {
			d.errorf(n, key, "environment variable %s is not set", name)
			ok = false
		}
		return v
	})
	return out, ok
}

func (d *decoder) str(dst *string) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		if s, ok := d.text(n, key, "a string"); ok {
			*dst = s
		}
	}
}

func (d *decoder) duration(dst **time.Duration) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		s, ok := d.text(n, key, "a duration such as 30s or 5m")
		if !ok {
			if n.Tag == "!!null" {
				d.errorf(n, key, "expected a duration such as 30s or 5m, got nothing")
			}
			return
		}
		v, err := model.ParseDuration(s)
		if err != nil {
			d.errorf(n, key, "expected a duration such as 30s or 5m, got %q", s)
			return
		}
		t := time.Duration(v)
		*dst = &t
	}
}

func (d *decoder) number(dst **float64) func(*yaml.Node, string) {
	return func(n *yaml.Node, key string) {
		s, ok := d.text(n, key, "a number")
		if !ok {
			if n.Tag == "!!null" {
				d.errorf(n, key, "expected a number, got nothing")
			}
			return
		}
		v, err := providers.ParseAmount(s)
		if err != nil {
			d.errorf(n, key, "expected a number, got %q", s)
			return
		}
		*dst = &v
	}
}

type rawDefaults struct {
	Timeout, CacheTTL, MaxStale *time.Duration
}

func (d *decoder) durations(r *rawDefaults) map[string]func(*yaml.Node, string) {
	return map[string]func(*yaml.Node, string){
		"timeout":   d.duration(&r.Timeout),
		"cache_ttl": d.duration(&r.CacheTTL),
		"max_stale": d.duration(&r.MaxStale),
	}
}

// checkDurations validates the durations set at node n under path.
func (d *decoder) checkDurations(n *yaml.Node, path string, r rawDefaults) {
	if r.Timeout != nil && *r.Timeout <= 0 {
		d.errorf(n, join(path, "timeout"), "must be greater than 0")
	}
	for key, v := range map[string]*time.Duration{"cache_ttl": r.CacheTTL, "max_stale": r.MaxStale} {
		if v != nil && *v < 0 {
			d.errorf(n, join(path, key), "must not be negative")
		}
	}
}

func pick(v *time.Duration, def time.Duration) time.Duration {
	if v != nil {
		return *v
	}
	return def
}

func (d *decoder) config(doc *yaml.Node) *Config {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	root = resolve(root)
	cfg := &Config{File: d.file}
	var defs rawDefaults
	var accountsNode *yaml.Node
	d.mapping(root, "", map[string]func(*yaml.Node, string){
		"defaults": func(n *yaml.Node, key string) {
			if n.Tag == "!!null" {
				return
			}
			d.mapping(n, key, d.durations(&defs))
			d.checkDurations(n, key, defs)
		},
		"accounts": func(n *yaml.Node, key string) { accountsNode = n },
	})
	cfg.Defaults = Defaults{
		Timeout:  pick(defs.Timeout, DefaultTimeout),
		CacheTTL: pick(defs.CacheTTL, DefaultCacheTTL),
		MaxStale: pick(defs.MaxStale, DefaultMaxStale),
	}
	if accountsNode == nil {
		if root.Kind == yaml.MappingNode {
			d.errorf(root, "accounts", "missing; list the provider accounts to watch")
		}
		return cfg
	}
	if accountsNode.Tag == "!!null" {
		return cfg
	}
	if accountsNode.Kind != yaml.SequenceNode {
		d.errorf(accountsNode, "accounts", "expected a list of accounts, got %s", kindName(accountsNode))
		return cfg
	}
	names := map[string]int{}
	for i, n := range accountsNode.Content {
		a, ok := d.account(resolve(n), fmt.Sprintf("accounts[%d]", i), cfg.Defaults)
		if !ok {
			continue
		}
		if first, dup := names[a.Name]; dup {
			d.errorf(n, fmt.Sprintf("accounts[%d].name", i), "duplicate account name %q (first on line %d)", a.Name, first)
			continue
		}
		names[a.Name] = a.Line
		cfg.Accounts = append(cfg.Accounts, a)
	}
	return cfg
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func (d *decoder) account(n *yaml.Node, path string, defs Defaults) (Account, bool) {
	before := len(d.errs)
	a := Account{Line: n.Line}
	var r rawDefaults
	var credNode *yaml.Node
	var providerNode, baseURLNode, formatNode *yaml.Node
	fields := d.durations(&r)
	fields["name"] = d.str(&a.Name)
	fields["provider"] = func(v *yaml.Node, key string) { providerNode = v; d.str(&a.Provider)(v, key) }
	fields["base_url"] = func(v *yaml.Node, key string) { baseURLNode = v; d.str(&a.BaseURL)(v, key) }
	fields["currency"] = func(v *yaml.Node, key string) {
		d.str(&a.Currency)(v, key)
		if a.Currency != "" && !currencyCode.MatchString(a.Currency) {
			d.errorf(v, key, "expected an ISO 4217 code such as EUR, got %q", a.Currency)
		}
	}
	fields["response_format"] = func(v *yaml.Node, key string) { formatNode = v; d.str(&a.ResponseFormat)(v, key) }
	fields["low_balance_threshold"] = d.number(&a.LowBalanceThreshold)
	fields["credentials"] = func(v *yaml.Node, key string) { credNode = v }
	d.mapping(n, path, fields)
	if n.Kind != yaml.MappingNode {
		return a, false
	}
	d.checkDurations(n, path, r)
	a.Timeout = pick(r.Timeout, defs.Timeout)
	a.CacheTTL = pick(r.CacheTTL, defs.CacheTTL)
	a.MaxStale = pick(r.MaxStale, defs.MaxStale)

	if strings.TrimSpace(a.Name) == "" {
		d.errorf(n, join(path, "name"), "missing; every account needs a unique name")
	}
	spec, known := registry.Lookup(a.Provider)
	switch {
	case providerNode == nil || a.Provider == "":
		d.errorf(n, join(path, "provider"), "missing; one of %s", strings.Join(registry.IDs(), ", "))
	case a.Provider != "" && !known:
		d.errorf(providerNode, join(path, "provider"), "unknown provider %q; one of %s", a.Provider, strings.Join(registry.IDs(), ", "))
	}
	if baseURLNode != nil && a.BaseURL != "" {
		if msg := checkBaseURL(a.BaseURL); msg != "" {
			d.errorf(baseURLNode, join(path, "base_url"), "%s", msg)
		}
	}
	if known {
		if a.BaseURL == "" {
			a.BaseURL = spec.DefaultBaseURL
		}
		if formatNode != nil && a.ResponseFormat != "" && !contains(spec.ResponseFormats, a.ResponseFormat) {
			if len(spec.ResponseFormats) == 0 {
				d.errorf(formatNode, join(path, "response_format"), "not supported by provider %s", spec.ID)
			} else {
				d.errorf(formatNode, join(path, "response_format"), "expected one of %s, got %q", strings.Join(spec.ResponseFormats, ", "), a.ResponseFormat)
			}
		}
		a.Credentials = d.credentials(n, credNode, join(path, "credentials"), spec)
	}
	return a, len(d.errs) == before
}

func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Sprintf("expected an http:// or https:// URL, got %q", s)
	case u.User != nil:
		return "must not contain user info; credentials belong under credentials:"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not contain a query or a fragment"
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// credentials reads an account's credentials (KEY or KEY_file) and checks
// them against the provider's accepted combinations.
func (d *decoder) credentials(account, n *yaml.Node, path string, spec providers.Spec) map[string]Secret {
	accepted := map[string]bool{}
	for _, set := range spec.CredentialSets {
		for _, k := range set {
			accepted[k] = true
		}
	}
	want := describeSets(spec.CredentialSets)
	if n == nil || n.Tag == "!!null" {
		at := account
		if n != nil {
			at = n
		}
		d.errorf(at, path, "missing; provider %s needs %s", spec.ID, want)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return nil
	}
	before := len(d.errs)
	creds := map[string]Secret{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := join(path, k.Value)
		base, isFile := strings.CutSuffix(k.Value, "_file")
		if !accepted[base] {
			d.errorf(k, key, "unexpected credential for provider %s, which needs %s", spec.ID, want)
			continue
		}
		if first, dup := lines[base]; dup {
			d.errorf(k, key, "%s is given twice (first on line %d); give either %s or %s_file", base, first, base, base)
			continue
		}
		lines[base] = k.Line
		s, ok := d.text(v, key, "a string")
		if !ok {
			if v.Tag == "!!null" {
				d.errorf(v, key, "is empty")
			}
			continue
		}
		if isFile {
			p := s
			if !filepath.IsAbs(p) {
				p = filepath.Join(d.dir, p)
			}
			b, err := d.opts.ReadFile(p)
			if err != nil {
				d.errorf(v, key, "cannot read secret file: %v", err)
				continue
			}
			s = strings.TrimRight(string(b), "\r\n")
		}
		if s == "" {
			d.errorf(v, key, "is empty")
			continue
		}
		creds[base] = Secret(s)
	}
	for _, set := range spec.CredentialSets {
		if sameKeys(set, creds) {
			return creds
		}
	}
	if len(d.errs) == before { // no per-key error explains it
		d.errorf(n, path, "provider %s needs %s; got %s", spec.ID, want, orNothing(sortedKeys(creds)))
	}
	return nil
}

func sameKeys(set []string, m map[string]Secret) bool {
	if len(set) != len(m) {
		return false
	}
	for _, k := range set {
		if _, ok := m[k]; !ok {
			return false
		}
	}
	return true
}

func describeSets(sets [][]string) string {
	parts := make([]string, len(sets))
	for i, s := range sets {
		parts[i] = strings.Join(s, " + ")
	}
	return strings.Join(parts, ", or ")
}

func orNothing(keys []string) string {
	if len(keys) == 0 {
		return "none"
	}
	return strings.Join(keys, " + ")
}
