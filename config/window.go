package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// WindowForms is what --since and --until accept, for help and errors.
const WindowForms = "a duration back from now (24h, 90m, 7d), a time (2026-12-01T08:00, 2026-12-01T08:00:00+01:00, or a day 2026-12-01), yesterday or today"

var days = regexp.MustCompile(`^([0-9]+)d$`)

// ParseInstant reads one end of a time window as --since and --until give
// it, at now, in loc (nil: the machine's zone). A duration is that much
// before now (days are calendar days in loc); a time without a zone is in
// loc; a day (2026-12-01, yesterday, today) is its start in loc, or, when
// end is set (--until), its end: the next day's start, so that a day
// given to both flags is the whole day. Days are computed with time.Date
// in loc, never as 24 hours: a day of a DST change is 23 or 25 hours.
func ParseInstant(s string, now time.Time, loc *time.Location, end bool) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	now = now.In(loc)
	day := func(y int, m time.Month, d int) time.Time {
		if end {
			d++
		}
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "today":
		return day(now.Date()), nil
	case "yesterday":
		y, m, d := now.Date()
		return day(y, m, d-1), nil
	}
	if m := days.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err == nil {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return day(t.Date()), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use %s", s, WindowForms)
}

// ParseWindow reads --since and --until, the window [since, until), at now
// (truncated to the second) in loc (nil: the machine's zone), as
// ParseInstant does. A start not given is zero; an end not given is zero,
// or now when untilNow is set. The window must not be empty. Its errors
// are UsageErrors.
func ParseWindow(sinceFlag, untilFlag string, now time.Time, loc *time.Location, untilNow bool) (since, until time.Time, err error) {
	now = now.Truncate(time.Second)
	if sinceFlag != "" {
		if since, err = ParseInstant(sinceFlag, now, loc, false); err != nil {
			return since, until, Usagef("invalid --since: %w", err)
		}
	}
	if untilNow {
		until = now
	}
	if untilFlag != "" {
		if until, err = ParseInstant(untilFlag, now, loc, true); err != nil {
			return since, until, Usagef("invalid --until: %w", err)
		}
	}
	if !since.IsZero() && !until.IsZero() && !since.Before(until) {
		return since, until, Usagef("invalid window: --since %s is not before --until %s", since.Format(time.RFC3339), until.Format(time.RFC3339))
	}
	return since, until, nil
}
