package providers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	promconfig "github.com/prometheus/common/config"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// tokenFetchTimeout bounds one token request (with its redirects). A token
// fetch does not run in the context of the request that needs the token
// (see clientCredentialsSource.Token), so this is what ends a token
// endpoint that never answers; the request itself stops waiting when its
// own context ends.
const tokenFetchTimeout = 30 * time.Second

// newOAuth2Transport returns a transport that adds to each request, over
// base, an access token obtained from o.TokenURL with the OAuth2 client
// credentials grant. Tokens are fetched with a client of their own, built
// from the block's tls_config and proxy settings, that follows redirects
// by CheckRedirect, so the client credentials never reach another origin.
// A token is reused until it expires; client_secret_file is read at each
// fetch, so a rotated secret is used from the next token on.
func newOAuth2Transport(o *promconfig.OAuth2, base http.RoundTripper, name string, secrets *Redactor) (*oauth2Transport, error) {
	if err := checkOAuth2(o); err != nil {
		return nil, err
	}
	tokens, err := promconfig.NewClientFromConfig(promconfig.HTTPClientConfig{
		TLSConfig:       o.TLSConfig,
		ProxyConfig:     o.ProxyConfig,
		FollowRedirects: true,
		EnableHTTP2:     true,
	}, name)
	if err != nil {
		return nil, fmt.Errorf("oauth2: building the token client: %w", err)
	}
	tokens.CheckRedirect = CheckRedirect
	tokens.Timeout = tokenFetchTimeout
	src := &clientCredentialsSource{
		client:     tokens,
		secret:     string(o.ClientSecret),
		secretFile: o.ClientSecretFile,
		tokens:     secrets,
	}
	src.conf.ClientID = o.ClientID
	src.conf.TokenURL = o.TokenURL
	src.conf.Scopes = append([]string(nil), o.Scopes...)
	if len(o.EndpointParams) > 0 {
		src.conf.EndpointParams = url.Values{}
		for k, v := range o.EndpointParams {
			src.conf.EndpointParams.Set(k, v)
		}
	}
	return &oauth2Transport{
		Transport: oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, src), Base: base},
		tokens:    tokens,
	}, nil
}

// checkOAuth2 refuses, naming the key, an oauth2 block that
// newOAuth2Transport cannot serve as configured.
func checkOAuth2(o *promconfig.OAuth2) error {
	if o.GrantType != "" && o.GrantType != "client_credentials" {
		return fmt.Errorf("oauth2.grant_type %q is not supported: only client_credentials is", Bound(o.GrantType))
	}
	for _, k := range []struct {
		key string
		set bool
	}{
		{"client_secret_ref", o.ClientSecretRef != ""},
		{"client_certificate_key", o.ClientCertificateKey != ""},
		{"client_certificate_key_file", o.ClientCertificateKeyFile != ""},
		{"client_certificate_key_ref", o.ClientCertificateKeyRef != ""},
		{"client_certificate_key_id", o.ClientCertificateKeyID != ""},
		{"signature_algorithm", o.SignatureAlgorithm != ""},
		{"iss", o.Iss != ""},
		{"audience", o.Audience != ""},
		{"claims", len(o.Claims) > 0},
	} {
		if k.set {
			return fmt.Errorf("oauth2.%s is not supported: only the client_credentials grant with client_secret or client_secret_file is", k.key)
		}
	}
	if o.ClientID == "" {
		return errors.New("oauth2.client_id must be configured")
	}
	if o.ClientSecret != "" && o.ClientSecretFile != "" {
		return errors.New("oauth2: at most one of client_secret and client_secret_file must be configured")
	}
	if o.TokenURL == "" {
		return errors.New("oauth2.token_url must be configured")
	}
	if u, err := url.Parse(o.TokenURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("oauth2.token_url must be an absolute http or https URL")
	}
	return nil
}

// oauth2Transport is the transport of an account with an oauth2 block.
type oauth2Transport struct {
	oauth2.Transport
	tokens *http.Client // the token requests' client
}

// RoundTrip obtains a token from Source, waiting for it no longer than
// req's context lets it, then sends req with the token over Base.
//
// The token is fetched apart from req's context: x/oauth2's TokenSource
// takes no context, and the token it fetches is shared by the later
// requests, so the context of the request that happened to need it (and
// ends with it) must not govern the fetch. A request whose context ends
// first gives up waiting; the fetch goes on, bounded by
// tokenFetchTimeout, and its token serves the next request.
func (t *oauth2Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := t.Source.Token()
		done <- result{tok, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-req.Context().Done():
		r.err = req.Context().Err()
	}
	if r.err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, r.err
	}
	// This very token: asking Source again could fetch another one (a
	// token that expires within oauth2's expiry delta is never reused).
	once := oauth2.Transport{Source: oauth2.StaticTokenSource(r.tok), Base: t.Base}
	return once.RoundTrip(req)
}

// CloseIdleConnections closes the idle connections of the token client
// and of the base transport.
func (t *oauth2Transport) CloseIdleConnections() {
	t.tokens.CloseIdleConnections()
	if ci, ok := t.Base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// clientCredentialsSource fetches a token with the client credentials
// grant at each call (oauth2.ReuseTokenSource keeps it while valid).
type clientCredentialsSource struct {
	client     *http.Client // the token requests' client (CheckRedirect)
	secret     string       // client_secret, or
	secretFile string       // client_secret_file, read at each fetch
	tokens     *Redactor    // learns each token fetched; may be nil

	mu   sync.Mutex
	conf clientcredentials.Config // ClientSecret is set for each fetch
}

// Token fetches a token. Its errors are *Error: classified (a refused
// client is ReasonAuth), with a bounded text that never shows the client
// secret nor a redirect's URL.
func (s *clientCredentialsSource) Token() (*oauth2.Token, error) {
	secret := s.secret
	if s.secretFile != "" {
		var err error
		if secret, err = readSecretFile(s.secretFile); err != nil {
			return nil, &Error{Reason: ReasonAuth, Msg: "reading oauth2 client_secret_file", Err: err}
		}
	}
	// A context of the fetch's own, not a request's (see
	// oauth2Transport.RoundTrip); it only carries the token client, whose
	// Timeout bounds the fetch.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, s.client)
	s.mu.Lock()
	s.conf.ClientSecret = secret
	tok, err := s.conf.Token(ctx)
	s.conf.ClientSecret = ""
	s.mu.Unlock()
	if err != nil {
		return nil, tokenError(err, secret)
	}
	if n := len(tok.AccessToken) + len(tok.RefreshToken); n > MaxRuntimeSecretBytes {
		// Not a token any API sends: a broken or hostile endpoint, whose
		// token would be sent with every request and kept for redaction.
		return nil, &Error{Reason: ReasonBadResponse, Msg: fmt.Sprintf("oauth2: the token endpoint issued a token of %d bytes, more than %d", n, MaxRuntimeSecretBytes)}
	}
	if s.tokens != nil {
		s.tokens.AddSecret(tok.AccessToken)
		s.tokens.AddSecret(tok.RefreshToken)
	}
	return tok, nil
}

// tokenError turns the error of a token fetch into an *Error: classified
// like Classify does, with RetryAfter from a 429, and a one-line text of
// at most MaxErrorBytes with secret redacted. The error it wraps keeps no
// more of the answer than the text: not its body, nor the request (with
// its Basic credentials) that the *oauth2.RetrieveError refers to.
func tokenError(err error, secret string) error {
	red := NewRedactor(secret)
	const msg = "fetching the OAuth2 token"
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		inner := err
		var ue *url.Error
		if errors.As(err, &ue) { // its URL may be a redirect's Location
			inner = ue.Err
		}
		return &Error{Reason: Classify(err), Msg: msg, Err: &tokenFetchError{text: red.RedactMessage(inner.Error()), err: err}}
	}
	clean := &oauth2.RetrieveError{
		ErrorCode:        Bound(red.Redact(re.ErrorCode)),
		ErrorDescription: Bound(red.Redact(re.ErrorDescription)),
		ErrorURI:         Bound(red.Redact(re.ErrorURI)),
	}
	var text strings.Builder
	e := &Error{Reason: Classify(re), Msg: msg}
	if r := re.Response; r != nil {
		clean.Response = &http.Response{Status: Bound(r.Status), StatusCode: r.StatusCode, Header: http.Header{}}
		if v := r.Header.Get("Retry-After"); v != "" {
			clean.Response.Header.Set("Retry-After", Bound(v))
		}
		fmt.Fprintf(&text, "HTTP %d", r.StatusCode)
		if r.StatusCode == http.StatusTooManyRequests {
			e.RetryAfter = ParseRetryAfter(r.Header.Get("Retry-After"), time.Now())
		}
	} else {
		text.WriteString("token endpoint refused")
	}
	if clean.ErrorCode != "" {
		fmt.Fprintf(&text, " with error %q", clean.ErrorCode)
		if clean.ErrorDescription != "" {
			fmt.Fprintf(&text, " (%q)", clean.ErrorDescription)
		}
	} else if len(bytes.TrimSpace(re.Body)) == 0 {
		text.WriteString(" with an empty body")
	} else {
		text.WriteString(" with body " + Snippet([]byte(red.Redact(string(re.Body)))))
	}
	e.Err = &tokenFetchError{text: CutMessage(text.String()), err: clean}
	return e
}

// tokenFetchError is a token fetch's error with a safe text; errors.As
// still finds what it wraps (an *oauth2.RetrieveError, a transport error).
type tokenFetchError struct {
	text string
	err  error
}

func (e *tokenFetchError) Error() string { return e.text }
func (e *tokenFetchError) Unwrap() error { return e.err }
