package analyze

import (
	"testing"
	"time"
)

// TestMatchIncident: an incident is the known one of its start, else the
// first known one its window overlaps, else none.
func TestMatchIncident(t *testing.T) {
	at := func(s int) time.Time { return time.Unix(1_700_000_000+int64(s), 0) }
	known := map[time.Time][2]int{at(10): {10, 20}, at(30): {30, 40}}
	window := func(w [2]int) (time.Time, time.Time) { return at(w[0]), at(w[1]) }
	for _, c := range []struct {
		start, end int
		want       [2]int
		ok         bool
	}{
		{30, 35, [2]int{30, 40}, true}, // its start
		{8, 12, [2]int{10, 20}, true},  // a late line moved its start
		{18, 32, [2]int{10, 20}, true}, // overlaps both: the first
		{22, 28, [2]int{}, false},      // between them
	} {
		got, ok := MatchIncident(known, Incident{Start: at(c.start), End: at(c.end)}, window)
		if got != c.want || ok != c.ok {
			t.Errorf("[%d, %d]: %v %v, want %v %v", c.start, c.end, got, ok, c.want, c.ok)
		}
	}
}
