package fleet_test

import (
	"context"
	"errors"
	"sync"

	"github.com/logcause/logcause/fleet"
)

// memStream is a stream in memory, as JetStream keeps one: a message whose
// ID it holds already is dropped; the others get the next sequence.
// failAfter, when >= 0, makes the next Publish store that many messages
// and then fail.
type memStream struct {
	mu        sync.Mutex
	ids       map[string]bool
	msgs      []fleet.Delivery
	failAfter int
	publishes int
}

func newMemStream() *memStream { return &memStream{ids: map[string]bool{}, failAfter: -1} }

// len is how many messages the stream holds, while a Pump may publish.
func (m *memStream) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

var errCut = errors.New("connection lost")

func (m *memStream) Publish(_ context.Context, msgs []fleet.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishes++
	for i, msg := range msgs {
		if m.failAfter == i {
			m.failAfter = -1
			return errCut
		}
		if m.ids[msg.ID] {
			continue
		}
		m.ids[msg.ID] = true
		m.msgs = append(m.msgs, fleet.Delivery{Subject: msg.Subject, Seq: uint64(len(m.msgs) + 1), Data: msg.Data})
	}
	return nil
}

// feed returns a Feeder of the stream's messages from a sequence on, in
// batches of at most n; once they are all delivered, Fetch waits for ctx.
func (m *memStream) feed(n int) fleet.Subscribe { return m.feedUntil(n, 1<<62) }

// feedUntil is feed delivering no message after the sequence until (each
// one's Pending counts the stream's messages after it all the same).
func (m *memStream) feedUntil(n int, until uint64) fleet.Subscribe {
	return func(ctx context.Context, from uint64) (fleet.Feeder, error) {
		return &memFeed{m: m, next: from, n: n, until: until}, nil
	}
}

type memFeed struct {
	m     *memStream
	next  uint64
	n     int
	until uint64
}

func (f *memFeed) Fetch(ctx context.Context) ([]fleet.Delivery, error) {
	f.m.mu.Lock()
	var out []fleet.Delivery
	for f.next >= 1 && int(f.next) <= len(f.m.msgs) && f.next <= f.until && len(out) < f.n {
		d := f.m.msgs[f.next-1]
		d.Pending = uint64(len(f.m.msgs)) - f.next
		out = append(out, d)
		f.next++
	}
	f.m.mu.Unlock()
	if len(out) == 0 {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return out, nil
}

func (f *memFeed) Close() {}
