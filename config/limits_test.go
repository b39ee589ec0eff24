package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// limitsEnv is attackEnv with the short and mixed-case values of the
// redaction tests below.
func limitsEnv(k string) (string, bool) {
	switch k {
	case "S5":
		return "pw123", true
	case "S6":
		return "abc123", true
	case "MIXED":
		return "Sup3rS3cretValue99", true
	case "PATHKEY":
		return "PathKeyQwErTyZxCv", true
	}
	return attackEnv(k)
}

// parseEnv parses text as testdata/exporter.yml with the attack providers
// and limitsEnv.
func parseEnv(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse([]byte(text), "testdata/exporter.yml", Options{Providers: attackProviders, LookupEnv: limitsEnv})
}

// TestTypeErrorsBounded: a block with thousands of values of the wrong type
// is reported in at most maxTypeErrors lines and one line for the rest,
// not one line per value (which took quadratic time to place).
func TestTypeErrorsBounded(t *testing.T) {
	const n = 20000
	text := "accounts:\n  - name: a\n    provider: http\n    options:\n      url: https://api.example/\n      balance_path: a\n      auth_status: [" +
		strings.Repeat("x, ", n-1) + "x]\n"
	_, err := parseEnv(t, text)
	if err == nil {
		t.Fatal("Parse() accepted auth_status: [x, …]")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > maxTypeErrors+1 {
		t.Fatalf("%d error lines, want at most %d; first: %s", len(lines), maxTypeErrors+1, lines[0])
	}
	if !strings.Contains(lines[0], "accounts[0].options.auth_status[0]: expected a whole number") {
		t.Errorf("first error %q does not name the entry", lines[0])
	}
	if !strings.Contains(lines[1], "accounts[0].options.auth_status[1]: ") {
		t.Errorf("second error %q does not name the second entry", lines[1])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, fmt.Sprintf("and %d more", n-maxTypeErrors)) {
		t.Errorf("last error %q does not count the rest", last)
	}
}

// TestCredentialsBounded: an account takes at most maxCredentials
// credentials, refused at the first key over, and credentials reached
// through an alias count against the file's alias budget, so that an
// anchor of thousands of keys reused by every account is refused early.
func TestCredentialsBounded(t *testing.T) {
	const keys, accounts = 20000, 60
	var b strings.Builder
	b.WriteString("accounts:\n")
	for i := range accounts {
		fmt.Fprintf(&b, "  - name: a%d\n    provider: http\n    options: {url: \"https://api.example/\", balance_path: a}\n", i)
		if i > 0 {
			b.WriteString("    credentials: *creds\n")
			continue
		}
		b.WriteString("    credentials: &creds\n")
		for k := range keys {
			fmt.Fprintf(&b, "      k%d: v\n", k)
		}
	}
	_, err := parseEnv(t, b.String())
	if err == nil {
		t.Fatal("Parse() accepted the credentials")
	}
	msg := err.Error()
	first := fmt.Sprintf("testdata/exporter.yml:%d: accounts[0].credentials.k%d: ", 6+maxCredentials, maxCredentials)
	if !strings.HasPrefix(msg, first) || !strings.Contains(strings.SplitN(msg, "\n", 2)[0], fmt.Sprintf("at most %d", maxCredentials)) {
		t.Errorf("first error %.300q, want it at %s…at most %d", msg, first, maxCredentials)
	}
	if !regexp.MustCompile(`exporter\.yml:\d+: accounts\[\d+\]\.credentials: too many nodes through YAML aliases`).MatchString(msg) {
		t.Errorf("no alias budget error in\n%.2000s", msg)
	}
	if n := strings.Count(msg, "\n") + 1; n > accounts {
		t.Errorf("%d error lines", n)
	}
}

// TestAliasKeysCounted: the keys of a mapping reached through an alias
// count against the alias budget, as its values do.
func TestAliasKeysCounted(t *testing.T) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("a: &a {k1: v, k2: v, k3: v}\nb: *a\n"), &doc); err != nil {
		t.Fatal(err)
	}
	d := &decoder{expanded: map[*yaml.Node]bool{}, keyLines: map[*yaml.Node]int{}, aliasBudget: 100}
	d.expandTree(doc.Content[0].Content[3], "b", nil, "")
	if got := 100 - d.aliasBudget; got != 7 {
		t.Errorf("an alias of a 3-key mapping counted as %d nodes, want 7", got)
	}
	if d.blockAliases != 7 {
		t.Errorf("block count %d, want 7", d.blockAliases)
	}
}

// TestSecretValuesWholeAccount: values of ${VAR} anywhere in the account
// but its name (a label, shown by design) are secrets of the account.
func TestSecretValuesWholeAccount(t *testing.T) {
	cfg, err := parseEnv(t, "accounts:\n  - name: ${MYKEY}\n    provider: test\n    base_url: https://api.example/nope/${PATHKEY}/x\n    credentials: {key: v}\n")
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Accounts[0].SecretValues()
	if !slices.Contains(got, "PathKeyQwErTyZxCv") {
		t.Errorf("SecretValues() = %q, want the ${PATHKEY} of base_url", got)
	}
	if slices.Contains(got, "QUERYKEY-0123456789") {
		t.Errorf("SecretValues() = %q holds the name", got)
	}
}

// TestRedactChangedCase: a value a validator upper- or lower-cased is
// still redacted, whole and in runs.
func TestRedactChangedCase(t *testing.T) {
	for _, c := range []struct{ name, options, prefix string }{
		{"method", "      method: ${MIXED}\n", "testdata/exporter.yml:7: accounts[0].options.method: "},
		{"format", "      format: ${MIXED}\n", "testdata/exporter.yml:7: accounts[0].options.format: "},
		{"unit", "      unit: ${MIXED}\n", "testdata/exporter.yml:7: accounts[0].options.unit: "},
		{"kind", "      extra_balances:\n        - {path: b, kind: \"x${MIXED}\"}\n", "testdata/exporter.yml:8: accounts[0].options.extra_balances[0].kind: "},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseEnv(t, "accounts:\n  - name: a\n    provider: http\n    options:\n      url: https://api.example/\n      balance_path: a\n"+c.options)
			v := "Sup3rS3cretValue99"
			assertError(t, err, c.prefix, "", v, strings.ToUpper(v), strings.ToLower(v))
		})
	}
	d := &decoder{}
	d.addSecret("Sup3rS3cretValue99", "MIXED")
	r := d.redactor()
	for in, want := range map[string]string{
		`got "SUP3RS3CRETVALUE99"`: `got "<value of ${MIXED}>"`,
		`got "sup3rs3cretvalue99"`: `got "<value of ${MIXED}>"`,
		`got "SUP3RS3CRETVALUE"`:   `got "<secret>"`,
	} {
		if got := r(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRedactShortInWord: values of 4 to 7 bytes are redacted where they
// stand inside a longer word too.
func TestRedactShortInWord(t *testing.T) {
	_, err := parseEnv(t, "accounts:\n  - name: a\n    provider: http\n    options:\n      url: https://api.example/\n      balance_path: \"data${S6}..\"\n")
	assertError(t, err, "testdata/exporter.yml:6: accounts[0].options.balance_path: ", "empty key")
	if err != nil && strings.Contains(err.Error(), "abc123") {
		t.Errorf("error shows ${S6}: %s", err)
	}
	_, err = parseEnv(t, "accounts:\n  - name: acct${S5}\n    provider: test\n    base_url: https://api.example\n    credentials: {key: v}\n"+
		"  - name: acct${S5}\n    provider: test\n    base_url: https://api.example\n    credentials: {key: v}\n")
	assertError(t, err, "testdata/exporter.yml:6: accounts[1].name: ", "duplicate account name")
	if err != nil && strings.Contains(err.Error(), "pw123") {
		t.Errorf("error shows ${S5}: %s", err)
	}
}

// TestBigMappingsRefused: yaml.v3 compares every key of a mapping with
// every other as it decodes it, and records an error for each pair of
// equal keys: the loader refuses duplicate keys and mappings of more than
// maxMappingKeys keys itself, before decoding, and reports at most
// maxTypeErrors problems of a block.
func TestBigMappingsRefused(t *testing.T) {
	const head = "accounts:\n  - name: a\n    provider: http\n    options:\n      url: https://api.example/\n      balance_path: a\n      headers:\n"
	var b strings.Builder
	for range 900 {
		b.WriteString("        X-A: v\n")
	}
	_, err := parseEnv(t, head+b.String())
	if err == nil {
		t.Fatal("Parse() accepted duplicate headers")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) > maxTypeErrors+1 || !strings.HasPrefix(lines[0], "testdata/exporter.yml:9: accounts[0].options.headers.X-A: duplicate key (first on line 8)") ||
		!strings.Contains(lines[len(lines)-1], "and 889 more") {
		t.Errorf("%d lines:\n%.1500s", len(lines), err)
	}

	b.Reset()
	for i := range maxMappingKeys + 1 {
		fmt.Fprintf(&b, "        X-%d: v\n", i)
	}
	_, err = parseEnv(t, head+b.String())
	want := fmt.Sprintf("testdata/exporter.yml:%d: accounts[0].options.headers.X-%d: too many keys in one mapping", 8+maxMappingKeys, maxMappingKeys)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %.300v, want %s…", err, want)
	}
}
