package providers

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	promconfig "github.com/prometheus/common/config"
)

// MaxRedirects is how many same-origin redirects a request follows.
const MaxRedirects = 5

// CheckRedirect is the redirect policy of every provider client: a redirect
// to another origin (scheme, host or port) is refused with a bad_response
// error naming that origin, so that no credential (header, body or query)
// reaches it; a same-origin redirect is followed at most MaxRedirects times.
func CheckRedirect(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if origin(req.URL.Scheme, req.URL.Host) != origin(first.Scheme, first.Host) {
		return Errorf(ReasonBadResponse, "redirect to another origin %s refused", origin(req.URL.Scheme, req.URL.Host))
	}
	if len(via) > MaxRedirects {
		return Errorf(ReasonBadResponse, "stopped after %d redirects", MaxRedirects)
	}
	return nil
}

// origin returns scheme://host:port with the default port made explicit.
func origin(scheme, host string) string {
	h, port, err := net.SplitHostPort(host)
	if err != nil {
		h = host
		switch scheme {
		case "https":
			port = "443"
		default:
			port = "80"
		}
	}
	return scheme + "://" + net.JoinHostPort(h, port)
}

// NewDefaultClient returns the HTTP client shared by the accounts that have
// no http_client_config: the proxy from the environment, bounded dials, idle
// connections kept for reuse, and CheckRedirect.
func NewDefaultClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          100,
			MaxIdleConnsPerHost:   4,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: CheckRedirect,
	}
}

var defaultClient = NewDefaultClient()

// NewClient builds the HTTP client of one account from its
// http_client_config with the Prometheus ecosystem's own constructor, and
// applies CheckRedirect when it follows redirects.
//
// An oauth2 block is not left to prometheus/common, whose token requests
// follow any redirect: the client credentials grant is done with
// golang.org/x/oauth2 by newOAuth2Transport, whose token requests obey
// CheckRedirect too. NewClient refuses, naming the key, the oauth2
// settings this does not support. When secrets is not nil, every access
// token the client obtains is added to it (Redactor.AddSecret), so that an
// upstream echoing the token cannot show it.
func NewClient(cfg *promconfig.HTTPClientConfig, name string, secrets *Redactor) (*http.Client, error) {
	if cfg == nil {
		return nil, errors.New("no http_client_config")
	}
	plain := *cfg
	plain.OAuth2 = nil
	c, err := promconfig.NewClientFromConfig(plain, name)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	if cfg.FollowRedirects {
		c.CheckRedirect = CheckRedirect
	}
	if cfg.OAuth2 != nil {
		t, err := newOAuth2Transport(cfg.OAuth2, c.Transport, name, secrets)
		if err != nil {
			return nil, err
		}
		c.Transport = t
	}
	return c, nil
}

// MaxSecretFileBytes bounds a file holding a secret: a *_file credential,
// a secret file of an http_client_config.
const MaxSecretFileBytes = 64 << 10

// readSecretFile reads the secret in path, a regular file of at most
// MaxSecretFileBytes, with surrounding whitespace trimmed as
// prometheus/common does when it sends a secret read from a file.
func readSecretFile(path string) (string, error) {
	b, err := ReadRegularFile(path, MaxSecretFileBytes)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadRegularFile reads the file at path if it is a regular file of at
// most limit bytes. A device, a FIFO or a directory is refused without
// blocking on it (stat first, open non-blocking, stat the opened file
// again), as is a larger file, without reading more than limit+1 bytes.
func ReadRegularFile(path string, limit int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if st.Size() > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, limit)
	}
	return data, nil
}

// HTTPClientSecrets returns every secret value of cfg, for the account's
// Redactor: the basic_auth username and password (the Redactor knows
// base64(user:pass) only from the pair), the oauth2 client_id and
// client_secret (sent as such a pair), the authorization
// credentials, the bearer_token, the http_headers
// values given as secrets, each inline or read from its file, and the
// passwords and proxy_connect_header values of the proxy settings (the
// block's and the oauth2 block's). The tls_config key is not one: it never
// travels in a request.
//
// A file is read as prometheus/common reads it to send it, surrounding
// whitespace trimmed, if it is a regular file of at most 64 KiB; any other
// file, or one that cannot be read, is skipped. A path still relative is
// joined with dir (promconfig.JoinDir); the configuration loader has
// already made them absolute with SetDirectory, so "" does for its
// configurations. Empty and repeated values are left out; cfg nil has none.
func HTTPClientSecrets(cfg *promconfig.HTTPClientConfig, dir string) []string {
	if cfg == nil {
		return nil
	}
	var out []string
	add := func(v string) {
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	addFile := func(path string) {
		if path == "" {
			return
		}
		if v, err := readSecretFile(promconfig.JoinDir(dir, path)); err == nil {
			add(v)
		}
	}
	addProxy := func(p *promconfig.ProxyConfig) {
		if u := p.ProxyURL.URL; u != nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				add(pw)
			}
		}
		for _, name := range slices.Sorted(maps.Keys(p.ProxyConnectHeader)) {
			for _, v := range p.ProxyConnectHeader[name] {
				add(string(v))
			}
		}
	}
	if b := cfg.BasicAuth; b != nil {
		// The username too, as for a provider's Basic credentials: the
		// Redactor recognises base64(user:pass) from the pair, whose
		// first characters encode the username alone.
		add(b.Username)
		addFile(b.UsernameFile)
		add(string(b.Password))
		addFile(b.PasswordFile)
	}
	if a := cfg.Authorization; a != nil {
		add(string(a.Credentials))
		addFile(a.CredentialsFile)
	}
	add(string(cfg.BearerToken))
	addFile(cfg.BearerTokenFile)
	if o := cfg.OAuth2; o != nil {
		add(o.ClientID) // sent with the secret as Basic user:pass
		add(string(o.ClientSecret))
		addFile(o.ClientSecretFile)
		addProxy(&o.ProxyConfig)
	}
	if h := cfg.HTTPHeaders; h != nil {
		for _, name := range slices.Sorted(maps.Keys(h.Headers)) {
			for _, v := range h.Headers[name].Secrets {
				add(string(v))
			}
			for _, f := range h.Headers[name].Files {
				addFile(f)
			}
		}
	}
	addProxy(&cfg.ProxyConfig)
	return out
}
