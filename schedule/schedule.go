// Package schedule answers one question: when is the next run of a cron
// schedule in a time zone? github.com/netresearch/go-cron reads the spec
// and matches its fields on the wall clock; this package turns wall-clock
// times into instants in the zone with explicit daylight-saving rules:
//
//   - a wall-clock time the clocks skip (spring forward: in Europe/Paris
//     on 2026-03-29, 02:00 jumps to 03:00) runs once, at the first instant
//     after the gap (03:00): a nightly job is never lost, and the runs the
//     gap held (02:00 and 02:30 of a half-hourly job) are one run;
//   - a wall-clock time the clocks show twice (fall back: on 2026-10-25,
//     03:00 goes back to 02:00) runs once, at its first occurrence (02:30
//     summer time); its repeat an hour later is not a run.
//
// A run is thus a wall-clock time the spec matches, run at most once,
// which is what a crontab user expects of "30 2 * * *".
package schedule

import (
	"fmt"
	"strings"
	"time"

	cron "github.com/netresearch/go-cron"
)

// Forms is what a spec may be, for help and errors.
const Forms = `five fields "minute hour day-of-month month day-of-week" (0 7 * * * is 07:00 every day; 30 6 * * 1-5 is 06:30 on weekdays) or @daily, @weekly, @monthly, @yearly, @hourly`

// The standard five fields and the descriptors; day of month and day of
// week are ORed when both are restricted, as crontab(5) says.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor | cron.DowOrDom)

// Schedule is a parsed spec in its zone.
type Schedule struct {
	fields cron.Schedule // matched on wall-clock times held as UTC fields
	loc    *time.Location
}

// Parse reads a crontab spec whose times are wall-clock times in loc (nil:
// UTC). A zone in the spec (TZ=…) and @every are refused: the zone is
// loc, and a report runs at times of day, not at intervals.
func Parse(spec string, loc *time.Location) (*Schedule, error) {
	s := strings.TrimSpace(spec)
	switch {
	case s == "":
		return nil, fmt.Errorf("empty schedule: write %s", Forms)
	case strings.HasPrefix(s, "TZ=") || strings.HasPrefix(s, "CRON_TZ="):
		return nil, fmt.Errorf("invalid schedule %q: give the zone as tz, not in the schedule", spec)
	case strings.HasPrefix(s, "@every"):
		return nil, fmt.Errorf("invalid schedule %q: @every is not a time of day; write %s", spec, Forms)
	}
	fields, err := parser.Parse("TZ=UTC " + s)
	if err != nil {
		return nil, fmt.Errorf("invalid schedule %q: %v; write %s", spec, err, Forms)
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Schedule{fields: fields, loc: loc}, nil
}

// Next returns the first run strictly after after, in the schedule's zone;
// the zero time when there is none (a spec such as "0 0 30 2 *").
func (s *Schedule) Next(after time.Time) time.Time {
	w := wall(after.In(s.loc))
	for {
		w = s.fields.Next(w)
		if w.IsZero() {
			return time.Time{}
		}
		// Instants grow with wall-clock times, but a wall-clock time past
		// after's may map before it: after is in the repeated hour of a
		// fall back, and the wall-clock time ran in its first occurrence.
		if at := s.instant(w); at.After(after) {
			return at
		}
	}
}

// Latest returns the last run in (after, now], and false when there is
// none: what a scheduler that was stopped since after owes, once.
func (s *Schedule) Latest(after, now time.Time) (time.Time, bool) {
	const far = 100 * 365 * 24 * time.Hour
	// Look back from now over doubling spans, so that a long stop costs
	// the runs of one span, not of the whole stop.
	for span := time.Hour; ; span *= 2 {
		from := now.Add(-span)
		if span > far || !from.After(after) {
			from = after
		}
		if r := s.Next(from); !r.IsZero() && !r.After(now) {
			for {
				n := s.Next(r)
				if n.IsZero() || n.After(now) {
					return r, true
				}
				r = n
			}
		}
		if from.Equal(after) {
			return time.Time{}, false
		}
	}
}

// wall is t's wall clock held in UTC fields: a time with no DST.
func wall(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, sec := t.Clock()
	return time.Date(y, mo, d, h, mi, sec, 0, time.UTC)
}

// instant is when the wall clock of s's zone shows w: its first occurrence
// when it shows w twice (fall back), the end of the gap when it skips w
// (spring forward). Offsets are taken a day before and after w: zones
// change their offset at most once in two days.
func (s *Schedule) instant(w time.Time) time.Time {
	var first time.Time
	for _, probe := range []time.Duration{-24 * time.Hour, 24 * time.Hour} {
		_, off := w.Add(probe).In(s.loc).Zone()
		at := w.Add(-time.Duration(off) * time.Second).In(s.loc)
		if wall(at).Equal(w) && (first.IsZero() || at.Before(first)) {
			first = at
		}
	}
	if !first.IsZero() {
		return first
	}
	// In the gap: at w read with the offset before the change, the clocks
	// already show the later offset; the change began that zone.
	_, before := w.Add(-24 * time.Hour).In(s.loc).Zone()
	start, _ := w.Add(-time.Duration(before) * time.Second).In(s.loc).ZoneBounds()
	return start
}
