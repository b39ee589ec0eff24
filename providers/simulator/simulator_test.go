package simulator_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/simulator"
)

// pathFake answers one path with a fixed body, to show that two providers
// may share a path.
type pathFake struct{ body string }

func (f pathFake) AddAccount(map[string]string, *providers.Wallet) {}
func (f pathFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/balance" {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write([]byte(f.body))
}

func TestRoutesByProvider(t *testing.T) {
	sim := simulator.New([]providers.Spec{
		{ID: "one", Fake: func() providers.FakeAPI { return pathFake{"first"} }},
		{ID: "two", Fake: func() providers.FakeAPI { return pathFake{"second"} }},
		{ID: "none"},
	})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	cases := []struct {
		path   string
		status int
		body   string
	}{
		{"/one/balance", 200, "first"},
		{"/two/balance", 200, "second"},
		{"/balance", 404, ""},
		{"/none/balance", 404, ""},
		{"/one/other", 404, ""},
	}
	for _, c := range cases {
		resp, err := srv.Client().Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 16)
		n, _ := resp.Body.Read(buf)
		_ = resp.Body.Close()
		if resp.StatusCode != c.status || (c.body != "" && string(buf[:n]) != c.body) {
			t.Errorf("GET %s = %d %q, want %d %q", c.path, resp.StatusCode, buf[:n], c.status, c.body)
		}
		if got := sim.Hits(c.path); got != 1 {
			t.Errorf("Hits(%s) = %d, want 1", c.path, got)
		}
	}
	if got := sim.IDs(); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("IDs() = %v", got)
	}
}

// TestDemoServesEveryProvider checks that every registered provider with a
// fake API has a demo account that its real client reads.
func TestDemoServesEveryProvider(t *testing.T) {
	sim := simulator.Demo(registry.All)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	for _, spec := range registry.All {
		if spec.Fake == nil {
			continue
		}
		t.Run(spec.ID, func(t *testing.T) {
			var opts providers.Options
			if spec.NewOptions != nil {
				opts = spec.NewOptions()
			}
			p, err := spec.New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, spec.ID), Currency: spec.Demo.Currency,
				Credentials: simulator.DemoCredentials(spec), Options: opts, Client: srv.Client()})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Balances(context.Background())
			if err != nil || len(got) == 0 || got[0].Value <= 0 {
				t.Fatalf("Balances() = %+v, %v", got, err)
			}
		})
	}
}

func TestDemoRevoked(t *testing.T) {
	sim := simulator.Demo(registry.All)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	defer sim.Close()
	p := d7networks.New(providers.Settings{BaseURL: simulator.BaseURL(srv.URL, "d7networks"),
		Credentials: map[string]string{"token": simulator.DemoD7RevokedToken}, Client: srv.Client()})
	if _, err := p.Balances(context.Background()); providers.Classify(err) != providers.ReasonAuth {
		t.Fatalf("revoked demo token: error %v, want auth", err)
	}
	if got := sim.Hits("/d7networks/messages/v1/balance"); got != 1 {
		t.Fatalf("hits = %d, want 1", got)
	}
}
