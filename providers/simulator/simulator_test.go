package simulator_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/rtisms"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsonlinegh"
)

// TestClientsAgainstSimulator runs the real provider clients against the
// simulator in every behaviour it offers.
func TestClientsAgainstSimulator(t *testing.T) {
	sim := simulator.New()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	acct := func(creds map[string]string, format string) providers.Account {
		return providers.Account{BaseURL: srv.URL, Credentials: creds, Client: srv.Client(), ResponseFormat: format, Currency: "EUR"}
	}
	type client struct {
		name string
		add  func(simulator.Account)
		p    providers.Provider
	}
	clients := []client{
		{"rtisms", func(a simulator.Account) { sim.AddRTI("id", "secret", a) },
			rtisms.New(acct(map[string]string{"client_id": "id", "client_secret": "secret"}, ""))},
		{"d7networks", func(a simulator.Account) { sim.AddD7("tok", a) },
			d7networks.New(acct(map[string]string{"token": "tok"}, ""))},
		{"smsonlinegh json", func(a simulator.Account) { sim.AddSMSOnlineGH("key", a) },
			smsonlinegh.New(acct(map[string]string{"api_key": "key"}, ""))},
		{"smsonlinegh xml", func(a simulator.Account) { sim.AddSMSOnlineGH("key", a) },
			smsonlinegh.New(acct(map[string]string{"api_key": "key"}, smsonlinegh.FormatXML))},
	}
	behaviours := []struct {
		b    simulator.Behavior
		want providers.Reason
	}{
		{simulator.OK, ""},
		{simulator.Reject, providers.ReasonAuth},
		{simulator.Hang, providers.ReasonTimeout},
		{simulator.ServerError, providers.ReasonHTTPStatus},
		{simulator.RateLimit, providers.ReasonRateLimited},
		{simulator.Garbage, providers.ReasonBadResponse},
	}
	for _, c := range clients {
		for _, b := range behaviours {
			t.Run(c.name+"/"+string(b.b), func(t *testing.T) {
				c.add(simulator.Account{Balance: 42, Model: "currency", CurrencyCode: "EUR", Behavior: b.b})
				ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
				defer cancel()
				got, err := c.p.Balance(ctx)
				if b.want == "" {
					if err != nil || got.Value != 42 || got.Unit != providers.UnitCurrency || got.Currency != "EUR" {
						t.Fatalf("Balance() = %+v, %v", got, err)
					}
					return
				}
				if r := providers.Classify(err); r != b.want {
					t.Fatalf("Balance() error %v classified %s, want %s", err, r, b.want)
				}
			})
		}
	}
}

func TestUnknownCredentials(t *testing.T) {
	sim := simulator.Demo()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	p := d7networks.New(providers.Account{BaseURL: srv.URL, Credentials: map[string]string{"token": simulator.DemoD7RevokedToken}, Client: srv.Client()})
	if _, err := p.Balance(context.Background()); providers.Classify(err) != providers.ReasonAuth {
		t.Fatalf("revoked demo token: error %v, want auth", err)
	}
	if sim.Hits("/messages/v1/balance") != 1 {
		t.Fatalf("hits = %d, want 1", sim.Hits("/messages/v1/balance"))
	}
}
