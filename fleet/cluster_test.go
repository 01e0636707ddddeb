package fleet_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/internal/natstest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/store"
)

// guard bounds every wait of these tests: a hang guard, not a pace.
const guard = 90 * time.Second

// capture is the db-unresponsive scenario: real nginx, php-fpm and MariaDB
// logs of a database that stopped answering.
const capture = "../testdata/scenarios/db-unresponsive/var/log"

var captureFiles = []string{"nginx/access.log", "nginx/error.log", "php8.2-fpm.log", "php8.2-fpm.slow.log", "mysql/error.log", "mysql/mariadb-slow.log"}

var paris = mustZone("Europe/Paris")

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

// TestSharedDatabaseOnTwoHosts runs two `watch` daemons, each publishing
// its store to a real 3-node JetStream cluster, and the fleet's consumer:
//   - web1's logs come in two parts; after its first round published, the
//     leader of the stream is killed, then the rest of its access log is
//     written: nothing is lost, nothing doubled;
//   - web2 cannot reach NATS while it reads its logs (its backlog grows),
//     then can: it catches up from its store;
//   - both hosts threw their gateway errors for one database: the fleet
//     tells one incident, shared, naming db_unresponsive and both hosts.
func TestSharedDatabaseOnTwoHosts(t *testing.T) {
	cluster := natstest.Start(t, 3)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	web1 := newHost(t, "web1", cluster.URL(), func() string { return cluster.KillStreamLeader(fleet.StreamName) })
	web2 := newHost(t, "web2", cluster.URL(), nil)

	// The fleet's consumer, with a store of its own.
	fst, err := store.Open(filepath.Join(t.TempDir(), "fleet"))
	if err != nil {
		t.Fatal(err)
	}
	defer fst.Close()
	conn, err := fleet.Connect(config.NATS{URL: cluster.URL()}, "fleet-test")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var mu sync.Mutex
	told := map[time.Time]fleet.Incident{} // the last word on each incident, by its first start
	batches := make(chan uint64, 1<<16)
	cons := fleet.NewConsumer(fst, fleet.ConsumerConfig{
		Hook: func(event string, inc fleet.Incident) {
			mu.Lock()
			defer mu.Unlock()
			for start, k := range told {
				if !inc.Start.After(k.End) && !inc.End.Before(k.Start) {
					delete(told, start)
				}
			}
			told[inc.Start] = inc
		},
		OnBatch: func(seq uint64) { batches <- seq },
	})
	consumed := make(chan error, 1)
	go func() {
		consumed <- cons.Run(ctx, func(ctx context.Context, from uint64) (fleet.Feeder, error) { return conn.Subscribe(ctx, "shop", from) })
	}()

	// web1: the first part of its logs; the stream's leader killed after
	// its first round that published anything.
	web1.start(ctx)
	web1.awaitRead(t)
	web1.awaitKill(t)
	web1.awaitPublished(t)
	before := web1.pump.Stats().Messages
	// The rest of its access log, written after the kill.
	web1.writeRest(t)
	web1.awaitRead(t)
	web1.awaitPublished(t)
	if after := web1.pump.Stats().Messages; after <= before {
		t.Fatalf("web1 published nothing after the kill (%d messages before, %d after)", before, after)
	}

	// web2 reads everything while NATS is out of its reach.
	web2.start(ctx)
	web2.awaitRead(t)
	web2.pump.Wake()
	web2.awaitFailure(t)
	if s := web2.pump.Stats(); s.Backlog <= 0 || s.Messages != 0 {
		t.Fatalf("web2 offline: backlog %v, %d messages published; want a backlog and none", s.Backlog, s.Messages)
	}
	close(web2.gate.open) // its retry is due: the network is back

	web2.awaitPublished(t)

	// The consumer has everything the stream holds.
	js, err := jetstream.New(conn2(t, cluster.URL()))
	if err != nil {
		t.Fatal(err)
	}
	str, err := js.Stream(ctx, fleet.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := str.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := uint64(web1.pump.Stats().Messages + web2.pump.Stats().Messages); info.State.Msgs != n {
		t.Errorf("the stream holds %d messages, the hosts published %d: some doubled or lost", info.State.Msgs, n)
	}
	deadline := time.After(guard)
	for seq := cons.Stats().LastSeq; seq < info.State.LastSeq; {
		select {
		case seq = <-batches:
		case <-deadline:
			for ci := range str.ListConsumers(context.Background()).Info() { // what the stream tells of its consumers
				t.Logf("stream consumer %s on %+v: delivered %+v, %d pending, %d pulls waiting", ci.Name, ci.Cluster, ci.Delivered, ci.NumPending, ci.NumWaiting)
			}
			t.Logf("consumer %+v", cons.Stats())
			t.Fatalf("the consumer reached %d of %d", seq, info.State.LastSeq)
		}
	}
	cancel()
	if err := <-consumed; err != nil {
		t.Fatal(err)
	}

	// Nothing lost, nothing doubled: the fleet's store holds each host's
	// records under its name, and the sum of their seconds.
	for _, h := range []*host{web1, web2} {
		h.stop()
		want, got := records(t, h.st, ""), records(t, fst, h.name+":")
		if len(want) == 0 || !slices.Equal(want, got) {
			t.Errorf("%s: the fleet holds %d of its records, it has %d", h.name, len(got), len(want))
			for _, r := range want {
				if !slices.Contains(got, r) {
					t.Logf("missing %.150s", r)
				}
			}
			t.Logf("consumer %+v pumps %+v %+v", cons.Stats(), web1.pump.Stats(), web2.pump.Stats())
		}
	}
	sum := secondsOf(t, web1.st)
	for sec, n := range secondsOf(t, web2.st) {
		sum[sec] += n
	}
	if got := secondsOf(t, fst); len(sum) == 0 || !maps.Equal(sum, got) {
		t.Errorf("the fleet's seconds differ from the hosts' sum: %d seconds, want %d", len(got), len(sum))
	}

	// One fleet incident: the database, on both hosts.
	mu.Lock()
	defer mu.Unlock()
	var shared []fleet.Incident
	for _, inc := range told {
		if inc.Shared {
			shared = append(shared, inc)
		}
	}
	if len(shared) != 1 {
		t.Fatalf("%d shared incidents, want 1: %+v", len(shared), told)
	}
	inc := shared[0]
	var hosts []string
	for _, n := range inc.Nodes {
		hosts = append(hosts, n.Host)
	}
	slices.Sort(hosts)
	if inc.RootCause != analyze.DBUnresponsive || !slices.Equal(hosts, []string{"web1", "web2"}) {
		t.Errorf("fleet incident: %s on %v; want db_unresponsive on web1 and web2", inc.RootCause, hosts)
	}
	if inc.Nodes[0].Share+inc.Nodes[1].Share < 0.999 || inc.Nodes[0].GatewayErrors != inc.Nodes[1].GatewayErrors {
		t.Errorf("the same logs on both hosts, shares %+v", inc.Nodes)
	}
}

// host is one `watch` daemon publishing its store.
type host struct {
	t       *testing.T
	name    string
	dir     string
	st      *store.Store
	d       *daemon.Daemon
	pump    *fleet.Pump
	gate    *gate
	cluster string
	// kill, for web1, kills the stream's leader after its first round
	// that published; its access log is written in two parts, the second
	// after the kill.
	kill func() string

	want    map[string]int64 // the records each followed file must reach
	wakes   map[string]chan struct{}
	mu      sync.Mutex
	rounds  chan round
	src     *countingSource
	commits chan string
	killed  chan string
	stopped []func()
}

func newHost(t *testing.T, name, url string, kill func() string) *host {
	split := kill != nil
	h := &host{t: t, name: name, dir: t.TempDir(), kill: kill, cluster: url, rounds: make(chan round, 1<<12), commits: make(chan string, 1<<12), wakes: map[string]chan struct{}{}}
	for _, f := range captureFiles {
		b, err := os.ReadFile(filepath.Join(capture, f))
		if err != nil {
			t.Fatal(err)
		}
		if split && f == "nginx/access.log" {
			b = b[:firstHalf(b)]
		}
		p := filepath.Join(h.dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var err error
	if h.st, err = store.Open(filepath.Join(t.TempDir(), name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.st.Close() })
	return h
}

// firstHalf is where the first half of b's lines ends.
func firstHalf(b []byte) int {
	lines := strings.SplitAfter(string(b), "\n")
	return len(strings.Join(lines[:len(lines)/2], ""))
}

// expect counts the records of the host's logs as they are now, read by a
// batch load: what its followers must have committed.
func (h *host) expect() {
	ref, err := store.OpenTemp()
	if err != nil {
		h.t.Fatal(err)
	}
	defer ref.Close()
	loaded, err := pipeline.Load(context.Background(), []string{h.dir}, ref.NewWriter(), pipeline.Options{Zone: paris, Limits: ingest.DefaultLimits})
	if err != nil || len(loaded.Problems) > 0 {
		h.t.Fatal(err, loaded.Problems)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.want = map[string]int64{}
	for _, s := range loaded.Sources {
		h.want[s.Path] = s.Records
	}
}

// read reports whether the store holds every record of path.
func (h *host) read(path string) bool {
	srcs, err := h.st.Sources()
	if err != nil {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range srcs {
		if s.Path == path {
			return s.Records >= h.want[path]
		}
	}
	return h.want[path] == 0
}

// waker makes a follower go on at once while its file has records not
// committed yet (a multi-line record is handed on after a quiet round),
// and wait for a wake of the test once it has none.
func (h *host) waker(path string) ingest.Waker {
	h.mu.Lock()
	c := make(chan struct{}, 1)
	h.wakes[path] = c
	h.mu.Unlock()
	return ingest.WakerFunc(func(ctx context.Context) error {
		if !h.read(path) {
			return nil
		}
		h.pump.Wake()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c:
			return nil
		}
	})
}

func (h *host) start(ctx context.Context) {
	t := h.t
	h.expect()
	files, err := pipeline.LiveFiles([]string{h.dir}, pipeline.Options{Zone: paris, Limits: ingest.DefaultLimits})
	if err != nil || len(files) != len(captureFiles) {
		t.Fatalf("%s: %d logs to follow (%v), want %d", h.name, len(files), err, len(captureFiles))
	}
	js, err := fleet.Connect(config.NATS{URL: h.cluster}, h.name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(js.Close)
	h.gate = &gate{pub: js, open: make(chan struct{})}
	after := time.After // web1: a retry after the product's backoff
	if h.kill != nil {  // web1 reaches NATS from the start
		close(h.gate.open)
	} else { // web2: a retry when the network is back
		after = func(time.Duration) <-chan time.Time { return h.gate.back() }
	}
	h.killed = make(chan string, 1)
	kill := h.kill
	h.src = &countingSource{Store: h.st}
	h.pump = fleet.NewPump(h.src, h.gate, fleet.PumpConfig{Site: "shop", Host: h.name, Every: -1, Heartbeat: -1, QuietEvery: -1, After: after, OnRound: func(err error) {
		if err == nil && kill != nil && h.pump.Stats().Messages > 0 {
			h.killed <- kill()
			kill = nil
		}
		h.rounds <- round{err, h.src.ranges.Load()}
	}})
	h.d = daemon.New(h.st, daemon.Config{Files: files, Zone: paris, Limits: ingest.DefaultLimits, FromStart: true,
		Ticks: make(chan time.Time), Waker: h.waker, OnCommit: func(p string) {
			h.pump.Wake()
			h.commits <- p
		},
		Hook: func(u daemon.Update) { h.pump.Incidents(u.Opened, u.Updated, u.Resolved) }})
	dctx, cancel := context.WithCancel(ctx)
	ran := make(chan error, 2)
	go func() { ran <- h.d.Run(dctx) }()
	go func() { ran <- h.pump.Run(dctx) }()
	h.stopped = append(h.stopped, func() {
		cancel()
		for range 2 {
			if err := <-ran; err != nil {
				t.Errorf("%s: %v", h.name, err)
			}
		}
	})
}

func (h *host) stop() {
	for _, s := range h.stopped {
		s()
	}
	h.stopped = nil
}

// awaitRead waits until the store holds every record of the host's logs.
func (h *host) awaitRead(t *testing.T) {
	t.Helper()
	deadline := time.After(guard)
	for {
		h.mu.Lock()
		paths := make([]string, 0, len(h.want))
		for p := range h.want {
			paths = append(paths, p)
		}
		h.mu.Unlock()
		done := true
		for _, p := range paths {
			done = done && h.read(p)
		}
		if done {
			return
		}
		select {
		case <-h.commits:
		case <-deadline:
			t.Fatalf("%s: the logs were not read", h.name)
		}
	}
}

// awaitKill waits until the pump's first round that published killed the
// stream's leader.
func (h *host) awaitKill(t *testing.T) {
	t.Helper()
	select {
	case name := <-h.killed:
		if name == "" {
			t.Fatal("no server led the stream")
		}
	case <-time.After(guard):
		t.Fatal("no round published")
	}
}

// writeRest appends the rest of the access log, and wakes its follower.
func (h *host) writeRest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(capture, "nginx/access.log"))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(h.dir, "nginx/access.log")
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(b[firstHalf(b):]); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	h.expect()
	h.mu.Lock()
	select {
	case h.wakes[p] <- struct{}{}:
	default:
	}
	h.mu.Unlock()
}

// awaitPublished waits for a round that began after the last commit and
// published all it read. A round reads the store's edges after it fixed
// the version it publishes up to: the second Range call from now is of a
// round that began after now. Each round's end asks for another until one
// is.
func (h *host) awaitPublished(t *testing.T) {
	t.Helper()
	since := h.src.ranges.Load()
	h.pump.Wake()
	deadline := time.After(guard)
	for {
		select {
		case r := <-h.rounds:
			if r.err == nil && r.began >= since+2 {
				return
			}
			h.pump.Wake()
		case <-deadline:
			t.Fatalf("%s: not published", h.name)
		}
	}
}

// awaitFailure waits for a round that failed.
func (h *host) awaitFailure(t *testing.T) {
	t.Helper()
	deadline := time.After(guard)
	for {
		select {
		case r := <-h.rounds:
			if r.err != nil {
				return
			}
		case <-deadline:
			t.Fatalf("%s: no round failed", h.name)
		}
	}
}

// round is the end of one of the pump's rounds: why it failed, and the
// count of the store's Range calls by then.
type round struct {
	err   error
	began int64
}

// countingSource counts the pump's rounds as they begin (each reads the
// store's Range once it took its snapshot).
type countingSource struct {
	*store.Store
	ranges atomic.Int64
}

func (c *countingSource) Range() (first, last time.Time, ok bool, err error) {
	c.ranges.Add(1)
	return c.Store.Range()
}

// gate is a host's way to NATS: closed, the network does not reach it.
type gate struct {
	pub  fleet.Publisher
	open chan struct{}
}

// back is a channel closed when the gate opens.
func (g *gate) back() <-chan time.Time {
	c := make(chan time.Time)
	go func() {
		<-g.open
		close(c)
	}()
	return c
}

func (g *gate) Publish(ctx context.Context, msgs []fleet.Message) error {
	select {
	case <-g.open:
		return g.pub.Publish(ctx, msgs)
	default:
		return errors.New("NATS is out of reach")
	}
}

func conn2(t *testing.T, url string) *nats.Conn {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// records are a store's records whose path starts with prefix, the prefix
// removed, as comparable strings.
func records(t *testing.T, st *store.Store, prefix string) []string {
	t.Helper()
	var out []string
	err := st.Events(time.Unix(0, 0), time.Unix(1<<40, 0), func(ev *patterns.Event) error {
		if p, ok := strings.CutPrefix(ev.Path, prefix); ok {
			out = append(out, ev.Time.Format(time.RFC3339Nano)+" "+ev.Kind.String()+" "+p+" "+ev.Text)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// seconds are a store's request counts by second and status.
func secondsOf(t *testing.T, st *store.Store) map[string]int64 {
	t.Helper()
	secs, err := st.Seconds(time.Unix(0, 0), time.Unix(1<<40, 0))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, s := range secs {
		for _, c := range s.Status {
			out[s.Time.Format(time.RFC3339)+" "+strconv.Itoa(c.Code)] += c.Count
		}
		for _, u := range s.Upstreams {
			for _, c := range u.Status {
				out[s.Time.Format(time.RFC3339)+" "+u.Addr+" "+strconv.Itoa(c.Code)] += c.Count
			}
		}
	}
	return out
}
