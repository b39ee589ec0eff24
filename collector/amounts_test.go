package collector

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// TestManyAmounts checks that an account may report balances in several
// units and a credit limit, each its own series with the four labels, and
// that the threshold goes with the main balance only.
func TestManyAmounts(t *testing.T) {
	h := newHarness(t, map[string]*fake{
		"arkesel": {bals: []providers.Balance{providers.Credits(1500), providers.Money(0.2, "GHS")}},
		"telnyx": {bals: []providers.Balance{providers.Money(300, "USD"),
			{Kind: providers.KindCreditLimit, Value: 100, Unit: providers.UnitCurrency, Currency: "USD"}}},
	})
	apply(t, h, acct("arkesel", threshold(500)), acct("telnyx"))
	want := `
# HELP sms_balance Balance left on the provider account, in the given unit (currency: money in the given ISO currency; credits: messages or credits).
# TYPE sms_balance gauge
sms_balance{account="arkesel",currency="",provider="fake",unit="credits"} 1500
sms_balance{account="arkesel",currency="GHS",provider="fake",unit="currency"} 0.2
sms_balance{account="telnyx",currency="USD",provider="fake",unit="currency"} 300
# HELP sms_balance_credit_limit Credit or overdraft limit of the provider account that may be spent beyond sms_balance, in the same unit.
# TYPE sms_balance_credit_limit gauge
sms_balance_credit_limit{account="telnyx",currency="USD",provider="fake",unit="currency"} 100
# HELP sms_balance_low_threshold Configured low_balance_threshold of the account, in the unit of its main sms_balance.
# TYPE sms_balance_low_threshold gauge
sms_balance_low_threshold{account="arkesel",currency="",provider="fake",unit="credits"} 500
`
	if err := testutil.CollectAndCompare(h, strings.NewReader(want), "sms_balance", "sms_balance_credit_limit", "sms_balance_low_threshold"); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.CollectAndLint(h); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

// TestAmountsThatCannotBeLabels checks that what a provider reports is
// validated before it becomes series: a bad_response for that account
// only.
func TestAmountsThatCannotBeLabels(t *testing.T) {
	cases := map[string][]providers.Balance{
		"junk-currency":     {providers.Money(1, "US Dollar")},
		"newline-currency":  {providers.Money(1, "EU\n")},
		"lower-currency":    {providers.Money(1, "eur")},
		"long-currency":     {providers.Money(1, strings.Repeat("X", 10<<10))},
		"credits-currency":  {{Value: 1, Unit: providers.UnitCredits, Currency: "EUR"}},
		"duplicate-series":  {providers.Money(1, "EUR"), providers.Money(2, "EUR")},
		"only-credit-limit": {{Kind: providers.KindCreditLimit, Value: 1, Unit: providers.UnitCredits}},
		"none":              {},
	}
	fakes := map[string]*fake{"ok": {bal: eur(3)}}
	accounts := []config.Account{acct("ok")}
	for name, bals := range cases {
		fakes[name] = &fake{bals: bals}
		accounts = append(accounts, acct(name))
	}
	h := newHarness(t, fakes)
	apply(t, h, accounts...)
	for name := range cases {
		if up := upOf(t, h, name); up != 0 {
			t.Errorf("%s: up = %v, want 0", name, up)
		}
		if v := failures(t, h, name, "bad_response"); v != 1 {
			t.Errorf("%s: bad_response failures = %v, want 1", name, v)
		}
	}
	if v := metricValue(t, h, "sms_balance", "ok"); v != 3 {
		t.Errorf("ok: sms_balance = %v, want 3", v)
	}
	if problems, err := testutil.CollectAndLint(h); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

// TestOneBadAccountCostsOnlyItself builds an account whose name is not
// valid UTF-8 (which the configuration refuses, but the collector must not
// trust): every other account's series are still gathered.
func TestOneBadAccountCostsOnlyItself(t *testing.T) {
	h := newHarness(t, map[string]*fake{"ok": {bal: eur(3)}, "bad\xff": {bal: eur(4)}})
	apply(t, h, acct("bad\xff"), acct("ok"))
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(h)
	families, err := reg.Gather()
	if err == nil {
		t.Fatal("Gather() reported no error for an invalid label value")
	}
	found := false
	for _, mf := range families {
		if mf.GetName() != "sms_balance" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "account" && l.GetValue() == "ok" && m.GetGauge().GetValue() == 3 {
					found = true
				}
			}
		}
	}
	if !found {
		t.Fatalf("sms_balance of account ok missing from %d families", len(families))
	}
}
