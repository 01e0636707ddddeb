package fleet_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// publishDay publishes, through a Pump, a host's store of a normal day
// (loggen's shop: ~0.3 % 5xx spread over the day, no incident) of
// LOGCAUSE_SIZING_BYTES of access log (default 50 MB), as watch does: a
// round every 5 s of the day, each seeing what the store held by then.
func publishDay(b *testing.B) (*memStream, loggen.Stats, fleet.Stats) {
	b.Helper()
	size := int64(50 << 20)
	if s := os.Getenv("LOGCAUSE_SIZING_BYTES"); s != "" {
		n, err := loggen.ParseSize(s)
		if err != nil {
			b.Fatal(err)
		}
		size = n
	}
	dir := b.TempDir()
	f, err := os.Create(filepath.Join(dir, "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	ls, err := loggen.Access{Seed: 1, Bytes: size}.Write(f)
	if err != nil {
		b.Fatal(err)
	}
	f.Close()
	hst, err := store.Open(filepath.Join(b.TempDir(), "host"))
	if err != nil {
		b.Fatal(err)
	}
	defer hst.Close()
	if _, err := pipeline.Load(context.Background(), []string{dir}, hst.NewWriter(), pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits}); err != nil {
		b.Fatal(err)
	}
	first, last, _, err := hst.Range()
	if err != nil {
		b.Fatal(err)
	}
	live := &liveSource{Store: hst, now: first}
	ms := newMemStream()
	rounds := make(chan error, 1)
	p := fleet.NewPump(live, ms, fleet.PumpConfig{Site: "shop", Host: "web1", Every: -1, OnRound: func(err error) { rounds <- err }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	for {
		if err := <-rounds; err != nil {
			b.Fatal(err)
		}
		if live.now.After(last) {
			break
		}
		live.now = live.now.Add(5 * time.Second) // the Pump waits for a Wake: no round reads it meanwhile
		p.Wake()
	}
	cancel()
	<-done
	return ms, ls, p.Stats()
}

// liveSource is a store as it was at now: what came later is not there
// yet.
type liveSource struct {
	*store.Store
	now time.Time
}

func (l *liveSource) Range() (first, last time.Time, ok bool, err error) {
	first, last, ok, err = l.Store.Range()
	if last.After(l.now) {
		last = l.now
	}
	return first, last, ok && !first.After(l.now), err
}

func (l *liveSource) Seconds(from, to time.Time) ([]timeline.Second, error) {
	return l.Store.Seconds(from, earlier(to, l.now.Add(time.Nanosecond)))
}

func (l *liveSource) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	return l.Store.Events(from, earlier(to, l.now.Add(time.Nanosecond)), fn)
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// BenchmarkPublishedBytes measures what a host publishes of a normal
// day, per million log lines and as a share of the raw bytes
// (docs/fleet.md). Run:
// go test -run '^$' -bench PublishedBytes -benchtime 1x ./fleet
func BenchmarkPublishedBytes(b *testing.B) {
	for range b.N {
		_, ls, s := publishDay(b)
		b.ReportMetric(float64(s.Bytes)/float64(ls.Lines)*1e6, "bytes/Mlines")
		b.ReportMetric(100*float64(s.Bytes)/float64(ls.Bytes), "%raw")
		b.ReportMetric(float64(s.Messages), "messages")
		b.ReportMetric(float64(ls.Lines), "lines")
	}
}

// BenchmarkConsume measures the fleet's consumer: messages merged into
// its store per second (the day of BenchmarkPublishedBytes, from memory:
// the store's writes and the merge, not the network). Run:
// go test -run '^$' -bench Consume -benchtime 3x ./fleet
func BenchmarkConsume(b *testing.B) {
	ms, _, _ := publishDay(b)
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
