package fleet_test

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

var t0 = time.Date(2026, 12, 6, 4, 22, 7, 0, time.UTC)

// commit writes n requests of status at t, and the records evs, to st.
func commit(t *testing.T, st *store.Store, at time.Time, status, n int, evs ...*patterns.Event) {
	t.Helper()
	w := st.NewWriter()
	for range n {
		w.Request(at, status, []byte("127.0.0.1:9000"))
	}
	for _, ev := range evs {
		w.Event(ev)
	}
	if err := w.Commit(nil); err != nil {
		t.Fatal(err)
	}
}

func gatewayLine(at time.Time, offset int64) *patterns.Event {
	return &patterns.Event{Time: at, Kind: patterns.KindNginxAccess, Path: "/var/log/nginx/access.log", Offset: offset,
		Text: "127.0.0.1 - - [06/Dec/2026:05:22:08 +0100] \"GET / HTTP/1.1\" 502 157", Access: &patterns.Access{Status: 502, Method: "GET", URI: "/"}}
}

func openStore(t *testing.T, name string) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// pumpRun runs a Pump of st to pub; its retries wait for the test.
type pumpRun struct {
	p      *fleet.Pump
	rounds chan error
	retry  chan time.Time
	stop   func()
}

func runPump(t *testing.T, st *store.Store, pub fleet.Publisher) *pumpRun {
	t.Helper()
	return runPumpOf(t, "web1", st, pub)
}

func runPumpOf(t *testing.T, host string, st fleet.Source, pub fleet.Publisher, with ...func(*fleet.PumpConfig)) *pumpRun {
	t.Helper()
	r := &pumpRun{rounds: make(chan error, 100), retry: make(chan time.Time)}
	cfg := fleet.PumpConfig{Site: "shop", Host: host, Every: -1, Heartbeat: -1, QuietEvery: -1,
		After: func(time.Duration) <-chan time.Time { return r.retry }, OnRound: func(err error) { r.rounds <- err }}
	for _, f := range with {
		f(&cfg)
	}
	r.p = fleet.NewPump(st, pub, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.p.Run(ctx) }()
	var once sync.Once
	r.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(r.stop)
	return r
}

func (r *pumpRun) await(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.rounds:
		return err
	case <-time.After(guard):
		t.Fatal("no round")
		return nil
	}
}

// consume merges what ms holds into a fleet store, and returns it.
func consume(t *testing.T, ms *memStream) *store.Store {
	t.Helper()
	fst := openStore(t, "fleet")
	_, stop := consumeAll(t, ms, fst, 3)
	stop()
	return fst
}

// consumeAll runs a Consumer of ms into fst, in batches of at most batch
// messages, until it merged all ms holds; stop ends it.
func consumeAll(tb testing.TB, ms *memStream, fst *store.Store, batch int) (c *fleet.Consumer, stop func()) {
	tb.Helper()
	ms.mu.Lock()
	n := uint64(len(ms.msgs))
	ms.mu.Unlock()
	return consumeUntil(tb, ms, fst, batch, n, fleet.ConsumerConfig{})
}

// consumeUntil runs a Consumer of cfg of ms's messages up to the sequence
// n into fst, in batches of at most batch messages, until it merged them
// (cfg's OnBatch told first); stop ends it.
func consumeUntil(tb testing.TB, ms *memStream, fst *store.Store, batch int, n uint64, cfg fleet.ConsumerConfig) (c *fleet.Consumer, stop func()) {
	tb.Helper()
	done := make(chan struct{})
	onBatch := cfg.OnBatch
	cfg.OnBatch = func(last uint64) {
		if onBatch != nil {
			onBatch(last)
		}
		if last == n {
			close(done)
		}
	}
	c = fleet.NewConsumer(fst, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- c.Run(ctx, ms.feedUntil(batch, n)) }()
	select {
	case <-done:
	case <-time.After(guard):
		tb.Fatal("not consumed")
	}
	return c, func() {
		cancel()
		if err := <-ran; err != nil {
			tb.Error(err)
		}
	}
}

// TestPumpSendsAFailedRoundAgainAsItWas: a round whose first message (the
// seconds) was stored before the connection was lost is sent again as it
// was, and the counts grown since go in a message of their own (the
// retry goes on with what was committed since the failed round began):
// the fleet's counts are the host's, none added twice.
func TestPumpSendsAFailedRoundAgainAsItWas(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 3)
	commit(t, st, t0.Add(time.Second), 502, 2, gatewayLine(t0.Add(time.Second), 0), gatewayLine(t0.Add(time.Second), 90))
	ms := newMemStream()
	ms.failAfter = 1
	r := runPump(t, st, ms)
	if err := r.await(t); err == nil {
		t.Fatal("the first round did not fail")
	}
	if s := r.p.Stats(); s.Failures != 1 || s.Backlog != 2*time.Second || s.Messages != 0 {
		t.Errorf("after a failure: %+v; want 1 failure, a backlog of 2 s, nothing published", s)
	}
	metrics := `# HELP logcause_fleet_backlog_seconds How much of the store's history is not published yet (0 once a round succeeded).
# TYPE logcause_fleet_backlog_seconds gauge
logcause_fleet_backlog_seconds 2
# HELP logcause_fleet_publish_failures_total Rounds of publishing that failed (NATS out of reach, no stream leader): the store keeps what they held.
# TYPE logcause_fleet_publish_failures_total counter
logcause_fleet_publish_failures_total 1
`
	if err := testutil.CollectAndCompare(r.p.Collector(), strings.NewReader(metrics), "logcause_fleet_backlog_seconds", "logcause_fleet_publish_failures_total"); err != nil {
		t.Errorf("/metrics: %v", err)
	}
	commit(t, st, t0, 200, 1) // the second grew meanwhile
	r.retry <- time.Now()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if s := r.p.Stats(); s.Backlog != 0 || !s.Cursor.Equal(t0.Add(2*time.Second)) {
		t.Errorf("after the retry: %+v; want no backlog, the cursor past the last second", s)
	}
	fst := consume(t, ms)
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
	if want, got := records(t, st, ""), records(t, fst, "web1:"); len(got) != 2 || len(want) != 2 {
		t.Errorf("the fleet holds records %q, the host %q", got, want)
	}
}

// TestPumpLateRecordAndRestart: a record committed after later ones were
// published (a follower that lagged) and a second that grew are published
// by the next round; a Pump started again on the store goes on from its
// state: it sends nothing again.
func TestPumpLateRecordAndRestart(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0.Add(30*time.Second), 502, 1, gatewayLine(t0.Add(30*time.Second), 0))
	ms := newMemStream()
	r := runPump(t, st, ms)
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	first := len(ms.msgs)
	commit(t, st, t0, 502, 1, gatewayLine(t0, 500)) // late, 30 s before the cursor
	commit(t, st, t0.Add(30*time.Second), 200, 4)   // grown
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := len(ms.msgs) - first; got != 2 {
		t.Errorf("%d messages for the late record and the grown second, want 2 (the seconds, the record)", got)
	}
	r.stop()

	again := runPump(t, st, ms)
	if err := again.await(t); err != nil {
		t.Fatal(err)
	}
	stored := len(ms.msgs)
	if stored != first+2 {
		t.Errorf("a restarted pump added %d messages to the stream, want none", stored-first-2)
	}
	fst := consume(t, ms)
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
	if got := records(t, fst, "web1:"); len(got) != 2 {
		t.Errorf("the fleet holds %d records, want 2", len(got))
	}
}

// TestACommitAsARoundBeginsIsNotLost: a follower commits records stamped
// before all the store held (MariaDB's start, read after nginx's first
// requests) just as a round begins, after the round read the store's
// edges. The round publishes them, or the next: none is lost. (The round
// used to read the edges before it fixed the version it publishes up to:
// such a commit was past the version, and before where the round began.)
func TestACommitAsARoundBeginsIsNotLost(t *testing.T) {
	for _, empty := range []bool{false, true} {
		t.Run(map[bool]string{false: "after the first requests", true: "into an empty store"}[empty], func(t *testing.T) {
			st := openStore(t, "web1")
			if !empty {
				commit(t, st, t0.Add(30*time.Second), 502, 1, gatewayLine(t0.Add(30*time.Second), 0))
			}
			src := &committingAtRange{Store: st, commit: func() {
				commit(t, st, t0, 200, 1, gatewayLine(t0, 500))
			}}
			ms := newMemStream()
			r := runPumpOf(t, "web1", src, ms)
			if err := r.await(t); err != nil {
				t.Fatal(err)
			}
			r.p.Wake()
			if err := r.await(t); err != nil {
				t.Fatal(err)
			}
			fst := consume(t, ms)
			want, got := records(t, st, ""), records(t, fst, "web1:")
			if n := map[bool]int{false: 2, true: 1}[empty]; len(want) != n || !slices.Equal(got, want) {
				t.Errorf("the fleet holds %q, the host %q", got, want)
			}
			if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
				t.Errorf("the fleet counts %v, the host %v", got, want)
			}
		})
	}
}

// committingAtRange is a store that commits, once, right after its first
// Range is read.
type committingAtRange struct {
	*store.Store
	commit func()
	once   sync.Once
}

func (c *committingAtRange) Range() (first, last time.Time, ok bool, err error) {
	first, last, ok, err = c.Store.Range()
	c.once.Do(c.commit)
	return first, last, ok, err
}

// TestPumpPacesItsRounds: after a round, the Pump waits Every before it
// takes a Wake: the commits of a busy host go out together.
func TestPumpPacesItsRounds(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 1)
	ms := newMemStream()
	waits := make(chan time.Duration, 10)
	fire := make(chan time.Time)
	rounds := make(chan error, 10)
	p := fleet.NewPump(st, ms, fleet.PumpConfig{Site: "shop", Host: "web1", QuietEvery: -1,
		After:   func(d time.Duration) <-chan time.Time { waits <- d; return fire },
		OnRound: func(err error) { rounds <- err }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	if err := <-rounds; err != nil {
		t.Fatal(err)
	}
	commit(t, st, t0.Add(time.Second), 200, 1)
	p.Wake()
	if d := <-waits; d != 5*time.Second {
		t.Fatalf("after a round the pump waits %v, want the default 5 s", d)
	}
	fire <- time.Now()
	if err := <-rounds; err != nil {
		t.Fatal(err)
	}
	if n := len(ms.msgs); n != 2 {
		t.Errorf("%d messages, want one per round", n)
	}
}

// TestPumpLeavesTheFutureForLater: a record stamped an hour ahead of the
// clock (a clock set wrong, a zoneless stamp read in another zone) is not
// published yet, and does not carry the cursor with it: the records of
// the next minutes still go out, and the one from the future once its
// time comes.
func TestPumpLeavesTheFutureForLater(t *testing.T) {
	var mu sync.Mutex
	now := t0.Add(time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := openStore(t, "web1")
	commit(t, st, t0, 502, 1, gatewayLine(t0, 0))
	commit(t, st, t0.Add(time.Hour), 502, 1, gatewayLine(t0.Add(time.Hour), 100))
	ms := newMemStream()
	r := runPumpOf(t, "web1", st, ms, func(c *fleet.PumpConfig) { c.Now = clock })
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := records(t, consume(t, ms), "web1:"); len(got) != 1 {
		t.Fatalf("the fleet holds %d records after the first round, want the present one", len(got))
	}
	mu.Lock()
	now = t0.Add(3 * time.Minute)
	mu.Unlock()
	commit(t, st, t0.Add(2*time.Minute), 502, 1, gatewayLine(t0.Add(2*time.Minute), 200))
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if got := records(t, consume(t, ms), "web1:"); len(got) != 2 {
		t.Fatalf("the fleet holds %d records, want the record of the next minutes too", len(got))
	}
	mu.Lock()
	now = t0.Add(time.Hour)
	mu.Unlock()
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	fst := consume(t, ms)
	if got := records(t, fst, "web1:"); len(got) != 3 {
		t.Errorf("the fleet holds %d records once the clock reached the last, want 3", len(got))
	}
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
}

// TestIncidentEventsSurviveARestart: a host's incident events that could
// not be published are kept in its store: a Pump started again publishes
// them, and once the stream acknowledged them, they are gone from the
// queue (a third start publishes nothing).
func TestIncidentEventsSurviveARestart(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 502, 1, gatewayLine(t0, 0))
	ms := newMemStream()
	off := &watching{next: ms, offline: true}
	r := runPump(t, st, off)
	inc := analyze.Incident{Start: t0, End: t0.Add(time.Second), Title: "502s", Status: map[string]int64{"502": 1}}
	r.p.Incidents([]analyze.Incident{inc}, nil, []analyze.Incident{inc})
	for r.await(t) == nil {
	}
	r.stop()
	if len(ms.msgs) != 0 {
		t.Fatalf("%d messages published while offline", len(ms.msgs))
	}

	again := runPump(t, st, ms)
	if err := again.await(t); err != nil {
		t.Fatal(err)
	}
	again.stop()
	var events []string
	for _, d := range ms.msgs {
		if d.Subject == fleet.Subject("shop", "web1", fleet.KindIncident) {
			var w struct{ Event string }
			if err := json.Unmarshal(d.Data, &w); err != nil {
				t.Fatal(err)
			}
			events = append(events, w.Event)
		}
	}
	if !slices.Equal(events, []string{"opened", "resolved"}) {
		t.Errorf("after the restart the stream got the incident events %q, want opened and resolved", events)
	}

	third := newMemStream()
	last := runPump(t, st, third)
	if err := last.await(t); err != nil {
		t.Fatal(err)
	}
	if len(third.msgs) != 0 {
		t.Errorf("a third start published %d messages, want none (the queue acknowledged, the cursor past the records)", len(third.msgs))
	}
}

// TestSmallestChunkSendsIncidentEvents: with the fewest ChunkMessages a
// Pump takes, a queued incident event still gets a slot beside a message
// of seconds and one of records.
func TestSmallestChunkSendsIncidentEvents(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 502, 1, gatewayLine(t0, 0))
	ms := newMemStream()
	r := runPumpOf(t, "web1", st, ms, func(c *fleet.PumpConfig) { c.ChunkMessages = 2 })
	inc := analyze.Incident{Start: t0, End: t0.Add(time.Second), Title: "502s", Status: map[string]int64{"502": 1}}
	r.p.Incidents([]analyze.Incident{inc}, nil, nil)
	for range 2 { // the first round, and the one the event woke
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
	}
	if got := kinds(ms, 0); got[fleet.KindIncident] != 1 || got[fleet.KindSeconds] != 1 || got[fleet.KindRecords] != 1 {
		t.Errorf("published %v, want the seconds, the record and the incident event", got)
	}
}

// TestPumpCountsWhatItSkips: what is committed stamped more than
// MaxBacklog before the store's last second (a rotated file of
// yesterday read late) is not published: its seconds and its records are
// counted as skipped in /metrics, the rest published.
func TestPumpCountsWhatItSkips(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 3, gatewayLine(t0, 0))
	ms := newMemStream()
	r := runPump(t, st, ms)
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	old := t0.Add(-7 * time.Hour)
	commit(t, st, old, 502, 2, gatewayLine(old, 0), gatewayLine(old, 90), gatewayLine(old.Add(time.Second), 180))
	commit(t, st, t0.Add(time.Second), 502, 1, gatewayLine(t0.Add(time.Second), 90))
	r.p.Wake()
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	metrics := `# HELP logcause_fleet_skipped_records_total Records never published: stamped further behind the store's last second than the backlog's bound.
# TYPE logcause_fleet_skipped_records_total counter
logcause_fleet_skipped_records_total 3
# HELP logcause_fleet_skipped_seconds_total Seconds of history never published: a backlog longer than its bound.
# TYPE logcause_fleet_skipped_seconds_total counter
logcause_fleet_skipped_seconds_total 1
`
	if err := testutil.CollectAndCompare(r.p.Collector(), strings.NewReader(metrics), "logcause_fleet_skipped_records_total", "logcause_fleet_skipped_seconds_total"); err != nil {
		t.Errorf("/metrics: %v", err)
	}
	r.stop()
	if got := records(t, consume(t, ms), "web1:"); len(got) != 2 {
		t.Errorf("the fleet holds the records %q, want the two within the bound", got)
	}
}

// TestPumpCountsWhatItSkipsAfterALongStop: a watch stopped for 8 hours
// reads, once started again, what was written meanwhile: what is stamped
// more than MaxBacklog before the newest (past the last round's clock,
// left for later by no round) is skipped, and counted.
func TestPumpCountsWhatItSkipsAfterALongStop(t *testing.T) {
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 3, gatewayLine(t0, 0))
	ms := newMemStream()
	at := func(now time.Time) func(*fleet.PumpConfig) {
		return func(c *fleet.PumpConfig) { c.Now = func() time.Time { return now } }
	}
	r := runPumpOf(t, "web1", st, ms, at(t0))
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	r.stop()
	commit(t, st, t0.Add(time.Hour), 502, 1, gatewayLine(t0.Add(time.Hour), 0), gatewayLine(t0.Add(time.Hour), 90))
	commit(t, st, t0.Add(8*time.Hour), 502, 1, gatewayLine(t0.Add(8*time.Hour), 0))
	r = runPumpOf(t, "web1", st, ms, at(t0.Add(8*time.Hour)))
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	if s := r.p.Stats(); s.Skipped != 1 || s.SkippedRecords != 2 {
		t.Errorf("skipped %d seconds and %d records, want 1 and 2", s.Skipped, s.SkippedRecords)
	}
	r.stop()
	if got := records(t, consume(t, ms), "web1:"); len(got) != 2 {
		t.Errorf("the fleet holds the records %q, want the first and the newest", got)
	}
}
