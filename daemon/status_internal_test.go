package daemon

import (
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
)

// TestStatusForgetsWithoutReaders: the incidents Status keeps leave it as
// they leave the window, whether Status is called or not (a daemon nobody
// asks piled up one entry an incident, for ever).
func TestStatusForgetsWithoutReaders(t *testing.T) {
	const window = 15 * time.Minute
	s := newStatus()
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for i := range 200 { // an incident of 3 s every 45 s: 150 minutes of them
		start := t0.Add(time.Duration(i) * 45 * time.Second)
		inc := analyze.Incident{Start: start, End: start.Add(3 * time.Second)}
		now := inc.End.Add(10 * time.Second)
		s.update(Update{Opened: []analyze.Incident{inc}}, now.Add(-window))
		s.update(Update{Resolved: []analyze.Incident{inc}}, now.Add(-window))
	}
	// The last resolution is at 199*45+13 s, the window starts 900 s
	// before: at 8068 s. Incident i ended at 45*i+3 s: those from 180 on.
	if n := len(s.incidents); n != 20 {
		t.Errorf("%d incidents kept, want the 20 of the last window", n)
	}
	if n := s.opened[""]; n != 200 {
		t.Errorf("%d incidents opened counted, want 200", n)
	}
}
