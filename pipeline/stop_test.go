package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// countingSink counts what a load hands it.
type countingSink struct {
	noMarks
	requests, events int64
	sources          []timeline.Source
	flushed          bool
}

func (s *countingSink) Request(time.Time, int, []byte) error             { s.requests++; return nil }
func (s *countingSink) Event(*patterns.Event) error                      { s.events++; return nil }
func (s *countingSink) Source(src timeline.Source)                       { s.sources = append(s.sources, src) }
func (s *countingSink) Flush() error                                     { s.flushed = true; return nil }
func (s *countingSink) Checkpoint(timeline.Source, string, []byte) error { return nil }

// cancelOnAdd is a Progress that cancels the load the first time it is
// told of bytes read: in the middle of the first file.
type cancelOnAdd struct {
	noProgress
	cancel context.CancelFunc
	files  int
}

func (c *cancelOnAdd) Add(int64)        { c.cancel() }
func (c *cancelOnAdd) File(string, int) { c.files++ }

// bigAccessLog is an access log of n requests, one a millisecond.
func bigAccessLog(n int) []byte {
	var b bytes.Buffer
	t0 := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	for i := range n {
		fmt.Fprintf(&b, "10.0.%d.%d - - [%s] \"GET /p.php?i=%d HTTP/1.1\" 200 %d \"-\" \"curl/7.88.1\"\n",
			i%251, i%241, t0.Add(time.Duration(i)*time.Millisecond).Format("02/Jan/2006:15:04:05 -0700"), i, i%9973)
	}
	return b.Bytes()
}

// TestLoadStopsInsideAFile: a load whose context is done (a signal) stops
// within the file it reads, plain or compressed, reads no further file,
// and says it stopped, rather than counting the file among the problems.
func TestLoadStopsInsideAFile(t *testing.T) {
	const lines = 200000 // progress is told every 16384 records
	data := bigAccessLog(lines)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	for name, content := range map[string][]byte{"access.log": data, "access.log.gz": gz.Bytes()} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, name), content, 0o644)
			os.WriteFile(filepath.Join(dir, "other-access.log"), data[:len(data)/8], 0o644)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sink, watch := &countingSink{}, &cancelOnAdd{cancel: cancel}
			res, err := Load(ctx, []string{dir}, sink, Options{Limits: ingest.DefaultLimits, Progress: watch})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Load: %v, want context.Canceled", err)
			}
			if sink.requests >= lines/2 || watch.files != 1 {
				t.Errorf("%d of %d requests read, %d file(s) begun, after the context was done in the first file", sink.requests, lines, watch.files)
			}
			if len(res.Problems) != 0 {
				t.Errorf("stopping is not a problem of the file: %v", res.Problems)
			}
		})
	}
}

// TestWriteJSONStops: `parse` stops within the file once its context is
// done.
func TestWriteJSONStops(t *testing.T) {
	const lines = 200000
	path := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(path, bigAccessLog(lines), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &cancelAfter{cancel: cancel, after: 1000}
	err := WriteJSON(ctx, out, []string{path}, Options{Limits: ingest.DefaultLimits, Zone: time.UTC}, func(string, string) {})
	if !errors.Is(err, context.Canceled) || out.lines >= lines/2 {
		t.Errorf("%d of %d records written, err %v; want a stop within the file, wrapping context.Canceled", out.lines, lines, err)
	}
}

// cancelAfter cancels once it was written as many lines.
type cancelAfter struct {
	cancel       context.CancelFunc
	after, lines int
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	if c.lines += strings.Count(string(p), "\n"); c.lines >= c.after {
		c.cancel()
	}
	return len(p), nil
}

// TestWriteJSONBuffersItsOutput: parse's output reaches its writer in
// large writes, all of it; a writer that fails stops it with an output
// error that wraps the writer's.
func TestWriteJSONBuffersItsOutput(t *testing.T) {
	const lines = 5000
	path := filepath.Join(t.TempDir(), "access.log")
	os.WriteFile(path, bigAccessLog(lines), 0o644)
	opts := Options{Limits: ingest.DefaultLimits, Zone: time.UTC}
	out := &writeCounter{}
	if err := WriteJSON(context.Background(), out, []string{path}, opts, func(string, string) {}); err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(out.b.Bytes(), []byte("\n")); n != lines {
		t.Errorf("%d records written, want %d", n, lines)
	}
	if most := out.b.Len()/(64<<10) + 1; out.writes > most {
		t.Errorf("%d writes of %d bytes, want at most %d", out.writes, out.b.Len(), most)
	}

	broken := errors.New("broken pipe")
	out = &writeCounter{fail: broken}
	err := WriteJSON(context.Background(), out, []string{path}, opts, func(string, string) {})
	if !errors.Is(err, broken) || !strings.HasPrefix(err.Error(), "cannot write the output: ") || out.writes != 1 {
		t.Errorf("a writer that fails: %v after %d writes; want one write, and an output error wrapping its error", err, out.writes)
	}
}

// writeCounter keeps and counts the writes it gets, or fails them.
type writeCounter struct {
	b      bytes.Buffer
	writes int
	fail   error
}

func (w *writeCounter) Write(p []byte) (int, error) {
	w.writes++
	if w.fail != nil {
		return 0, w.fail
	}
	return w.b.Write(p)
}
