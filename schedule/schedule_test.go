package schedule

import (
	"strings"
	"testing"
	"time"
)

func paris(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func mustParse(t *testing.T, spec string, loc *time.Location) *Schedule {
	t.Helper()
	s, err := Parse(spec, loc)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// at is an instant given in UTC, so that the two 02:30 of a fall back are
// told apart.
func at(mo time.Month, d, h, mi int) time.Time { return time.Date(2026, mo, d, h, mi, 0, 0, time.UTC) }

// TestNextAcrossDST: the runs that follow an instant, across both changes
// of Europe/Paris in 2026: spring forward on 29 March (02:00 CET → 03:00
// CEST, 01:00 UTC) and fall back on 25 October (03:00 CEST → 02:00 CET,
// 01:00 UTC).
func TestNextAcrossDST(t *testing.T) {
	loc := paris(t)
	for _, c := range []struct {
		name, spec string
		from       time.Time
		want       []time.Time // in UTC
	}{
		{"a skipped time runs once, when the gap ends", "30 2 * * *", at(3, 28, 12, 0),
			[]time.Time{at(3, 29, 1, 0), at(3, 30, 0, 30)}}, // 03:00 CEST, then 02:30 CEST
		{"the start of the gap is in the gap", "0 2 * * *", at(3, 28, 12, 0),
			[]time.Time{at(3, 29, 1, 0), at(3, 30, 0, 0)}},
		{"the runs of the gap are one run", "*/30 * * * *", at(3, 28, 23, 45),
			[]time.Time{at(3, 29, 0, 0), at(3, 29, 0, 30), at(3, 29, 1, 0), at(3, 29, 1, 30)}}, // 01:00, 01:30 CET, 03:00, 03:30 CEST
		{"a repeated time runs once, at its first occurrence", "30 2 * * *", at(10, 24, 12, 0),
			[]time.Time{at(10, 25, 0, 30), at(10, 26, 1, 30)}}, // 02:30 CEST, then 02:30 CET the next day
		{"the repeated hour holds no run", "*/30 * * * *", at(10, 24, 23, 45),
			[]time.Time{at(10, 25, 0, 0), at(10, 25, 0, 30), at(10, 25, 2, 0)}}, // 02:00, 02:30 CEST, 03:00 CET
		{"from inside the repeated hour", "30 2 * * *", at(10, 25, 1, 45), // 02:45 CET
			[]time.Time{at(10, 26, 1, 30)}},
		{"a morning report: 23 h then 25 h apart", "0 7 * * *", at(3, 28, 5, 0),
			[]time.Time{at(3, 28, 6, 0), at(3, 29, 5, 0), at(3, 30, 5, 0)}},
		{"a morning report in October", "0 7 * * *", at(10, 24, 4, 0),
			[]time.Time{at(10, 24, 5, 0), at(10, 25, 6, 0), at(10, 26, 6, 0)}},
		{"day of month or day of week, as crontab(5)", "0 7 1 * 1", time.Date(2026, 12, 1, 8, 0, 0, 0, loc),
			[]time.Time{at(12, 7, 6, 0), at(12, 14, 6, 0)}}, // Mondays; the 1st was a Tuesday
		{"descriptors", "@daily", at(3, 28, 12, 0),
			[]time.Time{at(3, 28, 23, 0), at(3, 29, 22, 0)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := mustParse(t, c.spec, loc)
			from := c.from
			for i, want := range c.want {
				got := s.Next(from)
				if !got.Equal(want) {
					t.Fatalf("run %d after %s: %s (%s), want %s", i+1, from.In(loc), got.In(loc), got.UTC(), want.In(loc))
				}
				if got.Location() != loc {
					t.Errorf("run %d is in %s, want the schedule's zone", i+1, got.Location())
				}
				from = got
			}
		})
	}
}

// TestOncePerDayAcrossDST drives a scheduler with a simulated clock, a
// minute at a time across each change: a nightly job at 02:30 (in the
// gap, then in the repeated hour) and one at 07:00 run exactly once each
// local day, and never before their time.
func TestOncePerDayAcrossDST(t *testing.T) {
	loc := paris(t)
	for _, spec := range []string{"30 2 * * *", "0 7 * * *", "0 2 * * *", "59 2 * * *"} {
		for _, days := range [][2]time.Time{
			{time.Date(2026, 3, 27, 12, 0, 0, 0, loc), time.Date(2026, 3, 31, 12, 0, 0, 0, loc)},
			{time.Date(2026, 10, 23, 12, 0, 0, 0, loc), time.Date(2026, 10, 27, 12, 0, 0, 0, loc)},
		} {
			s := mustParse(t, spec, loc)
			runs := map[string]int{}
			last := days[0]
			for now := days[0]; now.Before(days[1]); now = now.Add(time.Minute) {
				run, ok := s.Latest(last, now)
				if !ok {
					continue
				}
				if !run.Equal(now) {
					t.Errorf("%s: at %s the clock found the run of %s", spec, now.In(loc), run.In(loc))
				}
				runs[run.In(loc).Format(time.DateOnly)]++
				last = run
			}
			if len(runs) != 4 {
				t.Errorf("%s from %s: runs on %d days, want 4: %v", spec, days[0], len(runs), runs)
			}
			for day, n := range runs {
				if n != 1 {
					t.Errorf("%s: %d runs on %s", spec, n, day)
				}
			}
		}
	}
}

// TestLatest: what a scheduler stopped since after owes is the last run
// before now, one run, however long it was stopped.
func TestLatest(t *testing.T) {
	loc := paris(t)
	s := mustParse(t, "0 7 * * *", loc)
	for _, c := range []struct {
		name       string
		after, now time.Time
		want       time.Time // zero: none
	}{
		{"three runs missed: the last", at(3, 27, 6, 0), at(3, 30, 8, 0), at(3, 30, 5, 0)},
		{"at the run itself", at(3, 29, 5, 0).Add(-time.Second), at(3, 29, 5, 0), at(3, 29, 5, 0)},
		{"none since", at(3, 29, 5, 0), at(3, 30, 4, 59), time.Time{}},
		{"a year stopped", at(1, 1, 0, 0).AddDate(-1, 0, 0), at(3, 30, 8, 0), at(3, 30, 5, 0)},
		{"no last run known", time.Time{}, at(3, 30, 8, 0), at(3, 30, 5, 0)},
	} {
		got, ok := s.Latest(c.after, c.now)
		if ok != !c.want.IsZero() || !got.Equal(c.want) {
			t.Errorf("%s: Latest = %s %v, want %s", c.name, got, ok, c.want)
		}
	}
	repeat := mustParse(t, "30 2 * * *", loc)
	if r, ok := repeat.Latest(at(10, 25, 0, 30), at(10, 25, 2, 30)); ok {
		t.Errorf("the repeat of 02:30 on 25 October is a run: %s", r.In(loc))
	}
	never := mustParse(t, "0 0 30 2 *", loc)
	if r := never.Next(at(1, 1, 0, 0)); !r.IsZero() {
		t.Errorf("30 February: %s", r)
	}
	if r, ok := never.Latest(at(1, 1, 0, 0), at(3, 1, 0, 0)); ok {
		t.Errorf("30 February: latest %s", r)
	}
}

func TestParse(t *testing.T) {
	for _, bad := range []string{"", "  ", "0 7 * *", "61 7 * * *", "0 25 * * *", "TZ=Europe/Paris 0 7 * * *", "CRON_TZ=UTC 0 7 * * *", "@every 1h", "@sometimes", "0 7 * * * *"} {
		if _, err := Parse(bad, nil); err == nil || !strings.Contains(err.Error(), "schedule") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	s, err := Parse(" 0 7 * * * ", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Next(at(3, 29, 6, 0)); !got.Equal(at(3, 29, 7, 0)) || got.Location() != time.UTC {
		t.Errorf("without a zone: %s, want 07:00 UTC", got)
	}
}

// TestMidnightGap: where the clocks skip midnight (Chile, 6 September
// 2026: 00:00 −04 is 01:00 −03), a daily run at midnight runs at 01:00.
func TestMidnightGap(t *testing.T) {
	loc, err := time.LoadLocation("America/Santiago")
	if err != nil {
		t.Fatal(err)
	}
	s := mustParse(t, "@daily", loc)
	from := time.Date(2026, 9, 5, 12, 0, 0, 0, loc)
	for _, want := range []time.Time{
		time.Date(2026, 9, 6, 4, 0, 0, 0, time.UTC), // 01:00 −03
		time.Date(2026, 9, 7, 3, 0, 0, 0, time.UTC), // 00:00 −03
	} {
		if from = s.Next(from); !from.Equal(want) {
			t.Errorf("run %s, want %s", from, want.In(loc))
		}
	}
}
