package providers

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxTextRunes bounds text taken from a provider's answer into an error.
const maxTextRunes = 80

// Bound returns provider-supplied text fit for an error message: at most 80
// characters, control characters replaced, invalid UTF-8 dropped.
func Bound(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxTextRunes {
			b.WriteString("…")
			break
		}
		switch {
		case r == utf8.RuneError:
			continue
		case unicode.IsControl(r):
			r = ' '
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// MaxErrorBytes bounds the text of any error a provider returns: whatever
// an answer holds, a refresh's error fits in a log line and a page cell.
const MaxErrorBytes = 1024

// CutMessage returns s cut to at most MaxErrorBytes bytes on a character
// boundary, ending in "…" when cut. Cut only text already redacted: a cut
// can split a secret, and the redactor recognises a secret's runs only whole.
func CutMessage(s string) string {
	if len(s) <= MaxErrorBytes {
		return s
	}
	const ellipsis = "…"
	end := MaxErrorBytes - len(ellipsis)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + ellipsis
}

// BoundError returns err with its text Bound: for errors of a decoder
// (encoding/xml, encoding/json) that quote the document they refuse.
// errors.Is and errors.As still see err.
func BoundError(err error) error {
	if err == nil {
		return nil
	}
	return &boundError{err: err}
}

type boundError struct{ err error }

func (e *boundError) Error() string { return Bound(e.err.Error()) }
func (e *boundError) Unwrap() error { return e.err }

// NormalizeCurrency returns code upper-cased if it has the shape of an ISO
// 4217 code (three ASCII letters), and "" with false otherwise.
func NormalizeCurrency(code string) (string, bool) {
	// Surrounding spaces are padding; a newline, tab or other control
	// character is not: such a label value is refused, not cleaned.
	code = strings.Trim(code, " ")
	if len(code) != 3 {
		return "", false
	}
	for i := 0; i < 3; i++ {
		c := code[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return "", false
		}
	}
	return strings.ToUpper(code), true
}

// ParseMoney parses an amount that may carry a currency code before or
// after it ("KES 1785.50", "0.2 GHS", "12.5"). The code is "" when there is
// none; anything else is an error saying what was found.
func ParseMoney(s string) (value float64, currency string, err error) {
	fields := strings.Fields(s)
	switch len(fields) {
	case 1:
		v, err := ParseAmount(fields[0])
		return v, "", err
	case 2:
		if code, ok := NormalizeCurrency(fields[0]); ok {
			if v, err := ParseAmount(fields[1]); err == nil {
				return v, code, nil
			}
		}
		if code, ok := NormalizeCurrency(fields[1]); ok {
			if v, err := ParseAmount(fields[0]); err == nil {
				return v, code, nil
			}
		}
	}
	return 0, "", fmt.Errorf("expected an amount, optionally with a currency code such as \"KES 1785.50\", got %q", Bound(s))
}
