package providers

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	const token = `tok-3f9c"8a\41b7e2d0`
	const user, pass = "api-user-0042", "api-pass-77e0c1"
	s := NewRedactor(token, user, pass, "12345")
	s.AddSecret("issued-at-runtime-9d8e7f")
	q := strconv.Quote(token)
	j, _ := json.Marshal(token)
	cases := map[string]string{
		"whole":            "token " + token + " refused",
		"cut at the end":   `body "echo: ` + token[:10] + `…`,
		"quoted":           "body " + q,
		"json escaped":     "body " + string(j),
		"url encoded":      "client_secret=" + url.QueryEscape(pass) + "&x=1",
		"path escaped":     "GET /v1/" + url.PathEscape(token),
		"base64 basic":     "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)),
		"base64 alone":     "x=" + base64.StdEncoding.EncodeToString([]byte(token)),
		"base64 inside":    "body " + base64.StdEncoding.EncodeToString([]byte("GET /x?key="+pass+" HTTP/1.1")),
		"runtime token":    "Bearer issued-at-runtime-9d8e7f",
		"middle of secret": "…" + pass[3:12] + "…",
		"short secret":     "key 12345 refused",
	}
	for name, text := range cases {
		got := s.Redact(text)
		if !strings.Contains(got, "<secret>") {
			t.Errorf("%s: %q not redacted: %q", name, text, got)
		}
		for _, sec := range []string{token, user, pass, "issued-at-runtime-9d8e7f"} {
			for i := 0; i+minSecretRun <= len(sec); i++ {
				if strings.Contains(got, sec[i:i+minSecretRun]) {
					t.Errorf("%s: %q still holds %q", name, got, sec[i:i+minSecretRun])
				}
			}
		}
	}
	if got := s.Redact("HTTP 500 with an empty body"); got != "HTTP 500 with an empty body" {
		t.Errorf("innocent text changed: %q", got)
	}
}

func TestRedactError(t *testing.T) {
	r := NewRedactor("secret-token-0042")
	if err := r.RedactError(nil); err != nil {
		t.Fatal(err)
	}
	clean := Errorf(ReasonHTTPStatus, "GET /x: HTTP 500")
	if err := r.RedactError(clean); err != error(clean) { //nolint:errorlint // the same error, not a copy
		t.Fatalf("clean error replaced: %v", err)
	}
	e := Errorf(ReasonRateLimited, "GET /x: body echoes secret-token-0042")
	e.RetryAfter = 7
	got := r.RedactError(e)
	if Classify(got) != ReasonRateLimited || RetryAfter(got) != 7 || strings.Contains(got.Error(), "token-0042") {
		t.Fatalf("RedactError = %v", got)
	}
}

// TestRuntimeSecretsAreBounded checks that tokens renewed for months do not
// grow the Redactor without end: the latest ones are kept.
func TestRuntimeSecretsAreBounded(t *testing.T) {
	r := NewRedactor("configured-credential-0042")
	for i := 0; i < 1000; i++ {
		r.AddSecret(fmt.Sprintf("runtime-token-%06d-abcdef", i))
	}
	if len(r.runtime) != maxRuntimeSecrets {
		t.Fatalf("%d run-time secrets kept, want %d", len(r.runtime), maxRuntimeSecrets)
	}
	for _, text := range []string{"configured-credential-0042", "runtime-token-000999-abcdef"} {
		if got := r.Redact(text); got != "<secret>" {
			t.Errorf("Redact(%q) = %q", text, got)
		}
	}
}

// TestLargeRuntimeSecretIsBounded: a run-time secret of 1 MiB costs the
// runs of its first MaxRuntimeSecretBytes only (it cost ten million runs,
// more with the Basic pairs of every other secret, rebuilt under the lock
// at each token), and those are redacted.
func TestLargeRuntimeSecretIsBounded(t *testing.T) {
	r := NewRedactor("configured-credential-0042")
	var b strings.Builder
	for i := 0; b.Len() < 1<<20; i++ {
		fmt.Fprintf(&b, "%08x", i*2654435761)
	}
	huge := b.String()
	r.AddSecret(huge)
	runs := 0
	for _, s := range r.runtime {
		runs += len(s.runs.grams)
	}
	if limit := 12 * MaxRuntimeSecretBytes; runs == 0 || runs > limit {
		t.Errorf("%d runs kept for a 1 MiB secret, want at most %d", runs, limit)
	}
	if got := r.Redact("token " + huge[100:140]); strings.Contains(got, huge[100:108]) {
		t.Errorf("the start of the large secret is not redacted: %q", got)
	}
	r.AddSecret(huge) // the same secret again: nothing added
	if len(r.runtime) != 1 {
		t.Errorf("%d run-time secrets after adding the same one twice", len(r.runtime))
	}
}

// TestRunsAreExactlySized: an account's runs are kept in an array of
// about their number. The runs appended before sorting hold duplicates
// (raw, quoted, JSON- and URL-escaped forms are mostly the same); keeping
// that array behind a shortened slice cost 13 MB of live heap at 10 000
// accounts. Measured as heap retained by 2000 Redactors.
func TestRunsAreExactlySized(t *testing.T) {
	secrets := []string{"a-credential-of-some-length-0042", "user-name-77"}
	runs := len(NewRedactor(secrets...).fixedRuns.grams)
	const n = 2000
	keep := make([]*Redactor, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range keep {
		keep[i] = NewRedactor(secrets...)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perRedactor := int(after.HeapAlloc-before.HeapAlloc) / n
	// The runs (8 bytes each, up to the allocator's size class) and the
	// Redactor's own few hundred bytes.
	if limit := 2*8*runs + 1024; perRedactor > limit {
		t.Errorf("%d bytes retained per Redactor of %d runs, want at most %d", perRedactor, runs, limit)
	}
	runtime.KeepAlive(keep)
}
