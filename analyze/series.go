package analyze

import (
	"time"

	"github.com/logcause/logcause/timeline"
)

// Series is the range's traffic in time buckets, for a chart: requests and
// gateway errors per bucket. A bucket is a second when the range is short,
// longer for a long range, so that a series never holds more than
// MaxBuckets of them.
type Series struct {
	Start    time.Time `json:"start"` // the first bucket's start, UTC, a multiple of Step
	Step     int64     `json:"step"`  // seconds per bucket
	Requests []int64   `json:"requests"`
	// Gateway errors per bucket by status ("502", "504", "009"); a status
	// with none in the range is absent.
	Gateway map[string][]int64 `json:"gateway"`
}

// MaxBuckets bounds a series: a day is bucketed by the minute.
const MaxBuckets = 1500

// bucketSteps are the bucket widths a series may have, in seconds: each
// divides a day, so that buckets start on the clock's round values.
var bucketSteps = []int64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}

// BucketAt returns the index of the bucket that holds t, and whether there
// is one.
func (s Series) BucketAt(t time.Time) (int, bool) {
	if s.Step <= 0 || t.Before(s.Start) {
		return 0, false
	}
	i := int(t.Sub(s.Start) / (time.Duration(s.Step) * time.Second))
	return i, i < len(s.Requests)
}

// End is when the last bucket ends.
func (s Series) End() time.Time {
	return s.Start.Add(time.Duration(int64(len(s.Requests))*s.Step) * time.Second)
}

// newSeries returns the empty series of rng (its end included), with the
// smallest step that needs at most MaxBuckets buckets; add fills them a
// second at a time.
func newSeries(rng TimeRange) *Series {
	s := &Series{Start: rng.Start.UTC(), Step: 1, Requests: []int64{}, Gateway: map[string][]int64{}}
	if rng.Start.IsZero() || rng.End.Before(rng.Start) {
		return s
	}
	end := rng.End.Add(time.Second)
	for _, step := range bucketSteps {
		s.Step = step
		d := time.Duration(step) * time.Second
		s.Start = rng.Start.UTC().Truncate(d)
		if n := (end.Sub(s.Start) + d - 1) / d; n <= MaxBuckets || step == bucketSteps[len(bucketSteps)-1] {
			s.Requests = make([]int64, n)
			break
		}
	}
	return s
}

// add counts one second in its bucket (none outside the series).
func (s *Series) add(sec timeline.Second) {
	i, ok := s.BucketAt(sec.Time)
	if !ok {
		return
	}
	s.Requests[i] += sec.Requests()
	for _, code := range gatewayCodes {
		n := sec.Count(code)
		if n == 0 {
			continue
		}
		k := statusKey(code)
		if s.Gateway[k] == nil {
			s.Gateway[k] = make([]int64, len(s.Requests))
		}
		s.Gateway[k][i] += n
	}
}
