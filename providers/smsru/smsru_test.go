package smsru

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	pt "github.com/sms-balance-exporter/sms_balance_exporter/providers/providertest"
)

const apiID = "5F1C2D3E-AB12-CD34-EF56-7890ABCDEF12"

// badAPIID is SMS.ru's answer to an unknown api_id, with HTTP 200.
const badAPIID = `{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id"}`

func answer(status int, ct, body string) pt.Answer {
	h := map[string]string{}
	if ct != "" {
		h["Content-Type"] = ct
	}
	return pt.Answer{Status: status, Header: h, Body: body}
}

// checkRequest asserts the balance call and its query.
func checkRequest(t *testing.T, r *http.Request, wantID string) {
	t.Helper()
	if r.Method != http.MethodGet || r.URL.Path != "/my/balance" {
		t.Errorf("request %s %s, want GET /my/balance", r.Method, r.URL.Path)
	}
	q := r.URL.Query()
	if len(q) != 2 || len(q["api_id"]) != 1 || q.Get("api_id") != wantID || q.Get("json") != "1" {
		t.Errorf("query %v, want api_id and json=1", maskedKeys(q))
	}
	if got := r.Header.Get("Accept"); got != "application/json" {
		t.Errorf("Accept = %q", got)
	}
}

// maskedKeys lists the query's keys and how many values each has.
func maskedKeys(q url.Values) map[string]int {
	m := map[string]int{}
	for k, v := range q {
		m[k] = len(v)
	}
	return m
}

func TestBalances(t *testing.T) {
	rub := func(v float64) providers.Balance {
		return providers.Balance{Value: v, Unit: providers.UnitCurrency, Currency: "RUB"}
	}
	const documented = `{"status":"OK","status_code":100,"balance":4122.56}`
	cases := []pt.Case{
		{Name: "documented", Handler: pt.JSON(documented), Want: rub(4122.56)},
		{Name: "string balance", Handler: pt.JSON(`{"status":"OK","status_code":100,"balance":"4122.56"}`), Want: rub(4122.56)},
		{Name: "string status_code", Handler: pt.JSON(`{"status":"OK","status_code":"100","balance":"0.00"}`), Want: rub(0)},
		{Name: "negative", Handler: pt.JSON(`{"status":"OK","status_code":100,"balance":-3.5}`), Want: rub(-3.5)},
		// The Content-Type is unverified [3rd]: each plausible label of a JSON body.
		{Name: "text/plain", Handler: answer(200, "text/plain; charset=utf-8", documented), Want: rub(4122.56)},
		{Name: "no content type", Handler: answer(200, "", documented), Want: rub(4122.56)},
		{Name: "text/html holding JSON", Handler: answer(200, "text/html; charset=UTF-8", documented), Want: rub(4122.56)},
		{Name: "HTML page", Handler: answer(200, "text/html", "<!DOCTYPE html><html><body>SMS.ru</body></html>"),
			WantReason: providers.ReasonBadResponse, WantErr: "text/html"},

		{Name: "bad api_id", Handler: pt.JSON(badAPIID), WantReason: providers.ReasonAuth, WantErr: "status_code 200: Неправильный api_id"},
		{Name: "bad api_id as text/plain", Handler: answer(200, "text/plain", badAPIID), WantReason: providers.ReasonAuth},
		{Name: "bad api_id, string code", Handler: pt.JSON(`{"status":"ERROR","status_code":"200","status_text":"Неправильный api_id"}`), WantReason: providers.ReasonAuth},
		{Name: "other error code", Handler: pt.JSON(`{"status":"ERROR","status_code":220,"status_text":"Сервис временно недоступен, попробуйте чуть позже."}`),
			WantReason: providers.ReasonBadResponse, WantErr: "status_code 220: Сервис временно недоступен"},
		// The authorization errors of SMS.ru's error table [3rd]: 200 bad
		// api_id, 300 bad or expired token, 301 bad api_id or login and
		// password, 302 account not confirmed.
		{Name: "300 token expired", Handler: pt.JSON(`{"status":"ERROR","status_code":300,"status_text":"Неправильный token (возможно истек срок действия, либо ваш IP изменился)"}`),
			WantReason: providers.ReasonAuth, WantErr: "status_code 300: Неправильный token"},
		{Name: "300 as string", Handler: pt.JSON(`{"status":"ERROR","status_code":"300","status_text":"Неправильный token"}`), WantReason: providers.ReasonAuth, WantErr: "status_code 300"},
		{Name: "301 bad api_id or password", Handler: pt.JSON(`{"status":"ERROR","status_code":301,"status_text":"Неправильный api_id, либо логин/пароль"}`),
			WantReason: providers.ReasonAuth, WantErr: "status_code 301: Неправильный api_id, либо логин/пароль"},
		{Name: "error without text", Handler: pt.JSON(`{"status":"ERROR","status_code":301}`), WantReason: providers.ReasonAuth, WantErr: "status_code 301)"},
		{Name: "302 account not confirmed", Handler: pt.JSON(`{"status":"ERROR","status_code":302,"status_text":"Пользователь авторизован, но аккаунт не подтвержден"}`),
			WantReason: providers.ReasonAuth, WantErr: "status_code 302: Пользователь авторизован, но аккаунт не подтвержден"},
		{Name: "302 as text/plain", Handler: answer(200, "text/plain", `{"status":"ERROR","status_code":302}`), WantReason: providers.ReasonAuth, WantErr: "status_code 302"},
		// Codes next to them are not authorization errors.
		{Name: "303 wrong confirmation code", Handler: pt.JSON(`{"status":"ERROR","status_code":303,"status_text":"Код подтверждения неверен"}`),
			WantReason: providers.ReasonBadResponse, WantErr: "status_code 303"},
		{Name: "201 not auth", Handler: pt.JSON(`{"status":"ERROR","status_code":201,"status_text":"Не хватает средств на лицевом счету"}`),
			WantReason: providers.ReasonBadResponse, WantErr: "status_code 201"},
		{Name: "300.5 not auth", Handler: pt.JSON(`{"status":"ERROR","status_code":300.5}`), WantReason: providers.ReasonBadResponse, WantErr: "status_code 300.5"},
		{Name: "long status_text", Handler: pt.JSON(`{"status":"ERROR","status_code":200,"status_text":"` + strings.Repeat("ошибка ", 300) + `"}`),
			WantReason: providers.ReasonAuth, WantErr: "…"},
		{Name: "status_text with control characters", Handler: pt.JSON(`{"status":"ERROR","status_code":220,"status_text":"line1\nline2\u0007"}`),
			WantReason: providers.ReasonBadResponse, WantErr: "line1 line2 "},
		{Name: "error without code", Handler: pt.JSON(`{"status":"ERROR","status_text":"что-то"}`), WantReason: providers.ReasonBadResponse, WantErr: "without status_code"},

		{Name: "OK without balance", Handler: pt.JSON(`{"status":"OK","status_code":100}`), WantReason: providers.ReasonBadResponse, WantErr: `"balance"`},
		{Name: "null balance", Handler: pt.JSON(`{"status":"OK","status_code":100,"balance":null}`), WantReason: providers.ReasonBadResponse},
		{Name: "non-numeric balance", Handler: pt.JSON(`{"status":"OK","status_code":100,"balance":"много"}`), WantReason: providers.ReasonBadResponse},
		{Name: "no status", Handler: pt.JSON(`{"balance":4122.56}`), WantReason: providers.ReasonBadResponse, WantErr: `"OK" or "ERROR"`},
		{Name: "odd status", Handler: pt.JSON(`{"status":"WAIT","status_code":100,"balance":1}`), WantReason: providers.ReasonBadResponse},
		{Name: "json=0 text answer", Handler: answer(200, "text/plain", "100\n4122.56"), WantReason: providers.ReasonBadResponse},
		{Name: "401 (undocumented)", Handler: answer(401, "", ""), WantReason: providers.ReasonAuth},
		{Name: "404", Handler: answer(404, "text/html", "<html>Not Found</html>"), WantReason: providers.ReasonHTTPStatus, WantErr: "404"},
	}
	// An error page that echoes the request URL is quoted with the api_id
	// redacted.
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Retry-After", "30")
			w.WriteHeader(status)
			_, _ = w.Write([]byte("<html>Request " + r.URL.RequestURI() + " blocked</html>"))
		}
	}
	cases = append(cases,
		pt.Case{Name: "403 page echoing the URL", Handler: echo(403), WantReason: providers.ReasonAuth, WantErr: "api_id=<secret>"},
		pt.Case{Name: "502 page echoing the URL", Handler: echo(502), WantReason: providers.ReasonHTTPStatus, WantErr: "api_id=<secret>"},
		pt.Case{Name: "429 page echoing the URL", Handler: echo(429), WantReason: providers.ReasonRateLimited, WantErr: "api_id=<secret>", WantRetryAfter: 30 * time.Second},
		pt.Case{Name: "status_text echoing the api_id", Handler: pt.JSON(`{"status":"ERROR","status_code":200,"status_text":"Неправильный api_id ` + apiID + `"}`),
			WantReason: providers.ReasonAuth, WantErr: "status_code 200: Неправильный api_id <secret>"},
		pt.Case{Name: "odd status, body echoing the api_id", Handler: pt.JSON(`{"status":"WAIT","api_id":"` + apiID + `"}`),
			WantReason: providers.ReasonBadResponse, WantErr: `\"api_id\":\"<secret>\"`},
	)
	cases = append(cases, pt.CommonFailures()...)
	creds := map[string]string{"api_id": apiID}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				checkRequest(t, r, apiID)
				c.Handler.ServeHTTP(w, r)
			}))
			defer srv.Close()
			acct := pt.Settings(srv, creds)
			acct.Currency = "EUR" // ignored: SMS.ru is always RUB
			pt.Check(t, New(acct), c, creds)
		})
	}
}

// TestQueryCarriesCredentials checks that an api_id with reserved
// characters reaches the server intact in the query, and that no error
// shows it, raw or encoded, nor the query itself.
func TestQueryCarriesCredentials(t *testing.T) {
	creds := map[string]string{"api_id": "id&json=0#frag %+/é-123456"}
	for _, a := range []pt.Answer{
		pt.JSON(`{"status":"OK","status_code":100,"balance":1}`),
		pt.JSON(badAPIID),
		answer(502, "text/html", "<html>Bad Gateway</html>"),
		pt.JSON(`{"status":`),
	} {
		hits := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits++
			checkRequest(t, r, creds["api_id"])
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
		for _, v := range []string{creds["api_id"], url.QueryEscape(creds["api_id"]), "api_id="} {
			if strings.Contains(err.Error(), v) {
				t.Errorf("error %q contains %q", err, v)
			}
		}
	}
}

func TestFake(t *testing.T) { pt.CheckFake(t, Spec, nil) }

// seeds are the bodies FuzzParse starts from (also in testdata/fuzz).
var seeds = []string{
	`{"status":"OK","status_code":100,"balance":4122.56}`,
	`{"status":"OK","status_code":"100","balance":"4122.56"}`,
	badAPIID,
	`{"status":"ERROR","status_code":220,"status_text":"Сервис временно недоступен"}`,
	`{"status":`,
	"<html>login</html>",
}

// FuzzParse runs each body through Balances (Settings.Do, parse and the
// redaction of its error) as a 200 labelled JSON and HTML.
func FuzzParse(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	creds := map[string]string{"api_id": apiID}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{"application/json", "text/html"} {
			acct := providers.Settings{Name: "fuzz", BaseURL: "https://smsru.invalid", Credentials: creds,
				Client: &http.Client{Transport: pt.Canned{Status: 200, Header: http.Header{"Content-Type": {ct}}, Body: body}}}
			got, err := New(acct).Balances(context.Background())
			pt.CheckOutcome(t, got, err)
			if err == nil {
				if len(got) != 1 || got[0] != providers.Money(got[0].Value, "RUB") {
					t.Fatalf("Balances() = %+v, want one amount of RUB", got)
				}
				continue
			}
			if got != nil {
				t.Fatalf("Balances() returned %+v with error %v", got, err)
			}
			if run, ok := pt.Leak(err.Error(), apiID); ok {
				t.Fatalf("error %q shows %q of the api_id", err, run)
			}
		}
	})
}
