package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// Publisher sends messages to the fleet's transport. Publish returns once
// every message is stored (acknowledged), or an error: then any of them
// may have been stored, and sending them again, with the same IDs, stores
// each once. NATS JetStream is one (JetStream); a Kafka producer with
// idempotence could be another.
type Publisher interface {
	Publish(ctx context.Context, msgs []Message) error
}

// Source is what the Pump reads of a host's store (*store.Store is one).
type Source interface {
	Range() (first, last time.Time, ok bool, err error)
	Seconds(from, to time.Time) ([]timeline.Second, error)
	Events(from, to time.Time, fn func(*patterns.Event) error) error
	Meta(name string) ([]byte, bool, error)
	PutMeta(name string, v []byte) error
}

// cursorMeta is the store's meta name of the Pump's cursor.
const cursorMeta = "fleet/cursor"

// PumpConfig says what a Pump publishes, and how it waits.
type PumpConfig struct {
	Site, Host string
	// Lookback is how far before its cursor each round reads the store
	// again: the records and counts a lagging follower committed after
	// later ones were published (a second's counts grown since are
	// published as what they grew by). Default 2 minutes.
	Lookback time.Duration
	// MaxBacklog bounds the catch-up: a cursor further behind the
	// store's last second skips to that far before it (the seconds
	// skipped are counted). Default 6 hours.
	MaxBacklog time.Duration
	// Every is the least time between two rounds: the commits of a busy
	// host are published together, in fewer messages. Default 5 s;
	// negative: a round at each Wake.
	Every time.Duration
	// After is how a round waits: Every after a round, the backoff after
	// a failed one (from 1 s to 1 minute); default time.After.
	After func(time.Duration) <-chan time.Time
	// Now is the clock (default time.Now): a round publishes nothing
	// stamped more than a minute past it, so that one record from the
	// future (a clock set wrong, a zoneless stamp read in another zone)
	// does not carry the cursor past the records still to come.
	Now func() time.Time
	// OnRound, when set, hears of each round's end (nil: published; else
	// why not), on the Pump's goroutine.
	OnRound func(error)
	// ChunkSpan and ChunkMessages bound what a round holds in memory and
	// hands the Publisher at once: a round publishes its span of the
	// store in chunks of at most ChunkSpan of the store's time and at
	// most ChunkMessages messages (a chunk's records are cut there), each
	// acknowledged before the next is read, the cursor moved after each.
	// Default 10 minutes and 256 messages (nats.go refuses more than
	// 4,000 publishes waiting for their acknowledgement).
	ChunkSpan     time.Duration
	ChunkMessages int
}

// maxAhead is how far past its clock a Pump publishes: the hosts' clocks
// and the fleet's are never quite the same.
const maxAhead = time.Minute

// Stats are what a Pump did, for the metrics.
type Stats struct {
	Messages, Bytes int64         // published
	Failures        int64         // rounds that failed
	Backlog         time.Duration // the store's last second minus the cursor: not published yet
	Skipped         int64         // seconds of backlog skipped (MaxBacklog)
	Dropped         int64         // incident events dropped from a full queue
	Cursor          time.Time     // everything of the store before it is published
}

// publishTimeout bounds one round's publishing.
const publishTimeout = 30 * time.Second

// maxIncidents bounds the incident events waiting to be published.
const maxIncidents = 1000

// Pump publishes what a host's store holds past its cursor (the store's
// meta, so it survives a restart): the seconds' counts and the records.
// Each round reads from the cursor (less the Lookback) to the store's last
// second and publishes what was not published yet; then moves the cursor.
// While the Publisher fails, the store keeps everything and the backlog
// grows; the next round that succeeds catches up.
type Pump struct {
	src  Source
	pub  Publisher
	cfg  PumpConfig
	wake chan struct{}
	zstd *zstd.Encoder // of the seconds' messages

	mu        sync.Mutex
	incidents []Message // incident events waiting (queueLocked)
	queueRead bool      // whether incidents holds the store's queue
	stats     Stats

	// Of the Pump's goroutine only.
	cursor  time.Time            // everything before it was published
	floor   time.Time            // nothing before it is published again (the cursor at the start)
	seconds map[int64]counts     // what was published of the seconds within the lookback
	records map[string]time.Time // the records published within the lookback, with their instants
	failed  *roundOut            // the round that failed, sent again first
}

// counts is a second's counts published.
type counts struct {
	s map[int]int64
	u map[string]map[int]int64
}

// NewPump returns a Pump of src to pub; run it with Run.
func NewPump(src Source, pub Publisher, cfg PumpConfig) *Pump {
	cfg.Lookback = cmp.Or(cfg.Lookback, 2*time.Minute)
	cfg.MaxBacklog = cmp.Or(cfg.MaxBacklog, 6*time.Hour)
	cfg.Every = cmp.Or(cfg.Every, 5*time.Second)
	cfg.ChunkSpan = cmp.Or(cfg.ChunkSpan, 10*time.Minute)
	cfg.ChunkMessages = max(cmp.Or(cfg.ChunkMessages, 256), 2) // a message of seconds and one of records at least
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1)) // no error without options that fail
	return &Pump{src: src, pub: pub, cfg: cfg, zstd: enc, wake: make(chan struct{}, 1), seconds: map[int64]counts{}, records: map[string]time.Time{}}
}

// Wake asks for a round soon (something was committed). It never blocks.
func (p *Pump) Wake() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Incidents queues a host's incident events (the daemon's Hook) and wakes
// the Pump. The queue is kept in the store's meta (fleet/incidents) until
// the stream acknowledged them: a restart publishes those not published
// yet.
func (p *Pump) Incidents(opened, updated, resolved []analyze.Incident) {
	p.mu.Lock()
	q := p.queueLocked()
	for _, g := range []struct {
		event string
		incs  []analyze.Incident
	}{{"opened", opened}, {"updated", updated}, {"resolved", resolved}} {
		for _, inc := range g.incs {
			b, err := json.Marshal(wireIncident{Event: g.event, Incident: inc})
			if err != nil || len(q) >= maxIncidents {
				p.stats.Dropped++
				continue
			}
			q = append(q, Message{Subject: Subject(p.cfg.Site, p.cfg.Host, KindIncident), ID: incidentID(p.cfg.Host, g.event, inc), Data: b})
		}
	}
	p.incidents = q
	p.keepQueueLocked()
	p.mu.Unlock()
	p.Wake()
}

// queueMeta is the store's meta name of the incident events waiting.
const queueMeta = "fleet/incidents"

// queueLocked returns the incident events waiting, read from the store
// the first time. Called with p.mu held.
func (p *Pump) queueLocked() []Message {
	if p.queueRead {
		return p.incidents
	}
	p.queueRead = true
	v, ok, err := p.src.Meta(queueMeta)
	if err == nil && ok {
		var q []Message
		if err = json.Unmarshal(v, &q); err == nil {
			p.incidents = append(q, p.incidents...)
		}
	}
	if err != nil {
		slog.Error("cannot read the fleet's queue of incident events: those of before the restart are lost", "err", err)
	}
	return p.incidents
}

// keepQueueLocked writes the incident events waiting to the store. Called
// with p.mu held.
func (p *Pump) keepQueueLocked() {
	b, err := json.Marshal(p.incidents)
	if err == nil {
		err = p.src.PutMeta(queueMeta, b)
	}
	if err != nil {
		slog.Error("cannot keep the fleet's queue of incident events: a restart would lose them", "err", err)
	}
}

// Stats returns what the Pump did so far.
func (p *Pump) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Run publishes until ctx is done: a round at the start, then at the next
// Wake once Every passed since the last, and after a failure once its
// backoff passed (1 s, doubled up to a minute; a Wake does not shorten
// it).
func (p *Pump) Run(ctx context.Context) error {
	defer p.zstd.Close()
	if err := p.loadCursor(); err != nil {
		return err
	}
	backoff := time.Duration(0)
	for {
		err := p.round(ctx)
		if p.cfg.OnRound != nil {
			p.cfg.OnRound(err)
		}
		if err == nil {
			backoff = 0
			if p.cfg.Every > 0 {
				select {
				case <-ctx.Done():
					return nil
				case <-p.cfg.After(p.cfg.Every):
				}
			}
			select {
			case <-ctx.Done():
				return nil
			case <-p.wake:
			}
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		// Commits meanwhile wait for the retry: they are in the store.
		backoff = min(max(2*backoff, time.Second), time.Minute)
		slog.Warn("cannot publish to the fleet; the store keeps it, catching up later", "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-p.cfg.After(backoff):
		}
	}
}

func (p *Pump) loadCursor() error {
	v, ok, err := p.src.Meta(cursorMeta)
	if err != nil {
		return fmt.Errorf("cannot read the fleet's cursor: %w", err)
	}
	if ok {
		if err := p.cursor.UnmarshalText(v); err != nil {
			return fmt.Errorf("cannot read the fleet's cursor %q: %w (remove it with the store to publish afresh)", v, err)
		}
	}
	p.floor = p.cursor
	return nil
}

// round publishes what the store holds past the cursor, in chunks (each
// acknowledged before the next is read, the cursor moved after each). A
// chunk that failed is sent again first, as it was (the same messages,
// the same IDs): a batch of seconds the stream stored before the failure
// is then dropped as a duplicate, never added again under another ID.
func (p *Pump) round(ctx context.Context) error {
	if p.failed != nil {
		if err := p.publish(ctx, *p.failed); err != nil {
			return err
		}
		p.failed = nil
	}
	first, last, ok, err := p.src.Range()
	if err != nil || !ok {
		return err
	}
	to := last.Truncate(time.Second).Add(time.Second) // up to the last second, included
	if limit := p.cfg.Now().Add(maxAhead).Truncate(time.Second); to.After(limit) {
		to = limit // the future waits for its time
	}
	if oldest := to.Add(-p.cfg.MaxBacklog); p.cursor.Before(oldest) {
		if !p.cursor.IsZero() { // else the first start: everything within the bound
			p.mu.Lock()
			p.stats.Skipped += int64(oldest.Sub(p.cursor) / time.Second)
			p.mu.Unlock()
			slog.Warn("the fleet's backlog is longer than its bound: skipping", "from", p.cursor, "to", oldest)
		}
		p.cursor, p.floor = oldest, oldest
	}
	p.cursor = later(p.cursor, first.Truncate(time.Second)) // nothing stored before
	p.setBacklog(to.Sub(p.cursor))
	for chunk := 0; ; chunk++ {
		// Nothing before the cursor the Pump started with: it does not
		// know what it published of it.
		from := later(p.floor, p.cursor.Add(-p.cfg.Lookback))
		end := to
		if e := p.cursor.Add(p.cfg.ChunkSpan); e.Before(end) {
			end = e
		}
		var queued []Message
		if chunk == 0 { // the incident events first: they are few, and news
			p.mu.Lock()
			q := p.queueLocked()
			queued = q[:min(len(q), p.cfg.ChunkMessages-2):min(len(q), p.cfg.ChunkMessages-2)]
			p.mu.Unlock()
		}
		r, err := p.collect(from, end, to, p.cfg.ChunkMessages-len(queued))
		if err != nil {
			return err
		}
		r.incidents, r.msgs = len(queued), append(queued, r.msgs...)
		if err := p.publish(ctx, r); err != nil {
			p.failed = &r
			return err
		}
		if !p.cursor.Before(to) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// publish sends r's messages; once they are stored, it records them as
// published and moves the cursor.
func (p *Pump) publish(ctx context.Context, r roundOut) error {
	if len(r.msgs) > 0 {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout) // NATS away: a failure counted, then the backoff
		err := p.pub.Publish(ctx, r.msgs)
		cancel()
		if err != nil {
			p.mu.Lock()
			p.stats.Failures++
			p.mu.Unlock()
			return err
		}
	}
	maps.Copy(p.seconds, r.seconds)
	maps.Copy(p.records, r.records)
	p.cursor = later(p.cursor, r.to)
	cur, err := p.cursor.MarshalText()
	if err == nil {
		err = p.src.PutMeta(cursorMeta, cur)
	}
	if err != nil {
		return fmt.Errorf("cannot keep the fleet's cursor: %w", err)
	}
	horizon := p.cursor.Add(-p.cfg.Lookback)
	maps.DeleteFunc(p.seconds, func(t int64, _ counts) bool { return unixTime(t).Before(horizon) })
	maps.DeleteFunc(p.records, func(_ string, t time.Time) bool { return t.Before(horizon) })
	p.mu.Lock()
	if r.incidents > 0 {
		p.incidents = p.incidents[r.incidents:]
		p.keepQueueLocked()
	}
	for _, m := range r.msgs {
		p.stats.Messages++
		p.stats.Bytes += int64(len(m.Data) + len(m.Subject) + len(m.ID))
	}
	p.stats.Backlog = max(r.upTo.Sub(p.cursor), 0)
	p.stats.Cursor = p.cursor
	p.mu.Unlock()
	return nil
}

func (p *Pump) setBacklog(d time.Duration) {
	p.mu.Lock()
	p.stats.Backlog = max(d, 0)
	p.mu.Unlock()
}

// roundOut is what a chunk of a round publishes, and what it covers:
// recorded once it was published.
type roundOut struct {
	msgs      []Message
	incidents int // the queued incident events at the head of msgs
	seconds   map[int64]counts
	records   map[string]time.Time
	to        time.Time // the cursor after it
	upTo      time.Time // the round's end: the backlog after it is upTo less the cursor
}

// What bounds a message: 60 seconds; 256 records or about 256 KiB of
// them before compression (within NATS's 1 MiB payload, and within a
// transaction of the fleet's store).
const (
	maxSecondsPerMessage = 60
	maxRecordsPerMessage = 256
	maxRecordBytes       = 256 << 10
)

// errChunkFull stops a chunk's reading of the records.
var errChunkFull = errors.New("the chunk is full")

// collect reads a chunk, [from, to) of the store: the seconds' counts not
// published yet (what they grew by), and the records not published yet,
// in room messages at most (2 or more): when the seconds fill all but one,
// the chunk ends after the last second sent; when the records fill it, at
// the second of the last one read (the rest of that second is read again
// by the next chunk, the records published skipped).
func (p *Pump) collect(from, to, upTo time.Time, room int) (roundOut, error) {
	s := roundOut{seconds: map[int64]counts{}, records: map[string]time.Time{}, to: to, upTo: upTo}
	secs, err := p.src.Seconds(from, to)
	if err != nil {
		return s, err
	}
	var msgs []Message
	var batch []wireSecond
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b, err := json.Marshal(wireSeconds{Seconds: batch})
		if err != nil {
			return err
		}
		b = p.zstd.EncodeAll(b, nil)
		msgs = append(msgs, Message{Subject: Subject(p.cfg.Site, p.cfg.Host, KindSeconds), ID: secondsID(p.cfg.Host, b, batch[0].T, batch[len(batch)-1].T), Data: b})
		batch = nil
		return nil
	}
	for _, sec := range secs {
		now := countsOf(sec)
		delta, any := now.minus(p.seconds[sec.Time.Unix()])
		if !any {
			continue
		}
		delta.T = sec.Time.Unix()
		batch = append(batch, delta)
		s.seconds[delta.T] = now
		if len(batch) == maxSecondsPerMessage {
			cut := unixTime(delta.T).Add(time.Second)
			if err := flush(); err != nil {
				return s, err
			}
			if len(msgs) == room-1 && cut.Before(to) {
				to, s.to = cut, cut // the records up to there, the rest next chunk
				break
			}
		}
	}
	if err := flush(); err != nil {
		return s, err
	}
	var recs []*patterns.Event
	var ids []string
	size := 0
	flushRecords := func() error {
		if len(recs) == 0 {
			return nil
		}
		b, err := json.Marshal(wireRecords{Records: recs})
		if err != nil {
			return fmt.Errorf("cannot encode the records: %w", err)
		}
		msgs = append(msgs, Message{Subject: Subject(p.cfg.Site, p.cfg.Host, KindRecords), ID: recordsID(p.cfg.Host, ids), Data: p.zstd.EncodeAll(b, nil)})
		recs, ids, size = nil, nil, 0
		return nil
	}
	room -= len(msgs)
	err = p.src.Events(from, to, func(ev *patterns.Event) error {
		id := recordID(p.cfg.Host, ev)
		if _, ok := p.records[id]; ok {
			return nil
		}
		recs, ids = append(recs, ev), append(ids, id)
		size += len(ev.Text) + 512
		s.records[id] = ev.Time
		if len(recs) == maxRecordsPerMessage || size >= maxRecordBytes {
			if err := flushRecords(); err != nil {
				return err
			}
			if room--; room == 0 {
				s.to = later(from, ev.Time.Truncate(time.Second))
				return errChunkFull
			}
		}
		return nil
	})
	if errors.Is(err, errChunkFull) {
		err = nil
	}
	if err == nil {
		err = flushRecords()
	}
	s.msgs = msgs
	return s, err
}

func countsOf(sec timeline.Second) counts {
	c := counts{s: map[int]int64{}}
	for _, sc := range sec.Status {
		c.s[sc.Code] = sc.Count
	}
	for _, u := range sec.Upstreams {
		if c.u == nil {
			c.u = map[string]map[int]int64{}
		}
		m := map[int]int64{}
		for _, sc := range u.Status {
			m[sc.Code] = sc.Count
		}
		c.u[u.Addr] = m
	}
	return c
}

// minus is what c holds more than o, as a wire second, and whether it
// holds any more.
func (c counts) minus(o counts) (wireSecond, bool) {
	w := wireSecond{S: map[int]int64{}}
	any := false
	for code, n := range c.s {
		if d := n - o.s[code]; d > 0 {
			w.S[code], any = d, true
		}
	}
	for addr, m := range c.u {
		for code, n := range m {
			if d := n - o.u[addr][code]; d > 0 {
				if w.U == nil {
					w.U = map[string]map[int]int64{}
				}
				if w.U[addr] == nil {
					w.U[addr] = map[int]int64{}
				}
				w.U[addr][code] = d
			}
		}
	}
	return w, any
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
