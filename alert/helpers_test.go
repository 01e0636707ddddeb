package alert

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// t0 is when the tests' clock starts.
var t0 = time.Date(2026, 11, 23, 22, 25, 0, 0, time.UTC)

// clock is the tests' clock: Now is what the test sets, and each After
// is handed to the test (waits), which fires it itself.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan wait
}

type wait struct {
	d time.Duration
	c chan time.Time
}

func newClock() *clock { return &clock{now: t0, waits: make(chan wait, 100)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

func (c *clock) After(d time.Duration) <-chan time.Time {
	w := wait{d, make(chan time.Time, 1)}
	c.waits <- w
	return w.c
}

// next is the next wait asked for; it must be of d.
func (c *clock) next(t *testing.T, d time.Duration) wait {
	t.Helper()
	w := <-c.waits
	if w.d != d {
		t.Fatalf("waits %s, want %s", w.d, d)
	}
	return w
}

// request is what a receiver got.
type request struct {
	path   string
	header http.Header
	body   []byte
}

// receiver is a real HTTP server that records each request and answers
// it with the status status returns for the request's number (from 1).
type receiver struct {
	*httptest.Server
	got chan request
}

func newReceiver(t *testing.T, status func(n int) int) *receiver {
	r := &receiver{got: make(chan request, 100)}
	var mu sync.Mutex
	n := 0
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		n++
		code := status(n)
		mu.Unlock()
		r.got <- request{req.URL.Path, req.Header.Clone(), body}
		w.WriteHeader(code)
		io.WriteString(w, http.StatusText(code))
	}))
	t.Cleanup(r.Close)
	return r
}

func always(code int) func(int) int { return func(int) int { return code } }

// next is the next request received.
func (r *receiver) next(t *testing.T) request {
	t.Helper()
	return <-r.got
}

// none checks that nothing more was received.
func (r *receiver) none(t *testing.T) {
	t.Helper()
	select {
	case q := <-r.got:
		t.Errorf("an unexpected request to %s: %s", q.path, q.body)
	default:
	}
}

// outcome is what a destination did with one message.
type outcome struct {
	dest  string
	event string
	err   error
}

// harness runs an Alerter with the test's clock; outcomes hears of each
// message handled.
type harness struct {
	*Alerter
	clock    *clock
	outcomes chan outcome
	log      *lockedBuffer
	stop     func()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start makes an Alerter of cfg with opt (its clock, log and observer the
// harness's) and runs it; it is closed when the test ends, unless stop
// was called.
func start(t *testing.T, cfg config.Alerts, opt Options) *harness {
	t.Helper()
	h := prepare(t, cfg, opt)
	h.run(t)
	return h
}

// prepare makes the Alerter without running it.
func prepare(t *testing.T, cfg config.Alerts, opt Options) *harness {
	t.Helper()
	h := &harness{clock: newClock(), outcomes: make(chan outcome, 100), log: &lockedBuffer{}}
	opt.Now, opt.After = h.clock.Now, h.clock.After
	opt.Log = slog.New(slog.NewTextHandler(h.log, nil))
	opt.Host = "web1"
	a, err := New(cfg, opt)
	if err != nil {
		t.Fatal(err)
	}
	a.observe = func(dest string, m message, err error) { h.outcomes <- outcome{dest, m.event, err} }
	h.Alerter = a
	return h
}

func (h *harness) run(t *testing.T) {
	done := make(chan error, 1)
	go func() { done <- h.Run(context.Background()) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			h.Close()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(h.stop)
}

// outcome is the next message handled; it must have succeeded.
func (h *harness) sent(t *testing.T) outcome {
	t.Helper()
	o := <-h.outcomes
	if o.err != nil {
		t.Fatalf("%s %s: %v", o.dest, o.event, o.err)
	}
	return o
}

// incident is an incident of cause kind starting at start, 14 s long.
func incident(start time.Time, kind analyze.Kind, title string) analyze.Incident {
	return analyze.Incident{
		Start: start, End: start.Add(14 * time.Second), Title: title,
		Requests: 273, Status: map[string]int64{"502": 235},
		RootCause: kind, Chain: []analyze.Kind{kind},
		Causes: []analyze.Cause{
			{Kind: analyze.UpstreamTimeout, Confidence: 0.3, Summary: "not this one", Recommendations: []string{"not this fix"}},
			{Kind: kind, Confidence: 0.95, Summary: "235 of 235 gateway errors matched `connect() failed`",
				Recommendations: []string{"Raise pm.max_children in the PHP-FPM pool if memory allows.", "Second fix."},
				Evidence:        []analyze.Evidence{{Source: "nginx_error", Path: "/var/log/nginx/error.log", Offset: 10, Time: start, Text: "connect() failed"}}},
		},
		TopPaths: []analyze.PathCount{{Path: "/slow.php", Count: 84}},
	}
}

func opened(incs ...analyze.Incident) daemon.Update   { return daemon.Update{Opened: incs} }
func resolved(incs ...analyze.Incident) daemon.Update { return daemon.Update{Resolved: incs} }

// webhook is a webhook of format to the receiver at url, inline.
func webhook(format, url string) config.Webhook {
	return config.Webhook{Format: format, URL: url}
}
