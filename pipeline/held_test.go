package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/internal/testarchive"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// held is what a store holds, as analysis reads it: the rollups, the
// events (by time, kind and text: an event read from a file that rotation
// renamed is stored under its new name), and the records of its sources
// added up.
type held struct {
	seconds []timeline.Second
	events  []string
	records int64
}

func dumpStore(t *testing.T, st *store.Store) held {
	t.Helper()
	var h held
	from, to := time.Unix(0, 0), time.Unix(1<<40, 0)
	var err error
	if h.seconds, err = st.Seconds(from, to); err != nil {
		t.Fatal(err)
	}
	err = st.Events(from, to, func(ev *patterns.Event) error {
		h.events = append(h.events, fmt.Sprintf("%s %s %s", ev.Time.Format(time.RFC3339Nano), ev.Kind, ev.Text))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(h.events)
	sources, err := st.Sources()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sources {
		h.records += s.Records
	}
	return h
}

func (h held) requests() (n int64) {
	for _, s := range h.seconds {
		n += s.Requests()
	}
	return n
}

// sameAs fails unless got holds what want does.
func sameAs(t *testing.T, what string, got, want held) {
	t.Helper()
	if got.requests() != want.requests() || !reflect.DeepEqual(got.seconds, want.seconds) {
		t.Errorf("%s: %d requests in %d seconds, want %d in %d", what, got.requests(), len(got.seconds), want.requests(), len(want.seconds))
	}
	if !reflect.DeepEqual(got.events, want.events) {
		t.Errorf("%s: %d events kept, want %d", what, len(got.events), len(want.events))
	}
	if got.records != want.records {
		t.Errorf("%s: the sources add up to %d records, want %d", what, got.records, want.records)
	}
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var heldOpts = Options{Limits: ingest.DefaultLimits}

func load(t *testing.T, sink BatchSink, paths ...string) Result {
	t.Helper()
	res, err := Load(context.Background(), paths, sink, heldOpts)
	if err != nil || len(res.Problems) > 0 {
		t.Fatal(err, res.Problems)
	}
	return res
}

// fresh is what one load of paths into a new store holds.
func fresh(t *testing.T, paths ...string) held {
	t.Helper()
	st := openStore(t)
	load(t, st.NewWriter(), paths...)
	return dumpStore(t, st)
}

// demoCopy copies the demo's logs into a new directory.
func demoCopy(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"access.log", "error.log", "php-fpm.log"} {
		b, err := os.ReadFile(filepath.Join("..", "testdata", "demo", name))
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, name), b)
	}
	return dir
}

// demoRotated is demoCopy with the first half of the access log rotated
// and gzipped into access.log.1.gz.
func demoRotated(t *testing.T) string {
	t.Helper()
	dir := demoCopy(t)
	access, _ := os.ReadFile(filepath.Join(dir, "access.log"))
	older, newer := split(access)
	write(t, filepath.Join(dir, "access.log.1.gz"), testarchive.Gzip(t, older))
	write(t, filepath.Join(dir, "access.log"), newer)
	return dir
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// split cuts a log in two at the line boundary nearest the middle.
func split(b []byte) ([]byte, []byte) { return cut(b, 2) }

// cut cuts a log in two at the first line boundary after its 1/n-th.
func cut(b []byte, n int) ([]byte, []byte) {
	i := bytes.IndexByte(b[len(b)/n:], '\n') + len(b)/n + 1
	return b[:i], b[i:]
}

func analyzeStore(t *testing.T, st *store.Store) analyze.Result {
	t.Helper()
	first, last, ok, err := st.Range()
	if err != nil || !ok {
		t.Fatal("empty store", err)
	}
	res, err := analyze.Analyze(st, analyze.TimeRange{Start: first, End: last}, analyze.DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestLoadsOfTheSameLogsCountThemOnce: three loads of the same logs (a
// live log, its rotated and gzipped siblings, two zoneless logs) into one
// store hold what one load holds, and analysis says the same.
func TestLoadsOfTheSameLogsCountThemOnce(t *testing.T) {
	dir := demoRotated(t)
	want := fresh(t, dir)
	if want.requests() != 500 {
		t.Fatalf("the demo holds %d requests, want 500", want.requests())
	}
	st := openStore(t)
	var results []analyze.Result
	for run := 1; run <= 3; run++ {
		res := load(t, st.NewWriter(), dir)
		if run > 1 && res.Records != 0 {
			t.Errorf("load %d read %d records again", run, res.Records)
		}
		sameAs(t, fmt.Sprintf("after load %d", run), dumpStore(t, st), want)
		results = append(results, analyzeStore(t, st))
	}
	for i, res := range results {
		if len(res.Incidents) != 1 || res.Incidents[0].Causes[0].Confidence != results[0].Incidents[0].Causes[0].Confidence || res.Totals.Requests != 500 {
			t.Errorf("analysis after load %d: %+v", i+1, res.Totals)
		}
	}
}

// TestAppendedLinesAreReadOnce: lines appended to a log after a load are
// read by the next one, and only they; what the store says of each file
// (records, unparsed records and their samples, the zone and why) adds up
// to what one load of the whole files says.
func TestAppendedLinesAreReadOnce(t *testing.T) {
	dir := demoCopy(t)
	final := map[string][]byte{}
	for _, name := range []string{"access.log", "error.log"} {
		b, _ := os.ReadFile(filepath.Join(dir, name))
		first, rest := split(b)
		junk := []byte("no request here " + name + "\n")
		final[name] = slices.Concat(first, junk, rest, junk)
		write(t, filepath.Join(dir, name), slices.Concat(first, junk))
	}
	st := openStore(t)
	first := load(t, st.NewWriter(), dir)
	for name, b := range final {
		write(t, filepath.Join(dir, name), b)
	}
	second := load(t, st.NewWriter(), dir)
	want := fresh(t, dir)
	sameAs(t, "after the appended lines", dumpStore(t, st), want)
	if first.Records+second.Records != want.records {
		t.Errorf("the loads read %d and %d records, want %d in all", first.Records, second.Records, want.records)
	}
	whole := openStore(t)
	load(t, whole.NewWriter(), dir)
	got, _ := st.Sources()
	wantSources, _ := whole.Sources()
	for i := range got { // the zone is the one learned by the first load; it says how many lines it lined up
		if !strings.HasPrefix(got[i].TZ, "+01:00 (learned from the access log") && got[i].Format != "nginx_access" {
			t.Errorf("%s read in %s", got[i].Path, got[i].TZ)
		}
		got[i].TZ = ""
		if i < len(wantSources) {
			wantSources[i].TZ = ""
		}
	}
	if !reflect.DeepEqual(got, wantSources) {
		t.Errorf("sources after two loads:\n%+v\nafter one:\n%+v", got, wantSources)
	}
	if got[0].Unparsed != 2 || len(got[0].Samples) != 2 {
		t.Errorf("access.log: %d unparsed, samples %q; want the 2 junk lines", got[0].Unparsed, got[0].Samples)
	}
}

// TestRotatedLogsAreNotCountedTwice: a log read, then renamed by rotation
// and written to before its writer reopened it, then gzipped by the next
// rotation, is recognised by its inode and its content: only the lines
// it did not hold are read, and the new logs.
func TestRotatedLogsAreNotCountedTwice(t *testing.T) {
	demo := demoCopy(t)
	access, _ := os.ReadFile(filepath.Join(demo, "access.log"))
	lines := strings.SplitAfter(string(access), "\n")
	part := func(i, j int) []byte { return []byte(strings.Join(lines[i:j], "")) }
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	st := openStore(t)

	write(t, log, part(0, 100))
	load(t, st.NewWriter(), dir)

	// Rename rotation: nginx writes 20 more lines to the renamed file,
	// then to the new one.
	os.Rename(log, log+".1")
	f, _ := os.OpenFile(log+".1", os.O_APPEND|os.O_WRONLY, 0)
	f.Write(part(100, 120))
	f.Close()
	write(t, log, part(120, 200))
	load(t, st.NewWriter(), dir)
	sameAs(t, "after the rename", dumpStore(t, st), fresh(t, dir))

	// The next rotation gzips access.log.1 into access.log.2.gz (another
	// inode, the same content decompressed), renames access.log.
	write(t, log+".2.gz", testarchive.Gzip(t, part(0, 120)))
	os.Remove(log + ".1")
	os.Rename(log, log+".1")
	write(t, log, part(200, 300))
	load(t, st.NewWriter(), dir)
	sameAs(t, "after the compression", dumpStore(t, st), fresh(t, dir))

	// A copy elsewhere of what was read is read as nothing new.
	other := t.TempDir()
	write(t, filepath.Join(other, "access-copy.log"), part(120, 200))
	if res := load(t, st.NewWriter(), other); res.Records != 0 {
		t.Errorf("a copy of a log read before: %d records read again", res.Records)
	}
	sameAs(t, "after the copy", dumpStore(t, st), fresh(t, dir))
}

// TestTruncatedLogIsReadFromItsStart: a log truncated and written anew
// (longer than what was read of it) is other content: it is read from its
// start, what was read before stays.
func TestTruncatedLogIsReadFromItsStart(t *testing.T) {
	demo := demoCopy(t)
	access, _ := os.ReadFile(filepath.Join(demo, "access.log"))
	old, anew := cut(access, 3)
	dir := t.TempDir()
	log := filepath.Join(dir, "access.log")
	write(t, log, old)
	st := openStore(t)
	load(t, st.NewWriter(), dir)
	before := dumpStore(t, st)
	f, err := os.OpenFile(log, os.O_TRUNC|os.O_WRONLY, 0) // copytruncate: the same inode
	if err != nil {
		t.Fatal(err)
	}
	f.Write(anew)
	f.Close()
	res := load(t, st.NewWriter(), dir)
	after := dumpStore(t, st)
	if added := after.requests() - before.requests(); added != int64(bytes.Count(anew, []byte("\n"))) || res.Records != added {
		t.Errorf("after the truncation %d requests were added (%d records read), want the %d of the new content", added, res.Records, bytes.Count(anew, []byte("\n")))
	}
	if after.requests() != 500 {
		t.Errorf("%d requests in all, want the demo's 500", after.requests())
	}
}

// TestPathsAddedLaterAddOnlyThemselves: logs given to a later load are
// added to what the store holds; the zoneless ones are read in the zone of
// the access log the store holds, and analysis finds what one load of
// everything finds.
func TestPathsAddedLaterAddOnlyThemselves(t *testing.T) {
	dir := demoCopy(t)
	st := openStore(t)
	load(t, st.NewWriter(), filepath.Join(dir, "access.log"))
	load(t, st.NewWriter(), filepath.Join(dir, "access.log"), filepath.Join(dir, "error.log"), filepath.Join(dir, "php-fpm.log"))
	sameAs(t, "after adding the error logs", dumpStore(t, st), fresh(t, dir))
	whole := openStore(t)
	load(t, whole.NewWriter(), dir)
	got, want := analyzeStore(t, st), analyzeStore(t, whole)
	if len(got.Incidents) != 1 || got.Incidents[0].RootCause != want.Incidents[0].RootCause || got.Incidents[0].Causes[0].Confidence != want.Incidents[0].Causes[0].Confidence {
		t.Errorf("incidents %+v, want those of one load: %+v", got.Incidents, want.Incidents)
	}
}

// failing is a store writer that goes down at its n-th checkpoint, as a
// crash would: nothing of that checkpoint is written. It checkpoints every
// few records, so that files are written in several.
type failing struct {
	*store.Writer
	every, n, calls, records int
}

var errCrash = errors.New("simulated crash")

func (f *failing) Due() bool {
	f.records++
	return f.records%f.every == 0 || f.Writer.Due()
}

func (f *failing) Checkpoint(src timeline.Source, key string, mark []byte) error {
	if f.calls++; f.calls == f.n {
		return errCrash
	}
	return f.Writer.Checkpoint(src, key, mark)
}

// TestInterruptedLoadIsResumedWithoutCountingTwice: a load that stops at
// any of its checkpoints leaves a store that the next load completes:
// what one load holds, nothing twice, nothing lost. Line by line (Workers
// 1: a checkpoint every 37 records, in the middle of files) and on several
// workers (the access and error logs checkpointed at the ends of blocks).
func TestInterruptedLoadIsResumedWithoutCountingTwice(t *testing.T) {
	dir := demoRotated(t)
	want := fresh(t, dir)
	for _, workers := range []int{1, 4} {
		opts := Options{Limits: heldOpts.Limits, Workers: workers}
		count := &failing{Writer: openStore(t).NewWriter(), every: 37}
		if _, err := Load(context.Background(), []string{dir}, count, opts); err != nil {
			t.Fatal(err)
		}
		if workers == 1 && count.calls < 10 {
			t.Fatalf("%d checkpoints: too few to crash in the middle of files", count.calls)
		}
		for n := 1; n <= count.calls; n++ {
			st := openStore(t)
			_, err := Load(context.Background(), []string{dir}, &failing{Writer: st.NewWriter(), every: 37, n: n}, opts)
			if !errors.Is(err, errCrash) {
				t.Fatalf("%d workers, crash at checkpoint %d: %v", workers, n, err)
			}
			load(t, st.NewWriter(), dir)
			sameAs(t, fmt.Sprintf("%d workers, crash at checkpoint %d of %d, then a load", workers, n, count.calls), dumpStore(t, st), want)
		}
	}
}

// TestStoppedLoadIsResumed: a load stopped in the middle of a file (a
// signal) keeps what it read; the next load reads the rest, once. Line by
// line and on several workers, whose blocks read ahead are not applied
// once the load is stopped.
func TestStoppedLoadIsResumed(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "access.log"), bigAccessLog(100000))
	want := fresh(t, dir)
	for _, workers := range []int{1, 4} {
		st := openStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		first, err := Load(ctx, []string{dir}, st.NewWriter(), Options{Limits: ingest.DefaultLimits, Progress: &cancelOnAdd{cancel: cancel}, Workers: workers})
		cancel()
		if !errors.Is(err, context.Canceled) || first.Records == 0 || first.Records >= 100000 {
			t.Fatalf("%d workers, stopped load: %d records, %v; want some, and context.Canceled", workers, first.Records, err)
		}
		if held := dumpStore(t, st); held.requests() != first.Records || held.records != first.Records {
			t.Errorf("%d workers: the stopped load kept %d requests, %d records; it read %d", workers, held.requests(), held.records, first.Records)
		}
		second := load(t, st.NewWriter(), dir)
		sameAs(t, fmt.Sprintf("%d workers: after the stopped load and another", workers), dumpStore(t, st), want)
		if first.Records+second.Records != 100000 {
			t.Errorf("%d workers: the loads read %d and %d records, want 100000 in all", workers, first.Records, second.Records)
		}
	}
}
