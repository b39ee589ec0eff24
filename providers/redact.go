package providers

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// minSecretRun is the shortest run of a secret's characters that is
// redacted wherever it appears.
const minSecretRun = 8

// Redactor holds an account's secrets (configured credentials and tokens
// its provider obtains at run time) and redacts them from text in every
// form they may take: whole, cut, quoted, JSON-escaped, URL-encoded and
// base64-encoded (alone, or as the user:pass of HTTP Basic auth). Any run
// of 8 or more characters of one of those forms is redacted. It is safe
// for concurrent use.
type Redactor struct {
	mu      sync.RWMutex
	secrets []string
	grams   map[string]struct{} // every minSecretRun-long run of every form
	short   []string            // forms shorter than minSecretRun, replaced whole
}

// NewRedactor returns a Redactor for secrets.
func NewRedactor(secrets ...string) *Redactor {
	s := &Redactor{}
	for _, v := range secrets {
		s.add(v)
	}
	return s
}

// AddSecret adds v, a secret obtained at run time.
func (s *Redactor) AddSecret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.add(v)
}

func (s *Redactor) add(v string) {
	if v == "" {
		return
	}
	for _, have := range s.secrets {
		if have == v {
			return
		}
	}
	s.secrets = append(s.secrets, v)
	forms := encodings(v)
	for _, other := range s.secrets {
		// HTTP Basic auth sends base64("user:pass").
		forms = append(forms, base64.StdEncoding.EncodeToString([]byte(other+":"+v)),
			base64.StdEncoding.EncodeToString([]byte(v+":"+other)))
	}
	if s.grams == nil {
		s.grams = map[string]struct{}{}
	}
	for _, f := range forms {
		if len(f) < minSecretRun {
			if len(f) >= 4 {
				s.short = append(s.short, f)
			}
			continue
		}
		for i := 0; i+minSecretRun <= len(f); i++ {
			s.grams[f[i:i+minSecretRun]] = struct{}{}
		}
	}
	sort.Slice(s.short, func(i, j int) bool { return len(s.short[i]) > len(s.short[j]) })
}

// encodings returns v as it may appear in a message.
func encodings(v string) []string {
	q := strconv.Quote(v)
	j, _ := json.Marshal(v)
	forms := []string{
		v,
		q[1 : len(q)-1],
		string(j[1 : len(j)-1]),
		url.QueryEscape(v),
		url.PathEscape(v),
		base64.StdEncoding.EncodeToString([]byte(v)),
		base64.RawURLEncoding.EncodeToString([]byte(v)),
	}
	// Inside a longer base64 text the secret starts at any of three byte
	// alignments; the characters that depend only on the secret are the
	// same whatever surrounds it.
	for pad := 1; pad <= 2; pad++ {
		enc := base64.StdEncoding.EncodeToString(append(make([]byte, pad), v...))
		if len(enc) > 8 {
			forms = append(forms, enc[4:len(enc)-4])
		}
	}
	return forms
}

// Redact replaces every run of minSecretRun or more characters of any
// secret's forms in text with <secret>. A nil Redactor returns text.
func (s *Redactor) Redact(text string) string {
	if s == nil {
		return text
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.grams) > 0 && len(text) >= minSecretRun {
		marked := make([]bool, len(text))
		hit := false
		for i := 0; i+minSecretRun <= len(text); i++ {
			if _, ok := s.grams[text[i:i+minSecretRun]]; ok {
				for k := i; k < i+minSecretRun; k++ {
					marked[k] = true
				}
				hit = true
			}
		}
		if hit {
			var b strings.Builder
			for i := 0; i < len(text); {
				if !marked[i] {
					b.WriteByte(text[i])
					i++
					continue
				}
				b.WriteString("<secret>")
				for i < len(text) && marked[i] {
					i++
				}
			}
			text = b.String()
		}
	}
	for _, f := range s.short {
		text = strings.ReplaceAll(text, f, "<secret>")
	}
	return strings.ToValidUTF8(text, "")
}

// RedactError returns err with its text redacted, as an *Error of the same
// reason and Retry-After; nil for nil, err itself when it shows no secret.
func (s *Redactor) RedactError(err error) error {
	if err == nil || s == nil {
		return err
	}
	text := err.Error()
	red := s.Redact(text)
	if red == text {
		return err
	}
	return &Error{Reason: Classify(err), RetryAfter: RetryAfter(err), Msg: red}
}
