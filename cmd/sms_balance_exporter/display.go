package main

import (
	"strconv"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// This file renders amounts for people: the landing page and --once.

// formatValue renders an amount: credits as counted, money with two decimals.
func formatValue(b providers.Balance) string {
	if b.Unit == providers.UnitCredits {
		return strconv.FormatFloat(b.Value, 'f', -1, 64)
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
