package patterns

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/lineartest"
)

// syslogRef is the reference time (the file's modification time) of the
// syslog table: a week after its lines.
var syslogRef = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// syslogCase is one record of the syslog table; the fuzz seeds reuse it.
type syslogCase struct {
	name string
	rec  string
	want *Syslog // nil: the record must fail
	time string  // RFC 3339 UTC, for loc = tableLoc (UTC+1) and syslogRef
	err  string
}

// The kernel's OOM lines, as catalog §5 has them.
const (
	oomInvoked    = `php-fpm8.2 invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`
	oomConstraint = `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/php8.2-fpm.service,task=php-fpm8.2,pid=1234,uid=33`
	oomKilled     = `Out of memory: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB, UID:33 pgtables:1400kB oom_score_adj:0`
	oomReaped     = `oom_reaper: reaped process 1234 (php-fpm8.2), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB`
	oomUnit       = `php8.2-fpm.service: A process of this unit has been killed by the OOM killer.`
	oomUnitFailed = `php8.2-fpm.service: Failed with result 'oom-kill'.`
)

// kill is the Syslog of oomKilled on host "web1".
func kill(msg string) *Syslog {
	return &Syslog{Host: "web1", Program: "kernel", Message: msg, Event: "oom_kill", VictimPID: 1234, Comm: "php-fpm8.2", AnonRSSKB: 512000, TotalVMKB: 812345}
}

var syslogCases = []syslogCase{
	// The stamp forms.
	{
		name: "kern.log: BSD stamp, kernel uptime stamp",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.678901] " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "journalctl -k short: no uptime stamp",
		rec:  "Nov 23 14:02:10 web1 kernel: " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "kernel caller id after the uptime stamp",
		rec:  "Nov  3 14:02:10 web1 kernel: [ 1234.000001][ T1234] " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-03T13:02:10Z",
	},
	{
		name: "rsyslog RFC 3339 stamp",
		rec:  "2026-11-23T14:02:10.123456+01:00 web1 kernel: [12345.678901] " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "journalctl -o short-iso",
		rec:  "2026-11-23T14:02:10+0100 web1 kernel: " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "journalctl -o short-iso-precise, UTC",
		rec:  "2026-11-23T13:02:10.500000Z web1 kernel: " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10.5Z",
	},
	{
		name: "journalctl -o short-precise",
		rec:  "Nov 23 14:02:11.000123 web1 systemd[1]: " + oomUnit,
		want: &Syslog{Host: "web1", Program: "systemd", PID: 1, Message: oomUnit, Event: "unit_oom_killed", Unit: "php8.2-fpm.service"},
		time: "2026-11-23T13:02:11.000123Z",
	},
	{
		name: "dmesg -T",
		rec:  "[Mon Nov 23 14:02:10 2026] " + oomKilled,
		want: &Syslog{Program: "kernel", Message: oomKilled, Event: "oom_kill", VictimPID: 1234, Comm: "php-fpm8.2", AnonRSSKB: 512000, TotalVMKB: 812345},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "dmesg -T, day padded",
		rec:  "[Tue Nov  3 14:02:10 2026] " + oomReaped,
		want: &Syslog{Program: "kernel", Message: oomReaped, Event: "oom_reaped", VictimPID: 1234, Comm: "php-fpm8.2"},
		time: "2026-11-03T13:02:10Z",
	},
	{
		name: "dmesg --time-format iso",
		rec:  "2026-11-23T14:02:10,123456+01:00 " + oomInvoked,
		want: &Syslog{Program: "kernel", Message: oomInvoked, Event: "oom_invoked", Comm: "php-fpm8.2"},
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "RFC 5424 (lnav sample)",
		rec:  `<46>1 2017-04-27T07:50:47.381967+02:00 logserver rsyslogd - - [origin software="rsyslogd" swVersion="8.4.2" x-pid="900" x-info="http://www.rsyslog.com"] start`,
		want: &Syslog{Host: "logserver", Program: "rsyslogd", Message: "start"},
		time: "2017-04-27T05:50:47.381967Z",
	},
	{
		name: "RFC 5424 with a pid and no structured data",
		rec:  `<78>1 2017-04-27T08:09:01+02:00 nextcloud CRON 1472 - -  (root) CMD (  [ -x /usr/lib/php5/sessionclean ] && /usr/lib/php5/sessionclean)`,
		want: &Syslog{Host: "nextcloud", Program: "CRON", PID: 1472, Message: " (root) CMD (  [ -x /usr/lib/php5/sessionclean ] && /usr/lib/php5/sessionclean)"},
		time: "2017-04-27T06:09:01Z",
	},
	{
		name: "BSD stamp after <PRI>",
		rec:  `<13>Nov 23 14:02:10 web1 logger: hello`,
		want: &Syslog{Host: "web1", Program: "logger", Message: "hello"},
		time: "2026-11-23T13:02:10Z",
	},
	// Every other line is a record too.
	{
		name: "sudo (lnav sample)",
		rec:  `Nov  3 09:47:02 veridian sudo: timstack : TTY=pts/6 ; PWD=/auto/wstimstack/rpms/lbuild/test ; USER=root ; COMMAND=/usr/bin/tail /var/log/messages`,
		want: &Syslog{Host: "veridian", Program: "sudo", Message: "timstack : TTY=pts/6 ; PWD=/auto/wstimstack/rpms/lbuild/test ; USER=root ; COMMAND=/usr/bin/tail /var/log/messages"},
		time: "2026-11-03T08:47:02Z",
	},
	{
		name: "program with pid",
		rec:  `Nov  3 09:23:38 veridian automount[7998]: lookup(file): lookup for foobar failed`,
		want: &Syslog{Host: "veridian", Program: "automount", PID: 7998, Message: "lookup(file): lookup for foobar failed"},
		time: "2026-11-03T08:23:38Z",
	},
	{
		name: "systemd main process killed: no OOM event by itself",
		rec:  `Nov 23 14:02:11 web1 systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL`,
		want: &Syslog{Host: "web1", Program: "systemd", PID: 1, Message: "php8.2-fpm.service: Main process exited, code=killed, status=9/KILL"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "no tag",
		rec:  `Apr 28 04:02:03 tstack-centos5 syslogd 1.4.1: restart.`,
		want: &Syslog{Host: "tstack-centos5", Message: "syslogd 1.4.1: restart."},
		time: "2026-04-28T03:02:03Z",
	},
	{
		name: "no host",
		rec:  `Mar 24 14:26:01 --- last message repeated 2 times ---`,
		want: &Syslog{Message: "--- last message repeated 2 times ---"},
		time: "2026-03-24T13:26:01Z",
	},
	{
		name: "continuation lines (lnav macOS sample) and CRLF",
		rec:  "Aug 16 00:32:15 Tims-Air syslogd[314]: Configuration Notice:\r\n\tASL Module \"com.apple.install\" claims selected messages.\r",
		want: &Syslog{Host: "Tims-Air", Program: "syslogd", PID: 314, Message: "Configuration Notice:\r\n\tASL Module \"com.apple.install\" claims selected messages.\r"},
		time: "2026-08-15T23:32:15Z",
	},
	// The OOM lines, every form of catalog §5.
	{
		name: "oom_invoked",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.600000] " + oomInvoked,
		want: &Syslog{Host: "web1", Program: "kernel", Message: oomInvoked, Event: "oom_invoked", Comm: "php-fpm8.2"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "oom-kill summary: fields, no event",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.678800] " + oomConstraint,
		want: &Syslog{Host: "web1", Program: "kernel", Message: oomConstraint, VictimPID: 1234, Comm: "php-fpm8.2", Unit: "/system.slice/php8.2-fpm.service"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "oom_reaped",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.712345] " + oomReaped,
		want: &Syslog{Host: "web1", Program: "kernel", Message: oomReaped, Event: "oom_reaped", VictimPID: 1234, Comm: "php-fpm8.2"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Killed process without prefix, with shmem-rss (~4.6)",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.678901] Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB",
		want: kill("Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB"),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Killed process without prefix or shmem-rss",
		rec:  "Nov 23 14:02:10 web1 kernel: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB",
		want: kill("Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB"),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Memory cgroup out of memory: Killed process",
		rec:  "Nov 23 14:02:10 web1 kernel: Memory cgroup out of memory: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB, UID:33 pgtables:1400kB oom_score_adj:0",
		want: kill("Memory cgroup out of memory: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB, UID:33 pgtables:1400kB oom_score_adj:0"),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Out of memory (oom_kill_allocating_task): Killed process",
		rec:  "Nov 23 14:02:10 web1 kernel: Out of memory (oom_kill_allocating_task): Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB",
		want: kill("Out of memory (oom_kill_allocating_task): Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB"),
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Kill process … or sacrifice child (before ~4.19)",
		rec:  "Nov 23 14:02:10 web1 kernel: [12345.678000] Out of memory: Kill process 1234 (php-fpm8.2) score 950 or sacrifice child",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Out of memory: Kill process 1234 (php-fpm8.2) score 950 or sacrifice child", Event: "oom_kill", VictimPID: 1234, Comm: "php-fpm8.2"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "Memory cgroup out of memory: Kill process",
		rec:  "Nov 23 14:02:10 web1 kernel: Memory cgroup out of memory: Kill process 1234 (php-fpm) score 1000 or sacrifice child",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Memory cgroup out of memory: Kill process 1234 (php-fpm) score 1000 or sacrifice child", Event: "oom_kill", VictimPID: 1234, Comm: "php-fpm"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "RHEL 6 Killed process with UID",
		rec:  "Nov 23 14:02:10 web1 kernel: Killed process 1234, UID 48, (httpd) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Killed process 1234, UID 48, (httpd) total-vm:812345kB, anon-rss:512000kB, file-rss:1234kB", Event: "oom_kill", VictimPID: 1234, Comm: "httpd", AnonRSSKB: 512000, TotalVMKB: 812345},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "2.6.18 Out of memory: Killed process",
		rec:  "Nov 23 14:02:10 web1 kernel: Out of memory: Killed process 1234 (httpd).",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Out of memory: Killed process 1234 (httpd).", Event: "oom_kill", VictimPID: 1234, Comm: "httpd"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "comm with a space, comm with parentheses",
		rec:  "Nov 23 14:02:10 web1 kernel: Out of memory: Killed process 77 ((sd-pam) x) total-vm:10kB, anon-rss:2kB, file-rss:0kB",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Out of memory: Killed process 77 ((sd-pam) x) total-vm:10kB, anon-rss:2kB, file-rss:0kB", Event: "oom_kill", VictimPID: 77, Comm: "(sd-pam) x", AnonRSSKB: 2, TotalVMKB: 10},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "systemd unit killed by the OOM killer",
		rec:  "Nov 23 14:02:11 web1 systemd[1]: " + oomUnit,
		want: &Syslog{Host: "web1", Program: "systemd", PID: 1, Message: oomUnit, Event: "unit_oom_killed", Unit: "php8.2-fpm.service"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "systemd unit failed with result oom-kill",
		rec:  "Nov 23 14:02:11 web1 systemd[1]: " + oomUnitFailed,
		want: &Syslog{Host: "web1", Program: "systemd", PID: 1, Message: oomUnitFailed, Event: "unit_oom_killed", Unit: "php8.2-fpm.service"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "a Killed process line of another program than the kernel",
		rec:  "Nov 23 14:02:10 web1 app[9]: Killed process 12 (x) total-vm:1kB, anon-rss:1kB",
		want: &Syslog{Host: "web1", Program: "app", PID: 9, Message: "Killed process 12 (x) total-vm:1kB, anon-rss:1kB"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "a unit line of another program than systemd",
		rec:  "Nov 23 14:02:10 web1 app[9]: " + oomUnit,
		want: &Syslog{Host: "web1", Program: "app", PID: 9, Message: oomUnit},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "RFC 5424 kernel line",
		rec:  "<3>1 2026-11-23T14:02:10.123456+01:00 web1 kernel - - - " + oomKilled,
		want: kill(oomKilled),
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "Kill process without its prefix",
		rec:  "Nov 23 14:02:10 web1 kernel: Kill process 1234 (php-fpm8.2) score 950 or sacrifice child",
		want: &Syslog{Host: "web1", Program: "kernel", Message: "Kill process 1234 (php-fpm8.2) score 950 or sacrifice child"},
		time: "2026-11-23T13:02:10Z",
	},
	// Failures.
	{name: "raw dmesg", rec: "[12345.678901] " + oomKilled, err: "seconds since boot"},
	{name: "raw dmesg with level", rec: "<6>[    5.000001] " + oomKilled, err: "seconds since boot"},
	{name: "no stamp", rec: oomKilled, err: "no syslog"},
	{name: "no such date", rec: "Nov 31 14:02:10 web1 kernel: x", err: "bad time"},
	{name: "no host", rec: "Nov 23 14:02:10 ", err: "no host"},
	{name: "stamp glued to the host", rec: "Nov 23 14:02:10web1 kernel: x", err: "no host"},
	{name: "nginx error line", rec: "2026/11/23 14:02:10 [error] 1#1: *5 x", err: "no syslog"},
	{name: "bad RFC 5424", rec: "<46>1 2017-04-27T07:50:47Z host app", err: "5424"},
	{name: "empty", rec: "", err: "no syslog"},
}

func TestSyslogParser(t *testing.T) {
	for _, tc := range syslogCases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := NewSyslogParser(tableLoc, syslogRef)
			if err != nil {
				t.Fatal(err)
			}
			var ev Event
			err = p.Parse([]byte(tc.rec), &ev)
			if tc.want == nil {
				wantMalformed(t, KindSyslog, tc.rec, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindSyslog || ev.Syslog == nil || ev.HAProxy != nil || ev.Text != tc.rec {
				t.Fatalf("kind/field sets/text wrong: %+v", ev)
			}
			if *ev.Syslog != *tc.want {
				t.Errorf("fields:\n got %#v\nwant %#v", *ev.Syslog, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, ev.Time.Location(), tc.time)
			}
			first, _, _ := strings.Cut(tc.rec, "\n")
			if !StartsRecord(KindSyslog, []byte(first)) {
				t.Error("StartsRecord rejects the first line")
			}
		})
	}
}

// TestSyslogYear: BSD stamps take the year that puts them at most a day
// after the reference time.
func TestSyslogYear(t *testing.T) {
	for _, tc := range []struct {
		ref   time.Time
		stamp string
		want  string
	}{
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Dec  3 09:23:38", "2026-12-03T09:23:38Z"},
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Dec 31 23:59:59", "2026-12-31T23:59:59Z"},
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Jan  1 00:00:00", "2027-01-01T00:00:00Z"},
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Jan  3 09:47:02", "2027-01-03T09:47:02Z"},
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Jan  4 09:59:59", "2027-01-04T09:59:59Z"}, // within a day after ref: clock skew
		{time.Date(2027, 1, 3, 10, 0, 0, 0, time.UTC), "Jan  4 10:00:01", "2026-01-04T10:00:01Z"},
		{time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), "Feb 29 10:00:00", "2024-02-29T10:00:00Z"},
		{time.Date(2028, 3, 1, 0, 0, 0, 0, time.UTC), "Feb 29 10:00:00", "2028-02-29T10:00:00Z"},
		// ref's year is taken in the parser's zone: 23:30 UTC on Dec 31 is
		// already 2027 in UTC+1.
		{time.Date(2026, 12, 31, 23, 30, 0, 0, time.UTC), "Jan  1 00:15:00", "2026-12-31T23:15:00Z"},
	} {
		loc := time.UTC
		if tc.ref.Month() == 12 {
			loc = tableLoc
		}
		p, _ := NewSyslogParser(loc, tc.ref)
		var ev Event
		if err := p.Parse([]byte(tc.stamp+" host kernel: x"), &ev); err != nil {
			t.Fatal(err)
		}
		if got := ev.Time.Format(time.RFC3339); got != tc.want {
			t.Errorf("ref %v, %q: %s, want %s", tc.ref, tc.stamp, got, tc.want)
		}
	}

	// lnav's sample that spans New Year, as a whole file.
	p, _ := NewSyslogParser(time.UTC, time.Date(2027, 1, 3, 9, 47, 2, 0, time.UTC))
	var years []int
	for _, r := range frame(KindSyslog, readCorpus(t, lnavDir+"logfile_syslog.1")) {
		var ev Event
		if err := p.Parse(r.text, &ev); err != nil {
			t.Fatal(err)
		}
		years = append(years, ev.Time.Year())
	}
	if want := []int{2026, 2026, 2026, 2027}; !equalInts(years, want) {
		t.Errorf("logfile_syslog.1 years %v, want %v", years, want)
	}

	// Without a reference time BSD stamps are refused, full stamps read.
	np, _ := NewParser(KindSyslog, time.UTC)
	var ev Event
	if err := np.Parse([]byte("Nov 23 14:02:10 host kernel: x"), &ev); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "NewSyslogParser") {
		t.Errorf("no reference time: %v", err)
	}
	if err := np.Parse([]byte("2026-11-23T14:02:10Z host kernel: x"), &ev); err != nil {
		t.Errorf("no reference time, RFC 3339: %v", err)
	}
	if _, err := NewSyslogParser(nil, syslogRef); err == nil {
		t.Error("NewSyslogParser(nil, …) did not fail")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSyslogJournalMarkers: journalctl's marker lines start records and
// yield no event.
func TestSyslogJournalMarkers(t *testing.T) {
	p, _ := NewSyslogParser(time.UTC, syslogRef)
	for _, l := range []string{
		"-- Logs begin at Mon 2026-11-23 00:00:01 CET, end at Mon 2026-11-23 14:05:00 CET. --",
		"-- Journal begins at Mon 2026-11-23 00:00:01 CET, ends at Mon 2026-11-23 14:05:00 CET. --",
		"-- Boot 3f5a0c6d2b6e4f1e9a8b7c6d5e4f3a2b --",
		"-- Reboot --",
		"-- No entries --",
	} {
		var ev Event
		err := p.Parse([]byte(l), &ev)
		if !errors.Is(err, ErrNoEvent) || errors.Is(err, ErrMalformed) || !StartsRecord(KindSyslog, []byte(l)) {
			t.Errorf("%q: %v", l, err)
		}
	}
}

// TestSyslogOOMSequence reads the kernel's OOM report as kern.log has it
// and the systemd lines after it: the kill takes the cgroup of the summary
// line before it.
func TestSyslogOOMSequence(t *testing.T) {
	lines := []string{
		"Nov 23 14:02:10 web1 kernel: [12345.600000] " + oomInvoked,
		"Nov 23 14:02:10 web1 kernel: [12345.600010] CPU: 1 PID: 1234 Comm: php-fpm8.2 Not tainted 6.1.0-27-amd64 #1  Debian 6.1.115-1",
		"Nov 23 14:02:10 web1 kernel: [12345.600100] Mem-Info:",
		"Nov 23 14:02:10 web1 kernel: [12345.600200] Tasks state (memory values in pages):",
		"Nov 23 14:02:10 web1 kernel: [12345.600300] [  pid  ]   uid  tgid total_vm      rss pgtables_bytes swapents oom_score_adj name",
		"Nov 23 14:02:10 web1 kernel: [12345.600400] [   1234]    33  1234   203086   128000  1433600        0             0 php-fpm8.2",
		"Nov 23 14:02:10 web1 kernel: [12345.678800] " + oomConstraint,
		"Nov 23 14:02:10 web1 kernel: [12345.678901] " + oomKilled,
		"Nov 23 14:02:10 web1 kernel: [12345.712345] " + oomReaped,
		"Nov 23 14:02:11 web1 systemd[1]: " + oomUnit,
		"Nov 23 14:02:11 web1 systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL",
		"Nov 23 14:02:11 web1 systemd[1]: " + oomUnitFailed,
		// An older kernel's memory-cgroup OOM with a sacrificed child.
		"Nov 23 15:00:00 web1 kernel: php-fpm invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0",
		"Nov 23 15:00:00 web1 kernel: Task in /system.slice/php7.0-fpm.service killed as a result of limit of /system.slice/php7.0-fpm.service",
		"Nov 23 15:00:00 web1 kernel: Memory cgroup out of memory: Kill process 2000 (php-fpm) score 1000 or sacrifice child",
		"Nov 23 15:00:00 web1 kernel: Killed process 2001 (php-fpm) total-vm:400000kB, anon-rss:300000kB, file-rss:100kB, shmem-rss:0kB",
		// A global OOM after it: the cgroup does not carry over.
		"Nov 23 16:00:00 web1 kernel: mysqld invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0",
		"Nov 23 16:00:00 web1 kernel: Out of memory: Killed process 3000 (mysqld) total-vm:2000000kB, anon-rss:1500000kB, file-rss:0kB, shmem-rss:0kB, UID:106 pgtables:3000kB oom_score_adj:0",
	}
	want := []struct {
		event, comm, unit string
		victim            int
		anon              int64
	}{
		{"oom_invoked", "php-fpm8.2", "", 0, 0},
		{}, {}, {}, {}, {},
		{"", "php-fpm8.2", "/system.slice/php8.2-fpm.service", 1234, 0},
		{"oom_kill", "php-fpm8.2", "/system.slice/php8.2-fpm.service", 1234, 512000},
		{"oom_reaped", "php-fpm8.2", "", 1234, 0},
		{"unit_oom_killed", "", "php8.2-fpm.service", 0, 0},
		{},
		{"unit_oom_killed", "", "php8.2-fpm.service", 0, 0},
		{"oom_invoked", "php-fpm", "", 0, 0},
		{"", "", "/system.slice/php7.0-fpm.service", 0, 0},
		{"oom_kill", "php-fpm", "/system.slice/php7.0-fpm.service", 2000, 0},
		{"oom_kill", "php-fpm", "/system.slice/php7.0-fpm.service", 2001, 300000},
		{"oom_invoked", "mysqld", "", 0, 0},
		{"oom_kill", "mysqld", "", 3000, 1500000},
	}
	p, _ := NewSyslogParser(time.UTC, syslogRef)
	if k := Detect(textLines(strings.Join(lines, "\n"))); k != KindSyslog {
		t.Errorf("Detect = %v", k)
	}
	for i, l := range lines {
		var ev Event
		if err := p.Parse([]byte(l), &ev); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		x, w := ev.Syslog, want[i]
		if x.Event != w.event || x.Comm != w.comm || x.Unit != w.unit || x.VictimPID != w.victim || x.AnonRSSKB != w.anon {
			t.Errorf("line %d: got %q %q %q %d %d, want %+v", i, x.Event, x.Comm, x.Unit, x.VictimPID, x.AnonRSSKB, w)
		}
	}
}

func TestSyslogJSON(t *testing.T) {
	p, _ := NewSyslogParser(tableLoc, syslogRef)
	var ev Event
	if err := p.Parse([]byte("Nov 23 14:02:10 web1 kernel: [12345.678901] "+oomKilled), &ev); err != nil {
		t.Fatal(err)
	}
	ev.Path = "/var/log/kern.log"
	want := `{"time":"2026-11-23T13:02:10Z","format":"syslog","path":"/var/log/kern.log","offset":0,"host":"web1","program":"kernel",` +
		`"message":"` + oomKilled + `","event":"oom_kill","victim_pid":1234,"comm":"php-fpm8.2","anon_rss_kb":512000,"total_vm_kb":812345}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
	if err := p.Parse([]byte("Nov 23 14:02:11 web1 systemd[1]: "+oomUnit), &ev); err != nil {
		t.Fatal(err)
	}
	if got := string(ev.AppendJSON(nil)); !strings.HasSuffix(got, `"host":"web1","program":"systemd","pid":1,"message":"`+oomUnit+`","event":"unit_oom_killed","unit":"php8.2-fpm.service"}`) {
		t.Errorf("JSON: %s", got)
	}
}

// syslogCorpus lists lnav's syslog samples: every record parses.
var syslogCorpus = []string{
	lnavDir + "logfile_syslog.0",
	lnavDir + "logfile_syslog.1",
	lnavDir + "logfile_syslog.2",
	lnavDir + "logfile_syslog.3",
	lnavDir + "logfile_syslog_with_access_log.0",
}

func TestSyslogCorpus(t *testing.T) {
	for _, path := range syslogCorpus {
		t.Run(path[len(corpusDir)+1:], func(t *testing.T) {
			data := readCorpus(t, path)
			if k := Detect(sampleLines(data, 64)); k != KindSyslog {
				t.Errorf("Detect = %v", k)
			}
			p, _ := NewSyslogParser(time.UTC, time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC))
			recs := frame(KindSyslog, data)
			for _, r := range recs {
				var ev Event
				if err := p.Parse(r.text, &ev); err != nil {
					t.Errorf("record at %d: %v\n%s", r.offset, err, r.text)
					continue
				}
				if ev.Syslog.Message == "" || ev.Syslog.Event != "" {
					t.Errorf("record at %d: %+v", r.offset, *ev.Syslog)
				}
			}
			// logfile_syslog.3 holds macOS messages continued on tab-indented lines.
			if strings.HasSuffix(path, ".3") && (len(recs) != 7 || strings.Count(string(recs[2].text), "\n") != 2) {
				t.Errorf("%d records; the third: %q", len(recs), recs[2].text)
			}
		})
	}
}

// TestDetectIssue3Kinds checks that the kinds of issue #3 recognise their
// files and take none of the other kinds'.
func TestDetectIssue3Kinds(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Kind
	}{
		{fpmSlowCapture, KindFPMSlow},
		{fpmSlowCaptureFP, KindFPMError},
		{filebeatMySQLError, KindMySQLError},
		{filebeatMariaDB, KindMySQLError},
		{lnavMySQLError, KindMySQLError},
		{lnavDir + "logfile_syslog.0", KindSyslog},
		{lnavDir + "logfile_haproxy.0", KindHAProxy},
		{lnavDir + "logfile_mysql_slow.0", KindMySQLSlow},
		{filebeatNginxError, KindNginxError},
		{filebeatNginxAccess, KindNginxAccess},
		{lnavShopAccess, KindNginxAccess},
		{"../testdata/demo/php-fpm.log", KindFPMError},
		{"../testdata/demo/error.log", KindNginxError},
		{"../testdata/demo/access.log", KindNginxAccess},
	} {
		t.Run(tc.path, func(t *testing.T) {
			want := tc.want
			if formats[want].newParser == nil {
				want = KindUnknown // a kind not written yet
			}
			if got := Detect(sampleLines(readCorpus(t, tc.path), 64)); got != want {
				t.Errorf("Detect = %v, want %v", got, want)
			}
		})
	}
	for _, tc := range []struct {
		name  string
		lines string
		want  Kind
	}{
		{"fpm slow table", joinCases(fpmSlowCases), KindFPMSlow},
		{"mysql error table", joinMyErrCases(), KindMySQLError},
		{"syslog table", joinSyslogCases(), KindSyslog},
		{"dmesg -T", "[Mon Nov 23 14:02:10 2026] " + oomInvoked + "\n[Mon Nov 23 14:02:10 2026] " + oomKilled + "\n", KindSyslog},
		{"raw dmesg", "[12345.600000] " + oomInvoked + "\n[12345.678901] " + oomKilled + "\n", KindUnknown},
		{"rsyslog RFC 3339", "2026-11-23T14:02:10.123456+01:00 web1 kernel: " + oomKilled + "\n2026-11-23T14:02:11.000001+01:00 web1 systemd[1]: " + oomUnit + "\n", KindSyslog},
		{"haproxy through syslog", "Nov 23 14:02:10 lb haproxy[123]: 1.2.3.4:5678 [23/Nov/2026:14:02:10.123] fe~ be/srv1 0/0/1/-1/30002 504 194 - - sH-- 10/10/5/5/0 0/0 \"GET /x HTTP/1.1\"\n" +
			"Nov 23 14:02:11 lb haproxy[123]: 1.2.3.4:5679 [23/Nov/2026:14:02:11.123] fe~ be/srv1 0/0/1/-1/30002 504 194 - - sH-- 10/10/5/5/0 0/0 \"GET /y HTTP/1.1\"\n", KindHAProxy},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := tc.want
			if formats[want].newParser == nil {
				want = KindUnknown
			}
			if got := Detect(textLines(tc.lines)); got != want {
				t.Errorf("Detect = %v, want %v", got, want)
			}
		})
	}
}

func joinCases(cases []fpmSlowCase) string {
	var b strings.Builder
	for _, tc := range cases {
		if tc.want != nil {
			b.WriteString("\n" + tc.rec + "\n")
		}
	}
	return b.String()
}

func joinMyErrCases() string {
	var b strings.Builder
	for _, tc := range myErrCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

func joinSyslogCases() string {
	var b strings.Builder
	for _, tc := range syslogCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

func FuzzSyslog(f *testing.F) {
	for _, tc := range syslogCases {
		f.Add([]byte(tc.rec))
	}
	for _, path := range syslogCorpus {
		for _, r := range frame(KindSyslog, readCorpus(f, path)) {
			f.Add(r.text)
		}
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		p, _ := NewSyslogParser(time.FixedZone("x", -9*3600), syslogRef)
		var ev Event
		err := p.Parse(rec, &ev)
		first, _, _ := bytes.Cut(rec, []byte("\n"))
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoEvent) {
				t.Fatalf("error wraps neither ErrMalformed nor ErrNoEvent: %v", err)
			}
			if errors.Is(err, ErrNoEvent) && !StartsRecord(KindSyslog, first) {
				t.Fatal("ErrNoEvent for a record that StartsRecord rejects")
			}
			return
		}
		if !StartsRecord(KindSyslog, first) {
			t.Fatal("parsed a record that StartsRecord rejects")
		}
		x := ev.Syslog
		if ev.Kind != KindSyslog || x == nil || ev.Text != string(rec) || ev.Time.Location() != time.UTC {
			t.Fatalf("kind/field sets/text/zone wrong: %+v", ev)
		}
		if ev.Time.After(syslogRef.Add(24*time.Hour)) && bytes.IndexByte(first, '-') < 0 && bytes.IndexByte(first, '[') != 0 {
			t.Fatalf("BSD stamp read after the reference time: %v", ev.Time)
		}
		if x.PID < 0 || x.VictimPID < 0 || x.AnonRSSKB < 0 || x.TotalVMKB < 0 {
			t.Fatalf("negative numbers: %#v", *x)
		}
		switch x.Event {
		case "", "oom_invoked", "unit_oom_killed":
		case "oom_kill", "oom_reaped":
			if x.VictimPID <= 0 || x.Comm == "" {
				t.Fatalf("%s without a victim: %#v", x.Event, *x)
			}
		default:
			t.Fatalf("event %q", x.Event)
		}
		for _, s := range []string{x.Host, x.Program, x.Message, x.Comm, x.Unit} {
			if !isSubstring(ev.Text, s) && s != "kernel" {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		checkJSON(t, &ev, map[string]string{"message": x.Message, "host": x.Host, "comm": x.Comm, "unit": x.Unit})
	})
}

// syslogLines are realistic kern.log and syslog lines: an OOM report among
// ordinary daemon lines.
func syslogLines() [][]byte {
	var lines [][]byte
	for _, s := range []string{
		"Nov 23 14:02:10 web1 kernel: [12345.600000] " + oomInvoked,
		"Nov 23 14:02:10 web1 kernel: [12345.678800] " + oomConstraint,
		"Nov 23 14:02:10 web1 kernel: [12345.678901] " + oomKilled,
		"Nov 23 14:02:10 web1 kernel: [12345.712345] " + oomReaped,
		"Nov 23 14:02:11 web1 systemd[1]: " + oomUnit,
		"Nov 23 14:02:11 web1 systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL",
		"Nov 23 14:02:12 web1 CRON[4321]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)",
		"Nov 23 14:02:13 web1 sshd[2222]: Accepted publickey for deploy from 203.0.113.7 port 52144 ssh2: ED25519 SHA256:0123456789abcdefghijklmnopqrstuvwxyzABCDE",
		"2026-11-23T14:02:14.123456+01:00 web1 systemd[1]: Started php8.2-fpm.service - The PHP 8.2 FastCGI Process Manager.",
		"2026-11-23T14:02:15.000001+01:00 web1 postfix/smtpd[1717]: connect from localhost[127.0.0.1]",
	} {
		lines = append(lines, []byte(s))
	}
	return lines
}

func BenchmarkParseSyslog(b *testing.B) {
	p, _ := NewSyslogParser(time.FixedZone("CET", 3600), syslogRef)
	var ev Event
	benchLines(b, syslogLines(), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseSyslogSpans is the scanner and OOM decoder without the
// Event: no allocation.
func BenchmarkParseSyslogSpans(b *testing.B) {
	var s syslSpans
	benchLines(b, syslogLines(), func(l []byte) {
		if err := syslScan(l, &s); err != nil {
			b.Fatal(err)
		}
	})
}

// TestIssue3BoundedWork feeds the parsers of issue #3, their matchers and
// Detect records built to make their searches work hard; the work must
// grow linearly with the record (lineartest.Want). Under the race detector
// or -short they are 1 MB.
func TestIssue3BoundedWork(t *testing.T) {
	size := 10 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	slowHead := "[23-Nov-2026 14:02:10]  [pool www] pid 1\n"
	bsd := "Nov 23 14:02:10 web1 kernel: "
	fs, _ := NewParser(KindFPMSlow, time.UTC)
	me, _ := NewParser(KindMySQLError, time.UTC)
	sl, _ := NewSyslogParser(time.UTC, syslogRef)
	for _, tc := range []struct {
		name string
		p    Parser
		rec  func(int) []byte
	}{
		{"slow frames", fs, lineartest.Filled(slowHead, "[0x00007f2d286c2790] f() /a.php:1\n")},
		{"slow colons", fs, lineartest.Filled(slowHead+"[0x1] f() ", ":")},
		{"slow calls", fs, lineartest.Filled(slowHead+"[0x1] ", "() ")},
		{"slow pool name", fs, lineartest.Filled("[23-Nov-2026 14:02:10]  [pool ", "x")},
		{"slow blank lines", fs, lineartest.Filled(slowHead, "\n")},
		{"mysql brackets", me, lineartest.Filled("2026-11-23T14:02:10.123456Z 1 ", "[")},
		{"mysql continuation", me, lineartest.Filled("231123 14:02:10 [Note] x", "\nInnoDB: y")},
		{"mysql keywords", me, lineartest.Filled("231123 14:02:10 [Note] ", ": Shutdown complete")},
		{"syslog kill words", sl, lineartest.Filled(bsd+"Out of memory: ", "Killed process 1 (")},
		{"syslog summary", sl, lineartest.Filled(bsd+"oom-kill:constraint=", ",task=,pid=")},
		{"syslog invoked", sl, lineartest.Filled(bsd, " invoked oom-killer")},
		{"syslog unit", sl, lineartest.Filled(bsd, ": A process of this unit")},
		{"syslog 5424 SD", sl, lineartest.Filled("<1>1 2026-11-23T14:02:10Z h a - - ", "[x a=\"\\\"]")},
		{"syslog tag", sl, lineartest.Filled("Nov 23 14:02:10 web1 ", "a")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.rec, func(rec []byte) {
				var ev Event
				_ = tc.p.Parse(rec, &ev)
				Detect([][]byte{rec, rec})
			})
		})
	}
}

// TestDetectIssue3Allocs: Detect allocates nothing on the lines of the
// kinds of issue #3 either.
func TestDetectIssue3Allocs(t *testing.T) {
	lines := textLines(joinCases(fpmSlowCases) + joinMyErrCases() + joinSyslogCases() +
		"[Mon Nov 23 14:02:10 2026] " + oomKilled + "\n2026-11-23T14:02:10,123456+01:00 " + oomInvoked + "\n")
	if n := testing.AllocsPerRun(20, func() { Detect(lines) }); n != 0 {
		t.Errorf("Detect allocates %v times, want 0", n)
	}
	var s syslSpans
	l := []byte("[Mon Nov 23 14:02:10 2026] " + oomKilled)
	if n := testing.AllocsPerRun(20, func() { _ = syslScan(l, &s) }); n != 0 {
		t.Errorf("syslScan allocates %v times, want 0", n)
	}
}
