package simulator

import "strings"

// Demo credentials: known to Demo's simulator, except DemoRevokedToken.
const (
	DemoRTIClientID     = "demo-rti-client"
	DemoRTIClientSecret = "demo-rti-secret-5c1f"
	DemoD7Token         = "demo-d7-token-8a42"
	DemoD7LowToken      = "demo-d7-low-token-77e0"
	DemoD7RevokedToken  = "demo-d7-revoked-token-0bad"
	DemoGHQuantityKey   = "demo-gh-quantity-key-d5c6"
	DemoGHCurrencyKey   = "demo-gh-currency-key-a1b4"
)

// Demo returns a Simulator holding the accounts DemoConfig refers to. Their
// balances fall slowly, so that graphs of spend have something to show.
func Demo() *Simulator {
	s := New()
	s.AddRTI(DemoRTIClientID, DemoRTIClientSecret, Account{Balance: 457, DrainPerSecond: 0.0002})
	s.AddD7(DemoD7Token, Account{Balance: 99.9999999, DrainPerSecond: 0.00005})
	s.AddD7(DemoD7LowToken, Account{Balance: 4.2})
	s.AddSMSOnlineGH(DemoGHQuantityKey, Account{Balance: 2432, Model: "quantity"})
	s.AddSMSOnlineGH(DemoGHCurrencyKey, Account{Balance: 350, Model: "currency", CurrencyCode: "GHS", CurrencyName: "Ghana Cedi"})
	return s
}

const demoConfig = `# Demo configuration: every account talks to the bundled simulator.
defaults:
  timeout: 5s
  cache_ttl: 15s
  max_stale: 10m
accounts:
  - name: cl-transactional
    provider: rtisms
    base_url: BASE_URL
    currency: CLP
    low_balance_threshold: 100
    credentials:
      client_id: ` + DemoRTIClientID + `
      client_secret: ` + DemoRTIClientSecret + `
  - name: marketing
    provider: d7networks
    base_url: BASE_URL
    currency: EUR
    low_balance_threshold: 20
    credentials:
      token: ` + DemoD7Token + `
  - name: eu-alerts
    provider: d7networks
    base_url: BASE_URL
    currency: EUR
    low_balance_threshold: 10
    credentials:
      token: ` + DemoD7LowToken + `
  - name: revoked
    provider: d7networks
    base_url: BASE_URL
    currency: EUR
    credentials:
      token: ` + DemoD7RevokedToken + `
  - name: gh-otp
    provider: smsonlinegh
    base_url: BASE_URL
    low_balance_threshold: 500
    credentials:
      api_key: ` + DemoGHQuantityKey + `
  - name: gh-billing
    provider: smsonlinegh
    base_url: BASE_URL
    response_format: xml
    credentials:
      api_key: ` + DemoGHCurrencyKey + `
`

// DemoConfig returns the demo configuration (YAML) for a simulator served
// at baseURL. Account eu-alerts is under its threshold and account revoked
// has credentials the simulator refuses.
func DemoConfig(baseURL string) string {
	return strings.ReplaceAll(demoConfig, "BASE_URL", baseURL)
}

// DemoSecrets lists the demo credential values (tests check they never leak).
func DemoSecrets() []string {
	return []string{DemoRTIClientID, DemoRTIClientSecret, DemoD7Token, DemoD7LowToken, DemoD7RevokedToken, DemoGHQuantityKey, DemoGHCurrencyKey}
}
