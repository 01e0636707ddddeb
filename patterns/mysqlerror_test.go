package patterns

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

var (
	filebeatMySQLError = corpusDir + "/elastic-beats/filebeat/module/mysql/error/test/mysql-ubuntu-8.0.15.log"
	filebeatMariaDB    = corpusDir + "/elastic-beats/filebeat/module/mysql/error/test/mariadb-10.4.8.log"
	lnavMySQLError     = lnavDir + "logfile_mysql_error.0"
)

// myErrCase is one record of the MySQL error-log table; the fuzz seeds
// reuse it.
type myErrCase struct {
	name string
	rec  string
	want *MySQLError // nil: the record must fail
	time string      // RFC 3339 UTC, for loc = tableLoc (UTC+1)
	err  string
}

var myErrCases = []myErrCase{
	{
		name: "MySQL 8 ready",
		rec:  `2026-11-23T14:02:10.123456Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.35'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.`,
		want: &MySQLError{Level: "System", Code: "MY-010931", Subsystem: "Server", Message: "/usr/sbin/mysqld: ready for connections. Version: '8.0.35'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.", Event: "ready"},
		time: "2026-11-23T14:02:10.123456Z",
	},
	{
		name: "MySQL 8 start",
		rec:  `2019-03-24T13:44:31.085670Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld (mysqld 8.0.15) starting as process 1688`,
		want: &MySQLError{Level: "System", Code: "MY-010116", Subsystem: "Server", Message: "/usr/sbin/mysqld (mysqld 8.0.15) starting as process 1688", Event: "start"},
		time: "2019-03-24T13:44:31.08567Z",
	},
	{
		name: "MySQL 8 shutdown complete",
		rec:  `2019-03-24T13:44:33.236624Z 0 [System] [MY-010910] [Server] /usr/sbin/mysqld: Shutdown complete (mysqld 8.0.15)  MySQL Community Server - GPL.`,
		want: &MySQLError{Level: "System", Code: "MY-010910", Subsystem: "Server", Message: "/usr/sbin/mysqld: Shutdown complete (mysqld 8.0.15)  MySQL Community Server - GPL.", Event: "shutdown"},
		time: "2019-03-24T13:44:33.236624Z",
	},
	{
		name: "MySQL 8 aborted connection",
		rec:  `2026-11-23T14:02:10.123456Z 4016575 [Note] [MY-010914] [Server] Aborted connection 4016575 to db: 'shop' user: 'app' host: 'localhost' (Got timeout reading communication packets).`,
		want: &MySQLError{Level: "Note", Code: "MY-010914", Subsystem: "Server", ThreadID: 4016575, Message: "Aborted connection 4016575 to db: 'shop' user: 'app' host: 'localhost' (Got timeout reading communication packets).", Event: "aborted_connection"},
		time: "2026-11-23T14:02:10.123456Z",
	},
	{
		name: "MySQL 8 X Plugin ready is not the server",
		rec:  `2019-03-24T13:44:34.572158Z 0 [System] [MY-011323] [Server] X Plugin ready for connections. Socket: '/var/run/mysqld/mysqlx.sock' bind-address: '::' port: 33060`,
		want: &MySQLError{Level: "System", Code: "MY-011323", Subsystem: "Server", Message: "X Plugin ready for connections. Socket: '/var/run/mysqld/mysqlx.sock' bind-address: '::' port: 33060"},
		time: "2019-03-24T13:44:34.572158Z",
	},
	{
		name: "MySQL 8 InnoDB subsystem, log_timestamps = SYSTEM",
		rec:  `2020-08-06T15:25:02.835618+01:00 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin`,
		want: &MySQLError{Level: "Note", Code: "MY-012487", Subsystem: "InnoDB", Message: "DDL log recovery : begin"},
		time: "2020-08-06T14:25:02.835618Z",
	},
	{
		name: "MySQL 5.7 aborted connection",
		rec:  `2026-11-23T14:02:10.123456Z 42 [Note] Aborted connection 42 to db: 'x' user: 'y' host: 'localhost' (Got an error reading communication packets)`,
		want: &MySQLError{Level: "Note", ThreadID: 42, Message: "Aborted connection 42 to db: 'x' user: 'y' host: 'localhost' (Got an error reading communication packets)", Event: "aborted_connection"},
		time: "2026-11-23T14:02:10.123456Z",
	},
	{
		name: "MySQL 5.7 mysqld_safe",
		rec:  `2026-11-23T14:02:10.123456Z mysqld_safe Logging to '/var/log/mysql/error.log'.`,
		want: &MySQLError{Message: "mysqld_safe Logging to '/var/log/mysql/error.log'."},
		time: "2026-11-23T14:02:10.123456Z",
	},
	{
		name: "MariaDB aborted connection (local time)",
		rec:  `2026-11-23 14:02:10 42 [Warning] Aborted connection 42 to db: 'shop' user: 'app' host: 'localhost' (Got an error reading communication packets)`,
		want: &MySQLError{Level: "Warning", ThreadID: 42, Message: "Aborted connection 42 to db: 'shop' user: 'app' host: 'localhost' (Got an error reading communication packets)", Event: "aborted_connection"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "MariaDB ready with Version on the next line",
		rec:  "2019-10-16 17:24:15 0 [Note] /usr/sbin/mysqld: ready for connections.\nVersion: '10.4.8-MariaDB-log'  socket: '/data/mysqldata/mysql.sock'  port: 3306  MariaDB Server",
		want: &MySQLError{Level: "Note", Message: "/usr/sbin/mysqld: ready for connections.\nVersion: '10.4.8-MariaDB-log'  socket: '/data/mysqldata/mysql.sock'  port: 3306  MariaDB Server", Event: "ready"},
		time: "2019-10-16T16:24:15Z",
	},
	{
		name: "MariaDB 10.11 start",
		rec:  `2026-11-23 14:02:10 0 [Note] Starting MariaDB 10.11.19-MariaDB-0+deb12u1 source revision 0123456789abcdef as process 1234`,
		want: &MySQLError{Level: "Note", Message: "Starting MariaDB 10.11.19-MariaDB-0+deb12u1 source revision 0123456789abcdef as process 1234", Event: "start"},
		time: "2026-11-23T13:02:10Z",
	},
	{
		name: "MariaDB crash dump with its stack as continuation",
		rec: "231123 14:02:10 [ERROR] mysqld got signal 11 ;\n" +
			"This could be because you hit a bug. It is also possible that this binary\n" +
			"/usr/sbin/mariadbd(my_print_stacktrace+0x32)[0x55d0c8b5a9f2]",
		want: &MySQLError{Level: "ERROR", Message: "mysqld got signal 11 ;\nThis could be because you hit a bug. It is also possible that this binary\n/usr/sbin/mariadbd(my_print_stacktrace+0x32)[0x55d0c8b5a9f2]", Event: "crash"},
		time: "2023-11-23T13:02:10Z",
	},
	{
		name: "MariaDB native thread id, no level",
		rec:  `2023-02-15 10:20:30 0x7f1234567890  InnoDB: Assertion failure in file /build/storage/innobase/btr/btr0cur.cc line 336`,
		want: &MySQLError{Message: "InnoDB: Assertion failure in file /build/storage/innobase/btr/btr0cur.cc line 336"},
		time: "2023-02-15T09:20:30Z",
	},
	{
		name: "MySQL 5.6 hex thread id",
		rec:  `2014-02-03 10:12:41 7f4a5c1d0700 InnoDB: Operating system error number 2 in a file operation.`,
		want: &MySQLError{Message: "InnoDB: Operating system error number 2 in a file operation."},
		time: "2014-02-03T09:12:41Z",
	},
	{
		name: "MySQL 8 crash",
		rec:  "2026-11-23T14:02:10Z UTC - mysqld got signal 11 ;\nMost likely, you have hit a bug, but this error can also be caused by malfunctioning hardware.",
		want: &MySQLError{Message: "mysqld got signal 11 ;\nMost likely, you have hit a bug, but this error can also be caused by malfunctioning hardware.", Event: "crash"},
		time: "2026-11-23T14:02:10Z",
	},
	{
		name: "old note",
		rec:  `231123 14:02:10 [Note] /usr/sbin/mysqld: Normal shutdown`,
		want: &MySQLError{Level: "Note", Message: "/usr/sbin/mysqld: Normal shutdown"},
		time: "2023-11-23T13:02:10Z",
	},
	{
		name: "old, hour padded with a space",
		rec:  `231123  8:02:10 [ERROR] Can't start server: Bind on TCP/IP port: Address already in use`,
		want: &MySQLError{Level: "ERROR", Message: "Can't start server: Bind on TCP/IP port: Address already in use"},
		time: "2023-11-23T07:02:10Z",
	},
	{
		name: "old shutdown complete",
		rec:  `080721  9:22:20 [Note] /usr/libexec/mysqld: Shutdown complete`,
		want: &MySQLError{Level: "Note", Message: "/usr/libexec/mysqld: Shutdown complete", Event: "shutdown"},
		time: "2008-07-21T08:22:20Z",
	},
	{
		name: "old InnoDB shutdown completed is not the server's",
		rec:  `080721  9:22:20  InnoDB: Shutdown completed; log sequence number 1 3703096531`,
		want: &MySQLError{Message: "InnoDB: Shutdown completed; log sequence number 1 3703096531"},
		time: "2008-07-21T08:22:20Z",
	},
	{
		name: "old InnoDB without a space after the time, continued",
		rec:  "091119 22:27:11InnoDB: Warning: cannot find a free slot for an undo log. Do you have too\nInnoDB: many active transactions running concurrently?",
		want: &MySQLError{Message: "InnoDB: Warning: cannot find a free slot for an undo log. Do you have too\nInnoDB: many active transactions running concurrently?"},
		time: "2009-11-19T21:27:11Z",
	},
	{
		name: "old mysqld_safe start",
		rec:  `080721 03:03:57  mysqld started`,
		want: &MySQLError{Message: "mysqld started", Event: "start"},
		time: "2008-07-21T02:03:57Z",
	},
	{
		name: "mysqld_safe restart after a crash",
		rec:  `091205 04:49:10 mysqld_safe mysqld restarted`,
		want: &MySQLError{Message: "mysqld_safe mysqld restarted", Event: "start"},
		time: "2009-12-05T03:49:10Z",
	},
	{
		name: "old crash",
		rec:  `090902 11:08:43 - mysqld got signal 6 ;`,
		want: &MySQLError{Message: "mysqld got signal 6 ;", Event: "crash"},
		time: "2009-09-02T10:08:43Z",
	},
	{
		name: "general query log line",
		rec:  "191015  9:46:45\t    13 Query\tSHOW /*!50002 GLOBAL */ STATUS",
		err:  "stamp",
	},
	{name: "syslog line", rec: `Nov 23 14:02:10 db mysqld[123]: 2026-11-23 14:02:10 0 [Note] x`, err: "stamp"},
	{name: "bad date", rec: `2026-02-30T14:02:10.123456Z 0 [Note] x`, err: "bad time"},
	{name: "bad old date", rec: `231323 14:02:10 [Note] x`, err: "bad time"},
	{name: "stamp only", rec: `2026-11-23T14:02:10.123456Z 42 `, err: "no message"},
	{name: "continuation line", rec: `Version: '10.4.8-MariaDB-log'  socket: '/tmp/mysql.sock'  port: 3306`, err: "stamp"},
	{name: "crash clock without a date before it", rec: `14:02:10 UTC - mysqld got signal 11 ;`, err: "no date"},
	{name: "empty", rec: ``, err: "stamp"},
}

func TestMySQLErrorParser(t *testing.T) {
	for _, tc := range myErrCases {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := NewParser(KindMySQLError, tableLoc) // fresh: no dated record before
			var ev Event
			err := p.Parse([]byte(tc.rec), &ev)
			if tc.want == nil {
				wantMalformed(t, KindMySQLError, tc.rec, err, tc.err)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != KindMySQLError || ev.MySQL == nil || ev.Slow != nil || ev.Text != tc.rec {
				t.Fatalf("kind/field sets/text wrong: %+v", ev)
			}
			if *ev.MySQL != *tc.want {
				t.Errorf("fields:\n got %#v\nwant %#v", *ev.MySQL, *tc.want)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.time || ev.Time.Location() != time.UTC {
				t.Errorf("Time = %s (%v), want %s UTC", got, ev.Time.Location(), tc.time)
			}
			first, _, _ := strings.Cut(tc.rec, "\n")
			if !StartsRecord(KindMySQLError, []byte(first)) || !formats[KindMySQLError].matches([]byte(first)) {
				t.Error("StartsRecord or matches rejects the first line")
			}
		})
	}
}

// TestMySQLErrorCrashClock: MySQL 5.5–5.7 write the crash line with a UTC
// time of day only; it takes the date that puts it nearest the record
// before it.
func TestMySQLErrorCrashClock(t *testing.T) {
	for _, tc := range []struct {
		name, before, crash, want string
	}{
		{"same day", "2026-11-23T14:02:09.000001Z 0 [Note] x", "14:02:10 UTC - mysqld got signal 11 ;", "2026-11-23T14:02:10Z"},
		{"after midnight UTC", "2026-11-23T23:59:58.5Z 0 [Note] x", "00:00:01 UTC - mysqld got signal 11 ;", "2026-11-24T00:00:01Z"},
		{"local stamps before it", "231123 23:59:59 [Note] x", "22:59:59 UTC - mysqld got signal 6 ;", "2023-11-23T22:59:59Z"}, // UTC+1
		{"local stamps, UTC day before", "231124 00:30:00 [Note] x", "23:30:01 UTC - mysqld got signal 6 ;", "2023-11-23T23:30:01Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _ := NewParser(KindMySQLError, tableLoc)
			var ev Event
			if err := p.Parse([]byte(tc.before), &ev); err != nil {
				t.Fatal(err)
			}
			rec := tc.crash + "\nThis could be because you hit a bug."
			if err := p.Parse([]byte(rec), &ev); err != nil {
				t.Fatal(err)
			}
			if got := ev.Time.Format(time.RFC3339Nano); got != tc.want || ev.MySQL.Event != "crash" || ev.MySQL.Level != "" {
				t.Errorf("time %s event %q level %q, want %s crash", got, ev.MySQL.Event, ev.MySQL.Level, tc.want)
			}
			if !strings.HasPrefix(ev.MySQL.Message, "mysqld got signal") {
				t.Errorf("message %q", ev.MySQL.Message)
			}
		})
	}
}

func TestMySQLErrorJSON(t *testing.T) {
	p, _ := NewParser(KindMySQLError, tableLoc)
	var ev Event
	if err := p.Parse([]byte(myErrCases[3].rec), &ev); err != nil {
		t.Fatal(err)
	}
	want := `{"time":"2026-11-23T14:02:10.123456Z","format":"mysql_error","path":"","offset":0,"level":"Note","code":"MY-010914",` +
		`"subsystem":"Server","thread_id":4016575,"message":"Aborted connection 4016575 to db: 'shop' user: 'app' host: 'localhost' (Got timeout reading communication packets).",` +
		`"event":"aborted_connection"}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("JSON:\n got %s\nwant %s", got, want)
	}
}

// myErrCorpus lists the error logs of public projects and the records
// (0-based, as framed) that must fail, with why.
var myErrCorpus = []struct {
	path   string
	bad    map[int]string // record → part of the error
	events string         // the records' events, in order, "-" for none
}{
	{
		path:   filebeatMySQLError,
		events: "- - - start - - - shutdown start - ready - aborted_connection -",
	},
	{
		// Filebeat's MariaDB sample opens with a line of the general query
		// log (`191015  9:46:45<TAB>    13 Query<TAB>SHOW …`), not of the
		// error log: no error-log record starts with a tab after the time.
		path:   filebeatMariaDB,
		bad:    map[int]string{0: "stamp"},
		events: "- - - - - - - - - - - - - - - - - - - - - ready - - - - -",
	},
	{path: lnavMySQLError, events: "- - - -"},
}

// TestMySQLErrorCorpus parses the public samples record by record, as
// ingest frames them.
func TestMySQLErrorCorpus(t *testing.T) {
	for _, f := range myErrCorpus {
		t.Run(f.path[len(corpusDir)+1:], func(t *testing.T) {
			data := readCorpus(t, f.path)
			if k := Detect(sampleLines(data, 64)); k != KindMySQLError {
				t.Errorf("Detect = %v", k)
			}
			p, _ := NewParser(KindMySQLError, time.UTC)
			var events []string
			for i, r := range frame(KindMySQLError, data) {
				if len(bytes.TrimSpace(r.text)) == 0 {
					continue // ingest skips blank lines
				}
				var ev Event
				err := p.Parse(r.text, &ev)
				if why, bad := f.bad[i]; bad {
					if err == nil || !strings.Contains(err.Error(), why) {
						t.Errorf("record %d: error %v, want one about %q", i, err, why)
					}
					continue
				}
				if err != nil {
					t.Errorf("record %d at %d: %v\n%s", i, r.offset, err, r.text)
					continue
				}
				e := ev.MySQL
				if e.Level == "" || e.Message == "" || ev.Time.Year() < 2019 {
					t.Errorf("record %d: implausible %+v at %v", i, *e, ev.Time)
				}
				ev2 := e.Event
				if ev2 == "" {
					ev2 = "-"
				}
				events = append(events, ev2)
			}
			if got := strings.Join(events, " "); got != f.events {
				t.Errorf("events:\n got %s\nwant %s", got, f.events)
			}
		})
	}
}

func FuzzMySQLError(f *testing.F) {
	for _, tc := range myErrCases {
		f.Add([]byte(tc.rec))
	}
	for _, path := range []string{filebeatMySQLError, filebeatMariaDB, lnavMySQLError} {
		for _, r := range frame(KindMySQLError, readCorpus(f, path)) {
			f.Add(r.text)
		}
	}
	f.Fuzz(func(t *testing.T, rec []byte) {
		p, _ := NewParser(KindMySQLError, time.FixedZone("x", 9*3600))
		var ev Event
		// A dated record first, so that crash lines with a clock only parse.
		_ = p.Parse([]byte("2026-11-23T14:02:10.123456Z 0 [Note] x"), &ev)
		err := p.Parse(rec, &ev)
		first, _, _ := bytes.Cut(rec, []byte("\n"))
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !StartsRecord(KindMySQLError, first) {
			t.Fatal("parsed a record that StartsRecord rejects")
		}
		x := ev.MySQL
		if ev.Kind != KindMySQLError || x == nil || ev.Text != string(rec) || ev.Time.Location() != time.UTC {
			t.Fatalf("kind/field sets/text/zone wrong: %+v", ev)
		}
		if x.ThreadID < 0 {
			t.Fatalf("thread %d", x.ThreadID)
		}
		for _, s := range []string{x.Level, x.Code, x.Subsystem, x.Message} {
			if !isSubstring(ev.Text, s) {
				t.Fatalf("field %q is not part of the record", s)
			}
		}
		checkJSON(t, &ev, map[string]string{"message": x.Message, "level": x.Level, "code": x.Code, "event": x.Event})
	})
}

// mysqlErrorRecords are the records of the MySQL 8 and MariaDB samples.
func mysqlErrorRecords(tb testing.TB) [][]byte {
	var recs [][]byte
	for _, path := range []string{filebeatMySQLError, filebeatMariaDB} {
		for _, r := range frame(KindMySQLError, readCorpus(tb, path)) {
			if myErrStarts(r.text) {
				recs = append(recs, r.text)
			}
		}
	}
	return recs
}

func BenchmarkParseMySQLError(b *testing.B) {
	p, _ := NewParser(KindMySQLError, time.UTC)
	var ev Event
	benchLines(b, mysqlErrorRecords(b), func(r []byte) {
		if err := p.Parse(r, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseMySQLErrorSpans is the scanner without the Event: no
// allocation.
func BenchmarkParseMySQLErrorSpans(b *testing.B) {
	var s myErrSpans
	benchLines(b, mysqlErrorRecords(b), func(r []byte) {
		if err := parseMyErr(r, &s); err != nil {
			b.Fatal(err)
		}
	})
}

// TestMariaDBPaddedHour: MariaDB 10.11 pads a one-digit hour with a space
// (captured from a real server in testdata/scenarios/slow-queries).
func TestMariaDBPaddedHour(t *testing.T) {
	p, _ := NewParser(KindMySQLError, time.UTC)
	var ev Event
	line := "2026-11-24  0:30:12 0 [Note] Starting MariaDB 10.11.19-MariaDB-0+deb12u1-log source revision 5843d84 as process 28693"
	if err := p.Parse([]byte(line), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Time != time.Date(2026, 11, 24, 0, 30, 12, 0, time.UTC) || ev.MySQL.Level != "Note" || ev.MySQL.Event != "start" {
		t.Errorf("%s", ev.AppendJSON(nil))
	}
	if got := Detect(sampleLines(readCorpus(t, "../testdata/scenarios/slow-queries/mysql-error.log"), 40)); got != KindMySQLError {
		t.Errorf("Detect = %v", got)
	}
}
