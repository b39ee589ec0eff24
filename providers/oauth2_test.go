package providers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"
	"golang.org/x/oauth2"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	clientID     = "oauth-client-id-0042"
	clientSecret = "oauth-client-secret-7f3a9c"
)

// tokenEndpoint is an OAuth2 token endpoint for the client credentials
// grant: it records the client secret and form of every token request and
// answers with the access token "tok-" + secret.
type tokenEndpoint struct {
	expiresIn int // expires_in of the tokens, in seconds

	mu      sync.Mutex
	secrets []string
	forms   []url.Values
}

func (e *tokenEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials" {
		http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	e.mu.Lock()
	e.secrets = append(e.secrets, secret)
	e.forms = append(e.forms, r.PostForm)
	e.mu.Unlock()
	if id != clientID {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_client"}`)
		return
	}
	pt.JSON(fmt.Sprintf(`{"access_token":"tok-%s","token_type":"bearer","expires_in":%d}`, secret, e.expiresIn)).ServeHTTP(w, r)
}

func (e *tokenEndpoint) seen() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.secrets...)
}

// oauth2Config returns an http_client_config whose oauth2 block fetches
// tokens from tokenURL.
func oauth2Config(tokenURL string) *promconfig.HTTPClientConfig {
	cfg := promconfig.DefaultHTTPClientConfig
	cfg.OAuth2 = &promconfig.OAuth2{ClientID: clientID, ClientSecret: clientSecret, TokenURL: tokenURL}
	return &cfg
}

func oauth2Client(t *testing.T, cfg *promconfig.HTTPClientConfig, secrets *providers.Redactor) *http.Client {
	t.Helper()
	client, err := providers.NewClient(cfg, "test", secrets)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.CloseIdleConnections)
	return client
}

// newAPI serves a recorder as the balance API until the test ends.
func newAPI(t *testing.T) (*recorder, string) {
	t.Helper()
	api := &recorder{}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	return api, srv.URL
}

func get(ctx context.Context, client *http.Client, u string) (*providers.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"/balance", nil)
	if err != nil {
		return nil, err
	}
	return providers.Do(client, req)
}

// TestOAuth2TokenRedirect checks that the token request obeys
// CheckRedirect: a redirect to another origin is refused before anything
// (the Basic client credentials, the client_secret of the POST body)
// reaches it, and a same-origin redirect is followed.
func TestOAuth2TokenRedirect(t *testing.T) {
	for _, c := range []struct {
		name       string
		status     int
		sameOrigin bool
	}{
		{"other origin 307", http.StatusTemporaryRedirect, false},
		{"other origin 308", http.StatusPermanentRedirect, false},
		{"other origin 302", http.StatusFound, false},
		{"same origin 307", http.StatusTemporaryRedirect, true},
		{"same origin 308", http.StatusPermanentRedirect, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var otherCalls sync.Map
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				otherCalls.Store(r.Method+" "+r.URL.String(), r.Header.Get("Authorization"))
				(&tokenEndpoint{expiresIn: 3600}).ServeHTTP(w, r)
			}))
			defer other.Close()
			tokens := &tokenEndpoint{expiresIn: 3600}
			tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/token" {
					target := other.URL + "/token?api_key=" + clientSecret
					if c.sameOrigin {
						target = "/token2"
					}
					http.Redirect(w, r, target, c.status)
					return
				}
				tokens.ServeHTTP(w, r)
			}))
			defer tokenSrv.Close()
			api, apiURL := newAPI(t)

			client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), nil)
			_, err := get(context.Background(), client, apiURL)
			if c.sameOrigin {
				if err != nil {
					t.Fatalf("same-origin token redirect: %v", err)
				}
				if got := api.requests(); len(got) != 1 || !strings.Contains(got[0], `auth="Bearer tok-`+clientSecret+`"`) {
					t.Fatalf("the API got %q", got)
				}
				return
			}
			otherCalls.Range(func(k, v any) bool {
				t.Errorf("the other origin was reached: %v (Authorization %q)", k, v)
				return true
			})
			if err == nil || providers.Classify(err) != providers.ReasonBadResponse {
				t.Fatalf("error %v, want bad_response", err)
			}
			t.Logf("error: %s", err)
			if strings.Contains(err.Error(), "api_key") {
				t.Errorf("error %q shows the redirect's URL", err)
			}
			if want := "redirect to another origin " + other.URL + " refused"; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
			if run, leak := pt.Leak(err.Error(), clientSecret); leak {
				t.Errorf("error %q shows the client secret (%q)", err, run)
			}
			if got := api.requests(); len(got) != 0 {
				t.Errorf("the API was called without a token: %q", got)
			}
		})
	}
}

// TestOAuth2Bearer checks that the balance request carries the token from
// the token endpoint, fetched with the client credentials, scopes and
// endpoint_params, and reused while it is valid.
func TestOAuth2Bearer(t *testing.T) {
	tokens := &tokenEndpoint{expiresIn: 3600}
	tokenSrv := httptest.NewServer(tokens)
	defer tokenSrv.Close()
	api, apiURL := newAPI(t)
	cfg := oauth2Config(tokenSrv.URL + "/token")
	cfg.OAuth2.Scopes = []string{"balance:read", "account"}
	cfg.OAuth2.EndpointParams = map[string]string{"audience": "sms-api"}
	client := oauth2Client(t, cfg, nil)
	for i := 0; i < 2; i++ {
		if _, err := get(context.Background(), client, apiURL); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range api.requests() {
		if !strings.Contains(r, `auth="Bearer tok-`+clientSecret+`"`) {
			t.Errorf("the API got %q", r)
		}
	}
	if got := tokens.seen(); len(got) != 1 || got[0] != clientSecret {
		t.Fatalf("token requests with secrets %q, want one with the client secret", got)
	}
	form := tokens.forms[0]
	if form.Get("scope") != "balance:read account" || form.Get("audience") != "sms-api" {
		t.Errorf("token request form %v, want the scopes and endpoint_params", form)
	}
}

// TestOAuth2SecretFileRotated checks that client_secret_file is read at
// each token fetch, so that a rotated secret is used once the token
// expires, with its trailing newline trimmed.
func TestOAuth2SecretFileRotated(t *testing.T) {
	tokens := &tokenEndpoint{expiresIn: 1} // within oauth2's expiry delta: every request fetches
	tokenSrv := httptest.NewServer(tokens)
	defer tokenSrv.Close()
	api, apiURL := newAPI(t)
	file := filepath.Join(t.TempDir(), "client_secret")
	cfg := oauth2Config(tokenSrv.URL + "/token")
	cfg.OAuth2.ClientSecret = ""
	cfg.OAuth2.ClientSecretFile = file
	client := oauth2Client(t, cfg, nil)
	secrets := []string{"first-secret-aaaa", "rotated-secret-bbbb"}
	for _, s := range secrets {
		if err := os.WriteFile(file, []byte(s+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := get(context.Background(), client, apiURL); err != nil {
			t.Fatal(err)
		}
	}
	if got := tokens.seen(); strings.Join(got, ",") != strings.Join(secrets, ",") {
		t.Fatalf("token requests with secrets %q, want %q", got, secrets)
	}
	reqs := api.requests()
	for i, s := range secrets {
		if i >= len(reqs) || !strings.Contains(reqs[i], `auth="Bearer tok-`+s+`"`) {
			t.Fatalf("the API got %q, want the tokens of %q", reqs, secrets)
		}
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	_, err := get(context.Background(), client, apiURL)
	if err == nil || providers.Classify(err) != providers.ReasonAuth || !strings.Contains(err.Error(), "client_secret_file") {
		t.Fatalf("without the secret file: error %v, want an auth error naming client_secret_file", err)
	}
}

// TestOAuth2RequestStopsWaiting checks that a request waits for a token no
// longer than its context lets it (a timeout), and that the fetch it
// started goes on and its token serves the next request.
func TestOAuth2RequestStopsWaiting(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	var calls atomic.Int32
	tokens := &tokenEndpoint{expiresIn: 3600}
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			<-release
		}
		tokens.ServeHTTP(w, r)
	}))
	defer tokenSrv.Close()
	defer once.Do(func() { close(release) })
	api, apiURL := newAPI(t)
	client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), nil)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	errc := make(chan error, 1)
	go func() {
		_, err := get(ctx, client, apiURL)
		errc <- err
	}()
	select {
	case err := <-errc:
		if providers.Classify(err) != providers.ReasonTimeout {
			t.Fatalf("error %v, want a timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request still waits for its token 5s after its context ended")
	}
	once.Do(func() { close(release) })
	if _, err := get(context.Background(), client, apiURL); err != nil {
		t.Fatal(err)
	}
	if got := tokens.seen(); len(got) != 1 {
		t.Fatalf("%d token requests, want the first one only", len(got))
	}
	if got := api.requests(); len(got) != 1 || !strings.Contains(got[0], `auth="Bearer tok-`+clientSecret+`"`) {
		t.Fatalf("the API got %q", got)
	}
}

// TestOAuth2ContextNotKept checks that the token source does not keep the
// context of the request that first fetched a token: once that context is
// cancelled, later requests still fetch tokens.
func TestOAuth2ContextNotKept(t *testing.T) {
	tokens := &tokenEndpoint{expiresIn: 1}
	tokenSrv := httptest.NewServer(tokens)
	defer tokenSrv.Close()
	_, apiURL := newAPI(t)
	client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), nil)
	ctx, cancel := context.WithCancel(context.Background())
	if _, err := get(ctx, client, apiURL); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := get(context.Background(), client, apiURL); err != nil {
		t.Fatalf("after the first request's context was cancelled: %v", err)
	}
	if got := tokens.seen(); len(got) != 2 {
		t.Fatalf("%d token requests, want 2", len(got))
	}
}

// TestOAuth2TokenErrors checks how refusals of the token endpoint are
// classified (a rejected client is an auth failure), and that their text
// is bounded and never shows the client secret, even when the endpoint
// echoes it.
func TestOAuth2TokenErrors(t *testing.T) {
	long := strings.Repeat("echo "+clientSecret+" ", 10000)
	for _, c := range []struct {
		name        string
		status      int
		contentType string
		body        string
		retryAfter  string
		want        providers.Reason
		wantText    string
	}{
		{"401 invalid_client", 401, "application/json", `{"error":"invalid_client"}`, "", providers.ReasonAuth, `"invalid_client"`},
		{"400 invalid_client echoing the secret", 400, "application/json",
			`{"error":"invalid_client","error_description":"unknown secret ` + clientSecret + `"}`, "", providers.ReasonAuth, `"invalid_client"`},
		{"400 unauthorized_client", 400, "application/json", `{"error":"unauthorized_client"}`, "", providers.ReasonAuth, "unauthorized_client"},
		{"400 invalid_grant", 400, "application/x-www-form-urlencoded", `error=invalid_grant`, "", providers.ReasonAuth, "invalid_grant"},
		{"403 with a long page", 403, "text/html", long, "", providers.ReasonAuth, "HTTP 403 with body"},
		{"429", 429, "application/json", `{"error":"slow_down"}`, "30", providers.ReasonRateLimited, "429"},
		{"500 with a long echo", 500, "application/json", long, "", providers.ReasonHTTPStatus, "500"},
		{"400 invalid_scope", 400, "application/json", `{"error":"invalid_scope","error_description":"` + long + `"}`, "", providers.ReasonHTTPStatus, "invalid_scope"},
		{"502 with an empty body", 502, "text/plain", "", "", providers.ReasonHTTPStatus, "HTTP 502 with an empty body"},
		{"200 without a token", 200, "application/json", `{"token_type":"bearer"}`, "", providers.ReasonBadResponse, "access_token"},
	} {
		t.Run(c.name, func(t *testing.T) {
			tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", c.contentType)
				if c.retryAfter != "" {
					w.Header().Set("Retry-After", c.retryAfter)
				}
				w.WriteHeader(c.status)
				fmt.Fprint(w, c.body)
			}))
			defer tokenSrv.Close()
			api, apiURL := newAPI(t)
			client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), nil)
			_, err := get(context.Background(), client, apiURL)
			if got := providers.Classify(err); got != c.want {
				t.Errorf("Classify(%v) = %s, want %s", err, got, c.want)
			}
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			t.Logf("error: %s", text)
			if run, leak := pt.Leak(text, clientSecret); leak {
				t.Errorf("error %q shows the client secret (%q)", text, run)
			}
			if len(text) > 512 || strings.ContainsAny(text, "\n\r") {
				t.Errorf("error of %d bytes, not one bounded line: %q", len(text), text)
			}
			if !strings.Contains(text, c.wantText) {
				t.Errorf("error %q does not say %q", text, c.wantText)
			}
			if c.retryAfter != "" && providers.RetryAfter(err) != 30*time.Second {
				t.Errorf("RetryAfter = %s, want 30s", providers.RetryAfter(err))
			}
			if got := api.requests(); len(got) != 0 {
				t.Errorf("the API was called without a token: %q", got)
			}
		})
	}
}

// TestClassifyRetrieveError checks Classify on the error of
// golang.org/x/oauth2, alone and wrapped.
func TestClassifyRetrieveError(t *testing.T) {
	for _, c := range []struct {
		status int // of the token endpoint's answer; 0: none
		code   string
		want   providers.Reason
	}{
		{401, "", providers.ReasonAuth},
		{403, "", providers.ReasonAuth},
		{400, "invalid_client", providers.ReasonAuth},
		{400, "unauthorized_client", providers.ReasonAuth},
		{400, "invalid_grant", providers.ReasonAuth},
		{200, "invalid_client", providers.ReasonAuth},
		{429, "", providers.ReasonRateLimited},
		{400, "invalid_scope", providers.ReasonHTTPStatus},
		{503, "", providers.ReasonHTTPStatus},
		{200, "server_error", providers.ReasonBadResponse},
		{0, "", providers.ReasonBadResponse},
	} {
		re := &oauth2.RetrieveError{ErrorCode: c.code}
		if c.status != 0 {
			// As *oauth2.RetrieveError holds it: the body read and closed.
			re.Response = &http.Response{StatusCode: c.status, Status: http.StatusText(c.status), Body: http.NoBody}
			_ = re.Response.Body.Close()
		}
		for _, err := range []error{re, fmt.Errorf("fetching: %w", re), &url.Error{Op: "Get", URL: "http://x/", Err: re}} {
			if got := providers.Classify(err); got != c.want {
				t.Errorf("Classify(%T of HTTP %d %q) = %s, want %s", err, c.status, c.code, got, c.want)
			}
		}
	}
}

// TestNewClientRefusesOAuth2 checks that NewClient refuses, naming the
// key, what its OAuth2 support does not do, and never shows the secret.
func TestNewClientRefusesOAuth2(t *testing.T) {
	for _, c := range []struct {
		key string
		set func(o *promconfig.OAuth2)
	}{
		{"grant_type", func(o *promconfig.OAuth2) { o.GrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer" }},
		{"grant_type", func(o *promconfig.OAuth2) { o.GrantType = "password" }},
		{"client_secret_ref", func(o *promconfig.OAuth2) { o.ClientSecret = ""; o.ClientSecretRef = "vault-key" }},
		{"client_certificate_key", func(o *promconfig.OAuth2) { o.ClientCertificateKey = "-----BEGIN" }},
		{"client_certificate_key_file", func(o *promconfig.OAuth2) { o.ClientCertificateKeyFile = "/key.pem" }},
		{"client_certificate_key_ref", func(o *promconfig.OAuth2) { o.ClientCertificateKeyRef = "k" }},
		{"client_certificate_key_id", func(o *promconfig.OAuth2) { o.ClientCertificateKeyID = "k1" }},
		{"signature_algorithm", func(o *promconfig.OAuth2) { o.SignatureAlgorithm = "RS256" }},
		{"iss", func(o *promconfig.OAuth2) { o.Iss = "me" }},
		{"audience", func(o *promconfig.OAuth2) { o.Audience = "them" }},
		{"claims", func(o *promconfig.OAuth2) { o.Claims = map[string]any{"a": 1} }},
		{"client_id", func(o *promconfig.OAuth2) { o.ClientID = "" }},
		{"token_url", func(o *promconfig.OAuth2) { o.TokenURL = "" }},
		{"token_url", func(o *promconfig.OAuth2) { o.TokenURL = "ftp://auth.example/token" }},
		{"token_url", func(o *promconfig.OAuth2) { o.TokenURL = "/token" }},
		{"client_secret_file", func(o *promconfig.OAuth2) { o.ClientSecretFile = "/secret" }},
	} {
		cfg := oauth2Config("https://auth.example/token")
		c.set(cfg.OAuth2)
		_, err := providers.NewClient(cfg, "test", nil)
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: NewClient error %v, want one naming %s", c.key, err, c.key)
			continue
		}
		if strings.Contains(err.Error(), clientSecret) {
			t.Errorf("%s: error %q shows the client secret", c.key, err)
		}
	}
	for _, grant := range []string{"", "client_credentials"} {
		cfg := oauth2Config("https://auth.example/token")
		cfg.OAuth2.GrantType = grant
		if _, err := providers.NewClient(cfg, "test", nil); err != nil {
			t.Errorf("grant_type %q: %v", grant, err)
		}
	}
}

// TestOAuth2TokenRedacted: an access token the client obtains is added to
// the account's Redactor, so an upstream echoing it cannot show it.
func TestOAuth2TokenRedacted(t *testing.T) {
	tokens := &tokenEndpoint{expiresIn: 3600}
	tokenSrv := httptest.NewServer(tokens)
	defer tokenSrv.Close()
	_, apiURL := newAPI(t)
	secrets := providers.NewRedactor()
	client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), secrets)
	token := "tok-" + clientSecret // what tokenEndpoint issues
	if got := secrets.Redact("echo " + token); got != "echo "+token {
		t.Fatalf("redacted %q before any token was issued", got)
	}
	if _, err := get(context.Background(), client, apiURL); err != nil {
		t.Fatal(err)
	}
	if got := secrets.Redact("echo " + token); strings.Contains(got, token[:8]) {
		t.Errorf("the issued token is not redacted: %q", got)
	}
}

// TestOAuth2HugeTokenRefused: a token endpoint issuing a token of 1 MB (a
// hostile or broken endpoint) gets bad_response; the token is neither sent
// nor kept for redaction (adding it cost gigabytes: every run of every
// form, rebuilt under the Redactor's lock at each fetch).
func TestOAuth2HugeTokenRefused(t *testing.T) {
	huge := strings.Repeat("A1b2C3d4", 1<<17) // 1 MiB
	tokenSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"bearer","expires_in":3600}`, huge[:len(huge)-100])
	}))
	defer tokenSrv.Close()
	api, apiURL := newAPI(t)
	secrets := providers.NewRedactor()
	client := oauth2Client(t, oauth2Config(tokenSrv.URL+"/token"), secrets)
	_, err := get(context.Background(), client, apiURL)
	if providers.Classify(err) != providers.ReasonBadResponse || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("error %v (%s), want bad_response about the token's size", err, providers.Classify(err))
	}
	if n := len(api.requests()); n != 0 {
		t.Errorf("the API got %d requests", n)
	}
	if got := secrets.Redact("A1b2C3d4A1b2C3d4"); got != "A1b2C3d4A1b2C3d4" {
		t.Errorf("the refused token was kept for redaction: %q", got)
	}
}
