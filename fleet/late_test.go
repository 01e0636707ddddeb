package fleet_test

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/store"
)

// TestLateRecordsAreSentOnce: what a host's store commits with instants
// long before what was published (a follower an hour behind the others, a
// rotated file drained after a long stop), before and after a restart of
// its Pump, and a second whose counts grow after they were published,
// reach the fleet: each record once, each second's counts the host's.
func TestLateRecordsAreSentOnce(t *testing.T) {
	ms := newMemStream()
	st := lateRecords(t, ms)
	fst := openStore(t, "fleet")
	c, stop := consumeAll(t, ms, fst, 3)
	stop()
	sameRecordsOnce(t, st, fst, c)
}

// TestLateRecordsAreSentOnceOnJetStream: the same through a real
// JetStream cluster (3 servers in process), merged by a Consumer of it.
func TestLateRecordsAreSentOnceOnJetStream(t *testing.T) {
	_, js := onCluster(t)
	st := lateRecords(t, js)
	fst, c := caughtUp(t, js)
	sameRecordsOnce(t, st, fst, c)
}

// sameRecordsOnce checks that the fleet's store fst holds web1's counts
// and its 4 records, and that c merged each once.
func sameRecordsOnce(t *testing.T, st, fst *store.Store, c *fleet.Consumer) {
	t.Helper()
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
	want, got := records(t, st, ""), records(t, fst, "web1:")
	if len(want) != 4 || !slices.Equal(got, want) {
		t.Errorf("the fleet holds records %q, the host %q", got, want)
	}
	if s := c.Stats(); s.Records != 4 {
		t.Errorf("the stream carried %d records, want each of the 4 once", s.Records)
	}
}

// counting is a Publisher that counts the messages it passes on.
type counting struct {
	next fleet.Publisher
	mu   sync.Mutex
	n    int
}

func (c *counting) Publish(ctx context.Context, msgs []fleet.Message) error {
	c.mu.Lock()
	c.n += len(msgs)
	c.mu.Unlock()
	return c.next.Publish(ctx, msgs)
}

// lateRecords publishes web1's store to next as records and counts are
// committed late, across restarts of its Pump, and returns the store.
func lateRecords(t *testing.T, next fleet.Publisher) *store.Store {
	t.Helper()
	st := openStore(t, "web1")
	clock := func(c *fleet.PumpConfig) { c.Now = func() time.Time { return t0.Add(2 * time.Hour) } }
	ms := &counting{next: next}
	round := func(r *pumpRun) {
		t.Helper()
		r.p.Wake()
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
	}
	hour := t0.Add(time.Hour)
	commit(t, st, hour, 502, 1, gatewayLine(hour, 0))
	r := runPumpOf(t, "web1", st, ms, clock)
	for err := r.await(t); err != nil; err = r.await(t) { // a new cluster without a stream leader yet: tried again
		r.retry <- time.Now()
	}
	commit(t, st, t0, 502, 2, gatewayLine(t0, 100), gatewayLine(t0, 200)) // an hour before what was published
	commit(t, st, hour, 200, 5)                                           // grown
	round(r)
	commit(t, st, hour, 200, 3) // grown again
	commit(t, st, t0, 502, 1)   // and the late second too
	round(r)
	r.stop()

	// A restart, and records committed meanwhile, 50 minutes behind.
	late := t0.Add(10 * time.Minute)
	commit(t, st, late, 504, 1, gatewayLine(late, 300))
	again := runPumpOf(t, "web1", st, ms, clock)
	if err := again.await(t); err != nil {
		t.Fatal(err)
	}
	round(again) // nothing new: nothing sent
	again.stop()
	n := ms.n
	third := runPumpOf(t, "web1", st, ms, clock)
	if err := third.await(t); err != nil {
		t.Fatal(err)
	}
	third.stop()
	if got := ms.n - n; got != 0 {
		t.Errorf("a third start published %d messages, want none", got)
	}
	return st
}

// TestAGrownSecondIsReplacedNotAdded: a second whose counts grow after
// each round, over more than an hour of the host's time (a follower that
// lags), ends in the fleet with the host's counts; a Pump restarted in
// between does not publish them again.
func TestAGrownSecondIsReplacedNotAdded(t *testing.T) {
	st := openStore(t, "web1")
	ms := newMemStream()
	var mu sync.Mutex
	now := t0
	clock := func(c *fleet.PumpConfig) { c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now } }
	for i := range 6 {
		commit(t, st, t0, 502, 1+i%2) // grown by 1, 2, 1, 2…: the same growth twice is not the same message
		if i%2 == 0 {
			commit(t, st, t0.Add(time.Duration(i)*15*time.Minute), 200, 2) // the store's time moves on
		}
		mu.Lock()
		now = t0.Add(time.Duration(i) * 15 * time.Minute)
		mu.Unlock()
		r := runPumpOf(t, "web1", st, ms, clock)
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		r.stop()
	}
	fst := consume(t, ms)
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
	if got := secondsOf(t, fst)[t0.Format(time.RFC3339)+" 502"]; got != 9 {
		t.Errorf("the fleet counts %d 502s at t0, want 1+2+1+2+1+2 = 9", got)
	}
}

// TestHeartbeatsResolveOnAQuietSite: after an incident, neither host has
// a request more: each Pump's rounds of its own publish the host's clock,
// and the fleet's incident resolves once both hosts' clocks passed its
// end, not before (a quiet host holds the site's clock until it beats).
func TestHeartbeatsResolveOnAQuietSite(t *testing.T) {
	ms := newMemStream()
	web1st := loaded(t, "web1", "fpm-stopped")
	first, last, _, err := web1st.Range()
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := last.Add(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	beating := func(c *fleet.PumpConfig) { c.Heartbeat, c.Now = 10*time.Second, clock }
	web1 := runPumpOf(t, "web1", web1st, ms, beating)
	web2st := openStore(t, "web2")
	commit(t, web2st, first, 200, 1) // a quiet host
	web2 := runPumpOf(t, "web2", web2st, ms, beating)
	for _, r := range []*pumpRun{web1, web2} {
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
	}
	fst := openStore(t, "fleet")
	var got told
	cfg := fleet.ConsumerConfig{Hook: got.hook, ResolveAfter: 30 * time.Minute, Away: 24 * time.Hour}
	merge := func() []string {
		t.Helper()
		_, stop := consumeUntil(t, ms, fst, 5, uint64(len(ms.msgs)), cfg)
		stop()
		return got.list()
	}
	if told := merge(); !slices.Equal(told, []string{"opened fpm_down [web1]"}) {
		t.Fatalf("told %q, want the incident opened", told)
	}
	mu.Lock()
	now = last.Add(time.Hour)
	mu.Unlock()
	beat := func(r *pumpRun) {
		t.Helper()
		n := len(ms.msgs)
		r.retry <- now // the heartbeat's wait is over
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		if d := ms.msgs[len(ms.msgs)-1]; len(ms.msgs) != n+1 || !strings.HasSuffix(d.Subject, "."+fleet.KindClock) {
			t.Fatalf("a quiet round published %d messages, want one heartbeat", len(ms.msgs)-n)
		}
	}
	beat(web1)
	if told := merge(); !slices.Equal(told, []string{"opened fpm_down [web1]"}) {
		t.Errorf("with web2 quiet and silent, told %q; want the incident still open", told)
	}
	beat(web2)
	if told := merge(); !slices.Equal(told, []string{"opened fpm_down [web1]", "resolved fpm_down [web1]"}) {
		t.Errorf("with both hosts beating, told %q; want it resolved", told)
	}
}

// partial is a JetStream whose first Publish that the stream takes
// stores its first message only, then fails (the connection dropped); it
// records the IDs each Publish held from that one on.
type partial struct {
	*fleet.JetStream
	mu   sync.Mutex
	cut  bool
	sent [][]string
}

func (p *partial) Publish(ctx context.Context, msgs []fleet.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.cut {
		if err := p.JetStream.Publish(ctx, msgs[:1]); err != nil {
			return err // a new cluster without a stream leader yet
		}
		p.cut = true
	}
	var ids []string
	for _, m := range msgs {
		ids = append(ids, m.ID)
	}
	p.sent = append(p.sent, ids)
	if len(p.sent) == 1 {
		return errCut
	}
	return p.JetStream.Publish(ctx, msgs)
}

// TestStoredSecondsAreNotSentAgain: a chunk of two messages of seconds
// whose first the stream stored before the connection dropped: the Pump
// asks the stream (a real JetStream cluster in process) what it holds of
// the host's seconds, and sends the second only, so the first is not
// added twice even past the stream's duplicate window; the fleet's counts
// are the host's.
func TestStoredSecondsAreNotSentAgain(t *testing.T) {
	_, js := onCluster(t)
	st := openStore(t, "web1")
	w := st.NewWriter()
	for s := range 90 { // two messages of seconds
		w.Requests(t0.Add(time.Duration(s)*time.Second), 200, nil, int64(1+s%3))
	}
	if err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
	pub := &partial{JetStream: js}
	r := runPumpOf(t, "web1", st, pub, func(c *fleet.PumpConfig) { c.Now = func() time.Time { return t0.Add(time.Hour) } })
	for err := r.await(t); err != nil; err = r.await(t) { // the cut, and a new cluster without a stream leader yet: tried again
		r.retry <- time.Now()
	}
	pub.mu.Lock()
	sent := slices.Clone(pub.sent)
	pub.mu.Unlock()
	if len(sent) < 2 || len(sent[0]) != 2 || !slices.Equal(sent[1], sent[0][1:]) {
		t.Errorf("published %q; want the chunk's two messages, then the second only", sent)
	}
	fst, _ := caughtUp(t, js)
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
}
