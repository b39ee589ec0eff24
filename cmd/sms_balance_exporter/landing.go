package main

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
)

var accountsTable = template.Must(template.New("accounts").Parse(`
<h2>Accounts</h2>
<table style="border-collapse: collapse">
<thead><tr><th align="left">Account</th><th align="left">Provider</th><th align="left">Status</th><th align="right">Balance</th><th align="left">Last success</th><th align="left">Last error</th></tr></thead>
<tbody>
{{range .}}<tr>
<td>{{.Name}}</td><td>{{.Provider}}</td>
<td>{{if not .Attempted}}not refreshed yet{{else if .Up}}up{{else}}down ({{.Reason}}){{end}}</td>
<td align="right">{{if .Balances}}{{.BalanceText}}{{else}}–{{end}}</td>
<td>{{if .LastSuccess.IsZero}}never{{else}}{{.LastSuccess.UTC.Format "2006-01-02 15:04:05Z"}}{{end}}</td>
<td>{{.LastError}}</td>
</tr>
{{else}}<tr><td colspan="6">No accounts configured.</td></tr>
{{end}}</tbody>
</table>
<style>td, th { padding: 0.2em 0.8em; border-bottom: 1px solid #ddd; }</style>
`))

type statusRow struct {
	collector.Status
	BalanceText string
}

// landing serves the landing page with a table of the accounts. Statuses
// hold no credential: errors were redacted when recorded.
func (s *server) landing(w http.ResponseWriter, r *http.Request) {
	var rows []statusRow
	for _, st := range s.collector.Status() {
		row := statusRow{Status: st}
		row.BalanceText = amountsText(st.Balances)
		rows = append(rows, row)
	}
	var extra bytes.Buffer
	if err := accountsTable.Execute(&extra, rows); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page, err := web.NewLandingPage(web.LandingConfig{
		Name:        "SMS Balance Exporter",
		Description: "Prometheus exporter for the credit left on SMS provider accounts",
		Version:     version.Info(),
		Profiling:   "false",
		Links: []web.LandingLinks{
			{Address: s.telemetryPath, Text: "Metrics"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/-/ready", Text: "Readiness"},
		},
		ExtraHTML: extra.String(),
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	page.ServeHTTP(w, r)
}
