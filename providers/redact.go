package providers

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
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
	fixed   []string // the configured credentials
	runtime []string // the latest secrets obtained at run time, at most maxRuntimeSecrets
	grams   []uint64 // every minSecretRun-long run of every form, packed, sorted, unique
	short   []string // forms shorter than minSecretRun, replaced whole
}

// maxRuntimeSecrets bounds the run-time secrets (access tokens) remembered:
// a token renewed every hour for months must not grow the Redactor without
// end; an expired token is no longer a secret worth the memory.
const maxRuntimeSecrets = 8

// pack packs the first 8 bytes of s (minSecretRun) into a uint64.
func pack(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// NewRedactor returns a Redactor for secrets.
func NewRedactor(secrets ...string) *Redactor {
	s := &Redactor{}
	for _, v := range secrets {
		if v != "" && !slices.Contains(s.fixed, v) {
			s.fixed = append(s.fixed, v)
		}
	}
	s.rebuild()
	return s
}

// AddSecret adds v, a secret obtained at run time.
func (s *Redactor) AddSecret(v string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v == "" || slices.Contains(s.fixed, v) || slices.Contains(s.runtime, v) {
		return
	}
	s.runtime = append(s.runtime, v)
	if len(s.runtime) > maxRuntimeSecrets {
		s.runtime = slices.Delete(s.runtime, 0, 1)
	}
	s.rebuild()
}

// rebuild computes the runs to redact from the secrets held.
func (s *Redactor) rebuild() {
	secrets := append(slices.Clone(s.fixed), s.runtime...)
	var grams []uint64
	var short []string
	for i, v := range secrets {
		forms := encodings(v)
		for _, other := range secrets[:i+1] {
			// HTTP Basic auth sends base64("user:pass").
			forms = append(forms, base64.StdEncoding.EncodeToString([]byte(other+":"+v)),
				base64.StdEncoding.EncodeToString([]byte(v+":"+other)))
		}
		for _, f := range forms {
			if len(f) < minSecretRun {
				if len(f) >= 4 {
					short = append(short, f)
				}
				continue
			}
			for i := 0; i+minSecretRun <= len(f); i++ {
				grams = append(grams, pack(f[i:]))
			}
		}
	}
	slices.Sort(grams)
	s.grams = slices.Clone(slices.Compact(grams))
	sort.Slice(short, func(i, j int) bool { return len(short[i]) > len(short[j]) })
	s.short = short
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
			if _, ok := slices.BinarySearch(s.grams, pack(text[i:])); ok {
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
