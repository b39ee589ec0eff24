package config

import "testing"

// TestRedactMessage checks the redaction itself: whole values get a
// marker naming their variable, runs of 8 characters are cut, values of
// 4 to 7 bytes are replaced wherever they stand, even inside a word.
func TestRedactMessage(t *testing.T) {
	d := &decoder{}
	d.addSecret("SUPERSECRETTOKEN1", "D7_TOKEN")
	d.addSecret("xml", "FMT")
	d.addSecret("abcd", "SHORT")
	r := d.redactor()
	for in, want := range map[string]string{
		`got "SUPERSECRETTOKEN1"`:       `got "<value of ${D7_TOKEN}>"`,
		`got "SUPERSECRETTOKEN"`:        `got "<secret>"`,
		`expected json or xml`:          `expected json or xml`,
		`got abcd, not abcde`:           `got <value of ${SHORT}>, not <value of ${SHORT}>e`,
		`parse "http://u:SUPERSECRETT"`: `parse "http://u:<secret>"`,
	} {
		if got := r(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}
