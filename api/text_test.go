package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/daemon"
)

// TestWriteStatus: the daemon, its files, its incidents open and
// resolved, and no control sequence of a hostile file name or title.
func TestWriteStatus(t *testing.T) {
	now := clock()
	inc := func(min int, state, title string) daemon.IncidentState {
		start := now.Add(time.Duration(-min) * time.Minute)
		return daemon.IncidentState{Incident: analyze.Incident{Start: start, End: start.Add(time.Minute), RootCause: analyze.FPMDown, Title: title}, State: state}
	}
	st := daemon.Status{Started: now.Add(-time.Hour), Running: true, Store: "/var/lib/logcause", StoreBytes: 3 << 20, Commits: 7, LastCommit: now.Add(-2 * time.Second),
		Files: []daemon.FileStatus{
			{Path: "/var/log/nginx/access.log", Format: "nginx_access", Records: 1200, Unparsed: 3, Size: 5000, Behind: 2048},
			{Path: "/var/log/evil\x1b[2J.log", Format: "nginx_error", Size: -1},
		},
		Incidents:     []daemon.IncidentState{inc(9, "resolved", "old"), inc(2, "open", "502s on /\x1b]0;owned\x07x")},
		GatewayErrors: map[int]int64{504: 2, 502: 40, 9: 1}}
	var b strings.Builder
	if err := api.WriteStatus(&b, st, now); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"logcause watch: running since 2026-11-23 13:02:00 UTC (1h0m0s), store /var/lib/logcause (3.0 MiB)",
		"7 commits, the last at 2026-11-23 14:01:58 UTC (2s ago)",
		"2 files followed:",
		"1 open incidents, 2 in the recent window",
		"  resolved  2026-11-23 13:53:00 UTC to 13:54:00  fpm_down: old",
		"  open  2026-11-23 14:00:00 UTC to 14:01:00  fpm_down: 502s on /]0;ownedx", // the OSC's control bytes dropped
		"gateway errors since the start: 009: 1, 502: 40, 504: 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("control characters in:\n%q", out)
	}
	for _, row := range [][]string{{"/var/log/nginx/access.log", "nginx_access", "1200", "3", "2", "KiB"}, {"/var/log/evil[2J.log", "nginx_error", "0", "0", "no", "file"}} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			found = found || strings.Join(strings.Fields(l), " ") == strings.Join(row, " ")
		}
		if !found {
			t.Errorf("no row %v in:\n%s", row, out)
		}
	}
}
