package fleet_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/store"
)

// watching is a Publisher that hears of each Publish before passing it
// on: how many messages it held (what the Pump holds in flight), and the
// Pump's backlog then; while offline, it fails.
type watching struct {
	next    fleet.Publisher
	pump    func() *fleet.Pump
	mu      sync.Mutex
	offline bool
	sizes   []int
	backlog []time.Duration
}

func (w *watching) Publish(ctx context.Context, msgs []fleet.Message) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.offline {
		return errCut
	}
	w.sizes = append(w.sizes, len(msgs))
	w.backlog = append(w.backlog, w.pump().Stats().Backlog)
	return w.next.Publish(ctx, msgs)
}

// offlineFor writes a long stretch to st as a host does while NATS is out
// of reach: every second of hours some requests, and every few seconds a
// gateway-error line; in the second hour's first minute a burst of 50
// gateway-error lines a second.
func offlineFor(t *testing.T, st *store.Store, from time.Time, hours int) (records int) {
	t.Helper()
	for m := range hours * 60 {
		w := st.NewWriter()
		for s := range 60 {
			at := from.Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
			w.Requests(at, 200, []byte("127.0.0.1:9000"), int64(1+s%7))
			lines := 0
			switch {
			case m == 60:
				lines = 50
			case s%3 == 0:
				lines = 1
			}
			for k := range lines {
				w.Requests(at, 502, []byte("127.0.0.1:9000"), 1)
				if err := w.Event(gatewayLine(at, int64(m*60+s)*10000+int64(k)*100)); err != nil {
					t.Fatal(err)
				}
				records++
			}
		}
		if err := w.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	return records
}

// TestCatchUpInChunks: a host out of reach of NATS for five hours catches
// up when it returns, in chunks: no Publish holds more than ChunkMessages
// messages, each is acknowledged before the next is read, the backlog in
// /metrics falls with each, and the fleet holds every count and record of
// the host, once.
func TestCatchUpInChunks(t *testing.T) {
	ms := newMemStream()
	st, n := catchUp(t, ms)
	fst := consume(t, ms)
	sameAsTheHost(t, st, fst, n)
	incidents := 0
	for _, d := range ms.msgs {
		if d.Subject == fleet.Subject("shop", "web1", fleet.KindIncident) {
			incidents++
		}
	}
	if incidents != 1 {
		t.Errorf("%d incident events published, want 1", incidents)
	}
}

// TestCatchUpInChunksOnJetStream: the same catch-up through a real
// JetStream cluster (3 servers in process), merged by a Consumer of it.
func TestCatchUpInChunksOnJetStream(t *testing.T) {
	_, js := onCluster(t)
	st, n := catchUp(t, js)
	fst, _ := caughtUp(t, js)
	sameAsTheHost(t, st, fst, n)
}

// caughtUp merges what the site shop's stream holds into a fleet store
// by a Consumer of js, and returns them once it caught up.
func caughtUp(t *testing.T, js *fleet.JetStream) (*store.Store, *fleet.Consumer) {
	t.Helper()
	fst := openStore(t, "fleet")
	c := fleet.NewConsumer(fst, fleet.ConsumerConfig{})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() {
		ran <- c.Run(ctx, func(ctx context.Context, from uint64) (fleet.Feeder, error) { return js.Subscribe(ctx, "shop", from) })
	}()
	select {
	case <-c.CaughtUp():
	case <-time.After(guard):
		t.Fatal("the consumer did not catch up")
	}
	cancel()
	if err := <-ran; err != nil {
		t.Fatal(err)
	}
	return fst, c
}

// sameAsTheHost checks that the fleet's store fst holds the counts of
// web1's store st, and its n records.
func sameAsTheHost(t *testing.T, st, fst *store.Store, n int) {
	t.Helper()
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %d host-seconds, the host %d: not the same", len(got), len(want))
	}
	if got := records(t, fst, "web1:"); len(got) != n {
		t.Errorf("the fleet holds %d records, the host %d", len(got), n)
	}
}

// catchUp runs web1's Pump to next, with chunks of 4 messages: a round
// published, then five hours written while next is out of reach (a round
// fails), then next back: the catch-up is checked as it goes. It returns
// web1's store and the records it holds.
func catchUp(t *testing.T, next fleet.Publisher) (*store.Store, int) {
	t.Helper()
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 1)
	var r *pumpRun
	pub := &watching{next: next, pump: func() *fleet.Pump { return r.p }}
	const chunk = 4
	now := t0.Add(5*time.Hour + time.Minute)
	pub.mu.Lock() // its Publish reads r: not before it is set
	r = runPumpOf(t, "web1", st, pub, func(c *fleet.PumpConfig) {
		c.ChunkMessages = chunk
		c.Now = func() time.Time { return now }
	})
	pub.mu.Unlock()
	hang := time.After(guard)
	for err := r.await(t); err != nil; err = r.await(t) { // a new cluster without a stream leader yet: tried again
		select {
		case <-hang:
			t.Fatal(err)
		case r.retry <- time.Now():
		}
	}
	pub.mu.Lock()
	pub.offline = true
	pub.sizes, pub.backlog = nil, nil
	pub.mu.Unlock()
	n := offlineFor(t, st, t0.Add(time.Second), 5)
	r.p.Incidents([]analyze.Incident{{Start: t0.Add(time.Hour), End: t0.Add(time.Hour + time.Minute), Title: "502s"}}, nil, nil)
	if err := r.await(t); err == nil {
		t.Fatal("a round published while NATS was out of reach")
	}
	if s := r.p.Stats(); s.Backlog != 5*time.Hour {
		t.Fatalf("the backlog while offline is %v, want 5h", s.Backlog)
	}
	pub.mu.Lock()
	pub.offline = false
	pub.mu.Unlock()
	r.retry <- time.Now()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	pub.mu.Lock()
	sizes, backlog := pub.sizes, pub.backlog
	pub.mu.Unlock()
	total := 0
	for i, k := range sizes {
		total += k
		if k > chunk {
			t.Errorf("publish %d held %d messages, more than the chunk's %d", i, k, chunk)
		}
		// The first publish is the failed chunk's seconds sent again as
		// they were; then that chunk read again (its seconds published),
		// and the others: the backlog falls with each.
		if i > 1 && backlog[i] >= backlog[i-1] {
			t.Errorf("the backlog before publish %d is %v, not less than before the one before (%v)", i, backlog[i], backlog[i-1])
		}
	}
	t.Logf("%d records, %d messages in %d chunks", n, total, len(sizes))
	if min := (n/256 + 5*60) / chunk; len(sizes) < min {
		t.Errorf("%d chunks, want %d at least", len(sizes), min)
	}
	if s := r.p.Stats(); s.Backlog != 0 || s.Skipped != 0 || int(s.Messages) < total {
		t.Errorf("after the catch-up: %+v; want no backlog, nothing skipped, %d messages", s, total)
	}
	r.stop()
	return st, n
}
