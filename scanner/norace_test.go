//go:build !race

package scanner

// raceEnabled: see race_test.go.
const raceEnabled = false
