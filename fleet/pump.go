package fleet

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
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

// LastStored is what a Publisher may tell besides (*JetStream does): the
// ID of the last message its stream holds on a subject. Before the Pump
// sends a chunk's seconds again (after a failure, or a restart), it asks:
// those the stream stored before the connection dropped (a host publishes
// its seconds in order, on a subject of its own) are not sent again, so
// they are not added twice however long the stream was away, past its
// duplicate window.
type LastStored interface {
	LastID(ctx context.Context, subject string) (id string, ok bool, err error)
}

// Source is what the Pump reads of a host's store (*store.Store is one):
// what changed since a commit version (FleetSnapshot), and where it is.
type Source interface {
	Range() (first, last time.Time, ok bool, err error)
	FleetSnapshot() *store.FleetSnapshot
	Meta(name string) ([]byte, bool, error)
	PutMeta(name string, v []byte) error
	PutFleetState(meta map[string][]byte, published map[int64][]byte) error
	PruneFleetPublished(before time.Time) error
}

// cursorMeta is the store's meta name of the Pump's cursor before it
// followed the commit versions (an instant): read once, as the floor of
// the first round.
const cursorMeta = "fleet/cursor"

// PumpConfig says what a Pump publishes, and how it waits.
type PumpConfig struct {
	Site, Host string
	// MaxBacklog bounds the catch-up: what is stamped further behind
	// the store's last second is not published (the seconds and the
	// records skipped are counted). Default 6 hours.
	MaxBacklog time.Duration
	// Every is the least time between two rounds: the commits of a busy
	// host are published together, in fewer messages. Default 5 s;
	// negative: a round at each Wake.
	Every time.Duration
	// QuietEvery is how long a quiet host holds what it has to say: a
	// round that has nothing an incident needs now (no urgent record:
	// urgent; no incident event) and published seconds or records less
	// than QuietEvery ago publishes none; they stay in the store, not
	// published, and come out together, the seconds grown and merged, at
	// the first round past QuietEvery, or with the next urgent record or
	// incident event. No heartbeat goes meanwhile: the seconds held tell
	// the host's clock when they go. Default 30 s; negative: every round
	// publishes what it read.
	QuietEvery time.Duration
	// Heartbeat is how long the Pump waits for a Wake before a round of
	// its own: a round that has nothing to publish publishes the host's
	// clock (a heartbeat), so that a quiet host does not hold the site's
	// clock back. Default 10 s; negative: no heartbeat, no such round.
	Heartbeat time.Duration
	// After is how a round waits: Every after a round, the Heartbeat,
	// the backoff after a failed one (from 1 s to 1 minute); default
	// time.After.
	After func(time.Duration) <-chan time.Time
	// Now is the clock (default time.Now): a round publishes nothing
	// stamped more than a minute past it, so that one record from the
	// future (a clock set wrong, a zoneless stamp read in another zone)
	// does not carry the cursor past the records still to come.
	Now func() time.Time
	// OnRound, when set, hears of each round's end (nil: published; else
	// why not), on the Pump's goroutine.
	OnRound func(error)
	// ChunkMessages bounds what a round holds in memory and hands the
	// Publisher at once: a round publishes in chunks of at most
	// ChunkMessages messages, each acknowledged before the next is read,
	// the state moved after each. Default 64: at most ~16 MiB of records
	// in memory (256 KiB of them a message) when a burst of gateway
	// errors is caught up (nats.go refuses more than 4,000 publishes
	// waiting for their acknowledgement). At least 3: a message of
	// seconds, one of records, and one incident event waiting.
	ChunkMessages int
}

// maxAhead is how far past its clock a Pump publishes: the hosts' clocks
// and the fleet's are never quite the same.
const maxAhead = time.Minute

// Stats are what a Pump did, for the metrics.
type Stats struct {
	Messages, Bytes int64         // published
	Failures        int64         // rounds that failed
	Backlog         time.Duration // the store's last second minus where the round got: not published yet
	Skipped         int64         // seconds changed and never published (MaxBacklog)
	SkippedRecords  int64         // records committed and never published (MaxBacklog)
	Dropped         int64         // incident events dropped from a full queue
	Cursor          time.Time     // what the store committed before the last round began is published up to it
}

// publishTimeout bounds one round's publishing.
const publishTimeout = 30 * time.Second

// maxIncidents bounds the incident events waiting to be published.
const maxIncidents = 1000

// Pump publishes what a host's store committed (pumpState, kept in the
// store, so it survives a restart): the seconds' counts and the records.
// Each round publishes what was committed since the last one, whatever
// its instants, and what grew of the seconds published. While the
// Publisher fails, the store keeps everything and the backlog grows; the
// next round that succeeds catches up.
type Pump struct {
	src  Source
	pub  Publisher
	cfg  PumpConfig
	wake chan struct{}
	zstd *zstd.Encoder // of the seconds' messages
	recz *zstd.Encoder // of the records' messages (recordsDict)

	mu        sync.Mutex
	incidents []Message // incident events waiting (queueLocked)
	queueRead bool      // whether incidents holds the store's queue
	stats     Stats

	// Of the Pump's goroutine only.
	st      pumpState
	floor   time.Time // nothing stamped before it is published: the cursor of an older version, for its first round
	pruned  time.Time // the day before which the seconds published are pruned (the store's first day)
	flushed time.Time // when seconds or records were last published (cfg.Now); zero: not yet
	sentAt  time.Time // when anything was last published (cfg.Now)
	held    bool      // the last round held its seconds and records (QuietEvery)
}

// counts is a second's counts published.
type counts struct {
	s map[int]int64
	u map[string]map[int]int64
}

// NewPump returns a Pump of src to pub; run it with Run.
func NewPump(src Source, pub Publisher, cfg PumpConfig) *Pump {
	cfg.MaxBacklog = cmp.Or(cfg.MaxBacklog, 6*time.Hour)
	cfg.Every = cmp.Or(cfg.Every, 5*time.Second)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, 10*time.Second)
	cfg.QuietEvery = cmp.Or(cfg.QuietEvery, 30*time.Second)
	cfg.ChunkMessages = max(cmp.Or(cfg.ChunkMessages, 64), 3) // a message of seconds, one of records, one incident event at least
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	enc, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))                                                               // no error without options that fail
	recz, _ := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderDictRaw(recordsDictID, []byte(recordsDict))) // a dictionary far under the bound
	return &Pump{src: src, pub: pub, cfg: cfg, zstd: enc, recz: recz, wake: make(chan struct{}, 1)}
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
	defer p.recz.Close()
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
			var beat, quiet <-chan time.Time // nil: none
			if p.cfg.Heartbeat > 0 {
				beat = p.cfg.After(p.cfg.Heartbeat)
			}
			if p.held { // the seconds held come out in time without a Wake
				quiet = p.cfg.After(max(p.flushed.Add(p.cfg.QuietEvery).Sub(p.cfg.Now()), 0))
			}
			select {
			case <-ctx.Done():
				return nil
			case <-p.wake:
			case <-beat:
			case <-quiet:
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

// loadCursor reads the Pump's state.
func (p *Pump) loadCursor() error {
	v, ok, err := p.src.Meta(stateMeta)
	if err != nil {
		return fmt.Errorf("cannot read the fleet's cursor: %w", err)
	}
	if ok {
		if err := json.Unmarshal(v, &p.st); err != nil {
			return fmt.Errorf("cannot read the fleet's cursor %q: %w (remove it with the store to publish afresh)", v, err)
		}
	} else if v, ok, err = p.src.Meta(cursorMeta); err != nil {
		return fmt.Errorf("cannot read the fleet's cursor: %w", err)
	} else if ok {
		if err := p.floor.UnmarshalText(v); err != nil {
			return fmt.Errorf("cannot read the fleet's cursor %q: %w (remove it with the store to publish afresh)", v, err)
		}
	}
	return nil
}

// pumpState is where the Pump is, kept in the store's meta (stateMeta)
// with what it published of the seconds, in one transaction, after each
// chunk the stream acknowledged.
//
// What the Pump follows is what the store committed, by Badger's commit
// versions, not the records' instants: a round publishes the seconds and
// records last committed at a version in (Since, UpTo] (UpTo: the store's
// version when the round began) stamped before Limit, and those of any
// version up to UpTo stamped in [Limit, NewLimit): the ones a round left
// for later because they were stamped past its clock. So a record comes
// out once, whatever its instant and however late it was committed (a
// follower lagging behind the others, a rotated file drained after a long
// stop, a restart), and a second whose counts grew after they were
// published comes out again as what it grew by.
type pumpState struct {
	Since uint64    `json:"since"` // the changes up to it are published (stamped before Limit)
	Limit time.Time `json:"limit"` // what is stamped from it on was left for later
	// The round in progress (UpTo 0: none): from the instant From on
	// (and, of the records, after the key After) up to NewLimit.
	UpTo     uint64    `json:"up_to,omitempty"`
	NewLimit time.Time `json:"new_limit,omitzero"`
	From     time.Time `json:"from,omitzero"`
	After    []byte    `json:"after,omitempty"`
	To       time.Time `json:"to,omitzero"` // the store's last second (and the one before NewLimit) when it began
}

// The store's meta names of the Pump's state and of the chunk being
// published (inflight: its seconds' messages, sent again as they were
// after a failure or a restart, so that counts stored just before a
// connection dropped are never added twice under another ID).
const (
	stateMeta    = "fleet/state"
	inflightMeta = "fleet/inflight"
)

// inflight is a chunk's seconds being published: the messages and the
// seconds' rollups (as the store gave them) kept as published once the
// stream stored them.
type inflight struct {
	Msgs      []Message        `json:"msgs"`
	Published map[int64][]byte `json:"published"`
}

// round publishes what the store committed since the last round, in
// chunks (each acknowledged before the next is read, the state moved
// after each). The seconds of a chunk that failed are sent again first,
// as they were (the same messages, the same IDs). A round that published
// nothing publishes the host's clock (a heartbeat).
func (p *Pump) round(ctx context.Context) error {
	if err := p.resend(ctx); err != nil {
		return err
	}
	limit := p.cfg.Now().Add(maxAhead).Truncate(time.Second) // the future waits for its time
	// A round that failed goes on where it was; then a round of what was
	// committed since it began: the first round that succeeds catches up.
	resumed := p.st.UpTo != 0
	now := p.cfg.Now()
	// A quiet host's seconds and records may wait (QuietEvery): this
	// round's, if whole in one chunk with nothing urgent, go back to the
	// store.
	mayHold := !resumed && p.cfg.QuietEvery > 0 && !p.flushed.IsZero() && now.Sub(p.flushed) < p.cfg.QuietEvery
	stats := p.Stats()
	before, skipped, skippedRecords := p.st, stats.Skipped, stats.SkippedRecords
	p.held = false
	sent := 0
	for chunk := 0; ; chunk++ {
		if p.st.UpTo == 0 {
			if err := p.begin(limit); err != nil {
				return err
			}
		}
		var queued []Message
		if chunk == 0 { // the incident events first: they are few, and news
			p.mu.Lock()
			q := p.queueLocked()
			n := min(len(q), p.cfg.ChunkMessages-2)
			queued = q[:n:n]
			p.mu.Unlock()
		}
		p.setBacklog(p.st.To.Sub(p.st.From))
		c, err := p.collect(p.cfg.ChunkMessages - len(queued))
		if err != nil {
			return err
		}
		if chunk == 0 && mayHold && len(queued) == 0 && c.state.UpTo == 0 && len(c.msgs) > 0 && !c.urgent {
			// Nothing published: the next round reads these seconds
			// again, grown, and these records with those committed
			// since. No heartbeat: the held seconds tell the host's
			// clock within QuietEvery, and the site's clock does not
			// pass a held second.
			p.st, p.held = before, true
			p.mu.Lock()
			p.stats.Skipped, p.stats.SkippedRecords = skipped, skippedRecords // counted again then
			p.mu.Unlock()
			return nil
		}
		sent += len(c.msgs)
		c.incidents, c.msgs = len(queued), append(queued, c.msgs...)
		if err := p.publish(ctx, c); err != nil {
			return err
		}
		if c.state.UpTo == 0 {
			if !resumed {
				break
			}
			resumed = false
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if sent == 0 && p.cfg.Heartbeat >= 0 {
		return p.heartbeat(ctx)
	}
	return nil
}

// begin starts a round: the changes up to the store's version now, and,
// stamped past the last round's clock, those up to limit; none stamped
// more than MaxBacklog before the store's last second (those seconds and
// records are counted as skipped).
func (p *Pump) begin(limit time.Time) error {
	snap := p.src.FleetSnapshot()
	upTo := snap.Version()
	defer snap.Close()
	// The store's edges read after the version is fixed hold every
	// commit up to it: read before, a commit between the two (a
	// follower's, of records stamped before the others') would be past
	// the version the round moves to, and before where it starts.
	first, last, ok, err := p.src.Range()
	if err != nil {
		return err
	}
	if day := first.Truncate(24 * time.Hour); ok && day.After(p.pruned) {
		if err := p.src.PruneFleetPublished(day); err != nil { // the store's retention dropped those seconds
			slog.Warn("cannot prune the fleet's state", "err", err)
		}
		p.pruned = day
	}
	st := p.st
	st.UpTo, st.NewLimit, st.After = upTo, timeline.Later(st.Limit, limit), nil
	if !ok {
		st.From = st.NewLimit // nothing stored: nothing to publish, the versions move on
		p.st = st
		return nil
	}
	to := last.Truncate(time.Second).Add(time.Second)
	if to.After(st.NewLimit) {
		to = st.NewLimit
	}
	st.From, st.To = timeline.Later(to.Add(-p.cfg.MaxBacklog), p.floor), to
	st.From = timeline.Later(st.From, first.Truncate(time.Second))
	if st.Since > 0 && st.From.Before(st.Limit) { // from the first change (the backlog's start)
		start, stop := timeline.Later(st.From, st.Limit), errors.New("found")
		end := timeline.Earlier(st.Limit, st.NewLimit)
		err := snap.ChangedEvents(st.From, end, nil, st.Since, upTo, func(_ []byte, ev *patterns.Event) error {
			start = timeline.Earlier(start, ev.Time.Truncate(time.Second))
			return stop
		})
		if err == nil || errors.Is(err, stop) {
			err = snap.ChangedSeconds(st.From, end, st.Since, upTo, func(now, _ timeline.Second, _ []byte) error {
				start = timeline.Earlier(start, now.Time)
				return stop
			})
		}
		if err != nil && !errors.Is(err, stop) {
			return err
		}
		st.From = start
	}
	if p.st.Since > 0 { // else the first start: everything within the bound
		// What changed since the last round stamped before its clock,
		// and what it left for later (stamped past its clock: any
		// version), before From.
		n, recs := 0, 0
		count := func(from, to time.Time, since uint64) error {
			if !from.Before(to) {
				return nil
			}
			if err := snap.ChangedSeconds(from, to, since, upTo, func(_, _ timeline.Second, _ []byte) error { n++; return nil }); err != nil {
				return err
			}
			return snap.ChangedEvents(from, to, nil, since, upTo, func([]byte, *patterns.Event) error { recs++; return nil })
		}
		if err := count(time.Time{}, timeline.Earlier(st.From, st.Limit), p.st.Since); err != nil {
			return err
		}
		if err := count(st.Limit, st.From, 0); err != nil {
			return err
		}
		if n > 0 || recs > 0 {
			p.mu.Lock()
			p.stats.Skipped += int64(n)
			p.stats.SkippedRecords += int64(recs)
			p.mu.Unlock()
			slog.Warn("the fleet's backlog is longer than its bound: skipping", "seconds", n, "records", recs, "before", st.From)
		}
	}
	p.st = st
	return nil
}

// resend publishes the seconds of a chunk that failed (or that a restart
// interrupted) as they were, and keeps them as published.
func (p *Pump) resend(ctx context.Context) error {
	v, ok, err := p.src.Meta(inflightMeta)
	if err != nil || !ok || len(v) == 0 {
		return err
	}
	var in inflight
	if err := json.Unmarshal(v, &in); err != nil {
		return fmt.Errorf("cannot read the fleet's chunk in flight: %w (remove fleet/inflight with the store to go on)", err)
	}
	if ls, ok := p.pub.(LastStored); ok && len(in.Msgs) > 0 {
		ctx, cancel := context.WithTimeout(ctx, publishTimeout)
		id, found, err := ls.LastID(ctx, in.Msgs[0].Subject)
		cancel()
		if err != nil {
			p.mu.Lock()
			p.stats.Failures++
			p.mu.Unlock()
			return err
		}
		if k := slices.IndexFunc(in.Msgs, func(m Message) bool { return found && m.ID == id }); k >= 0 {
			in.Msgs = in.Msgs[k+1:] // stored already
		}
	}
	if err := p.send(ctx, in.Msgs); err != nil {
		return err
	}
	return p.src.PutFleetState(map[string][]byte{inflightMeta: nil}, in.Published)
}

// send publishes msgs (a failure counted).
func (p *Pump) send(ctx context.Context, msgs []Message) error {
	if len(msgs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, publishTimeout) // NATS away: a failure counted, then the backoff
	defer cancel()
	if err := p.pub.Publish(ctx, msgs); err != nil {
		p.mu.Lock()
		p.stats.Failures++
		p.mu.Unlock()
		return err
	}
	p.sentAt = p.cfg.Now()
	p.mu.Lock()
	p.stats.Messages += int64(len(msgs))
	for _, m := range msgs {
		p.stats.Bytes += int64(len(m.Data) + len(m.Subject) + len(m.ID))
	}
	p.mu.Unlock()
	return nil
}

// publish sends c's messages (its seconds kept in flight first); once
// they are stored, it keeps the seconds as published and the state moved
// on, in one transaction.
func (p *Pump) publish(ctx context.Context, c chunkOut) error {
	if len(c.seconds) > 0 {
		b, err := json.Marshal(inflight{Msgs: c.secondsMsgs, Published: c.seconds})
		if err == nil {
			err = p.src.PutMeta(inflightMeta, b)
		}
		if err != nil {
			return fmt.Errorf("cannot keep the fleet's chunk in flight: %w", err)
		}
	}
	if err := p.send(ctx, c.msgs); err != nil {
		return err
	}
	state, err := json.Marshal(c.state)
	if err != nil {
		return err
	}
	if err := p.src.PutFleetState(map[string][]byte{stateMeta: state, inflightMeta: nil}, c.seconds); err != nil {
		return fmt.Errorf("cannot keep the fleet's cursor: %w", err)
	}
	p.st = c.state
	if len(c.msgs) > c.incidents { // seconds or records
		p.flushed = p.sentAt
	}
	if c.state.UpTo == 0 {
		p.floor = time.Time{} // the older version's cursor served its round
	}
	p.mu.Lock()
	if c.incidents > 0 {
		p.incidents = p.incidents[c.incidents:]
		p.keepQueueLocked()
	}
	p.stats.Cursor = c.state.From
	if c.state.UpTo == 0 {
		p.stats.Cursor, p.stats.Backlog = c.state.To, 0
	}
	p.mu.Unlock()
	return nil
}

// heartbeat publishes the host's clock: a host with nothing new to say
// tells the fleet that it is there, and how far it got.
func (p *Pump) heartbeat(ctx context.Context) error {
	t := p.cfg.Now().Truncate(time.Second).Unix()
	b, err := json.Marshal(wireClock{T: t})
	if err != nil {
		return err
	}
	return p.send(ctx, []Message{{Subject: Subject(p.cfg.Site, p.cfg.Host, KindClock), ID: clockID(p.cfg.Host, t), Data: b}})
}

func (p *Pump) setBacklog(d time.Duration) {
	p.mu.Lock()
	p.stats.Backlog = max(d, 0)
	p.mu.Unlock()
}

// chunkOut is what a chunk of a round publishes, and the state after it.
type chunkOut struct {
	msgs        []Message
	incidents   int       // the queued incident events at the head of msgs
	secondsMsgs []Message // the messages of seconds among msgs
	seconds     map[int64][]byte
	state       pumpState
	urgent      bool // its records hold what the fleet's incidents need now (urgent)
}

// What bounds a message: 60 seconds; 256 records or about 256 KiB of
// them before compression (within NATS's 1 MiB payload, and within a
// transaction of the fleet's store).
const (
	maxSecondsPerMessage = 60
	maxRecordsPerMessage = 256
	maxRecordBytes       = 256 << 10
)

// errChunkFull stops a chunk's reading.
var errChunkFull = errors.New("the chunk is full")

// record is a record to publish, with its key in the host's store.
type record struct {
	key []byte
	ev  *patterns.Event
}

// collect reads the next chunk of the round, in room messages at most (2
// or more): the records first, in room-1 messages at most (when they fill
// them, the chunk ends at the second of the last one read, the rest of
// that second left to the next chunk by its key); then the seconds up to
// there, what they grew by since published (when they fill the rest, the
// chunk ends before the first second left out, and so do its records).
func (p *Pump) collect(room int) (chunkOut, error) {
	st := p.st
	c := chunkOut{seconds: map[int64][]byte{}, state: st}
	snap := p.src.FleetSnapshot()
	defer snap.Close()
	// The parts of the round: [From, Limit) of the versions past Since,
	// [Limit, NewLimit) of all of them, up to UpTo.
	parts := func(from, to time.Time, fn func(from, to time.Time, since uint64) error) error {
		if from.Before(st.Limit) {
			if err := fn(from, timeline.Earlier(st.Limit, to), st.Since); err != nil {
				return err
			}
		}
		if f := timeline.Later(from, st.Limit); f.Before(to) {
			return fn(f, to, 0)
		}
		return nil
	}
	var recs []record
	msgs, n, size := 0, 0, 0
	cut, after := st.NewLimit, []byte(nil)
	err := parts(st.From, st.NewLimit, func(from, to time.Time, since uint64) error {
		return snap.ChangedEvents(from, to, st.After, since, st.UpTo, func(k []byte, ev *patterns.Event) error {
			if n == 0 && msgs == room-1 { // the seconds' message left
				cut, after = ev.Time.Truncate(time.Second), recs[len(recs)-1].key
				return errChunkFull
			}
			recs = append(recs, record{k, ev})
			n, size = n+1, size+len(ev.Text)+512
			if n == maxRecordsPerMessage || size >= maxRecordBytes {
				msgs, n, size = msgs+1, 0, 0
			}
			return nil
		})
	})
	if err != nil && !errors.Is(err, errChunkFull) {
		return c, err
	}
	if after != nil && cut.Before(st.From) {
		cut = st.From
	}
	if n > 0 {
		msgs++
	}
	// The seconds up to cut.
	var secs []wireSecond
	err = parts(st.From, cut, func(from, to time.Time, since uint64) error {
		return snap.ChangedSeconds(from, to, since, st.UpTo, func(now, published timeline.Second, raw []byte) error {
			delta, any := countsOf(now).minus(countsOf(published))
			if !any {
				return nil
			}
			if len(secs)%maxSecondsPerMessage == 0 && msgs == room {
				cut, after = now.Time, nil // this second and its records next chunk
				return errChunkFull
			}
			if len(secs)%maxSecondsPerMessage == 0 {
				msgs++
			}
			delta.T = now.Time.Unix()
			secs = append(secs, delta)
			c.seconds[delta.T] = raw
			return nil
		})
	})
	if err != nil && !errors.Is(err, errChunkFull) {
		return c, err
	}
	if after == nil { // the records end at cut
		recs = slices.DeleteFunc(recs, func(r record) bool { return !r.ev.Time.Before(cut) })
	}
	c.urgent = urgent(recs)
	for b := range slices.Chunk(secs, maxSecondsPerMessage) {
		c.secondsMsgs = append(c.secondsMsgs, p.secondsMessage(b, c.seconds))
	}
	c.msgs = slices.Clone(c.secondsMsgs)
	for len(recs) > 0 {
		k, size := 0, 0
		for k < len(recs) && k < maxRecordsPerMessage && size < maxRecordBytes {
			size += len(recs[k].ev.Text) + 512
			k++
		}
		m, err := p.recordsMessage(recs[:k])
		if err != nil {
			return c, err
		}
		c.msgs, recs = append(c.msgs, m), recs[k:]
	}
	if cut.Equal(st.NewLimit) && after == nil { // the round is done
		c.state = pumpState{Since: st.UpTo, Limit: st.NewLimit, To: st.To}
		return c, nil
	}
	c.state.From, c.state.After = cut, after
	return c, nil
}

// secondsMessage is a message of batch (in columns, compressed), named by
// its content and by what its seconds add up to (after, by second: the
// rollups as the store holds them): the same growth of a second twice is
// two messages, the same message sent again one.
func (p *Pump) secondsMessage(batch []wireSecond, after map[int64][]byte) Message {
	totals := make([][]byte, len(batch))
	for i, s := range batch {
		totals[i] = after[s.T]
	}
	b := p.zstd.EncodeAll(encodeSeconds(batch), nil)
	return Message{Subject: Subject(p.cfg.Site, p.cfg.Host, KindSeconds), ID: secondsID(p.cfg.Host, b, totals), Data: b}
}

func (p *Pump) recordsMessage(recs []record) (Message, error) {
	evs, ids := make([]*patterns.Event, len(recs)), make([]string, len(recs))
	for i, r := range recs {
		evs[i], ids[i] = r.ev, recordID(p.cfg.Host, r.ev)
	}
	b, err := json.Marshal(wireRecords{Records: evs})
	if err != nil {
		return Message{}, fmt.Errorf("cannot encode the records: %w", err)
	}
	return Message{Subject: Subject(p.cfg.Site, p.cfg.Host, KindRecords), ID: recordsID(p.cfg.Host, ids), Data: p.recz.EncodeAll(b, nil)}, nil
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
