package registry

import (
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
)

func TestSpecs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All {
		if s.ID == "" || s.Name == "" || s.New == nil {
			t.Errorf("incomplete spec %+v", s)
		}
		if seen[s.ID] {
			t.Errorf("duplicate id %s", s.ID)
		}
		seen[s.ID] = true
		switch {
		case s.BaseURLRequired && s.DefaultBaseURL != "":
			t.Errorf("%s: base_url is required, yet there is a default %q", s.ID, s.DefaultBaseURL)
		case s.DefaultBaseURL != "":
			if u, err := url.Parse(s.DefaultBaseURL); err != nil || u.Scheme != "https" || u.Host == "" {
				t.Errorf("%s: default base URL %q is not an https URL", s.ID, s.DefaultBaseURL)
			}
		case !s.BaseURLRequired && s.CredentialSets != nil:
			t.Errorf("%s: no default base URL and base_url not required", s.ID)
		}
		if s.CredentialSets == nil && !s.HTTPClientAuth {
			t.Errorf("%s: accepts any credentials but no http_client_config auth", s.ID)
		}
		if s.Fake == nil && s.CredentialSets != nil {
			t.Errorf("%s: a built-in provider needs a fake API for the simulator and --demo", s.ID)
		}
		if s.NewOptions != nil && s.Fake != nil { // built-in providers work without options:
			if err := s.NewOptions().Validate(); err != nil {
				t.Errorf("%s: default options do not validate: %v", s.ID, err)
			}
		}
		if got, ok := Lookup(s.ID); !ok || got.ID != s.ID {
			t.Errorf("Lookup(%s) = %v, %v", s.ID, got.ID, ok)
		}
	}
	if _, ok := Lookup("nosuchprovider"); ok {
		t.Error("Lookup(nosuchprovider) found a provider")
	}
	ids := IDs()
	if !sort.StringsAreSorted(ids) || len(ids) != len(All) {
		t.Errorf("IDs() = %v", ids)
	}
	for _, id := range []string{"rtisms", "d7networks", "smsonlinegh", "twilio", "vonage", "plivo", "infobip", "messagebird",
		"africastalking", "telnyx", "clicksend", "bulksms", "clickatell", "textmagic", "smsc", "smsru"} {
		if !seen[id] {
			t.Errorf("provider %s is not registered", id)
		}
	}
}

// TestEveryProviderChecksItsCredentials loads, for every provider, an
// account with a wrong credential key and one with none: each error names
// the file and the line of the offending key (or of the account).
func TestEveryProviderChecksItsCredentials(t *testing.T) {
	for _, spec := range All {
		if spec.CredentialSets == nil {
			continue // http: any names, optional
		}
		t.Run(spec.ID, func(t *testing.T) {
			var good strings.Builder
			for _, k := range spec.CredentialSets[0] {
				fmt.Fprintf(&good, "      %s: value-of-%s\n", k, k)
			}
			head := fmt.Sprintf("accounts:\n  - name: a\n    provider: %s\n    base_url: https://api.example\n", spec.ID)
			opts := config.Options{Providers: All}
			if _, err := config.Parse([]byte(head+"    credentials:\n"+good.String()), "ok.yml", opts); err != nil {
				t.Fatalf("the first credential set does not load: %v", err)
			}
			wrong := head + "    credentials:\n" + good.String() + "      not_a_key: x\n"
			line := 6 + len(spec.CredentialSets[0])
			_, err := config.Parse([]byte(wrong), "wrong.yml", opts)
			if want := fmt.Sprintf("wrong.yml:%d: accounts[0].credentials.not_a_key: unexpected credential for provider %s", line, spec.ID); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("wrong key: %v, want %q", err, want)
			}
			_, err = config.Parse([]byte(head), "missing.yml", opts)
			if want := fmt.Sprintf("missing.yml:2: accounts[0].credentials: missing; provider %s needs ", spec.ID); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("no credentials: %v, want %q", err, want)
			}
			if len(spec.CredentialSets[0]) > 1 { // one key of a set is missing
				partial := head + "    credentials:\n" + strings.SplitAfterN(good.String(), "\n", 2)[0]
				_, err = config.Parse([]byte(partial), "partial.yml", opts)
				if want := fmt.Sprintf("partial.yml:5: accounts[0].credentials: provider %s needs ", spec.ID); err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("partial credentials: %v, want %q", err, want)
				}
			}
		})
	}
}
