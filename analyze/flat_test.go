package analyze

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"weak"

	"github.com/logcause/logcause/patterns"
)

// copying is a Reader that hands out fresh copies of fake's events, as
// the store does (every event decoded anew), and measures what analysis
// still holds of them when a scan of events ends: how many of the records
// it was handed it keeps, and the live heap it has grown by.
type copying struct {
	*fake
	kept int    // the most records handed out by one scan still reachable at its end
	heap uint64 // the most the live heap grew by over one scan
}

func (c *copying) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	before := liveHeap()
	var handed []weak.Pointer[patterns.Event]
	err := c.fake.Events(from, to, func(ev *patterns.Event) error {
		cp := *ev
		cp.Text = strings.Clone(ev.Text)
		if ev.Error != nil {
			e := *ev.Error
			cp.Error = &e
		}
		if ev.FPM != nil {
			f := *ev.FPM
			cp.FPM = &f
		}
		if ev.Access != nil {
			a := *ev.Access
			cp.Access = &a
		}
		handed = append(handed, weak.Make(&cp))
		return fn(&cp)
	})
	grown := liveHeap() - min(before, liveHeap())
	kept := 0
	for _, p := range handed {
		if p.Value() != nil {
			kept++
		}
	}
	c.kept, c.heap = max(c.kept, kept), max(c.heap, grown)
	return err
}

func (c *copying) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return c.fake.EventsOf(kind, from, to, fn) // the digest's and the evidence's reads: not measured
}

// liveHeap is the heap still reachable, after a collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// outageOf is a PHP-FPM outage of perSecond gateway errors a second over 20
// seconds: each 502's access line, nginx's `connect() … (11: …)` line for
// it (client, request, upstream, host and referrer, as nginx writes
// them), and php-fpm's max_children warning each second.
func outageOf(perSecond int) *fake {
	f := &fake{}
	f.healthy(0, 120)
	for s := 40; s < 60; s++ {
		f.fpm(s, "WARNING", maxChildren)
		for i := range perSecond {
			client, uri := fmt.Sprintf("10.1.%d.%d", i/250, i%250), fmt.Sprintf("/product.php?id=%d&s=%d", i, s)
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: int64(len(f.events)),
				Text:   fmt.Sprintf("%s - - [23/Nov/2026:13:00:%02d +0000] \"GET %s HTTP/1.1\" 502 157 \"https://shop.example.com/\" \"Mozilla/5.0\"", client, s, uri),
				Access: &patterns.Access{RemoteAddr: client, Method: "GET", URI: uri, Protocol: "HTTP/1.1", Status: 502, RequestTime: -1}})
			e := &patterns.NginxError{Level: "error", PID: 812, TID: 812, Connection: int64(s*perSecond + i + 1), Message: eagain, Errno: 11, Action: connecting,
				Client: client, Server: "shop.example.com", Request: "GET " + uri + " HTTP/1.1", Upstream: fpmSock + "/product.php", Host: "shop.example.com", Referrer: "https://shop.example.com/category/" + uri}
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)),
				Text: fmt.Sprintf("2026/11/23 13:00:%02d [error] 812#812: *%d %s while %s, client: %s, server: %s, request: \"%s\", upstream: \"%s\", host: \"%s\", referrer: \"%s\"",
					s, e.Connection, e.Message, e.Action, e.Client, e.Server, e.Request, e.Upstream, e.Host, e.Referrer),
				Error: e})
		}
	}
	return f
}

// TestMemoryStaysFlat: analysis of an outage twice as large holds no more
// of the records it reads — it keeps their fields, not the records with
// their text (the evidence reads its dozen lines back) — and its live heap
// grows by much less than the lines it reads.
func TestMemoryStaysFlat(t *testing.T) {
	var kept [2]int
	var perError [2]float64
	for i, perSecond := range []int{500, 1000} {
		r := &copying{fake: outageOf(perSecond)}
		res, err := Analyze(r, TimeRange{t0, at(3600)}, DefaultConfig)
		if err != nil {
			t.Fatal(err)
		}
		inc := onlyIncident(t, res)
		if inc.RootCause != FPMWorkerExhaustion || len(inc.Causes[0].Evidence) == 0 {
			t.Fatalf("%d a second: root %s, evidence %+v", perSecond, inc.RootCause, inc.Causes[0].Evidence)
		}
		for _, c := range inc.Causes {
			for _, ev := range c.Evidence { // read back: each the line at its offset
				if want := r.fake.events[ev.Offset].Text; ev.Text != want {
					t.Errorf("%s evidence at %s:%d: %q, want %q", c.Kind, ev.Path, ev.Offset, ev.Text, want)
				}
			}
		}
		errors := 20 * perSecond
		kept[i], perError[i] = r.kept, float64(r.heap)/float64(errors)
		t.Logf("%d gateway errors: %d records kept, live heap +%d B (%.0f B per gateway error)", errors, r.kept, r.heap, perError[i])
	}
	if kept[1] > kept[0] || kept[0] > 100 {
		t.Errorf("records kept whole: %d at 10,000 gateway errors, %d at 20,000: want the same few", kept[0], kept[1])
	}
	// Kept whole, a gateway error's two records (~480 bytes of text, and
	// their fields) grew the heap by ~1,020 bytes; their fields and keys
	// (the strings the lines repeat shared) by ~570; the error line as a
	// record (its instant, offset, connection, client and request, the
	// rest shared by the lines alike) and the access line's keys by ~330,
	// the weak pointers above included.
	for i, b := range perError {
		if b > 450 {
			t.Errorf("size %d: the live heap grew by %.0f bytes per gateway error: want less than 450", i+1, b)
		}
	}
}

// forgetful is a store that no longer holds the nginx error log's records
// by the time analysis reads its evidence back.
type forgetful struct{ *fake }

func (f forgetful) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	if kind == patterns.KindNginxError {
		return nil
	}
	return f.fake.EventsOf(kind, from, to, fn)
}

// TestEvidenceNotReadBackIsAnError: evidence whose line cannot be read back
// fails the analysis rather than quoting an empty line.
func TestEvidenceNotReadBackIsAnError(t *testing.T) {
	_, err := Analyze(forgetful{outageOf(10)}, TimeRange{t0, at(3600)}, DefaultConfig)
	if err == nil || !strings.Contains(err.Error(), "cannot read back the evidence at error.log:") {
		t.Fatalf("err = %v, want the evidence that could not be read back", err)
	}
}

// wantFlat fails t unless held(large) — the bytes a structure holds after
// taking large records of what — is about held(small): at most slack
// (a fraction) more, and under limit bytes.
func wantFlat(t *testing.T, what string, held func(n int) uint64, small, large int, slack float64, limit uint64) {
	t.Helper()
	s, l := held(small), held(large)
	t.Logf("held: %d B at %d %s, %d B at %d", s, small, what, l, large)
	if float64(l) > float64(s)*(1+slack) || l > limit {
		t.Errorf("held %d bytes at %d %s and %d at %d: want about as many, and under %d MiB", s, small, what, l, large, limit>>20)
	}
}
