//go:build race

package collector

// raceEnabled: the race detector is on (it allocates).
const raceEnabled = true
