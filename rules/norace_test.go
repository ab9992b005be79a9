//go:build !race

package rules

// raceEnabled: see race_test.go.
const raceEnabled = false
