package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary files to the configuration loader: it must
// never panic, and what it accepts must hold what the rest of the exporter
// relies on.
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"testdata/good", "testdata/bad"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.yml"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse(data, "fuzz.yml", Options{
			Providers: testProviders,
			LookupEnv: lookup,
			ReadFile:  func(string) ([]byte, error) { return nil, errors.New("no files while fuzzing") },
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yml:") {
				t.Fatalf("error without file and line: %v", err)
			}
			for _, secret := range []string{"env-secret", "SUPERSECRETTOKEN1"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error shows an expanded value: %v", err)
				}
			}
			return
		}
		names := map[string]bool{}
		for _, a := range cfg.Accounts {
			if a.Name == "" || !utf8.ValidString(a.Name) || names[a.Name] {
				t.Fatalf("accepted account name %q", a.Name)
			}
			names[a.Name] = true
			if a.Timeout <= 0 || a.CacheTTL < 0 || a.MaxStale < 0 || a.CacheTTL+a.MaxStale < 0 {
				t.Fatalf("accepted durations %+v", a)
			}
			if _, ok := (&decoder{opts: Options{Providers: testProviders}}).lookup(a.Provider); !ok {
				t.Fatalf("accepted provider %q", a.Provider)
			}
			if a.BaseURL != "" && checkBaseURL(a.BaseURL) != "" {
				t.Fatalf("accepted base_url %q", a.BaseURL)
			}
			for k, v := range a.Credentials {
				if checkSecret(v.Value()) != "" {
					t.Fatalf("accepted credential %s", k)
				}
			}
		}
	})
}
