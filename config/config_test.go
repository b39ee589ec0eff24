package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testEnv = map[string]string{"RTI_ID": "env-client-id", "RTI_SECRET": "env-secret", "EMPTY": ""}

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
	return Parse(data, path, Options{LookupEnv: lookup})
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
		{"unknown_provider.yml", []string{`unknown_provider.yml:3: accounts[0].provider: unknown provider "twilio"; one of d7networks, rtisms, smsonlinegh`}},
		{"missing_provider.yml", []string{"missing_provider.yml:2: accounts[0].provider: missing; one of d7networks, rtisms, smsonlinegh"}},
		{"missing_name.yml", []string{"missing_name.yml:2: accounts[0].name: missing"}},
		{"missing_credential.yml", []string{"missing_credential.yml:5: accounts[0].credentials: provider rtisms needs client_id + client_secret, or access_token; got client_id"}},
		{"no_credentials.yml", []string{"no_credentials.yml:2: accounts[0].credentials: missing; provider smsonlinegh needs api_key"}},
		{"mixed_credentials.yml", []string{"mixed_credentials.yml:5: accounts[0].credentials: provider rtisms needs client_id + client_secret, or access_token; got access_token + client_id"}},
		{"unexpected_credential.yml", []string{"unexpected_credential.yml:6: accounts[0].credentials.api_key: unexpected credential for provider d7networks, which needs token"}},
		{"unset_env.yml", []string{"unset_env.yml:5: accounts[0].credentials.token: environment variable NOT_SET_ANYWHERE is not set"}},
		{"unreadable_file.yml", []string{"unreadable_file.yml:5: accounts[0].credentials.token_file: cannot read secret file: open ", "secrets/does-not-exist: no such file or directory"}},
		{"key_and_file.yml", []string{"key_and_file.yml:6: accounts[0].credentials.token_file: token is given twice (first on line 5); give either token or token_file"}},
		{"empty_credential.yml", []string{"empty_credential.yml:5: accounts[0].credentials.token: is empty"}},
		{"bad_base_url.yml", []string{`bad_base_url.yml:4: accounts[0].base_url: expected an http:// or https:// URL, got "ftp://api.d7networks.com"`,
			"bad_base_url.yml:9: accounts[1].base_url: must not contain user info"}},
		{"bad_currency.yml", []string{`bad_currency.yml:4: accounts[0].currency: expected an ISO 4217 code such as EUR, got "eur"`}},
		{"response_format.yml", []string{"response_format.yml:4: accounts[0].response_format: not supported by provider d7networks",
			`response_format.yml:9: accounts[1].response_format: expected one of json, xml, got "csv"`}},
		{"bad_threshold.yml", []string{`bad_threshold.yml:4: accounts[0].low_balance_threshold: expected a number, got "lots"`}},
		{"syntax.yml", []string{"syntax.yml: yaml: line 5: did not find expected ',' or ']'"}},
		{"empty.yml", []string{"empty.yml:1: the file is empty"}},
		{"accounts_not_list.yml", []string{"accounts_not_list.yml:2: accounts: expected a list of accounts, got a mapping"}},
		{"secret_in_wrong_type.yml", []string{"secret_in_wrong_type.yml:5: accounts[0].credentials.token: expected a string, got a list"}},
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
			for _, secret := range []string{"super-secret-token-value", "file-secret-value", "user:pass"} {
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
				Credentials: map[string]Secret{"client_id": "env-client-id", "client_secret": "pre-${literal}-env-secret"}},
			{Name: "marketing", Provider: "d7networks", BaseURL: "https://eu.proxy.example/d7/", Currency: "EUR",
				Timeout: 3 * time.Second, CacheTTL: 24 * time.Hour, MaxStale: 30 * time.Minute, LowBalanceThreshold: ptr(12.5), Line: 12,
				Credentials: map[string]Secret{"token": "file-secret-value"}},
			{Name: "ghana", Provider: "smsonlinegh", BaseURL: "https://api.smsonlinegh.com", ResponseFormat: "xml",
				Timeout: 7 * time.Second, CacheTTL: 2 * time.Minute, MaxStale: 0, Line: 22,
				Credentials: map[string]Secret{"api_key": "12345"}},
		},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Fatalf("Parse() =\n%#v\nwant\n%#v", cfg, want)
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
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Accounts[0].Credentials["token"].Value(); got != "disk-token" {
		t.Fatalf("token = %q", got)
	}
	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil || !strings.Contains(err.Error(), "missing.yml") {
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
