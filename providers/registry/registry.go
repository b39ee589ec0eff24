// Package registry maps the `provider:` ids of the configuration to the
// provider implementations. Adding a provider is one line in All (and its
// import).
package registry

import (
	"sort"

	"github.com/sms-balance-exporter/sms_balance_exporter/providers"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/africastalking"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/bulksms"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/clickatell"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/clicksend"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/d7networks"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/infobip"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/messagebird"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/plivo"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/rtisms"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsc"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsonlinegh"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/smsru"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/telnyx"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/textmagic"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/twilio"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/vonage"
)

// All lists every provider the exporter knows.
var All = []providers.Spec{
	rtisms.Spec,
	d7networks.Spec,
	smsonlinegh.Spec,
	twilio.Spec,
	vonage.Spec,
	plivo.Spec,
	infobip.Spec,
	messagebird.Spec,
	africastalking.Spec,
	telnyx.Spec,
	clicksend.Spec,
	bulksms.Spec,
	clickatell.Spec,
	textmagic.Spec,
	smsc.Spec,
	smsru.Spec,
	generic.Spec,
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
