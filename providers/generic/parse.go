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
	// defaultCurrency is the account's `currency:` (may be "").
	defaultCurrency string
}

// value is what a path finds: a scalar as text, or a description of
// something else.
type value struct {
	scalar bool   // a string, number, boolean or null (json); a text-only element or attribute (xml)
	text   string // the scalar's text
	isStr  bool   // a JSON string, or XML text (may carry a currency code)
	desc   string // what was found, for error messages
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
	v, err := doc.lookup(p.balance)
	if err != nil {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: balance_path %q: %v", resp.Op, providers.Bound(p.balanceText), err)
	}
	cur := ""
	if p.currency != nil {
		c, err := doc.lookup(p.currency)
		if err != nil {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: currency_path %q: %v", resp.Op, providers.Bound(p.currencyText), err)
		}
		if !c.isStr {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: currency_path %q: expected a currency code, found %s", resp.Op, providers.Bound(p.currencyText), c.desc)
		}
		code, ok := providers.NormalizeCurrency(c.text)
		if !ok {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: currency_path %q: expected a three-letter currency code, found %s", resp.Op, providers.Bound(p.currencyText), c.desc)
		}
		cur = code
	}
	return p.balances(resp.Op, v, cur)
}

// balances turns the value at balance_path into the balance. cur is the
// code found at currency_path, or "".
func (p parser) balances(op string, v value, cur string) ([]providers.Balance, error) {
	where := "balance_path " + strconv.Quote(providers.Bound(p.balanceText))
	if p.format == FormatText {
		where = "body"
	}
	if !v.scalar || v.text == "null" && !v.isStr {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	if !v.isStr && (v.text == "true" || v.text == "false") {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	if strings.TrimSpace(v.text) == "" {
		return nil, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected an amount, found %s", op, where, v.desc)
	}
	amount, code, err := parseAmount(v.text)
	if err != nil {
		return nil, &providers.Error{Reason: providers.ReasonBadResponse, Msg: fmt.Sprintf("%s: %s", op, where), Err: err}
	}
	if p.unit == providers.UnitCredits {
		if code != "" {
			return nil, providers.Errorf(providers.ReasonBadResponse, "%s: %s: expected a number of credits (unit: credits), found an amount of money %s", op, where, v.desc)
		}
		return []providers.Balance{providers.Credits(amount)}, nil
	}
	// currency_path, then the account's currency:, then the code in the amount.
	switch {
	case cur != "":
	case p.defaultCurrency != "":
		cur = p.defaultCurrency
	default:
		cur = code
	}
	return []providers.Balance{providers.Money(amount, cur)}, nil
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
				return nil, fmt.Errorf("no key %q in the object at %s", providers.Bound(seg), at)
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 || strings.HasPrefix(seg, "+") {
				return nil, fmt.Errorf("expected an array index, got %q: %s is an array", providers.Bound(seg), at)
			}
			if n >= len(c) {
				return nil, fmt.Errorf("index %d out of range: the array at %s has %d elements", n, at, len(c))
			}
			cur = c[n]
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
			return value{}, fmt.Errorf("no attribute %q on <%s> at %s", providers.Bound(seg[1:]), providers.Bound(cur.name), at)
		}
		var next *xmlNode
		for _, c := range cur.children {
			if c.name == seg {
				next = c
				break
			}
		}
		if next == nil {
			return value{}, fmt.Errorf("no element <%s> in %s", providers.Bound(seg), at)
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
