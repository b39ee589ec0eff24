// Package registry maps the `provider:` ids of the configuration to the
// provider implementations. Adding a provider is one line in All.
package registry

import (
	"sort"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/rtisms"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsonlinegh"
)

// All lists every provider the exporter knows.
var All = []providers.Spec{
	rtisms.Spec,
	d7networks.Spec,
	smsonlinegh.Spec,
}

// Lookup returns the provider registered under id.
func Lookup(id string) (providers.Spec, bool) {
	for _, s := range All {
		if s.ID == id {
			return s, true
		}
	}
	return providers.Spec{}, false
}

// IDs returns the registered ids, sorted.
func IDs() []string {
	ids := make([]string, 0, len(All))
	for _, s := range All {
		ids = append(ids, s.ID)
	}
	sort.Strings(ids)
	return ids
}
