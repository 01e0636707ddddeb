package loggen_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// writers are the generator's logs at test sizes, by name; each writes
// its main log to w (the outage's error and php-fpm logs are hashed too).
var writers = map[string]func(seed uint64, w io.Writer) (loggen.Stats, error){
	"access": func(seed uint64, w io.Writer) (loggen.Stats, error) {
		return loggen.Access{Seed: seed, Bytes: 1 << 20}.Write(w)
	},
	"access-2m": func(seed uint64, w io.Writer) (loggen.Stats, error) {
		return loggen.Access{Seed: seed, Bytes: 1 << 20, Clients: loggen.HighCardinality}.Write(w)
	},
	"outage": func(seed uint64, w io.Writer) (loggen.Stats, error) {
		return loggen.Outage{Access: loggen.Access{Seed: seed, Bytes: 1 << 20}, Errors: 2000}.Write(w, w, w)
	},
	"mysql8": func(seed uint64, w io.Writer) (loggen.Stats, error) {
		return loggen.Slow{Seed: seed, Queries: 3000, Dialect: loggen.MySQL8}.Write(w)
	},
	"mariadb": func(seed uint64, w io.Writer) (loggen.Stats, error) {
		return loggen.Slow{Seed: seed, Queries: 3000, Dialect: loggen.MariaDB}.Write(w)
	},
}

func digest(t *testing.T, write func(uint64, io.Writer) (loggen.Stats, error), seed uint64) ([32]byte, loggen.Stats, []byte) {
	t.Helper()
	var b bytes.Buffer
	st, err := write(seed, &b)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b.Bytes()), st, b.Bytes()
}

// TestSameSeedSameBytes: the same seed gives the same bytes, another seed
// other bytes, and the stats count what was written.
func TestSameSeedSameBytes(t *testing.T) {
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			a, st, out := digest(t, write, 42)
			b, _, _ := digest(t, write, 42)
			c, _, _ := digest(t, write, 43)
			if a != b {
				t.Error("two runs with the same seed wrote different bytes")
			}
			if a == c {
				t.Error("seeds 42 and 43 wrote the same bytes")
			}
			if name != "outage" { // the outage's three logs went to one writer
				if st.Bytes != int64(len(out)) || st.Lines != int64(bytes.Count(out, []byte("\n"))) {
					t.Errorf("stats %+v, wrote %d bytes in %d lines", st, len(out), bytes.Count(out, []byte("\n")))
				}
			}
		})
	}
}

// TestSize: an access log stops at the line that reaches the size.
func TestSize(t *testing.T) {
	for _, size := range []int64{1, 100_000, 3 << 20} {
		var b bytes.Buffer
		st, err := loggen.Access{Seed: 1, Bytes: size}.Write(&b)
		if err != nil {
			t.Fatal(err)
		}
		last := b.Bytes()[bytes.LastIndexByte(b.Bytes()[:b.Len()-1], '\n')+1:]
		if st.Bytes < size || st.Bytes-int64(len(last)) >= size || st.Bytes != int64(b.Len()) {
			t.Errorf("size %d: wrote %d bytes (last line %d)", size, st.Bytes, len(last))
		}
	}
}

// TestClients: the normal log draws from ~5 k addresses, the
// high-cardinality one gives nearly every request its own.
func TestClients(t *testing.T) {
	for _, tc := range []struct {
		clients  int
		min, max float64 // distinct addresses per line
	}{{0, 0.3, 5000.0 / 8000}, {loggen.HighCardinality, 0.75, 1}} {
		var b bytes.Buffer
		st, err := loggen.Access{Seed: 3, Bytes: 8000 * 236, Clients: tc.clients}.Write(&b)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
			addr, _, _ := strings.Cut(l, " ")
			seen[addr] = true
		}
		if r := float64(len(seen)) / float64(st.Lines); r < tc.min || r > tc.max {
			t.Errorf("clients %d: %d addresses in %d lines", tc.clients, len(seen), st.Lines)
		}
	}
}

// analyzeDir runs logcause's analysis on paths, as `logcause analyze`
// does with a temporary store.
func analyzeDir(t *testing.T, paths ...string) analyze.Result {
	t.Helper()
	st, err := store.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	res, problems, err := pipeline.Analyze(context.Background(), paths, st.NewWriter(), st, pipeline.Options{Limits: ingest.DefaultLimits}, analyze.DefaultConfig)
	if err != nil || len(problems) > 0 {
		t.Fatal(err, problems)
	}
	return res
}

// TestSetParses writes a small set and analyzes every file: every line
// parses, every request and query is read, the outage's incidents are found
// with the causes the generator meant, and the digest has every class.
func TestSetParses(t *testing.T) {
	dir := t.TempDir()
	set := loggen.Set{Seed: 5, Bytes: 4 << 20, Errors: 4000, Queries: 6000, Days: 5}
	m, err := loggen.WriteSet(dir, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := loggen.ReadManifest(dir); err != nil || back.Set != set || len(back.Files) != len(m.Files) {
		t.Fatalf("manifest %+v, %v; wrote %+v", back, err, m)
	}
	formats := map[string]string{
		loggen.AccessFile: "nginx_access", loggen.ClientsFile: "nginx_access",
		loggen.MySQLSlowFile: "mysql_slow", loggen.MariaSlowFile: "mysql_slow",
	}
	for file, format := range formats {
		t.Run(file, func(t *testing.T) {
			res := analyzeDir(t, filepath.Join(dir, file))
			want := m.Files[file].Lines
			if format == "mysql_slow" {
				want = int64(set.Queries)
				if n := len(res.SlowQueries) + res.SlowQueriesMore; n != loggen.SlowClasses {
					t.Errorf("the digest has %d classes, the generator %d", n, loggen.SlowClasses)
				}
			}
			if len(res.Sources) != 1 || res.Sources[0].Format != format || res.Sources[0].Unparsed != 0 || res.Sources[0].Records != want {
				t.Errorf("sources %+v, want %d records of %s, none unparsed", res.Sources, want, format)
			}
		})
	}
	t.Run("outage", func(t *testing.T) { checkOutage(t, dir, set, m) })
	t.Run("rotated", func(t *testing.T) { checkRotated(t, dir, set, m) })
}

// checkRotated analyzes the rotated directory of the set written in dir,
// as `logcause analyze rotated` does: every file is read, every line
// parses, the requests and gateway errors are those the manifest counts,
// over the set's days.
func checkRotated(t *testing.T, dir string, set loggen.Set, m loggen.Manifest) {
	t.Helper()
	res := analyzeDir(t, filepath.Join(dir, loggen.RotatedDir))
	total := m.Files[loggen.RotatedDir]
	if total.Lines == 0 || total.GatewayErrors == 0 {
		t.Fatalf("the manifest's rotated set: %+v", total)
	}
	var records int64
	for _, s := range res.Sources {
		if s.Format != "nginx_access" || s.Unparsed != 0 || s.Error != "" {
			t.Errorf("%s: %s, %d unparsed %q, %s", s.Path, s.Format, s.Unparsed, s.Samples, s.Error)
		}
		records += s.Records
	}
	if len(res.Sources) != set.Days || records != total.Lines || res.Totals.Requests != total.Lines {
		t.Errorf("%d sources, %d records, %d requests; want %d files of %d lines", len(res.Sources), records, res.Totals.Requests, set.Days, total.Lines)
	}
	if got := res.Totals.Status["502"] + res.Totals.Status["504"]; got != total.GatewayErrors {
		t.Errorf("%d gateway errors read, %d written", got, total.GatewayErrors)
	}
	first := loggen.DefaultStart.Add(-time.Duration(set.Days-1) * 24 * time.Hour)
	last := loggen.DefaultStart.Add(23 * time.Hour) // the newest day's last hour
	if !res.Range.Start.Equal(first) || res.Range.End.Before(last) || res.Range.End.After(last.Add(2*time.Hour)) {
		t.Errorf("range %s – %s, want %s to the last hour of %s", res.Range.Start, res.Range.End, first, last)
	}
}

// An outage of more failed requests than the zone inference's index of
// the access log holds (100,000): php-fpm's log names its requests
// without their client, and was read 12 hours off (+13:00), the
// afternoon's requests matched against the morning's, its records
// outside the incident they explain ("no log record explains them").
func TestOutageBeyondTheZoneIndex(t *testing.T) {
	dir := t.TempDir()
	set := loggen.Set{Seed: 5, Bytes: 8 << 20, Errors: 110_000, Queries: 100}
	m, err := loggen.WriteSet(dir, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := checkOutage(t, dir, set, m)
	for _, s := range res.Sources {
		if !strings.HasPrefix(s.TZ, "from the log") && !strings.HasPrefix(s.TZ, "+01:00 ") {
			t.Errorf("%s read in %q, want +01:00 (the access log's)", s.Path, s.TZ)
		}
	}
}

// checkOutage analyzes the outage of the set written in dir: every line
// parses, every gateway error is read, the incidents are those the
// generator planned, with its causes.
func checkOutage(t *testing.T, dir string, set loggen.Set, m loggen.Manifest) analyze.Result {
	t.Helper()
	res := analyzeDir(t, filepath.Join(dir, loggen.OutageDir))
	{
		st := m.Files[filepath.Join(loggen.OutageDir, "access.log")]
		var records int64
		for _, s := range res.Sources {
			if s.Unparsed != 0 {
				t.Errorf("%s: %d unparsed: %q", s.Path, s.Unparsed, s.Samples)
			}
			records += s.Records
		}
		if len(res.Sources) != 3 || records != st.Lines+st.Records {
			t.Errorf("%d sources, %d records; want 3, %d", len(res.Sources), records, st.Lines+st.Records)
		}
		if got := res.Totals.Status["502"] + res.Totals.Status["504"]; got != st.GatewayErrors {
			t.Errorf("%d gateway errors read, %d written", got, st.GatewayErrors)
		}
		plan := loggen.Outage{Access: loggen.Access{Bytes: set.Bytes}, Errors: set.Errors}.Plan()
		if len(res.Incidents) != len(plan) {
			t.Fatalf("%d incidents, want %d: %+v", len(res.Incidents), len(plan), res.Incidents)
		}
		for i, inc := range res.Incidents {
			p := plan[i]
			if string(inc.RootCause) != p.Cause || !inc.Start.Equal(p.Start) || inc.End.Before(p.Start.Add(p.Duration*9/10)) || inc.End.After(p.Start.Add(p.Duration+time.Minute)) {
				t.Errorf("incident %d: %s %s–%s, want %s from %s for %s", i+1, inc.RootCause, inc.Start, inc.End, p.Cause, p.Start, p.Duration)
			}
		}
	}
	return res
}

// TestPlan: the errors are all placed, in the named causes, in order.
func TestPlan(t *testing.T) {
	plan := loggen.Outage{Access: loggen.Access{Bytes: 1}, Errors: 320_001, Incidents: 5}.Plan()
	var sum int64
	for i, p := range plan {
		sum += p.Errors
		if p.Cause != loggen.Causes[i%len(loggen.Causes)] || (i > 0 && !p.Start.After(plan[i-1].Start.Add(plan[i-1].Duration))) {
			t.Errorf("incident %d: %+v", i, p)
		}
	}
	if len(plan) != 5 || sum != 320_001 {
		t.Errorf("%d incidents, %d errors", len(plan), sum)
	}
	if loggen.DefaultErrors(1_000_000_000) < 300_000 {
		t.Error("a 1 GB outage log needs ≥ 300 k gateway errors")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"1GB": 1e9, "250MB": 250e6, "100 mb": 100e6, "1.5G": 1.5e9, "64MiB": 64 << 20, "12345": 12345} {
		if got, err := loggen.ParseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "GB", "-1MB", "ten"} {
		if _, err := loggen.ParseSize(in); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
}

// TestWriteSetReportsFullDisk: an error writing is returned, not a short
// file with a manifest.
func TestWriteSetReportsFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Fatal("no /dev/full on this machine:", err)
	}
	dir := t.TempDir()
	if err := os.Symlink("/dev/full", filepath.Join(dir, loggen.AccessFile)); err != nil {
		t.Fatal(err)
	}
	_, err := loggen.WriteSet(dir, loggen.Set{Seed: 1, Bytes: 2 << 20, Queries: 10}, nil)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("error %v, want the write error", err)
	}
	if _, err := loggen.ReadManifest(dir); err == nil {
		t.Error("a manifest was written for incomplete files")
	}
}

// TestRotatedFiles: the names logrotate leaves, newest first, and each
// day its own seed and its share of the bytes, a day earlier than the
// file before it.
func TestRotatedFiles(t *testing.T) {
	r := loggen.Rotated{Access: loggen.Access{Seed: 7, Bytes: 15_000_000}}
	want := []string{"access.log", "access.log.1"}
	for d := 2; d <= 14; d++ {
		want = append(want, fmt.Sprintf("access.log.%d.gz", d))
	}
	if got := r.Files(); !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
	if got := (loggen.Rotated{Days: 3}).Files(); !slices.Equal(got, want[:3]) {
		t.Errorf("3 days: files %q", got)
	}
	seeds := map[uint64]bool{7: true, 8: true, 9: true, 10: true, 11: true} // the set's other logs
	for d := range 15 {
		a := r.Day(d)
		if seeds[a.Seed] {
			t.Errorf("day %d: seed %d already drawn", d, a.Seed)
		}
		seeds[a.Seed] = true
		if a.Bytes != 1_000_000 || !a.Start.Equal(loggen.DefaultStart.AddDate(0, 0, -d)) {
			t.Errorf("day %d: %d bytes from %s", d, a.Bytes, a.Start)
		}
	}
}

// writeRotated writes a small rotated set into a new directory and
// returns its files' contents by name.
func writeRotated(t *testing.T, r loggen.Rotated) (map[string][]byte, []loggen.Stats, loggen.Stats) {
	t.Helper()
	dir := t.TempDir()
	files, total, err := r.WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if out[e.Name()], err = os.ReadFile(filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return out, files, total
}

// TestRotatedSameSeedSameBytes: the files on disk, .gz included, are the
// same bytes for the same seed; another seed writes other bytes.
func TestRotatedSameSeedSameBytes(t *testing.T) {
	r := loggen.Rotated{Access: loggen.Access{Seed: 42, Bytes: 600_000}, Days: 4}
	a, _, _ := writeRotated(t, r)
	b, _, _ := writeRotated(t, r)
	r.Seed = 43
	c, _, _ := writeRotated(t, r)
	if len(a) != 4 || len(b) != 4 || len(c) != 4 {
		t.Fatalf("%d, %d, %d files, want 4", len(a), len(b), len(c))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s: two runs with the same seed wrote different bytes", name)
		}
		if bytes.Equal(content, c[name]) {
			t.Errorf("%s: seeds 42 and 43 wrote the same bytes", name)
		}
	}
}

// TestRotatedContent: access.log and access.log.1 are plain, the others
// gzip with no name and no mtime; each holds its day, in time order, the
// lines and bytes its Stats count; the set has as many lines as one
// access log of its bytes.
func TestRotatedContent(t *testing.T) {
	const size = 1_500_000
	r := loggen.Rotated{Access: loggen.Access{Seed: 9, Bytes: size}, Days: 5}
	files, stats, total := writeRotated(t, r)
	var sum loggen.Stats
	for d, name := range r.Files() {
		raw, st := files[name], stats[d]
		text := raw
		if d >= 2 {
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if zr.Name != "" || !zr.ModTime.IsZero() {
				t.Errorf("%s: gzip header names %q, mtime %s", name, zr.Name, zr.ModTime)
			}
			if text, err = io.ReadAll(zr); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		} else if bytes.HasPrefix(raw, []byte{0x1f, 0x8b}) {
			t.Errorf("%s is compressed", name)
		}
		if st.Disk != int64(len(raw)) || st.Bytes != int64(len(text)) || st.Lines != int64(bytes.Count(text, []byte("\n"))) {
			t.Errorf("%s: stats %+v; %d bytes on disk, %d bytes in %d lines", name, st, len(raw), len(text), bytes.Count(text, []byte("\n")))
		}
		if st.Bytes < size/5 || st.Bytes > size/5+1000 {
			t.Errorf("%s: %d bytes, want its share %d", name, st.Bytes, size/5)
		}
		day := loggen.DefaultStart.AddDate(0, 0, -d).Format("02/Jan/2006:")
		lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
		for _, l := range []string{lines[0], lines[len(lines)-1]} {
			if !strings.Contains(l, "["+day) {
				t.Errorf("%s: line %q is not of %s", name, l, day)
			}
		}
		if !strings.Contains(lines[0], ":00:00:0") || !strings.Contains(lines[len(lines)-1], ":23:") {
			t.Errorf("%s: the day is not covered: %q … %q", name, lines[0], lines[len(lines)-1])
		}
		sum.Bytes += st.Bytes
		sum.Lines += st.Lines
		sum.GatewayErrors += st.GatewayErrors
		sum.Disk += st.Disk
	}
	if sum != total {
		t.Errorf("total %+v, the files sum to %+v", total, sum)
	}
	one, err := loggen.Access{Seed: 9, Bytes: size}.Write(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if diff := float64(total.Lines-one.Lines) / float64(one.Lines); diff < -0.02 || diff > 0.02 {
		t.Errorf("the set holds %d lines, one access log of its bytes %d", total.Lines, one.Lines)
	}
}

// TestRotatedRemovesOthers: files of the series left by a set of more days
// are removed (analysis would read them with the set); other files stay.
func TestRotatedRemovesOthers(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"access.log.6.gz", "access.log.3.gz", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := loggen.Rotated{Access: loggen.Access{Seed: 1, Bytes: 100_000}, Days: 4}
	if _, _, err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"access.log", "access.log.1", "access.log.2.gz", "access.log.3.gz", "notes.txt"}; !slices.Equal(got, want) {
		t.Errorf("files %q, want %q", got, want)
	}
}
