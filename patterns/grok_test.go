package patterns

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// grokFormat returns the built-in grok definition of kind k.
func grokFormat(t testing.TB, k Kind) *GrokFormat {
	t.Helper()
	fs, err := BuiltinGrokFormats()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if f.Kind == k {
			return f
		}
	}
	t.Fatalf("no built-in grok format for %s", k)
	return nil
}

// grokSource is a sequence of records read with one parser, as one file
// is: a corpus file, a sequence of a scanner's tests, or one record of a
// scanner's table.
type grokSource struct {
	name string // file name, "table: case name" or "sequence: name"
	recs []record
	loc  *time.Location
	ref  time.Time // the file's modification time, for stamps without a year
}

// grokUnit is what both parsers are given: one framed record, or for
// mysql_slow a lone "# Time:" record with the entry after it (the entry as
// the server wrote it). last is the index of the unit's last record.
type grokUnit struct {
	offset int64
	text   []byte
	last   int
}

// grokDiffCase is the differential test of one kind.
type grokDiffCase struct {
	kind    Kind
	sources []grokSource
	// min is how many records must be compared whole.
	min int
	// dependent explains a record that the scanner reads differently in
	// its file (inFile) than alone (alone, errAlone): which of its fields
	// come from earlier records. It returns one of the excl… reasons, or ""
	// when nothing explains it (the test fails).
	dependent func(text string, alone *Event, errAlone error, inFile *Event) string
}

// Why a record is not self-contained. The grok reference reads one record;
// the scanners keep state from record to record of a file, for these.
const (
	exclRestart    = `mysql_slow header in the middle of a file (a restart): it takes the time of the entry before it`
	exclSharedTime = `time: from the "# Time:" written before an earlier entry (MySQL <= 5.6 and MariaDB write it once a second, for all the entries of that second)`
	exclBadTime    = `time: its own "# Time:" is malformed, so it takes the time of the entry before it`
	exclSchema     = `schema: from the "use" written before an earlier entry (the server writes "use" only when the database changes)`
	exclCrashClock = `mysql_error crash line with a time of day only ("HH:MM:SS UTC - mysqld got signal"): its date is that of the record before it`
	exclOOMUnit    = `unit: the cgroup of the oom-kill summary line (or "Task in …") before it`
	exclYear       = `time: an RFC 3164 stamp (no year) takes its year from the accept date of an earlier line`
)

// grokExcluded lists every record that is not compared because it is not
// self-contained, "kind/source@offset" → why; the test checks the list is
// exact.
var grokExcluded = map[string]string{
	"mysql_slow/slow002.log@337":                           exclSharedTime,
	"mysql_slow/slow002.log@813":                           exclSharedTime + "; " + exclSchema,
	"mysql_slow/slow002.log@1332":                          exclSharedTime,
	"mysql_slow/slow002.log@1862":                          exclSharedTime + "; " + exclSchema,
	"mysql_slow/slow002.log@2391":                          exclSharedTime,
	"mysql_slow/slow002.log@2859":                          exclSharedTime + "; " + exclSchema,
	"mysql_slow/slow002.log@3372":                          exclSharedTime,
	"mysql_slow/slow009.log@562":                           exclSharedTime,
	"mysql_slow/slow013.log@706":                           exclRestart,
	"mysql_slow/slow013.log@946":                           exclRestart,
	"mysql_slow/slow013.log@1186":                          exclRestart,
	"mysql_slow/slow013.log@1426":                          exclRestart,
	"mysql_slow/slow013.log@1666":                          exclRestart,
	"mysql_slow/slow013.log@1906":                          exclRestart,
	"mysql_slow/slow013.log@2146":                          exclRestart,
	"mysql_slow/slow013.log@2386":                          exclRestart,
	"mysql_slow/slow013.log@2626":                          exclRestart,
	"mysql_slow/slow013.log@2866":                          exclRestart,
	"mysql_slow/slow013.log@3106":                          exclRestart,
	"mysql_slow/slow013.log@3346":                          exclRestart,
	"mysql_slow/slow013.log@3586":                          exclRestart,
	"mysql_slow/slow013.log@3826":                          exclRestart,
	"mysql_slow/slow013.log@4066":                          exclRestart,
	"mysql_slow/slow013.log@4306":                          exclRestart,
	"mysql_slow/slow013.log@4543":                          exclRestart,
	"mysql_slow/slow013.log@4780":                          exclRestart,
	"mysql_slow/slow013.log@5017":                          exclRestart,
	"mysql_slow/slow013.log@5254":                          exclRestart,
	"mysql_slow/slow013.log@5429":                          exclRestart,
	"mysql_slow/slow013.log@5607":                          exclRestart,
	"mysql_slow/slow013.log@5782":                          exclRestart,
	"mysql_slow/slow013.log@5960":                          exclRestart,
	"mysql_slow/slow013.log@6488":                          exclRestart,
	"mysql_slow/slow020.log@358":                           exclSchema,
	"mysql_slow/slow023.log@418":                           exclSchema,
	"mysql_slow/slow023.log@595":                           exclSchema,
	"mysql_slow/slow023.log@794":                           exclSchema,
	"mysql_slow/slow023.log@982":                           exclSchema,
	"mysql_slow/slow023.log@1388":                          exclSchema,
	"mysql_slow/slow023.log@1572":                          exclSchema,
	"mysql_slow/slow024.log@361":                           exclBadTime,
	"mysql_slow/percona-ubuntu-8.0.15.log@679":             exclRestart,
	"mysql_slow/sequence: mysql 8.0 with log_slow_extra@3": exclSchema,
	"mysql_slow/sequence: mysql 8.0 with log_slow_extra@5": exclRestart,
	"mysql_slow/sequence: mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone@2": exclSharedTime,
	"mysql_slow/sequence: mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone@3": exclSchema,
	"mysql_slow/sequence: mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone@4": exclSchema,
	"mysql_slow/sequence: mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone@6": exclSharedTime,
	"mysql_slow/sequence: mysql 5.x: a # Time shared by entries, hour space-padded, read in the parser's zone@8": exclRestart,
	"mysql_slow/sequence: percona extended, single spaces, odd attributes@3":                                     exclSchema,
	"mysql_slow/sequence: percona extended, single spaces, odd attributes@4":                                     exclSchema,
	"mysql_slow/sequence: percona extended, single spaces, odd attributes@5":                                     exclSchema,
	"mysql_slow/sequence: percona extended, single spaces, odd attributes@6":                                     exclSharedTime,
	"mysql_slow/sequence: records that yield no event or are malformed@9":                                        exclRestart,
	"mysql_error/sequence: MySQL 5.7 crash@1":                                                                    exclCrashClock,
	"syslog/sequence: OOM episode@3":                                      exclOOMUnit,
	"syslog/sequence: OOM episode@10":                                     exclOOMUnit,
	"syslog/sequence: OOM episode@11":                                     exclOOMUnit,
	"haproxy/sequence: messages around New Year, file modified in 2028@2": exclYear,
	"haproxy/sequence: messages around New Year, file modified in 2028@3": exclYear,
}

// grokKnown are the records where the grok reference and the scanner
// disagree, "kind/source@offset" → what each says and which one follows
// the log's format; the test checks each still disagrees.
var grokKnown = map[string]string{
	// The scanner also reads entries without their "# User@Host:" line, as
	// documented in mysqlslow.go (an attribute pair, SET timestamp or an
	// administrator command make an entry; a "# Time:" followed by a
	// statement does too). Servers always write "# User@Host:", and the
	// grok reference defines the entry as they write it. No scanner bug: a
	// deliberate leniency, which reads the tail of an entry cut at the top
	// of a file.
	"mysql_slow/slow016.log@0": "the file starts with the tail of an entry (no # User@Host:): the scanner reads it, grok does not",
	"mysql_slow/sequence: records that yield no event or are malformed@7": "an entry of attributes only (no # User@Host:): the scanner reads it, grok does not",
	"mysql_slow/sequence: records that yield no event or are malformed@8": `"# Time:" then a statement, no # User@Host: the scanner reads it, grok does not`,
	// A regexp backtracks where the scanner commits: when what follows
	// does not fit, grok gives the text to the message instead. The
	// scanner is right: these records are malformed.
	"mysql_error/table: stamp only@0":         "thread id and no message: grok reads the thread id as the message",
	"apache_error/table: bad pid@0":           "[pid x]: grok reads it as the start of the message",
	"apache_error/table: tid overflow@0":      "a tid of 23 digits: grok reads [pid …] as the start of the message",
	"apache_error/table: client with space@0": "[client ADDR x]: grok reads it as the start of the message",
}

// corpusSources reads files as grok sources.
func corpusSources(t testing.TB, k Kind, loc *time.Location, refs map[string]time.Time, files ...string) []grokSource {
	var out []grokSource
	for _, f := range files {
		out = append(out, grokSource{name: filepath.Base(f), recs: frame(k, readCorpus(t, f)), loc: loc, ref: refs[filepath.Base(f)]})
	}
	return out
}

// tableSources makes one source of each record of a scanner's table (the
// tables feed each record to a fresh parser).
func tableSources(loc *time.Location, ref time.Time, names, recs []string) []grokSource {
	out := make([]grokSource, len(recs))
	for i := range recs {
		out[i] = grokSource{name: "table: " + names[i], recs: []record{{0, []byte(recs[i])}}, loc: loc, ref: ref}
	}
	return out
}

// sequenceSource makes a source of records fed in order to one parser; a
// record's offset is its index.
func sequenceSource(name string, loc *time.Location, ref time.Time, recs ...string) grokSource {
	s := grokSource{name: "sequence: " + name, loc: loc, ref: ref}
	for i, r := range recs {
		s.recs = append(s.recs, record{int64(i), []byte(r)})
	}
	return s
}

// slowUnits joins each lone "# Time:" record to the entry record that
// follows it.
func slowUnits(recs []record) []grokUnit {
	var out []grokUnit
	for i := 0; i < len(recs); i++ {
		r := recs[i]
		if i+1 < len(recs) && bytes.HasPrefix(r.text, prefixSlowTime) && !bytes.Contains(r.text, []byte("\n")) &&
			!bytes.Contains(r.text, prefixSlowUser) && bytes.HasPrefix(recs[i+1].text, prefixSlowUser) {
			out = append(out, grokUnit{r.offset, append(append(append([]byte(nil), r.text...), '\n'), recs[i+1].text...), i + 1})
			i++
			continue
		}
		out = append(out, grokUnit{r.offset, r.text, i})
	}
	return out
}

// sameReading reports whether an event read alone and one read in its
// file are the same, but for Text (a unit's text may join two records).
func sameReading(alone *Event, errAlone error, inFile *Event, errInFile error) bool {
	if errAlone != nil || errInFile != nil {
		return (errAlone == nil) == (errInFile == nil) && errors.Is(errAlone, ErrNoEvent) == errors.Is(errInFile, ErrNoEvent)
	}
	a, b := *alone, *inFile
	a.Text, b.Text = "", ""
	return reflect.DeepEqual(a, b)
}

// grokDiffCases lists the corpus files, captures, tables and sequences of
// each kind.
func grokDiffCases(t *testing.T) []grokDiffCase {
	paris := time.FixedZone("CET", 3600)
	var tc []grokDiffCase
	add := func(c grokDiffCase) { tc = append(tc, c) }
	files := func(k Kind, loc *time.Location, paths ...string) []grokSource {
		return corpusSources(t, k, loc, nil, paths...)
	}

	add(grokDiffCase{kind: KindNginxAccess, min: 1511, sources: files(KindNginxAccess, time.UTC, "../testdata/demo/access.log", lnavShopAccess,
		lnavDir+"logfile_access_log.0", lnavDir+"logfile_access_log.1", filebeatNginxAccess)})
	add(grokDiffCase{kind: KindNginxError, min: 239, sources: files(KindNginxError, paris, "../testdata/demo/error.log", filebeatNginxError)})
	add(grokDiffCase{kind: KindFPMError, min: 6, sources: files(KindFPMError, paris, "../testdata/demo/php-fpm.log")})

	// fpm_slow: the real capture (php 8.2) and the scanner's table.
	{
		var names, recs []string
		for _, c := range fpmSlowCases {
			names, recs = append(names, c.name), append(recs, c.rec)
		}
		add(grokDiffCase{kind: KindFPMSlow, min: 14,
			sources: append(files(KindFPMSlow, paris, fpmSlowCapture), tableSources(tableLoc, time.Time{}, names, recs)...)})
	}

	// mysql_slow: every slow log of the corpus (percona-go-mysql, Filebeat,
	// lnav) and the scanner's sequences.
	{
		srcs := files(KindMySQLSlow, time.UTC, slowCorpus(t)...)
		for _, c := range slowCases {
			loc := c.loc
			if loc == nil {
				loc = time.UTC
			}
			var recs []string
			for _, st := range c.steps {
				recs = append(recs, st.rec)
			}
			srcs = append(srcs, sequenceSource(c.name, loc, time.Time{}, recs...))
		}
		srcs = append(srcs, sequenceSource("probe: a stamp of 1999", time.UTC, time.Time{},
			"# Time: 991231 23:59:59\n# User@Host: a[a] @ localhost []\n# Query_time: 1  Lock_time: 0  Rows_sent: 0  Rows_examined: 0\nSELECT 1;"))
		add(grokDiffCase{kind: KindMySQLSlow, min: 104, sources: srcs,
			dependent: func(text string, alone *Event, errAlone error, inFile *Event) string {
				first, _, _ := strings.Cut(text, "\n")
				if slowServerLine([]byte(first)) {
					return exclRestart
				}
				var why []string
				if errAlone != nil || !alone.Time.Equal(inFile.Time) {
					if strings.Contains(text, "# Time:") {
						why = append(why, exclBadTime)
					} else {
						why = append(why, exclSharedTime)
					}
				}
				if errAlone == nil && alone.Slow.Schema != inFile.Slow.Schema {
					why = append(why, exclSchema)
				}
				return strings.Join(why, "; ")
			}})
	}

	// mysql_error: Filebeat's and lnav's samples, the scanner's table, and
	// crash lines with a time of day only after a dated record.
	{
		var names, recs []string
		for _, c := range myErrCases {
			names, recs = append(names, c.name), append(recs, c.rec)
		}
		srcs := files(KindMySQLError, time.UTC, filebeatMySQLError, filebeatMariaDB, lnavMySQLError)
		srcs = append(srcs, tableSources(tableLoc, time.Time{}, names, recs)...)
		srcs = append(srcs, sequenceSource("MySQL 5.7 crash", tableLoc, time.Time{},
			"2026-11-23T23:59:58.5Z 0 [Note] InnoDB: Buffer pool(s) load completed at 261123 23:59:58",
			"00:00:01 UTC - mysqld got signal 11 ;\nThis could be because you hit a bug. It is also possible that this binary",
			"2026-11-24T00:00:03.000000Z 0 [Note] /usr/sbin/mysqld (mysqld 5.7.44) starting as process 4242 ..."))
		add(grokDiffCase{kind: KindMySQLError, min: 70, sources: srcs,
			dependent: func(text string, _ *Event, _ error, _ *Event) string {
				if len(text) > 14 && text[2] == ':' && text[5] == ':' && strings.HasPrefix(text[8:], " UTC - ") {
					return exclCrashClock
				}
				return ""
			}})
	}

	// syslog: lnav's samples (read with a reference time in January 2027,
	// as the scanner's corpus test does), the scanner's table, and an OOM
	// episode as the kernel and systemd log it (catalog §5).
	{
		refs := map[string]time.Time{}
		for _, f := range syslogCorpus {
			refs[filepath.Base(f)] = time.Date(2027, 1, 3, 12, 0, 0, 0, time.UTC)
		}
		var names, recs []string
		for _, c := range syslogCases {
			names, recs = append(names, c.name), append(recs, c.rec)
		}
		srcs := corpusSources(t, KindSyslog, time.UTC, refs, syslogCorpus...)
		srcs = append(srcs, tableSources(tableLoc, syslogRef, names, recs)...)
		srcs = append(srcs, sequenceSource("OOM episode", time.UTC, syslogRef,
			"Nov 23 14:02:10 web1 kernel: [12345.600000] "+oomInvoked,
			"Nov 23 14:02:10 web1 kernel: [12345.600010] CPU: 1 PID: 1234 Comm: php-fpm8.2 Not tainted 6.1.0-27-amd64 #1  Debian 6.1.115-1",
			"Nov 23 14:02:10 web1 kernel: [12345.678800] "+oomConstraint,
			"Nov 23 14:02:10 web1 kernel: [12345.678901] "+oomKilled,
			"Nov 23 14:02:10 web1 kernel: [12345.712345] "+oomReaped,
			"Nov 23 14:02:11 web1 systemd[1]: "+oomUnit,
			"Nov 23 14:02:11 web1 systemd[1]: php8.2-fpm.service: Main process exited, code=killed, status=9/KILL",
			"Nov 23 14:02:11 web1 systemd[1]: "+oomUnitFailed,
			"Nov 23 15:00:00 web1 kernel: php-fpm invoked oom-killer: gfp_mask=0x24000c0, order=0, oom_score_adj=0",
			"Nov 23 15:00:00 web1 kernel: Task in /system.slice/php7.0-fpm.service killed as a result of limit of /system.slice/php7.0-fpm.service",
			"Nov 23 15:00:00 web1 kernel: Memory cgroup out of memory: Kill process 2000 (php-fpm) score 1000 or sacrifice child",
			"Nov 23 15:00:00 web1 kernel: Killed process 2001 (php-fpm) total-vm:400000kB, anon-rss:300000kB, file-rss:100kB, shmem-rss:0kB"))
		// Probes: records written to show a disagreement (see grokKnown).
		srcs = append(srcs, sequenceSource("probe: a comm of 16 bytes", time.UTC, syslogRef,
			"Nov 23 14:02:10 web1 kernel: Out of memory: Killed process 1234 (abcdefghijklmnop) total-vm:1kB, anon-rss:1kB"))
		add(grokDiffCase{kind: KindSyslog, min: 69, sources: srcs,
			dependent: func(_ string, alone *Event, errAlone error, inFile *Event) string {
				if errAlone == nil && alone.Syslog.Unit != inFile.Syslog.Unit {
					return exclOOMUnit
				}
				return ""
			}})
	}

	// apache_error: Filebeat's sample and the scanner's table.
	{
		var names, recs []string
		for _, c := range apacheCases {
			names, recs = append(names, c.name), append(recs, c.rec)
		}
		add(grokDiffCase{kind: KindApacheError, min: 27,
			sources: append(files(KindApacheError, time.UTC, filebeatApacheError), tableSources(tableLoc, time.Time{}, names, recs)...)})
	}

	// haproxy: Filebeat's and lnav's samples, with their plausible
	// modification times (haproxyCorpus), the scanner's table, and server
	// messages after a dated line.
	{
		refs := map[string]time.Time{}
		var paths []string
		for _, f := range haproxyCorpus {
			refs[filepath.Base(f.path)] = f.mtime
			paths = append(paths, f.path)
		}
		var names, recs []string
		for _, c := range haproxyCases {
			names, recs = append(names, c.name), append(recs, c.rec)
		}
		srcs := corpusSources(t, KindHAProxy, time.UTC, refs, paths...)
		srcs = append(srcs, tableSources(tableLoc, time.Time{}, names, recs)...)
		// The file was copied long after (its modification time is in 2028):
		// the first message, before any dated line, takes the year from it;
		// the last two, from the accept date before them.
		srcs = append(srcs, sequenceSource("messages around New Year, file modified in 2028", tableLoc, time.Date(2028, 6, 1, 0, 0, 0, 0, time.UTC),
			"Dec 31 23:59:50 lb haproxy[1]: Server app/web1 is DOWN, reason: Layer4 timeout, check duration: 2001ms.",
			`Jan  1 00:00:00 lb haproxy[1]: 1.2.3.4:5 [31/Dec/2026:23:59:59.000] fe be/s 0/0/0/1/1 200 1 - - ---- 1/1/1/1/0 0/0 "GET / HTTP/1.1"`,
			"Jan  1 00:00:05 lb haproxy[1]: backend app has no server available!",
			"Dec 31 23:59:58 lb haproxy[1]: Server app/web2 is DOWN, reason: Layer4 timeout, check duration: 2001ms."))
		add(grokDiffCase{kind: KindHAProxy, min: 60, sources: srcs,
			dependent: func(_ string, alone *Event, errAlone error, inFile *Event) string {
				if errAlone != nil || !alone.Time.Equal(inFile.Time) {
					return exclYear
				}
				return ""
			}})
	}
	return tc
}

// TestGrokDifferential parses real logs (corpus files and captures), the
// scanners' tables and sequences with the hand-written scanner and with the
// grok definition of the same format: every record must give the same
// event, compared whole, or be rejected by both. A record that the scanner
// reads differently in its file than alone takes part of its fields from
// earlier records (see the excl… reasons): grok, which reads one record,
// is not its reference; it must be listed in grokExcluded. A disagreement
// must be explained in grokKnown.
func TestGrokDifferential(t *testing.T) {
	seenExcluded, seenKnown, ran := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, tc := range grokDiffCases(t) {
		t.Run(tc.kind.String(), func(t *testing.T) {
			ran[tc.kind.String()] = true
			g := grokFormat(t, tc.kind)
			compared, rejected, excluded, known, fromFiles := 0, 0, 0, 0, 0
			for _, src := range tc.sources {
				inFile, err := NewParserAt(tc.kind, src.loc, src.ref)
				if err != nil {
					t.Fatal(err)
				}
				events := make([]Event, len(src.recs))
				errs := make([]error, len(src.recs))
				for i, r := range src.recs {
					errs[i] = inFile.Parse(r.text, &events[i])
				}
				units := make([]grokUnit, len(src.recs))
				for i, r := range src.recs {
					units[i] = grokUnit{r.offset, r.text, i}
				}
				if tc.kind == KindMySQLSlow {
					units = slowUnits(src.recs)
				}
				ref := g.ParserAt(src.loc, src.ref)
				for _, u := range units {
					id := fmt.Sprintf("%s/%s@%d", tc.kind, src.name, u.offset)
					alone, _ := NewParserAt(tc.kind, src.loc, src.ref)
					var a, b Event
					errA, errG := alone.Parse(u.text, &a), ref.Parse(u.text, &b)
					if !sameReading(&a, errA, &events[u.last], errs[u.last]) {
						why := ""
						if tc.dependent != nil && errs[u.last] == nil {
							why = tc.dependent(string(u.text), &a, errA, &events[u.last])
						}
						if why == "" {
							t.Errorf("%s: the scanner reads it differently in its file (%v) than alone (%v), and nothing explains why:\n%s",
								id, errs[u.last], errA, u.text)
							continue
						}
						if listed, ok := grokExcluded[id]; !ok || listed != why {
							t.Errorf("%s is not self-contained (%s): list it in grokExcluded (listed: %q)", id, why, listed)
						}
						seenExcluded[id] = true
						excluded++
						t.Logf("excluded %s: %s", id, why)
						continue
					}
					if why, ok := grokKnown[id]; ok {
						seenKnown[id] = true
						known++
						if (errA == nil) == (errG == nil) && (errA != nil || reflect.DeepEqual(a, b)) {
							t.Errorf("%s is listed as a known disagreement, but grok and the scanner agree", id)
						}
						t.Logf("known disagreement %s: %s", id, why)
						continue
					}
					if errA != nil || errG != nil {
						if (errA == nil) != (errG == nil) {
							t.Errorf("%s: scanner err %v, grok err %v:\n%s", id, errA, errG, u.text)
							if errA == nil {
								t.Logf("scanner %s", a.AppendJSON(nil))
							} else {
								t.Logf("grok    %s", b.AppendJSON(nil))
							}
						} else {
							rejected++
							t.Logf("rejected by both %s: scanner: %v; grok: %v", id, errA, errG)
						}
						continue
					}
					compared++
					if !strings.HasPrefix(src.name, "table: ") && !strings.HasPrefix(src.name, "sequence: ") {
						fromFiles++
					}
					if !reflect.DeepEqual(a, b) {
						t.Errorf("%s differs:\nscanner %s\ngrok    %s\n%s", id, a.AppendJSON(nil), b.AppendJSON(nil), u.text)
					}
				}
			}
			if compared < tc.min {
				t.Errorf("only %d records compared, want at least %d", compared, tc.min)
			}
			t.Logf("%d records agree (%d of them from logs, the others from the scanner's tables and sequences), %d rejected by both, "+
				"%d excluded (not self-contained), %d known disagreements", compared, fromFiles, rejected, excluded, known)
		})
	}
	for _, list := range []struct {
		name string
		ids  map[string]string
		seen map[string]bool
	}{{"grokExcluded", grokExcluded, seenExcluded}, {"grokKnown", grokKnown, seenKnown}} {
		for id := range list.ids {
			kind, _, _ := strings.Cut(id, "/")
			if ran[kind] && !list.seen[id] {
				t.Errorf("%s lists %s, which the test did not meet as such", list.name, id)
			}
		}
	}
}

func TestUserGrokFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "app.grok")
	os.WriteFile(p, []byte(`# a load balancer's log: "2026-11-23T14:02:10+01:00 10.0.0.1 GET /x 502"
LB_TIME %{TIMESTAMP_ISO8601}
LOGCAUSE_NGINX_ACCESS ^(?<time_iso8601>%{LB_TIME}) %{IP:remote_addr} %{WORD:method} %{NOTSPACE:uri} %{INT:status}$
`), 0o644)
	fs, err := LoadGrokFile(p)
	if err != nil || len(fs) != 1 || fs[0].Kind != KindNginxAccess {
		t.Fatalf("%v %v", fs, err)
	}
	var ev Event
	if err := fs[0].Parser(time.UTC).Parse([]byte("2026-11-23T14:02:10+01:00 10.0.0.1 GET /x 502"), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Access.Status != 502 || ev.Access.URI != "/x" || !ev.Time.Equal(time.Date(2026, 11, 23, 13, 2, 10, 0, time.UTC)) {
		t.Errorf("event %s", ev.AppendJSON(nil))
	}
	if err := fs[0].Parser(time.UTC).Parse([]byte("garbage"), &ev); err == nil {
		t.Error("a line that does not match parsed")
	}
}

// TestUserGrokIssue3Kinds defines formats of kinds other than nginx's in
// grok files of one's own, as a user would, and reads them end to end:
// LoadGrokFile, the parser, the event and its JSON.
func TestUserGrokIssue3Kinds(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) []*GrokFormat {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		fs, err := LoadGrokFile(p)
		if err != nil || len(fs) != 1 {
			t.Fatalf("%s: %v %v", name, fs, err)
		}
		return fs
	}
	parse := func(p Parser, line string) (*Event, error) {
		ev := &Event{Path: "/var/log/x.log", Offset: 42}
		err := p.Parse([]byte(line), ev)
		return ev, err
	}
	utc1 := time.FixedZone("UTC+1", 3600)

	t.Run("haproxy custom log-format", func(t *testing.T) {
		// log-format "%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %{+Q}r"
		fs := write("haproxy.grok", `# HAProxy with a log-format of our own: no cookies, no counters.
LB_DATE [0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}
LB_TIMER -?[0-9]+
LOGCAUSE_HAPROXY ^%{IP:client}:%{INT} \[(?<time>%{LB_DATE})\] (?<frontend>[^ ~]+)(?<tls>~)? (?<backend>[^/ ]+)/(?<server>[^ ]+) (?<request_ms>%{LB_TIMER})/(?<queue_ms>%{LB_TIMER})/(?<connect_ms>%{LB_TIMER})/(?<response_ms>%{LB_TIMER})/(?<total_ms>%{LB_TIMER}) (?<status>[0-9]+) (?<bytes_read>[0-9]+) (?<termination_state>[^ ]{4}) "(?<method>[A-Z]+) (?<uri>[^ ]+) (?<protocol>HTTP/[0-9.]+)"$
`)
		if fs[0].Kind != KindHAProxy {
			t.Fatalf("kind %v", fs[0].Kind)
		}
		ev, err := parse(fs[0].Parser(utc1), `10.0.0.7:51000 [23/Nov/2026:14:02:10.123] shop~ app/php1 0/0/1/-1/30002 504 194 sH-- "GET /cart HTTP/1.1"`)
		if err != nil {
			t.Fatal(err)
		}
		want := HAProxy{Client: "10.0.0.7", Frontend: "shop", TLS: true, Backend: "app", Server: "php1", TR: 0, Tw: 0, Tc: 1, Tr: -1, Ta: 30002,
			Status: 504, BytesRead: 194, TerminationState: "sH--", Method: "GET", URI: "/cart", Protocol: "HTTP/1.1", LogFormat: "http"}
		if ev.Kind != KindHAProxy || *ev.HAProxy != want || !ev.Time.Equal(time.Date(2026, 11, 23, 13, 2, 10, 123e6, time.UTC)) ||
			ev.Path != "/var/log/x.log" || ev.Offset != 42 {
			t.Errorf("event %+v %+v", ev, ev.HAProxy)
		}
		if js := string(ev.AppendJSON(nil)); !strings.Contains(js, `"log_format":"http"`) || !strings.Contains(js, `"status":504,`) || !strings.Contains(js, `"response_ms":-1,`) {
			t.Errorf("JSON %s", js)
		}
		if _, err := parse(fs[0].Parser(utc1), `10.0.0.7:51000 [23/Nov/2026:14:02:10.123] shop app/php1 0/0/1/-1/30002 504 194`); err == nil {
			t.Error("a line without the request parsed")
		}
	})

	t.Run("syslog without a year, OOM kill", func(t *testing.T) {
		// An appliance's kernel log: "Nov 23 14:02:10 | web1 | kernel | message".
		fs := write("appliance.grok", `APPLIANCE_STAMP [A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}
APPLIANCE_KILL (?<event>Killed process )(?<victim_pid>[0-9]+) \((?<comm>[^)]{1,15})\) total-vm:(?<total_vm_kb>[0-9]+)kB, anon-rss:(?<anon_rss_kb>[0-9]+)kB
LOGCAUSE_SYSLOG ^(?<time>%{APPLIANCE_STAMP}) \| (?<host>[^ ]+) \| (?<program>[^ ]+) \| (?<message>(?:Out of memory: %{APPLIANCE_KILL})?.*)$
`)
		line := "Dec 31 23:59:50 | web1 | kernel | Out of memory: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, file-rss:0kB"
		// The stamp has no year: the file's modification time gives it.
		ev, err := parse(fs[0].ParserAt(utc1, time.Date(2027, 1, 2, 8, 0, 0, 0, time.UTC)), line)
		if err != nil {
			t.Fatal(err)
		}
		want := Syslog{Host: "web1", Program: "kernel", Message: line[len("Dec 31 23:59:50 | web1 | kernel | "):], Event: "oom_kill",
			VictimPID: 1234, Comm: "php-fpm8.2", AnonRSSKB: 512000, TotalVMKB: 812345}
		if *ev.Syslog != want || !ev.Time.Equal(time.Date(2026, 12, 31, 22, 59, 50, 0, time.UTC)) {
			t.Errorf("event %v %+v", ev.Time, *ev.Syslog)
		}
		if _, err := parse(fs[0].Parser(utc1), line); !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "ParserAt") {
			t.Errorf("no reference time: %v", err)
		}
		ev, err = parse(fs[0].ParserAt(utc1, time.Date(2027, 1, 2, 8, 0, 0, 0, time.UTC)), "Jan  2 07:00:00 | web1 | sshd | Accepted publickey")
		if err != nil || ev.Syslog.Event != "" || ev.Syslog.Program != "sshd" || ev.Time.Year() != 2027 {
			t.Errorf("%v %+v", err, ev.Syslog)
		}
	})

	t.Run("mysql_error behind another stamp", func(t *testing.T) {
		// A MySQL error log as a container runtime rewrote it.
		fs := write("mysql.grok", `LOGCAUSE_MYSQL_ERROR ^(?<time>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z) stderr F (?:[0-9-]+T[0-9:.]+Z )?(?<thread_id>[0-9]+) \[(?<level>[A-Za-z]+)\] (?:\[(?<code>MY-[0-9]+)\] \[(?<subsystem>[A-Za-z]+)\] )?(?<message>(?:(?<event>Aborted connection )|.*?(?<event>: ready for connections)|.*?(?<event>got signal ))?.*)$
`)
		ev, err := parse(fs[0].Parser(time.UTC), "2026-11-23T14:02:10.200000Z stderr F 2026-11-23T14:02:10.123456Z 4016575 [Note] [MY-010914] [Server] Aborted connection 4016575 to db: 'shop' user: 'app' host: 'localhost' (Got timeout reading communication packets).")
		if err != nil {
			t.Fatal(err)
		}
		want := MySQLError{Level: "Note", Code: "MY-010914", Subsystem: "Server", ThreadID: 4016575, Event: "aborted_connection",
			Message: "Aborted connection 4016575 to db: 'shop' user: 'app' host: 'localhost' (Got timeout reading communication packets)."}
		if *ev.MySQL != want || !ev.Time.Equal(time.Date(2026, 11, 23, 14, 2, 10, 200e6, time.UTC)) {
			t.Errorf("event %v %+v", ev.Time, *ev.MySQL)
		}
		ev, err = parse(fs[0].Parser(time.UTC), "2026-11-23T14:02:11Z stderr F 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.35'")
		if err != nil || ev.MySQL.Event != "ready" {
			t.Errorf("%v %+v", err, ev.MySQL)
		}
	})

	t.Run("fpm_slow with its frames", func(t *testing.T) {
		// A pool that logs its slow requests through a wrapper that prefixes
		// each entry's header with the host.
		fs := write("slow.grok", `LOGCAUSE_FPM_SLOW (?s)^(?<time>[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:]{8}) web1 pool=(?<pool>[^ ]+) pid=(?<pid>[0-9]+)\nscript_filename = (?<script>[^\n]*)(?<frames>(?:\n.*)?)$
`)
		ev, err := parse(fs[0].Parser(utc1), "23-Nov-2026 14:02:10 web1 pool=www pid=12345\nscript_filename = /var/www/index.php\n"+
			"[0x00007f2d286c2790] curl_exec() /var/www/lib/http.php:42\n[0x00007f2d286c2420] fetch() /var/www/index.php:7")
		if err != nil {
			t.Fatal(err)
		}
		x := ev.FPMSlow
		if x.Pool != "www" || x.PID != 12345 || x.Script != "/var/www/index.php" ||
			!reflect.DeepEqual(x.Frames, []Frame{{"curl_exec", "/var/www/lib/http.php", 42}, {"fetch", "/var/www/index.php", 7}}) {
			t.Errorf("%+v", *x)
		}
	})
}

func TestGrokFileErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no top pattern":   "FOO %{INT}\n",
		"unknown kind":     "LOGCAUSE_TOMCAT %{GREEDYDATA:message}\n",
		"bad definition":   "LOGCAUSE_NGINX_ACCESS\n",
		"bad regexp":       "LOGCAUSE_NGINX_ACCESS (?<status>[0-9]\n",
		"undefined subpat": "LOGCAUSE_NGINX_ACCESS %{NOPE:status}\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "x.grok")
			os.WriteFile(p, []byte(text), 0o644)
			_, err := LoadGrokFile(p)
			if err == nil || !strings.Contains(err.Error(), "x.grok") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := LoadGrokFile(filepath.Join(t.TempDir(), "missing.grok")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestLoadGrokFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.grok"), filepath.Join(dir, "b.grok")
	os.WriteFile(a, []byte("LOGCAUSE_NGINX_ACCESS %{INT:status}\n"), 0o644)
	os.WriteFile(b, []byte("LOGCAUSE_FPM_ERROR %{GREEDYDATA:message}\nLOGCAUSE_NGINX_ERROR %{GREEDYDATA:message}\n"), 0o644)
	fs, err := LoadGrokFiles([]string{b, a})
	if err != nil || len(fs) != 3 || fs[2].Kind != KindNginxAccess {
		t.Fatalf("LoadGrokFiles = %v, %v; want b's two formats, then a's", fs, err)
	}
	if fs, err := LoadGrokFiles([]string{a, filepath.Join(dir, "missing.grok")}); fs != nil || err == nil || !strings.Contains(err.Error(), "missing.grok") {
		t.Errorf("a file missing: %v, %v", fs, err)
	}
	if fs, err := LoadGrokFiles(nil); fs != nil || err != nil {
		t.Errorf("none: %v, %v", fs, err)
	}
}

func FuzzGrokFile(f *testing.F) {
	f.Add("LOGCAUSE_NGINX_ACCESS %{INT:status}\n", "502")
	f.Add("A %{B}\nB %{A}\nLOGCAUSE_FPM_ERROR %{A}", "x")
	f.Fuzz(func(t *testing.T, def, line string) {
		if len(def) > 4096 || len(line) > 4096 {
			return
		}
		fs, err := compileGrok("fuzz.grok", def)
		if err != nil {
			return
		}
		for _, g := range fs {
			var ev Event
			if g.Parser(time.UTC).Parse([]byte(line), &ev) == nil && ev.Kind != g.Kind {
				t.Fatalf("kind %s from a %s format", ev.Kind, g.Kind)
			}
		}
	})
}

// BenchmarkGrokCombined shows why grok is not on the path of built-in
// formats: compare with BenchmarkParseCombined.
func BenchmarkGrokCombined(b *testing.B) {
	lines := physicalLines(readCorpus(b, lnavShopAccess))
	p := grokFormat(b, KindNginxAccess).Parser(time.UTC)
	var size int64
	for _, l := range lines {
		size += int64(len(l)) + 1
	}
	b.SetBytes(size / int64(len(lines)))
	b.ReportAllocs()
	var ev Event
	i := 0
	for b.Loop() {
		p.Parse(lines[i%len(lines)], &ev)
		i++
	}
	b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkGrokMySQLSlow is the grok reference on the entries of
// BenchmarkParseMySQLSlow (each with its "# Time:" line): compare the MB/s.
func BenchmarkGrokMySQLSlow(b *testing.B) {
	var units [][]byte
	for _, path := range []string{lnavMySQLSlow, filebeatSlowDir + "mysql-ubuntu-8.0.15.log", filebeatSlowDir + "mariadb-10.3.13.log",
		filebeatSlowDir + "percona-ubuntu-8.0.15.log", perconaSlowDir + "slow011.log", perconaSlowDir + "slow019.log",
		perconaSlowDir + "slow023.log", perconaSlowDir + "slow014.log"} {
		for _, u := range slowUnits(frame(KindMySQLSlow, readCorpus(b, path))) {
			if !slowServerLine(physicalLines(u.text)[0]) {
				units = append(units, u.text)
			}
		}
	}
	benchGrok(b, KindMySQLSlow, units)
}

// BenchmarkGrokHAProxy is the grok reference on the lines of
// BenchmarkParseHAProxy.
func BenchmarkGrokHAProxy(b *testing.B) {
	benchGrok(b, KindHAProxy, haproxyBenchLines(b))
}

// benchGrok parses recs with the built-in grok definition of k, in turn.
func benchGrok(b *testing.B, k Kind, recs [][]byte) {
	p := grokFormat(b, k).ParserAt(time.UTC, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
	total := 0
	for _, r := range recs {
		total += len(r) + 1
	}
	b.SetBytes(int64(total / len(recs)))
	b.ReportAllocs()
	var ev Event
	i := 0
	for b.Loop() {
		p.Parse(recs[i], &ev)
		if i++; i == len(recs) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
