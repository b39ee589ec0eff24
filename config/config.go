// Package config reads, expands and validates the exporter's YAML
// configuration. Parsing is strict: every problem is reported with the file,
// the line and the key it concerns, and never with a credential's value.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	promconfig "github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
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
	// Warnings are problems that do not stop the configuration from loading
	// (deprecated spellings, insecure_skip_verify), as file:line: key: text.
	Warnings []string
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
	// Options are the provider's own settings (`options:`), decoded into the
	// provider's options struct with its defaults; nil for providers that
	// take none.
	Options providers.Options
	// HTTPClientConfig is the account's `http_client_config:`, or nil to use
	// the shared default client.
	HTTPClientConfig *promconfig.HTTPClientConfig
	// Timeout, CacheTTL and MaxStale are resolved against Defaults.
	Timeout, CacheTTL, MaxStale time.Duration
	// LowBalanceThreshold is the balance at or under which the account is low, if set.
	LowBalanceThreshold *float64
	// MaxConcurrency, when not 0, bounds the calls in flight at once to this
	// account's API host (the lowest of the accounts sharing a host wins);
	// for providers with a strict rate limit.
	MaxConcurrency int
	// Credentials are the resolved credential values by key (no _file suffix).
	Credentials map[string]Secret
	// Line is where the account starts in the file.
	Line int

	// secrets are the account's other secrets, read at load: those of
	// http_client_config (see providers.HTTPClientSecrets) and the values
	// of ${VAR} expanded anywhere in the account but its name.
	secrets []string
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

// SecretValues returns every secret of the account, for redaction: the
// credential values, the secrets of http_client_config (basic_auth
// password, authorization credentials, bearer token, oauth2 client secret,
// http_headers secrets, proxy passwords, inline or as the content of their
// files when the configuration was loaded), and the values of ${VAR}
// expanded anywhere in the account (base_url, options:,
// http_client_config:, …) but its name, which is a label shown by design.
func (a Account) SecretValues() []string {
	out := make([]string, 0, len(a.Credentials)+len(a.secrets))
	for _, k := range sortedKeys(a.Credentials) {
		out = append(out, a.Credentials[k].Value())
	}
	for _, v := range a.secrets {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
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

// Size limits of what the configuration reads.
const (
	// MaxFileBytes bounds the configuration file.
	MaxFileBytes = 4 << 20
	// MaxSecretFileBytes bounds a *_file credential.
	MaxSecretFileBytes = providers.MaxSecretFileBytes
)

// Options say which providers accounts may name and where Parse looks
// things up; nil functions use the process environment and the file system.
type Options struct {
	// Providers are the providers accounts may name (the registry's list;
	// injected so that this package does not depend on every provider).
	Providers []providers.Spec
	// LookupEnv resolves ${VAR}; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile reads *_file credentials and the files named in
	// http_client_config; default ReadSecretFile, and readRegular with a
	// MaxFileBytes bound for TLS files. Setting it stubs the file system:
	// the TLS files are then read through it only to check that they can
	// be, and the account's HTTP client is built without them.
	ReadFile func(string) ([]byte, error)
}

// Load reads and validates the configuration file at path.
func Load(path string, opts Options) (*Config, error) {
	data, err := readRegular(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading configuration: %w", err)
	}
	return Parse(data, path, opts)
}

// ReadSecretFile reads a *_file credential: a regular file of at most
// MaxSecretFileBytes. Devices, FIFOs and directories are refused without
// blocking on them.
func ReadSecretFile(path string) ([]byte, error) { return readRegular(path, MaxSecretFileBytes) }

func readRegular(path string, limit int64) ([]byte, error) {
	return providers.ReadRegularFile(path, limit)
}

// Parse validates data read from file. Relative *_file paths are resolved
// against file's directory.
func Parse(data []byte, file string, opts Options) (*Config, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	d := &decoder{file: file, dir: filepath.Dir(file), opts: opts, expanded: map[*yaml.Node]bool{}, keyLines: map[*yaml.Node]int{}}
	d.readTLS = opts.ReadFile
	if opts.ReadFile == nil {
		d.opts.ReadFile = ReadSecretFile
		d.readTLS = func(p string) ([]byte, error) { return readRegular(p, MaxFileBytes) }
		d.realFiles = true
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Line: 1, Msg: "the file is empty; expected a mapping with `accounts:`"}
		}
		return nil, syntaxError(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Msg: "more than one YAML document; expected one"}
	}
	d.aliasBudget = max(maxAliasNodes, 2*d.scan(&doc))
	cfg := d.config(&doc)
	redact := d.redactor()
	if len(d.errs) > 0 {
		for _, err := range d.errs {
			var e *Error
			if errors.As(err, &e) {
				e.Msg = redact(e.Msg)
			}
		}
		return nil, errors.Join(d.errs...)
	}
	for i, w := range d.warnings {
		d.warnings[i] = redact(w)
	}
	cfg.Warnings = d.warnings
	return cfg, nil
}

// Bounds of what YAML aliases may add to the configuration. The loader
// copies the trees under options: and http_client_config: with their
// aliases resolved, where yaml.v3's own alias limit does not apply: nine
// aliases of nine aliases of … would otherwise make a file of a few
// hundred bytes gigabytes long.
const (
	// maxBlockAliasNodes bounds the nodes one block reaches through aliases.
	maxBlockAliasNodes = 10000
	// maxAliasNodes bounds the nodes reached through aliases in the whole
	// file, or twice the file's own nodes when that is more (so that one
	// anchor may still be reused by every account of a large file).
	maxAliasNodes = 1000000
)

// scan counts the nodes of the document, not following aliases, and
// collects the passwords of the URLs written in its scalars.
func (d *decoder) scan(n *yaml.Node) int {
	if n == nil || n.Kind == yaml.AliasNode {
		return 1
	}
	if n.Kind == yaml.ScalarNode {
		d.addURLSecrets(n.Value)
	}
	count := 1
	for _, c := range n.Content {
		count += d.scan(c)
	}
	return count
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxError turns yaml's "yaml: line N: msg" into file:N: msg.
func syntaxError(file string, err error) error {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{File: file, Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{File: file, Line: 1, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
}

type decoder struct {
	file     string
	dir      string
	opts     Options
	errs     []error
	warnings []string
	// expanded holds the scalar nodes whose value came from ${VAR}: their
	// value is never shown in a message.
	expanded map[*yaml.Node]bool
	// keyLines holds the line of the key of each value node of a mapping.
	keyLines map[*yaml.Node]int
	// secrets are the values of ${VAR} expansions and of URL passwords met
	// so far, redacted from every message.
	secrets []namedSecret
	// accountSecrets, when not nil, collects the ${VAR} values expanded in
	// the account being read (but for its name).
	accountSecrets *[]string
	// aliasBudget is how many more nodes aliases may add to the file;
	// blockAliases how many they added to the block being expanded, and
	// blockTooBig whether that block went over maxBlockAliasNodes.
	aliasBudget, blockAliases int
	blockTooBig               bool
	// budgetSpent says that chargeAliases found aliasBudget exhausted.
	budgetSpent bool
	// readTLS reads the TLS files of http_client_config; realFiles says
	// that the files are those of the file system (Options.ReadFile unset).
	readTLS   func(string) ([]byte, error)
	realFiles bool
}

// atKey returns a node at the line of n's key (n itself when unknown), for
// errors about a whole block such as credentials:.
func (d *decoder) atKey(n *yaml.Node) *yaml.Node {
	if line, ok := d.keyLines[n]; ok {
		return &yaml.Node{Line: line}
	}
	return n
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	d.errs = append(d.errs, &Error{File: d.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) warnf(n *yaml.Node, key, format string, args ...any) {
	d.warnings = append(d.warnings, (&Error{File: d.file, Line: n.Line, Key: key, Msg: fmt.Sprintf(format, args...)}).Error())
}

// quote shows a value in a message: quoted, unless it came from ${VAR}
// (it may be a secret put in the wrong place) or holds a URL's user info.
func (d *decoder) quote(n *yaml.Node, s string) string {
	if d.expanded[n] {
		return "a value from an environment variable (not shown)"
	}
	return strconv.Quote(providers.Bound(s))
}

func (d *decoder) lookup(id string) (providers.Spec, bool) {
	for _, s := range d.opts.Providers {
		if s.ID == id {
			return s, true
		}
	}
	return providers.Spec{}, false
}

func (d *decoder) ids() string {
	ids := make([]string, 0, len(d.opts.Providers))
	for _, s := range d.opts.Providers {
		ids = append(ids, s.ID)
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
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
		d.keyLines[resolve(v)] = k.Line
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
		d.expanded[n] = true
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
		d.addSecret(v, name)
		return v
	})
	if d.expanded[n] {
		d.addURLSecrets(out)
	}
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
			d.errorf(n, key, "expected a duration such as 30s or 5m, got %s", d.quote(n, s))
			return
		}
		if time.Duration(v) > maxDuration {
			d.errorf(n, key, "must be at most %s", model.Duration(maxDuration))
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
		v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			d.errorf(n, key, "expected a number, got %s", d.quote(n, s))
			return
		}
		*dst = &v
	}
}

// maxDuration bounds every duration, so that sums of them cannot overflow.
const maxDuration = 10 * 365 * 24 * time.Hour

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

// orDefault returns *v, or def when v is nil.
func orDefault(v *time.Duration, def time.Duration) time.Duration {
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
		Timeout:  orDefault(defs.Timeout, DefaultTimeout),
		CacheTTL: orDefault(defs.CacheTTL, DefaultCacheTTL),
		MaxStale: orDefault(defs.MaxStale, DefaultMaxStale),
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
		path := fmt.Sprintf("accounts[%d]", i)
		if !d.chargeAliases(n, path) {
			continue
		}
		a, ok := d.account(resolve(n), path, cfg.Defaults)
		if !ok {
			continue
		}
		if first, dup := names[a.Name]; dup {
			d.errorf(n, fmt.Sprintf("accounts[%d].name", i), "duplicate account name %s (first on line %d)", strconv.Quote(a.Name), first)
			continue
		}
		names[a.Name] = a.Line
		cfg.Accounts = append(cfg.Accounts, a)
	}
	return cfg
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// accountNodes are the nodes of an account's keys that are checked after
// the mapping is read.
type accountNodes struct {
	provider, baseURL, format, credentials, options, httpClient *yaml.Node
}

func (d *decoder) account(n *yaml.Node, path string, defs Defaults) (Account, bool) {
	before := len(d.errs)
	a := Account{Line: n.Line}
	var r rawDefaults
	var nodes accountNodes
	// Every ${VAR} value of the account is its secret (base_url's path may
	// hold a key), but for its name, a label shown everywhere by design.
	var expanded []string
	d.accountSecrets = &expanded
	defer func() { d.accountSecrets = nil }()
	fields := d.durations(&r)
	fields["name"] = func(v *yaml.Node, key string) {
		d.accountSecrets = nil
		d.str(&a.Name)(v, key)
		d.accountSecrets = &expanded
		if msg := checkLabelValue(a.Name); msg != "" {
			d.errorf(v, key, "%s", msg)
		}
	}
	fields["provider"] = func(v *yaml.Node, key string) { nodes.provider = v; d.str(&a.Provider)(v, key) }
	fields["base_url"] = func(v *yaml.Node, key string) { nodes.baseURL = v; d.str(&a.BaseURL)(v, key) }
	fields["currency"] = func(v *yaml.Node, key string) {
		d.str(&a.Currency)(v, key)
		if a.Currency != "" && !currencyCode.MatchString(a.Currency) {
			d.errorf(v, key, "expected an ISO 4217 code such as EUR, got %s", d.quote(v, a.Currency))
		}
	}
	fields["response_format"] = func(v *yaml.Node, key string) { nodes.format = v }
	fields["low_balance_threshold"] = d.number(&a.LowBalanceThreshold)
	fields["max_concurrency"] = func(v *yaml.Node, key string) {
		var f *float64
		d.number(&f)(v, key)
		switch {
		case f == nil:
		case *f < 1 || *f > 10000 || *f != math.Trunc(*f):
			d.errorf(v, key, "expected a whole number from 1 to 10000")
		default:
			a.MaxConcurrency = int(*f)
		}
	}
	fields["credentials"] = func(v *yaml.Node, key string) { nodes.credentials = v }
	fields["options"] = func(v *yaml.Node, key string) { nodes.options = v }
	fields["http_client_config"] = func(v *yaml.Node, key string) { nodes.httpClient = v }
	d.mapping(n, path, fields)
	if n.Kind != yaml.MappingNode {
		return a, false
	}
	d.checkDurations(n, path, r)
	a.Timeout = orDefault(r.Timeout, defs.Timeout)
	a.CacheTTL = orDefault(r.CacheTTL, defs.CacheTTL)
	a.MaxStale = orDefault(r.MaxStale, defs.MaxStale)

	if strings.TrimSpace(a.Name) == "" {
		d.errorf(n, join(path, "name"), "missing; every account needs a unique name")
	}
	spec, known := d.lookup(a.Provider)
	switch {
	case nodes.provider == nil || a.Provider == "":
		d.errorf(n, join(path, "provider"), "missing; one of %s", d.ids())
	case !known:
		d.errorf(nodes.provider, join(path, "provider"), "unknown provider %s; one of %s", d.quote(nodes.provider, a.Provider), d.ids())
	}
	if nodes.baseURL != nil && a.BaseURL != "" {
		if msg := checkBaseURL(a.BaseURL); msg != "" {
			d.errorf(nodes.baseURL, join(path, "base_url"), "%s", msg)
		}
	}
	if !known {
		return a, false
	}
	if a.BaseURL == "" {
		if spec.BaseURLRequired {
			d.errorf(n, join(path, "base_url"), "missing; provider %s needs the account's own API host", spec.ID)
		}
		a.BaseURL = spec.DefaultBaseURL
	}
	a.Credentials = d.credentials(n, nodes.credentials, join(path, "credentials"), spec)
	a.Options = d.options(n, nodes, path, spec, a.Credentials)
	a.HTTPClientConfig = d.httpClientConfig(nodes.httpClient, join(path, "http_client_config"), spec, a.Name)
	if len(d.errs) == before {
		d.construct(n, nodes, path, spec, a)
	}
	if len(d.errs) == before {
		for _, v := range append(expanded, providers.HTTPClientSecrets(a.HTTPClientConfig, "")...) {
			if !slices.Contains(a.secrets, v) {
				a.secrets = append(a.secrets, v)
			}
		}
	}
	return a, len(d.errs) == before
}

// checkLabelValue says what is wrong with an account name as a label value.
func checkLabelValue(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "must not contain control characters"
	case len(s) > 200:
		return "must be at most 200 bytes"
	}
	return ""
}

func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		if err == nil && u.User != nil {
			return "must not contain user info; credentials belong under credentials:"
		}
		return "expected an http:// or https:// URL with a host"
	case u.User != nil:
		return "must not contain user info; credentials belong under credentials:"
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery || strings.ContainsAny(s, "?#"):
		return "must not contain a query or a fragment"
	}
	return ""
}

// options decodes the account's `options:` strictly into the provider's own
// struct and validates it. The deprecated account-level response_format is
// read as options.response_format.
func (d *decoder) options(account *yaml.Node, nodes accountNodes, path string, spec providers.Spec, creds map[string]Secret) providers.Options {
	n := nodes.options
	if n != nil && (n.Tag == "!!null" || (n.Kind == yaml.MappingNode && len(n.Content) == 0)) {
		n = nil // options: {} is the defaults
	}
	if nodes.format != nil {
		key := join(path, "response_format")
		if n != nil && hasKey(n, "response_format") {
			d.errorf(nodes.format, key, "given twice; keep only options.response_format")
			return nil
		}
		d.warnf(nodes.format, key, "deprecated; write it as options.response_format")
		merged := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: nodes.format.Line, Column: nodes.format.Column}
		if n != nil {
			if n.Kind != yaml.MappingNode {
				d.errorf(n, join(path, "options"), "expected a mapping, got %s", kindName(n))
				return nil
			}
			merged.Content = append(merged.Content, n.Content...)
			merged.Line, merged.Column = n.Line, n.Column
		}
		keyNode := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "response_format", Line: nodes.format.Line, Column: nodes.format.Column}
		merged.Content = append(merged.Content, keyNode, nodes.format)
		n = merged
	}
	if spec.NewOptions == nil {
		if n != nil {
			at, key := n, join(path, "options")
			if nodes.format != nil {
				at, key = nodes.format, join(path, "response_format")
			}
			d.errorf(at, key, "not supported by provider %s, which takes no options", spec.ID)
		}
		return nil
	}
	opts := spec.NewOptions()
	optPath := join(path, "options")
	if n != nil {
		if !d.decodeStrict(n, optPath, opts) {
			return nil
		}
	}
	at := account
	if n != nil {
		at = n
	}
	if err := opts.Validate(); err != nil {
		d.fieldError(at, optPath, err)
		return nil
	}
	if cc, ok := opts.(providers.CredentialChecker); ok {
		if err := cc.CheckCredentials(sortedKeys(creds)); err != nil {
			d.fieldError(at, optPath, err)
			return nil
		}
	}
	return opts
}

// construct builds the account's provider as the collector will (no
// network call: a constructor only prepares its requests), so that what
// only the whole account shows — an options check that depends on the
// account's currency, say — is found at load, with the file and line, and
// a configuration that loads also starts.
func (d *decoder) construct(account *yaml.Node, nodes accountNodes, path string, spec providers.Spec, a Account) {
	if spec.New == nil {
		return
	}
	_, err := spec.New(providers.Settings{
		Name:        a.Name,
		BaseURL:     a.BaseURL,
		Currency:    a.Currency,
		Credentials: a.CredentialValues(),
		Options:     a.Options,
	})
	if err == nil {
		return
	}
	err = providers.NewRedactor(a.SecretValues()...).RedactError(err)
	at := account
	if nodes.options != nil && nodes.options.Kind == yaml.MappingNode {
		at = nodes.options
	}
	if providers.FieldOf(err) != "" {
		d.fieldError(at, join(path, "options"), err)
		return
	}
	d.errorf(account, path, "%v", err)
}

// fieldError records an options validation error at the line of the field
// it names, when it names one.
func (d *decoder) fieldError(n *yaml.Node, path string, err error) {
	field := providers.FieldOf(err)
	msg := err.Error()
	var fe *providers.FieldError
	if errors.As(err, &fe) {
		msg = fe.Err.Error()
	}
	if field == "" {
		d.errorf(n, path, "%s", msg)
		return
	}
	at := n
	if v := find(n, strings.Split(field, ".")); v != nil {
		at = v
	}
	d.errorf(at, join(path, field), "%s", msg)
}

// find returns the value node at the dotted path below mapping n, or nil.
// A key may be followed by list indexes, as in extra_balances[1].kind; a
// key that is itself written with brackets is found first as written.
func find(n *yaml.Node, keys []string) *yaml.Node {
	for _, k := range keys {
		if v := child(n, k); v != nil {
			n = v
			continue
		}
		m := indexedKey.FindStringSubmatch(k)
		if m == nil {
			return nil
		}
		if n = child(n, m[1]); n == nil {
			return nil
		}
		for _, idx := range listIndex.FindAllStringSubmatch(m[2], -1) {
			i, err := strconv.Atoi(idx[1])
			n = resolve(n)
			if err != nil || n.Kind != yaml.SequenceNode || i >= len(n.Content) {
				return nil
			}
			n = n.Content[i]
		}
	}
	return n
}

var (
	indexedKey = regexp.MustCompile(`^([^\[\]]+)((?:\[\d+\])+)$`)
	listIndex  = regexp.MustCompile(`\[(\d+)\]`)
)

// child returns the value of key in mapping n (the last one if it is given
// twice), or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var v *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			v = n.Content[i+1]
		}
	}
	return v
}

func hasKey(n *yaml.Node, key string) bool { return find(n, []string{key}) != nil }

// httpAuthKeys are the http_client_config keys that authenticate; only
// providers with Spec.HTTPClientAuth accept them.
var httpAuthKeys = []string{"basic_auth", "authorization", "oauth2", "bearer_token", "bearer_token_file", "http_headers"}

// httpClientConfig decodes the account's `http_client_config:`, checks
// that every file it names can be read, and builds the client of account
// name with it (which reads the TLS files, and makes no network call), so
// that a configuration that loads also starts.
func (d *decoder) httpClientConfig(n *yaml.Node, path string, spec providers.Spec, name string) *promconfig.HTTPClientConfig {
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind == yaml.MappingNode && !spec.HTTPClientAuth {
		bad := false
		for _, k := range httpAuthKeys {
			if v := findKey(n, k); v != nil {
				d.errorf(v, join(path, k), "not accepted for provider %s: its authentication comes from credentials:", spec.ID)
				bad = true
			}
		}
		if bad {
			return nil
		}
	}
	cfg := &promconfig.HTTPClientConfig{}
	if !d.decodeStrict(n, path, cfg) {
		return nil
	}
	cfg.SetDirectory(d.dir)
	if cfg.TLSConfig.InsecureSkipVerify {
		d.warnf(n, join(path, "tls_config.insecure_skip_verify"), "TLS certificates of this account's API are not verified")
	}
	before := len(d.errs)
	d.checkFiles(n, path, "", reflect.ValueOf(cfg))
	if len(d.errs) > before {
		return nil
	}
	build := *cfg
	if !d.realFiles {
		// Options.ReadFile stubs the file system: build without the TLS
		// files, which NewClient would read from the real one.
		build.TLSConfig.CAFile, build.TLSConfig.CertFile, build.TLSConfig.KeyFile = "", "", ""
		if build.OAuth2 != nil {
			o := *build.OAuth2
			o.TLSConfig.CAFile, o.TLSConfig.CertFile, o.TLSConfig.KeyFile = "", "", ""
			build.OAuth2 = &o
		}
	}
	if _, err := providers.NewClient(&build, name, nil); err != nil {
		d.errorf(d.atKey(n), path, "%v", err)
		return nil
	}
	return cfg
}

// tlsFiles are the keys of TLS files: certificates and keys, read with a
// larger bound than secrets (a CA bundle may be hundreds of KiB).
var tlsFiles = map[string]bool{"ca_file": true, "cert_file": true, "key_file": true}

// checkFiles checks that every file named in v, the decoded value of the
// block n at key rel below path (a *_file key, or an http_headers
// files: entry), is a regular file that can be read, and records an
// error at its key otherwise.
func (d *decoder) checkFiles(n *yaml.Node, path, rel string, v reflect.Value) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			fv := v.Field(i)
			switch {
			case name == "-":
			case strings.Contains(opts, "inline"):
				d.checkFiles(n, path, rel, fv)
			case strings.HasSuffix(name, "_file") && fv.Kind() == reflect.String:
				d.checkFile(n, path, join(rel, name), fv.String(), tlsFiles[name])
			case name == "files" && fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
				for j := 0; j < fv.Len(); j++ {
					d.checkFile(n, path, fmt.Sprintf("%s[%d]", join(rel, name), j), fv.Index(j).String(), false)
				}
			default:
				d.checkFiles(n, path, join(rel, name), fv)
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		keys := map[string]reflect.Value{}
		for iter.Next() {
			if iter.Key().Kind() == reflect.String {
				keys[iter.Key().String()] = iter.Value()
			}
		}
		for _, k := range sortedKeys(keys) {
			d.checkFiles(n, path, join(rel, k), keys[k])
		}
	}
}

// checkFile checks the file at p (already joined with the configuration's
// directory by SetDirectory), named at key rel of the block n below path.
func (d *decoder) checkFile(n *yaml.Node, path, rel, p string, tls bool) {
	if p == "" {
		return
	}
	read := d.opts.ReadFile
	if tls {
		read = d.readTLS
	}
	if _, err := read(p); err != nil {
		if rel == "authorization.credentials_file" && child(n, "bearer_token_file") != nil {
			rel = "bearer_token_file" // prometheus/common moves it to authorization
		}
		at := d.atKey(n)
		if v := find(n, strings.Split(rel, ".")); v != nil {
			at = v
		}
		d.errorf(at, join(path, rel), "cannot read file: %v", err)
	}
}

// findKey returns the key node of key in mapping n, or nil.
func findKey(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// maxTypeErrors bounds the problems (unknown or duplicate keys, values of
// the wrong type) reported for one options: or http_client_config: block;
// the rest are counted in one more line.
const maxTypeErrors = 10

var yamlErrLine = regexp.MustCompile(`^line (\d+): (.*)$`)
var yamlErrValue = regexp.MustCompile("`[^`]*`")

// decodeStrict expands ${VAR} in a copy of n, checks its keys against
// out's yaml tags, and decodes it into out. Errors name file, line and key
// and never show a value.
func (d *decoder) decodeStrict(n *yaml.Node, path string, out any) bool {
	before := len(d.errs)
	d.blockAliases, d.blockTooBig = 0, false
	n = d.expandTree(n, path, nil, "")
	if len(d.errs) > before {
		return false
	}
	d.knownFields(n, path, reflect.TypeOf(out))
	if more := len(d.errs) - before - maxTypeErrors; more > 0 {
		d.errs = d.errs[:before+maxTypeErrors]
		d.errorf(n, path, "… and %d more problems", more)
	}
	if len(d.errs) > before {
		return false
	}
	if err := n.Decode(out); err != nil {
		var te *yaml.TypeError
		if errors.As(err, &te) {
			byLine := indexTyped(n, path, reflect.TypeOf(out))
			for i, e := range te.Errors {
				if i == maxTypeErrors {
					d.errorf(n, path, "… and %d more values of the wrong type", len(te.Errors)-maxTypeErrors)
					break
				}
				d.typeError(byLine, n, path, e)
			}
			return false
		}
		d.errorf(n, path, "%s", yamlErrValue.ReplaceAllString(err.Error(), "a value"))
		return false
	}
	return true
}

// yamlTypeErr is yaml.v3's message for a value of the wrong type.
var yamlTypeErr = regexp.MustCompile("^cannot unmarshal (!!\\w+)(?: `[^`]*`)? into (.+)$")

// typedNode is a value node of a block with its key path and the Go type
// it decodes into (nil when unknown).
type typedNode struct {
	node *yaml.Node
	path string
	typ  reflect.Type
}

// indexTyped returns the value nodes below the block n (decoded into t),
// n excluded, by line, in walkTyped's order: built once per block so that
// placing each of its type errors does not walk the block again.
func indexTyped(n *yaml.Node, path string, t reflect.Type) map[int][]typedNode {
	byLine := map[int][]typedNode{}
	walkTyped(n, path, t, func(v *yaml.Node, p string, vt reflect.Type) {
		if v != n {
			byLine[v.Line] = append(byLine[v.Line], typedNode{v, p, vt})
		}
	})
	return byLine
}

// typeError records one of yaml.v3's type errors ("line N: cannot
// unmarshal !!seq into string") about the block n, whose value nodes not
// yet blamed for an error are byLine (see indexTyped), at the key of the
// value it concerns, in the loader's words: "expected a string, got a list".
func (d *decoder) typeError(byLine map[int][]typedNode, n *yaml.Node, path string, e string) {
	line, msg := n.Line, e
	if m := yamlErrLine.FindStringSubmatch(e); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	m := yamlTypeErr.FindStringSubmatch(msg)
	var found *yaml.Node
	var foundPath string
	var foundType reflect.Type
	score, at := -1, 0
	for i, c := range byLine[line] {
		s := 0
		if m != nil && c.node.Tag == m[1] {
			s += 2
		}
		if m != nil && c.typ != nil && c.typ.String() == m[2] {
			s++
		}
		if s > score {
			found, foundPath, foundType, score, at = c.node, c.path, c.typ, s, i
		}
	}
	if found != nil {
		// Each value has one error: the next one on the line is another's
		// (a flow list puts many values of the wrong type on one line).
		byLine[line] = slices.Delete(byLine[line], at, at+1)
	}
	if found == nil {
		d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: path, Msg: yamlErrValue.ReplaceAllString(msg, "a value")})
		return
	}
	if m != nil {
		msg = fmt.Sprintf("expected %s, got %s", expectedType(m[2], foundType), kindName(found))
	} else {
		msg = yamlErrValue.ReplaceAllString(msg, "a value")
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Key: foundPath, Msg: msg})
}

// expectedType words what a value decoded into the Go type named goType
// (as yaml.v3 names it), of reflect type t when known, should be.
func expectedType(goType string, t reflect.Type) string {
	switch {
	case goType == "time.Duration":
		return "a duration such as 30s or 5m"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int") || strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping"
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "a value of another type"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	}
	return "a mapping"
}

// walkTyped calls fn with every value node below n (mapping values and
// list entries, n included) with its key path and the Go type it decodes
// into under t (nil when unknown).
func walkTyped(n *yaml.Node, path string, t reflect.Type, fn func(*yaml.Node, string, reflect.Type)) {
	fn(n, path, t)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch n.Kind {
	case yaml.SequenceNode:
		var et reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			et = t.Elem()
		}
		for i, c := range n.Content {
			walkTyped(c, fmt.Sprintf("%s[%d]", path, i), et, fn)
		}
	case yaml.MappingNode:
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		case t.Kind() == reflect.Struct:
			fields = map[string]reflect.Type{}
			elem = collectFields(t, fields)
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			ft, ok := fields[k]
			if !ok {
				ft = elem
			}
			walkTyped(n.Content[i+1], join(path, k), ft, fn)
		}
	}
}

// expandTree returns a deep copy of n with aliases resolved and ${VAR}
// expanded in every string scalar. alias is the outermost alias through
// which n was reached, if any, and aliasPath its key: the nodes reached
// through aliases are counted against maxBlockAliasNodes and the file's
// aliasBudget, and the copy stops, with an error at the alias, when either
// is exceeded.
func (d *decoder) expandTree(n *yaml.Node, path string, alias *yaml.Node, aliasPath string) *yaml.Node {
	if d.blockTooBig {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
	}
	if n.Kind == yaml.AliasNode && alias == nil {
		alias, aliasPath = n, path
	}
	n = resolve(n)
	if alias != nil && !d.countAliased(alias, aliasPath) {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
	}
	c := *n
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!str" && strings.Contains(n.Value, "$") {
			if s, ok := d.text(n, path, "a string"); ok {
				c.Value = s
				if d.expanded[n] {
					d.expanded[&c] = true
				}
			}
		}
	case yaml.MappingNode, yaml.SequenceNode:
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, child := range n.Content {
			childPath := fmt.Sprintf("%s[%d]", path, i)
			if n.Kind == yaml.MappingNode {
				if i%2 == 0 {
					// A key is not expanded, but it is a node the alias adds.
					if alias != nil && !d.countAliased(alias, aliasPath) {
						return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: n.Line}
					}
					c.Content[i] = child
					continue
				}
				childPath = join(path, n.Content[i-1].Value)
			}
			c.Content[i] = d.expandTree(child, childPath, alias, aliasPath)
		}
	}
	return &c
}

// countAliased counts one node reached through alias, at aliasPath,
// against maxBlockAliasNodes and the file's aliasBudget, and records an
// error at the alias when either is exceeded.
func (d *decoder) countAliased(alias *yaml.Node, aliasPath string) bool {
	d.blockAliases++
	d.aliasBudget--
	if d.blockAliases > maxBlockAliasNodes || d.aliasBudget < 0 {
		d.blockTooBig = true
		d.errorf(alias, aliasPath, "too many nodes through YAML aliases (at most %d in one block, and no more than the file's own nodes in all); write the values out",
			maxBlockAliasNodes)
		return false
	}
	return true
}

// chargeAliases counts against the file's aliasBudget the nodes, keys
// included, that aliases add to the account n at path, but for those
// inside its options: and http_client_config: blocks when these are
// written out (expandTree counts them as it copies the block; it does not
// see that the block itself is an alias), and says whether the budget
// holds. The first time it does not, an error is recorded at the alias;
// the accounts after that one are refused without more errors.
func (d *decoder) chargeAliases(n *yaml.Node, path string) bool {
	if n.Kind != yaml.MappingNode {
		return d.walkAliases(n, path, nil)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && (k.Value == "options" || k.Value == "http_client_config") && v.Kind != yaml.AliasNode {
			continue // expandTree counts the aliases inside
		}
		if !d.walkAliases(k, path, nil) || !d.walkAliases(v, join(path, k.Value), nil) {
			return false
		}
	}
	return true
}

// walkAliases charges the nodes below n (at path) that are reached through
// an alias (alias, when n is itself below one) for chargeAliases.
func (d *decoder) walkAliases(n *yaml.Node, path string, alias *yaml.Node) bool {
	if n == nil {
		return true
	}
	if n.Kind == yaml.AliasNode && alias == nil {
		alias = n
	}
	if alias != nil {
		if d.aliasBudget--; d.aliasBudget < 0 {
			if !d.budgetSpent {
				d.budgetSpent = true
				d.errorf(alias, path, "too many nodes through YAML aliases (no more than the file's own nodes in all, or %d); write the values out", maxAliasNodes)
			}
			return false
		}
	}
	n = resolve(n)
	if n == nil {
		return true
	}
	for i, c := range n.Content {
		p := path // below an alias, the alias's own path
		if alias == nil {
			switch {
			case n.Kind == yaml.SequenceNode:
				p = fmt.Sprintf("%s[%d]", path, i)
			case n.Kind == yaml.MappingNode && i%2 == 1:
				p = join(path, n.Content[i-1].Value)
			}
		}
		if !d.walkAliases(c, p, alias) {
			return false
		}
	}
	return true
}

// knownFields checks that every key of mapping n names a field of t (by
// its yaml tag, inline structs included; any key where t has an inline
// map, whose values are checked against the map's element type),
// recursively, that no key of a mapping is given twice and that no
// mapping has more than maxMappingKeys keys.
func (d *decoder) knownFields(n *yaml.Node, path string, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.MappingNode && len(n.Content) > 2*maxMappingKeys {
		k := n.Content[2*maxMappingKeys]
		d.errorf(k, join(path, k.Value), "too many keys in one mapping (at most %d)", maxMappingKeys)
		return
	}
	switch {
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Interface):
		et := t
		if t.Kind() != reflect.Interface {
			et = t.Elem()
		}
		for i, c := range n.Content {
			d.knownFields(c, fmt.Sprintf("%s[%d]", path, i), et)
		}
		return
	case n.Kind == yaml.MappingNode && (t.Kind() == reflect.Map || t.Kind() == reflect.Interface):
		// Duplicate keys are refused here: yaml.v3 would record an error
		// for every pair of equal keys.
		et := t
		if t.Kind() == reflect.Map {
			et = t.Elem()
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			key := join(path, k.Value)
			if first, dup := seen[k.Value]; dup {
				d.errorf(k, key, "duplicate key (first on line %d)", first)
				continue
			}
			seen[k.Value] = k.Line
			d.knownFields(n.Content[i+1], key, et)
		}
		return
	case n.Kind != yaml.MappingNode || t.Kind() != reflect.Struct:
		return
	}
	fields := map[string]reflect.Type{}
	inline := collectFields(t, fields)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := join(path, k.Value)
		ft, ok := fields[k.Value]
		if !ok && inline != nil {
			ft, ok = inline, true
		}
		if !ok {
			d.errorf(k, key, "unknown key %s (accepted: %s)", strconv.Quote(providers.Bound(k.Value)), strings.Join(sortedKeys(fields), ", "))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, key, "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		d.knownFields(v, key, ft)
	}
}

// collectFields maps the yaml keys of struct t to their field types, and
// returns the element type of its inline map (whose keys are any other
// keys), if it has one.
func collectFields(t reflect.Type, out map[string]reflect.Type) (inlineMap reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				if m := collectFields(ft, out); m != nil {
					inlineMap = m
				}
			case reflect.Map:
				inlineMap = ft.Elem()
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return inlineMap
}

// maxMappingKeys bounds the keys of one mapping in options: and
// http_client_config: (yaml.v3 compares each key with every other).
const maxMappingKeys = 1000

// maxCredentials bounds the credentials of one account.
const maxCredentials = 64

// credentialName is what a credential key may be (the http provider's
// templates refer to them as .Credentials.NAME).
var credentialName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// credentials reads an account's credentials (KEY or KEY_file) and checks
// them against the provider's accepted combinations.
func (d *decoder) credentials(account, n *yaml.Node, path string, spec providers.Spec) map[string]Secret {
	anyKeys := spec.CredentialSets == nil
	accepted := map[string]bool{}
	for _, set := range spec.CredentialSets {
		for _, k := range set {
			accepted[k] = true
		}
	}
	want := describeSets(spec.CredentialSets)
	if n == nil || n.Tag == "!!null" {
		if anyKeys {
			return map[string]Secret{}
		}
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
	if len(n.Content) > 2*maxCredentials {
		k := n.Content[2*maxCredentials]
		d.errorf(k, join(path, k.Value), "too many credentials: an account takes at most %d", maxCredentials)
		return nil
	}
	before := len(d.errs)
	creds := map[string]Secret{}
	lines := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		key := join(path, k.Value)
		base, isFile := strings.CutSuffix(k.Value, "_file")
		switch {
		case anyKeys && !credentialName.MatchString(base):
			d.errorf(k, key, "a credential name must be letters, digits and _, starting with a letter or _")
			continue
		case !anyKeys && !accepted[base]:
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
		if msg := checkSecret(s); msg != "" {
			d.errorf(v, key, "%s", msg)
			continue
		}
		creds[base] = Secret(s)
	}
	if anyKeys {
		return creds
	}
	for _, set := range spec.CredentialSets {
		if sameKeys(set, creds) {
			return creds
		}
	}
	if len(d.errs) == before { // no per-key error explains it
		d.errorf(d.atKey(n), path, "provider %s needs %s; got %s", spec.ID, want, orNothing(sortedKeys(creds)))
	}
	return nil
}

// checkSecret says what is wrong with a credential value, never showing it.
func checkSecret(s string) string {
	switch {
	case s == "":
		return "is empty"
	case strings.TrimSpace(s) == "":
		return "is only white space"
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		return "contains a control character (a newline, NUL, …)"
	}
	return ""
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

// namedSecret is a value the loader never shows: the value of an
// environment variable (name says which) or a URL's password (name "").
type namedSecret struct{ value, name string }

// minRedactedBytes is the length under which a value is too short to be
// told from ordinary words, and is not redacted: a ${VAR} of 1 to 3
// characters (a duration, a currency) is no secret worth hiding.
const minRedactedBytes = 4

// addSecret records v, the value of ${name} (or a URL password when name
// is ""), to be redacted from every message, and, while an account is
// read (but for its name), as a secret of the account.
func (d *decoder) addSecret(v, name string) {
	if len(v) < minRedactedBytes {
		return
	}
	if d.accountSecrets != nil && !slices.Contains(*d.accountSecrets, v) {
		*d.accountSecrets = append(*d.accountSecrets, v)
	}
	for _, s := range d.secrets {
		if s.value == v {
			return
		}
	}
	d.secrets = append(d.secrets, namedSecret{value: v, name: name})
}

// urlUserInfo finds the user info of URLs in a text: scheme://userinfo@…,
// the user info ending at the last @ before a /, ? or #, as url.Parse
// reads it (also in texts url.Parse refuses, whose errors echo them).
var urlUserInfo = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.\-]*://([^/?#]*)@`)

// addURLSecrets records the passwords of the URLs in s (the whole user
// info when it has no password: it may be a token), raw and unescaped.
func (d *decoder) addURLSecrets(s string) {
	if !strings.Contains(s, "@") {
		return
	}
	for _, m := range urlUserInfo.FindAllStringSubmatch(s, -1) {
		secret := m[1]
		if _, pw, ok := strings.Cut(m[1], ":"); ok {
			secret = pw
		}
		d.addSecret(secret, "")
		if u, err := url.PathUnescape(secret); err == nil && u != secret {
			d.addSecret(u, "")
		}
	}
}

// redactor returns a function that removes the recorded secrets from a
// message: a value of 4 bytes or more (minRedactedBytes), as written or
// upper- or lower-cased (as a validator may have normalised it), becomes
// <value of ${NAME}> (or <redacted>) wherever it stands, even inside a
// longer word, and then any run of 8 characters of one of those forms, in
// any encoding, <secret> (see providers.Redactor).
func (d *decoder) redactor() func(string) string {
	if len(d.secrets) == 0 {
		return func(s string) string { return s }
	}
	var forms []namedSecret
	seen := map[string]bool{}
	for _, s := range d.secrets {
		for _, v := range []string{s.value, strings.ToUpper(s.value), strings.ToLower(s.value)} {
			if len(v) >= minRedactedBytes && !seen[v] {
				seen[v] = true
				forms = append(forms, namedSecret{value: v, name: s.name})
			}
		}
	}
	// Longest first: where two forms start at one place, the longer wins.
	sort.SliceStable(forms, func(i, j int) bool { return len(forms[i].value) > len(forms[j].value) })
	var long, oldNew []string
	for _, s := range forms {
		if len(s.value) >= 8 {
			long = append(long, s.value)
		}
		marker := "<redacted>"
		if s.name != "" {
			marker = "<value of ${" + s.name + "}>"
		}
		oldNew = append(oldNew, s.value, marker)
	}
	// One pass, so that a marker is never rewritten by a later value.
	whole := strings.NewReplacer(oldNew...)
	red := providers.NewRedactor(long...)
	return func(msg string) string { return red.Redact(whole.Replace(msg)) }
}
