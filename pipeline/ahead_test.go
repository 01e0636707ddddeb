package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// slowLog writes a bench/loggen MySQL 8 slow log of n queries.
func slowLog(t testing.TB, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "slow.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (loggen.Slow{Seed: 1, Queries: n}).Write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// orderSink records the slow-log entries a load hands it, and checks at
// each checkpoint that it holds the events of every record the checkpoint
// counts: a mark must never claim an entry the sink has not been given.
type orderSink struct {
	countingSink
	t           *testing.T
	offsets     []int64
	due         int
	checkpoints int
}

func (s *orderSink) Event(ev *patterns.Event) error {
	q := ev.Slow
	if q == nil || q.Fingerprint == "" || q.Fingerprint != patterns.Fingerprint(q.Query) || q.QueryID != patterns.QueryID(q.Fingerprint) {
		s.t.Errorf("entry at offset %d handed unclassified or misclassified: %+v", ev.Offset, q)
	}
	s.offsets = append(s.offsets, ev.Offset)
	return nil
}

func (s *orderSink) Due() bool { return len(s.offsets) >= s.due*(s.checkpoints+1) }

func (s *orderSink) Checkpoint(src timeline.Source, _ string, _ []byte) error {
	s.checkpoints++
	if got := int64(len(s.offsets)); src.Records != got {
		s.t.Errorf("checkpoint %d claims %d records, the sink was given %d entries", s.checkpoints, src.Records, got)
	}
	return nil
}

// TestSlowLoadClassifiesAhead: a slow log's entries are classified on a
// goroutine of their own (ahead) and still reach the sink classified, in
// file order, each before the checkpoint that counts it.
func TestSlowLoadClassifiesAhead(t *testing.T) {
	const queries = 3*aheadBatch + 7
	path := slowLog(t, queries)
	for _, due := range []int{1, 100, aheadBatch, 1 << 30} {
		s := &orderSink{t: t, due: due}
		res, err := Load(context.Background(), []string{path}, s, Options{Limits: ingest.DefaultLimits})
		if err != nil || len(res.Problems) > 0 {
			t.Fatal(err, res.Problems)
		}
		if len(s.offsets) != queries {
			t.Fatalf("due every %d: %d entries handed, want %d", due, len(s.offsets), queries)
		}
		for i := 1; i < len(s.offsets); i++ {
			if s.offsets[i] <= s.offsets[i-1] {
				t.Fatalf("due every %d: entry %d at offset %d handed after offset %d", due, i, s.offsets[i], s.offsets[i-1])
			}
		}
		if s.checkpoints == 0 {
			t.Fatalf("due every %d: no checkpoint", due)
		}
	}
}

// TestSlowLoadStopsOnASinkError: a sink that fails in the middle of a slow
// log stops the load, the classifying goroutine with it (TestMain checks
// that none is left), and the next load completes what was written up to
// the last checkpoint into what one load holds.
func TestSlowLoadStopsOnASinkError(t *testing.T) {
	path := slowLog(t, 3*aheadBatch+7)
	want := fresh(t, path)
	for _, n := range []int{1, aheadBatch + 1, 3 * aheadBatch} {
		st := openStore(t)
		_, err := Load(context.Background(), []string{path}, &sinkFailing{Writer: st.NewWriter(), n: n}, Options{Limits: ingest.DefaultLimits})
		if !errors.Is(err, errSinkDown) {
			t.Fatalf("event %d fails: %v", n, err)
		}
		load(t, st.NewWriter(), path)
		sameAs(t, fmt.Sprintf("event %d failed, then a load", n), dumpStore(t, st), want)
	}
}
