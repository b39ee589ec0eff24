package providers

import (
	"errors"
	"fmt"
	"net"
	"net/http"
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
func NewClient(cfg *promconfig.HTTPClientConfig, name string) (*http.Client, error) {
	if cfg == nil {
		return nil, errors.New("no http_client_config")
	}
	c, err := promconfig.NewClientFromConfig(*cfg, name)
	if err != nil {
		return nil, fmt.Errorf("building the HTTP client: %w", err)
	}
	if cfg.FollowRedirects {
		c.CheckRedirect = CheckRedirect
	}
	return c, nil
}
