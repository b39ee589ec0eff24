package main

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
)

// The landing page is a status page of the accounts, built from the
// collector's cache: rendering it never calls a provider. It is
// self-contained (inline CSS, no script, no external asset) so that it works
// air-gapped; its Content-Security-Policy forbids loading anything else.

// timeFormat is how the page shows instants, always in UTC.
const timeFormat = "2006-01-02 15:04:05Z"

// landingCSP allows the inline style sheet and nothing else.
const landingCSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// landingCSS: names and numbers never wrap (white-space: nowrap on every
// cell but the error's); the error column wraps and keeps a minimum width.
// When the table is wider than the screen (phones) it scrolls inside
// .table-wrap, with the account name kept in view, and the page itself never
// scrolls sideways. Low and down rows are coloured and carry the word LOW or
// DOWN, so they read without colour too.
const landingCSS = `
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; color: #1f2328; background: #fff; line-height: 1.45;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", "DejaVu Sans", sans-serif; }
header { background: #e6522c; color: #fff; padding: .75rem 1rem; }
header h1 { margin: 0; font-size: 1.35rem; line-height: 1.3; }
header p { margin: .15rem 0 0; font-size: .95rem; }
main { padding: .75rem 1rem 1.5rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.summary { font-size: 1.15rem; font-weight: 600; margin: .25rem 0 .35rem; padding: .4rem .7rem; border-radius: 4px;
  background: #e9f6ec; border-left: 5px solid #1a7f37; }
.summary.alert { background: #fdecea; border-left-color: #c62828; }
.note { margin: 0 0 .75rem; color: #57606a; font-size: .9rem; }
.table-wrap { max-width: 100%; overflow-x: auto; border: 1px solid #d0d7de; border-radius: 4px; }
table { border-collapse: separate; border-spacing: 0; width: 100%; font-size: .8125rem; }
th, td { padding: .3rem .45rem; text-align: left; vertical-align: baseline; white-space: nowrap; border-bottom: 1px solid #d8dee4; }
thead th { background: #f3f4f6; font-weight: 600; border-bottom: 2px solid #c9d1d9; }
tbody tr:last-child td { border-bottom: 0; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.err, th.err { white-space: normal; overflow-wrap: anywhere; min-width: 14rem; width: 100%; }
td.err { color: #8c1d18; }
tbody tr { background: #fff; }
tbody tr.low { background: #fff5d1; }
tbody tr.down { background: #fdecea; }
th:first-child, td:first-child { position: sticky; left: 0; z-index: 1; background: inherit; font-weight: 600; box-shadow: inset -1px 0 0 #d8dee4; }
thead th:first-child { background: #f3f4f6; }
tbody tr.low td:first-child { box-shadow: inset 5px 0 0 #b7791f, inset -1px 0 0 #d8dee4; }
tbody tr.down td:first-child { box-shadow: inset 5px 0 0 #c62828, inset -1px 0 0 #d8dee4; }
.flag { display: inline-block; padding: 0 .4em; border-radius: 3px; font-size: .78rem; font-weight: 700; letter-spacing: .04em; line-height: 1.5; }
.flag-ok { color: #1a7f37; border: 1px solid #1a7f37; }
.flag-low { color: #1f2328; background: #f2b705; border: 1px solid #9a6700; }
.flag-down { color: #fff; background: #c62828; border: 1px solid #8c1d18; }
.flag-pending { color: #57606a; border: 1px dashed #8c959f; }
.stale { color: #57606a; }
ul.endpoints { padding-left: 1.2rem; margin: .25rem 0; }
ul.endpoints li { margin: .2rem 0; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .85em; background: #f3f4f6; padding: 0 .25em; border-radius: 3px; }
footer { padding: 0 1rem 1rem; color: #57606a; font-size: .85rem; }
@media (max-width: 700px) {
  main { padding: .5rem .5rem 1rem; }
  footer { padding: 0 .5rem 1rem; }
  /* Left-aligned, the balances show next to the status without scrolling. */
  th.num, td.num { text-align: left; }
}
`

var landingTemplate = template.Must(template.New("landing").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SMS Balance Exporter</title>
<style>{{.CSS}}</style>
</head>
<body>
<header>
<h1>SMS Balance Exporter</h1>
<p>Prometheus exporter for the credit left on SMS provider accounts</p>
</header>
<main>
<p class="summary{{if .Alert}} alert{{end}}" id="summary">{{.Summary}}</p>
<p class="note">Cached values as of {{.Now}}. This page never calls a provider: an account is refreshed when {{if not .ProbeOnly}}<code>{{.MetricsPath}}</code> or {{end}}<code>/probe</code> is scraped and its cache_ttl has passed.</p>
<div class="table-wrap" id="accounts-wrap">
<table id="accounts">
<thead><tr><th>Account</th><th>Status</th><th class="num">Balance</th><th class="num">Threshold</th><th class="num">Age</th><th>Last refresh</th><th>Last success (UTC)</th><th>Provider</th><th class="err">Last error</th></tr></thead>
<tbody>
{{range .Rows}}<tr class="{{.Class}}" data-account="{{.Name}}">
<td>{{.Name}}</td>
<td class="state">{{range $i, $f := .Flags}}{{if $i}} {{end}}<span class="flag flag-{{$f.Class}}">{{$f.Word}}</span>{{end}}</td>
<td class="num{{if .Stale}} stale{{end}}">{{.Balance}}</td>
<td class="num">{{.Threshold}}</td>
<td class="num">{{.Age}}</td>
<td{{if .RefreshTitle}} title="{{.RefreshTitle}}"{{end}}>{{.Refresh}}</td>
<td>{{.LastSuccess}}</td>
<td>{{.Provider}}</td>
<td class="err">{{.LastError}}</td>
</tr>
{{else}}<tr><td colspan="9">No accounts configured.</td></tr>
{{end}}</tbody>
</table>
</div>
<h2>Endpoints</h2>
<ul class="endpoints">
<li><a href="{{.MetricsPath}}">Metrics</a>: {{if .ProbeOnly}}the exporter's own metrics only (--web.probe-only){{else}}every account's balance, through the cache{{end}}</li>
<li><code>/probe?target=&lt;account&gt;</code>: one account's series, for the multi-target pattern{{with .ProbeExample}} (e.g. <a href="/probe?target={{.}}">/probe?target={{.}}</a>){{end}}</li>
<li><a href="/sd">/sd</a>: the accounts as Prometheus HTTP service discovery targets (<code>?provider=</code> filters)</li>
<li><a href="/-/healthy">Health</a> and <a href="/-/ready">Readiness</a></li>
</ul>
</main>
<footer id="version">Version: {{.Version}}</footer>
</body>
</html>
`))

// landingData is what the landing page shows.
type landingData struct {
	CSS          template.CSS
	Version      string
	Now          string
	Summary      string
	Alert        bool // some account is down or low
	Rows         []accountRow
	MetricsPath  string
	ProbeOnly    bool
	ProbeExample string // an account name for the /probe example link
}

// accountRow is one account's line of the table, already rendered as text.
type accountRow struct {
	Name, Provider string
	// Class is the row's CSS classes: ok, low, down (down low when the last
	// good balance is also low), pending.
	Class string
	// Flags are the words that mark the row: OK, LOW, DOWN, PENDING.
	Flags        []flagWord
	Refresh      string // up, down (reason), not refreshed yet
	RefreshTitle string // when the latest attempt ended, how long it took
	Balance      string
	Stale        bool // the balance is the last good one of a down account
	Threshold    string
	Age          string // of the balance
	LastSuccess  string
	LastError    string
}

type flagWord struct{ Word, Class string }

// isLow says whether the main balance is at or under the threshold.
func isLow(st collector.Status) bool {
	if st.LowBalanceThreshold == nil {
		return false
	}
	main, ok := mainBalance(st.Balances)
	return ok && main.Value <= *st.LowBalanceThreshold
}

// ageText renders how old a value is: "12 s", "3 min", "5 h", "2 d".
func ageText(d time.Duration) string {
	switch {
	case d < 0:
		return "0 s"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	default:
		return fmt.Sprintf("%d d", int(d/(24*time.Hour)))
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// buildLanding turns the collector's statuses into what the page shows, at now.
func buildLanding(statuses []collector.Status, now time.Time, metricsPath string, probeOnly bool) landingData {
	d := landingData{
		CSS:         template.CSS(landingCSS),
		Version:     versionLine(),
		Now:         now.UTC().Format(timeFormat),
		MetricsPath: metricsPath,
		ProbeOnly:   probeOnly,
	}
	var down, low, pending int
	for _, st := range statuses {
		row := accountRow{
			Name: st.Name, Provider: st.Provider,
			Balance: "–", Threshold: "–", Age: "–", LastSuccess: "never",
			LastError: st.LastError,
		}
		if d.ProbeExample == "" {
			d.ProbeExample = st.Name
		}
		stLow := isLow(st)
		switch {
		case !st.Attempted:
			pending++
			row.Class, row.Refresh = "pending", "not refreshed yet"
			row.Flags = []flagWord{{"PENDING", "pending"}}
		case st.Up:
			row.Refresh = "up"
			if stLow {
				row.Class, row.Flags = "low", []flagWord{{"LOW", "low"}}
			} else {
				row.Class, row.Flags = "ok", []flagWord{{"OK", "ok"}}
			}
		default:
			down++
			row.Refresh = "down"
			if st.Reason != "" {
				row.Refresh += " (" + string(st.Reason) + ")"
			}
			row.Class, row.Flags = "down", []flagWord{{"DOWN", "down"}}
			if stLow {
				row.Class += " low"
				row.Flags = append(row.Flags, flagWord{"LOW", "low"})
			}
			row.Stale = len(st.Balances) > 0
		}
		if stLow {
			low++
		}
		if !st.LastAttempt.IsZero() {
			row.RefreshTitle = fmt.Sprintf("latest attempt %s (%s ago), took %s",
				st.LastAttempt.UTC().Format(timeFormat), ageText(now.Sub(st.LastAttempt)), st.LastDuration.Round(time.Millisecond))
		}
		if len(st.Balances) > 0 {
			row.Balance = amountsText(st.Balances)
		}
		if st.LowBalanceThreshold != nil {
			row.Threshold = thresholdText(*st.LowBalanceThreshold, st.Balances)
		}
		if !st.LastSuccess.IsZero() {
			row.Age = ageText(now.Sub(st.LastSuccess))
			row.LastSuccess = st.LastSuccess.UTC().Format(timeFormat)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Summary = fmt.Sprintf("%s, %d down, %d low", plural(len(statuses), "account", "accounts"), down, low)
	if pending > 0 {
		d.Summary += fmt.Sprintf(", %d not refreshed yet", pending)
	}
	d.Alert = down > 0 || low > 0
	return d
}

// renderLanding writes the landing page for statuses at now.
func renderLanding(w io.Writer, statuses []collector.Status, now time.Time, metricsPath string, probeOnly bool) error {
	return landingTemplate.Execute(w, buildLanding(statuses, now, metricsPath, probeOnly))
}

// landing serves the status page from the collector's cache. Statuses hold
// no credential: errors were redacted when recorded.
func (s *server) landing(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	var page bytes.Buffer
	if err := renderLanding(&page, s.collector.Status(), time.Now(), s.telemetryPath, s.probeOnly); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", landingCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = page.WriteTo(w)
}
