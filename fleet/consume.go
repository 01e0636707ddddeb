package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/printable"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
	"github.com/logcause/logcause/timeline"
)

// Feeder is what the Consumer reads: a site's messages in stream order,
// without a gap (*Feed is one). Fetch waits for the next ones.
type Feeder interface {
	Fetch(ctx context.Context) ([]Delivery, error)
	Close()
}

// Subscribe opens the Feeder of the Consumer's site from a stream
// sequence on (0: the first); (*JetStream).Subscribe is one.
type Subscribe func(ctx context.Context, from uint64) (Feeder, error)

// defaultMinShare is the share of an incident's gateway errors that makes
// a host one of its nodes, unless ConsumerConfig says otherwise.
const defaultMinShare = 0.1

// seqKey is the position, in the fleet's store, of the last stream
// sequence it committed: committed with the data, so that a message
// delivered again is skipped, and counts are never added twice.
const seqKey = "fleet/" + StreamName

// ConsumerConfig says how a Consumer analyzes what it merged.
type ConsumerConfig struct {
	Window   time.Duration  // the history each analysis reads, before the newest record; default 15 minutes
	Analysis analyze.Config // default analyze.DefaultConfig
	MinShare float64        // the share of an incident's gateway errors that makes a host one of its nodes; default 0.1
	// ResolveAfter resolves an incident quiet for that long before the
	// site's clock: the newest second that every host present reached
	// (each host's newest second merged), so that a host that lags does
	// not have its seconds judged as ended; default 30 s.
	ResolveAfter time.Duration
	// Away is how far a host's newest second may be behind the newest
	// host's before the site's clock stops waiting for it (a host
	// stopped, or out of reach: its lines, when they come, open again
	// the incidents they grow); default 5 minutes.
	Away time.Duration
	// Now is the fleet's own clock (default time.Now): a host whose
	// newest second is more than Away past it runs ahead (its clock
	// wrong), and is left out of the site's clock, so that it does not
	// make the others look away.
	Now func() time.Time
	// Hook hears of the fleet's incidents as they open, change (their
	// cause, whether it is shared, their nodes) and resolve ("opened",
	// "updated", "resolved"), on the Consumer's goroutine.
	Hook func(event string, inc Incident)
	// HostIncident hears of the incidents the hosts published, once the
	// batch that holds them is committed to the fleet's store (a restart
	// then does not tell them again), on the Consumer's goroutine.
	HostIncident func(host, event string, inc analyze.Incident)
	// After is how a failed fetch waits before the next; default
	// time.After.
	After func(time.Duration) <-chan time.Time
	// OnBatch, when set, hears of each batch committed (tests).
	OnBatch func(last uint64)
}

// ConsumerStats are what a Consumer did, for the metrics.
type ConsumerStats struct {
	Messages, Seconds, Records, Skipped int64
	LastSeq                             uint64
}

// Consumer merges the hosts of a site into one store: each host's seconds
// added to the site's, its records kept under "host:path". After each
// batch that brought gateway errors or error records, it analyzes the
// store's recent history and tells the incidents that opened or changed.
type Consumer struct {
	st  *store.Store
	cfg ConsumerConfig

	mu         sync.Mutex
	stats      ConsumerStats
	started    time.Time // what Status says (status.go)
	running    bool
	err        string
	commits    int64
	lastCommit time.Time
	opened     map[string]int64
	gateway    map[int]int64 // the gateway errors committed, by status

	incidents map[time.Time]*incidentState // by their first start; under mu
	caughtUp  chan struct{}                // closed at the first batch that left nothing after it
	caught    sync.Once

	zstd      *zstd.Decoder        // of the seconds' messages
	committed uint64               // the last stream sequence in the store
	newest    map[string]time.Time // each host's newest second in the store (its position hostKey)
}

// hostKey is the position, in the fleet's store, of a host's newest
// second merged (Unix seconds), committed with the data.
func hostKey(host string) string { return "fleet/host/" + host }

// NewConsumer returns a Consumer that keeps the site's history in st.
func NewConsumer(st *store.Store, cfg ConsumerConfig) *Consumer {
	cfg.Window = cmp.Or(cfg.Window, 15*time.Minute)
	if cfg.Analysis == (analyze.Config{}) {
		cfg.Analysis = analyze.DefaultConfig
	}
	cfg.MinShare = cmp.Or(cfg.MinShare, defaultMinShare)
	cfg.ResolveAfter = cmp.Or(cfg.ResolveAfter, 30*time.Second)
	cfg.Away = cmp.Or(cfg.Away, 5*time.Minute)
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dec, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(64<<20), // no error without a reader
		zstd.WithDecoderDictRaw(recordsDictID, []byte(recordsDict)))
	return &Consumer{st: st, cfg: cfg, zstd: dec, opened: map[string]int64{}, gateway: map[int]int64{}, newest: map[string]time.Time{}, incidents: map[time.Time]*incidentState{}, caughtUp: make(chan struct{})}
}

// CaughtUp is closed once the Consumer merged what the stream held when
// it started (a batch left no message after it).
func (c *Consumer) CaughtUp() <-chan struct{} { return c.caughtUp }

// Stats returns what the Consumer did so far.
func (c *Consumer) Stats() ConsumerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Run consumes the site's messages, from the one after the last the store
// holds, until ctx is done. A feed that fails is opened again from there.
func (c *Consumer) Run(ctx context.Context, subscribe Subscribe) error {
	defer c.zstd.Close()
	c.setRunning(true, nil)
	defer c.setRunning(false, nil)
	if err := c.loadIncidents(); err != nil {
		return err
	}
	pos, err := c.st.Positions()
	if err != nil {
		return err
	}
	if v, ok := pos[seqKey]; ok {
		if c.committed, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return fmt.Errorf("cannot read the fleet store's stream sequence %q: %w (remove the store to read the stream again)", v, err)
		}
	}
	for k, v := range pos {
		if host, ok := strings.CutPrefix(k, hostKey("")); ok {
			t, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil {
				return fmt.Errorf("cannot read the fleet store's newest second of %s %q: %w (remove the store to read the stream again)", printable.String(host), v, err)
			}
			c.newest[host] = unixTime(t)
		}
	}
	backoff := time.Duration(0)
	var f Feeder
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for ctx.Err() == nil {
		if f == nil {
			if f, err = subscribe(ctx, c.committed+1); err != nil {
				f = nil
			}
		}
		var ds []Delivery
		if err == nil {
			ds, err = f.Fetch(ctx)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = c.apply(ds)
		}
		c.setRunning(true, err)
		if err != nil {
			if f != nil {
				f.Close()
				f = nil
			}
			backoff = min(max(2*backoff, time.Second), time.Minute)
			slog.Warn("cannot consume the fleet's stream; retrying", "err", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
			case <-c.cfg.After(backoff):
			}
			continue
		}
		backoff = 0
	}
	return nil
}

// apply merges ds into the store, committing with the sequence reached,
// and analyzes when they brought what may explain an incident.
func (c *Consumer) apply(ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	w := c.st.NewWriter()
	w.KeepPathsApart()
	counter := gatewayTally{requestCounter: w, n: map[int]int64{}} // the seconds' gateway errors, for Status
	var st ConsumerStats
	last, analyzeNow := c.committed, false
	var hostIncidents []hostIncident // told once committed
	newer := map[string]time.Time{}  // the hosts' newest seconds that moved
	seen := func(host string, t time.Time) {
		t = t.Truncate(time.Second)
		if t.After(newer[host]) && t.After(c.newest[host]) {
			newer[host] = t
		}
	}
	commit := func() error {
		if last == c.committed {
			return nil
		}
		pos := map[string][]byte{seqKey: []byte(strconv.FormatUint(last, 10))}
		for host, t := range newer {
			pos[hostKey(host)] = []byte(strconv.FormatInt(t.Unix(), 10))
		}
		if err := w.Commit(pos); err != nil {
			return fmt.Errorf("cannot write to the fleet's store: %w", err)
		}
		c.committed = last
		maps.Copy(c.newest, newer)
		clear(newer)
		c.mu.Lock()
		c.commits++
		c.lastCommit = time.Now()
		for code, n := range counter.n {
			c.gateway[code] += n
		}
		c.mu.Unlock()
		clear(counter.n)
		for _, h := range hostIncidents {
			c.cfg.HostIncident(h.host, h.Event, h.Incident)
		}
		hostIncidents = nil
		return nil
	}
	for _, d := range ds {
		st.Messages++
		if d.Seq <= last {
			st.Skipped++ // in the store already
			continue
		}
		host, kind, ok := parseSubject(d.Subject)
		if !ok {
			st.Skipped++
			last = d.Seq
			continue
		}
		switch kind {
		case KindSeconds:
			b, err := c.zstd.DecodeAll(d.Data, nil)
			var secs []wireSecond
			if err == nil {
				secs, err = decodeSeconds(b)
			}
			if err != nil {
				slog.Warn("a fleet message cannot be read: skipped", "subject", d.Subject, "err", err)
				break
			}
			for _, s := range secs {
				if !addSecond(counter, s) {
					slog.Warn("a fleet message holds counts out of bounds: those left out", "subject", d.Subject, "second", s.T)
				}
				seen(host, unixTime(s.T))
			}
			st.Seconds += int64(len(secs))
		case KindRecords:
			var wr wireRecords
			if !c.decode(d, &wr) {
				break
			}
			for _, ev := range wr.Records {
				if ev == nil {
					continue
				}
				ev.Path = host + ":" + ev.Path
				if err := w.Event(ev); err != nil {
					return err
				}
				seen(host, ev.Time)
				analyzeNow = analyzeNow || ev.Kind != patterns.KindNginxAccess || (ev.Access != nil && analyze.IsGateway(ev.Access.Status))
			}
			st.Records += int64(len(wr.Records))
		case KindClock:
			var wc wireClock
			if err := json.Unmarshal(d.Data, &wc); err == nil {
				seen(host, unixTime(wc.T))
			}
		case KindIncident:
			var wi wireIncident
			if err := json.Unmarshal(d.Data, &wi); err == nil && c.cfg.HostIncident != nil {
				hostIncidents = append(hostIncidents, hostIncident{host, wi})
			}
		}
		last = d.Seq
		if w.Due() {
			if err := commit(); err != nil {
				return err
			}
		}
	}
	if err := commit(); err != nil {
		return err
	}
	c.mu.Lock()
	c.stats.Messages += st.Messages
	c.stats.Seconds += st.Seconds
	c.stats.Records += st.Records
	c.stats.Skipped += st.Skipped
	c.stats.LastSeq = c.committed
	c.mu.Unlock()
	caughtUp := ds[len(ds)-1].Pending == 0
	if err := c.analyze(analyzeNow, caughtUp); err != nil {
		slog.Error("fleet analysis failed", "err", err)
	}
	if caughtUp {
		c.caught.Do(func() { close(c.caughtUp) })
	}
	if c.cfg.OnBatch != nil {
		c.cfg.OnBatch(c.committed)
	}
	return nil
}

// hostIncident is a host's incident event, to tell once committed.
type hostIncident struct {
	host string
	wireIncident
}

// decode reads a compressed message's JSON into v; a message that cannot
// be read is logged and skipped.
func (c *Consumer) decode(d Delivery, v any) bool {
	b, err := c.zstd.DecodeAll(d.Data, nil)
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		slog.Warn("a fleet message cannot be read: skipped", "subject", d.Subject, "err", err)
		return false
	}
	return true
}

// requestCounter is how a second's counts are added (*store.Writer).
type requestCounter interface {
	Requests(t time.Time, status int, upstream []byte, n int64) error
}

// gatewayTally is a requestCounter that counts the gateway errors it
// adds (analyze.IsGateway), by status.
type gatewayTally struct {
	requestCounter
	n map[int]int64
}

func (g gatewayTally) Requests(t time.Time, status int, upstream []byte, n int64) error {
	err := g.requestCounter.Requests(t, status, upstream, n)
	if err == nil && analyze.IsGateway(status) {
		g.n[status] += n
	}
	return err
}

// maxSecondCount bounds a count of one second of one host: far above
// what a web node answers (10 million requests a second), far below
// what would overflow a sum. A message's counts come from another
// machine: beyond it, or negative, a count is refused.
const maxSecondCount = 10_000_000

// addSecond adds a wire second's counts: those an upstream answered with
// its address, the rest without, each count at once. It reports whether
// every count was within bounds; those that were not are left out.
func addSecond(w requestCounter, s wireSecond) (ok bool) {
	t := unixTime(s.T)
	ok = true
	valid := func(code int, n int64) bool {
		if n < 0 || n > maxSecondCount || code < 0 || code > 999 {
			ok = false
			return false
		}
		return n > 0
	}
	rest := map[int]int64{}
	for code, n := range s.S {
		if valid(code, n) {
			rest[code] = n
		}
	}
	for addr, m := range s.U {
		for code, n := range m {
			if !valid(code, n) {
				continue
			}
			if n > rest[code] { // more than the status's own count
				ok = false
				continue
			}
			w.Requests(t, code, []byte(addr), n)
			rest[code] -= n
		}
	}
	for code, n := range rest {
		if n > 0 {
			w.Requests(t, code, nil, n)
		}
	}
	return ok
}

// analyze explains (with explain) the recent history of the store, tells
// the incidents that opened or changed, and (with resolve: caught up with
// the stream, so that a host's lines still in it cannot grow them)
// resolves those quiet since.
func (c *Consumer) analyze(explain, resolve bool) error {
	if !explain && !resolve {
		return nil
	}
	_, lastT, ok, err := c.st.Range()
	if err != nil || !ok {
		return err
	}
	var incs []Incident
	if explain {
		if incs, err = Explain(c.st, lastT.Add(-c.cfg.Window), lastT.Add(time.Second), c.cfg.Analysis, c.cfg.MinShare); err != nil {
			return err
		}
	}
	c.mu.Lock()
	told, err := c.observe(incs)
	if err == nil && resolve {
		var resolved []event
		resolved, err = c.resolve(c.siteClock(lastT))
		told = append(told, resolved...)
	}
	c.mu.Unlock()
	for _, e := range told {
		c.tell(e.name, e.inc)
	}
	return err
}

// siteClock is the newest second every host present reached: the
// oldest of the hosts' newest seconds, leaving out those more than Away
// behind the newest host's, and those more than Away past the fleet's
// own clock (ahead: their clock wrong; unless every host is) (last when
// no host is known: a store of an older version).
func (c *Consumer) siteClock(last time.Time) time.Time {
	if len(c.newest) == 0 {
		return last
	}
	front, bound := time.Time{}, c.cfg.Now().Add(c.cfg.Away)
	for _, t := range c.newest {
		if !t.After(bound) {
			front = timeline.Later(front, t)
		}
	}
	if front.IsZero() { // every host ahead of the fleet's clock: the fleet's is the one wrong
		for _, t := range c.newest {
			front = timeline.Later(front, t)
		}
	}
	clock := front // the hosts ahead of it are not waited for
	for _, t := range c.newest {
		if t.Before(clock) && !t.Before(front.Add(-c.cfg.Away)) {
			clock = t
		}
	}
	return clock
}

func (c *Consumer) tell(event string, inc Incident) {
	if event == "opened" {
		c.mu.Lock()
		c.opened[string(inc.RootCause)]++
		c.mu.Unlock()
	}
	if c.cfg.Hook != nil {
		c.cfg.Hook(event, inc)
	}
}
