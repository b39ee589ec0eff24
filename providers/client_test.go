package providers_test

import (
	"context"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/rtisms"
)

const token = "d7-token-that-must-not-travel"

// recorder is a server that records every request it gets.
type recorder struct {
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body := make([]byte, 1024)
	n, _ := req.Body.Read(body)
	r.mu.Lock()
	r.reqs = append(r.reqs, fmt.Sprintf("%s %s auth=%q body=%q", req.Method, req.URL, req.Header.Get("Authorization"), body[:n]))
	r.mu.Unlock()
	pt.JSON(`{"balance": 1}`).ServeHTTP(w, req)
}

func (r *recorder) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.reqs...)
}

func clients(t *testing.T) map[string]*http.Client {
	t.Helper()
	cfg := promconfig.DefaultHTTPClientConfig
	built, err := providers.NewClient(&cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*http.Client{"default": providers.NewDefaultClient(), "http_client_config": built}
}

// TestCrossOriginRedirectRefused checks that a redirect to another port
// carries no credential there, in a header (D7's Bearer token), a POST body
// (RTI's client_secret) or a query, and fails as bad_response naming only
// the other origin.
func TestCrossOriginRedirectRefused(t *testing.T) {
	for name, client := range clients(t) {
		for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
			t.Run(fmt.Sprintf("%s/%d", name, status), func(t *testing.T) {
				other := &recorder{}
				otherSrv := httptest.NewServer(other)
				defer otherSrv.Close()
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					http.Redirect(w, r, otherSrv.URL+r.URL.Path+"?api_key="+token, status)
				}))
				defer srv.Close()
				settings := providers.Settings{BaseURL: srv.URL, Client: client, Credentials: map[string]string{
					"token": token, "client_id": "rti-client-id-0042", "client_secret": "rti-client-secret-9d8e"}}
				for _, p := range []providers.Provider{d7networks.New(settings), rtisms.New(settings)} {
					_, err := p.Balances(context.Background())
					if providers.Classify(err) != providers.ReasonBadResponse {
						t.Fatalf("error %v, want bad_response", err)
					}
					origin := "http://" + strings.TrimPrefix(otherSrv.URL, "http://")
					if !strings.Contains(err.Error(), "redirect to another origin "+origin+" refused") {
						t.Errorf("error %q does not name the origin %s", err, origin)
					}
					if strings.Contains(err.Error(), "api_key") || strings.Contains(err.Error(), token) {
						t.Errorf("error %q shows the redirect's URL", err)
					}
				}
				if got := other.requests(); len(got) != 0 {
					t.Fatalf("the other origin was reached: %q", got)
				}
			})
		}
	}
}

// TestSameOriginRedirectFollowed checks that a same-origin redirect is
// followed (with the credentials) and a loop stops after MaxRedirects.
func TestSameOriginRedirectFollowed(t *testing.T) {
	for name, client := range clients(t) {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			hops := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/messages/v1/balance":
					http.Redirect(w, r, "/v2/balance", http.StatusFound)
				case "/loop":
					hops++
					http.Redirect(w, r, "/loop", http.StatusFound)
				default:
					rec.ServeHTTP(w, r)
				}
			}))
			defer srv.Close()
			p := d7networks.New(providers.Settings{BaseURL: srv.URL, Client: client, Credentials: map[string]string{"token": token}})
			got, err := p.Balances(context.Background())
			if err != nil || len(got) != 1 || got[0].Value != 1 {
				t.Fatalf("Balances() = %v, %v", got, err)
			}
			if reqs := rec.requests(); len(reqs) != 1 || !strings.Contains(reqs[0], "Bearer "+token) {
				t.Fatalf("redirect target got %q", reqs)
			}
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/loop", nil)
			_, err = providers.Do(client, req)
			if providers.Classify(err) != providers.ReasonBadResponse || hops != providers.MaxRedirects+1 {
				t.Fatalf("loop: error %v after %d hops", err, hops)
			}
		})
	}
}

// TestPrivateCA checks tls_config.ca_file: an upstream whose certificate
// is signed by a private CA is trusted with the CA and refused without.
func TestPrivateCA(t *testing.T) {
	srv := httptest.NewTLSServer(&recorder{})
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		caFile string
		want   providers.Reason
	}{{"with the CA", caFile, ""}, {"without it", "", providers.ReasonNetwork}} {
		t.Run(c.name, func(t *testing.T) {
			cfg := promconfig.DefaultHTTPClientConfig
			cfg.TLSConfig.CAFile = c.caFile
			client, err := providers.NewClient(&cfg, "test", nil)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err = d7networks.New(providers.Settings{BaseURL: srv.URL, Client: client, Credentials: map[string]string{"token": token}}).Balances(ctx)
			if c.want == "" && err != nil {
				t.Fatalf("with the CA: %v", err)
			}
			if c.want != "" && (providers.Classify(err) != c.want || !strings.Contains(err.Error(), "certificate")) {
				t.Fatalf("without the CA: error %v, want a %s certificate error", err, c.want)
			}
		})
	}
}

// TestProxy checks proxy_url: requests go through the configured proxy.
func TestProxy(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" "+r.Header.Get("Authorization"))
		mu.Unlock()
		pt.JSON(`{"balance": 7}`).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	u, _ := url.Parse(proxy.URL)
	cfg := promconfig.DefaultHTTPClientConfig
	cfg.ProxyURL = promconfig.URL{URL: u}
	client, err := providers.NewClient(&cfg, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := d7networks.New(providers.Settings{BaseURL: "http://api.d7networks.invalid", Client: client, Credentials: map[string]string{"token": token}}).Balances(context.Background())
	if err != nil || got[0].Value != 7 {
		t.Fatalf("Balances() = %v, %v", got, err)
	}
	if len(seen) != 1 || seen[0] != "GET http://api.d7networks.invalid/messages/v1/balance Bearer "+token {
		t.Fatalf("proxy saw %q", seen)
	}
}

// TestHTTPClientSecrets checks that every secret of an http_client_config
// is returned, inline or read from its file (trimmed, relative paths
// joined with dir), and that nothing else is: not the basic_auth username,
// nor plain header values, nor a file that is missing, not regular or too
// large.
func TestHTTPClientSecrets(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	proxyURL, _ := url.Parse("http://proxy-user:proxy-password-51@proxy.example:3128")
	oauthProxyURL, _ := url.Parse("http://u:oauth-proxy-password-52@proxy.example:3128")
	for _, c := range []struct {
		name string
		cfg  promconfig.HTTPClientConfig
		want []string
	}{
		{"basic_auth", promconfig.HTTPClientConfig{BasicAuth: &promconfig.BasicAuth{Username: "basic-user", Password: "basic-password-1"}},
			[]string{"basic-user", "basic-password-1"}},
		{"basic_auth password_file", promconfig.HTTPClientConfig{BasicAuth: &promconfig.BasicAuth{Username: "basic-user", PasswordFile: write("password", "basic-password-file-2\n")}},
			[]string{"basic-user", "basic-password-file-2"}},
		{"authorization", promconfig.HTTPClientConfig{Authorization: &promconfig.Authorization{Type: "Bearer", Credentials: "authorization-credentials-3"}},
			[]string{"authorization-credentials-3"}},
		{"authorization credentials_file relative to dir", promconfig.HTTPClientConfig{Authorization: &promconfig.Authorization{CredentialsFile: filepath.Base(write("credentials", "  credentials-file-4\r\n"))}},
			[]string{"credentials-file-4"}},
		{"bearer_token", promconfig.HTTPClientConfig{BearerToken: "bearer-token-5"}, []string{"bearer-token-5"}},
		{"bearer_token_file", promconfig.HTTPClientConfig{BearerTokenFile: write("bearer", "bearer-token-file-6\n")}, []string{"bearer-token-file-6"}},
		{"oauth2", promconfig.HTTPClientConfig{OAuth2: &promconfig.OAuth2{ClientID: "oauth2-client-id", ClientSecret: "oauth2-client-secret-7",
			ProxyConfig: promconfig.ProxyConfig{ProxyURL: promconfig.URL{URL: oauthProxyURL}, ProxyConnectHeader: promconfig.ProxyHeader{"X-Key": {"oauth-proxy-header-53"}}}}},
			[]string{"oauth2-client-id", "oauth2-client-secret-7", "oauth-proxy-password-52", "oauth-proxy-header-53"}},
		{"oauth2 client_secret_file", promconfig.HTTPClientConfig{OAuth2: &promconfig.OAuth2{ClientID: "oauth2-client-id", ClientSecretFile: write("oauth2", "oauth2-secret-file-8\n")}},
			[]string{"oauth2-client-id", "oauth2-secret-file-8"}},
		{"http_headers", promconfig.HTTPClientConfig{HTTPHeaders: &promconfig.Headers{Headers: map[string]promconfig.Header{
			"X-Api-Key": {Values: []string{"plain-not-secret"}, Secrets: []promconfig.Secret{"header-secret-9"}, Files: []string{write("header", "header-file-10\n")}},
			"X-Other":   {Secrets: []promconfig.Secret{"header-secret-11"}},
		}}}, []string{"header-secret-9", "header-file-10", "header-secret-11"}},
		{"proxy", promconfig.HTTPClientConfig{ProxyConfig: promconfig.ProxyConfig{ProxyURL: promconfig.URL{URL: proxyURL},
			ProxyConnectHeader: promconfig.ProxyHeader{"Proxy-Authorization": {"proxy-header-54"}}}},
			[]string{"proxy-password-51", "proxy-header-54"}},
		{"files skipped", promconfig.HTTPClientConfig{
			BasicAuth:       &promconfig.BasicAuth{PasswordFile: filepath.Join(dir, "missing")},
			Authorization:   &promconfig.Authorization{CredentialsFile: dir},
			BearerTokenFile: write("large", strings.Repeat("x", 64<<10+1)),
			OAuth2:          &promconfig.OAuth2{ClientSecretFile: write("empty", "\n")},
		}, nil},
		{"none", promconfig.DefaultHTTPClientConfig, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := providers.HTTPClientSecrets(&c.cfg, dir)
			slices.Sort(got)
			want := slices.Clone(c.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("HTTPClientSecrets() = %q, want %q", got, want)
			}
		})
	}
	if got := providers.HTTPClientSecrets(nil, dir); len(got) != 0 {
		t.Fatalf("HTTPClientSecrets(nil) = %q", got)
	}
}
