//go:build race

package main

// raceEnabled says whether the race detector instruments this test binary
// (which slows a scrape about tenfold).
const raceEnabled = true
