// Package api answers one question: what is the running daemon doing? It
// serves, on a listener of the caller's, the daemon's status, its recent
// incidents, reports of any window of its store, its health and its
// Prometheus metrics over HTTP; and it is the client `logcause status` and
// `logcause report` use to ask the daemon that holds a store.
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/report"
)

// Daemon is what the API serves: a snapshot of the daemon, and reports of
// its store. *daemon.Daemon is one.
type Daemon interface {
	Status() daemon.Status
	Report(ctx context.Context, since, until time.Time) (analyze.Result, error)
}

// Options say how the server reads requests.
type Options struct {
	// Zone is the zone of the report's since and until without one
	// (config.ParseWindow); nil: the machine's.
	Zone *time.Location
	Now  func() time.Time // default time.Now
	// Alerts are the alerts' counts, for the metrics; nil: no alert
	// metrics.
	Alerts func() AlertCounts
	// Collectors are more metrics on /metrics (the fleet's publisher's).
	Collectors []prometheus.Collector
}

// Server serves a Daemon over HTTP until Close.
type Server struct {
	unannounce func() // removes the announcement, if any (Start)
	d          Daemon
	opts       Options
	http       *http.Server
	served     chan error
	reports    chan struct{} // one report at a time: a token
	mu         sync.Mutex
	closed     bool           // Close began: no report starts
	running    sync.WaitGroup // the reports being made
}

// shutdownGrace is how long Close lets the requests in flight end before
// it closes their connections.
const shutdownGrace = time.Second

// New returns the server of d; Handler serves it on a listener of the
// caller's, Serve on its own.
func New(d Daemon, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{d: d, opts: opts, served: make(chan error, 1), reports: make(chan struct{}, 1)}
}

// Serve serves d on ln until Close, which closes ln.
func Serve(ln net.Listener, d Daemon, opts Options) *Server {
	s := New(d, opts)
	s.http = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)}
	go func() { s.served <- s.http.Serve(ln) }()
	return s
}

// Start serves d at listen (host:port or unix:PATH; Listen) and announces
// it in the store directory dir (Announce), for `logcause status` and
// `logcause report` to find; Close stops serving and removes the
// announcement.
func Start(listen, dir string, d Daemon, opts Options) (*Server, error) {
	ln, err := Listen(listen)
	if err != nil {
		return nil, err
	}
	remove, err := Announce(dir, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	s := Serve(ln, d, opts)
	s.unannounce = remove
	slog.Info("serving the API", "listen", dialAddress(ln.Addr()))
	return s, nil
}

// Close stops a server that Serve or Start started: the requests in
// flight have a second to end, then their connections are closed; it
// returns once every report being made has ended (the daemon's store must
// outlive them).
func (s *Server) Close() error {
	if s.unannounce != nil {
		s.unannounce()
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := s.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = s.http.Close()
	}
	if serr := <-s.served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	s.running.Wait()
	return err
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(s.d, s.opts.Alerts), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(s.opts.Collectors...)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /api/v1/status", s.status)
	mux.HandleFunc("GET /api/v1/incidents", s.incidents)
	mux.HandleFunc("GET /api/v1/report", s.report)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	return mux
}

// Health is the answer of /healthz.
type Health struct {
	OK         bool      `json:"ok"`
	Uptime     float64   `json:"uptime_seconds"`
	Store      string    `json:"store"`
	Files      int       `json:"files"` // followed
	LastCommit time.Time `json:"last_commit"`
	Error      string    `json:"error,omitempty"`
}

// healthz is 200 while the daemon follows the logs and commits, 503 when it
// does not run (not yet, or no more) or its last commit failed.
func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	st := s.d.Status()
	h := Health{OK: healthy(st), Store: st.Store, Files: len(st.Files), LastCommit: st.LastCommit, Error: st.Err}
	if !st.Started.IsZero() {
		h.Uptime = s.opts.Now().Sub(st.Started).Seconds()
	}
	if !st.Running && h.Error == "" {
		h.Error = "the daemon is not following the logs"
	}
	code := http.StatusOK
	if !h.OK {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, h)
}

// healthy reports whether the daemon follows the logs and its last commit
// succeeded.
func healthy(st daemon.Status) bool { return st.Running && st.Err == "" }

func (s *Server) status(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.d.Status())
}

// Incidents is the answer of /api/v1/incidents.
type Incidents struct {
	Incidents []daemon.IncidentState `json:"incidents"`
}

func (s *Server) incidents(w http.ResponseWriter, _ *http.Request) {
	inc := s.d.Status().Incidents
	if inc == nil {
		inc = []daemon.IncidentState{}
	}
	writeJSON(w, http.StatusOK, Incidents{inc})
}

// contentTypes are the media types of the report's formats; another
// format report.Renderer knows is sent as text/plain.
var contentTypes = map[string]string{
	"json":     "application/json",
	"markdown": "text/markdown; charset=utf-8",
	"html":     "text/html; charset=utf-8",
}

// report renders the analysis of [since, until) of the store in format
// (default json). One report is analyzed at a time; the others wait their
// turn, or their client's end.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	if format == "" {
		format = "json"
	}
	render, err := report.Renderer(format, report.DefaultWidth)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	since, until, err := config.ParseWindow(q.Get("since"), q.Get("until"), s.opts.Now(), s.opts.Zone, true)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		writeError(w, http.StatusServiceUnavailable, errors.New("the daemon is stopping"))
		return
	}
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()
	select {
	case s.reports <- struct{}{}:
		defer func() { <-s.reports }()
	case <-r.Context().Done():
		return
	}
	res, err := s.d.Report(r.Context(), since, until)
	if err != nil {
		writeError(w, http.StatusInternalServerError, fmt.Errorf("cannot report: %w", err))
		return
	}
	var b bytes.Buffer
	if err := render(&b, res); err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	ct, ok := contentTypes[format]
	if !ok {
		ct = "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	w.Write(b.Bytes())
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, apiError{err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
