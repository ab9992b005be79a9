//go:build race

package scanner

// raceEnabled is set when the tests run under the race detector, which
// allocates where the program does not.
const raceEnabled = true
