package deploy_test

// The rules of Grafana's dashboard linter (github.com/grafana/dashboard-linter),
// checked on deploy/grafana/sms-balance.json. The linter itself cannot be
// fetched here (the Go module proxy serves no version of it), so its rules are
// implemented below, named as the linter names them, with a crude but careful
// PromQL scanner instead of Prometheus' parser. TestDashboardLintCatchesBrokenCopies
// proves each rule fires on a copy of the dashboard broken in its way.

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// lintFinding is one problem found by a lint rule.
type lintFinding struct {
	Rule, Msg string
}

func (f lintFinding) String() string { return f.Rule + ": " + f.Msg }

type lintTemplate struct {
	Name       string
	Label      string
	Type       string
	Datasource any
	Query      any
	Multi      bool
	IncludeAll bool
	AllValue   string
	Refresh    int
}

type lintTarget struct {
	Expr       string
	RefID      string `json:"refId"`
	Datasource any
}

type lintPanel struct {
	ID          int
	Type        string
	Title       string
	Description string
	Datasource  any
	Targets     []lintTarget
	FieldConfig struct {
		Defaults struct {
			Unit string
		}
		Overrides []struct {
			Properties []struct {
				ID    string
				Value any
			}
		}
	}
	Panels []lintPanel // a row's collapsed panels
}

type lintDashboard struct {
	Title      string
	Editable   *bool
	Templating struct {
		List []lintTemplate
	}
	Panels []lintPanel
}

// datasourceUID is the uid of a datasource reference: {"uid": "..."} or, in
// old dashboards, the bare string.
func datasourceUID(ds any) string {
	switch v := ds.(type) {
	case string:
		return v
	case map[string]any:
		s, _ := v["uid"].(string)
		return s
	}
	return ""
}

// templateQuery is the query of a template variable: a string, or
// {"query": "..."} in current dashboards.
func templateQuery(v lintTemplate) string {
	switch q := v.Query.(type) {
	case string:
		return q
	case map[string]any:
		s, _ := q["query"].(string)
		return s
	}
	return ""
}

// validUnits are the Grafana unit ids a panel may use (a subset of Grafana's
// list: the ones that fit this exporter's metrics, and the common ones).
var validUnits = []string{
	"none", "string", "short", "percent", "percentunit", "locale", "sci", "hex", "hex0x",
	"currencyUSD", "currencyGBP", "currencyEUR", "currencyJPY", "currencyRUB", "currencyUAH", "currencyBRL",
	"currencyDKK", "currencyISK", "currencyNOK", "currencySEK", "currencyCZK", "currencyCHF", "currencyPLN",
	"currencyZAR", "currencyINR", "currencyKRW", "currencyIDR", "currencyPHP", "currencyVND",
	"bytes", "decbytes", "bits", "decbits",
	"hertz", "ns", "µs", "ms", "s", "m", "h", "d", "dtdurationms", "dtdurations", "dthms", "dtdhms", "clockms", "clocks",
	"dateTimeAsIso", "dateTimeAsUS", "dateTimeFromNow",
	"cps", "ops", "reqps", "rps", "wps", "iops", "cpm", "opm", "rpm", "wpm",
	"bool", "bool_yes_no", "bool_on_off",
}

// Panels with no queries and no values: no datasource, targets or unit to check.
var panelsWithoutQueries = []string{"row", "text", "news", "dashlist"}

// lintDashboardJSON runs every rule on a dashboard.
func lintDashboardJSON(b []byte) ([]lintFinding, error) {
	var d lintDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, err
	}
	var out []lintFinding
	add := func(rule, format string, args ...any) {
		out = append(out, lintFinding{rule, fmt.Sprintf(format, args...)})
	}

	// template-datasource-rule: one datasource variable, named datasource,
	// for Prometheus; every query variable queries through it.
	dsUIDs := map[string]bool{}
	var dsVars int
	for _, v := range d.Templating.List {
		if v.Type != "datasource" {
			continue
		}
		dsVars++
		dsUIDs["$"+v.Name], dsUIDs["${"+v.Name+"}"] = true, true
		if v.Name != "datasource" || v.Label != "Data source" || v.Query != "prometheus" {
			add("template-datasource-rule", "datasource variable %q (label %q, query %v): want datasource, \"Data source\", prometheus", v.Name, v.Label, v.Query)
		}
	}
	if dsVars != 1 {
		add("template-datasource-rule", "%d datasource variables, want 1", dsVars)
	}
	for _, v := range d.Templating.List {
		if v.Type == "query" && !dsUIDs[datasourceUID(v.Datasource)] {
			add("template-datasource-rule", "variable %q queries datasource %q, not the datasource variable", v.Name, datasourceUID(v.Datasource))
		}
	}

	// template-job-rule, template-instance-rule.
	for _, name := range []string{"job", "instance"} {
		rule := "template-" + name + "-rule"
		i := slices.IndexFunc(d.Templating.List, func(v lintTemplate) bool { return v.Name == name })
		if i < 0 {
			add(rule, "no %s variable", name)
			continue
		}
		v := d.Templating.List[i]
		if v.Type != "query" {
			add(rule, "%s variable is of type %q, want query", name, v.Type)
		}
		if uid := datasourceUID(v.Datasource); uid != "$datasource" && uid != "${datasource}" {
			add(rule, "%s variable queries datasource %q, want ${datasource}", name, uid)
		}
		if want := strings.ToUpper(name[:1]) + name[1:]; v.Label != want {
			add(rule, "%s variable is labelled %q, want %q", name, v.Label, want)
		}
		if !v.Multi || !v.IncludeAll || v.AllValue != ".+" {
			add(rule, "%s variable: multi %v, includeAll %v, allValue %q; want multi, include all, allValue .+", name, v.Multi, v.IncludeAll, v.AllValue)
		}
		m := regexp.MustCompile(`^label_values\((.+),\s*` + name + `\)$`).FindStringSubmatch(templateQuery(v))
		if m == nil {
			add(rule, "%s variable query %q is not label_values(..., %s)", name, templateQuery(v), name)
			continue
		}
		if name == "instance" {
			// instance follows the chosen jobs.
			sels, err := promSelectors(m[1])
			if err != nil || len(sels) == 0 {
				add(rule, "instance variable query %q: %v", templateQuery(v), err)
			}
			for _, s := range sels {
				if err := s.requires("job", "$job"); err != nil {
					add(rule, "instance variable query %q: %v", templateQuery(v), err)
				}
			}
		}
	}

	// template-label-promql-rule, template-on-time-change-reload,
	// template-unused-rule: on every query variable.
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q := templateQuery(v)
		m := regexp.MustCompile(`^(label_names|label_values|metrics|query_result)\((.*)\)$`).FindStringSubmatch(q)
		if m == nil {
			add("template-label-promql-rule", "variable %q: query %q is not label_names, label_values, metrics or query_result", v.Name, q)
		} else {
			arg := m[2]
			if m[1] == "label_values" {
				if i := strings.LastIndex(arg, ","); i >= 0 {
					arg = arg[:i]
				}
			}
			if m[1] != "metrics" && m[1] != "label_names" {
				if _, err := promSelectors(arg); err != nil {
					add("template-label-promql-rule", "variable %q: query %q: %v", v.Name, q, err)
				}
			}
		}
		if v.Refresh != 2 {
			add("template-on-time-change-reload", "variable %q has refresh %d, want 2 (on time range change)", v.Name, v.Refresh)
		}
		n := regexp.QuoteMeta(v.Name)
		use := regexp.MustCompile(`\$` + n + `\b|\$\{` + n + `(:[^}]+)?\}|\[\[` + n + `\]\]`)
		used := false
		walkPanels(d.Panels, func(p lintPanel) {
			for _, tg := range p.Targets {
				used = used || use.MatchString(tg.Expr)
			}
		})
		if !used {
			add("template-unused-rule", "variable %q is used by no query", v.Name)
		}
	}

	// uneditable-dashboard-rule.
	if d.Editable == nil || *d.Editable {
		add("uneditable-dashboard-rule", "dashboard is editable, want \"editable\": false")
	}

	walkPanels(d.Panels, func(p lintPanel) {
		if slices.Contains(panelsWithoutQueries, p.Type) {
			return
		}
		// panel-datasource-rule: the panel and each of its targets use the variable.
		if !dsUIDs[datasourceUID(p.Datasource)] {
			add("panel-datasource-rule", "panel %q uses datasource %q, not the datasource variable", p.Title, datasourceUID(p.Datasource))
		}
		for _, tg := range p.Targets {
			if tg.Datasource != nil && !dsUIDs[datasourceUID(tg.Datasource)] {
				add("panel-datasource-rule", "panel %q query %s uses datasource %q, not the datasource variable", p.Title, tg.RefID, datasourceUID(tg.Datasource))
			}
		}
		// panel-title-description-rule.
		if p.Title == "" || p.Description == "" {
			add("panel-title-description-rule", "panel %d has title %q and description %q; want both", p.ID, p.Title, p.Description)
		}
		// panel-units-rule: a valid default unit, and valid override units.
		if !slices.Contains(validUnits, p.FieldConfig.Defaults.Unit) {
			add("panel-units-rule", "panel %q has no or an invalid unit: %q", p.Title, p.FieldConfig.Defaults.Unit)
		}
		for _, o := range p.FieldConfig.Overrides {
			for _, prop := range o.Properties {
				if u, _ := prop.Value.(string); prop.ID == "unit" && !slices.Contains(validUnits, u) {
					add("panel-units-rule", "panel %q overrides the unit with an invalid one: %v", p.Title, prop.Value)
				}
			}
		}
		// panel-no-targets-rule.
		if len(p.Targets) == 0 {
			add("panel-no-targets-rule", "panel %q has no queries", p.Title)
		}

		for _, tg := range p.Targets {
			where := fmt.Sprintf("panel %q query %s", p.Title, tg.RefID)
			// target-promql-rule.
			sels, err := promSelectors(tg.Expr)
			if err == nil && strings.TrimSpace(tg.Expr) == "" {
				err = fmt.Errorf("empty query")
			}
			if err != nil {
				add("target-promql-rule", "%s: invalid PromQL %q: %v", where, tg.Expr, err)
				continue // the other target rules need a query they can read
			}
			for _, s := range sels {
				// target-job-rule, target-instance-rule: on every selector.
				if err := s.requires("job", "$job"); err != nil {
					add("target-job-rule", "%s: %v", where, err)
				}
				if err := s.requires("instance", "$instance"); err != nil {
					add("target-instance-rule", "%s: %v", where, err)
				}
				rateFunc := s.Func == "rate" || s.Func == "irate" || s.Func == "increase"
				// target-rate-interval-rule.
				if s.Range != "" && rateFunc && s.Range != "$__rate_interval" && s.Range != "${__rate_interval}" {
					add("target-rate-interval-rule", "%s: %s(%s[%s]) should use [$__rate_interval]", where, s.Func, s.Metric, s.Range)
				}
				// target-counter-agg-rule.
				if strings.HasSuffix(s.Metric, "_total") && (s.Range == "" || !rateFunc) {
					add("target-counter-agg-rule", "%s: counter %s is not taken through rate, irate or increase", where, s.Metric)
				}
			}
		}
	})
	return out, nil
}

func walkPanels(ps []lintPanel, f func(lintPanel)) {
	for _, p := range ps {
		f(p)
		walkPanels(p.Panels, f)
	}
}

// promSelector is one vector selector of a PromQL expression.
type promSelector struct {
	Metric   string // "" for {…} alone
	Matchers []promMatcher
	Range    string // the text in [...] after it, "" for an instant vector
	Func     string // the function whose parentheses directly hold it, "" if none
}

type promMatcher struct{ Name, Op, Value string }

func (s promSelector) String() string {
	var ms []string
	for _, m := range s.Matchers {
		ms = append(ms, m.Name+m.Op+strconv.Quote(m.Value))
	}
	return s.Metric + "{" + strings.Join(ms, ",") + "}"
}

// requires checks that s matches label name against the variable value
// (name=~"value").
func (s promSelector) requires(name, value string) error {
	for _, m := range s.Matchers {
		if m.Name == name {
			if m.Op != "=~" || m.Value != value {
				return fmt.Errorf("selector %s matches %s%s%q, want %s=~%q", s, name, m.Op, m.Value, name, value)
			}
			return nil
		}
	}
	return fmt.Errorf("selector %s has no %s=~%q", s, name, value)
}

type promToken struct {
	kind string // ident, string, number, var, range, op
	text string // for strings: the unquoted value
}

// promLex splits a PromQL expression (with Grafana variables) into tokens.
func promLex(expr string) ([]promToken, error) {
	var toks []promToken
	isIdentStart := func(c byte) bool { return c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	isIdent := func(c byte) bool { return isIdentStart(c) || isDigit(c) }
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '#': // comment
			for i < len(expr) && expr[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' && c != '`' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return nil, fmt.Errorf("unterminated string at %d", i)
			}
			lit := expr[i : j+1]
			if c == '\'' {
				lit = `"` + strings.ReplaceAll(strings.ReplaceAll(lit[1:len(lit)-1], `\'`, `'`), `"`, `\"`) + `"`
			}
			s, err := strconv.Unquote(lit)
			if err != nil {
				return nil, fmt.Errorf("bad string %s: %w", expr[i:j+1], err)
			}
			toks = append(toks, promToken{"string", s})
			i = j + 1
		case isIdentStart(c):
			j := i
			for j < len(expr) && isIdent(expr[j]) {
				j++
			}
			toks = append(toks, promToken{"ident", expr[i:j]})
			i = j
		case isDigit(c) || c == '.' && i+1 < len(expr) && isDigit(expr[i+1]):
			j := i
			for j < len(expr) && (isIdent(expr[j]) || expr[j] == '.' ||
				(expr[j] == '+' || expr[j] == '-') && (expr[j-1] == 'e' || expr[j-1] == 'E') && !strings.HasPrefix(expr[i:], "0x")) {
				j++
			}
			toks = append(toks, promToken{"number", expr[i:j]})
			i = j
		case c == '$':
			j := i + 1
			if j < len(expr) && expr[j] == '{' {
				k := strings.IndexByte(expr[j:], '}')
				if k < 0 {
					return nil, fmt.Errorf("unterminated ${ at %d", i)
				}
				j += k + 1
			} else {
				for j < len(expr) && isIdent(expr[j]) {
					j++
				}
			}
			if j == i+1 {
				return nil, fmt.Errorf("lone $ at %d", i)
			}
			toks = append(toks, promToken{"var", expr[i:j]})
			i = j
		case c == '[':
			k := strings.IndexByte(expr[i:], ']')
			if k < 0 {
				return nil, fmt.Errorf("unterminated [ at %d", i)
			}
			r := strings.TrimSpace(expr[i+1 : i+k])
			if r == "" || strings.ContainsAny(r, "[(\"") {
				return nil, fmt.Errorf("bad range [%s]", r)
			}
			toks = append(toks, promToken{"range", r})
			i += k + 1
		default:
			op := ""
			for _, o := range []string{"=~", "!~", "!=", "==", "<=", ">=", "(", ")", "{", "}", ",", "=", "<", ">", "+", "-", "*", "/", "%", "^", "@"} {
				if strings.HasPrefix(expr[i:], o) {
					op = o
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("unexpected %q at %d", c, i)
			}
			toks = append(toks, promToken{"op", op})
			i += len(op)
		}
	}
	return toks, nil
}

// PromQL words that are not metric names.
var (
	promLabelListWords = []string{"by", "without", "on", "ignoring", "group_left", "group_right"}
	promOtherWords     = []string{"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
	promAggregations   = []string{"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
		"bottomk", "topk", "quantile", "limitk", "limit_ratio"}
)

// promSelectors returns every vector selector of a PromQL expression, or an
// error where the expression cannot be valid PromQL.
func promSelectors(expr string) ([]promSelector, error) {
	toks, err := promLex(expr)
	if err != nil {
		return nil, err
	}
	var sels []promSelector
	var stack []string // the function owning each open parenthesis
	pendingAgg := ""   // aggregation whose by/without list came before its "("
	is := func(i int, kind, text string) bool {
		return i < len(toks) && toks[i].kind == kind && (text == "" || toks[i].text == text)
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		word := strings.ToLower(t.text)
		switch {
		case t.kind == "op" && t.text == "(":
			owner := ""
			if i > 0 && toks[i-1].kind == "ident" {
				owner = strings.ToLower(toks[i-1].text)
			} else if i > 0 && toks[i-1].kind == "op" && toks[i-1].text == ")" {
				owner = pendingAgg // sum by (x) (...)
			}
			pendingAgg = ""
			stack = append(stack, owner)
		case t.kind == "op" && t.text == ")":
			if len(stack) == 0 {
				return nil, fmt.Errorf("unbalanced )")
			}
			stack = stack[:len(stack)-1]
		case t.kind == "ident" && slices.Contains(promLabelListWords, word):
			if !is(i+1, "op", "(") {
				if word == "group_left" || word == "group_right" {
					continue
				}
				return nil, fmt.Errorf("%s without a label list", t.text)
			}
			j := i + 2
			for ; j < len(toks) && !is(j, "op", ")"); j++ {
				if !is(j, "ident", "") && !is(j, "op", ",") && !is(j, "string", "") {
					return nil, fmt.Errorf("bad label list after %s", t.text)
				}
			}
			if j == len(toks) {
				return nil, fmt.Errorf("unterminated label list after %s", t.text)
			}
			if (word == "by" || word == "without") && i > 0 && toks[i-1].kind == "ident" && slices.Contains(promAggregations, strings.ToLower(toks[i-1].text)) {
				pendingAgg = strings.ToLower(toks[i-1].text)
			}
			i = j // past the list's ")"
		case t.kind == "ident" && is(i+1, "op", "("):
			// a function or aggregation call: its "(" is handled next
		case t.kind == "ident" && slices.Contains(promAggregations, word) && (is(i+1, "ident", "by") || is(i+1, "ident", "without")):
			// sum by (...) (...)
		case t.kind == "ident" && slices.Contains(promOtherWords, word):
		case t.kind == "ident" || t.kind == "op" && t.text == "{":
			s := promSelector{}
			if len(stack) > 0 {
				s.Func = stack[len(stack)-1]
			}
			if t.kind == "ident" {
				s.Metric = t.text
				i++
			}
			if is(i, "op", "{") {
				i++
				for !is(i, "op", "}") {
					if !is(i, "ident", "") || !is(i+1, "op", "") || !slices.Contains([]string{"=", "!=", "=~", "!~"}, toks[i+1].text) || !is(i+2, "string", "") {
						return nil, fmt.Errorf("bad label matcher in selector of %q", s.Metric)
					}
					s.Matchers = append(s.Matchers, promMatcher{toks[i].text, toks[i+1].text, toks[i+2].text})
					i += 3
					if is(i, "op", ",") {
						i++
					} else if !is(i, "op", "}") {
						return nil, fmt.Errorf("unterminated selector of %q", s.Metric)
					}
				}
				i++
			}
			if is(i, "range", "") {
				s.Range = toks[i].text
				i++
			}
			if s.Metric == "" && len(s.Matchers) == 0 {
				return nil, fmt.Errorf("empty selector {}")
			}
			sels = append(sels, s)
			i-- // the loop's i++ moves to the next token
		case t.kind == "op" && t.text == "}":
			return nil, fmt.Errorf("unbalanced }")
		}
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("unbalanced (")
	}
	return sels, nil
}

func TestDashboardPromQLSelectors(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string // "func:metric{matchers}[range]"
		err  bool
	}{
		{expr: `up`, want: []string{`:up{}`}},
		{expr: `sms_balance:days_left:deriv6h{job=~"$job"}`, want: []string{`:sms_balance:days_left:deriv6h{job=~"$job"}`}},
		{expr: `a{x="1",y!~"b,c}"} <= on (job, instance) group_left (u) 2 * b{x="1"}`, want: []string{`:a{x="1",y!~"b,c}"}`, `:b{x="1"}`}},
		{expr: `histogram_quantile(0.9, sum by (le, provider) (rate(x_bucket{j=~"$job"}[$__rate_interval])))`, want: []string{`rate:x_bucket{j=~"$job"}[$__rate_interval]`}},
		{expr: `sum(rate(c_total[5m])) without (instance) > 0`, want: []string{`rate:c_total{}[5m]`}},
		{expr: `increase(c_total{a='q'}[${__rate_interval}]) and on () (d offset 1h)`, want: []string{`increase:c_total{a="q"}[${__rate_interval}]`, `:d{}`}},
		{expr: `{__name__=~"sms_.*"} / 1e-3`, want: []string{`:{__name__=~"sms_.*"}`}},
		{expr: `max_over_time((c_total)[1h:1m]) # c_total`, want: []string{`:c_total{}`}},
		{expr: `clamp_min(-deriv(sms_balance[6h]) * 86400, 0) > bool Inf`, want: []string{`deriv:sms_balance{}[6h]`}},
		{expr: `rate(x[5m]`, err: true},
		{expr: `rate(x[5m]))`, err: true},
		{expr: `x{job=~"$job}`, err: true},
		{expr: `x{job=~$job}`, err: true},
		{expr: `x{job}`, err: true},
		{expr: `x{}`, want: []string{`:x{}`}},
		{expr: `{}`, err: true},
		{expr: `sum by le (x)`, err: true},
		{expr: `x[5m`, err: true},
		{expr: `x } y`, err: true},
	} {
		sels, err := promSelectors(tc.expr)
		if tc.err {
			if err == nil {
				t.Errorf("%s: no error, selectors %v", tc.expr, sels)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		var got []string
		for _, s := range sels {
			g := s.Func + ":" + s.String()
			if s.Range != "" {
				g += "[" + s.Range + "]"
			}
			got = append(got, g)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.expr, got, tc.want)
		}
	}
}

func readDashboardJSON(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("grafana/sms-balance.json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDashboardLint checks the dashboard against the linter's rules.
func TestDashboardLint(t *testing.T) {
	b := readDashboardJSON(t)
	findings, err := lintDashboardJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Error(f)
	}
	// Not vacuous: every query has selectors for the rules to check.
	var d lintDashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	targets := 0
	walkPanels(d.Panels, func(p lintPanel) {
		for _, tg := range p.Targets {
			targets++
			if sels, err := promSelectors(tg.Expr); err != nil || len(sels) == 0 {
				t.Errorf("panel %q query %s: selectors %v, %v", p.Title, tg.RefID, sels, err)
			}
		}
	})
	if targets == 0 {
		t.Error("the dashboard has no queries")
	}
}

// TestDashboardLintCatchesBrokenCopies breaks a copy of the dashboard in one
// way at a time and checks that exactly the rules for it complain.
func TestDashboardLintCatchesBrokenCopies(t *testing.T) {
	orig := readDashboardJSON(t)
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, d map[string]any)
		rules   []string
	}{
		{"job variable missing", func(t *testing.T, d map[string]any) { deleteVar(t, d, "job") },
			[]string{"template-job-rule"}},
		{"instance variable missing", func(t *testing.T, d map[string]any) { deleteVar(t, d, "instance") },
			[]string{"template-instance-rule"}},
		{"job variable all value .*", func(t *testing.T, d map[string]any) { lintVar(t, d, "job")["allValue"] = ".*" },
			[]string{"template-job-rule"}},
		{"instance variable single value", func(t *testing.T, d map[string]any) { lintVar(t, d, "instance")["multi"] = false },
			[]string{"template-instance-rule"}},
		{"job variable without All", func(t *testing.T, d map[string]any) { lintVar(t, d, "job")["includeAll"] = false },
			[]string{"template-job-rule"}},
		{"job variable not a query", func(t *testing.T, d map[string]any) { lintVar(t, d, "job")["type"] = "custom" },
			[]string{"template-job-rule"}},
		{"job variable mislabelled", func(t *testing.T, d map[string]any) { lintVar(t, d, "job")["label"] = "job" },
			[]string{"template-job-rule"}},
		{"job variable on a fixed datasource", func(t *testing.T, d map[string]any) {
			lintVar(t, d, "job")["datasource"] = map[string]any{"type": "prometheus", "uid": "prom1"}
		}, []string{"template-job-rule", "template-datasource-rule"}},
		{"instance variable ignores $job", func(t *testing.T, d map[string]any) {
			lintVar(t, d, "instance")["query"] = map[string]any{"query": "label_values(sms_balance, instance)", "refId": "instance"}
		}, []string{"template-instance-rule"}},
		{"datasource variable missing", func(t *testing.T, d map[string]any) { deleteVar(t, d, "datasource") },
			[]string{"template-datasource-rule", "panel-datasource-rule"}},
		{"datasource variable for Loki", func(t *testing.T, d map[string]any) { lintVar(t, d, "datasource")["query"] = "loki" },
			[]string{"template-datasource-rule"}},
		{"panel on a fixed datasource", func(t *testing.T, d map[string]any) {
			lintPanelByTitle(t, d, "Balance over time")["datasource"] = map[string]any{"type": "prometheus", "uid": "prom1"}
		}, []string{"panel-datasource-rule"}},
		{"query on a fixed datasource", func(t *testing.T, d map[string]any) {
			lintTargetByRef(t, d, "Refresh latency", "B")["datasource"] = map[string]any{"type": "prometheus", "uid": "prom1"}
		}, []string{"panel-datasource-rule"}},
		{"panel without unit", func(t *testing.T, d map[string]any) {
			delete(lintPanelByTitle(t, d, "Auth failures")["fieldConfig"].(map[string]any)["defaults"].(map[string]any), "unit")
		}, []string{"panel-units-rule"}},
		{"panel with an unknown unit", func(t *testing.T, d map[string]any) {
			lintPanelByTitle(t, d, "Balance")["fieldConfig"].(map[string]any)["defaults"].(map[string]any)["unit"] = "credits"
		}, []string{"panel-units-rule"}},
		{"override with an unknown unit", func(t *testing.T, d map[string]any) {
			fc := lintPanelByTitle(t, d, "Balance over time")["fieldConfig"].(map[string]any)
			fc["overrides"] = append(fc["overrides"].([]any), map[string]any{
				"matcher":    map[string]any{"id": "byFrameRefID", "options": "A"},
				"properties": []any{map[string]any{"id": "unit", "value": "credits"}},
			})
		}, []string{"panel-units-rule"}},
		{"panel without description", func(t *testing.T, d map[string]any) { lintPanelByTitle(t, d, "Provider up")["description"] = "" },
			[]string{"panel-title-description-rule"}},
		{"panel without queries", func(t *testing.T, d map[string]any) { lintPanelByTitle(t, d, "Days left")["targets"] = []any{} },
			[]string{"panel-no-targets-rule"}},
		{"one selector of several without job", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Balance", "NEAR", `2 * sms_balance_low_threshold{job=~"$job",`, `2 * sms_balance_low_threshold{`)
		}, []string{"target-job-rule"}},
		{"instance matched against a fixed regexp", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Days left", "A", `instance=~"$instance"`, `instance=~".*"`)
		}, []string{"target-instance-rule"}},
		{"job matched for equality", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Spend per day", "A", `job=~"$job"`, `job="$job"`)
		}, []string{"target-job-rule"}},
		{"selector without matchers", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Balance over time", "B", `{job=~"$job",instance=~"$instance",`, `{`)
		}, []string{"target-job-rule", "target-instance-rule"}},
		{"rate over a fixed range", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Failures by reason", "A", `[$__rate_interval]`, `[5m]`)
		}, []string{"target-rate-interval-rule"}},
		{"increase over a fixed range", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Auth failures", "A", `[$__rate_interval]`, `[1h]`)
		}, []string{"target-rate-interval-rule"}},
		{"counter without increase", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Auth failures", "A", `increase(`, `(`)
			replaceExpr(t, d, "Auth failures", "A", `[$__rate_interval]`, ``)
		}, []string{"target-counter-agg-rule"}},
		{"counter in a non-rate function", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Auth failures", "A", `increase(`, `max_over_time(`)
		}, []string{"target-counter-agg-rule"}},
		{"unbalanced parentheses", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Refresh latency", "A", `])))`, `]))`)
		}, []string{"target-promql-rule"}},
		{"unterminated matcher", func(t *testing.T, d map[string]any) {
			replaceExpr(t, d, "Provider up", "A", `account=~"$account"}`, `account=~"$account}`)
		}, []string{"target-promql-rule"}},
		{"variable not reloaded on time range change", func(t *testing.T, d map[string]any) { lintVar(t, d, "provider")["refresh"] = 1 },
			[]string{"template-on-time-change-reload"}},
		{"variable query not label_values", func(t *testing.T, d map[string]any) {
			lintVar(t, d, "account")["query"] = map[string]any{"query": "sms_provider_up", "refId": "account"}
		}, []string{"template-label-promql-rule"}},
		{"unused variable", func(t *testing.T, d map[string]any) {
			tl := d["templating"].(map[string]any)
			tl["list"] = append(tl["list"].([]any), map[string]any{
				"name": "unit", "label": "Unit", "type": "query", "refresh": 2,
				"datasource": map[string]any{"type": "prometheus", "uid": "${datasource}"},
				"query":      map[string]any{"query": "label_values(sms_balance, unit)", "refId": "unit"},
			})
		}, []string{"template-unused-rule"}},
		{"editable", func(t *testing.T, d map[string]any) { d["editable"] = true },
			[]string{"uneditable-dashboard-rule"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var d map[string]any
			if err := json.Unmarshal(orig, &d); err != nil {
				t.Fatal(err)
			}
			tc.breakIt(t, d)
			b, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			findings, err := lintDashboardJSON(b)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, f := range findings {
				got[f.Rule] = true
				if !slices.Contains(tc.rules, f.Rule) {
					t.Errorf("unexpected finding %s", f)
				}
			}
			for _, r := range tc.rules {
				if !got[r] {
					t.Errorf("%s found nothing; findings: %v", r, findings)
				}
			}
		})
	}
}

func lintVars(t *testing.T, d map[string]any) []any {
	t.Helper()
	return d["templating"].(map[string]any)["list"].([]any)
}

func lintVar(t *testing.T, d map[string]any, name string) map[string]any {
	t.Helper()
	for _, v := range lintVars(t, d) {
		if v.(map[string]any)["name"] == name {
			return v.(map[string]any)
		}
	}
	t.Fatalf("no variable %q", name)
	return nil
}

func deleteVar(t *testing.T, d map[string]any, name string) {
	t.Helper()
	v := lintVar(t, d, name)
	d["templating"].(map[string]any)["list"] = slices.DeleteFunc(lintVars(t, d), func(x any) bool { return x.(map[string]any)["name"] == v["name"] })
}

func lintPanelByTitle(t *testing.T, d map[string]any, title string) map[string]any {
	t.Helper()
	for _, p := range d["panels"].([]any) {
		if p.(map[string]any)["title"] == title {
			return p.(map[string]any)
		}
	}
	t.Fatalf("no panel %q", title)
	return nil
}

func lintTargetByRef(t *testing.T, d map[string]any, title, ref string) map[string]any {
	t.Helper()
	for _, tg := range lintPanelByTitle(t, d, title)["targets"].([]any) {
		if tg.(map[string]any)["refId"] == ref {
			return tg.(map[string]any)
		}
	}
	t.Fatalf("panel %q has no query %s", title, ref)
	return nil
}

// replaceExpr replaces the first old in a query, which must contain it.
func replaceExpr(t *testing.T, d map[string]any, title, ref, old, new string) {
	t.Helper()
	tg := lintTargetByRef(t, d, title, ref)
	expr := tg["expr"].(string)
	if !strings.Contains(expr, old) {
		t.Fatalf("panel %q query %s: no %q in %s", title, ref, old, expr)
	}
	tg["expr"] = strings.Replace(expr, old, new, 1)
}
