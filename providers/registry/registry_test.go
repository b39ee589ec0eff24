package registry

import (
	"net/url"
	"sort"
	"testing"
)

func TestSpecs(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range All {
		if s.ID == "" || s.Name == "" || s.New == nil || len(s.CredentialSets) == 0 {
			t.Errorf("incomplete spec %+v", s)
		}
		if seen[s.ID] {
			t.Errorf("duplicate id %s", s.ID)
		}
		seen[s.ID] = true
		if u, err := url.Parse(s.DefaultBaseURL); err != nil || u.Scheme != "https" || u.Host == "" {
			t.Errorf("%s: default base URL %q is not an https URL", s.ID, s.DefaultBaseURL)
		}
		if got, ok := Lookup(s.ID); !ok || got.ID != s.ID {
			t.Errorf("Lookup(%s) = %v, %v", s.ID, got.ID, ok)
		}
	}
	if _, ok := Lookup("twilio"); ok {
		t.Error("Lookup(twilio) found a provider")
	}
	ids := IDs()
	if !sort.StringsAreSorted(ids) || len(ids) != 3 {
		t.Errorf("IDs() = %v", ids)
	}
}
