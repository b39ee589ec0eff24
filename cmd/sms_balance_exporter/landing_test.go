package main

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/collector"
	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// countingProvider is a scripted provider that counts its calls.
type countingProvider struct {
	mu    sync.Mutex
	bals  []providers.Balance
	err   error
	calls int
}

func (p *countingProvider) Balances(context.Context) ([]providers.Balance, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	return p.bals, p.err
}

func (p *countingProvider) set(err error, bals ...providers.Balance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bals, p.err = bals, err
}

func (p *countingProvider) Calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls
}

// testClock is a settable clock for the collector.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func threshold(v float64) *float64 { return &v }

func fakeAccount(name string, ttl time.Duration, low *float64) config.Account {
	return config.Account{Name: name, Provider: "fake", Timeout: time.Second, CacheTTL: ttl, MaxStale: time.Hour, LowBalanceThreshold: low}
}

// escName is an account name that needs escaping.
const escName = `esc<&>"`

// landingFixture is a collector whose fake accounts are in every state the
// landing page shows, as of t0+3min:
//
//	ok        up, 100 EUR over its threshold 20, refreshed 12 s ago
//	low       up, 4.20 EUR under its threshold 10
//	edge      up, exactly at its threshold 10: low
//	esc<&>"   down (auth) since the start, with a <script> in its error
//	stale     down (timeout) now, its last good 5 EUR (threshold 10) 3 min old
//	multi     up, 300 USD and a 100 USD credit limit
//	credits   up, 249.9977 credits and a 50 credits credit limit
//	old       up, 1 GBP 3 min old (cache_ttl 1h), no threshold
//	new       not refreshed yet
type landingFixture struct {
	coll  *collector.Collector
	fakes map[string]*countingProvider
	now   time.Time
}

func newLandingFixture(t *testing.T) *landingFixture {
	t.Helper()
	t0 := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	clock := &testClock{t: t0}
	fakes := map[string]*countingProvider{}
	for _, n := range []string{"ok", "low", "edge", escName, "stale", "multi", "credits", "old", "new"} {
		fakes[n] = &countingProvider{}
	}
	fakes["ok"].set(nil, providers.Money(100, "EUR"))
	fakes["low"].set(nil, providers.Money(4.2, "EUR"))
	fakes["edge"].set(nil, providers.Money(10, "EUR"))
	fakes[escName].set(&providers.Error{Reason: providers.ReasonAuth, Msg: `GET /balance: HTTP 401 <script>alert("x")</script> & more`})
	fakes["stale"].set(nil, providers.Money(5, "EUR"))
	fakes["multi"].set(nil, providers.Money(300, "USD"), providers.Balance{Kind: providers.KindCreditLimit, Value: 100, Unit: providers.UnitCurrency, Currency: "USD"})
	fakes["credits"].set(nil, providers.Credits(249.99772), providers.Balance{Kind: providers.KindCreditLimit, Value: 50, Unit: providers.UnitCredits})
	fakes["old"].set(nil, providers.Money(1, "GBP"))
	fakes["new"].set(nil, providers.Money(7, "EUR"))

	coll := collector.New(collector.Options{
		Now: clock.Now,
		Lookup: func(id string) (providers.Spec, bool) {
			if id != "fake" {
				return providers.Spec{}, false
			}
			return providers.Spec{ID: "fake", New: func(s providers.Settings) (providers.Provider, error) {
				p, ok := fakes[s.Name]
				if !ok {
					return nil, fmt.Errorf("no fake for %s", s.Name)
				}
				return p, nil
			}}, true
		},
	})
	accounts := []config.Account{
		fakeAccount("ok", time.Minute, threshold(20)),
		fakeAccount("low", time.Minute, threshold(10)),
		fakeAccount("edge", time.Minute, threshold(10)),
		fakeAccount(escName, time.Minute, nil),
		fakeAccount("stale", time.Minute, threshold(10)),
		fakeAccount("multi", time.Minute, nil),
		fakeAccount("credits", time.Minute, threshold(100)),
		fakeAccount("old", time.Hour, nil),
	}
	if err := coll.Apply(&config.Config{Accounts: accounts}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	coll.Refresh(ctx) // every account, at t0
	fakes["stale"].set(&providers.Error{Reason: providers.ReasonTimeout, Msg: "no answer within 1s"})
	clock.Set(t0.Add(3*time.Minute - 12*time.Second))
	coll.Refresh(ctx) // all but old (cache_ttl 1h)
	if err := coll.Apply(&config.Config{Accounts: append(accounts, fakeAccount("new", time.Minute, nil))}); err != nil {
		t.Fatal(err)
	}
	return &landingFixture{coll: coll, fakes: fakes, now: t0.Add(3 * time.Minute)}
}

func (f *landingFixture) calls() map[string]int {
	m := map[string]int{}
	for n, p := range f.fakes {
		m[n] = p.Calls()
	}
	return m
}

var (
	thRE   = regexp.MustCompile(`(?s)<th[^>]*>(.*?)</th>`)
	tdRE   = regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`)
	tagRE  = regexp.MustCompile(`<[^>]*>`)
	rowsRE = regexp.MustCompile(`(?s)<tr class="([^"]*)" data-account="([^"]*)">(.*?)</tr>`)
)

// text is the visible text of an HTML fragment.
func text(s string) string {
	return strings.Join(strings.Fields(html.UnescapeString(tagRE.ReplaceAllString(s, " "))), " ")
}

// parsedRow is one row of the accounts table: its classes and its cells'
// inner HTML by column header.
type parsedRow struct {
	class string
	cells map[string]string
}

func parseTable(t *testing.T, page string) (headers []string, rows map[string]parsedRow) {
	t.Helper()
	for _, m := range thRE.FindAllStringSubmatch(page, -1) {
		headers = append(headers, text(m[1]))
	}
	rows = map[string]parsedRow{}
	for _, m := range rowsRE.FindAllStringSubmatch(page, -1) {
		tds := tdRE.FindAllStringSubmatch(m[3], -1)
		if len(tds) != len(headers) {
			t.Fatalf("row %s has %d cells for %d columns", m[2], len(tds), len(headers))
		}
		r := parsedRow{class: m[1], cells: map[string]string{}}
		for i, td := range tds {
			r.cells[headers[i]] = td[1]
		}
		rows[html.UnescapeString(m[2])] = r
	}
	return headers, rows
}

func TestLandingPage(t *testing.T) {
	f := newLandingFixture(t)
	before := f.calls()
	var b strings.Builder
	if err := renderLanding(&b, f.coll.Status(), f.now, "/metrics", false); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if after := f.calls(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rendering called providers: calls %v, then %v", before, after)
	}

	headers, rows := parseTable(t, page)
	wantHeaders := "Account|Status|Balance|Threshold|Age|Last refresh|Last success (UTC)|Provider|Last error"
	if got := strings.Join(headers, "|"); got != wantHeaders {
		t.Errorf("columns %s, want %s", got, wantHeaders)
	}
	if len(rows) != 9 {
		t.Errorf("%d rows, want 9", len(rows))
	}
	lastOK := "2026-03-04 05:08:55Z" // t0+2m48s
	for _, c := range []struct {
		account, class, status, refresh, balance, threshold, age, lastSuccess, lastError string
	}{
		{"ok", "ok", "OK", "up", "100.00 EUR", "20.00 EUR", "12 s", lastOK, ""},
		{"low", "low", "LOW", "up", "4.20 EUR", "10.00 EUR", "12 s", lastOK, ""},
		{"edge", "low", "LOW", "up", "10.00 EUR", "10.00 EUR", "12 s", lastOK, ""},
		{escName, "down", "DOWN", "down (auth)", "–", "–", "–", "never", `GET /balance: HTTP 401 <script>alert("x")</script> & more`},
		{"stale", "down low", "DOWN LOW", "down (timeout)", "5.00 EUR", "10.00 EUR", "3 min", "2026-03-04 05:06:07Z", "no answer within 1s"},
		{"multi", "ok", "OK", "up", "300.00 USD, 100.00 USD credit limit", "–", "12 s", lastOK, ""},
		{"credits", "ok", "OK", "up", "250 credits, 50 credits credit limit", "100 credits", "12 s", lastOK, ""},
		{"old", "ok", "OK", "up", "1.00 GBP", "–", "3 min", "2026-03-04 05:06:07Z", ""},
		{"new", "pending", "PENDING", "not refreshed yet", "–", "–", "–", "never", ""},
	} {
		t.Run(c.account, func(t *testing.T) {
			r, ok := rows[c.account]
			if !ok {
				t.Fatalf("no row for %q", c.account)
			}
			if r.class != c.class {
				t.Errorf("row class %q, want %q", r.class, c.class)
			}
			for col, want := range map[string]string{
				"Account": c.account, "Status": c.status, "Last refresh": c.refresh, "Balance": c.balance,
				"Threshold": c.threshold, "Age": c.age, "Last success (UTC)": c.lastSuccess, "Provider": "fake",
				"Last error": c.lastError,
			} {
				if got := text(r.cells[col]); got != want {
					t.Errorf("%s = %q, want %q", col, got, want)
				}
			}
			// Each mark is a word in its own coloured badge.
			for _, w := range strings.Fields(c.status) {
				badge := fmt.Sprintf(`<span class="flag flag-%s">%s</span>`, strings.ToLower(w), w)
				if !strings.Contains(r.cells["Status"], badge) {
					t.Errorf("status cell %q lacks %s", r.cells["Status"], badge)
				}
			}
		})
	}

	assertContains(t, "landing page", page,
		`<p class="summary alert" id="summary">9 accounts, 2 down, 3 low, 1 not refreshed yet</p>`,
		`Cached values as of 2026-03-04 05:09:07Z.`,
		`<td>esc&lt;&amp;&gt;&#34;</td>`,
		`HTTP 401 &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more`,
		`href="/metrics"`, `href="/-/healthy"`, `href="/-/ready"`, `href="/sd"`, `/probe?target=&lt;account&gt;`, `href="/probe?target=ok"`,
		`<td>ok</td>`, // main_test.go finds accounts so
		"<!DOCTYPE html>", `<meta name="viewport"`)
	checkSelfContained(t, page)
	if v := regexp.MustCompile(`<footer id="version">Version: ([^<]*)</footer>`).FindStringSubmatch(page); v == nil || !strings.Contains(v[1], "revision ") || strings.HasPrefix(v[1], ",") {
		t.Errorf("version line %q", v)
	}
}

// checkSelfContained fails when the page could load anything: no script,
// no external stylesheet, image or font, no absolute URL in any attribute.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "@import", "url(", "src=", "//cdn", "http://", "https://"} {
		if strings.Contains(lower, bad) {
			t.Errorf("page contains %q: it must be self-contained", bad)
		}
	}
	if m := regexp.MustCompile(`(?i)(href|src|action)\s*=\s*["']?[a-z]*:?//`).FindString(page); m != "" {
		t.Errorf("page links out: %s", m)
	}
}

func TestLandingSummary(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		statuses []collector.Status
		want     string
		alert    bool
	}{
		{nil, "0 accounts, 0 down, 0 low", false},
		{[]collector.Status{{Name: "a", Provider: "p", Attempted: true, Up: true, Balances: []providers.Balance{providers.Money(1, "EUR")}, LastSuccess: now}}, "1 account, 0 down, 0 low", false},
		{[]collector.Status{{Name: "a", Provider: "p", Attempted: true, Reason: providers.ReasonNetwork}}, "1 account, 1 down, 0 low", true},
		{[]collector.Status{
			{Name: "a", Provider: "p", Attempted: true, Up: true, Balances: []providers.Balance{providers.Credits(3)}, LowBalanceThreshold: threshold(3), LastSuccess: now},
			{Name: "b", Provider: "p"},
		}, "2 accounts, 0 down, 1 low, 1 not refreshed yet", true},
	} {
		d := buildLanding(c.statuses, now, "/metrics", false)
		if d.Summary != c.want || d.Alert != c.alert {
			t.Errorf("summary %q (alert %v), want %q (alert %v)", d.Summary, d.Alert, c.want, c.alert)
		}
	}
	var b strings.Builder
	if err := renderLanding(&b, nil, now, "/custom-metrics", true); err != nil {
		t.Fatal(err)
	}
	assertContains(t, "empty landing page", b.String(), "No accounts configured.", `href="/custom-metrics"`, "--web.probe-only")
}

func TestAgeText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0 s", 0: "0 s", 12*time.Second + 900*time.Millisecond: "12 s", 59 * time.Second: "59 s",
		time.Minute: "1 min", 3*time.Minute + 59*time.Second: "3 min", 59 * time.Minute: "59 min",
		time.Hour: "1 h", 47 * time.Hour: "47 h", 48 * time.Hour: "2 d", 400 * 24 * time.Hour: "400 d",
	} {
		if got := ageText(d); got != want {
			t.Errorf("ageText(%s) = %q, want %q", d, got, want)
		}
	}
}

// TestLandingHandler serves the page from the collector's cache: no
// provider call, the security headers, and 404 below /.
func TestLandingHandler(t *testing.T) {
	f := newLandingFixture(t)
	s := &server{collector: f.coll, telemetryPath: "/metrics"}
	h := s.handler()
	before := f.calls()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /: %d", rec.Code)
	}
	if after := f.calls(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("serving / called providers: calls %v, then %v", before, after)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": landingCSP,
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := rec.Header().Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	assertContains(t, "landing page", rec.Body.String(), "9 accounts, 2 down, 3 low, 1 not refreshed yet")
	checkSelfContained(t, rec.Body.String())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/nosuch", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("GET /nosuch: %d, want 404", rec.Code)
	}
}

func TestFromBuildInfo(t *testing.T) {
	vcs := func(main string, settings ...string) *debug.BuildInfo {
		info := &debug.BuildInfo{Main: debug.Module{Path: "github.com/sms-balance-exporter/sms_balance_exporter", Version: main}}
		for i := 0; i+1 < len(settings); i += 2 {
			info.Settings = append(info.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return info
	}
	for _, c := range []struct {
		name string
		in   buildVersion
		info *debug.BuildInfo
		want buildVersion
	}{
		{"no build info", buildVersion{}, nil, buildVersion{Version: "devel"}},
		{"go build, -buildvcs=false", buildVersion{}, vcs("(devel)"), buildVersion{Version: "devel"}},
		{"go build in a clean checkout", buildVersion{}, vcs("v0.3.1-0.20260101000000-0123456789ab", "vcs.revision", "0123456789abcdef", "vcs.modified", "false", "vcs.time", "2026-01-01T00:00:00Z"),
			buildVersion{Version: "v0.3.1-0.20260101000000-0123456789ab", Revision: "0123456789abcdef", BuildDate: "2026-01-01T00:00:00Z"}},
		{"go build in a dirty checkout", buildVersion{}, vcs("(devel)", "vcs.revision", "0123456789abcdef", "vcs.modified", "true"),
			buildVersion{Version: "devel", Revision: "0123456789abcdef-modified"}},
		{"go install module@version", buildVersion{}, vcs("v1.2.3"), buildVersion{Version: "v1.2.3"}},
		{"ldflags win", buildVersion{Version: "1.2.3", Revision: "feedface", BuildDate: "20260101"}, vcs("v9.9.9", "vcs.revision", "0123", "vcs.time", "2020"),
			buildVersion{Version: "1.2.3", Revision: "feedface", BuildDate: "20260101"}},
		{"ldflags version only", buildVersion{Version: "dev"}, vcs("(devel)", "vcs.revision", "0123"), buildVersion{Version: "dev", Revision: "0123"}},
	} {
		if got := fromBuildInfo(c.in, c.info); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestVersionFlag: go build leaves no ldflags, and --version still names a version.
func TestVersionFlag(t *testing.T) {
	code, out, _ := runBinary(t, "--version")
	if code != 0 || !regexp.MustCompile(`^sms_balance_exporter, version \S+ \(branch: [^,]*, revision: \S+\)`).MatchString(out) {
		t.Errorf("--version: exit %d:\n%s", code, out)
	}
}
