package registry

import (
	"net/url"
	"sort"
	"testing"
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
