package fleet_test

import (
	"context"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

// sending keeps every message a Pump hands its Publisher, before the
// stream drops those whose ID it holds: what the Pump sent, each time.
type sending struct {
	next *memStream
	mu   sync.Mutex
	sent []fleet.Message
}

func (s *sending) Publish(ctx context.Context, msgs []fleet.Message) error {
	s.mu.Lock()
	s.sent = append(s.sent, msgs...)
	s.mu.Unlock()
	return s.next.Publish(ctx, msgs)
}

// of counts the messages sent of kind.
func (s *sending) of(kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, m := range s.sent {
		if m.Subject == fleet.Subject("shop", "web1", kind) {
			n++
		}
	}
	return n
}

// errorLine is an nginx error-log record no cause rule reads: a client's
// file not found.
func errorLine(at time.Time, offset int64) *patterns.Event {
	return &patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "/var/log/nginx/error.log", Offset: offset,
		Text:  `2026/12/06 05:22:08 [error] 7#7: *9 open() "/var/www/html/favicon.ico" failed (2: No such file or directory), client: 10.0.0.1, server: shop, request: "GET /favicon.ico HTTP/1.1", host: "shop"`,
		Error: &patterns.NginxError{Level: "error", Message: `open() "/var/www/html/favicon.ico" failed (2: No such file or directory)`, Errno: 2, Client: "10.0.0.1", Server: "shop", Request: "GET /favicon.ico HTTP/1.1"}}
}

// refusedLine is an nginx error-log record a cause rule reads: PHP-FPM
// refused the connection.
func refusedLine(at time.Time, offset int64) *patterns.Event {
	return &patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "/var/log/nginx/error.log", Offset: offset,
		Text:  `2026/12/06 05:22:08 [error] 7#7: *9 connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET / HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop"`,
		Error: &patterns.NginxError{Level: "error", Message: "connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused)", Errno: 111, Action: "connecting to upstream", Upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:"}}
}

// startQuiet is quietStart publishing through a sending.
func startQuiet(t *testing.T) (*store.Store, *sending, *quietClock, *pumpRun) {
	t.Helper()
	st := openStore(t, "web1")
	commit(t, st, t0, 200, 3)
	s := &sending{next: newMemStream()}
	clock := &quietClock{now: t0.Add(10 * time.Second)}
	r := runPumpOf(t, "web1", st, s, func(c *fleet.PumpConfig) {
		c.QuietEvery, c.Heartbeat, c.Now = 30*time.Second, 10*time.Second, clock.Now
	})
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
	return st, s, clock, r
}

// tick moves the clock by d and runs a round: woken by a commit, or
// (wake false) by the Pump's own wait (the heartbeat's or the held
// seconds').
func tick(t *testing.T, r *pumpRun, clock *quietClock, d time.Duration, wake bool) {
	t.Helper()
	clock.add(d)
	if wake {
		r.p.Wake()
	} else {
		r.retry <- clock.Now()
	}
	if err := r.await(t); err != nil {
		t.Fatal(err)
	}
}

// holdLone commits a lone gateway error and an error notice a second
// after the first round's, runs a round 5 s later, and checks that it
// sent nothing; it returns the messages sent so far.
func holdLone(t *testing.T, st *store.Store, s *sending, clock *quietClock, r *pumpRun) int {
	t.Helper()
	n := len(s.sent)
	commit(t, st, t0.Add(time.Second), 502, 1, gatewayLine(t0.Add(time.Second), 0), errorLine(t0.Add(time.Second), 0))
	tick(t, r, clock, 5*time.Second, true)
	if len(s.sent) != n {
		t.Fatalf("a lone 502 and an error notice were published at once (%d messages)", len(s.sent)-n)
	}
	return n
}

// TestQuietHostHoldsLoneRecords: a lone gateway error, an error-log
// record no cause rule reads and a 500 wait with the seconds held; the
// round past QuietEvery (the Pump's own wait) publishes them together,
// one message of seconds and one of records; the fleet has the host's
// counts and records.
func TestQuietHostHoldsLoneRecords(t *testing.T) {
	st, s, clock, r := startQuiet(t)
	n := holdLone(t, st, s, clock, r)
	five := gatewayLine(t0.Add(6*time.Second), 100)
	five.Access.Status = 500
	commit(t, st, t0.Add(6*time.Second), 500, 1, five)
	tick(t, r, clock, 5*time.Second, true)
	tick(t, r, clock, 10*time.Second, false) // a heartbeat's wait: still held, no heartbeat
	if len(s.sent) != n {
		t.Fatalf("a quiet host published %d messages for a lone 502, an error notice and a 500 within QuietEvery, want none yet", len(s.sent)-n)
	}
	if b := r.p.Stats().Backlog; b != 6*time.Second {
		t.Errorf("the backlog of the records and seconds held is %v, want 6 s", b)
	}
	tick(t, r, clock, 10*time.Second, false) // 30 s since the first round published
	if got := [3]int{s.of(fleet.KindSeconds), s.of(fleet.KindRecords), len(s.sent)}; got != [3]int{2, 1, n + 2} {
		t.Errorf("past QuietEvery the pump had sent %v (seconds, records, all), want the seconds held and the records in one message each", got)
	}
	fleetHoldsTheHosts(t, st, s.next, 3)
}

// TestUrgentRecordsGoAtOnce: a second gateway error while a lone one is
// held (a burst), or a record a cause rule reads, publishes the round at
// once, with what was held.
func TestUrgentRecordsGoAtOnce(t *testing.T) {
	for name, urgent := range map[string]*patterns.Event{
		"a second gateway error": gatewayLine(t0.Add(6*time.Second), 100),
		"PHP-FPM refusing":       refusedLine(t0.Add(6*time.Second), 0),
	} {
		t.Run(name, func(t *testing.T) {
			st, s, clock, r := startQuiet(t)
			n := holdLone(t, st, s, clock, r)
			commit(t, st, t0.Add(6*time.Second), 502, 1, urgent)
			tick(t, r, clock, 5*time.Second, true) // 10 s since the first round: far from QuietEvery
			if got := [3]int{s.of(fleet.KindSeconds), s.of(fleet.KindRecords), len(s.sent)}; got != [3]int{2, 1, n + 2} {
				t.Errorf("the round with %s had sent %v (seconds, records, all), want the seconds and the three records at once", name, got)
			}
			fleetHoldsTheHosts(t, st, s.next, 3)
		})
	}
}

// TestHeldRecordsSurviveARestart: records and seconds held when watch
// stops are in the host's store, not marked published: the next start
// publishes them at its first round, once; a start after it sends them
// no more; the fleet has each once.
func TestHeldRecordsSurviveARestart(t *testing.T) {
	st, s, clock, r := startQuiet(t)
	holdLone(t, st, s, clock, r)
	r.stop()

	for range 2 {
		again := runPumpOf(t, "web1", st, s, func(c *fleet.PumpConfig) {
			c.QuietEvery, c.Heartbeat, c.Now = 30*time.Second, 10*time.Second, clock.Now
		})
		if err := again.await(t); err != nil {
			t.Fatal(err)
		}
		clock.add(5 * time.Second)
		again.stop()
	}
	if got := [2]int{s.of(fleet.KindSeconds), s.of(fleet.KindRecords)}; got != [2]int{2, 1} {
		t.Errorf("two starts sent %v messages of seconds and of records in all, want the held ones once: 2 (the first start's, the held ones), 1", got)
	}
	fleetHoldsTheHosts(t, st, s.next, 2)
}

// fleetHoldsTheHosts merges what ms holds into a fleet store: it must
// hold st's counts, and its records, n of them.
func fleetHoldsTheHosts(t *testing.T, st *store.Store, ms *memStream, n int) {
	t.Helper()
	fst := consume(t, ms)
	if want, got := records(t, st, ""), records(t, fst, "web1:"); len(got) != n || !slices.Equal(want, got) {
		t.Errorf("the fleet holds the records %q, the host %q", got, want)
	}
	if want, got := secondsOf(t, st), secondsOf(t, fst); !maps.Equal(want, got) {
		t.Errorf("the fleet counts %v, the host %v", got, want)
	}
}
