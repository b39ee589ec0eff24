package generic

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/template"
	"unicode"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// Answer formats.
const (
	FormatJSON = "json"
	FormatXML  = "xml"
	FormatText = "text"
)

// maxPathBytes bounds balance_path, currency_path, error_path and the
// paths of extra_balances.
const maxPathBytes = 1024

// maxHeaders bounds the headers of one request.
const maxHeaders = 64

// Options are the `options:` of an http account. Every template (url,
// headers, body) is a Go text/template that sees only .Credentials, a map
// of the account's credentials by name: {{ .Credentials.api_key }}. Use
// {{ .Credentials.api_key | urlquery }} for a value that may hold characters
// reserved in a URL. Only the text/template built-in functions exist; range
// and template calls are refused.
type Options struct {
	// URL is the balance endpoint, an absolute http or https URL (a
	// template). The account's base_url is not used.
	URL string `yaml:"url"`
	// Method is GET (default) or POST.
	Method string `yaml:"method"`
	// Headers are sent with the request (values are templates; at most 64). Without an
	// Accept header the format's media type is asked for; without a
	// Content-Type a body that starts with { or [ is sent as
	// application/json, any other as application/x-www-form-urlencoded.
	Headers map[string]string `yaml:"headers"`
	// Body is the request body (a template); none when empty.
	Body string `yaml:"body"`
	// Format is how the answer is read: json (default), xml or text.
	Format string `yaml:"format"`
	// BalancePath locates the amount: for json a dotted path in which a
	// number indexes an array (data.wallets.0.amount); for xml a slash path
	// from the root element (response/data/balance, or …/balance/@value for
	// an attribute); unused for text, whose whole trimmed body is the amount.
	BalancePath string `yaml:"balance_path"`
	// CurrencyPath optionally locates the currency code like BalancePath.
	CurrencyPath string `yaml:"currency_path"`
	// Unit is currency (default) or credits.
	Unit string `yaml:"unit"`
	// ExtraBalances are further amounts in the same answer, exported after
	// the main one (BalancePath, the account's main balance): an amount in
	// another unit (Arkesel's SMS credits beside its GHS money) or a credit
	// limit. Not used with format text.
	ExtraBalances []ExtraBalance `yaml:"extra_balances"`
	// AuthStatus lists the HTTP statuses that mean the credentials were
	// refused (default 401 and 403).
	AuthStatus []int `yaml:"auth_status"`
	// ErrorPath and ErrorValue, given together, recognise a 2xx answer that
	// is really an error: the value at ErrorPath equals ErrorValue.
	ErrorPath  string `yaml:"error_path"`
	ErrorValue string `yaml:"error_value"`
}

// Kinds of an extra amount: the metric that exports it.
const (
	// KindBalance is credit held on the account: sms_balance.
	KindBalance = "balance"
	// KindCreditLimit is a credit or overdraft limit that may be spent on
	// top of the balance: sms_balance_credit_limit.
	KindCreditLimit = "credit_limit"
)

// ExtraBalance is one entry of extra_balances: an amount read from the
// answer like the main one (a number or numeric string, optionally with a
// currency code in it; the currency is CurrencyPath's value, else the
// account's currency:, else the code in the amount).
//
// An amount the answer lacks (Path not in it, or null or empty there) is a
// bad_response error, unless Optional is set: then the amount is left out
// of that refresh and the others are still exported.
type ExtraBalance struct {
	// Path locates the amount, written like balance_path.
	Path string `yaml:"path"`
	// CurrencyPath optionally locates its currency code, written like
	// currency_path. The main currency_path is not inherited.
	CurrencyPath string `yaml:"currency_path"`
	// Unit is currency (default) or credits.
	Unit string `yaml:"unit"`
	// Kind is balance (default) or credit_limit.
	Kind string `yaml:"kind"`
	// Optional makes an amount the answer lacks be left out instead of an
	// error. An amount that is there must still be valid, and so must its
	// currency at CurrencyPath.
	Optional bool `yaml:"optional"`
}

// NewOptions returns Options with their defaults.
func NewOptions() *Options {
	return &Options{
		Method:     http.MethodGet,
		Format:     FormatJSON,
		Unit:       providers.UnitCurrency,
		AuthStatus: []int{http.StatusUnauthorized, http.StatusForbidden},
	}
}

// request is the compiled form of Options.
type request struct {
	method  string
	url     *template.Template
	headers []header // sorted by name
	body    *template.Template
	hasBody bool
	parser  parser
	auth    map[int]bool
}

type header struct {
	key   string // as written, for error messages
	name  string // canonical
	value *template.Template
}

// Validate implements providers.Options: it checks every option without
// network access, normalises the case of method, format and unit, and
// applies the defaults to empty values.
func (o *Options) Validate() error {
	_, err := o.compile()
	return err
}

// compile validates the options and returns their compiled form.
func (o *Options) compile() (*request, error) {
	o.Method = strings.ToUpper(strings.TrimSpace(o.Method))
	o.Format = strings.ToLower(strings.TrimSpace(o.Format))
	o.Unit = strings.ToLower(strings.TrimSpace(o.Unit))
	if o.Method == "" {
		o.Method = http.MethodGet
	}
	if o.Format == "" {
		o.Format = FormatJSON
	}
	if o.Unit == "" {
		o.Unit = providers.UnitCurrency
	}
	if len(o.AuthStatus) == 0 {
		o.AuthStatus = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	r := &request{method: o.Method, hasBody: o.Body != "", auth: map[int]bool{}}

	// url
	if strings.TrimSpace(o.URL) == "" {
		return nil, providers.FieldErrorf("url", errors.New("required: the balance endpoint, e.g. https://api.example.com/balance?key={{ .Credentials.api_key }}"))
	}
	t, err := parseTemplate("url", o.URL)
	if err != nil {
		return nil, providers.FieldErrorf("url", err)
	}
	r.url = t
	s, err := expand(t, placeholders(referencedNames(t)))
	if err != nil {
		return nil, providers.FieldErrorf("url", err)
	}
	if err := checkURL(s); err != nil {
		return nil, providers.FieldErrorf("url", err)
	}

	// method
	if o.Method != http.MethodGet && o.Method != http.MethodPost {
		return nil, providers.FieldErrorf("method", fmt.Errorf("expected GET or POST, got %q", o.Method))
	}

	// headers
	if len(o.Headers) > maxHeaders {
		return nil, providers.FieldErrorf("headers", fmt.Errorf("at most %d headers, got %d", maxHeaders, len(o.Headers)))
	}
	keys := make([]string, 0, len(o.Headers))
	for k := range o.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	seen := map[string]string{}
	for _, k := range keys {
		field := "headers." + k
		if !validHeaderName(k) {
			return nil, providers.FieldErrorf(field, fmt.Errorf("%q is not a valid header name", k))
		}
		name := http.CanonicalHeaderKey(k)
		switch name {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection":
			return nil, providers.FieldErrorf(field, fmt.Errorf("%s is set by the HTTP client and cannot be configured", name))
		}
		if prev, ok := seen[name]; ok {
			return nil, providers.FieldErrorf(field, fmt.Errorf("header given twice (as %q and %q)", prev, k))
		}
		seen[name] = k
		t, err := parseTemplate(field, o.Headers[k])
		if err != nil {
			return nil, providers.FieldErrorf(field, err)
		}
		v, err := expand(t, placeholders(referencedNames(t)))
		if err != nil {
			return nil, providers.FieldErrorf(field, err)
		}
		if !validHeaderValue(v) {
			return nil, providers.FieldErrorf(field, errors.New("a header value cannot hold control characters such as a newline"))
		}
		r.headers = append(r.headers, header{key: k, name: name, value: t})
	}

	// body
	if o.Body != "" {
		t, err := parseTemplate("body", o.Body)
		if err != nil {
			return nil, providers.FieldErrorf("body", err)
		}
		if _, err := expand(t, placeholders(referencedNames(t))); err != nil {
			return nil, providers.FieldErrorf("body", err)
		}
		r.body = t
	}

	// format and paths
	p := parser{format: o.Format, unit: o.Unit, errorValue: o.ErrorValue}
	switch o.Format {
	case FormatJSON, FormatXML:
		if o.BalancePath == "" {
			return nil, providers.FieldErrorf("balance_path", fmt.Errorf("required with format %s", o.Format))
		}
	case FormatText:
		for _, f := range []struct{ key, val string }{{"balance_path", o.BalancePath}, {"currency_path", o.CurrencyPath}, {"error_path", o.ErrorPath}} {
			if f.val != "" {
				return nil, providers.FieldErrorf(f.key, errors.New("not used with format text (the whole body is the amount)"))
			}
		}
	default:
		return nil, providers.FieldErrorf("format", fmt.Errorf("expected json, xml or text, got %q", o.Format))
	}
	for _, f := range []struct {
		key, val string
		dst      *[]string
	}{{"balance_path", o.BalancePath, &p.balance}, {"currency_path", o.CurrencyPath, &p.currency}, {"error_path", o.ErrorPath, &p.errorPath}} {
		if f.val == "" {
			continue
		}
		segs, err := splitPath(o.Format, f.val)
		if err != nil {
			return nil, providers.FieldErrorf(f.key, err)
		}
		*f.dst = segs
	}
	p.balanceText, p.currencyText, p.errorText = o.BalancePath, o.CurrencyPath, o.ErrorPath
	if o.ErrorPath != "" && o.ErrorValue == "" {
		return nil, providers.FieldErrorf("error_value", errors.New("required with error_path"))
	}
	if o.ErrorValue != "" && o.ErrorPath == "" {
		return nil, providers.FieldErrorf("error_path", errors.New("required with error_value"))
	}

	// unit
	switch o.Unit {
	case providers.UnitCurrency:
	case providers.UnitCredits:
		if o.CurrencyPath != "" {
			return nil, providers.FieldErrorf("currency_path", errors.New("not used with unit credits"))
		}
	default:
		return nil, providers.FieldErrorf("unit", fmt.Errorf("expected currency or credits, got %q", o.Unit))
	}

	// extra_balances
	if len(o.ExtraBalances) > 0 && o.Format == FormatText {
		return nil, providers.FieldErrorf("extra_balances", errors.New("not used with format text (the whole body is the one amount)"))
	}
	for i := range o.ExtraBalances {
		a, err := o.ExtraBalances[i].compile(i, o.Format)
		if err != nil {
			return nil, err
		}
		p.extras = append(p.extras, a)
	}
	if err := p.checkSeries(); err != nil {
		return nil, err
	}

	// auth_status
	for _, st := range o.AuthStatus {
		if st < 400 || st > 599 {
			return nil, providers.FieldErrorf("auth_status", fmt.Errorf("expected HTTP statuses from 400 to 599, got %d", st))
		}
		r.auth[st] = true
	}
	r.parser = p
	return r, nil
}

// compile validates extra_balances[i], normalising the case of unit and
// kind and applying their defaults, and returns its compiled form.
func (e *ExtraBalance) compile(i int, format string) (amount, error) {
	key := fmt.Sprintf("extra_balances[%d].", i)
	e.Unit = strings.ToLower(strings.TrimSpace(e.Unit))
	e.Kind = strings.ToLower(strings.TrimSpace(e.Kind))
	if e.Unit == "" {
		e.Unit = providers.UnitCurrency
	}
	if e.Kind == "" {
		e.Kind = KindBalance
	}
	a := amount{
		key: key + "path", currencyKey: key + "currency_path", unit: e.Unit, optional: e.Optional,
		pathText: e.Path, currencyText: e.CurrencyPath,
	}
	if e.Path == "" {
		return amount{}, providers.FieldErrorf(a.key, errors.New("required: where the amount is in the answer, written like balance_path"))
	}
	segs, err := splitPath(format, e.Path)
	if err != nil {
		return amount{}, providers.FieldErrorf(a.key, err)
	}
	a.path = segs
	if e.CurrencyPath != "" {
		if a.currency, err = splitPath(format, e.CurrencyPath); err != nil {
			return amount{}, providers.FieldErrorf(a.currencyKey, err)
		}
	}
	switch e.Unit {
	case providers.UnitCurrency:
	case providers.UnitCredits:
		if e.CurrencyPath != "" {
			return amount{}, providers.FieldErrorf(a.currencyKey, errors.New("not used with unit credits"))
		}
	default:
		return amount{}, providers.FieldErrorf(key+"unit", fmt.Errorf("expected currency or credits, got %q", providers.Bound(e.Unit)))
	}
	switch e.Kind {
	case KindBalance:
		a.kind = providers.KindBalance
	case KindCreditLimit:
		a.kind = providers.KindCreditLimit
	default:
		return amount{}, providers.FieldErrorf(key+"kind", fmt.Errorf("expected %s or %s, got %q", KindBalance, KindCreditLimit, providers.Bound(e.Kind)))
	}
	return a, nil
}

// CheckCredentials implements providers.CredentialChecker: every template
// is executed with the account's credential names, so that a reference to
// a credential the account does not give is an error naming it and the
// option.
func (o *Options) CheckCredentials(names []string) error {
	r, err := o.compile()
	if err != nil {
		return err
	}
	return r.checkCredentials(names)
}

func (r *request) checkCredentials(names []string) error {
	creds := placeholders(names)
	check := func(field string, t *template.Template) error {
		if _, err := expand(t, creds); err != nil {
			return providers.FieldErrorf(field, credentialError(err, names))
		}
		return nil
	}
	if err := check("url", r.url); err != nil {
		return err
	}
	for _, h := range r.headers {
		if err := check("headers."+h.key, h.value); err != nil {
			return err
		}
	}
	if r.body != nil {
		return check("body", r.body)
	}
	return nil
}

// checkURL checks an expanded url: absolute http(s) with a host and no
// user info.
func checkURL(s string) error {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a valid URL after expansion")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("expected an absolute http or https URL")
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("expected a URL with a host")
	}
	if u.User != nil {
		return errors.New("user info in the URL is not supported: use http_client_config.basic_auth or a header")
	}
	return nil
}

// splitPath checks a path option and splits it into segments.
func splitPath(format, path string) ([]string, error) {
	if len(path) > maxPathBytes {
		return nil, fmt.Errorf("path longer than %d bytes", maxPathBytes)
	}
	for _, r := range path {
		if unicode.IsControl(r) || r == '\uFFFD' {
			return nil, errors.New("path holds a control character or invalid UTF-8")
		}
	}
	if format == FormatXML {
		segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
		for i, s := range segs {
			name := s
			if strings.HasPrefix(s, "@") && i == len(segs)-1 && i > 0 {
				name = s[1:]
			}
			if !validXMLName(name) {
				return nil, fmt.Errorf("expected element names separated by / from the root element (response/data/balance, optionally ending in /@attribute), got %q in %q", s, path)
			}
		}
		return segs, nil
	}
	segs := strings.Split(path, ".")
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("expected keys separated by dots (data.wallets.0.amount), got an empty key in %q", path)
		}
	}
	return segs, nil
}

// validXMLName reports whether s is an XML element or attribute name
// without a namespace prefix (paths match local names).
func validXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case unicode.IsLetter(r) || r == '_':
		case i > 0 && (unicode.IsDigit(r) || unicode.IsMark(r) || r == '-' || r == '.'):
		default:
			return false
		}
	}
	return true
}

// validHeaderName reports whether s is an HTTP token (RFC 9110).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v can be sent as a header value: no
// control characters but tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// EndpointURL implements providers.Endpointer: the url up to its first
// template action, when the scheme and host come before it (the usual case:
// only the path or query is templated); "" when the host itself is
// templated. The collector counts the account's calls against that host's
// concurrency limit.
func (o *Options) EndpointURL() string {
	u := o.URL
	if i := strings.Index(u, "{{"); i >= 0 {
		u = u[:i]
		scheme, rest, ok := strings.Cut(u, "://")
		if !ok || scheme == "" || !strings.ContainsAny(rest, "/?#") {
			return "" // the host (or its end) is templated
		}
	}
	return u
}
