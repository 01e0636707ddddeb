package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clock is the tests' instant: 2026-11-23 14:02 UTC, after the burst that
// accessLog writes.
func clock() time.Time { return time.Date(2026, 11, 23, 14, 2, 0, 0, time.UTC) }

// accessLog is an access log of a minute of 14:00 UTC: 3 requests a
// second, 502s at :40–:49 and 504s at :50–:51 and one more request at :55
// answered in HTTP/0.9 (009: a burst of 37 gateway errors), and 2 lines
// that are no access-log line.
func accessLog() string {
	var b strings.Builder
	for s := 0; s < 60; s++ {
		status := 200
		switch {
		case s >= 40 && s < 50:
			status = 502
		case s >= 50 && s < 52:
			status = 504
		}
		for i := 0; i < 3; i++ {
			fmt.Fprintf(&b, "127.0.0.1 - - [23/Nov/2026:14:00:%02d +0000] \"GET /slow.php?i=%d HTTP/1.1\" %d 150 \"-\" \"curl/7.88.1\"\n", s, i, status)
		}
		if s == 55 {
			b.WriteString("127.0.0.1 - - [23/Nov/2026:14:00:55 +0000] \"GET /slow.php?i=3 HTTP/1.1\" 009 150 \"-\" \"curl/7.88.1\"\n")
		}
		if s == 10 || s == 20 {
			b.WriteString("this is no access-log line\n")
		}
	}
	return b.String()
}

// running is a daemon following one access log, stepped by the test: its
// follower reads when woken, its analysis runs at the ticks sent.
type running struct {
	d       *daemon.Daemon
	log     string
	dir     string // the store's
	wake    chan struct{}
	ticks   chan time.Time
	commits chan string
	done    chan struct{}
	stopped chan error
	ended   bool         // stop was called
	close   func() error // closes the store, once
}

// startDaemon follows a new access log holding text from its start, in a
// new store, and waits for its first commit; stack, if given, reads the
// servers' configuration.
func startDaemon(t *testing.T, text string, stack ...func() *stackconf.Config) *running {
	t.Helper()
	dir := t.TempDir()
	r := &running{log: filepath.Join(dir, "access.log"), dir: filepath.Join(dir, "store"), wake: make(chan struct{}, 1), ticks: make(chan time.Time),
		commits: make(chan string, 100), done: make(chan struct{}, 10), stopped: make(chan error, 1)}
	if err := os.WriteFile(r.log, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenQuiet(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	r.close = sync.OnceValue(st.Close)
	t.Cleanup(func() { r.close() })
	files, err := pipeline.LiveFiles([]string{r.log}, pipeline.Options{Zone: time.UTC, Limits: ingest.DefaultLimits})
	if err != nil || len(files) != 1 {
		t.Fatalf("%v %v", files, err)
	}
	cfg := daemon.Config{Files: files, Zone: time.UTC, Limits: ingest.DefaultLimits, FromStart: true, Ticks: r.ticks, Now: clock,
		Waker: func(string) ingest.Waker {
			return ingest.WakerFunc(func(ctx context.Context) error {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-r.wake:
					return nil
				}
			})
		},
		OnCommit: func(p string) { r.commits <- p }, OnAnalyzed: func() { r.done <- struct{}{} }}
	if len(stack) > 0 {
		cfg.Stack = stack[0]
	}
	r.d = daemon.New(st, cfg)
	go func() { r.stopped <- r.d.Run(context.Background()) }()
	t.Cleanup(func() { r.stop(t) })
	r.awaitCommit(t)
	return r
}

// awaitCommit waits for the next commit; the bound only ends a hung test.
func (r *running) awaitCommit(t *testing.T) {
	t.Helper()
	select {
	case <-r.commits:
	case err := <-r.stopped:
		t.Fatalf("the daemon stopped: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("no commit")
	}
}

// tick runs an analysis at now and waits for its end.
func (r *running) tick(now time.Time) {
	r.ticks <- now
	<-r.done
}

// stop stops the daemon (again: a no-op).
func (r *running) stop(t *testing.T) {
	t.Helper()
	if r.ended {
		return
	}
	r.ended = true
	r.d.Close()
	if err := <-r.stopped; err != nil {
		t.Errorf("run: %v", err)
	}
}

// get answers GET url: its status, content type and body.
func get(t *testing.T, c *http.Client, url string) (int, string, []byte) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), b
}

func getJSON(t *testing.T, c *http.Client, url string, want int, v any) {
	t.Helper()
	code, ct, b := get(t, c, url)
	if code != want || ct != "application/json" {
		t.Fatalf("GET %s: %d %s, want %d application/json: %s", url, code, ct, want, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, b)
	}
}

// TestHandlers: every route answers what the daemon does, through the
// handler on a test server.
func TestHandlers(t *testing.T) {
	r := startDaemon(t, accessLog())
	srv := httptest.NewServer(api.New(r.d, api.Options{Zone: time.UTC, Now: clock}).Handler())
	defer srv.Close()
	c := srv.Client()

	var h api.Health
	getJSON(t, c, srv.URL+"/healthz", http.StatusOK, &h)
	if !h.OK || h.Files != 1 || h.Store != r.dir || !h.LastCommit.Equal(clock()) || h.Error != "" {
		t.Errorf("healthz %+v", h)
	}

	var st daemon.Status
	getJSON(t, c, srv.URL+"/api/v1/status", http.StatusOK, &st)
	fi, _ := os.Stat(r.log)
	if len(st.Files) != 1 || st.Files[0] != (daemon.FileStatus{Path: r.log, Format: "nginx_access", Records: 183, Unparsed: 2, Offset: fi.Size(), Size: fi.Size(), Behind: 0}) {
		t.Errorf("status files %+v", st.Files)
	}
	if !st.Running || st.Commits < 1 || st.StoreBytes <= 0 || st.GatewayErrors[502] != 30 || st.GatewayErrors[504] != 6 || st.GatewayErrors[9] != 1 || len(st.GatewayErrors) != 3 {
		t.Errorf("status %+v", st)
	}

	var inc api.Incidents
	getJSON(t, c, srv.URL+"/api/v1/incidents", http.StatusOK, &inc)
	// The burst's gateway errors were analyzed as they were committed.
	if len(inc.Incidents) != 1 || inc.Incidents[0].State != "open" {
		t.Errorf("incidents once the burst was committed: %+v", inc)
	}
	r.tick(time.Date(2026, 11, 23, 14, 0, 55, 0, time.UTC))
	getJSON(t, c, srv.URL+"/api/v1/incidents", http.StatusOK, &inc)
	if len(inc.Incidents) != 1 || inc.Incidents[0].State != "open" || inc.Incidents[0].Status["502"] != 30 || inc.Incidents[0].Status["504"] != 6 {
		t.Fatalf("incidents after the burst: %+v", inc)
	}
	r.tick(time.Date(2026, 11, 23, 14, 1, 30, 0, time.UTC)) // quiet for 30 s past its end
	getJSON(t, c, srv.URL+"/api/v1/incidents", http.StatusOK, &inc)
	if len(inc.Incidents) != 1 || inc.Incidents[0].State != "resolved" {
		t.Errorf("incidents once quiet: %+v", inc)
	}

	// The report of a window, in the forms of --since and --until, and in
	// each format.
	var res analyze.Result
	getJSON(t, c, srv.URL+"/api/v1/report?since=2026-11-23T14:00&until=2026-11-23T14:01", http.StatusOK, &res)
	if len(res.Incidents) != 1 || res.Totals.Requests != 181 || len(res.Sources) != 1 || res.Sources[0].Unparsed != 2 {
		t.Errorf("report: %d incidents, %d requests, sources %+v", len(res.Incidents), res.Totals.Requests, res.Sources)
	}
	getJSON(t, c, srv.URL+"/api/v1/report?since=2026-11-23T14:00:30&until=2026-11-23T14:00:40", http.StatusOK, &res)
	if len(res.Incidents) != 0 || res.Totals.Requests != 30 {
		t.Errorf("report before the burst: %d incidents, %d requests", len(res.Incidents), res.Totals.Requests)
	}
	getJSON(t, c, srv.URL+"/api/v1/report?since=1h", http.StatusOK, &res) // 13:02 to now (14:02)
	if len(res.Incidents) != 1 {
		t.Errorf("report of the last hour: %d incidents", len(res.Incidents))
	}
	for format, want := range map[string]struct{ ct, text string }{
		"text":     {"text/plain; charset=utf-8", "INCIDENT 1  2026-11-23 14:00:40"},
		"markdown": {"text/markdown; charset=utf-8", "## Incident 1"},
	} {
		code, ct, b := get(t, c, srv.URL+"/api/v1/report?since=2026-11-23&format="+format)
		if code != http.StatusOK || ct != want.ct || !strings.Contains(string(b), want.text) {
			t.Errorf("format %s: %d %s, want %s holding %q:\n%s", format, code, ct, want.ct, want.text, b)
		}
	}
	for _, q := range []string{"format=pdf", "since=soon", "since=2026-11-23T15:00&until=2026-11-23T14:00"} {
		var e struct{ Error string }
		getJSON(t, c, srv.URL+"/api/v1/report?"+q, http.StatusBadRequest, &e)
		if e.Error == "" {
			t.Errorf("%s: no error said", q)
		}
	}
	if code, _, _ := get(t, c, srv.URL+"/api/v1/nothing"); code != http.StatusNotFound {
		t.Errorf("an unknown path: %d", code)
	}
	resp, err := c.Post(srv.URL+"/api/v1/status", "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", resp.StatusCode)
	}

	// A daemon that stopped is not healthy.
	r.stop(t)
	getJSON(t, c, srv.URL+"/healthz", http.StatusServiceUnavailable, &h)
	if h.OK || h.Error == "" {
		t.Errorf("healthz of a stopped daemon: %+v", h)
	}
}

// TestReportOfAnEmptyStore: the error of the analysis is the answer's.
func TestReportOfAnEmptyStore(t *testing.T) {
	r := startDaemon(t, "not a log line\n")
	srv := httptest.NewServer(api.New(r.d, api.Options{Now: clock}).Handler())
	defer srv.Close()
	var e struct{ Error string }
	getJSON(t, srv.Client(), srv.URL+"/api/v1/report", http.StatusInternalServerError, &e)
	if !strings.Contains(e.Error, "holds no record") {
		t.Errorf("error %q", e.Error)
	}
}

// TestMetrics scrapes /metrics over a real listener and reads it as
// Prometheus does.
func TestMetrics(t *testing.T) {
	r := startDaemon(t, accessLog())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	alerts := func() api.AlertCounts {
		return api.AlertCounts{SentTo: map[string]int64{"webhook 1 (json)": 3, "email": 2}, Failed: 1, Dropped: 4, Folded: 5}
	}
	s := api.Serve(ln, r.d, api.Options{Now: clock, Alerts: alerts})
	defer s.Close()
	c := api.NewClient(ln.Addr().String())
	defer c.Close()
	base := "http://" + ln.Addr().String()
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	scrape := func() map[string]*dto.MetricFamily {
		t.Helper()
		code, ct, b := get(t, hc, base+"/metrics")
		if code != http.StatusOK || !strings.HasPrefix(ct, "text/plain") {
			t.Fatalf("metrics: %d %s", code, ct)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := p.TextToMetricFamilies(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("the metrics do not parse: %v\n%s", err, b)
		}
		return fams
	}
	// value returns the value of the metric name with exactly the labels
	// given, and whether there is one.
	value := func(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
		t.Helper()
		f := fams[name]
		if f == nil {
			return 0, false
		}
	metrics:
		for _, m := range f.Metric {
			if len(m.Label) != len(labels)/2 {
				continue
			}
			for i, l := range m.Label {
				if l.GetName() != labels[2*i] || l.GetValue() != labels[2*i+1] {
					continue metrics
				}
			}
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				return m.Counter.GetValue(), true
			case dto.MetricType_GAUGE:
				return m.Gauge.GetValue(), true
			}
		}
		return 0, false
	}
	expect := func(fams map[string]*dto.MetricFamily, want float64, typ dto.MetricType, name string, labels ...string) {
		t.Helper()
		if f := fams[name]; f == nil || f.GetType() != typ {
			t.Errorf("%s: no %v", name, typ)
			return
		}
		if got, ok := value(fams, name, labels...); !ok || got != want {
			t.Errorf("%s%v = %v (%v), want %v", name, labels, got, ok, want)
		}
	}
	file := []string{"format", "nginx_access", "path", r.log}
	fams := scrape()
	expect(fams, 183, dto.MetricType_COUNTER, "logcause_records_read_total", file...)
	expect(fams, 2, dto.MetricType_COUNTER, "logcause_records_unparsed_total", file...)
	expect(fams, 0, dto.MetricType_GAUGE, "logcause_file_behind_bytes", file...)
	expect(fams, 30, dto.MetricType_COUNTER, "logcause_gateway_errors_total", "status", "502")
	expect(fams, 6, dto.MetricType_COUNTER, "logcause_gateway_errors_total", "status", "504")
	expect(fams, 1, dto.MetricType_COUNTER, "logcause_gateway_errors_total", "status", "009")
	expect(fams, 1, dto.MetricType_GAUGE, "logcause_incidents_open") // analyzed as committed
	expect(fams, float64(clock().Unix()), dto.MetricType_GAUGE, "logcause_last_commit_timestamp_seconds")
	expect(fams, 1, dto.MetricType_GAUGE, "logcause_daemon_up")
	commits, _ := value(fams, "logcause_commits_total")
	if commits < 1 {
		t.Errorf("commits %v", commits)
	}
	expect(fams, 1, dto.MetricType_COUNTER, "logcause_incidents_opened_total", "cause", "unknown")
	expect(fams, 3, dto.MetricType_COUNTER, "logcause_alerts_sent_total", "destination", "webhook 1 (json)")
	expect(fams, 2, dto.MetricType_COUNTER, "logcause_alerts_sent_total", "destination", "email")
	expect(fams, 1, dto.MetricType_COUNTER, "logcause_alerts_failed_total")
	expect(fams, 4, dto.MetricType_COUNTER, "logcause_alerts_dropped_total")
	expect(fams, 5, dto.MetricType_COUNTER, "logcause_alerts_folded_total")
	if _, ok := value(fams, "process_resident_memory_bytes"); !ok {
		t.Error("no process metrics")
	}
	if b, ok := value(fams, "logcause_store_bytes"); !ok || b <= 0 {
		t.Errorf("store bytes %v %v", b, ok)
	}

	// Written, not read yet: behind. Read: a commit more, counted.
	more := "127.0.0.1 - - [23/Nov/2026:14:01:00 +0000] \"GET / HTTP/1.1\" 502 150 \"-\" \"curl/7.88.1\"\n"
	f, err := os.OpenFile(r.log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(more)
	f.Close()
	expect(scrape(), float64(len(more)), dto.MetricType_GAUGE, "logcause_file_behind_bytes", file...)
	r.wake <- struct{}{}
	r.awaitCommit(t)
	fams = scrape()
	expect(fams, 0, dto.MetricType_GAUGE, "logcause_file_behind_bytes", file...)
	expect(fams, 184, dto.MetricType_COUNTER, "logcause_records_read_total", file...)
	expect(fams, 31, dto.MetricType_COUNTER, "logcause_gateway_errors_total", "status", "502")
	expect(fams, commits+1, dto.MetricType_COUNTER, "logcause_commits_total")

	// The burst opens an incident; quiet, it resolves.
	r.tick(time.Date(2026, 11, 23, 14, 0, 55, 0, time.UTC))
	st, err := c.Status(context.Background())
	if err != nil || len(st.Incidents) != 1 {
		t.Fatalf("status: %v %+v", err, st.Incidents)
	}
	cause := string(st.Incidents[0].RootCause)
	fams = scrape()
	expect(fams, 1, dto.MetricType_GAUGE, "logcause_incidents_open")
	expect(fams, 1, dto.MetricType_COUNTER, "logcause_incidents_opened_total", "cause", cause)
	r.tick(time.Date(2026, 11, 23, 14, 1, 40, 0, time.UTC))
	fams = scrape()
	expect(fams, 0, dto.MetricType_GAUGE, "logcause_incidents_open")
	expect(fams, 1, dto.MetricType_COUNTER, "logcause_incidents_opened_total", "cause", cause)

	r.stop(t)
	expect(scrape(), 0, dto.MetricType_GAUGE, "logcause_daemon_up")
}

// TestFindOverAUnixSocket: the daemon that holds a store is found from the
// store's directory and asked over the socket it announced; without one,
// Find says so.
func TestFindOverAUnixSocket(t *testing.T) {
	r := startDaemon(t, accessLog())
	sock := filepath.Join(t.TempDir(), "api.sock")
	s, err := api.Start("unix:"+sock, r.dir, r.d, api.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.Find(r.dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen() != "unix:"+sock {
		t.Errorf("found %s, want unix:%s", c.Listen(), sock)
	}
	st, err := c.Status(context.Background())
	if err != nil || len(st.Files) != 1 || st.Files[0].Records != 183 {
		t.Errorf("status over the socket: %v %+v", err, st.Files)
	}
	res, err := c.Report(context.Background(), time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 14, 1, 0, 0, time.UTC))
	if err != nil || len(res.Incidents) != 1 || res.Totals.Requests != 181 {
		t.Errorf("report over the socket: %v, %d incidents, %d requests", err, len(res.Incidents), res.Totals.Requests)
	}
	c.Close()

	// A second server on the socket in use is refused.
	if _, err := api.Listen("unix:" + sock); err == nil || !strings.Contains(err.Error(), "another process serves") {
		t.Errorf("a socket in use: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket is left: %v", err)
	}
	// Not announced any more: the holder serves no API.
	if _, err := api.Find(r.dir); err == nil || errors.Is(err, api.ErrNoDaemon) || !strings.Contains(err.Error(), "serves no API") {
		t.Errorf("after Close: %v", err)
	}
}

// TestStoreReport: the report of a store the daemon holds is the
// daemon's; of a store nobody holds, read from it; of a store that does
// not exist, an error.
func TestStoreReport(t *testing.T) {
	r := startDaemon(t, accessLog())
	s, err := api.Start("unix:"+filepath.Join(t.TempDir(), "api.sock"), r.dir, r.d, api.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	since, until := time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 14, 1, 0, 0, time.UTC)
	res, fromDaemon, err := api.StoreReport(context.Background(), r.dir, since, until, analyze.DefaultConfig)
	if err != nil || !fromDaemon || len(res.Incidents) != 1 || res.Totals.Requests != 181 {
		t.Errorf("from the daemon: %v %v, %d incidents, %d requests", err, fromDaemon, len(res.Incidents), res.Totals.Requests)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r.stop(t)
	if err := r.close(); err != nil {
		t.Fatal(err)
	}
	res, fromDaemon, err = api.StoreReport(context.Background(), r.dir, since, until, analyze.DefaultConfig)
	if err != nil || fromDaemon || len(res.Incidents) != 1 || res.Totals.Requests != 181 {
		t.Errorf("from the store: %v %v, %d incidents, %d requests", err, fromDaemon, len(res.Incidents), res.Totals.Requests)
	}
	if _, _, err := api.StoreReport(context.Background(), filepath.Join(t.TempDir(), "none"), since, until, analyze.DefaultConfig); err == nil {
		t.Error("a store that does not exist: no error")
	}
}

// TestFindWithoutADaemon: a store no process holds has no daemon to ask.
func TestFindWithoutADaemon(t *testing.T) {
	dir := t.TempDir()
	if _, err := api.Find(dir); !errors.Is(err, api.ErrNoDaemon) {
		t.Errorf("empty directory: %v", err)
	}
	var b strings.Builder
	if err := api.PrintStatus(context.Background(), &b, dir, "text", clock()); !errors.Is(err, api.ErrNoDaemon) {
		t.Errorf("status of an empty directory: %v", err)
	}
	var usage config.UsageError
	if err := api.PrintStatus(context.Background(), &b, dir, "yaml", clock()); !errors.As(err, &usage) {
		t.Errorf("status as yaml: %v", err)
	}
}

// TestListenReplacesAStaleSocket: a socket file no process serves on (left
// by a daemon that was killed) is replaced.
func TestListenReplacesAStaleSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "api.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close() // the file stays, nobody listens
	if ln, err = api.Listen("unix:" + sock); err != nil {
		t.Fatalf("a stale socket: %v", err)
	}
	ln.Close()
	if _, err := api.Listen("unix:"); err == nil {
		t.Error("no path: no error")
	}
	if _, err := api.Listen("127.0.0.1:notaport"); err == nil || !strings.Contains(err.Error(), "give --listen another address, or off") {
		t.Errorf("a bad address: %v", err)
	}
}

// TestReportHoldsNoCommitUp: while a report is being made (held inside,
// where it reads the servers' configuration), the daemon reads and
// commits on.
func TestReportHoldsNoCommitUp(t *testing.T) {
	inside, release := make(chan struct{}), make(chan struct{})
	var hold atomic.Bool // the daemon's own analysis of the burst, at its commit, is not held
	r := startDaemon(t, accessLog(), func() *stackconf.Config {
		if hold.Load() {
			inside <- struct{}{}
			<-release
		}
		return nil
	})
	hold.Store(true)
	srv := httptest.NewServer(api.New(r.d, api.Options{Now: clock}).Handler())
	defer srv.Close()
	answered := make(chan int, 1)
	go func() {
		resp, err := srv.Client().Get(srv.URL + "/api/v1/report?since=2026-11-23")
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-inside
	f, err := os.OpenFile(r.log, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("127.0.0.1 - - [23/Nov/2026:14:01:00 +0000] \"GET / HTTP/1.1\" 200 150 \"-\" \"curl/7.88.1\"\n")
	f.Close()
	r.wake <- struct{}{}
	r.awaitCommit(t) // with the report still inside
	if n := r.d.Status().Files[0].Records; n != 184 {
		t.Errorf("%d records committed, want 184", n)
	}
	close(release)
	if code := <-answered; code != http.StatusOK {
		t.Errorf("the report: %d", code)
	}
}
