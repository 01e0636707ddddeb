package patterns

import (
	"strings"
	"testing"
	"time"
)

// fpmCase is one record of the PHP-FPM table; the fuzz seeds reuse it.
type fpmCase struct {
	name string
	rec  string
	want *FPMError // nil: the record must fail
	time string    // RFC 3339 UTC, for loc = tableLoc (UTC+1)
	err  string
}

var fpmCases = []fpmCase{
	{
		name: "max_children reached",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it`,
		want: &FPMError{Level: "WARNING", Pool: "www", Message: "server reached pm.max_children setting (4), consider raising it"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "ondemand max_children reached",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool shop-api] server reached max_children setting (16), consider raising it`,
		want: &FPMError{Level: "WARNING", Pool: "shop-api", Message: "server reached max_children setting (16), consider raising it"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "master notice",
		rec:  `[23-Nov-2026 14:02:10] NOTICE: fpm is running, pid 1234`,
		want: &FPMError{Level: "NOTICE", Message: "fpm is running, pid 1234"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "child killed",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234 exited on signal 9 (SIGKILL) after 12.345678 seconds from start`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: "child 1234 exited on signal 9 (SIGKILL) after 12.345678 seconds from start"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "child segfault",
		rec:  `[23-Nov-2026 14:02:11] WARNING: [pool www] child 4321 exited on signal 11 (SIGSEGV - core dumped) after 0.500000 seconds from start`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 4321, Message: "child 4321 exited on signal 11 (SIGSEGV - core dumped) after 0.500000 seconds from start"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "child started",
		rec:  `[23-Nov-2026 14:02:11] NOTICE: [pool www] child 4400 started`,
		want: &FPMError{Level: "NOTICE", Pool: "www", Child: 4400, Message: "child 4400 started"},
		time: "2026-11-23T13:02:11Z",
	},
	{
		name: "execution timed out",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234, script '/var/www/slow.php' (request: "GET /slow.php") execution timed out (5.012345 sec), terminating`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: `child 1234, script '/var/www/slow.php' (request: "GET /slow.php") execution timed out (5.012345 sec), terminating`,
			Script: "/var/www/slow.php", Request: "GET /slow.php", Duration: 5.012345},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "executing too slow",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234, script '/var/www/index.php' (request: "GET /index.php?id=1") executing too slow (3.001234 sec), logging`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: `child 1234, script '/var/www/index.php' (request: "GET /index.php?id=1") executing too slow (3.001234 sec), logging`,
			Script: "/var/www/index.php", Request: "GET /index.php?id=1", Duration: 3.001234},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "worker stderr",
		rec:  `[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234 said into stderr: "NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/a.php on line 7"`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: `child 1234 said into stderr: "NOTICE: PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/a.php on line 7"`},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "very old worker stderr",
		rec:  `[23-Nov-2016 14:02:10] WARNING: child 1234 (pool www) said into stderr: "x"`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 1234, Message: `child 1234 (pool www) said into stderr: "x"`},
		time: "2016-11-23T13:02:10Z",
	},
	{
		name: "debug form",
		rec:  `[23-Nov-2026 14:02:10.123456] DEBUG: pid 1, fpm_pctl_perform_idle_server_maintenance(), line 378: [pool www] currently 0 active children, 2 spare children, 2 running children. Spawning rate 1`,
		want: &FPMError{Level: "DEBUG", Pool: "www", Message: "currently 0 active children, 2 spare children, 2 running children. Spawning rate 1"},
		time: "2026-11-23T13:02:10.123456Z",
	},
	{
		name: "warning at debug log level",
		rec:  `[23-Nov-2026 14:02:10.000001] WARNING: pid 1, fpm_children_bury(), line 256: [pool www] child 77 exited on signal 15 (SIGTERM) after 30.000000 seconds from start`,
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 77, Message: "child 77 exited on signal 15 (SIGTERM) after 30.000000 seconds from start"},
		time: "2026-11-23T13:02:10.000001Z",
	},
	{
		name: "syserror suffix",
		rec:  `[23-Nov-2026 14:02:10] ERROR: unable to bind listening socket for address '/run/php/php-fpm.sock': Address already in use (98)`,
		want: &FPMError{Level: "ERROR", Message: "unable to bind listening socket for address '/run/php/php-fpm.sock': Address already in use (98)"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "alert unknown child",
		rec:  `[29-Feb-2024 00:30:00] ALERT: oops, unknown child (4242) exited on signal 9 (SIGKILL). Please open a bug report (https://github.com/php/php-src/issues).`,
		want: &FPMError{Level: "ALERT", Message: "oops, unknown child (4242) exited on signal 9 (SIGKILL). Please open a bug report (https://github.com/php/php-src/issues)."},
		time: "2024-02-28T23:30:00Z",
	},
	{
		name: "child word that is not a pid",
		rec:  `[23-Nov-2026 14:02:10] NOTICE: [pool www] child processes are being restarted`,
		want: &FPMError{Level: "NOTICE", Pool: "www", Message: "child processes are being restarted"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "continuation line and CRLF",
		rec:  "[23-Nov-2026 14:02:10] WARNING: [pool www] child 5 said into stderr: \"line one\nline two\"\r",
		want: &FPMError{Level: "WARNING", Pool: "www", Child: 5, Message: "child 5 said into stderr: \"line one\nline two\""},
		time: "2026-11-23T13:02:10Z",
	},
	{name: "slow-log entry", rec: `[23-Nov-2026 14:02:10]  [pool www] pid 12345`, err: "LEVEL"},
	{name: "no stamp", rec: `WARNING: [pool www] server reached pm.max_children setting (4)`, err: "stamp"},
	{name: "empty", rec: ``, err: "stamp"},
	{name: "bad month", rec: `[23-Nox-2026 14:02:10] NOTICE: x`, err: "stamp"},
	{name: "no such date", rec: `[31-Nov-2026 14:02:10] NOTICE: x`, err: "bad time"},
	{name: "minute 60", rec: `[30-Nov-2026 14:60:10] NOTICE: x`, err: "bad time"},
	{name: "lower-case level", rec: `[30-Nov-2026 14:02:10] notice: x`, err: "LEVEL"},
}

func TestFPMParser(t *testing.T) {
	p, err := NewParser(KindFPMError, tableLoc)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range fpmCases {
		t.Run(tc.name, func(t *testing.T) {
			var ev Event
			err := p.Parse([]byte(tc.rec), &ev)
			if tc.want == nil {
				wantMalformed(t, KindFPMError, tc.rec, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindFPMError || ev.FPM == nil || ev.Access != nil || ev.Error != nil || ev.Text != tc.rec {
				t.Fatalf("kind/field sets/text wrong: %+v", ev)
			}
			if *ev.FPM != *tc.want {
				t.Errorf("fields:\n got %#v\nwant %#v", *ev.FPM, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, ev.Time.Location(), tc.time)
			}
		})
	}
}

// TestFPMWrappedWorkerOutput: php-fpm wraps long worker output into several
// lines, each with its prefix; the first ones have no closing quote, the last
// one may end with ", pipe is closed" (catalog §3.1).
func TestFPMWrappedWorkerOutput(t *testing.T) {
	p, _ := NewParser(KindFPMError, time.UTC)
	for _, rec := range []string{
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 77 said into stderr: "NOTICE: PHP message: PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [1040] Too many connections in /var/www/db.php:12`,
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 77 said into stderr: "Stack trace:"`,
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 77 said into stderr: "#0 /var/www/db.php(12): PDO->__construct()", pipe is closed`,
	} {
		var ev Event
		if err := p.Parse([]byte(rec), &ev); err != nil {
			t.Fatalf("%q: %v", rec, err)
		}
		if ev.FPM.Pool != "www" || ev.FPM.Child != 77 || !strings.HasPrefix(ev.FPM.Message, "child 77 said into stderr: ") {
			t.Errorf("%q: %+v", rec, ev.FPM)
		}
	}
}

// TestFPMSlowRequestFields: the script, request and duration of the
// "executing too slow" and "execution timed out" messages.
func TestFPMSlowRequestFields(t *testing.T) {
	p, _ := NewParser(KindFPMError, time.UTC)
	for rec, want := range map[string]FPMError{
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234, script '/var/www/report.php' (request: "GET /report.php?y=2026") executing too slow (5.012345 sec), logging`: {
			Script: "/var/www/report.php", Request: "GET /report.php?y=2026", Duration: 5.012345},
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234, script '/var/www/a (1).php' (request: "POST /a ") x") execution timed out (30.001000 sec), terminating`: {
			Script: "/var/www/a (1).php", Request: `POST /a ") x`, Duration: 30.001},
		`[23-Nov-2026 14:02:10] WARNING: [pool www] child 1234 exited on signal 9 (SIGKILL) after 12.345678 seconds from start`: {},
	} {
		var ev Event
		if err := p.Parse([]byte(rec), &ev); err != nil {
			t.Fatal(err)
		}
		f := ev.FPM
		if f.Script != want.Script || f.Request != want.Request || f.Duration != want.Duration || f.Child != 1234 {
			t.Errorf("%q: script %q request %q duration %v", rec, f.Script, f.Request, f.Duration)
		}
	}
	var ev Event
	p.Parse([]byte(`[23-Nov-2026 14:02:10] WARNING: [pool www] child 7, script '/x.php' (request: "GET /x.php") executing too slow (2.5 sec), logging`), &ev)
	if got := string(ev.AppendJSON(nil)); !strings.Contains(got, `"pid":7,"script":"/x.php","request":"GET /x.php","duration":2.5,`) {
		t.Errorf("JSON %s", got)
	}
}
