package config

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Reloader loads a configuration and hands it to an apply function; the new
// configuration takes effect only when both succeed, so a bad file keeps the
// running configuration. It exports the reload metrics.
type Reloader struct {
	load  func() (*Config, error)
	apply func(*Config) error

	mu      sync.Mutex // one reload at a time
	current atomic.Pointer[Config]

	success   prometheus.Gauge
	timestamp prometheus.Gauge
}

// NewReloader returns a Reloader whose metrics are registered with reg.
// load reads the configuration (typically a closure over Load) and apply
// installs it.
func NewReloader(reg prometheus.Registerer, load func() (*Config, error), apply func(*Config) error) *Reloader {
	r := &Reloader{
		load:  load,
		apply: apply,
		success: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sms_balance_exporter_config_last_reload_successful",
			Help: "Whether the last configuration reload attempt was successful.",
		}),
		timestamp: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sms_balance_exporter_config_last_reload_success_timestamp_seconds",
			Help: "Timestamp of the last successful configuration reload.",
		}),
	}
	if reg != nil {
		reg.MustRegister(r.success, r.timestamp)
	}
	return r
}

// Reload loads and applies the configuration. On error the previous
// configuration stays in force and the error says why.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	cfg, err := r.load()
	if err == nil {
		err = r.apply(cfg)
		if err != nil {
			err = fmt.Errorf("applying configuration: %w", err)
		}
	}
	if err != nil {
		r.success.Set(0)
		return err
	}
	r.current.Store(cfg)
	r.success.Set(1)
	r.timestamp.Set(float64(time.Now().UnixNano()) / 1e9)
	return nil
}

// Current returns the configuration in force, or nil before the first
// successful Reload. It never waits for a reload in progress, so that
// readiness does not depend on one.
func (r *Reloader) Current() *Config { return r.current.Load() }
