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
	"unicode"
)

// minSecretRun is the shortest run of a secret's characters that is
// redacted wherever it appears.
const minSecretRun = 8

// Redactor holds an account's secrets (configured credentials and tokens
// its provider obtains at run time) and redacts them from text in every
// form they may take: whole, cut, quoted, JSON-escaped, URL-encoded and
// base64-encoded (alone, or, for configured credentials, as the user:pass
// of HTTP Basic auth). Any run of 8 or more characters of one of those
// forms is redacted. It is safe for concurrent use.
type Redactor struct {
	fixed []string // the configured credentials
	// The runs of the configured credentials' forms: built once by
	// NewRedactor, then only read.
	fixedRuns secretRuns

	mu      sync.RWMutex
	runtime []runtimeSecret // the latest secrets obtained at run time, at most maxRuntimeSecrets
}

// secretRuns are the runs to redact of some secrets' forms.
type secretRuns struct {
	grams []uint64 // every minSecretRun-long run of every form, packed, sorted, unique
	short []string // forms shorter than minSecretRun (and of 4 or more bytes), replaced whole
}

// runtimeSecret is a secret obtained at run time with its runs, computed
// once when it is added.
type runtimeSecret struct {
	value string
	runs  secretRuns
}

// maxRuntimeSecrets bounds the run-time secrets (access tokens) remembered:
// a token renewed every hour for months must not grow the Redactor without
// end; an expired token is no longer a secret worth the memory.
const maxRuntimeSecrets = 8

// MaxRuntimeSecretBytes bounds the part of a run-time secret whose runs
// are redacted: an access token of a megabyte (a hostile or broken token
// endpoint) would otherwise cost ten million runs per token. Longer tokens
// are refused where they are obtained (the OAuth2 token source); a longer
// one added anyway has the runs of its first MaxRuntimeSecretBytes bytes
// redacted.
const MaxRuntimeSecretBytes = 16 << 10

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
	var forms []string
	for i, v := range s.fixed {
		forms = append(forms, encodings(v)...)
		for _, other := range s.fixed[:i+1] {
			// HTTP Basic auth sends base64("user:pass").
			forms = append(forms, base64.StdEncoding.EncodeToString([]byte(other+":"+v)),
				base64.StdEncoding.EncodeToString([]byte(v+":"+other)))
		}
	}
	s.fixedRuns = runsOf(forms)
	return s
}

// AddSecret adds v, a secret obtained at run time. Its runs are computed
// before the Redactor is locked, so redaction never waits for them.
func (s *Redactor) AddSecret(v string) {
	if v == "" || s.holds(v) {
		return
	}
	if len(v) > MaxRuntimeSecretBytes {
		v = v[:MaxRuntimeSecretBytes]
	}
	added := runtimeSecret{value: v, runs: runsOf(encodings(v))}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range s.runtime {
		if r.value == v {
			return
		}
	}
	// Copy on write: Redact reads a snapshot of the slice without the lock.
	next := make([]runtimeSecret, 0, len(s.runtime)+1)
	next = append(append(next, s.runtime...), added)
	if len(next) > maxRuntimeSecrets {
		next = next[1:]
	}
	s.runtime = next
}

// holds says whether v is already one of the secrets.
func (s *Redactor) holds(v string) bool {
	if slices.Contains(s.fixed, v) {
		return true
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.runtime {
		if r.value == v || len(v) > MaxRuntimeSecretBytes && r.value == v[:MaxRuntimeSecretBytes] {
			return true
		}
	}
	return false
}

// runsOf computes the runs to redact of forms.
func runsOf(forms []string) secretRuns {
	var r secretRuns
	for _, f := range forms {
		if len(f) < minSecretRun {
			if len(f) >= 4 {
				r.short = append(r.short, f)
			}
			continue
		}
		for i := 0; i+minSecretRun <= len(f); i++ {
			r.grams = append(r.grams, pack(f[i:]))
		}
	}
	slices.Sort(r.grams)
	r.grams = slices.Clone(slices.Compact(r.grams)) // exactly sized: the appended runs held duplicates
	sort.Slice(r.short, func(i, j int) bool { return len(r.short[i]) > len(r.short[j]) })
	return r
}

// has says whether the run packed as g is one to redact.
func (r *secretRuns) has(g uint64) bool {
	_, ok := slices.BinarySearch(r.grams, g)
	return ok
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
	runtime := s.runtime // replaced, never changed in place, by AddSecret
	s.mu.RUnlock()
	if len(text) >= minSecretRun && (len(s.fixedRuns.grams) > 0 || len(runtime) > 0) {
		marked := make([]bool, len(text))
		hit := false
		for i := 0; i+minSecretRun <= len(text); i++ {
			g := pack(text[i:])
			found := s.fixedRuns.has(g)
			for k := 0; !found && k < len(runtime); k++ {
				found = runtime[k].runs.has(g)
			}
			if found {
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
	for _, f := range s.fixedRuns.short {
		text = strings.ReplaceAll(text, f, "<secret>")
	}
	for _, r := range runtime {
		for _, f := range r.runs.short {
			text = strings.ReplaceAll(text, f, "<secret>")
		}
	}
	return strings.ToValidUTF8(text, "")
}

// RedactMessage returns text fit to show as an error: redacted (whole,
// before anything is cut: a cut secret would no longer be recognised), on
// one line (control characters become spaces: it goes into a table cell,
// a log field, a page cell) and cut to MaxErrorBytes. A nil Redactor only
// makes it one line and cuts it.
func (s *Redactor) RedactMessage(text string) string {
	return CutMessage(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s.Redact(text)))
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
