package config

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
)

// attackProviders are testProviders and the generic http provider, whose
// options (templates, extra_balances) the attacks below go through.
var attackProviders = append(slices.Clone(testProviders), generic.Spec)

// attackEnv is the environment of the attacks: D7_TOKEN is the secret.
func attackEnv(k string) (string, bool) {
	switch k {
	case "D7_TOKEN":
		return "SUPERSECRETTOKEN1", true
	case "MYKEY":
		return "QUERYKEY-0123456789", true
	}
	return lookup(k)
}

// parseAt parses text as the file dir/exporter.yml (dir holds any files
// it names) with the attack providers and environment.
func parseAt(t *testing.T, dir, text string) (*Config, error) {
	t.Helper()
	return Parse([]byte(text), filepath.Join(dir, "exporter.yml"), Options{Providers: attackProviders, LookupEnv: attackEnv})
}

// assertError checks that err is one error at file:line: key: that
// contains want, and that it shows none of secrets nor any 8-character
// run of them.
func assertError(t *testing.T, err error, prefix, want string, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Parse() succeeded, want an error %q…", prefix)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, prefix) || !strings.Contains(msg, want) {
		t.Errorf("error\n  %s\nwant one starting with\n  %s\ncontaining\n  %s", msg, prefix, want)
	}
	for _, s := range secrets {
		for i := 0; i+8 <= len(s); i++ {
			if strings.Contains(msg, s[i:i+8]) {
				t.Errorf("error %q shows %q, a run of a secret", msg, s[i:i+8])
				break
			}
		}
	}
}

// bomb returns YAML anchors a0…a<levels-1>, each a list of nine aliases
// of the previous one: *a<levels-1> stands for 9^levels nodes.
func bomb(levels int) string {
	var b strings.Builder
	b.WriteString("x0: &a0 [x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < levels; i++ {
		refs := strings.Repeat(fmt.Sprintf("*a%d, ", i-1), 8) + fmt.Sprintf("*a%d", i-1)
		fmt.Fprintf(&b, "x%d: &a%d [%s]\n", i, i, refs)
	}
	return b.String()
}

// TestAliasBomb: nested aliases expanded under options: or
// http_client_config: are refused at an alias's line instead of being
// copied without limit (yaml.v3's own alias limit does not apply to the
// loader's hand-made copy).
func TestAliasBomb(t *testing.T) {
	const account = "  - name: %s\n    provider: test\n    base_url: https://api.example\n    credentials: {key: v}\n"
	for _, c := range []struct {
		name, text string
		keys       []string // prefixes of the keys of the errors
	}{
		{"options, 7 levels", "accounts:\n" + fmt.Sprintf(account, "a") + "    options:\n      nested:\n" + indent(bomb(7), "        "),
			[]string{"accounts[0].options.nested.x4"}},
		{"options, used", "accounts:\n" + fmt.Sprintf(account, "a") + "    options:\n      mode: slow\n      x: [&a [x, x, x, x, x, x, x, x, x]]\n" +
			"      uses: *a\n      nested: {depth: 1}\n" + "      y:\n" + indent(bomb(8), "        "), []string{"accounts[0].options.y.x4"}},
		{"tls_config in other accounts", "accounts:\n" + fmt.Sprintf(account, "a") + "    options:\n      nested:\n" + indent(bomb(5), "        ") +
			fmt.Sprintf(account, "b") + "    http_client_config: {tls_config: *a4}\n" +
			fmt.Sprintf(account, "c") + "    http_client_config: {tls_config: {ca: [*a4, *a4]}}\n",
			[]string{"accounts[0].options.nested.x4", "accounts[1].http_client_config.tls_config", "accounts[2].http_client_config.tls_config.ca[0]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseAt(t, t.TempDir(), c.text)
			if err == nil {
				t.Fatal("Parse() accepted the alias bomb")
			}
			ms := regexp.MustCompile(`exporter\.yml:(\d+): (\S+): too many nodes through YAML aliases`).FindAllStringSubmatch(err.Error(), -1)
			if len(ms) != len(c.keys) {
				t.Fatalf("want %d errors refusing the aliases at file:line: key:, got\n%.2000s", len(c.keys), err)
			}
			lines := strings.Split(c.text, "\n")
			for i, m := range ms {
				line, _ := strconv.Atoi(m[1])
				if line < 1 || line > len(lines) || !strings.Contains(lines[line-1], "*a") {
					t.Errorf("error at line %d, which holds no alias", line)
				}
				if !strings.HasPrefix(m[2], c.keys[i]) {
					t.Errorf("error at key %s, want %s…", m[2], c.keys[i])
				}
			}
			if len(err.Error()) > 4000 {
				t.Errorf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

func indent(s, prefix string) string {
	lines := strings.SplitAfter(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "") + "\n"
}

// TestNormalAliases: anchors reused for two accounts' options, an
// account, a TLS block and a scalar still load.
func TestNormalAliases(t *testing.T) {
	cfg, err := parseAt(t, "testdata/good", `defaults: &defs
  timeout: &t 5s
accounts:
  - name: a
    provider: test
    base_url: https://api.example
    timeout: *t
    credentials: {key: v}
    options: &opts {mode: slow, retries: 2, uses: [key], nested: {depth: 3}}
    http_client_config: &client
      tls_config: &tls {server_name: api.example}
  - name: b
    provider: test
    base_url: https://api.example
    credentials: {key: w}
    options: *opts
    http_client_config: {tls_config: *tls}
  - name: c
    provider: test
    base_url: https://api.example
    credentials: {key: w}
    options: {nested: {depth: 3}, uses: [key], retries: 2}
    http_client_config: *client
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Accounts) != 3 {
		t.Fatalf("%d accounts", len(cfg.Accounts))
	}
	for _, a := range cfg.Accounts {
		o := a.Options.(*testOptions)
		if o.Retries != 2 || o.Nested.Depth != 3 || a.HTTPClientConfig.TLSConfig.ServerName != "api.example" {
			t.Errorf("account %s: options %+v, client %+v", a.Name, o, a.HTTPClientConfig)
		}
	}
}

// TestAliasBudgetScales: a large file reusing one anchor in every account
// is not refused as a bomb.
func TestAliasBudgetScales(t *testing.T) {
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range 3000 {
		fmt.Fprintf(&b, "  - name: a%d\n    provider: test\n    base_url: https://api.example\n    credentials: {key: v}\n", i)
		if i == 0 {
			b.WriteString("    options: &opts {mode: slow, uses: [key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key, key]}\n")
		} else {
			b.WriteString("    options: *opts\n")
		}
	}
	cfg, err := parseAt(t, t.TempDir(), b.String())
	if err != nil {
		t.Fatalf("%.500s", err)
	}
	if len(cfg.Accounts) != 3000 {
		t.Fatalf("%d accounts", len(cfg.Accounts))
	}
}

// TestExpandedValuesNeverShown: a value that came from ${VAR} and a URL's
// password are redacted from every error, whoever wrote the message (the
// loader, a provider's Validate, prometheus/common, the os package).
func TestExpandedValuesNeverShown(t *testing.T) {
	const secret = "SUPERSECRETTOKEN1"
	for _, c := range []struct {
		name, account string
		prefix, want  string
		secrets       []string
	}{
		{"token_file", "    provider: d7networks\n    credentials:\n      token_file: ${D7_TOKEN}\n",
			"exporter.yml:5: accounts[0].credentials.token_file: ", "no such file", nil},
		{"smsonlinegh response_format", "    provider: smsonlinegh\n    credentials: {api_key: k}\n    options:\n      response_format: ${D7_TOKEN}\n",
			"exporter.yml:6: accounts[0].options.response_format: ", "expected json or xml", nil},
		{"http method", "    provider: http\n    options:\n      url: https://api.example/balance\n      balance_path: balance\n      method: ${D7_TOKEN}\n",
			"exporter.yml:7: accounts[0].options.method: ", "expected GET or POST", nil},
		{"http url template", "    provider: http\n    credentials: {api_key: k}\n    options:\n      url: \"http://host/{{ .Credentials.${D7_TOKEN} }}\"\n      balance_path: balance\n",
			"exporter.yml:6: accounts[0].options.url: ", "unknown credential", nil},
		{"tls min_version", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      tls_config:\n        min_version: ${D7_TOKEN}\n",
			"exporter.yml:", "accounts[0].http_client_config", nil},
		{"duplicate name", "    provider: d7networks\n    credentials: {token: t}\n  - name: ${D7_TOKEN}\n    provider: d7networks\n    credentials: {token: t}\n",
			"exporter.yml:5: accounts[1].name: ", "duplicate account name", nil},
		{"proxy password", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      proxy_url: \"http://user:PROXYPASSWORD99@pro xy:8080\"\n",
			"exporter.yml:", "accounts[0].http_client_config", []string{"PROXYPASSWORD99"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "  - name: ${D7_TOKEN}\n"
			if c.name == "duplicate name" {
				name = "  - name: SUPERSECRETTOKEN1\n"
			}
			_, err := parseAt(t, "testdata", "accounts:\n"+name+c.account)
			assertError(t, err, filepath.Join("testdata", c.prefix), c.want, append(c.secrets, secret)...)
		})
	}
}

// TestHTTPHeaders: http_client_config.http_headers loads (the keys of its
// inline map are header names) for providers that take auth from
// http_client_config, and is refused for built-in providers.
func TestHTTPHeaders(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hdr"), []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseAt(t, dir, `accounts:
  - name: a
    provider: test
    base_url: https://api.example
    http_client_config:
      http_headers:
        X-Api-Key: {values: ["v"]}
        X-Secret: {secrets: ["${D7_TOKEN}"]}
        X-File:
          files: [hdr]
`)
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.Accounts[0].HTTPClientConfig.HTTPHeaders.Headers
	if got := h["X-Api-Key"].Values; !slices.Equal(got, []string{"v"}) {
		t.Errorf("X-Api-Key values = %q", got)
	}
	if got := h["X-Secret"].Secrets; len(got) != 1 || string(got[0]) != "SUPERSECRETTOKEN1" {
		t.Errorf("X-Secret secrets not expanded")
	}
	if got := h["X-File"].Files; !slices.Equal(got, []string{filepath.Join(dir, "hdr")}) {
		t.Errorf("X-File files = %q", got)
	}
	for _, c := range []struct{ name, client, prefix, want string }{
		{"builtin", "    provider: d7networks\n    credentials: {token: t}\n    http_client_config:\n      http_headers: {X-Api-Key: {values: [v]}}\n",
			"exporter.yml:6: accounts[0].http_client_config.http_headers: ", "not accepted for provider d7networks"},
		{"unknown header key", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      http_headers:\n        X-Api-Key: {value: [v]}\n",
			"exporter.yml:7: accounts[0].http_client_config.http_headers.X-Api-Key.value: ", `unknown key "value" (accepted: files, secrets, values)`},
		{"reserved header", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      http_headers:\n        Authorization: {values: [v]}\n",
			"exporter.yml:", "not allowed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseAt(t, dir, "accounts:\n  - name: a\n"+c.client)
			assertError(t, err, filepath.Join(dir, c.prefix), c.want)
		})
	}
}

// TestTypeErrorsNameTheKey: a value of the wrong type in options: or
// http_client_config: is reported at its key, never showing the value.
func TestTypeErrorsNameTheKey(t *testing.T) {
	for _, c := range []struct{ name, account, prefix, want string }{
		{"options list for string", "    provider: smsonlinegh\n    credentials: {api_key: k}\n    options:\n      response_format: [1]\n",
			"exporter.yml:6: accounts[0].options.response_format: ", "expected a string, got a list"},
		{"follow_redirects maybe", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      follow_redirects: maybe\n",
			"exporter.yml:6: accounts[0].http_client_config.follow_redirects: ", "expected true or false, got a scalar (str)"},
		{"nested int", "    provider: test\n    base_url: https://api.example\n    options:\n      nested:\n        depth: [1, 2]\n",
			"exporter.yml:7: accounts[0].options.nested.depth: ", "expected a whole number, got a list"},
		{"list entry", "    provider: http\n    options:\n      url: https://api.example/\n      balance_path: a\n      extra_balances:\n        - {path: b, optional: maybe}\n",
			"exporter.yml:8: accounts[0].options.extra_balances[0].optional: ", "expected true or false, got a scalar (str)"},
		{"list is a mapping", "    provider: http\n    options:\n      url: https://api.example/\n      balance_path: a\n      extra_balances:\n        path: b\n",
			"exporter.yml:8: accounts[0].options.extra_balances: ", "expected a list, got a mapping"},
		{"expanded int", "    provider: test\n    base_url: https://api.example\n    options:\n      retries: ${D7_TOKEN}\n",
			"exporter.yml:6: accounts[0].options.retries: ", "expected a whole number, got a scalar (str)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseAt(t, "testdata", "accounts:\n  - name: a\n"+c.account)
			assertError(t, err, filepath.Join("testdata", c.prefix), c.want, "SUPERSECRETTOKEN1", "maybe")
		})
	}
}

// TestFieldErrorInList: a Validate error on a list entry's key is placed
// at that key's line.
func TestFieldErrorInList(t *testing.T) {
	_, err := parseAt(t, "testdata", `accounts:
  - name: a
    provider: http
    options:
      url: https://api.example/
      balance_path: a
      extra_balances:
        - {path: data.sms_balance, unit: credits}
        - path: data.x
          kind: bonus
`)
	assertError(t, err, filepath.Join("testdata", "exporter.yml:10: accounts[0].options.extra_balances[1].kind: "), "expected balance or credit_limit")

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a:\n  - x\n  - b: [1, {c: 2}]\n    d: 3\n"), &doc); err != nil {
		t.Fatal(err)
	}
	for path, line := range map[string]int{"a": 2, "a[0]": 2, "a[1]": 3, "a[1].b": 3, "a[1].d": 4, "a[1].b[1].c": 3,
		"a[2]": 0, "a[1].x": 0, "a[x]": 0, "a[-1]": 0, "a[1": 0, "a[0].b": 0, "a[1]b": 0} {
		got := 0
		if n := find(doc.Content[0], strings.Split(path, ".")); n != nil {
			got = n.Line
		}
		if got != line {
			t.Errorf("find(%s) at line %d, want %d", path, got, line)
		}
	}
}

// TestSecretValues: every secret of an account is redacted at run time:
// credentials, http_client_config's secrets (inline and from files) and
// values from ${VAR} under options: and http_client_config:.
func TestSecretValues(t *testing.T) {
	dir := t.TempDir()
	for name, v := range map[string]string{"pw": "password-from-file\n", "cred": "credentials-from-file", "bearer": "bearer-from-file",
		"oauth": "client-secret-from-file", "hdr": "header-from-file"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name, account string
		want          []string
	}{
		{"credentials and options", `    provider: http
    credentials: {api_key: api-key-value}
    options:
      url: https://api.example/balance?k=${MYKEY}
      balance_path: balance
`, []string{"api-key-value", "QUERYKEY-0123456789"}},
		{"basic_auth and headers", `    provider: test
    base_url: https://api.example
    http_client_config:
      basic_auth: {username: user, password: inline-password}
      http_headers:
        X-Secret: {secrets: [header-secret-value]}
        X-File: {files: [hdr]}
        X-Env: {values: ["${D7_TOKEN}"]}
`, []string{"inline-password", "header-secret-value", "header-from-file", "SUPERSECRETTOKEN1"}},
		{"basic_auth file", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      basic_auth: {username: u, password_file: pw}\n",
			[]string{"password-from-file"}},
		{"authorization", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      authorization: {credentials: auth-credentials}\n",
			[]string{"auth-credentials"}},
		{"authorization file", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      authorization: {credentials_file: cred}\n",
			[]string{"credentials-from-file"}},
		{"bearer_token", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      bearer_token: bearer-inline\n",
			[]string{"bearer-inline"}},
		{"bearer_token_file", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      bearer_token_file: bearer\n",
			[]string{"bearer-from-file"}},
		{"oauth2", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      oauth2: {client_id: id, client_secret: oauth-inline-secret, token_url: https://auth.example/token}\n",
			[]string{"oauth-inline-secret"}},
		{"oauth2 file", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      oauth2: {client_id: id, client_secret_file: oauth, token_url: https://auth.example/token}\n",
			[]string{"client-secret-from-file"}},
		{"proxy", "    provider: test\n    base_url: https://api.example\n    http_client_config:\n      proxy_url: http://user:${D7_TOKEN}@proxy.example:3128\n",
			[]string{"SUPERSECRETTOKEN1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseAt(t, dir, "accounts:\n  - name: a\n"+c.account)
			if err != nil {
				t.Fatal(err)
			}
			got := cfg.Accounts[0].SecretValues()
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("SecretValues() = %q, want it to hold %q", got, w)
				}
			}
			if slices.Contains(got, "") {
				t.Errorf("SecretValues() holds an empty value")
			}
			red := providers.NewRedactor(got...)
			for _, w := range c.want {
				if out := red.Redact("echo: " + w); strings.Contains(out, w) {
					t.Errorf("the account's Redactor leaves %q", out)
				}
			}
		})
	}
}

// TestClientChecked: --config.check (Parse) builds the account's HTTP
// client and reads every file of http_client_config, so that a missing
// CA or secret file fails the check, at the key's line, not the start.
func TestClientChecked(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notpem"), []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, client, prefix, want string }{
		{"ca_file", "      tls_config: {ca_file: /nonexistent/ca.pem}\n",
			"exporter.yml:6: accounts[0].http_client_config.tls_config.ca_file: ", "/nonexistent/ca.pem: no such file or directory"},
		{"ca_file not PEM", "      tls_config:\n        ca_file: notpem\n",
			"exporter.yml:5: accounts[0].http_client_config: ", "CA"},
		{"cert_file", "      tls_config: {cert_file: /nonexistent/cert.pem, key_file: notpem}\n",
			"exporter.yml:6: accounts[0].http_client_config.tls_config.cert_file: ", "no such file"},
		{"password_file", "      basic_auth:\n        username: u\n        password_file: /nonexistent/pw\n",
			"exporter.yml:8: accounts[0].http_client_config.basic_auth.password_file: ", "no such file"},
		{"client_secret_file", "      oauth2:\n        client_id: id\n        client_secret_file: /nonexistent/secret\n        token_url: https://auth.example/token\n",
			"exporter.yml:8: accounts[0].http_client_config.oauth2.client_secret_file: ", "no such file"},
		{"bearer_token_file device", "      bearer_token_file: /dev/zero\n",
			"exporter.yml:6: accounts[0].http_client_config.bearer_token_file: ", "not a regular file"},
		{"header file", "      http_headers:\n        X-A: {files: [/nonexistent/h]}\n",
			"exporter.yml:7: accounts[0].http_client_config.http_headers.X-A.files[0]: ", "no such file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseAt(t, dir, "accounts:\n  - name: a\n    provider: test\n    base_url: https://api.example\n    http_client_config:\n"+c.client)
			assertError(t, err, filepath.Join(dir, c.prefix), c.want)
		})
	}
}
