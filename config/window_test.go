package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseInstant(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 6, 14, 30, 0, 0, paris)
	dst := time.Date(2026, 3, 30, 10, 0, 0, 0, paris) // the day after the spring change (29 March)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, paris) }
	for _, tc := range []struct {
		in   string
		now  time.Time
		end  bool
		want time.Time
	}{
		{"24h", now, false, now.Add(-24 * time.Hour)},
		{"90m", now, false, now.Add(-90 * time.Minute)},
		{"7d", now, false, at(2026, 11, 29, 14, 30)},
		{"1d", dst, false, at(2026, 3, 29, 10, 0)}, // a calendar day: 23 hours back here
		{"today", now, false, at(2026, 12, 6, 0, 0)},
		{"today", now, true, at(2026, 12, 7, 0, 0)},
		{"yesterday", now, false, at(2026, 12, 5, 0, 0)},
		{"Yesterday", now, true, at(2026, 12, 6, 0, 0)},
		{"yesterday", dst, false, at(2026, 3, 29, 0, 0)},
		{"yesterday", dst, true, at(2026, 3, 30, 0, 0)},
		{"yesterday", time.Date(2026, 1, 1, 0, 30, 0, 0, paris), false, at(2025, 12, 31, 0, 0)},
		{"2026-12-01", now, false, at(2026, 12, 1, 0, 0)},
		{"2026-12-01", now, true, at(2026, 12, 2, 0, 0)},
		{"2026-12-01T00:00", now, false, at(2026, 12, 1, 0, 0)},
		{"2026-12-01T08:15:30", now, false, time.Date(2026, 12, 1, 8, 15, 30, 0, paris)},
		{"2026-12-01 08:15", now, true, at(2026, 12, 1, 8, 15)},
		{"2026-12-01T08:00:00Z", now, false, time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)},
		{"2026-12-01T08:00:00-05:00", now, false, time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseInstant(tc.in, tc.now, paris, tc.end)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseInstant(%q, %v, end=%v) = %v, %v; want %v", tc.in, tc.now, tc.end, got, err, tc.want)
		}
	}
	// yesterday, on the day after the spring change, is 23 hours long.
	from, _ := ParseInstant("yesterday", dst, paris, false)
	to, _ := ParseInstant("yesterday", dst, paris, true)
	if d := to.Sub(from); d != 23*time.Hour {
		t.Errorf("yesterday on 2026-03-30 in Paris lasts %v, want 23h", d)
	}
}

func TestParseInstantDefaultsToLocal(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 30, 0, 0, time.Local)
	got, err := ParseInstant("2026-12-01T08:00", now, nil, false)
	if want := time.Date(2026, 12, 1, 8, 0, 0, 0, time.Local); err != nil || !got.Equal(want) {
		t.Errorf("got %v, %v; want %v", got, err, want)
	}
}

func TestParseInstantErrors(t *testing.T) {
	for _, in := range []string{"", "soon", "-5h", "24", "2026-13-01", "tomorrow", "2026-12-01T25:00"} {
		_, err := ParseInstant(in, time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), time.UTC, false)
		if err == nil || !strings.Contains(err.Error(), "yesterday or today") {
			t.Errorf("ParseInstant(%q): %v, want an error that shows the forms", in, err)
		}
	}
}

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 12, 6, 14, 30, 15, 500, time.UTC)
	sec := now.Truncate(time.Second)
	day := func(d int) time.Time { return time.Date(2026, 12, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		since, until string
		untilNow     bool
		from, to     time.Time
	}{
		{"", "", false, time.Time{}, time.Time{}},
		{"", "", true, time.Time{}, sec},
		{"24h", "", false, sec.Add(-24 * time.Hour), time.Time{}},
		{"24h", "", true, sec.Add(-24 * time.Hour), sec},
		{"", "today", false, time.Time{}, day(7)},
		{"yesterday", "yesterday", true, day(5), day(6)}, // the whole day: --until's day ends it
	} {
		from, to, err := ParseWindow(tc.since, tc.until, now, time.UTC, tc.untilNow)
		if err != nil || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("ParseWindow(%q, %q, untilNow=%v) = %v, %v, %v; want %v, %v", tc.since, tc.until, tc.untilNow, from, to, err, tc.from, tc.to)
		}
	}
	for _, tc := range []struct{ since, until, want string }{
		{"soon", "", "invalid --since: \"soon\" is not a time: use "},
		{"", "later", "invalid --until: \"later\" is not a time: use "},
		{"today", "yesterday", "invalid window: --since 2026-12-06T00:00:00Z is not before --until 2026-12-06T00:00:00Z"},
		{"1h", "2h", "invalid window: --since 2026-12-06T13:30:15Z is not before --until 2026-12-06T12:30:15Z"},
	} {
		var usage UsageError
		if _, _, err := ParseWindow(tc.since, tc.until, now, time.UTC, true); !errors.As(err, &usage) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("ParseWindow(%q, %q): %v, want the usage error %q", tc.since, tc.until, err, tc.want)
		}
	}
}
