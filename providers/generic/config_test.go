package generic_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
)

// parseConfig loads a configuration holding only http accounts.
func parseConfig(text string) (*config.Config, error) {
	return config.Parse([]byte(text), "exporter.yml", config.Options{
		Providers: []providers.Spec{generic.Spec},
		LookupEnv: func(k string) (string, bool) { return "value-of-" + k, true },
	})
}

// TestConfigExtraBalances: extra_balances as the configuration loader reads
// it: strictly (unknown keys refused by the yaml tags), with Validate's
// errors naming the entry and its key, at the key's own line.
func TestConfigExtraBalances(t *testing.T) {
	const head = `accounts:
  - name: arkesel-gh
    provider: http
    credentials:
      api_key: ${ARKESEL_KEY}
    options:
      url: https://sms.arkesel.com/api/v2/clients/balance-details
      headers: {api-key: "{{ .Credentials.api_key }}"}
      balance_path: data.main_balance
      extra_balances:
`
	cfg, err := parseConfig(head + `        - path: data.sms_balance
          unit: Credits
        - {path: data.limit, currency_path: data.currency, kind: credit_limit, optional: true}
`)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	o, ok := cfg.Accounts[0].Options.(*generic.Options)
	if !ok {
		t.Fatalf("options are %T", cfg.Accounts[0].Options)
	}
	want := []generic.ExtraBalance{
		{Path: "data.sms_balance", Unit: "credits", Kind: "balance"},
		{Path: "data.limit", CurrencyPath: "data.currency", Unit: "currency", Kind: "credit_limit", Optional: true},
	}
	if !reflect.DeepEqual(o.ExtraBalances, want) {
		t.Errorf("extra_balances = %+v, want %+v", o.ExtraBalances, want)
	}

	for _, c := range []struct {
		name, entries string
		want          string // a substring of the error
	}{
		{"unknown key", "        - path: data.sms_balance\n          balance_path: x\n",
			`exporter.yml:12: accounts[0].options.extra_balances[0].balance_path: unknown key "balance_path" (accepted: currency_path, kind, optional, path, unit)`},
		{"not a list", "          path: data.sms_balance\n", "exporter.yml:11: accounts[0].options.extra_balances: expected a list, got a mapping"},
		{"no path", "        - unit: credits\n", "accounts[0].options.extra_balances[0].path: required"},
		{"bad kind", "        - {path: data.sms_balance, unit: credits}\n        - {path: data.x, kind: bonus}\n",
			`exporter.yml:12: accounts[0].options.extra_balances[1].kind: expected balance or credit_limit, got "bonus"`},
		{"credits twice", "        - {path: data.sms_balance, unit: credits}\n        - {path: data.sms, unit: credits}\n",
			"accounts[0].options.extra_balances[1].path: same series as extra_balances[0].path: both would be sms_balance in credits"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseConfig(head + c.entries)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Parse() = %v, want an error containing %q", err, c.want)
			}
		})
	}
}

// TestConfigChecksTheWholeAccount: a clash that only the account's
// currency: shows (two credit limits that would both take it) is found at
// load, at the entry's line — --config.check passed it and the exporter then
// failed to start, without a line.
func TestConfigChecksTheWholeAccount(t *testing.T) {
	_, err := parseConfig(`accounts:
  - name: dup
    provider: http
    currency: EUR
    options:
      url: http://127.0.0.1:1/b
      balance_path: data.main_balance
      extra_balances:
        - {path: data.credit, kind: credit_limit}
        - {path: data.limit, kind: credit_limit}
`)
	want := "exporter.yml:10: accounts[0].options.extra_balances[1].path: same series as extra_balances[0].path"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("Parse: %v, want an error containing %q", err, want)
	}
}
