package pipeline

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// sourcesSink is a BatchSink that keeps only the sources it is told of.
type sourcesSink struct {
	noMarks
	sources []timeline.Source
}

func (s *sourcesSink) Request(time.Time, int, []byte) error { return nil }
func (s *sourcesSink) Event(*patterns.Event) error          { return nil }
func (s *sourcesSink) Source(src timeline.Source)           { s.sources = append(s.sources, src) }
func (s *sourcesSink) Flush() error                         { return nil }
func (s *sourcesSink) Checkpoint(src timeline.Source, _ string, _ []byte) error {
	if src.Path != "" {
		s.Source(src)
	}
	return nil
}

// noMarks is the part of a test's BatchSink that holds nothing across
// loads: every file is read whole.
type noMarks struct{}

func (noMarks) Held() (map[string][]byte, []timeline.Source, error) { return nil, nil, nil }
func (noMarks) Due() bool                                           { return false }

// TestRecordsAreEntries: the Sources table counts one record per entry of
// a log, whatever the lines an entry spans. The entries are counted here
// without logcause's framing or parsers: by the line each kind's entries
// begin with. A slow log's "# Time:" lines (one per entry in MySQL 8, one
// per second in MariaDB) and the header it starts with are no entries.
func TestRecordsAreEntries(t *testing.T) {
	t.Chdir("..")
	for _, tc := range []struct {
		path   string
		kind   patterns.Kind
		begins string // the pattern of an entry's first line
	}{
		// MariaDB 10.11 on a real server: a header, "# Time:" when the second changes.
		{"testdata/scenarios/slow-queries/mysql-slow.log", patterns.KindMySQLSlow, `^# User@Host: `},
		// MySQL 8: "# Time:" before every entry.
		{"testdata/corpus/tstack-lnav/test/logfile_mysql_slow.0", patterns.KindMySQLSlow, `^# User@Host: `},
		{"testdata/corpus/elastic-beats/filebeat/module/mysql/slowlog/test/mysql-ubuntu-8.0.15.log", patterns.KindMySQLSlow, `^# User@Host: `},
		{"testdata/corpus/elastic-beats/filebeat/module/mysql/slowlog/test/mariadb-10.3.13.log", patterns.KindMySQLSlow, `^# User@Host: `},
		// A stack trace of several lines per entry.
		{"testdata/fpmslow/slow.log", patterns.KindFPMSlow, `^\[\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d\]  \[pool `},
		// FastCGI stderr continued on the lines after the stamp.
		{"testdata/corpus/elastic-beats/filebeat/module/nginx/error/test/error.log", patterns.KindNginxError, `^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[`},
		// "Version: …" continues "ready for connections".
		{"testdata/scenarios/slow-queries/mysql-error.log", patterns.KindMySQLError, `^\d{4}-\d\d-\d\d `},
		// Indented continuation lines.
		{"testdata/corpus/tstack-lnav/test/logfile_syslog.3", patterns.KindSyslog, `^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d `},
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			data, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			begins := regexp.MustCompile(tc.begins)
			var entries, lines int64
			for l := range strings.Lines(string(data)) {
				lines++
				if begins.MatchString(l) {
					entries++
				}
			}
			if entries == 0 || entries == lines {
				t.Fatalf("%d entries in %d lines: the test needs a log whose entries span lines", entries, lines)
			}
			sink := &sourcesSink{}
			if _, err := Load(context.Background(), []string{tc.path}, sink, Options{Limits: ingest.DefaultLimits}); err != nil {
				t.Fatal(err)
			}
			if len(sink.sources) != 1 {
				t.Fatalf("sources %+v", sink.sources)
			}
			src := sink.sources[0]
			if src.Format != tc.kind.String() || src.Unparsed != 0 {
				t.Fatalf("read as %s, %d unparsed: %q", src.Format, src.Unparsed, src.Samples)
			}
			if src.Records != entries {
				t.Errorf("%d records, want %d: one per entry", src.Records, entries)
			}
		})
	}
}

// TestParseCountsEntries: `parse` says how many of the log's entries did
// not parse, counted as the Sources table counts them.
func TestParseCountsEntries(t *testing.T) {
	// Two entries, and a "# Time:" line whose stamp is bad: it is an entry
	// of the log, as far as anyone can tell, that did not parse.
	log := "/usr/sbin/mysqld, Version: 8.0.15 (MySQL Community Server - GPL). started with:\n" +
		"Tcp port: 3306  Unix socket: /var/run/mysqld/mysqld.sock\n" +
		"Time                 Id Command    Argument\n" +
		"# Time: 2026-11-23T14:02:10.123456Z\n" +
		"# User@Host: app[app] @ localhost []  Id:    42\n" +
		"# Query_time: 2.475469  Lock_time: 0.000287 Rows_sent: 10  Rows_examined: 3145718\n" +
		"SET timestamp=1795442530;\n" +
		"SELECT 1;\n" +
		"# Time: 2026-11-23T14:02:11.123456Z\n" +
		"# User@Host: app[app] @ localhost []  Id:    43\n" +
		"# Query_time: 2.475469  Lock_time: 0.000287 Rows_sent: 10  Rows_examined: 3145718\n" +
		"SET timestamp=1795442531;\n" +
		"SELECT 2;\n" +
		"# Time: 2026-13-99T99:99:99Z\n"
	path := filepath.Join(t.TempDir(), "mysql-slow.log")
	if err := os.WriteFile(path, []byte(log), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := WriteJSON(context.Background(), &out, []string{path}, Options{Zone: time.UTC, Limits: ingest.DefaultLimits}, func(string, string) {})
	if err == nil || !strings.Contains(err.Error(), ": 1 of 3 records did not parse as mysql_slow") {
		t.Errorf("error %v, want 1 of 3 records unparsed", err)
	}
	if n := bytes.Count(out.Bytes(), []byte("\n")); n != 2 {
		t.Errorf("%d events, want 2:\n%s", n, out.Bytes())
	}
}
