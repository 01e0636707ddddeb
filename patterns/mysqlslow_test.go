package patterns

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logcause/logcause/internal/lineartest"
)

var (
	perconaSlowDir    = corpusDir + "/percona-go-mysql/test/slow-logs/"
	perconaResultsDir = corpusDir + "/percona-go-mysql/test/results/"
	filebeatSlowDir   = corpusDir + "/elastic-beats/filebeat/module/mysql/slowlog/test/"
	lnavMySQLSlow     = lnavDir + "logfile_mysql_slow.0"
)

// slowStep is one record fed to a parser and what it must give.
type slowStep struct {
	rec  string
	err  string     // part of the error; "no event" for ErrNoEvent
	time string     // RFC 3339 (with fraction when there is one)
	want *SlowQuery // compared field by field; Fingerprint and QueryID are checked apart
}

// slowCases are sequences of records fed, in order, to one parser (in UTC
// unless the name says otherwise).
var slowCases = []struct {
	name  string
	loc   *time.Location
	steps []slowStep
}{
	{"mysql 8.0 with log_slow_extra", nil, []slowStep{
		{rec: "/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument", err: "no event"},
		{rec: "# Time: 2019-03-24T14:04:53.713951Z", err: "no event"},
		{rec: "# User@Host: root[root] @ localhost []  Id:    16\n# Query_time: 2.631844  Lock_time: 0.000145 Rows_sent: 10  Rows_examined: 3145718 Thread_id: 16 Errno: 0 Killed: 0 Bytes_received: 0 Bytes_sent: 312 Read_first: 1 Start: 2019-03-24T14:04:51.082107Z End: 2019-03-24T14:04:53.713951Z\nuse employees;\nSET timestamp=1553436291;\nSELECT last_name FROM employees\n    LIMIT 10;",
			time: "2019-03-24T14:04:53.713951Z",
			want: &SlowQuery{User: "root", Host: "localhost", Schema: "employees", ThreadID: 16, QueryTime: 2.631844, LockTime: 0.000145, RowsSent: 10, RowsExamined: 3145718, BytesSent: 312,
				Query: "SELECT last_name FROM employees\n    LIMIT 10;",
				Extra: map[string]string{"errno": "0", "killed": "0", "bytes_received": "0", "read_first": "1", "start": "2019-03-24T14:04:51.082107Z", "end": "2019-03-24T14:04:53.713951Z"}}},
		// "use" is written only when the database changes: it carries over.
		{rec: "# Time: 2019-03-24T16:04:53+02:00", err: "no event"},
		{rec: "# User@Host: app[app] @  [10.0.0.5]  Id:    17\n# Query_time: 0.5  Lock_time: 0.1 Rows_sent: 1  Rows_examined: 2\nSET timestamp=1553436292;\nSELECT 1;",
			time: "2019-03-24T14:04:53Z",
			want: &SlowQuery{User: "app", IP: "10.0.0.5", Schema: "employees", ThreadID: 17, QueryTime: 0.5, LockTime: 0.1, RowsSent: 1, RowsExamined: 2, Query: "SELECT 1;"}},
		// A restart: the header takes the time of the entry before it, and
		// ends the "use" in effect.
		{rec: "/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:\nTcp port: 0  Unix socket: /var/run/mysqld/mysqld.sock\nTime                 Id Command    Argument",
			time: "2019-03-24T14:04:53Z",
			want: &SlowQuery{Restart: true, Server: "/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL)", Extra: map[string]string{"tcp_port": "0", "unix_socket": "/var/run/mysqld/mysqld.sock"}}},
		{rec: "# Time: 2019-03-24T14:10:00.5-01:30", err: "no event"},
		{rec: "# User@Host: app[app] @  [10.0.0.5]  Id:     1\n# Query_time: 1.000000  Lock_time: 0.000000 Rows_sent: 0  Rows_examined: 0\nSET timestamp=1553436292;\nSELECT 2;",
			time: "2019-03-24T15:40:00.5Z",
			want: &SlowQuery{User: "app", IP: "10.0.0.5", ThreadID: 1, QueryTime: 1, Query: "SELECT 2;"}},
	}},
	{"mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone", time.FixedZone("-05:00", -5*3600), []slowStep{
		{rec: "# Time: 081127  8:51:20", err: "no event"},
		{rec: "# User@Host: mytopuser[mytopuser] @  [10.1.12.201]\n# Thread_id: 39947  Schema: test\n# Query_time: 0.149435  Lock_time: 0.000070  Rows_sent: 226  Rows_examined: 226\nuse test;\nSHOW STATUS;",
			time: "2008-11-27T13:51:20Z",
			want: &SlowQuery{User: "mytopuser", IP: "10.1.12.201", Schema: "test", ThreadID: 39947, QueryTime: 0.149435, LockTime: 0.00007, RowsSent: 226, RowsExamined: 226, Query: "SHOW STATUS;"}},
		// no # Time of its own: the one above still applies (not SET timestamp)
		{rec: "# User@Host: mytopuser[mytopuser] @  [10.1.12.201]\n# Thread_id: 39947  Schema: \n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nSET insert_id=34484549,timestamp=1227793881;\n# administrator command: Quit;",
			time: "2008-11-27T13:51:20Z",
			want: &SlowQuery{User: "mytopuser", IP: "10.1.12.201", ThreadID: 39947, QueryTime: 2, RowsSent: 1, Query: "administrator command: Quit"}},
		{rec: "# Time: 081127 10:00:01.5 # User@Host: [SQL_SLAVE] @  []\n# Query_time: 0.000012  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\nBEGIN;",
			time: "2008-11-27T15:00:01.5Z",
			want: &SlowQuery{User: "SQL_SLAVE", Schema: "test", QueryTime: 0.000012, Query: "BEGIN;"}},
		// A bad # Time is an error of its own; the entry after it falls
		// back to SET timestamp.
		{rec: "# Time: ", err: "bad \"# Time:\""},
		{rec: "# User@Host: root[root] @ localhost []\n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nSET timestamp=1227800000;\nselect 1;",
			time: "2008-11-27T15:33:20Z",
			want: &SlowQuery{User: "root", Host: "localhost", Schema: "test", QueryTime: 2, RowsSent: 1, Query: "select 1;"}},
		// Neither: the time of the previous event.
		{rec: "# User@Host: root[root] @ localhost []\n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nselect 2;",
			time: "2008-11-27T15:33:20Z",
			want: &SlowQuery{User: "root", Host: "localhost", Schema: "test", QueryTime: 2, RowsSent: 1, Query: "select 2;"}},
		// A restart ends the "# Time:" and the "use" in effect: the next
		// entry falls back to its SET timestamp.
		{rec: "# Time: 081127 11:00:00", err: "no event"},
		{rec: "/usr/sbin/mysqld, Version: 5.1.30-log (Source). started with:\nTcp port: 3306  Unix socket: /tmp/mysql.sock\nTime                 Id Command    Argument",
			time: "2008-11-27T15:33:20Z",
			want: &SlowQuery{Restart: true, Server: "/usr/sbin/mysqld, Version: 5.1.30-log (Source)", Extra: map[string]string{"tcp_port": "3306", "unix_socket": "/tmp/mysql.sock"}}},
		{rec: "# User@Host: root[root] @ localhost []\n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nSET timestamp=1227801000;\nselect 3;",
			time: "2008-11-27T15:50:00Z",
			want: &SlowQuery{User: "root", Host: "localhost", QueryTime: 2, RowsSent: 1, Query: "select 3;"}},
		{rec: "# Time: 081131  8:51:20", err: "bad \"# Time:\""},
		{rec: "# Time: 081131  8:51:20\nSELECT 1;", err: "bad \"# Time:\""},
		{rec: "# Time: 081127 24:00:00", err: "bad \"# Time:\""},
		{rec: "# Time: 2008-11-27 08:51:20", err: "bad \"# Time:\""},
	}},
	{"mariadb with query plan and explain", nil, []slowStep{
		{rec: "mysqld, Version: 10.3.13-MariaDB-1:10.3.13+maria~bionic-log (mariadb.org binary distribution). started with:\nTcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\nTime\t\t    Id Command\tArgument", err: "no event"},
		{rec: "# Time: 190324 16:03:00", err: "no event"},
		{rec: "# User@Host: root[root] @ localhost []\n# Thread_id: 37  Schema: employees  QC_hit: No\n# Query_time: 2.461578  Lock_time: 0.000196  Rows_sent: 10  Rows_examined: 3145718\n# Rows_affected: 0  Bytes_sent: 319\n# Tmp_tables: 1  Tmp_disk_tables: 0  Tmp_table_sizes: 4026528\n# Full_scan: Yes  Full_join: No  Tmp_table: Yes  Tmp_table_on_disk: No\n# Filesort: Yes  Filesort_on_disk: No  Merge_passes: 0  Priority_queue: Yes\n#\n# explain: id\tselect_type\ttable\n# explain: 1\tSIMPLE\tNULL\n#\nSET timestamp=1553443380;\nSELECT last_name FROM employees;",
			time: "2019-03-24T16:03:00Z",
			want: &SlowQuery{User: "root", Host: "localhost", Schema: "employees", ThreadID: 37, QueryTime: 2.461578, LockTime: 0.000196, RowsSent: 10, RowsExamined: 3145718, BytesSent: 319,
				Query: "SELECT last_name FROM employees;",
				Extra: map[string]string{"qc_hit": "No", "tmp_tables": "1", "tmp_disk_tables": "0", "tmp_table_sizes": "4026528", "full_scan": "Yes", "full_join": "No",
					"tmp_table": "Yes", "tmp_table_on_disk": "No", "filesort": "Yes", "filesort_on_disk": "No", "merge_passes": "0", "priority_queue": "Yes",
					"explain": "id\tselect_type\ttable\n1\tSIMPLE\tNULL"}}},
		// An empty Schema attribute: no database (not the carried one).
		{rec: "# User@Host: root[root] @ localhost []\n# Thread_id: 8  Schema:   QC_hit: No\n# Query_time: 0.000277  Lock_time: 0.000000  Rows_sent: 1  Rows_examined: 0\n# Rows_affected: 0\nSET timestamp=1553443380;\nSELECT 1;",
			time: "2019-03-24T16:03:00Z",
			want: &SlowQuery{User: "root", Host: "localhost", ThreadID: 8, QueryTime: 0.000277, RowsSent: 1, Query: "SELECT 1;", Extra: map[string]string{"qc_hit": "No"}}},
	}},
	{"percona extended, single spaces, odd attributes", nil, []slowStep{
		{rec: "# User@Host: foo[foo] @ [host]\n# Thread_id: 342 Schema:  Last_errno: 1 Killed: 2\n# Query_time: 0.000173 Lock_time: 0.000048 Rows_sent: 18 Rows_examined:19 \n# No InnoDB statistics available for this query\n#   InnoDB_IO_r_ops: 5491  InnoDB_IO_r_wait: 0.003183\n# InnoDB_trx_id: 1A88583F\n# Log_slow_rate_type: query  Log_slow_rate_limit: 2\nSET timestamp=1274159461;\nselect /*x*/ foo;",
			time: "2010-05-18T05:11:01Z",
			want: &SlowQuery{User: "foo", IP: "host", ThreadID: 342, QueryTime: 0.000173, LockTime: 0.000048, RowsSent: 18, RowsExamined: 19, Query: "select /*x*/ foo;",
				Extra: map[string]string{"last_errno": "1", "killed": "2", "innodb_io_r_ops": "5491", "innodb_io_r_wait": "0.003183", "innodb_trx_id": "1A88583F", "log_slow_rate_type": "query", "log_slow_rate_limit": "2"}}},
		// priv_user differs from the user; a key that collides with a
		// JSON field, and a known key with a bad number, are prefixed.
		{rec: "# User@Host: app_rw[bob] @ web1 [10.0.0.9]  Id: 7\n# Query_time: fast  Lock_time: 0 Rows_sent: 1  Rows_examined: 1\n# User: x  Host: y  Bytes_sent: 12\nSET timestamp=1274159462;\nselect 1;",
			time: "2010-05-18T05:11:02Z",
			want: &SlowQuery{User: "bob", Host: "web1", IP: "10.0.0.9", ThreadID: 7, RowsSent: 1, RowsExamined: 1, BytesSent: 12, Query: "select 1;",
				Extra: map[string]string{"priv_user": "app_rw", "attr_query_time": "fast", "attr_user": "x", "attr_host": "y"}}},
		// The statement may hold lines that start with '#'; a "use" with no
		// statement after it is the statement.
		{rec: "# User@Host: a[a] @ h []\n# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1274159463;\nuse `other db`;",
			time: "2010-05-18T05:11:03Z",
			want: &SlowQuery{User: "a", Host: "h", QueryTime: 1, Schema: "other db", Query: "use `other db`;"}},
		{rec: "# User@Host: a[a] @ h []\n# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1274159464;\n\n### Channels ###\nSELECT 1\n# not an attribute\nFROM t;\n\n",
			time: "2010-05-18T05:11:04Z",
			want: &SlowQuery{User: "a", Host: "h", QueryTime: 1, Schema: "other db", Query: "### Channels ###\nSELECT 1\n# not an attribute\nFROM t;"}},
		// CRLF line ends
		{rec: "# User@Host: a[a] @ h []\r\n# Query_time: 1.5  Lock_time: 0  Rows_sent: 3  Rows_examined: 4\r\nSET timestamp=1274159465;\r\nSELECT 1;\r",
			time: "2010-05-18T05:11:05Z",
			want: &SlowQuery{User: "a", Host: "h", QueryTime: 1.5, RowsSent: 3, RowsExamined: 4, Schema: "other db", Query: "SELECT 1;"}},
		// SET statements that are queries, not the server's SET timestamp.
		{rec: "# User@Host: a[a] @ h []\n# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1274159466;\nSET NAMES utf8;",
			time: "2010-05-18T05:11:06Z",
			want: &SlowQuery{User: "a", Host: "h", QueryTime: 1, Schema: "other db", Query: "SET NAMES utf8;"}},
		// "# User@Host: " empty, an entry without a statement.
		{rec: "# User@Host: \n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0",
			time: "2010-05-18T05:11:06Z",
			want: &SlowQuery{QueryTime: 2, RowsSent: 1, Schema: "other db"}},
	}},
	{"records that yield no event or are malformed", nil, []slowStep{
		{rec: "", err: "no event"},
		{rec: "\n  \n", err: "no event"},
		{rec: "#", err: "no event"},
		{rec: "/usr/sbin/mysqld, Version: 5.7.12-log ((Ubuntu)). started with:", err: "no event"},
		{rec: "SELECT * FROM t;", err: "without \"# User@Host:\""},
		{rec: "use db;", err: "without \"# User@Host:\""},
		{rec: "# User@Host: root[root] @ localhost []\n# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nselect 1;", err: "without a time"},
		{rec: "# Query_time: 2  Lock_time: 0  Rows_sent: 1  Rows_examined: 0\nSET timestamp=1700000000;\n# administrator command: Quit;", // the tail of an entry, at the top of a file
			time: "2023-11-14T22:13:20Z",
			want: &SlowQuery{QueryTime: 2, RowsSent: 1, Query: "administrator command: Quit"}},
		{rec: "# Time: 231114 22:13:21\nSELECT 2;", // a # Time with a statement: an entry
			time: "2023-11-14T22:13:21Z",
			want: &SlowQuery{Query: "SELECT 2;"}},
		{rec: "C:\\mysql\\bin\\mysqld.exe, Version: 5.1.30-community-log (MySQL Community Server (GPL)). started with:\nTCP Port: 3306, Named Pipe: (null)\nTime                 Id Command    Argument",
			time: "2023-11-14T22:13:21Z",
			want: &SlowQuery{Restart: true, Server: "C:\\mysql\\bin\\mysqld.exe, Version: 5.1.30-community-log (MySQL Community Server (GPL))", Extra: map[string]string{"tcp_port": "3306", "named_pipe": "(null)"}}},
	}},
}

func TestMySQLSlowParse(t *testing.T) {
	for _, tc := range slowCases {
		t.Run(tc.name, func(t *testing.T) {
			loc := tc.loc
			if loc == nil {
				loc = time.UTC
			}
			p, err := NewParser(KindMySQLSlow, loc)
			if err != nil {
				t.Fatal(err)
			}
			for i, st := range tc.steps {
				ev := Event{Path: "p", Offset: 7}
				err := p.Parse([]byte(st.rec), &ev)
				if st.err != "" {
					switch {
					case st.err == "no event" && !errors.Is(err, ErrNoEvent),
						st.err != "no event" && (!errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), st.err)):
						t.Errorf("step %d: error %v, want %q", i, err, st.err)
					}
					if ev.Slow != nil || ev.Path != "p" || ev.Offset != 7 {
						t.Errorf("step %d: event changed on error: %+v", i, ev)
					}
					continue
				}
				if err != nil {
					t.Errorf("step %d: %v", i, err)
					continue
				}
				if ev.Kind != KindMySQLSlow || ev.Text != st.rec || ev.Path != "p" || ev.Offset != 7 || ev.Time.Location() != time.UTC {
					t.Errorf("step %d: kind/text/path/offset/zone wrong: %+v", i, ev)
				}
				if got := ev.Time.Format(time.RFC3339Nano); got != st.time {
					t.Errorf("step %d: time %s, want %s", i, got, st.time)
				}
				got := *ev.Slow
				if got.Query != "" {
					if got.Fingerprint != Fingerprint(got.Query) || got.QueryID != QueryID(got.Fingerprint) {
						t.Errorf("step %d: fingerprint %q id %q", i, got.Fingerprint, got.QueryID)
					}
				} else if got.Fingerprint != "" || got.QueryID != "" {
					t.Errorf("step %d: fingerprint without query", i)
				}
				got.Fingerprint, got.QueryID = "", ""
				if len(got.Extra) == 0 {
					got.Extra = nil
				}
				if !equalSlow(got, *st.want) {
					t.Errorf("step %d:\n got %+v\nwant %+v", i, got, *st.want)
				}
				checkSlowJSON(t, &ev)
			}
		})
	}
}

func equalSlow(a, b SlowQuery) bool {
	ea, eb := a.Extra, b.Extra
	a.Extra, b.Extra = nil, nil
	if !reflect.DeepEqual(a, b) || len(ea) != len(eb) {
		return false
	}
	for k, v := range ea {
		if w, ok := eb[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// checkSlowJSON checks that the JSON of ev is valid, has no key twice, and
// carries the fields back.
func checkSlowJSON(t *testing.T, ev *Event) {
	t.Helper()
	out := ev.AppendJSON(nil)
	if !json.Valid(out) {
		t.Fatalf("invalid JSON: %s", out)
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]any{}
	for dec.More() {
		k, _ := dec.Token()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		if _, dup := seen[k.(string)]; dup {
			t.Fatalf("key %q twice in %s", k, out)
		}
		seen[k.(string)] = v
	}
	s := ev.Slow
	if utf8.ValidString(ev.Text) {
		for k, v := range map[string]string{"query": s.Query, "user": s.User, "schema": s.Schema, "fingerprint": s.Fingerprint, "server": s.Server} {
			if got, _ := seen[k].(string); got != v {
				t.Fatalf("JSON %s = %q, want %q", k, got, v)
			}
		}
		for k, v := range s.Extra {
			if got, _ := seen[k].(string); got != v {
				t.Fatalf("JSON extra %s = %q, want %q", k, got, v)
			}
		}
	}
	if !s.Restart {
		if n, _ := seen["query_time"].(json.Number); n.String() == "" {
			t.Fatalf("no query_time in %s", out)
		} else if f, _ := n.Float64(); f != s.QueryTime {
			t.Fatalf("query_time %v, want %v", f, s.QueryTime)
		}
	} else if seen["restart"] != true {
		t.Fatalf("no restart in %s", out)
	}
}

// slowCorpus lists the slow logs of the corpus.
func slowCorpus(t testing.TB) []string {
	files, err := filepath.Glob(perconaSlowDir + "*.log")
	if err != nil || len(files) != 29 {
		t.Fatalf("percona-go-mysql slow logs: %d files, %v", len(files), err)
	}
	return append(files, filebeatSlowDir+"mysql-ubuntu-8.0.15.log", filebeatSlowDir+"mariadb-10.3.13.log",
		filebeatSlowDir+"percona-ubuntu-8.0.15.log", lnavMySQLSlow)
}

// slowCorpusErrors are the records of the corpus that do not parse, by file
// and offset, with part of the error.
var slowCorpusErrors = map[string]map[int64]string{
	// These three logs (Percona 5.0/5.1 samples, replication threads and
	// test fragments) carry neither "# Time:" nor "SET timestamp=" at all:
	// their entries cannot be placed in time. TestPerconaAggregates still
	// reads their fields.
	"slow008.log": {0: "without a time", 220: "without a time", 434: "without a time"},
	"slow015.log": {0: "without a time", 81845: "without a time"},
	"slow018.log": {0: "without a time", 339: "without a time", 674: "without a time", 1011: "without a time"},
	// The file starts with the last line of an entry whose header is not in
	// it (a log cut in the middle of an entry).
	"slow017.log": {0: "without \"# User@Host:\""},
	// "# Time: " with no stamp: the line is reported, the entry after it
	// parses (with the time of the entry before).
	"slow024.log": {361: "bad \"# Time:\""},
}

// slowCorpusFragments counts the entries of a file that have no
// "# User@Host:" line (slow016 starts with the tail of an entry).
var slowCorpusFragments = map[string]int{"slow016.log": 1}

func TestMySQLSlowCorpus(t *testing.T) {
	for _, path := range slowCorpus(t) {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			data := readCorpus(t, path)
			p, _ := NewParser(KindMySQLSlow, time.UTC)
			entries, restarts, timeless := 0, 0, 0
			bad := slowCorpusErrors[name]
			for _, r := range frame(KindMySQLSlow, data) {
				var ev Event
				err := p.Parse(r.text, &ev)
				if why, ok := bad[r.offset]; ok {
					if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), why) {
						t.Errorf("@%d: error %v, want one about %q", r.offset, err, why)
					}
					if why == "without a time" {
						timeless++
					}
					continue
				}
				if errors.Is(err, ErrNoEvent) {
					continue
				}
				if err != nil {
					t.Errorf("@%d: %v\n%s", r.offset, err, r.text)
					continue
				}
				s := ev.Slow
				if ev.Time.IsZero() || ev.Time.Location() != time.UTC || ev.Text != string(r.text) {
					t.Errorf("@%d: time %v or text wrong", r.offset, ev.Time)
				}
				if s.Restart {
					restarts++
					if !strings.Contains(s.Server, ", Version: ") {
						t.Errorf("@%d: server %q", r.offset, s.Server)
					}
				} else {
					entries++
					if s.Query == "" || s.Fingerprint == "" || len(s.QueryID) != 16 {
						t.Errorf("@%d: no query or fingerprint: %+v", r.offset, *s)
					}
					if s.QueryTime < 0 || s.LockTime < 0 || s.RowsSent < 0 || s.RowsExamined < 0 {
						t.Errorf("@%d: negative numbers %+v", r.offset, *s)
					}
				}
				checkSlowJSON(t, &ev)
			}
			// Every entry and every mid-file header is accounted for.
			wantEntries, wantRestarts, seenEntry := slowCorpusFragments[name], 0, false
			for _, l := range physicalLines(data) {
				switch {
				case bytes.Contains(l, prefixSlowUser):
					wantEntries++
					seenEntry = true
				case slowServerLine(l) && seenEntry:
					wantRestarts++
				}
			}
			if entries+timeless != wantEntries || restarts != wantRestarts {
				t.Errorf("%d entries (+%d without time), %d restarts; the file has %d entries, %d headers after an entry",
					entries, timeless, restarts, wantEntries, wantRestarts)
			}
		})
	}
}

// TestMySQLSlowCorpusZone: slow012 holds entries with only SET timestamp
// (epoch seconds) and a "# Time:" of the same second in local time; read in
// the server's zone (UTC-7), both agree.
func TestMySQLSlowCorpusZone(t *testing.T) {
	p, _ := NewParser(KindMySQLSlow, time.FixedZone("-07:00", -7*3600))
	var times []string
	for _, r := range frame(KindMySQLSlow, readCorpus(t, perconaSlowDir+"slow012.log")) {
		var ev Event
		if err := p.Parse(r.text, &ev); err == nil {
			times = append(times, ev.Time.Format(time.RFC3339))
		}
	}
	want := []string{"2014-04-14T02:34:12Z", "2014-04-14T02:34:12Z", "2014-04-14T02:34:13Z"}
	if strings.Join(times, " ") != strings.Join(want, " ") {
		t.Errorf("times %v, want %v", times, want)
	}
}

// TestFilebeatMySQLSlow compares the MySQL 8.0 sample with Filebeat's
// expected documents. Filebeat frames an entry from "# User@Host:" (so do
// we: the "# Time:" line before it is a record of its own) and takes
// @timestamp from SET timestamp, which MySQL 8.0 writes at the query's start:
// it is Time − QueryTime, to the second.
func TestFilebeatMySQLSlow(t *testing.T) {
	var expected []map[string]any
	if err := json.Unmarshal(readCorpus(t, filebeatSlowDir+"mysql-ubuntu-8.0.15.log-expected.json"), &expected); err != nil {
		t.Fatal(err)
	}
	p, _ := NewParser(KindMySQLSlow, time.UTC)
	var events []Event
	var offsets []int64
	for _, r := range frame(KindMySQLSlow, readCorpus(t, filebeatSlowDir+"mysql-ubuntu-8.0.15.log")) {
		var ev Event
		if err := p.Parse(r.text, &ev); err == nil {
			events, offsets = append(events, ev), append(offsets, r.offset)
		} else if !errors.Is(err, ErrNoEvent) {
			t.Fatalf("@%d: %v", r.offset, err)
		}
	}
	if len(events) != len(expected) {
		t.Fatalf("%d events, Filebeat has %d", len(events), len(expected))
	}
	// Filebeat's name → our Extra key, where they differ.
	rename := map[string]string{"last_errno": "errno", "tmp_disk_tables": "created_tmp_disk_tables", "tmp_tables": "created_tmp_tables"}
	for i, ev := range events {
		want, s := expected[i], ev.Slow
		ts, _ := time.Parse(time.RFC3339, want["@timestamp"].(string))
		if start := ev.Time.Add(-time.Duration(math.Round(s.QueryTime * 1e9))); !start.Truncate(time.Second).Equal(ts) {
			t.Errorf("event %d: start %v, Filebeat @timestamp %v", i, start, ts)
		}
		tid := want["mysql.thread_id"]
		if l, ok := tid.([]any); ok {
			tid = l[0]
		}
		for _, c := range []struct {
			field     string
			got, want any
		}{
			{"log.offset", float64(offsets[i]), want["log.offset"]},
			{"event.duration", math.Round(s.QueryTime * 1e9), want["event.duration"]},
			{"lock_time.sec", s.LockTime, want["mysql.slowlog.lock_time.sec"]},
			{"rows_sent", float64(s.RowsSent), want["mysql.slowlog.rows_sent"]},
			{"rows_examined", float64(s.RowsExamined), want["mysql.slowlog.rows_examined"]},
			{"user.name", s.User, want["user.name"]},
			{"current_user", s.User, want["mysql.slowlog.current_user"]},
			{"source.domain", s.Host, want["source.domain"]},
			{"schema", s.Schema, want["mysql.slowlog.schema"]},
			{"query", s.Query, want["mysql.slowlog.query"]},
			{"thread_id", float64(s.ThreadID), tid},
		} {
			if c.got != c.want {
				t.Errorf("event %d: %s = %v, Filebeat has %v", i, c.field, c.got, c.want)
			}
		}
		if s.IP != "" {
			t.Errorf("event %d: ip %q, Filebeat has none", i, s.IP)
		}
		// log_slow_extra
		n := 0
		for k, v := range want {
			name, ok := strings.CutPrefix(k, "mysql.slowlog.")
			if !ok || strings.Contains(name, ".") {
				continue
			}
			var got string
			switch name {
			case "current_user", "schema", "query", "rows_sent", "rows_examined":
				continue
			case "bytes_sent":
				got = "312"
				if s.BytesSent != 312 {
					t.Errorf("event %d: bytes_sent %d", i, s.BytesSent)
				}
			default:
				if r, ok := rename[name]; ok {
					name = r
				}
				got = s.Extra[name]
			}
			if got != jsonNumberText(v) {
				t.Errorf("event %d: %s = %q, Filebeat has %v", i, name, got, v)
			}
			n++
		}
		if end, ok := want["event.end"].(string); ok {
			n += 2
			if s.Extra["end"] != end || s.Extra["start"] != want["event.start"] || ev.Time.Format(time.RFC3339Nano) != end {
				t.Errorf("event %d: start/end %q %q, time %v, Filebeat %v %v", i, s.Extra["start"], s.Extra["end"], ev.Time, want["event.start"], end)
			}
		}
		if i == 1 && n < 18 {
			t.Errorf("event %d: only %d log_slow_extra fields compared", i, n)
		}
	}
}

func jsonNumberText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// perconaResult is the part of Percona's aggregate results compared here.
type perconaResult struct {
	Global struct {
		TotalQueries, UniqueQueries int
	}
	Class map[string]struct {
		ID           string `json:"Id"`
		Fingerprint  string
		TotalQueries int
		Metrics      struct {
			TimeMetrics   map[string]struct{ Sum, Min, Max float64 }
			NumberMetrics map[string]struct{ Sum, Min, Max float64 }
			BoolMetrics   map[string]struct{ Sum float64 }
		}
		Example *struct {
			QueryTime float64
			Db, Query string
			Ts        string
		}
	}
	RateLimit int
}

// slowMetric returns the value of one of Percona's metrics for an entry:
// a typed field, else the Extra attribute of that name (booleans count 1
// for "Yes").
func slowMetric(s *SlowQuery, name string) float64 {
	switch name {
	case "Query_time":
		return s.QueryTime
	case "Lock_time":
		return s.LockTime
	case "Rows_sent":
		return float64(s.RowsSent)
	case "Rows_examined":
		return float64(s.RowsExamined)
	case "Rows_affected":
		return float64(s.RowsAffected)
	case "Bytes_sent":
		return float64(s.BytesSent)
	case "Thread_id":
		return float64(s.ThreadID)
	}
	v := s.Extra[strings.ToLower(name)]
	if v == "Yes" {
		return 1
	}
	f, _ := strconv.ParseFloat(v, 64)
	return f
}

// TestPerconaAggregates groups the events of each log that Percona's
// results describe by fingerprint and compares, per class, the count, the
// sum, minimum and maximum of every metric Percona reports (Query_time,
// Lock_time, Rows_*, Thread_id, Merge_passes, and the count of "Yes" of
// QC_hit, Full_scan…), and the example (the slowest query of the class, its
// database and time). slow018 has no time at all: it is read with a parser
// that lets entries without a time through (Time zero), as the aggregates
// need no time. Every fingerprint and id agrees with Percona's.
//
// slow025 is rate limited (Log_slow_rate_limit: 1000): Percona's code scales
// counts and sums by the limit for two of its three entries (2001 queries =
// 1000 + 1 + 1000, Query_time sum 320 = 0.1×1000 + 20 + 0.2×1000). The
// parser reports the entries as logged (the limit is in Extra); the test
// applies that scaling to compare, and compares minima and maxima as they
// are.
func TestPerconaAggregates(t *testing.T) {
	results, _ := filepath.Glob(perconaResultsDir + "*.json")
	if len(results) != 9 {
		t.Fatalf("%d result files", len(results))
	}
	for _, rp := range results {
		name := strings.TrimSuffix(filepath.Base(rp), ".json")
		t.Run(name, func(t *testing.T) {
			var res perconaResult
			if err := json.Unmarshal(readCorpus(t, rp), &res); err != nil {
				t.Fatal(err)
			}
			logName := strings.TrimSuffix(name, "-no-examples") + ".log"
			p := &slowParser{loc: time.UTC, timeless: true}
			type entry struct {
				ev    *Event
				scale float64
			}
			classes := map[string][]entry{}
			total, n := 0, 0.0
			for _, r := range frame(KindMySQLSlow, readCorpus(t, perconaSlowDir+logName)) {
				ev := new(Event)
				if err := p.Parse(r.text, ev); err != nil {
					if !errors.Is(err, ErrNoEvent) {
						t.Fatalf("@%d: %v", r.offset, err)
					}
					continue
				}
				if ev.Slow.Restart {
					continue
				}
				k := 1.0
				if name == "slow025" && total != 1 {
					k = float64(res.RateLimit)
				}
				total++
				n += k
				classes[ev.Slow.QueryID] = append(classes[ev.Slow.QueryID], entry{ev, k})
			}
			if len(classes) != res.Global.UniqueQueries || len(classes) != len(res.Class) {
				t.Errorf("%d classes, Percona has %d", len(classes), len(res.Class))
			}
			if int(n) != res.Global.TotalQueries {
				t.Errorf("%v queries, Percona has %d", n, res.Global.TotalQueries)
			}
			for id, want := range res.Class {
				es := classes[id]
				if es == nil {
					t.Errorf("class %s %q: not found", id, want.Fingerprint)
					continue
				}
				count, slowest := 0.0, es[0].ev
				for _, e := range es {
					count += e.scale
					if s := e.ev.Slow; s.Fingerprint != want.Fingerprint || s.QueryID != want.ID {
						t.Errorf("class %s: fingerprint %q id %s, Percona %q %s", id, s.Fingerprint, s.QueryID, want.Fingerprint, want.ID)
					}
					if e.ev.Slow.QueryTime > slowest.Slow.QueryTime {
						slowest = e.ev
					}
				}
				if int(count) != want.TotalQueries {
					t.Errorf("class %s: %v queries, Percona %d", id, count, want.TotalQueries)
				}
				for _, ms := range []map[string]struct{ Sum, Min, Max float64 }{want.Metrics.TimeMetrics, want.Metrics.NumberMetrics} {
					for m, w := range ms {
						sum, lo, hi := 0.0, math.Inf(1), math.Inf(-1)
						for _, e := range es {
							v := slowMetric(e.ev.Slow, m)
							sum += v * e.scale
							lo, hi = min(lo, v), max(hi, v)
						}
						if !near(sum, w.Sum) || lo != w.Min || hi != w.Max {
							t.Errorf("class %s: %s sum/min/max %v/%v/%v, Percona %v/%v/%v", id, m, sum, lo, hi, w.Sum, w.Min, w.Max)
						}
					}
				}
				for m, w := range want.Metrics.BoolMetrics {
					sum := 0.0
					for _, e := range es {
						sum += slowMetric(e.ev.Slow, m) * e.scale
					}
					if sum != w.Sum {
						t.Errorf("class %s: %s count %v, Percona %v", id, m, sum, w.Sum)
					}
				}
				if ex := want.Example; ex != nil {
					s := slowest.Slow
					if name == "slow020" && id == "295ABC58C3FBD325" {
						// The second entry has no "use": the server writes
						// "use" only when the database changes, so it ran in
						// "test", the database of the entry before. Percona
						// leaves Db empty here (though it carries it over in
						// slow018).
						ex.Db = "test"
					}
					if s.QueryTime != ex.QueryTime || s.Schema != ex.Db || strings.TrimSuffix(s.Query, ";") != ex.Query {
						t.Errorf("class %s: example %v %q %q, Percona %v %q %q", id, s.QueryTime, s.Schema, s.Query, ex.QueryTime, ex.Db, ex.Query)
					}
					if ts := slowest.Time.Format(time.DateTime); ex.Ts != "" && ts != ex.Ts {
						t.Errorf("class %s: example time %s, Percona %s", id, ts, ex.Ts)
					}
				}
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

func TestMySQLSlowDetect(t *testing.T) {
	for _, path := range slowCorpus(t) {
		data := readCorpus(t, path)
		if len(data) == 0 {
			continue // empty.log
		}
		if got := Detect(sampleLines(data, 64)); got != KindMySQLSlow {
			t.Errorf("%s: Detect = %v, want mysql_slow", path, got)
		}
	}
	// Not slow logs.
	others := []string{filebeatNginxError, filebeatNginxAccess, lnavShopAccess, lnavDir + "logfile_access_log.0",
		lnavDir + "logfile_syslog.0", lnavDir + "logfile_syslog_with_access_log.0", lnavDir + "logfile_bad_access_log.0"}
	for _, path := range others {
		if got := Detect(sampleLines(readCorpus(t, path), 64)); got == KindMySQLSlow {
			t.Errorf("%s: detected as mysql_slow", path)
		}
	}
	for name, text := range map[string]string{
		"mysql 8 error log": "2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin\n2020-08-06T14:25:03.936146Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.21'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.\n",
		"mariadb error log": "2019-10-01 12:00:00 0 [Note] /usr/sbin/mysqld: ready for connections.\nVersion: '10.4.8-MariaDB-log'  socket: '/var/run/mysqld/mysqld.sock'  port: 3306  mariadb.org binary distribution\n",
		"sql dump":          "-- MySQL dump 10.13\n# comment\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\n",
		"shell comments":    "# Time: not a stamp\n# User@Host is a word here\n# Query_time: 1\nfoo\n",
	} {
		if got := Detect(textLines(text)); got == KindMySQLSlow {
			t.Errorf("%s: detected as mysql_slow", name)
		}
	}
	// The lines Detect sees of a slow log cost no allocation.
	lines := sampleLines(readCorpus(t, perconaSlowDir+"slow002.log"), 64)
	lines = append(lines, sampleLines(readCorpus(t, filebeatSlowDir+"mysql-ubuntu-8.0.15.log"), 64)...)
	if n := testing.AllocsPerRun(20, func() { Detect(lines) }); n != 0 {
		t.Errorf("Detect allocates %v times on slow-log lines", n)
	}
}

func TestMySQLSlowStarts(t *testing.T) {
	for _, tc := range []struct {
		line         string
		starts, good bool
	}{
		{"# Time: 2019-03-24T14:01:47.811234Z", true, true},
		{"# Time: 071015 21:43:52", true, true},
		{"# Time: 081127  8:51:20", true, true},
		{"# Time: 071218 11:48:27 # User@Host: [SQL_SLAVE] @  []", true, true},
		{"# Time: ", true, false},
		{"# Time: 2019-13-24T14:01:47Z", true, false},
		{"# User@Host: root[root] @ localhost []  Id:    14", true, true},
		{"# User@Host: ", true, false},
		{"/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:", true, true},
		{"mysqld, Version: 10.2.13-MariaDB-10.2.13+maria~jessie-log (mariadb.org binary distribution). started with:\r", true, true},
		{"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock", false, false},
		{"Time                 Id Command    Argument", false, false},
		{"# Query_time: 2.475469  Lock_time: 0.000287 Rows_sent: 10  Rows_examined: 3145718", false, false},
		{"SELECT 1;", false, false},
		{"#Time: 071015 21:43:52", false, false},
		{" # Time: 071015 21:43:52", false, false},
	} {
		if got := StartsRecord(KindMySQLSlow, []byte(tc.line)); got != tc.starts {
			t.Errorf("StartsRecord(%q) = %v", tc.line, got)
		}
		if got := formats[KindMySQLSlow].matches([]byte(tc.line)); got != tc.good {
			t.Errorf("matches(%q) = %v", tc.line, got)
		}
	}
}

// TestMySQLSlowKeys checks the table of known attribute keys.
func TestMySQLSlowKeys(t *testing.T) {
	n, probes := 0, 0
	for h, e := range slowRawKeys {
		if e.key == "" {
			continue
		}
		n++
		info, ok := lookupSlowKey([]byte(e.key))
		if !ok || info != e.info {
			t.Errorf("%s: not found", e.key)
		}
		probes += (h - int(slowKeyHash([]byte(e.key))) + len(slowRawKeys)) % len(slowRawKeys)
		if want := lowerExtraKey([]byte(e.key)); slowKeyNames[info.extra] != want || slowExtraKey([]byte(e.key)) != want {
			t.Errorf("%s: extra key %q, want %q", e.key, slowKeyNames[info.extra], want)
		}
	}
	if n < 60 || probes > n/2 {
		t.Errorf("%d keys, %d extra probes", n, probes)
	}
	for _, k := range []string{"", "X", "query_time", "QUERY_TIME", "Query_tim", "Query_timex", "Unknown_key"} {
		if _, ok := lookupSlowKey([]byte(k)); ok {
			t.Errorf("%q found", k)
		}
	}
	for k, want := range map[string]string{"Query_time": "attr_query_time", "QUERY_TIME": "attr_query_time", "User": "attr_user",
		"Id": "id", "QC_Hit": "qc_hit", "New_Key_2": "new_key_2"} {
		if got := slowExtraKey([]byte(k)); got != want {
			t.Errorf("slowExtraKey(%q) = %q, want %q", k, got, want)
		}
	}
}

// TestMySQLSlowParserCache checks that the fingerprint cache gives the same
// classes as Fingerprint, also past its size.
func TestMySQLSlowParserCache(t *testing.T) {
	p := &slowParser{loc: time.UTC}
	for i := 0; i < fpClassCacheSize+10; i++ {
		q := "select c" + string(rune('a'+i%26)) + strings.Repeat("x", i%50) + " from t where id=" + string(rune('0'+i%10))
		fp, id := p.classes.classify(q)
		if fp != Fingerprint(q) || id != QueryID(fp) {
			t.Fatalf("%q: %q %q", q, fp, id)
		}
	}
	if len(p.classes.classes) > fpClassCacheSize {
		t.Errorf("cache holds %d", len(p.classes.classes))
	}
	long := "select " + strings.Repeat("a,", fpClassCacheMax)
	if fp, _ := p.classes.classify(long); fp != Fingerprint(long) {
		t.Error("long query")
	}
}

// TestMySQLSlowBounded feeds the parser large records built to make its
// searches work hard; the work must grow linearly with the record
// (lineartest.Want).
func TestMySQLSlowBounded(t *testing.T) {
	size := 8 << 20
	if raceEnabled || testing.Short() {
		size = 1 << 20
	}
	user := "# User@Host: a[a] @ h []\n# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1700000000;\n"
	for _, tc := range []struct {
		name string
		rec  func(int) []byte
	}{
		{"attribute lines", lineartest.Filled(user, "# K: v  L: w  M:  N:\n")},
		{"one long attribute line", lineartest.Filled(user, "# "+strings.Repeat("Key: v ", 10))},
		{"colons", lineartest.Filled("# User@Host: ", ":")},
		{"ats", lineartest.Filled("# User@Host: ", "@[")},
		{"time lines", lineartest.Filled("# Time: 071015 21:43:52 ", "# User@Host")},
		{"use lines", lineartest.Filled(user, "use db;\n")},
		{"set lines", lineartest.Filled(user, "SET timestamp=1,insert_id=2;\n")},
		{"explain", lineartest.Filled(user, "# explain: a\tb\tc\n")},
		{"statement", lineartest.Filled(user, "select * from t where a in (1,2,'x') or b = 'y' -- c\n")},
		{"header", lineartest.Filled("mysqld, Version: 1 (x). started with:\n", "Tcp port: 1  Unix socket: Unix socket: \n")},
		{"newlines", lineartest.Filled(user, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lineartest.Want(t, size, tc.rec, func(rec []byte) {
				p, _ := NewParser(KindMySQLSlow, time.UTC) // a new class cache each time
				var ev Event
				_ = p.Parse(rec, &ev)
				Detect(physicalLines(rec)[:1])
			})
		})
	}
}

func FuzzMySQLSlow(f *testing.F) {
	for _, tc := range slowCases {
		var b strings.Builder
		for _, st := range tc.steps {
			f.Add([]byte(st.rec))
			b.WriteString(st.rec + "\n")
		}
		f.Add([]byte(b.String()))
	}
	for _, name := range []string{"slow002.log", "slow013.log", "slow014.log", "slow024.log", "mariadb102-with-explain.log"} {
		f.Add(readCorpus(f, perconaSlowDir+name))
	}
	f.Add(readCorpus(f, filebeatSlowDir+"mysql-ubuntu-8.0.15.log"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		// The whole input as one record, to a fresh parser.
		checkSlowRecord(t, &slowParser{loc: time.FixedZone("x", 3*3600)}, data)
		// The input framed into records, through one parser.
		p := &slowParser{loc: time.UTC}
		for _, r := range frame(KindMySQLSlow, data) {
			checkSlowRecord(t, p, r.text)
		}
		for _, l := range bytes.Split(data, []byte("\n")) {
			if slowMatches(l) && !slowStarts(stripCR(l)) && !slowStarts(l) {
				t.Fatalf("matches a line that starts no record: %q", l)
			}
		}
	})
}

func checkSlowRecord(t *testing.T, p *slowParser, rec []byte) {
	t.Helper()
	var ev Event
	err := p.Parse(rec, &ev)
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrNoEvent) {
			t.Fatalf("error %v wraps neither ErrMalformed nor ErrNoEvent", err)
		}
		if ev.Slow != nil {
			t.Fatal("event set on error")
		}
		return
	}
	s := ev.Slow
	if ev.Kind != KindMySQLSlow || s == nil || ev.Text != string(rec) || ev.Time.Location() != time.UTC {
		t.Fatalf("kind/field set/text/zone wrong: %+v", ev)
	}
	for _, v := range []string{s.User, s.Host, s.IP, s.Query, s.Server} {
		if !isSubstring(ev.Text, v) {
			t.Fatalf("field %q is not part of the record", v)
		}
	}
	for k, v := range s.Extra {
		if k != "explain" && !isSubstring(ev.Text, v) {
			t.Fatalf("extra %s=%q is not part of the record", k, v)
		}
		if slowReserved(k) {
			t.Fatalf("extra key %q collides with a field", k)
		}
	}
	if s.Query != "" && (s.Fingerprint != Fingerprint(s.Query) || s.QueryID != QueryID(s.Fingerprint)) {
		t.Fatalf("fingerprint %q / %q", s.Fingerprint, s.QueryID)
	}
	if s.QueryTime < 0 || s.LockTime < 0 || s.RowsSent < 0 || s.RowsExamined < 0 || s.RowsAffected < 0 || s.BytesSent < 0 || s.ThreadID < 0 {
		t.Fatalf("negative number: %+v", *s)
	}
	if s.Restart != slowServerLine(bytes.SplitN(rec, []byte("\n"), 2)[0]) {
		t.Fatalf("restart %v for %q", s.Restart, rec)
	}
	checkSlowJSON(t, &ev)
}

// slowBenchRecords are the entry records (with their "# Time:" records) of
// real logs of MySQL 8.0, Percona Server 5.x/8.0 and MariaDB.
func slowBenchRecords(b *testing.B) [][]byte {
	var recs [][]byte
	for _, path := range []string{lnavMySQLSlow, filebeatSlowDir + "mysql-ubuntu-8.0.15.log", filebeatSlowDir + "mariadb-10.3.13.log",
		filebeatSlowDir + "percona-ubuntu-8.0.15.log", perconaSlowDir + "slow011.log", perconaSlowDir + "slow019.log",
		perconaSlowDir + "slow023.log", perconaSlowDir + "slow014.log"} {
		for _, r := range frame(KindMySQLSlow, readCorpus(b, path)) {
			if !slowServerLine(physicalLines(r.text)[0]) {
				recs = append(recs, r.text)
			}
		}
	}
	return recs
}

func benchSlow(b *testing.B, recs [][]byte, fn func(rec []byte)) {
	total := 0
	for _, r := range recs {
		total += len(r) + 1
	}
	b.SetBytes(int64(total / len(recs)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fn(recs[i])
		if i++; i == len(recs) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

func BenchmarkParseMySQLSlow(b *testing.B) {
	p, _ := NewParser(KindMySQLSlow, time.UTC)
	var ev Event
	benchSlow(b, slowBenchRecords(b), func(rec []byte) {
		if err := p.Parse(rec, &ev); err != nil && !errors.Is(err, ErrNoEvent) {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseMySQLSlowSpans is the scanner without the Event (no
// allocation, no fingerprint).
func BenchmarkParseMySQLSlowSpans(b *testing.B) {
	var scratch []slowPair
	benchSlow(b, slowBenchRecords(b), func(rec []byte) {
		s := slowSpans{extra: scratch[:0]}
		parseSlow(rec, time.UTC, &s)
		scratch = s.extra
	})
}

// slowBenchQueries are the statements of the benchmark records.
func slowBenchQueries(b *testing.B) [][]byte {
	var qs [][]byte
	p := &slowParser{loc: time.UTC, timeless: true}
	for _, r := range slowBenchRecords(b) {
		var ev Event
		if p.Parse(r, &ev) == nil && ev.Slow.Query != "" {
			qs = append(qs, []byte(ev.Slow.Query))
		}
	}
	return qs
}

// BenchmarkFingerprint is the fingerprinter into a reused buffer, as the
// parser runs it.
func BenchmarkFingerprint(b *testing.B) {
	qs := slowBenchQueries(b)
	strs := make([]string, len(qs))
	for i, q := range qs {
		strs[i] = string(q)
	}
	var buf []byte
	i := 0
	benchSlow(b, qs, func([]byte) {
		buf = appendFingerprint(buf[:0], strs[i%len(strs)])
		i++
	})
}

// BenchmarkFingerprintString is Fingerprint and QueryID, as a caller
// outside the parser runs them.
func BenchmarkFingerprintString(b *testing.B) {
	qs := slowBenchQueries(b)
	strs := make([]string, len(qs))
	for i, q := range qs {
		strs[i] = string(q)
	}
	i := 0
	benchSlow(b, qs, func([]byte) {
		_ = QueryID(Fingerprint(strs[i%len(strs)]))
		i++
	})
}

func BenchmarkAppendJSONMySQLSlow(b *testing.B) {
	p, _ := NewParser(KindMySQLSlow, time.UTC)
	var ev Event
	for _, r := range frame(KindMySQLSlow, readCorpus(b, perconaSlowDir+"slow011.log")) {
		if p.Parse(r.text, &ev) == nil {
			break
		}
	}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		buf = ev.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// TestMySQLSlowDeferred checks that a parse that leaves the classes to
// the Classifier of Defer, classified after, gives the events of the
// parse that does not, on every slow log of the Percona corpus.
func TestMySQLSlowDeferred(t *testing.T) {
	logs, err := filepath.Glob(perconaSlowDir + "*.log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("no slow logs: %v", err)
	}
	classified := 0
	for _, path := range logs {
		data := readCorpus(t, path)
		whole := &slowParser{loc: time.UTC, timeless: true}
		split := &slowParser{loc: time.UTC, timeless: true}
		var c Classifier = split.Defer()
		var pending []*Event // classified a few at a time, as the load does
		var want []*Event
		for _, r := range frame(KindMySQLSlow, data) {
			a, b := new(Event), new(Event)
			errA, errB := whole.Parse(r.text, a), split.Parse(r.text, b)
			if (errA == nil) != (errB == nil) {
				t.Fatalf("%s@%d: %v, deferred %v", path, r.offset, errA, errB)
			}
			if errA != nil {
				continue
			}
			want, pending = append(want, a), append(pending, b)
			if a.Slow.Fingerprint != "" {
				classified++
			}
		}
		for i, ev := range pending {
			c.Classify(ev)
			if !reflect.DeepEqual(ev, want[i]) {
				t.Errorf("%s: event %d deferred\n%+v\nwant\n%+v", path, i, ev.Slow, want[i].Slow)
			}
		}
	}
	if classified == 0 {
		t.Fatal("no entry with a class: the test checks nothing")
	}
}
