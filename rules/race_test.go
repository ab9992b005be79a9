//go:build race

package rules

// raceEnabled: the race detector makes sync.Pool drop what it is given at
// random, so tests of pooled buffers' allocations skip.
const raceEnabled = true
