package fleet_test

import (
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/store"
)

// quietClock is a Pump's clock that the test moves.
type quietClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *quietClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *quietClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// runQuietPump runs a Pump that holds a quiet host's seconds for 30 s,
// a heartbeat due after 10 s, on clock.
func runQuietPump(t *testing.T, st *store.Store, ms *memStream, clock *quietClock) *pumpRun {
	t.Helper()
	return runPumpOf(t, "web1", st, ms, func(c *fleet.PumpConfig) {
		c.QuietEvery, c.Heartbeat, c.Now = 30*time.Second, 10*time.Second, clock.Now
	})
}

// kinds counts the messages of ms from the n-th on, by kind.
func kinds(ms *memStream, n int) map[string]int {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	got := map[string]int{}
	for _, d := range ms.msgs[n:] {
		for _, k := range []string{fleet.KindSeconds, fleet.KindRecords, fleet.KindIncident, fleet.KindClock} {
			if d.Subject == fleet.Subject("shop", "web1", k) {
				got[k]++
			}
		}
	}
	return got
}

// quietStart runs a quiet Pump of a store of web1 with a second of
// 200s, and waits for its first round (which publishes it).
func quietStart(t *testing.T) (*store.Store, *memStream, *quietClock, *pumpRun) {
	t.Helper()
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 3)
	ms := newMemStream()
	clock := &quietClock{now: t0.Add(10 * time.Second)}
	r := runQuietPump(t, st, ms, clock)
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	return st, ms, clock, r
}

// quietRound commits a second of 200s, moves the clock 5 s and runs a
// round.
func quietRound(t *testing.T, st *store.Store, r *pumpRun, clock *quietClock, at time.Time) {
	t.Helper()
	commit(t, st, at, 200, 2)
	clock.add(5 * time.Second)
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
}

// TestQuietHostHoldsItsSeconds: a host with nothing an incident needs
// publishes its seconds at most every QuietEvery, the rounds between
// merged into one message; no heartbeat goes meanwhile (the seconds held
// tell its clock when they go); the fleet's counts are the host's.
// Seconds held when the Pump stops come out at its next start.
func TestQuietHostHoldsItsSeconds(t *testing.T) {
	st, ms, clock, r := quietStart(t)
	if got := kinds(ms, 0); got[fleet.KindSeconds] != 1 {
		t.Fatalf("the first round published %v, want its seconds", got)
	}
	for i := 1; i <= 5; i++ { // 25 s: held
		quietRound(t, st, r, clock, t0.Add(time.Duration(i)*time.Second))
	}
	if n := len(ms.msgs); n != 1 {
		t.Errorf("five quiet rounds in 25 s published %v, want nothing: no seconds, no heartbeat while they are held", kinds(ms, 1))
	}
	if s := r.p.Stats(); s.Backlog != 5*time.Second {
		t.Errorf("the backlog of five seconds held is %v", s.Backlog)
	}
	n := len(ms.msgs)
	clock.add(5 * time.Second) // 30 s since the seconds went out: the Pump's own wait fires
	r.retry <- clock.Now()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := kinds(ms, n); got[fleet.KindSeconds] != 1 || len(ms.msgs) != n+1 {
		t.Errorf("after QuietEvery the round published %v, want the five seconds held in one message", got)
	}
	if want, got := secondsOf(t, st), secondsOf(t, consume(t, ms)); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}

	quietRound(t, st, r, clock, t0.Add(6*time.Second)) // held, then a restart
	r.stop()
	again := runQuietPump(t, st, ms, clock)
	if err := again.await(t); err != nil {
		t.Fatal(err)
	}
	if want, got := secondsOf(t, st), secondsOf(t, consume(t, ms)); !maps.Equal(want, got) {
		t.Errorf("after a restart the fleet counts %v, the host %v", got, want)
	}
}

// TestRecordSendsHeldSecondsAtOnce: a round with an urgent record (here a
// burst of gateway errors), or with an incident event, publishes at once,
// the seconds held with it.
func TestRecordSendsHeldSecondsAtOnce(t *testing.T) {
	st, ms, clock, r := quietStart(t)
	quietRound(t, st, r, clock, t0.Add(time.Second)) // held
	n := len(ms.msgs)
	commit(t, st, t0.Add(2*time.Second), 502, 2, gatewayLine(t0.Add(2*time.Second), 0), gatewayLine(t0.Add(2*time.Second), 100))
	clock.add(5 * time.Second)
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := kinds(ms, n); got[fleet.KindSeconds] != 1 || got[fleet.KindRecords] != 1 {
		t.Errorf("a round with a burst published %v, want the seconds and the records", got)
	}
	if want, got := secondsOf(t, st), secondsOf(t, consume(t, ms)); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}

	quietRound(t, st, r, clock, t0.Add(3*time.Second)) // held
	n = len(ms.msgs)
	commit(t, st, t0.Add(4*time.Second), 200, 1)
	clock.add(time.Second)
	inc := analyze.Incident{Start: t0, End: t0.Add(time.Second), Title: "502s", Status: map[string]int64{"502": 1}}
	r.p.Incidents(nil, nil, []analyze.Incident{inc})
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := kinds(ms, n); got[fleet.KindSeconds] != 1 || got[fleet.KindIncident] != 1 {
		t.Errorf("a round with an incident event published %v, want the seconds and the event", got)
	}
}
