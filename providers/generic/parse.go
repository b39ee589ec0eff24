package generic

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strconv"
	"strings"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
)

// parser reads a 2xx answer as the options say.
type parser struct {
	format string
	unit   string
	// Path segments, and the paths as written for error messages.
	balance, currency, errorPath         []string
	balanceText, currencyText, errorText string
	errorValue                           string
	// extras are the amounts of extra_balances, in order.
	extras []amount
	// defaultCurrency is the account's `currency:` (may be "").
	defaultCurrency string
}

// amount says where one amount is in an answer and what it is: the main
// balance (balance_path) or an entry of extra_balances.
type amount struct {
	// key and currencyKey name the options, for error messages:
	// "balance_path" or "extra_balances[0].path", and their currency paths.
	key, currencyKey string
	kind             providers.Kind
	unit             string
	// Path segments, and the paths as written for error messages.
	path, currency         []string
	pathText, currencyText string
	// optional: an amount the answer lacks is left out, not an error.
	optional bool
}

// main is the main balance: balance_path.
func (p parser) main() amount {
	return amount{key: "balance_path", currencyKey: "currency_path", kind: providers.KindBalance, unit: p.unit,
		path: p.balance, currency: p.currency, pathText: p.balanceText, currencyText: p.currencyText}
}

// where names the option an amount comes from and its path, for errors.
func (a amount) where() string {
	return a.key + " " + strconv.Quote(providers.Bound(a.pathText))
}

// metric is the metric that exports amounts of kind k.
func metric(k providers.Kind) string {
	if k == providers.KindCreditLimit {
		return "sms_balance_credit_limit"
	}
	return "sms_balance"
}

// series is what tells the series of an amount apart, as far as the
// options alone say: its kind, its unit and where its currency comes from
// (for credits, none; else the currency path, the account's currency:, or
// the code in the amount at its path). Two amounts with the same series
// key are always exported in the same series.
type series struct {
	kind       providers.Kind
	unit       string
	currency   string // the source of the currency
	currencyIs string // that source, for error messages
}

// seriesOf returns the series key of amount a under p's options.
func (p parser) seriesOf(a amount) series {
	s := series{kind: a.kind, unit: a.unit}
	switch {
	case a.unit == providers.UnitCredits:
		s.currencyIs = "in credits"
	case a.currency != nil:
		s.currency = "path\x00" + strings.Join(a.currency, "\x00")
		s.currencyIs = "of money in the currency at " + strconv.Quote(providers.Bound(a.currencyText))
	case p.defaultCurrency != "":
		s.currency = "code\x00" + p.defaultCurrency
		s.currencyIs = "of money in the account's currency: " + p.defaultCurrency + " (neither has a currency_path)"
	default:
		s.currency = "amount\x00" + strings.Join(a.path, "\x00")
		s.currencyIs = "of money read from the same value (same path, no currency_path)"
	}
	return s
}

// checkSeries refuses options under which two amounts always make the same
// series (same kind, unit and currency), which the collector would refuse
// in every answer. Clashes that depend on the answer (two currency codes
// read from it) are found by parse.
func (p parser) checkSeries() error {
	amounts := append([]amount{p.main()}, p.extras...)
	seen := make(map[series]string, len(amounts))
	for _, a := range amounts {
		s := p.seriesOf(a)
		k := s
		k.currencyIs = ""
		if prev, ok := seen[k]; ok {
			return providers.FieldErrorf(a.key, fmt.Errorf("same series as %s: both would be %s %s, and two amounts cannot share a series", prev, metric(a.kind), s.currencyIs))
		}
		seen[k] = a.key
	}
	return nil
}

// value is what a path finds: a scalar as text, or a description of
// something else.
type value struct {
	scalar bool   // a string, number, boolean or null (json); a text-only element or attribute (xml)
	text   string // the scalar's text
	isStr  bool   // a JSON string, or XML text (may carry a currency code)
	desc   string // what was found, for error messages
}

// empty reports whether v is no amount at all: null, or an empty or blank
// string or element.
func (v value) empty() bool {
	return v.scalar && (v.text == "null" && !v.isStr || v.isStr && strings.TrimSpace(v.text) == "")
}

// absentError is a lookup error that means the path is not in the answer,
// as opposed to the answer having another shape along it.
type absentError struct{ msg string }

func (e *absentError) Error() string { return e.msg }

func absentf(format string, args ...any) error {
	return &absentError{msg: fmt.Sprintf(format, args...)}
}

// isAbsent reports whether err says that a path is not in the answer.
func isAbsent(err error) bool {
	var a *absentError
	return errors.As(err, &a)
}

// document is a decoded answer.
type document interface {
	lookup(path []string) (value, error)
}

// parse reads a 2xx answer into the balance.
func parse(resp *providers.Response, p parser) ([]providers.Balance, error) {
	if err := checkContentType(resp, p.format); err != nil {
		return nil, err
	}
	if body := bytes.TrimPrefix(resp.Body, []byte("\xef\xbb\xbf")); len(body) != len(resp.Body) {
		trimmed := *resp // keeps resp's redaction of quotes
		trimmed.Body = body
		resp = &trimmed
	}
	body := resp.Body
	if p.format == FormatText {
		text := strings.TrimSpace(string(body))
		if text == "" {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: expected an amount, got an empty body", resp.Op)
		}
		return p.balances(resp.Op, value{scalar: true, text: text, isStr: true, desc: resp.Snippet()}, "")
	}
	var doc document
	var err error
	if p.format == FormatXML {
		doc, err = decodeXML(body)
	} else {
		doc, err = decodeJSON(body)
	}
	if err != nil {
		return nil, &providers.Error{Reason: providers.ReasonBadResponse,
			Msg: fmt.Sprintf("%s: expected %s document, got %s", resp.Op, article(p.format), resp.Snippet()), Err: err}
	}
	if p.errorPath != nil {
		v, err := doc.lookup(p.errorPath)
		if err == nil && v.scalar && v.text == p.errorValue {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: the answer reports an error: error_path %q is %q", resp.Op, providers.Bound(p.errorText), providers.Bound(p.errorValue))
		}
	}
	amounts := append([]amount{p.main()}, p.extras...)
	out := make([]providers.Balance, 0, len(amounts))
	from := make([]amount, 0, len(amounts))
	for _, a := range amounts {
		b, ok, err := p.read(resp.Op, doc, a)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, b)
			from = append(from, a)
		}
	}
	// Clashes the options could not tell (checkSeries): the collector
	// would refuse them too, but without naming the paths.
	for i := range out {
		for j := 0; j < i; j++ {
			if out[i].Kind == out[j].Kind && out[i].Unit == out[j].Unit && out[i].Currency == out[j].Currency {
				return nil, providers.Errorf(providers.ReasonBadResponse, "%s: %s and %s give two amounts of the same series (%s, unit %s, currency %q)",
					resp.Op, from[j].where(), from[i].where(), metric(out[i].Kind), out[i].Unit, out[i].Currency)
			}
		}
	}
	return out, nil
}

// read reads one amount from a decoded answer. It returns false, and no
// error, for an optional amount the answer lacks: its path is not there
// (an absent key, element or attribute, an index out of range, null on the
// way), or holds null or an empty value.
func (p parser) read(op string, doc document, a amount) (providers.Balance, bool, error) {
	v, err := doc.lookup(a.path)
	if err != nil {
		if a.optional && isAbsent(err) {
			return providers.Balance{}, false, nil
		}
		return providers.Balance{}, false, &providers.Error{Reason: providers.ReasonBadResponse, Msg: op + ": " + a.where(), Err: err}
	}
	if a.optional && v.empty() {
		return providers.Balance{}, false, nil
	}
	cur := ""
	if a.currency != nil {
		c, err := doc.lookup(a.currency)
		where := a.currencyKey + " " + strconv.Quote(providers.Bound(a.currencyText))
		if err != nil {
			return providers.Balance{}, false, &providers.Error{Reason: providers.ReasonBadResponse, Msg: op + ": " + where, Err: err}
		}
		if !c.isStr {
			return providers.Balance{}, false, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected a currency code, found %s", op, where, c.desc)
		}
		code, ok := providers.NormalizeCurrency(c.text)
		if !ok {
			return providers.Balance{}, false, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected a three-letter currency code, found %s", op, where, c.desc)
		}
		cur = code
	}
	b, err := p.convert(op, a.where(), a, v, cur)
	return b, err == nil, err
}

// balances turns the value at balance_path (the body, for format text)
// into the balance.
func (p parser) balances(op string, v value, cur string) ([]providers.Balance, error) {
	where := "body"
	if p.format != FormatText {
		where = p.main().where()
	}
	b, err := p.convert(op, where, p.main(), v, cur)
	if err != nil {
		return nil, err
	}
	return []providers.Balance{b}, nil
}

// convert turns the value found for amount a into a Balance. where names
// the value for errors; cur is the code found at a's currency path, or "".
func (p parser) convert(op, where string, a amount, v value, cur string) (providers.Balance, error) {
	if !v.scalar || v.text == "null" && !v.isStr {
		return providers.Balance{}, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	if !v.isStr && (v.text == "true" || v.text == "false") {
		return providers.Balance{}, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	if strings.TrimSpace(v.text) == "" {
		return providers.Balance{}, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	n, code, err := parseAmount(v.text)
	if err != nil {
		return providers.Balance{}, &providers.Error{Reason: providers.ReasonBadResponse, Msg: fmt.Sprintf("%s: %s", op, where), Err: err}
	}
	if a.unit == providers.UnitCredits {
		if code != "" {
			return providers.Balance{}, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected a number of credits (unit: credits), found an amount of money %s", op, where, v.desc)
		}
		return providers.Balance{Kind: a.kind, Value: n, Unit: providers.UnitCredits}, nil
	}
	// currency_path, then the account's currency:, then the code in the amount.
	switch {
	case cur != "":
	case p.defaultCurrency != "":
		cur = p.defaultCurrency
	default:
		cur = code
	}
	return providers.Balance{Kind: a.kind, Value: n, Unit: providers.UnitCurrency, Currency: cur}, nil
}

// groupedAmount is a number with comma thousands separators: 1,785.50.
var groupedAmount = regexp.MustCompile(`^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$`)

// parseAmount parses an amount, optionally with a currency code before or
// after it ("KES 1785.50", "0.2 GHS") and comma thousands separators
// ("1,785.50"). The code is "" when there is none.
func parseAmount(s string) (float64, string, error) {
	v, code, err := providers.ParseMoney(s)
	if err == nil {
		return v, code, nil
	}
	fields := strings.Fields(s)
	changed := false
	for i, f := range fields {
		if len(f) <= 64 && groupedAmount.MatchString(f) {
			fields[i] = strings.ReplaceAll(f, ",", "")
			changed = true
		}
	}
	if changed {
		if v, code, err2 := providers.ParseMoney(strings.Join(fields, " ")); err2 == nil {
			return v, code, nil
		}
	}
	return 0, "", err
}

// checkContentType accepts the media types of the format, text/plain
// (which many gateways send) and a missing Content-Type; HTML is always
// refused.
func checkContentType(resp *providers.Response, format string) error {
	ct := resp.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		mt, _, _ = strings.Cut(ct, ";")
	}
	mt = strings.ToLower(strings.TrimSpace(mt))
	html := mt == "text/html" || mt == "application/xhtml+xml"
	ok := false
	var want string
	switch format {
	case FormatJSON:
		want = "application/json"
		ok = mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json") || mt == "text/plain"
	case FormatXML:
		want = "application/xml or text/xml"
		ok = !html && (mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml") || mt == "text/plain")
	default:
		want = "anything but HTML"
		ok = !html
	}
	if ok {
		return nil
	}
	return providers.Errorf(providers.ReasonBadResponse, "%s: expected Content-Type %s, got %q", resp.Op, want, providers.Bound(ct))
}

// jsonDoc is a decoded JSON answer.
type jsonDoc struct{ v any }

// decodeJSON decodes exactly one JSON value, keeping numbers as text.
func decodeJSON(body []byte) (jsonDoc, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return jsonDoc{}, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return jsonDoc{}, errors.New("unexpected data after the JSON value")
	}
	return jsonDoc{v}, nil
}

func (d jsonDoc) lookup(path []string) (value, error) {
	v, err := lookupJSON(d.v, path)
	if err != nil {
		return value{}, err
	}
	return describeJSON(v), nil
}

// lookupJSON walks a dotted path (split into segments) through a value
// decoded with UseNumber: a segment is an object key, or an array index.
func lookupJSON(doc any, path []string) (any, error) {
	cur := doc
	for i, seg := range path {
		at := "the top level"
		if i > 0 {
			at = strconv.Quote(providers.Bound(strings.Join(path[:i], ".")))
		}
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[seg]
			if !ok {
				return nil, absentf("no key %q in the object at %s", providers.Bound(seg), at)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || strings.HasPrefix(seg, "+") {
				return nil, fmt.Errorf("expected an array index, got %q: %s is an array", providers.Bound(seg), at)
			}
			if n >= len(c) {
				return nil, absentf("index %d out of range: the array at %s has %d elements", n, at, len(c))
			}
			cur = c[n]
		case nil:
			return nil, absentf("found null at %s, not an object or array", at)
		default:
			return nil, fmt.Errorf("found %s at %s, not an object or array", describeJSON(cur).desc, at)
		}
	}
	return cur, nil
}

// describeJSON classifies a decoded JSON value.
func describeJSON(v any) value {
	switch v := v.(type) {
	case nil:
		return value{scalar: true, text: "null", desc: "null"}
	case bool:
		s := strconv.FormatBool(v)
		return value{scalar: true, text: s, desc: "the boolean " + s}
	case json.Number:
		return value{scalar: true, text: string(v), desc: "the number " + providers.Bound(string(v))}
	case string:
		return value{scalar: true, text: v, isStr: true, desc: strconv.Quote(providers.Bound(v))}
	case map[string]any:
		return value{desc: "an object"}
	case []any:
		return value{desc: "an array"}
	}
	return value{desc: fmt.Sprintf("a %T", v)}
}

// xmlNode is an element of a generic XML tree.
type xmlNode struct {
	name     string // local name
	attrs    []xml.Attr
	children []*xmlNode
	text     []byte // character data directly inside the element
}

// decodeXML builds the element tree of one XML document.
func decodeXML(body []byte) (*xmlNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charsetReader
	var root *xmlNode
	var stack []*xmlNode
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// encoding/xml quotes names and entities of any length.
			return nil, providers.BoundError(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			n := &xmlNode{name: t.Name.Local, attrs: t.Attr}
			if len(stack) == 0 {
				if root != nil {
					return nil, errors.New("more than one root element")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				n.text = append(n.text, t...)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, errors.New("text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	if len(stack) > 0 {
		return nil, errors.New("unclosed element")
	}
	return root, nil
}

// charsetReader lets documents declared as ISO-8859-1 or US-ASCII be read.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "us-ascii", "ascii":
		b, err := io.ReadAll(input)
		if err != nil {
			return nil, err
		}
		runes := make([]rune, len(b))
		for i, c := range b {
			runes[i] = rune(c)
		}
		return strings.NewReader(string(runes)), nil
	}
	return nil, fmt.Errorf("unsupported charset %q", providers.Bound(charset))
}

func (n *xmlNode) lookup(path []string) (value, error) {
	v, err := lookupXML(n, path)
	if err != nil {
		return value{}, err
	}
	return v, nil
}

// lookupXML walks a slash path (split into segments) from the root element:
// the first segment names the root, each next one the first child element
// with that local name; a last segment @name selects an attribute.
func lookupXML(root *xmlNode, path []string) (value, error) {
	if len(path) == 0 || root == nil {
		return value{}, errors.New("empty path")
	}
	if path[0] != root.name {
		return value{}, fmt.Errorf("the root element is <%s>, not <%s>", providers.Bound(root.name), providers.Bound(path[0]))
	}
	cur := root
	for i, seg := range path[1:] {
		at := providers.Bound(strings.Join(path[:i+1], "/"))
		if strings.HasPrefix(seg, "@") {
			for _, a := range cur.attrs {
				if a.Name.Local == seg[1:] {
					s := strings.TrimSpace(a.Value)
					return value{scalar: true, text: s, isStr: true, desc: strconv.Quote(providers.Bound(s))}, nil
				}
			}
			return value{}, absentf("no attribute %q on <%s> at %s", providers.Bound(seg[1:]), providers.Bound(cur.name), at)
		}
		var next *xmlNode
		for _, c := range cur.children {
			if c.name == seg {
				next = c
				break
			}
		}
		if next == nil {
			return value{}, absentf("no element <%s> in %s", providers.Bound(seg), at)
		}
		cur = next
	}
	if len(cur.children) > 0 {
		return value{desc: fmt.Sprintf("an element with child elements (<%s>)", providers.Bound(cur.children[0].name))}, nil
	}
	s := strings.TrimSpace(string(cur.text))
	if s == "" {
		return value{scalar: true, isStr: true, desc: "an empty element"}, nil
	}
	return value{scalar: true, text: s, isStr: true, desc: strconv.Quote(providers.Bound(s))}, nil
}

// article names a document format with its indefinite article: "an XML",
// "a JSON".
func article(format string) string {
	if format == FormatXML {
		return "an XML"
	}
	return "a " + strings.ToUpper(format)
}
