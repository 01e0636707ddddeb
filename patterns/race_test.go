//go:build race

package patterns

// raceEnabled is true when the tests run under the race detector, which
// slows the scanners some tenfold.
const raceEnabled = true
