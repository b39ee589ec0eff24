package smsc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const (
	login    = "acme-smsc-login"
	password = "Smsc&Pass=w0rd #%+42"
)

func answer(status int, ct, body string) pt.Answer {
	h := map[string]string{}
	if ct != "" {
		h["Content-Type"] = ct
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

// checkRequest asserts the balance call and its query.
func checkRequest(t *testing.T, r *http.Request, wantLogin, wantPassword string) {
	t.Helper()
	if r.Method != http.MethodGet || r.URL.Path != "/sys/balance.php" {
		t.Errorf("request %s %s, want GET /sys/balance.php", r.Method, r.URL.Path)
	}
	q := r.URL.Query()
	want := url.Values{"login": {wantLogin}, "psw": {wantPassword}, "fmt": {"3"}, "cur": {"1"}}
	if len(q) != len(want) {
		t.Errorf("query keys %v, want %v", keys(q), keys(want))
	}
	for k, v := range want {
		if got := q[k]; len(got) != 1 || got[0] != v[0] {
			t.Errorf("query %s = %q, want %q", k, got, v[0])
		}
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

func keys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestBalances(t *testing.T) {
	money := func(v float64, cur string) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: cur}
	}
	const documented = `{"balance":"84.75","currency":"RUR"}`
	cases := []pt.Case{
		{Name: "documented", Handler: pt.JSON(documented), Want: money(84.75, "RUB")},
		{Name: "number balance", Handler: pt.JSON(`{"balance":84.75,"currency":"RUR"}`), Want: money(84.75, "RUB")},
		{Name: "RUB", Handler: pt.JSON(`{"balance":"1.5","currency":"RUB"}`), Want: money(1.5, "RUB")},
		{Name: "lower-case rur", Handler: pt.JSON(`{"balance":"1.5","currency":"rur"}`), Want: money(1.5, "RUB")},
		{Name: "KZT", Handler: pt.JSON(`{"balance":"1200.00","currency":"KZT"}`), Want: money(1200, "KZT")},
		{Name: "negative (postpaid)", Handler: pt.JSON(`{"balance":"-12.30","currency":"RUR"}`), Want: money(-12.3, "RUB")},
		{Name: "no currency: configured one", Handler: pt.JSON(`{"balance":"84.75"}`), Want: money(84.75, "EUR")},
		{Name: "empty currency", Handler: pt.JSON(`{"balance":"84.75","currency":""}`), Want: money(84.75, "EUR")},
		{Name: "null currency", Handler: pt.JSON(`{"balance":"84.75","currency":null}`), Want: money(84.75, "EUR")},
		{Name: "zero error_code", Handler: pt.JSON(`{"balance":"84.75","currency":"RUR","error_code":0}`), Want: money(84.75, "RUB")},
		// The Content-Type is unverified [3rd]: each plausible label of a JSON body.
		{Name: "text/plain", Handler: answer(200, "text/plain; charset=utf-8", documented), Want: money(84.75, "RUB")},
		{Name: "no content type", Handler: answer(200, "", documented), Want: money(84.75, "RUB")},
		{Name: "text/html holding JSON", Handler: answer(200, "text/html; charset=windows-1251", documented), Want: money(84.75, "RUB")},
		{Name: "HTML page", Handler: answer(200, "text/html", "<!DOCTYPE html><html><body>Вход</body></html>"),
			WantReason: providers.ReasonBadResponse, WantErr: "text/html"},
		{Name: "JSON as application/xml", Handler: answer(200, "application/xml", documented), WantReason: providers.ReasonBadResponse, WantErr: "application/xml"},

		{Name: "currency name", Handler: pt.JSON(`{"balance":"1","currency":"US Dollar"}`), WantReason: providers.ReasonBadResponse, WantErr: `"US Dollar"`},
		{Name: "currency 10KB", Handler: pt.JSON(`{"balance":"1","currency":"` + strings.Repeat("R", 10<<10) + `"}`), WantReason: providers.ReasonBadResponse, WantErr: "…"},
		{Name: "currency with newline", Handler: pt.JSON(`{"balance":"1","currency":"RU\nR"}`), WantReason: providers.ReasonBadResponse, WantErr: "currency code"},
		{Name: "currency number", Handler: pt.JSON(`{"balance":"1","currency":643}`), WantReason: providers.ReasonBadResponse},

		{Name: "authorise error", Handler: pt.JSON(`{"error":"authorise error","error_code":2}`),
			WantReason: providers.ReasonAuth, WantErr: "error_code 2: authorise error", WantRetryAfter: 10 * time.Minute},
		{Name: "authorise error as text/plain", Handler: answer(200, "text/plain", `{"error":"authorise error","error_code":2}`), WantReason: providers.ReasonAuth},
		{Name: "error_code as string", Handler: pt.JSON(`{"error":"authorise error","error_code":"2"}`), WantReason: providers.ReasonAuth},
		{Name: "bad parameters", Handler: pt.JSON(`{"error":"parameters error","error_code":1}`), WantReason: providers.ReasonBadResponse, WantErr: "error_code 1"},
		{Name: "IP blocked", Handler: pt.JSON(`{"error":"ip is blocked","error_code":4}`),
			WantReason: providers.ReasonRateLimited, WantErr: "IP address is temporarily blocked by SMSC.ru (error_code 4: ip is blocked)", WantRetryAfter: 10 * time.Minute},
		{Name: "IP blocked, string code", Handler: pt.JSON(`{"error":"IP-адрес временно заблокирован","error_code":"4"}`),
			WantReason: providers.ReasonRateLimited, WantRetryAfter: 10 * time.Minute},
		{Name: "too many requests", Handler: pt.JSON(`{"error":"too many requests","error_code":9}`),
			WantReason: providers.ReasonRateLimited, WantErr: "error_code 9", WantRetryAfter: time.Minute},
		{Name: "unknown code, Russian text", Handler: pt.JSON(`{"error":"неизвестная ошибка","error_code":7}`),
			WantReason: providers.ReasonBadResponse, WantErr: "error_code 7: неизвестная ошибка"},
		{Name: "error without code", Handler: pt.JSON(`{"error":"something"}`), WantReason: providers.ReasonBadResponse, WantErr: "without error_code"},
		{Name: "long error text", Handler: pt.JSON(`{"error":"` + strings.Repeat("ошибка ", 200) + `","error_code":2}`), WantReason: providers.ReasonAuth, WantErr: "…"},

		{Name: "no balance", Handler: pt.JSON(`{"currency":"RUR"}`), WantReason: providers.ReasonBadResponse, WantErr: `expected {"balance"`},
		{Name: "null balance", Handler: pt.JSON(`{"balance":null,"currency":"RUR"}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"balance":"много","currency":"RUR"}`), WantReason: providers.ReasonBadResponse},
		{Name: "fmt=0 text answer", Handler: answer(200, "text/plain", "84.75, RUR"), WantReason: providers.ReasonBadResponse},
		{Name: "401 (undocumented)", Handler: answer(401, "", ""), WantReason: providers.ReasonAuth},
		{Name: "404", Handler: answer(404, "text/html", "<html>Not Found</html>"), WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
	}
	// An error page that echoes the request URL is quoted with the
	// credentials redacted.
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<html>Request " + r.URL.RequestURI() + " blocked</html>"))
		}
	}
	cases = append(cases,
		pt.Case{Name: "403 page echoing the URL", Handler: echo(403), WantReason: providers.ReasonAuth, WantErr: "login=<secret>&psw=<secret>"},
		pt.Case{Name: "502 page echoing the URL", Handler: echo(502), WantReason: providers.ReasonHTTPStatus, WantErr: "login=<secret>&psw=<secret>"},
		pt.Case{Name: "429 page echoing the URL", Handler: echo(429), WantReason: providers.ReasonRateLimited, WantErr: "login=<secret>", WantRetryAfter: 30 * time.Second},
		pt.Case{Name: "error text echoing the login", Handler: pt.JSON(`{"error":"no such login ` + login + `","error_code":2}`),
			WantReason: providers.ReasonAuth, WantErr: "error_code 2: no such login <secret>"},
		pt.Case{Name: "no balance, body echoing the password", Handler: pt.JSON(`{"psw":"` + strings.ReplaceAll(password, "&", `\u0026`) + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `{\"psw\":\"<secret>\"}`},
	)
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"login": login, "password": password}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, login, password)
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			acct := pt.Settings(srv, creds)
			acct.Currency = "EUR"
			pt.Check(t, New(acct), c, creds)
		})
	}
}

// TestQueryCarriesCredentials checks that credentials with reserved
// characters reach the server intact in the query, and that no error shows
// them, raw or encoded, nor the query itself.
func TestQueryCarriesCredentials(t *testing.T) {
	creds := map[string]string{"login": "логин+user@example.com", "password": "a&b=c?d#e%f g+h/é"}
	for _, a := range []pt.Answer{
		pt.JSON(`{"balance":"84.75","currency":"RUR"}`),
		pt.JSON(`{"error":"authorise error","error_code":2}`),
		answer(502, "text/html", "<html>Bad Gateway</html>"),
		pt.JSON(`{"balance":`),
	} {
		hits := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits++
			checkRequest(t, r, creds["login"], creds["password"])
			a.ServeHTTP(w, r)
		}))
		_, err := New(pt.Settings(srv, creds)).Balances(t.Context())
		srv.Close()
		if hits != 1 {
			t.Errorf("%d requests, want 1", hits)
		}
		if err == nil {
			continue
		}
		for _, v := range []string{creds["login"], creds["password"], url.QueryEscape(creds["login"]), url.QueryEscape(creds["password"]), "psw=", "login="} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("error %q contains %q", err, v)
			}
		}
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// TestFakeAnswersRUR checks the demo wallet comes back as the real API
// gives it, and the client turns it into RUB.
func TestFakeAnswersRUR(t *testing.T) {
	f := &Fake{}
	w := Spec.Demo.Wallet
	f.AddAccount(map[string]string{"login": login, "password": password}, &w)
	q := url.Values{"login": {login}, "psw": {password}, "fmt": {"3"}, "cur": {"1"}}
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sys/balance.php?"+q.Encode(), nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `{"balance":"84.75","currency":"RUR"}` {
		t.Fatalf("fake answered %s", got)
	}
	resp := &providers.Response{Op: "GET /sys/balance.php", Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	got, err := parse(resp, "")
	if err != nil || len(got) != 1 || got[0] != providers.Money(84.75, "RUB") {
		t.Fatalf("parse = %+v, %v", got, err)
	}
}

// TestBackOff checks which HTTP-200 errors make the collector wait before
// the next call, and how long: SMSC.ru blocks the client's IP for 30
// minutes after 5 failed logins in 30 minutes, and for shorter spells after
// other repeated errors [doc] (smscentre.com/faq/99), so neither a block
// (4) nor a failed login (2) may be retried at the usual pace.
func TestBackOff(t *testing.T) {
	creds := map[string]string{"login": login, "password": password}
	for _, c := range []struct {
		body   string
		reason providers.Reason
		wait   time.Duration
	}{
		{`{"error":"parameters error","error_code":1}`, providers.ReasonBadResponse, 0},
		{`{"error":"authorise error","error_code":2}`, providers.ReasonAuth, 10 * time.Minute},
		{`{"error":"ip is blocked","error_code":4}`, providers.ReasonRateLimited, 10 * time.Minute},
		{`{"error":"too many requests","error_code":9}`, providers.ReasonRateLimited, time.Minute},
		{`{"error":"неизвестная ошибка","error_code":7}`, providers.ReasonBadResponse, 0},
		{`{"error":"something"}`, providers.ReasonBadResponse, 0},
	} {
		t.Run(c.body, func(t *testing.T) {
			srv := httptest.NewServer(pt.JSON(c.body))
			defer srv.Close()
			_, err := New(pt.Settings(srv, creds)).Balances(t.Context())
			if r := providers.Classify(err); r != c.reason {
				t.Errorf("reason %s, want %s (error %v)", r, c.reason, err)
			}
			if d := providers.RetryAfter(err); d != c.wait {
				t.Errorf("RetryAfter %s, want %s (error %v)", d, c.wait, err)
			}
		})
	}
}

// TestFakeRateLimit checks that a rate-limited fake account answers as
// SMSC.ru does, HTTP 200 with error_code 9, and that the client reads it as
// rate_limited with its one-minute wait.
func TestFakeRateLimit(t *testing.T) {
	f := &Fake{}
	f.AddAccount(map[string]string{"login": login, "password": password}, &providers.Wallet{Balance: 1, Behavior: providers.RateLimit})
	q := url.Values{"login": {login}, "psw": {password}, "fmt": {"3"}, "cur": {"1"}}
	rec := httptest.NewRecorder()
	f.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/sys/balance.php?"+q.Encode(), nil))
	if rec.Code != http.StatusOK || rec.Header().Get("Retry-After") != "" {
		t.Errorf("fake answered HTTP %d, Retry-After %q; want 200 without Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if got := strings.TrimSpace(rec.Body.String()); got != `{"error":"too many requests","error_code":9}` {
		t.Errorf("fake answered %s", got)
	}
	srv := httptest.NewServer(f)
	defer srv.Close()
	creds := map[string]string{"login": login, "password": password}
	pt.Check(t, New(pt.Settings(srv, creds)), pt.Case{WantReason: providers.ReasonRateLimited, WantErr: "error_code 9", WantRetryAfter: time.Minute}, creds)
}

// seeds are the bodies FuzzParse starts from (also in testdata/fuzz).
var seeds = []string{
	`{"balance":"84.75","currency":"RUR"}`,
	`{"error":"authorise error","error_code":2}`,
	`{"error":"too many requests","error_code":"9"}`,
	`{"error":"ip is blocked","error_code":4}`,
	`{"balance":84.75,"currency":"US Dollar"}`,
	`{"balance":`,
	"<html>login</html>",
}

// FuzzParse runs each body through Balances (Settings.Do, parse and the
// redaction of its error) as a 200 labelled JSON and HTML.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	creds := map[string]string{"login": login, "password": password}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"application/json", "text/html"} {
			acct := providers.Settings{Name: "fuzz", BaseURL: "https://smsc.invalid", Credentials: creds,
				Client: &http.Client{Transport: pt.Canned{Status: 200, Header: http.Header{"Content-Type": {ct}}, Body: body}}}
			got, err := New(acct).Balances(context.Background())
			pt.CheckOutcome(t, got, err)
			if err == nil {
				if len(got) != 1 || got[0].Unit != providers.UnitCurrency || got[0].Currency == "RUR" {
					t.Fatalf("Balances() = %+v, want one amount of money, RUR read as RUB", got)
				}
				continue
			}
			if got != nil {
				t.Fatalf("Balances() returned %+v with error %v", got, err)
			}
			if d, r := providers.RetryAfter(err), providers.Classify(err); d != 0 && r != providers.ReasonRateLimited && r != providers.ReasonAuth {
				t.Fatalf("RetryAfter %s on a %s error", d, r)
			}
			for k, v := range creds {
				if run, ok := pt.Leak(err.Error(), v); ok {
					t.Fatalf("error %q shows %q of credential %s", err, run, k)
				}
			}
		}
	})
}
