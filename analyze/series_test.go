package analyze

import (
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/timeline"
)

func TestSeries(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 22, 21, 11, 0, time.UTC)
	sec := func(at time.Time, ok, bad502, bad504 int64) timeline.Second {
		s := timeline.Second{Time: at, Status: timeline.Counts{{Code: 200, Count: ok}}}
		if bad502 > 0 {
			s.Status = append(s.Status, timeline.StatusCount{Code: 502, Count: bad502})
		}
		if bad504 > 0 {
			s.Status = append(s.Status, timeline.StatusCount{Code: 504, Count: bad504})
		}
		return s
	}

	t.Run("a short range by the second", func(t *testing.T) {
		secs := []timeline.Second{sec(t0, 3, 0, 0), sec(t0.Add(2*time.Second), 1, 4, 0), sec(t0.Add(4*time.Second), 2, 0, 0)}
		s := series(secs, TimeRange{Start: t0, End: t0.Add(4 * time.Second)})
		if s.Step != 1 || !s.Start.Equal(t0) {
			t.Fatalf("step %d from %s, want 1 from %s", s.Step, s.Start, t0)
		}
		if want := []int64{3, 0, 5, 0, 2}; !slices.Equal(s.Requests, want) {
			t.Errorf("requests %v, want %v (the range's last second included)", s.Requests, want)
		}
		if want := []int64{0, 0, 4, 0, 0}; !slices.Equal(s.Gateway["502"], want) {
			t.Errorf("502s %v, want %v", s.Gateway["502"], want)
		}
		if _, ok := s.Gateway["504"]; ok {
			t.Errorf("a status with none in the range is listed: %v", s.Gateway)
		}
	})

	t.Run("a day by the minute, two days by two minutes", func(t *testing.T) {
		day := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		late := day.Add(23*time.Hour + 59*time.Minute + 30*time.Second)
		secs := []timeline.Second{sec(day.Add(90*time.Second), 1, 2, 0), sec(day.Add(119*time.Second), 1, 0, 3), sec(late, 7, 0, 0)}
		s := series(secs, TimeRange{Start: day, End: day.Add(24*time.Hour - time.Second)})
		if s.Step != 60 || len(s.Requests) != 1440 || !s.Start.Equal(day) {
			t.Fatalf("step %d, %d buckets from %s; want a minute, 1440 from midnight", s.Step, len(s.Requests), s.Start)
		}
		if s.Requests[1] != 7 || s.Gateway["502"][1] != 2 || s.Gateway["504"][1] != 3 || s.Requests[1439] != 7 {
			t.Errorf("minute 1: %d requests, %d × 502, %d × 504; the last minute %d requests; want 7, 2, 3 and 7",
				s.Requests[1], s.Gateway["502"][1], s.Gateway["504"][1], s.Requests[1439])
		}
		s = series(secs, TimeRange{Start: day.Add(17 * time.Second), End: day.Add(48 * time.Hour)})
		if s.Step != 120 || !s.Start.Equal(day) || len(s.Requests) > MaxBuckets {
			t.Errorf("two days: step %d from %s, %d buckets; want 120 s from midnight, at most %d", s.Step, s.Start, len(s.Requests), MaxBuckets)
		}
	})

	t.Run("never more than MaxBuckets", func(t *testing.T) {
		for _, d := range []time.Duration{time.Second, time.Hour, 25 * time.Hour, 30 * 24 * time.Hour, 3 * 365 * 24 * time.Hour} {
			s := series(nil, TimeRange{Start: t0, End: t0.Add(d)})
			if len(s.Requests) > MaxBuckets || s.End().Before(t0.Add(d+time.Second)) || !s.Start.After(t0.Add(-time.Duration(s.Step)*time.Second)) {
				t.Errorf("%s: %d buckets of %d s from %s to %s; want at most %d covering the range", d, len(s.Requests), s.Step, s.Start, s.End(), MaxBuckets)
			}
		}
	})

	t.Run("no range", func(t *testing.T) {
		s := series(nil, TimeRange{})
		if len(s.Requests) != 0 || s.Requests == nil || s.Gateway == nil {
			t.Errorf("an empty range: %+v, want empty, not null, lists", s)
		}
	})
}

// series is the series of rng filled with secs.
func series(secs []timeline.Second, rng TimeRange) Series {
	s := newSeries(rng)
	for _, sec := range secs {
		s.add(sec)
	}
	return *s
}
