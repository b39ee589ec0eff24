package main

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sms-balance-exporter/sms_balance_exporter/config"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/generic"
	"github.com/sms-balance-exporter/sms_balance_exporter/providers/registry"
)

var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestREADMEConfigurationExamples checks that every exporter configuration
// example in the README is valid (account lists are checked as the
// accounts of one), so that the documentation cannot rot.
func TestREADMEConfigurationExamples(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := yamlBlock.FindAllStringSubmatch(string(data), -1)
	httpAccounts := 0
	for i, b := range blocks {
		text := b[1]
		if !strings.Contains(text, "provider:") {
			continue // a Prometheus snippet: deploy/ tests check those files with promtool
		}
		if firstLine(text) == "- name:" {
			text = "accounts:\n" + text
		}
		cfg, err := config.Parse([]byte(text), "README.md", config.Options{
			Providers: registry.All,
			LookupEnv: func(k string) (string, bool) { return "value-of-" + k, true },
			ReadFile:  func(string) ([]byte, error) { return []byte("from-a-file"), nil },
		})
		if err != nil {
			t.Errorf("README YAML example %d does not load:\n%s\n%v", i, text, err)
			continue
		}
		for _, a := range cfg.Accounts {
			if a.Provider == generic.Spec.ID {
				httpAccounts++
			}
		}
	}
	if httpAccounts < 4 {
		t.Errorf("the README has %d http provider examples, want Termii, Arkesel, mNotify and one with oauth2", httpAccounts)
	}
}

// firstLine returns the start of the first line of text that is not blank
// or a comment, trimmed, up to its first space after a colon.
func firstLine(text string) string {
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if i := strings.Index(l, ": "); i >= 0 {
			return l[:i+1]
		}
		return l
	}
	return ""
}
