package collector

import (
	"math"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func nan() float64 { return math.NaN() }

// metricValue collects c once and returns the value of metric name for
// account (gauge or counter), optionally also matching one more label
// (extra: name, value), or -1 when there is no such series.
func metricValue(t *testing.T, c prometheus.Collector, name, accountState string, extra ...string) float64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 1000)
	go func() { c.Collect(ch); close(ch) }()
	val := -1.0
	for m := range ch {
		if !strings.Contains(m.Desc().String(), `fqName: "`+name+`"`) {
			continue
		}
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{}
		for _, l := range pb.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["account"] != accountState || (len(extra) == 2 && labels[extra[0]] != extra[1]) {
			continue
		}
		switch {
		case pb.Gauge != nil:
			val = pb.GetGauge().GetValue()
		case pb.Counter != nil:
			val = pb.GetCounter().GetValue()
		}
	}
	return val
}

func failures(t *testing.T, c prometheus.Collector, accountState, reason string) float64 {
	t.Helper()
	return metricValue(t, c, "sms_provider_request_failures_total", accountState, "reason", reason)
}
