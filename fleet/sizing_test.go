package fleet_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// publishDay publishes, through a Pump, a host's store of a normal day
// (loggen's shop: ~0.3 % 5xx spread over the day, no incident) of
// LOGCAUSE_SIZING_BYTES of access log (default 50 MB), as watch does: a
// round every 5 s of the day, each seeing what the store held by then;
// a quiet round's seconds and records held up to 30 s (QuietEvery), then
// published by the first round past it (the Pump's own wait, that fires
// at its time, is the next commit's round here), and those held at the
// day's end published by the rounds of 30 s more. It returns the day's
// store too (the host's: what the fleet should hold).
func publishDay(b testing.TB) (*memStream, loggen.Stats, fleet.Stats, *store.Store) {
	b.Helper()
	day, ls := loadDay(b, "day")
	first, last, _, err := day.Range()
	if err != nil {
		b.Fatal(err)
	}
	hst, err := store.Open(filepath.Join(b.TempDir(), "host"))
	if err != nil {
		b.Fatal(err)
	}
	defer hst.Close()
	clock := &quietClock{now: first} // read by the Pump's waits too
	ms := newMemStream()
	rounds := make(chan error, 1)
	p := fleet.NewPump(hst, ms, fleet.PumpConfig{Site: "shop", Host: "web1", Every: -1, Heartbeat: 10 * time.Second,
		After: func(time.Duration) <-chan time.Time { return nil }, // the rounds are the commits'; heartbeats and held seconds go with them
		Now:   clock.Now, OnRound: func(err error) { rounds <- err }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	end := last.Add(31 * time.Second) // the seconds and records held at the day's end go
	for {
		if err := <-rounds; err != nil { // the Pump waits for a Wake: no round reads the store meanwhile
			b.Fatal(err)
		}
		now := clock.Now()
		if now.After(end) {
			break
		}
		if !now.After(last) {
			commitSlice(b, day, hst, now, now.Add(5*time.Second))
		}
		clock.add(5 * time.Second)
		p.Wake()
	}
	cancel()
	<-done
	return ms, ls, p.Stats(), day
}

// commitSlice commits to dst what src holds of [from, to), as watch
// commits what it read of 5 s.
func commitSlice(b testing.TB, src, dst *store.Store, from, to time.Time) {
	b.Helper()
	w := dst.NewWriter()
	secs, err := src.Seconds(from, to)
	if err != nil {
		b.Fatal(err)
	}
	for _, sec := range secs {
		rest := map[int]int64{}
		for _, c := range sec.Status {
			rest[c.Code] = c.Count
		}
		for _, u := range sec.Upstreams {
			for _, c := range u.Status {
				w.Requests(sec.Time, c.Code, []byte(u.Addr), c.Count)
				rest[c.Code] -= c.Count
			}
		}
		for code, n := range rest {
			if n > 0 {
				w.Requests(sec.Time, code, nil, n)
			}
		}
	}
	if err := src.Events(from, to, w.Event); err != nil {
		b.Fatal(err)
	}
	if err := w.Commit(nil); err != nil {
		b.Fatal(err)
	}
}

// loadDay is a store named name holding writeDay's day, closed at the
// benchmark's end.
func loadDay(b testing.TB, name string) (*store.Store, loggen.Stats) {
	b.Helper()
	dir, ls := writeDay(b)
	st, err := store.Open(filepath.Join(b.TempDir(), name))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := pipeline.Load(context.Background(), []string{dir}, st.NewWriter(), pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits}); err != nil {
		b.Fatal(err)
	}
	return st, ls
}

// writeDay writes loggen's normal day of LOGCAUSE_SIZING_BYTES of access
// log (default 50 MB) to a directory of its own.
func writeDay(b testing.TB) (dir string, ls loggen.Stats) {
	b.Helper()
	size := int64(50 << 20)
	if s := os.Getenv("LOGCAUSE_SIZING_BYTES"); s != "" {
		n, err := loggen.ParseSize(s)
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	dir = b.TempDir()
	f, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	ls, err = loggen.Access{Seed: 1, Bytes: size}.Write(f)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	return dir, ls
}

// TestQuietDayIsUnderOnePercent: a quiet host (loggen's normal day of
// 50 MB of access log, 2.6 requests a second) publishes at most 1 % of its
// raw log bytes (bodies, subjects, IDs: a deterministic count, not a
// timing), and the fleet merges from it the host's counts and records,
// none lost in the columns or held for good.
// LOGCAUSE_SIZING_BYTES=400MB checks the busier day alike.
func TestQuietDayIsUnderOnePercent(t *testing.T) {
	ms, ls, s, day := publishDay(t)
	if share := 100 * float64(s.Bytes) / float64(ls.Bytes); share > 1 {
		t.Errorf("published %d bytes in %d messages of %d bytes of access log: %.3f %%, over 1 %%", s.Bytes, s.Messages, ls.Bytes, share)
	}
	fst := consume(t, ms)
	if want, got := secondsOf(t, day), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %d second-statuses, the host %d; or not the same", len(got), len(want))
	}
	if want, got := records(t, day, ""), records(t, fst, "web1:"); !slices.Equal(want, got) {
		t.Errorf("the fleet holds %d records, the host %d; or not the same", len(got), len(want))
	}
}

// BenchmarkPublishedBytes measures what a host publishes of a normal
// day, per million log lines and as a share of the raw bytes
// (docs/fleet.md). Run:
// go test -run '^$' -bench PublishedBytes -benchtime 1x ./fleet
func BenchmarkPublishedBytes(b *testing.B) {
	for range b.N {
		_, ls, s, _ := publishDay(b)
		b.ReportMetric(float64(s.Bytes)/float64(ls.Lines)*1e6, "bytes/Mlines")
		b.ReportMetric(100*float64(s.Bytes)/float64(ls.Bytes), "%raw")
		b.ReportMetric(float64(s.Messages), "messages")
		b.ReportMetric(float64(ls.Lines), "lines")
	}
}

// BenchmarkPublishedBytesCatchUp measures what a host publishes of the
// same day in one catch-up (its store written while NATS was out of
// reach: the day's commits published in chunks by one round). Run:
// go test -run '^$' -bench PublishedBytesCatchUp -benchtime 1x ./fleet
func BenchmarkPublishedBytesCatchUp(b *testing.B) {
	for range b.N {
		ls, s := catchUpDay(b)
		b.ReportMetric(float64(s.Bytes)/float64(ls.Lines)*1e6, "bytes/Mlines")
		b.ReportMetric(100*float64(s.Bytes)/float64(ls.Bytes), "%raw")
		b.ReportMetric(float64(s.Messages), "messages")
	}
}

// catchUpDay publishes a day's store (as publishDay's) in one round, with
// MaxBacklog a day.
func catchUpDay(b *testing.B) (loggen.Stats, fleet.Stats) {
	b.Helper()
	hst, ls := loadDay(b, "host")
	_, last, _, err := hst.Range()
	if err != nil {
		b.Fatal(err)
	}
	ms := newMemStream()
	rounds := make(chan error, 1)
	p := fleet.NewPump(hst, ms, fleet.PumpConfig{Site: "shop", Host: "web1", Every: -1, Heartbeat: -1, MaxBacklog: 48 * time.Hour,
		Now: func() time.Time { return last }, OnRound: func(err error) { rounds <- err }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	if err := <-rounds; err != nil {
		b.Fatal(err)
	}
	cancel()
	<-done
	return ls, p.Stats()
}

// BenchmarkConsume measures the fleet's consumer: messages merged into
// its store per second (the day of BenchmarkPublishedBytes, from memory:
// the store's writes and the merge, not the network). Run:
// go test -run '^$' -bench Consume -benchtime 3x ./fleet
func BenchmarkConsume(b *testing.B) {
	ms, _, _, _ := publishDay(b)
	b.ResetTimer()
	start := time.Now()
	var st fleet.ConsumerStats
	for range b.N {
		st = consumeB(b, ms)
	}
	took := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(float64(len(ms.msgs))/took, "msgs/s")
	b.ReportMetric(float64(st.Seconds)/took, "seconds/s")
	b.ReportMetric(float64(st.Records)/took, "records/s")
}

func consumeB(b *testing.B, ms *memStream) fleet.ConsumerStats {
	fst, err := store.Open(filepath.Join(b.TempDir(), "fleet"))
	if err != nil {
		b.Fatal(err)
	}
	defer fst.Close()
	c, stop := consumeAll(b, ms, fst, 512)
	stop()
	return c.Stats()
}
