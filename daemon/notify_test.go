package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/logcause/logcause/ingest"
)

// TestOverflowWakesEveryFollowerAndRescans: when inotify's queue
// overflowed, events were lost: every follower reads at once and the
// watched paths are rescanned.
func TestOverflowWakesEveryFollowerAndRescans(t *testing.T) {
	n := &notifier{w: &fsnotify.Watcher{Events: make(chan fsnotify.Event), Errors: make(chan error, 1)},
		rescan: make(chan struct{}, 1), dirs: map[string]bool{}, subs: map[string]int{},
		waiting: map[string]context.CancelCauseFunc{}, early: map[string]bool{}, series: map[string]string{}}
	idle := ingest.WakerFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	a, b := n.waker("/var/log/nginx/access.log", idle), n.waker("/var/log/nginx/error.log", idle)
	defer a.Stop()
	defer b.Stop()
	n.w.Errors <- fsnotify.ErrEventOverflow
	if !n.take(context.Background(), nil) {
		t.Fatal("the overflow was not taken")
	}
	for _, w := range []*eventWaker{a, b} {
		if err := w.Wait(context.Background()); err != nil || w.Round() {
			t.Errorf("%s: waited %v, round %v; want an early wake", w.series, err, w.Round())
		}
	}
	select {
	case <-n.rescan:
	default:
		t.Error("no rescan asked")
	}
}

// TestEventsWakeTheirSeries: a write to a rotated sibling wakes the live
// file's follower (it drains the sibling); a write to a file nobody
// follows does nothing; a file created asks for a rescan.
func TestEventsWakeTheirSeries(t *testing.T) {
	n := &notifier{rescan: make(chan struct{}, 1), dirs: map[string]bool{}, subs: map[string]int{},
		waiting: map[string]context.CancelCauseFunc{}, early: map[string]bool{}, series: map[string]string{}}
	idle := ingest.WakerFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
	w := n.waker("/var/log/nginx/access.log", idle)
	defer w.Stop()
	rescanned := func() bool {
		select {
		case <-n.rescan:
			return true
		default:
			return false
		}
	}
	n.event(fsnotify.Event{Name: "/var/log/nginx/access.log.1", Op: fsnotify.Write})
	if r := rescanned(); !n.early["/var/log/nginx/access.log"] || r {
		t.Errorf("a write to access.log.1: early %v, rescan asked %v", n.early, r)
	}
	n.event(fsnotify.Event{Name: "/var/log/syslog", Op: fsnotify.Write})
	if rescanned() || len(n.early) != 1 {
		t.Errorf("a write to a file nobody follows asked a rescan, or woke %v", n.early)
	}
	n.event(fsnotify.Event{Name: "/var/log/nginx/new.log", Op: fsnotify.Create})
	if !rescanned() {
		t.Error("a file created asked no rescan")
	}
}

// TestEarlyWakesKeepTheRounds: a log written all the time wakes its
// follower early at each gap; a round of the inner waker that ends
// meanwhile is still a round (a rotated file's draining counts them), and
// an early wake without one is not.
func TestEarlyWakesKeepTheRounds(t *testing.T) {
	n := &notifier{rescan: make(chan struct{}, 1), dirs: map[string]bool{}, subs: map[string]int{},
		waiting: map[string]context.CancelCauseFunc{}, early: map[string]bool{}, series: map[string]string{}}
	tick := make(chan struct{}, 1)
	ticker := ingest.WakerFunc(func(ctx context.Context) error {
		select { // a due tick first, as ingest.TickWaker
		case <-tick:
			return nil
		default:
		}
		select {
		case <-tick:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	w := n.waker("/var/log/nginx/access.log", ticker)
	defer w.Stop()
	for i, due := range []bool{false, true, false, true, true} {
		n.event(fsnotify.Event{Name: "/var/log/nginx/access.log", Op: fsnotify.Write})
		if due {
			select {
			case tick <- struct{}{}:
			default: // the last one was not taken
			}
		}
		w.last = time.Time{} // the gap since the last early wake passed
		if err := w.Wait(context.Background()); err != nil || w.Round() != due {
			t.Errorf("wait %d, woken early with the round due %v: err %v, round %v", i, due, err, w.Round())
		}
	}
}
