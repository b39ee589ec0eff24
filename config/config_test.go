package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/rtisms"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsonlinegh"
)

var testEnv = map[string]string{"RTI_ID": "env-client-id", "RTI_SECRET": "env-secret", "EMPTY": "",
	"SECRET_TOKEN": "SUPERSECRETTOKEN1", "BAD_UTF8": "bad\xffname", "NOT_A_NUMBER": "twelve"}

// testOptions are the options of provider "test", which exercises what
// built-in providers may declare.
type testOptions struct {
	Mode    string   `yaml:"mode"`
	Retries int      `yaml:"retries"`
	Uses    []string `yaml:"uses"`
	Nested  struct {
		Depth int `yaml:"depth"`
	} `yaml:"nested"`
}

func (o *testOptions) Validate() error {
	if o.Mode != "slow" {
		return providers.FieldErrorf("mode", fmt.Errorf("expected slow, got %q", o.Mode))
	}
	if o.Nested.Depth < 0 {
		return providers.FieldErrorf("nested.depth", errors.New("must not be negative"))
	}
	return nil
}

func (o *testOptions) CheckCredentials(names []string) error {
	for _, u := range o.Uses {
		if !slices.Contains(names, u) {
			return providers.FieldErrorf("uses", fmt.Errorf("unknown credential %q", u))
		}
	}
	return nil
}

// testProviders are the providers the tests' configurations may name.
var testProviders = []providers.Spec{rtisms.Spec, d7networks.Spec, smsonlinegh.Spec, {
	ID: "test", BaseURLRequired: true, HTTPClientAuth: true,
	NewOptions: func() providers.Options { return &testOptions{Mode: "slow"} },
}}

func lookup(k string) (string, bool) {
	v, ok := testEnv[k]
	return v, ok
}

func load(t *testing.T, path string) (*Config, error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Parse(data, path, Options{LookupEnv: lookup, Providers: testProviders})
}

func TestBadFiles(t *testing.T) {
	cases := []struct {
		file string
		want []string // substrings of the error, in order of appearance
	}{
		{"unknown_key.yml", []string{`unknown_key.yml:6: accounts[0].tiemout: unknown key "tiemout" (accepted: base_url, cache_ttl, credentials, currency,`}},
		{"wrong_type_list.yml", []string{"wrong_type_list.yml:2: defaults.timeout: expected a duration such as 30s or 5m, got a list"}},
		{"wrong_type_bool.yml", []string{"wrong_type_bool.yml:4: accounts[0].currency: expected a string, got a scalar (bool)"}},
		{"bad_duration.yml", []string{`bad_duration.yml:2: defaults.cache_ttl: expected a duration such as 30s or 5m, got "5 minutes"`}},
		{"zero_timeout.yml", []string{"zero_timeout.yml:2: accounts[0].timeout: must be greater than 0"}},
		{"duplicate_name.yml", []string{`duplicate_name.yml:6: accounts[1].name: duplicate account name "a" (first on line 2)`}},
		{"duplicate_key.yml", []string{"duplicate_key.yml:4: accounts[0].provider: duplicate key (first on line 3)"}},
		{"unknown_provider.yml", []string{`unknown_provider.yml:3: accounts[0].provider: unknown provider "nosuchprovider"; one of d7networks, rtisms, smsonlinegh, test`}},
		{"missing_provider.yml", []string{"missing_provider.yml:2: accounts[0].provider: missing; one of d7networks, rtisms, smsonlinegh, test"}},
		{"missing_name.yml", []string{"missing_name.yml:2: accounts[0].name: missing"}},
		{"missing_credential.yml", []string{"missing_credential.yml:4: accounts[0].credentials: provider rtisms needs client_id + client_secret, or access_token; got client_id"}},
		{"no_credentials.yml", []string{"no_credentials.yml:2: accounts[0].credentials: missing; provider smsonlinegh needs api_key"}},
		{"mixed_credentials.yml", []string{"mixed_credentials.yml:4: accounts[0].credentials: provider rtisms needs client_id + client_secret, or access_token; got access_token + client_id"}},
		{"unexpected_credential.yml", []string{"unexpected_credential.yml:6: accounts[0].credentials.api_key: unexpected credential for provider d7networks, which needs token"}},
		{"unset_env.yml", []string{"unset_env.yml:5: accounts[0].credentials.token: environment variable NOT_SET_ANYWHERE is not set"}},
		{"unreadable_file.yml", []string{"unreadable_file.yml:5: accounts[0].credentials.token_file: cannot read secret file: stat ", "secrets/does-not-exist: no such file or directory"}},
		{"key_and_file.yml", []string{"key_and_file.yml:6: accounts[0].credentials.token_file: token is given twice (first on line 5); give either token or token_file"}},
		{"empty_credential.yml", []string{"empty_credential.yml:5: accounts[0].credentials.token: is empty"}},
		{"bad_base_url.yml", []string{`bad_base_url.yml:4: accounts[0].base_url: expected an http:// or https:// URL with a host`,
			"bad_base_url.yml:9: accounts[1].base_url: must not contain user info"}},
		{"bad_currency.yml", []string{`bad_currency.yml:4: accounts[0].currency: expected an ISO 4217 code such as EUR, got "eur"`}},
		{"response_format.yml", []string{"response_format.yml:4: accounts[0].response_format: not supported by provider d7networks, which takes no options",
			`response_format.yml:9: accounts[1].options.response_format: expected json or xml, got "csv"`}},
		{"bad_threshold.yml", []string{`bad_threshold.yml:4: accounts[0].low_balance_threshold: expected a number, got "lots"`,
			"bad_threshold.yml:9: accounts[1].max_concurrency: expected a whole number from 1 to 10000"}},
		{"syntax.yml", []string{"syntax.yml:5: invalid YAML: did not find expected ',' or ']'"}},
		{"empty.yml", []string{"empty.yml:1: the file is empty"}},
		{"accounts_not_list.yml", []string{"accounts_not_list.yml:2: accounts: expected a list of accounts, got a mapping"}},
		{"secret_in_wrong_type.yml", []string{"secret_in_wrong_type.yml:5: accounts[0].credentials.token: expected a string, got a list"}},
		{"options_unknown_key.yml", []string{`options_unknown_key.yml:6: accounts[0].options.responseformat: unknown key "responseformat" (accepted: response_format)`}},
		{"options_wrong_type.yml", []string{"options_wrong_type.yml:6: accounts[0].options.retries: expected a whole number, got a scalar (str)",
			"options_wrong_type.yml:8: accounts[0].options.nested.depth: expected a whole number, got a list"}},
		{"options_invalid.yml", []string{`options_invalid.yml:6: accounts[0].options.mode: expected slow, got "fast"`}},
		{"options_unknown_credential.yml", []string{`options_unknown_credential.yml:8: accounts[0].options.uses: unknown credential "missing"`}},
		{"options_not_taken.yml", []string{"options_not_taken.yml:5: accounts[0].options: not supported by provider d7networks, which takes no options"}},
		{"response_format_twice.yml", []string{"response_format_twice.yml:4: accounts[0].response_format: given twice; keep only options.response_format"}},
		{"http_client_auth_builtin.yml", []string{"http_client_auth_builtin.yml:5: accounts[0].http_client_config.basic_auth: not accepted for provider d7networks: its authentication comes from credentials:"}},
		{"http_client_unknown_key.yml", []string{`http_client_unknown_key.yml:6: accounts[0].http_client_config.tls_config.ca_fil: unknown key "ca_fil" (accepted: `}},
		{"base_url_required.yml", []string{"base_url_required.yml:2: accounts[0].base_url: missing; provider test needs the account's own API host"}},
		{"base_url_query.yml", []string{"base_url_query.yml:4: accounts[0].base_url: must not contain a query or a fragment",
			"base_url_query.yml:9: accounts[1].base_url: must not contain a query or a fragment"}},
		{"credential_control.yml", []string{"credential_control.yml:5: accounts[0].credentials.client_id: contains a control character",
			"credential_control.yml:6: accounts[0].credentials.client_secret: is only white space",
			"credential_control.yml:10: accounts[1].credentials.token: contains a control character"}},
		{"secret_file_device.yml", []string{"secret_file_device.yml:5: accounts[0].credentials.token_file: cannot read secret file: /dev/zero: not a regular file"}},
		{"duration_overflow.yml", []string{"duration_overflow.yml:2: defaults.cache_ttl: must be at most 10y",
			"duration_overflow.yml:6: accounts[0].max_stale: must be at most 10y"}},
		{"expanded_value_hidden.yml", []string{"expanded_value_hidden.yml:4: accounts[0].currency: expected an ISO 4217 code such as EUR, got a value from an environment variable (not shown)",
			"expanded_value_hidden.yml:6: accounts[0].timeout: expected a duration such as 30s or 5m, got a value from an environment variable (not shown)",
			"expanded_value_hidden.yml:5: accounts[0].base_url: must not contain user info"}},
		{"bad_name.yml", []string{"bad_name.yml:2: accounts[0].name: must be valid UTF-8",
			"bad_name.yml:6: accounts[1].name: must not contain control characters"}},
	}
	files, _ := filepath.Glob("testdata/bad/*.yml")
	if len(files) != len(cases) {
		t.Errorf("testdata/bad has %d files, the table %d: every bad file needs a case", len(files), len(cases))
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			cfg, err := load(t, filepath.Join("testdata", "bad", c.file))
			if err == nil {
				t.Fatalf("Parse() = %+v, want an error", cfg)
			}
			msg := err.Error()
			rest := msg
			for _, w := range c.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error\n  %s\ndoes not contain (in order)\n  %s", msg, w)
				}
				rest = rest[i+len(w):]
			}
			for _, secret := range []string{"super-secret-token-value", "file-secret-value", "user:pass", "SUPERSECRET", "twelve"} {
				if strings.Contains(msg, secret) {
					t.Errorf("error %q leaks %q", msg, secret)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestGoodFull(t *testing.T) {
	cfg, err := load(t, "testdata/good/full.yml")
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		File:     "testdata/good/full.yml",
		Defaults: Defaults{Timeout: 7 * time.Second, CacheTTL: 2 * time.Minute, MaxStale: 0},
		Accounts: []Account{
			{Name: "chile", Provider: "rtisms", BaseURL: "https://www.rti-sms.com", Currency: "CLP",
				Timeout: 7 * time.Second, CacheTTL: 2 * time.Minute, MaxStale: 0, Line: 6,
				Credentials: map[string]Secret{"client_id": "env-client-id", "client_secret": "pre-${literal}-env-secret"},
				secrets:     []string{"env-client-id", "env-secret"}},
			{Name: "marketing", Provider: "d7networks", BaseURL: "https://eu.proxy.example/d7/", Currency: "EUR",
				Timeout: 3 * time.Second, CacheTTL: 24 * time.Hour, MaxStale: 30 * time.Minute, LowBalanceThreshold: ptr(12.5), MaxConcurrency: 4, Line: 12,
				Credentials: map[string]Secret{"token": "file-secret-value"}},
			{Name: "ghana", Provider: "smsonlinegh", BaseURL: "https://api.smsonlinegh.com", Options: &smsonlinegh.Options{ResponseFormat: "xml"},
				Timeout: 7 * time.Second, CacheTTL: 2 * time.Minute, MaxStale: 0, Line: 23,
				Credentials: map[string]Secret{"api_key": "12345"}},
			{Name: "custom", Provider: "test", BaseURL: "https://api.example",
				Options: &testOptions{Mode: "slow", Retries: 3, Uses: []string{"key"}, Nested: struct {
					Depth int `yaml:"depth"`
				}{2}},
				HTTPClientConfig: customClient(),
				Timeout:          7 * time.Second, CacheTTL: 2 * time.Minute, MaxStale: 0, Line: 29,
				Credentials: map[string]Secret{"key": "env-secret"}, secrets: []string{"env-secret", "u"}},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Parse() =\n%#v\nwant\n%#v", cfg, want)
	}
}

func customClient() *promconfig.HTTPClientConfig {
	u, _ := url.Parse("http://proxy.example:3128")
	c := promconfig.DefaultHTTPClientConfig
	c.ProxyURL = promconfig.URL{URL: u}
	c.TLSConfig = promconfig.TLSConfig{CAFile: filepath.Join("testdata", "good", "ca.pem"), ServerName: "api.example"}
	c.BasicAuth = &promconfig.BasicAuth{Username: "u", Password: "env-secret"}
	return &c
}

// TestDeprecatedAndInsecure checks the warnings: the account-level
// response_format still works, and insecure_skip_verify is flagged.
func TestDeprecatedAndInsecure(t *testing.T) {
	cfg, err := load(t, "testdata/good/deprecated.yml")
	if err != nil {
		t.Fatal(err)
	}
	if o, ok := cfg.Accounts[0].Options.(*smsonlinegh.Options); !ok || o.ResponseFormat != "xml" {
		t.Errorf("options = %#v, want response_format xml", cfg.Accounts[0].Options)
	}
	want := []string{
		"testdata/good/deprecated.yml:4: accounts[0].response_format: deprecated; write it as options.response_format",
		"testdata/good/deprecated.yml:10: accounts[1].http_client_config.tls_config.insecure_skip_verify: TLS certificates of this account's API are not verified",
	}
	if !reflect.DeepEqual(cfg.Warnings, want) {
		t.Errorf("warnings =\n%q\nwant\n%q", cfg.Warnings, want)
	}
}

// TestReadSecretFile checks that only regular files of bounded size are
// read: a FIFO with no writer is refused at once instead of blocking.
func TestReadSecretFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, MaxSecretFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{fifo: "not a regular file", big: "larger than", "/dev/zero": "not a regular file", dir: "not a regular file"} {
		if _, err := ReadSecretFile(path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadSecretFile(%s) error = %v, want %q", path, err, want)
		}
	}
	cfgPath := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(cfgPath, make([]byte, MaxFileBytes+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(cfgPath, Options{Providers: testProviders}); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("Load(oversized) error = %v", err)
	}
}

func TestGoodDefaults(t *testing.T) {
	for file, accounts := range map[string]int{"minimal.yml": 1, "empty_accounts.yml": 0} {
		cfg, err := load(t, filepath.Join("testdata", "good", file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(cfg.Accounts) != accounts {
			t.Fatalf("%s: %d accounts, want %d", file, len(cfg.Accounts), accounts)
		}
		if cfg.Defaults != (Defaults{DefaultTimeout, DefaultCacheTTL, DefaultMaxStale}) {
			t.Errorf("%s: defaults = %+v", file, cfg.Defaults)
		}
		for _, a := range cfg.Accounts {
			if a.Timeout != DefaultTimeout || a.CacheTTL != DefaultCacheTTL || a.MaxStale != DefaultMaxStale || a.BaseURL != "https://api.d7networks.com" {
				t.Errorf("%s: account %+v did not inherit the defaults", file, a)
			}
		}
	}
}

// TestDocumentedExample checks that the top-level exporter.yml, the
// documented example, is valid.
func TestDocumentedExample(t *testing.T) {
	data, err := os.ReadFile("../exporter.yml")
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	cfg, err := Parse(data, "exporter.yml", Options{
		Providers: testProviders,
		LookupEnv: func(k string) (string, bool) { return "value-of-" + k, true },
		ReadFile:  func(p string) ([]byte, error) { read = append(read, p); return []byte("from-file\n"), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 3 || len(read) != 2 {
		t.Fatalf("%d accounts, %d secret files read; want 3 and 2", len(cfg.Accounts), len(read))
	}
	if got := cfg.Accounts[0].Credentials["client_secret"].Value(); got != "from-file" {
		t.Errorf("client_secret = %q, want the file's content without its newline", got)
	}
}

func TestLoadFromDisk(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), []byte("disk-token\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "exporter.yml")
	yml := "accounts:\n  - name: a\n    provider: d7networks\n    credentials:\n      token_file: token\n"
	if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path, Options{Providers: testProviders})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Accounts[0].Credentials["token"].Value(); got != "disk-token" {
		t.Fatalf("token = %q", got)
	}
	if _, err := Load(filepath.Join(dir, "missing.yml"), Options{Providers: testProviders}); err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Fatalf("Load(missing) error = %v", err)
	}
}

func TestSecretFormatting(t *testing.T) {
	s := Secret("hunter2-long")
	for _, got := range []string{s.String(), s.GoString()} {
		if strings.Contains(got, "hunter2") {
			t.Errorf("formatted secret %q shows its value", got)
		}
	}
	a := Account{Credentials: map[string]Secret{"token": s}}
	if got := strings.Join([]string{
		func() string { b, _ := s.MarshalText(); return string(b) }(),
		sprint(a),
	}, " "); strings.Contains(got, "hunter2") {
		t.Errorf("account formatting leaks the secret: %s", got)
	}
}

func sprint(v any) string { return fmt.Sprintf("%v %+v", v, v) }
