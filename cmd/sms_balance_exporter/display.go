package main

import (
	"strconv"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// This file renders amounts for people: the landing page and --once.

// formatValue renders an amount: credits as counted (fractional credits, as
// BulkSMS reports them, with two decimals at most), money with two decimals.
func formatValue(b providers.Balance) string {
	if b.Unit == providers.UnitCredits {
		s := strings.TrimRight(strings.TrimRight(strconv.FormatFloat(b.Value, 'f', 2, 64), "0"), ".")
		if s == "-0" {
			s = "0"
		}
		return s
	}
	return strconv.FormatFloat(b.Value, 'f', 2, 64)
}

// unitText renders an amount's unit: the currency code or "credits".
func unitText(b providers.Balance) string {
	if b.Unit == providers.UnitCredits {
		return "credits"
	}
	if b.Currency == "" {
		return "(currency unknown)"
	}
	return b.Currency
}

// amountText renders one amount with its unit, and says so when it is a
// credit limit.
func amountText(b providers.Balance) string {
	s := formatValue(b) + " " + unitText(b)
	if b.Kind == providers.KindCreditLimit {
		s += " credit limit"
	}
	return s
}

// amountsText renders every amount of an account.
func amountsText(bs []providers.Balance) string {
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = amountText(b)
	}
	return strings.Join(parts, ", ")
}

// mainBalance returns the account's main balance: the first amount of kind
// balance, the one a low_balance_threshold applies to.
func mainBalance(bs []providers.Balance) (providers.Balance, bool) {
	for _, b := range bs {
		if b.Kind == providers.KindBalance {
			return b, true
		}
	}
	return providers.Balance{}, false
}

// thresholdText renders a low_balance_threshold in the unit of the main
// balance when it is known ("10.00 EUR", "500 credits"), else as a bare number.
func thresholdText(t float64, bs []providers.Balance) string {
	main, ok := mainBalance(bs)
	if !ok {
		return strconv.FormatFloat(t, 'f', -1, 64)
	}
	main.Value, main.Kind = t, providers.KindBalance
	return amountText(main)
}
