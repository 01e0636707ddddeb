package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

// Reader is what analysis reads: per-second request counts and the stored
// events, both by time range [from, to).
type Reader interface {
	Seconds(from, to time.Time) ([]store.Second, error)
	Events(from, to time.Time, fn func(*patterns.Event) error) error
}

// Config tunes spike detection.
type Config struct {
	MinErrors int64         // gateway errors a spike needs to be an incident
	MergeGap  time.Duration // bursts closer than this are one incident
	Lookback  time.Duration // how far before a spike causes are looked for
	Grace     time.Duration // how far after a spike causes are looked for
	Evidence  int           // evidence records kept per cause
}

// DefaultConfig is what `logcause analyze` uses.
var DefaultConfig = Config{
	MinErrors: 5,
	MergeGap:  30 * time.Second,
	Lookback:  60 * time.Second,
	Grace:     5 * time.Second,
	Evidence:  12,
}

// Analyze explains the gateway errors in rng. Sources are not read from r:
// the caller fills Result.Sources.
func Analyze(r Reader, rng TimeRange, cfg Config) (Result, error) {
	res := Result{Version: Version, Range: rng, Sources: []Source{}, Incidents: []Incident{}}
	secs, err := r.Seconds(rng.Start, rng.End.Add(time.Second))
	if err != nil {
		return res, fmt.Errorf("cannot read request counts: %w", err)
	}
	res.Totals = totals(secs)
	for _, w := range spikes(secs, cfg) {
		inc, err := explain(r, secs, w, cfg)
		if err != nil {
			return res, err
		}
		res.Incidents = append(res.Incidents, inc)
	}
	return res, nil
}

func isGateway(code int) bool { return code == 502 || code == 504 }

func totals(secs []store.Second) Totals {
	t := Totals{Status: map[string]int64{}}
	for _, s := range secs {
		for _, c := range s.Status {
			t.Requests += c.Count
			t.Status[strconv.Itoa(c.Code)] += c.Count
		}
	}
	return t
}

// window is a spike: [start, end) holds every second with gateway errors
// that belongs to it.
type window struct {
	start, end time.Time
	gateway    int64
}

// spikes groups the seconds with gateway errors into windows: seconds closer
// than MergeGap belong together, and a group is a spike when it holds at
// least MinErrors gateway errors.
func spikes(secs []store.Second, cfg Config) []window {
	var (
		out []window
		cur *window
	)
	closeCur := func() {
		if cur != nil && cur.gateway >= cfg.MinErrors {
			out = append(out, *cur)
		}
		cur = nil
	}
	for _, s := range secs {
		g := s.Count(502) + s.Count(504)
		if g == 0 {
			continue
		}
		if cur != nil && s.Time.Sub(cur.end) >= cfg.MergeGap {
			closeCur()
		}
		if cur == nil {
			cur = &window{start: s.Time}
		}
		cur.end = s.Time.Add(time.Second)
		cur.gateway += g
	}
	closeCur()
	return out
}

// explain builds the incident of one window.
func explain(r Reader, secs []store.Second, w window, cfg Config) (Incident, error) {
	inc := Incident{Start: w.start, End: w.end, Status: map[string]int64{}, TopPaths: []PathCount{}}
	for _, s := range secs {
		if s.Time.Before(w.start) || !s.Time.Before(w.end) {
			continue
		}
		for _, c := range s.Status {
			inc.Requests += c.Count
			if c.Code >= 500 {
				inc.Status[strconv.Itoa(c.Code)] += c.Count
			}
		}
	}
	var (
		sig   [numSignals][]*patterns.Event
		paths = map[string]int64{}
	)
	err := r.Events(w.start.Add(-cfg.Lookback), w.end.Add(cfg.Grace), func(ev *patterns.Event) error {
		if a := ev.Access; a != nil {
			if isGateway(a.Status) && !ev.Time.Before(w.start) && ev.Time.Before(w.end) {
				p, _, _ := strings.Cut(a.URI, "?")
				paths[p]++
			}
			return nil
		}
		if s := classify(ev); s != sigNone {
			sig[s] = append(sig[s], ev)
		}
		return nil
	})
	if err != nil {
		return inc, fmt.Errorf("cannot read events for the incident at %s: %w", w.start.Format(time.RFC3339), err)
	}
	for p, n := range paths {
		inc.TopPaths = append(inc.TopPaths, PathCount{p, n})
	}
	slices.SortFunc(inc.TopPaths, func(a, b PathCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Path, b.Path))
	})
	inc.TopPaths = inc.TopPaths[:min(len(inc.TopPaths), 10)]

	e := evidenceSet{sig: &sig, gateway: w.gateway, start: w.start, max: cfg.Evidence}
	inc.Causes = e.causes()
	slices.SortStableFunc(inc.Causes, func(a, b Cause) int { return cmp.Compare(b.Confidence, a.Confidence) })
	inc.Chain = e.chain(inc.Causes[0].Kind)
	inc.RootCause = inc.Chain[0]
	inc.Title = title(inc)
	return inc, nil
}

// title is the one line a person can forward.
func title(inc Incident) string {
	var codes []string
	for _, c := range []string{"502", "504"} {
		if inc.Status[c] > 0 {
			codes = append(codes, c+"s")
		}
	}
	where := ""
	if len(inc.TopPaths) > 0 {
		where = " on " + inc.TopPaths[0].Path
	}
	return fmt.Sprintf("%s%s: %s", strings.Join(codes, " and "), where, describe[inc.RootCause])
}

var describe = map[Kind]string{
	UpstreamTimeout:         "the upstream did not answer within nginx's timeout",
	FPMWorkerExhaustion:     "PHP-FPM ran out of workers (pm.max_children reached)",
	FPMDown:                 "PHP-FPM was not running or not accepting connections",
	FPMRequestTerminated:    "PHP-FPM killed requests at request_terminate_timeout",
	WorkerCrash:             "PHP-FPM workers died mid-request",
	OOMKill:                 "the kernel's OOM killer killed the backend",
	SlowQueries:             "slow database queries held the PHP workers",
	MySQLDown:               "the database server was down",
	MySQLTooManyConnections: "the database refused connections (max_connections)",
	UpstreamHeaderTooBig:    "the upstream's response headers exceeded nginx's buffer",
	InvalidUpstreamResponse: "the upstream sent an invalid response",
	BackendDown:             "the backend was unreachable",
	SocketPermission:        "nginx may not connect to the upstream socket (permissions)",
	DNSFailure:              "nginx could not resolve the upstream's name",
	UpstreamTLS:             "the TLS handshake with the upstream failed",
	Unknown:                 "no log record explains them",
}
