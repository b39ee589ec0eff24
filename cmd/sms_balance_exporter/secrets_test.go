package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

// echoServer answers every request by echoing what it received — the
// credentials in headers, query and body — in a different way each time:
// whole, quoted, JSON-escaped, URL-encoded, base64, XML, cut, with auth,
// server-error, rate-limit and success statuses. RTI-SMS's token endpoint
// issues tokens (every other time it echoes the form), which later come
// back echoed too.
type echoServer struct {
	mu     sync.Mutex
	n      int
	tokens []string
}

func (e *echoServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var dump strings.Builder
	fmt.Fprintf(&dump, "%s %s\n", r.Method, r.URL.RequestURI())
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&dump, "%s: %s\n", k, strings.Join(r.Header[k], ", "))
	}
	dump.Write(body)
	text := dump.String()

	e.mu.Lock()
	e.n++
	n := e.n
	e.mu.Unlock()
	if r.URL.Path == "/oauth2/token" && n%2 == 0 {
		tok := fmt.Sprintf("issued-oauth2-token-%04d-5c4b3a29", n)
		e.mu.Lock()
		e.tokens = append(e.tokens, tok)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":1}`, tok)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/api/auth") && n%2 == 0 {
		tok := fmt.Sprintf("issued-access-token-%04d-9d8e7f6a", n)
		e.mu.Lock()
		e.tokens = append(e.tokens, tok)
		e.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"validity_period":"3600"}`, tok)
		return
	}
	w.Header().Set("X-Echo", text[:min(len(text), 200)])
	switch n % 7 {
	case 0:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "upstream error: %s", text)
	case 1:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": text, "message": text, "detail": map[string]string{"code": text}})
	case 2:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"balance": text, "currency": text, "status": "ERROR", "status_text": text,
			"error": text, "error_code": 1, "data": map[string]string{"balance": text}})
	case 3:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "<html>%s</html>", url.QueryEscape(text))
	case 4:
		w.Header().Set("Content-Type", "application/xml")
		var esc strings.Builder
		_ = xml.EscapeText(&esc, []byte(text))
		fmt.Fprintf(w, "<response><handshake><id>1408</id><label>%s</label></handshake></response>", esc.String())
	case 5:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, base64.StdEncoding.EncodeToString([]byte(text)), "\n", r.Header.Get("Authorization"))
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadGateway)
		// Every request credential cut to its first 16 characters.
		for _, v := range append(append([]string{}, r.Header.Values("Authorization")...), r.URL.Query().Get("psw"), r.URL.Query().Get("api_id")) {
			fmt.Fprintf(w, "%s…", v[:min(len(v), 16)])
		}
		fmt.Fprint(w, text[:min(len(text), 80)])
	}
}

func (e *echoServer) issued() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.tokens...)
}

// TestSecretsNeverShow runs the built binary at debug level with an account
// of every provider against the echoing upstream and checks that no run of
// 8 characters of any credential, of an HTTP Basic pair's base64 or of an
// issued token appears in --config.check, --once, the logs, /metrics, /,
// /probe or /sd.
func TestSecretsNeverShow(t *testing.T) {
	echo := &echoServer{}
	srv := httptest.NewServer(echo)
	defer srv.Close()

	var secrets []string
	var b strings.Builder
	b.WriteString("defaults:\n  timeout: 2s\n  cache_ttl: 0s\n  max_stale: 0s\naccounts:\n")
	for _, spec := range registry.All {
		creds := map[string]string{"api_key": ""}
		if len(spec.CredentialSets) > 0 {
			creds = map[string]string{}
			for _, k := range spec.CredentialSets[0] {
				creds[k] = ""
			}
		}
		fmt.Fprintf(&b, "  - name: %s\n    provider: %s\n    base_url: %s/%s\n    currency: EUR\n    credentials:\n", spec.ID, spec.ID, srv.URL, spec.ID)
		var values []string
		for _, k := range sortedKeys(creds) {
			// Unlike any other text of the outputs, with characters that
			// quoting, JSON, URLs and YAML escape.
			sum := sha256.Sum256([]byte(spec.ID + "/" + k))
			v := fmt.Sprintf(`Zq%x"q\b+/=&%%x`, sum[:6])
			values = append(values, v)
			secrets = append(secrets, v)
			q, _ := json.Marshal(v)
			fmt.Fprintf(&b, "      %s: %s\n", k, q)
		}
		if len(values) == 2 { // HTTP Basic sends base64(user:pass)
			secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte(values[0]+":"+values[1])),
				base64.StdEncoding.EncodeToString([]byte(values[1]+":"+values[0])))
		}
		if spec.ID == generic.Spec.ID {
			fmt.Fprintf(&b, "    options:\n      url: %s/http/balance?api_key={{ .Credentials.api_key | urlquery }}\n      balance_path: balance\n", srv.URL)
		}
	}
	// The http provider's secrets outside credentials: http_client_config's
	// auth (inline, from a file, OAuth2 client credentials, a secret
	// header) and a ${VAR} in its url.
	dir := t.TempDir()
	secret := func(name string) string {
		sum := sha256.Sum256([]byte("http_client_config/" + name))
		v := fmt.Sprintf("Hc%x", sum[:8])
		secrets = append(secrets, v)
		return v
	}
	authz, basic, oauth, header, inURL := secret("authorization"), secret("basic"), secret("oauth2"), secret("header"), secret("url")
	secrets = append(secrets, base64.StdEncoding.EncodeToString([]byte("user-basic:"+basic)), base64.StdEncoding.EncodeToString([]byte("cid-oauth:"+oauth)))
	if err := os.WriteFile(filepath.Join(dir, "basic_password"), []byte(basic+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SMS_TEST_URL_KEY", inURL)
	extra := map[string]string{
		"http-authz":  fmt.Sprintf("{authorization: {credentials: %s}}", authz),
		"http-basic":  "{basic_auth: {username: user-basic, password_file: basic_password}}",
		"http-oauth2": fmt.Sprintf("{oauth2: {client_id: cid-oauth, client_secret: %s, token_url: %s/oauth2/token}}", oauth, srv.URL),
		"http-header": fmt.Sprintf("{http_headers: {X-Api-Key: {secrets: [%s]}}}", header),
		"http-env":    "",
	}
	names := []string{}
	for _, spec := range registry.All {
		names = append(names, spec.ID)
	}
	for _, name := range sortedKeys(extra) {
		names = append(names, name)
		u := fmt.Sprintf("%s/%s/balance", srv.URL, name)
		if name == "http-env" {
			u += "?k=${SMS_TEST_URL_KEY}"
		}
		fmt.Fprintf(&b, "  - name: %s\n    provider: http\n    currency: EUR\n    options: {url: %q, balance_path: balance}\n", name, u)
		if extra[name] != "" {
			fmt.Fprintf(&b, "    http_client_config: %s\n", extra[name])
		}
	}
	conf := filepath.Join(dir, "exporter.yml")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	var seen strings.Builder
	code, out, errOut := runBinary(t, "--config.file="+conf, "--config.check")
	if code != 0 {
		t.Fatalf("--config.check: exit %d\n%s%s\n%s", code, out, errOut, b.String())
	}
	seen.WriteString(out + errOut)
	for i := 0; i < 2; i++ {
		_, out, errOut = runBinary(t, "--config.file="+conf, "--once", "--log.level=debug")
		seen.WriteString(out + errOut)
	}

	x := startExporter(t, "--config.file="+conf, "--log.level=debug")
	for round := 0; round < 7; round++ {
		_, body := x.get("/metrics", map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
		seen.WriteString(body)
		_, body = x.get("/", nil)
		seen.WriteString(body)
		for _, name := range names {
			_, body = x.get("/probe?target="+name, map[string]string{"X-Prometheus-Scrape-Timeout-Seconds": "5"})
			seen.WriteString(body)
		}
		time.Sleep(1100 * time.Millisecond) // failures are remembered for 1s with cache_ttl 0
	}
	_, body := x.get("/sd", nil)
	seen.WriteString(body)
	seen.WriteString(x.logs.String())
	all := seen.String()

	tokens := echo.issued()
	if len(tokens) == 0 || echo.n < 7*len(names) {
		t.Fatalf("the upstream issued %d tokens and answered %d requests: the test did not exercise it", len(tokens), echo.n)
	}
	if !strings.Contains(all, "<secret>") {
		t.Error("nothing was redacted: the echoes did not reach any output, so the test proves nothing")
	}
	for _, s := range append(secrets, tokens...) {
		if run, ok := pt.Leak(all, s); ok {
			i := strings.Index(all, run)
			t.Errorf("%q of a secret shows in the output: …%s…", run, all[max(0, i-80):min(len(all), i+80)])
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
