package simulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Demo credentials of the extra accounts that show what goes wrong: one
// under its threshold and one whose token the simulator refuses.
const (
	DemoD7LowToken     = "demo-d7-low-token-77e0"
	DemoD7RevokedToken = "demo-d7-revoked-token-0bad"
	DemoGHCurrencyKey  = "demo-gh-currency-key-a1b4"
)

// demoExtras are accounts shown besides one per provider.
const demoExtras = `  - name: eu-alerts
    provider: d7networks
    base_url: BASE_URL/d7networks
    currency: EUR
    low_balance_threshold: 10
    credentials:
      token: ` + DemoD7LowToken + `
  - name: revoked
    provider: d7networks
    base_url: BASE_URL/d7networks
    currency: EUR
    credentials:
      token: ` + DemoD7RevokedToken + `
  - name: gh-billing
    provider: smsonlinegh
    base_url: BASE_URL/smsonlinegh
    options: {response_format: xml}
    credentials:
      api_key: ` + DemoGHCurrencyKey + `
`

// DemoCredentials returns the credentials of a provider's demo account: one
// made-up value for each key of its first credential set.
func DemoCredentials(spec providers.Spec) map[string]string {
	creds := map[string]string{}
	if len(spec.CredentialSets) > 0 {
		for _, k := range spec.CredentialSets[0] {
			creds[k] = "demo-" + spec.ID + "-" + strings.ReplaceAll(k, "_", "-") + "-5c1f"
		}
	}
	return creds
}

// DemoName is the account name of a provider's demo account.
func DemoName(spec providers.Spec) string {
	if spec.Demo.Name != "" {
		return spec.Demo.Name
	}
	return spec.ID
}

// Demo returns a Simulator holding the demo accounts of specs (those with a
// fake API) and the extra accounts DemoConfig refers to.
func Demo(specs []providers.Spec) *Simulator {
	s := New(specs)
	for _, spec := range specs {
		if spec.Fake != nil {
			s.Add(spec.ID, DemoCredentials(spec), spec.Demo.Wallet)
		}
	}
	if _, ok := s.apis["d7networks"]; ok {
		s.Add("d7networks", map[string]string{"token": DemoD7LowToken}, providers.Wallet{Balance: 4.2})
	}
	if _, ok := s.apis["smsonlinegh"]; ok {
		s.Add("smsonlinegh", map[string]string{"api_key": DemoGHCurrencyKey}, providers.Wallet{Balance: 350, Currency: "GHS"})
	}
	return s
}

// DemoConfig returns the demo configuration (YAML) for a simulator built by
// Demo(specs) and served at baseURL: one account per provider, plus
// eu-alerts (under its threshold), revoked (refused credentials) and
// gh-billing (SMSOnlineGH in XML) when those providers are there.
func DemoConfig(baseURL string, specs []providers.Spec) string {
	var b strings.Builder
	b.WriteString(`# Demo configuration: every account talks to the bundled simulator.
defaults:
  timeout: 5s
  cache_ttl: 15s
  max_stale: 10m
accounts:
`)
	ids := map[string]bool{}
	for _, spec := range specs {
		if spec.Fake == nil {
			continue
		}
		ids[spec.ID] = true
		fmt.Fprintf(&b, "  - name: %s\n    provider: %s\n    base_url: %s\n", DemoName(spec), spec.ID, BaseURL(baseURL, spec.ID))
		if d := spec.Demo; d.Currency != "" {
			fmt.Fprintf(&b, "    currency: %s\n", d.Currency)
		}
		if d := spec.Demo; d.LowBalanceThreshold != 0 {
			fmt.Fprintf(&b, "    low_balance_threshold: %g\n", d.LowBalanceThreshold)
		}
		if d := spec.Demo; d.Options != "" {
			fmt.Fprintf(&b, "    options: %s\n", d.Options)
		}
		creds := DemoCredentials(spec)
		b.WriteString("    credentials:\n")
		for _, k := range sortedKeys(creds) {
			fmt.Fprintf(&b, "      %s: %s\n", k, creds[k])
		}
	}
	if ids["d7networks"] && ids["smsonlinegh"] {
		b.WriteString(strings.ReplaceAll(demoExtras, "BASE_URL", strings.TrimRight(baseURL, "/")))
	}
	return b.String()
}

// DemoSecrets lists the demo credential values (tests check they never leak).
func DemoSecrets(specs []providers.Spec) []string {
	out := []string{DemoD7LowToken, DemoD7RevokedToken, DemoGHCurrencyKey}
	for _, spec := range specs {
		if spec.Fake == nil {
			continue
		}
		for _, v := range DemoCredentials(spec) {
			out = append(out, v)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
