package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestReloaderKeepsConfigOnFailure(t *testing.T) {
	good := &Config{File: "good"}
	var applied []*Config
	steps := []struct {
		loadErr, applyErr error
		wantOK            float64
		wantCurrent       *Config
	}{
		{nil, nil, 1, good},
		{errors.New("exporter.yml:3: accounts[0].provider: unknown provider"), nil, 0, good},
		{nil, errors.New("refused"), 0, good},
		{nil, nil, 1, good},
	}
	for i, s := range steps {
		reg := prometheus.NewRegistry()
		r := NewReloader(reg,
			func() (*Config, error) {
				if s.loadErr != nil {
					return nil, s.loadErr
				}
				return good, nil
			},
			func(c *Config) error {
				if s.applyErr == nil {
					applied = append(applied, c)
				}
				return s.applyErr
			})
		if i > 0 { // start from a running configuration
			r.current.Store(good)
		}
		err := r.Reload()
		if (err != nil) != (s.wantOK == 0) {
			t.Fatalf("step %d: Reload() error = %v", i, err)
		}
		if err != nil && s.loadErr != nil && !strings.Contains(err.Error(), "unknown provider") {
			t.Errorf("step %d: error %q lost the cause", i, err)
		}
		if got := testutil.ToFloat64(r.success); got != s.wantOK {
			t.Errorf("step %d: last_reload_successful = %v, want %v", i, got, s.wantOK)
		}
		if ts := testutil.ToFloat64(r.timestamp); (ts > 0) != (s.wantOK == 1) {
			t.Errorf("step %d: success timestamp = %v", i, ts)
		}
		if r.Current() != s.wantCurrent {
			t.Errorf("step %d: Current() = %v", i, r.Current())
		}
		if n, err := testutil.GatherAndCount(reg); err != nil || n != 2 {
			t.Errorf("step %d: %d metrics gathered (%v), want 2", i, n, err)
		}
	}
	if len(applied) != 2 {
		t.Errorf("apply succeeded %d times, want 2", len(applied))
	}
}

// TestCurrentDoesNotWaitForAReload checks that readiness (Current) answers
// while a reload is stuck loading.
func TestCurrentDoesNotWaitForAReload(t *testing.T) {
	good := &Config{File: "good"}
	stuck, entered := make(chan struct{}), make(chan struct{})
	calls := 0
	r := NewReloader(nil, func() (*Config, error) {
		calls++
		if calls > 1 {
			close(entered)
			<-stuck
		}
		return good, nil
	}, func(*Config) error { return nil })
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { done <- r.Reload() }()
	<-entered // the second reload holds the reload lock and is stuck loading
	for i := 0; i < 100; i++ {
		if r.Current() != good {
			t.Fatal("Current() changed during a reload")
		}
	}
	close(stuck)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
