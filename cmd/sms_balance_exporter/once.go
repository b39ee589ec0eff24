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
		latency := st.LastDuration.Round(time.Millisecond)
		if !st.Up || len(st.Balances) == 0 {
			code = 1
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\terror (%s): %s\t%s\n", st.Name, st.Provider, st.Reason, st.LastError, latency)
			continue
		}
		// One line per amount: the main balance, then any other.
		for _, b := range st.Balances {
			currency := b.Currency
			if currency == "" {
				currency = "-"
			}
			value := formatValue(b)
			if b.Kind == providers.KindCreditLimit {
				value += " (credit limit)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\tok\t%s\n", st.Name, st.Provider, value, b.Unit, currency, latency)
		}
	}
	if err := tw.Flush(); err != nil {
		return 1
	}
	if len(statuses) == 0 {
		fmt.Fprintln(w, "no accounts configured")
	}
	return code
}
