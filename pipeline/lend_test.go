package pipeline

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

// handedSink records each event as it was when handed (its JSON), and the
// event itself, then gives it to its store writer.
type handedSink struct {
	BatchSink // a *store.Writer; embedded as BatchSink, it is no keeper
	at        []string
	evs       []*patterns.Event
}

func (s *handedSink) Event(ev *patterns.Event) error {
	s.at = append(s.at, string(ev.AppendJSON(nil)))
	s.evs = append(s.evs, ev)
	return s.BatchSink.Event(ev)
}

// keepingNothing is a handedSink that says it keeps nothing (keeper).
type keepingNothing struct{ *handedSink }

func (keepingNothing) Keeps(patterns.Kind) bool { return false }

// TestLoadLendsEventsOnlyToAKeeper: a parallel load hands a sink that
// keeps nothing of the events (keeper) events it lends — reused, their
// texts its blocks' bytes —, each as a load line by line makes it when
// handed; a sink that is no keeper gets events of its own, unchanged
// once the load is over. The outage's access log (its failed requests),
// error log and php-fpm log, with multi-line and malformed records.
func TestLoadLendsEventsOnlyToAKeeper(t *testing.T) {
	dir := realisticLogs(t)
	paths := []string{filepath.Join(dir, "access.log"), filepath.Join(dir, "shop-error.log"), filepath.Join(dir, "shop-php-fpm.log")}
	run := func(workers int, lend bool) *handedSink {
		st, err := store.Open(filepath.Join(t.TempDir(), "store"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		h := &handedSink{BatchSink: st.NewWriter()}
		var sink BatchSink = h
		if lend {
			sink = keepingNothing{h}
		}
		if _, err := Load(context.Background(), paths, sink, Options{Limits: ingest.DefaultLimits, Workers: workers, readAhead: 4}); err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := run(1, true) // line by line: nothing lent
	kinds := map[patterns.Kind]int{}
	for _, ev := range want.evs {
		kinds[ev.Kind]++
	}
	if kinds[patterns.KindNginxAccess] < 100 || kinds[patterns.KindNginxError] < 100 || kinds[patterns.KindFPMError] < 100 {
		t.Fatalf("the logs are not what the test needs: %v", kinds)
	}
	for _, lend := range []bool{true, false} {
		got := run(3, lend)
		if len(got.at) != len(want.at) {
			t.Fatalf("lend %v: %d events handed, line by line %d", lend, len(got.at), len(want.at))
		}
		for i := range want.at {
			if got.at[i] != want.at[i] {
				t.Fatalf("lend %v: event %d handed as\n%s\nline by line\n%s", lend, i, got.at[i], want.at[i])
			}
		}
		distinct := map[*patterns.Event]bool{}
		changed := 0
		for i, ev := range got.evs {
			distinct[ev] = true
			if string(ev.AppendJSON(nil)) != got.at[i] {
				changed++
			}
		}
		switch {
		case lend && len(distinct) == len(got.evs):
			t.Errorf("lent: %d distinct events of %d handed, not reused", len(distinct), len(got.evs))
		case !lend && (len(distinct) != len(got.evs) || changed > 0):
			t.Errorf("not lent: %d distinct events of %d handed, %d changed since", len(distinct), len(got.evs), changed)
		}
	}
}
