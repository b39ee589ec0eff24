package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// printOnce refreshes every account once and prints a table; it returns 0
// if every account succeeded and 1 otherwise.
func printOnce(w io.Writer, coll *collector.Collector, cfg *config.Config) int {
	var longest time.Duration
	for _, a := range cfg.Accounts {
		longest = max(longest, a.Timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), longest+time.Second)
	defer cancel()
	statuses := coll.Refresh(ctx)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ACCOUNT\tPROVIDER\tBALANCE\tUNIT\tCURRENCY\tSTATUS\tLATENCY")
	code := 0
	for _, st := range statuses {
		balance, unit, currency, status := "-", "-", "-", "ok"
		if st.Up && st.Balance != nil {
			balance, unit, currency = collector.FormatValue(*st.Balance), st.Balance.Unit, st.Balance.Currency
			if currency == "" {
				currency = "-"
			}
		} else {
			code = 1
			status = fmt.Sprintf("error (%s): %s", st.Reason, st.LastError)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", st.Name, st.Provider, balance, unit, currency, status, st.LastDuration.Round(time.Millisecond))
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	if len(statuses) == 0 {
		fmt.Fprintln(w, "no accounts configured")
	}
	return code
}

// unitText renders a balance's unit for people: the currency code or "credits".
func unitText(b providers.Balance) string {
	if b.Unit == providers.UnitCredits {
		return "credits"
	}
	if b.Currency == "" {
		return "(currency unknown)"
	}
	return b.Currency
}
