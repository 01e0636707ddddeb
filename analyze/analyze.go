package analyze

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/timeline"
)

// Reader is what analysis reads: per-second request counts, the stored
// events and the gaps in the followed logs, all by time range [from, to).
// Analyze reads it from several goroutines at once (incidents explained
// side by side): its methods must be safe for concurrent use, as a
// store's reads are. Events and EventsOf give the events in time order,
// as a store's keys hold them: analysis links the access log to the error
// log as it reads them (linker), and fails on an event of an earlier
// second than one before it.
type Reader interface {
	Seconds(from, to time.Time) ([]timeline.Second, error)
	Events(from, to time.Time, fn func(*patterns.Event) error) error
	// EventsOf is Events for the events of one kind only (the slow-query
	// digest reads the slow log of a whole range, not its access lines).
	EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error
	Gaps(from, to time.Time) ([]timeline.Gap, error)
}

// Config tunes spike detection.
type Config struct {
	MinErrors int64         // gateway errors a spike needs to be an incident
	MinShare  float64       // and the share of its requests they must be at least
	Baseline  time.Duration // the span before a spike whose error share it must clearly exceed
	MergeGap  time.Duration // bursts closer than this are one incident
	Lookback  time.Duration // how far before a spike causes are looked for
	Grace     time.Duration // how far after a spike causes are looked for
	Evidence  int           // evidence records kept per cause
	// Stack is the servers' configuration (logcause analyze --config-root),
	// quoted in findings when it is that of the servers that wrote the
	// logs; nil: none.
	Stack *stackconf.Config
}

// DefaultConfig is what `logcause analyze` uses.
var DefaultConfig = Config{
	MinErrors: 5,
	MinShare:  0.01,
	Baseline:  15 * time.Minute,
	MergeGap:  30 * time.Second,
	Lookback:  60 * time.Second,
	Grace:     5 * time.Second,
	Evidence:  12,
}

// Analyze explains the gateway errors in rng. Sources are not read from r:
// the caller fills Result.Sources. It is Spot, then Explain with nothing
// to reuse.
func Analyze(r Reader, rng TimeRange, cfg Config) (Result, error) {
	sp, err := Spot(r, rng, cfg)
	if err != nil {
		return sp.res, err
	}
	res, _, err := sp.Explain(r, cfg, nil)
	return res, err
}

// Spotted is an analysis before its incidents are explained: the cheap
// part, read from the range's seconds (totals, series, the windows of the
// incidents with their gateway errors, noise), its gaps and the slow-query
// digest.
type Spotted struct {
	res     Result
	windows []window
}

// Spot reads what is cheap to know of rng: all of an analysis but the
// explanation of its incidents (Spotted.Explain).
func Spot(r Reader, rng TimeRange, cfg Config) (*Spotted, error) {
	res := Result{Version: Version, Range: rng, Sources: []Source{}, Incidents: []Incident{}, Noise: Noise{Bursts: []NoiseBurst{}}, Gaps: []Gap{}, SlowQueries: []QueryClass{},
		Series: Series{Step: 1, Requests: []int64{}, Gateway: map[string][]int64{}}}
	sp := &Spotted{res: res}
	// The range's seconds are read once, an hour at a time, into what is
	// kept of them: the totals, the series, the incidents and the noise
	// (spotter). A fortnight of rotated logs has over a million of them:
	// held all at once, they were most of the memory and, collected again
	// and again, most of the time of an analysis.
	var (
		sum   totaller
		ser   = newSeries(rng)
		spots = newSpotter(cfg)
	)
	err := eachSecond(r, rng.Start, rng.End.Add(time.Second), func(s timeline.Second) {
		sum.add(s)
		ser.add(s)
		spots.add(s)
	})
	if err != nil {
		return sp, fmt.Errorf("cannot read request counts: %w", err)
	}
	sp.res.Totals, sp.res.Series = sum.totals(), *ser
	gaps, err := r.Gaps(rng.Start, rng.End.Add(time.Second))
	if err != nil {
		return sp, err
	}
	for _, g := range gaps {
		sp.res.Gaps = append(sp.res.Gaps, Gap(g))
	}
	if sp.res.SlowQueries, sp.res.SlowQueriesMore, err = slowDigest(r, rng.Start, rng.End.Add(time.Second)); err != nil {
		return sp, err
	}
	sp.windows, sp.res.Noise = spots.finish()
	return sp, nil
}

// explained is explain's result for one window.
type explained struct {
	inc    Incident
	quoted bool
	err    error
}

// inFlight bounds the gateway errors of the incidents explained at once.
// An incident's records are capped (list: a few MB per incident, whatever
// its size), its linker holds seconds of lines; the bound stays from when
// an incident held ~300 bytes per gateway error, and memory must stay
// flat.
// Incidents of an outage of the benchmark's 1 GB day (~80,000 each) are
// explained two at a time; one larger than the bound, alone.
const inFlight = 200_000

// explainAll explains the windows, up to workers at once while their
// gateway errors in all stay within inFlight (schedule), and returns their
// results in the windows' order.
func explainAll(r Reader, ws []window, cfg Config, workers int) []explained {
	out := make([]explained, len(ws))
	weights := make([]int64, len(ws))
	for i, w := range ws {
		weights[i] = w.gateway
	}
	schedule(weights, workers, inFlight, func(i int) {
		out[i].inc, out[i].quoted, out[i].err = explain(r, ws[i], cfg)
	})
	return out
}

// schedule calls do(i) for each i of weights, in order, up to workers
// calls at once while the weights of those running add up to budget at
// most (a call of a larger weight runs alone). Every goroutine it starts
// has ended when it returns; with one worker, do runs on the caller's.
func schedule(weights []int64, workers int, budget int64, do func(i int)) {
	if workers <= 1 || len(weights) <= 1 {
		for i := range weights {
			do(i)
		}
		return
	}
	var (
		mu      sync.Mutex
		freed   = sync.NewCond(&mu)
		running int
		weight  int64
		wg      sync.WaitGroup
	)
	for i, g := range weights {
		mu.Lock()
		for running > 0 && (running >= workers || weight+g > budget) {
			freed.Wait()
		}
		running, weight = running+1, weight+g
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			do(i)
			mu.Lock()
			running, weight = running-1, weight-g
			freed.Signal()
			mu.Unlock()
		}()
	}
	wg.Wait()
}

// Gateway errors are the failed answers of an upstream as nginx logs them:
// 502, 504, and 009. nginx passes an upstream's answer that is not HTTP
// (another protocol on the port) on to the client as an HTTP/0.9 response
// and logs status 009: no error status, but the request failed all the same
// (testdata/scenarios/http09-response).
var gatewayCodes = [...]int{502, 504, 9}

func isGateway(code int) bool { return slices.Contains(gatewayCodes[:], code) }

// IsGateway reports whether a response status is a gateway error (502,
// 504, 009): what makes a spike, and what makes the daemon analyze at once.
func IsGateway(code int) bool { return isGateway(code) }

// Failed reports whether an access-log status is a failed request, whose
// line analysis reads in full: a 5xx, or a gateway error.
func Failed(status int) bool { return status >= 500 || isGateway(status) }

// gatewayErrors counts the gateway errors among c.
func gatewayErrors(c timeline.Counts) int64 {
	var n int64
	for _, code := range gatewayCodes {
		n += c.Count(code)
	}
	return n
}

// statusKey is how a status is written in a result: nginx's three digits.
func statusKey(code int) string {
	if code >= 100 && code <= 999 { // HTTP's: without fmt, called per second and status
		return strconv.Itoa(code)
	}
	return fmt.Sprintf("%03d", code)
}

// explain builds the incident of one window; quoted says whether its
// findings quote cfg.Stack.
func explain(r Reader, w window, cfg Config) (inc Incident, quoted bool, err error) {
	inc = Incident{Start: w.start, End: w.end, Status: map[string]int64{}, TopPaths: []PathCount{}}
	if inc.Requests, inc.Status, inc.ByUpstream, err = windowCounts(r, w); err != nil {
		return inc, false, err
	}
	var (
		sig                       = newCollected()
		paths                     = newCounter(maxDistinct)
		clients, upstreams, hosts = newCounter(maxDistinct), newCounter(maxDistinct), newCounter(maxDistinct)
		strs                      shared
		who                       names
		links                     linker // the error lines linked to the gateway errors as they are read
		times                     = requestTimes{}
		kept                      = keeper{strs: &strs, names: &who}
		slowClasses               = map[string]*ClassCount{}
		classes                   lastClass
	)
	sig.window(w.start, w.end)
	// Slow-log entries are written when the query ends: one that held a
	// worker during the spike may be logged long after it. Past the
	// spike's grace only they are read: the others there are skipped by
	// their key, their values not read (a fifth of the events an outage's
	// windows held, ~120,000 lines after its first incident). The linker
	// is given the access and nginx error lines, all read (in time order)
	// before the grace.
	from, grace, to := w.start.Add(-cfg.Lookback), w.end.Add(cfg.Grace), w.end.Add(max(cfg.Grace, slowTail))
	read := func(ev *patterns.Event) error {
		if ev.Slow != nil {
			q := ev.Slow
			if !q.Restart && !ranDuring(ev, from, w.end) {
				return nil
			}
			if !q.Restart && ranDuring(ev, w.start, w.end) {
				c := slowClasses[q.QueryID]
				if c == nil {
					c = &ClassCount{QueryID: q.QueryID, Fingerprint: q.Fingerprint}
					slowClasses[q.QueryID] = c
				}
				c.Count++
				c.TotalTime += q.QueryTime
			}
		} else if !ev.Time.Before(grace) {
			return nil
		}
		if a := ev.Access; a != nil {
			if isGateway(a.Status) && !ev.Time.Before(w.start) && ev.Time.Before(w.end) {
				p, _, _ := strings.Cut(a.URI, "?")
				paths.add(p)
				clients.add(a.RemoteAddr)
				times.add(a.Status, a.RequestTime)
				return links.request(ev.Time, accessLineOf(ev, &who))
			}
			return nil
		}
		s := classes.of(ev)
		if s != sigNone {
			r := kept.keep(ev, s)
			sig.add(s, r)
			if err := links.line(ev.Time, s, r); err != nil {
				return err
			}
		}
		if e := ev.Error; e != nil && s.gatewayStatus() != 0 && !ev.Time.Before(w.start) && ev.Time.Before(w.end) {
			upstreams.add(e.Upstream)
			hosts.add(cmp.Or(e.Host, e.Server))
		}
		return nil
	}
	err = fieldsOf(r)(from, grace, read)
	if err == nil && grace.Before(to) {
		err = r.EventsOf(patterns.KindMySQLSlow, grace, to, read)
	}
	if err != nil {
		return inc, false, fmt.Errorf("cannot read events for the incident at %s: %w", w.start.Format(time.RFC3339), err)
	}
	topOf := func(c *counter, list string) []ValueCount { // the lists past their exact count in TopApprox, in this order
		vs, approx := c.top(list)
		if approx != nil {
			inc.TopApprox = append(inc.TopApprox, *approx)
		}
		return vs
	}
	for _, vc := range topOf(paths, ListPaths) {
		inc.TopPaths = append(inc.TopPaths, PathCount{vc.Value, vc.Count})
	}
	inc.TopClients, inc.TopUpstreams, inc.TopHosts = topOf(clients, ListClients), topOf(upstreams, ListUpstreams), topOf(hosts, ListHosts)
	inc.SlowQueries = incidentClasses(slowClasses)

	e := sig.set()
	e.links, e.times, e.gateway, e.start, e.end, e.max = links.done(w.gateway), times, w.gateway, w.start, w.end, cfg.Evidence
	if sig.capped() {
		// A first run asks for the records its evidence picks that the
		// lists did not keep; lists that kept all theirs need none.
		e.back = &readBack{want: map[groupPos]record{}, near: map[groupPos]nearby{}}
		e.causes()
		if len(e.back.want) > 0 {
			if err := readBackRecords(r, from, grace, e.back); err != nil {
				return inc, false, fmt.Errorf("cannot explain the incident at %s: %w", w.start.Format(time.RFC3339), err)
			}
		}
		e.back.done = true
	}
	inc.Causes = e.causes()
	quoted = belongs(cfg.Stack, &sig.sig)
	for i := range inc.Causes {
		if quoted {
			e.quoteConfig(&inc.Causes[i], configured{cfg.Stack})
		}
		if inc.Causes[i].Settings == nil {
			inc.Causes[i].Settings = []Setting{}
		}
	}
	if err := rereadTexts(r, inc.Causes); err != nil {
		return inc, false, err
	}
	slices.SortStableFunc(inc.Causes, func(a, b Cause) int { return cmp.Compare(b.Confidence, a.Confidence) })
	inc.Chain = e.chain(inc.Causes[0].Kind, inc.Causes)
	inc.RootCause = inc.Chain[0]
	inc.Title = title(inc, e)
	return inc, quoted, nil
}

// A bareReader hands out events without the text of those bare accepts
// (store.Store), and lends them: the reader copies what it keeps of them
// (counter, accessLines.add and keeper.keep copy their strings; the records
// keep no such Event).
type bareReader interface {
	EventsBare(from, to time.Time, bare func(*patterns.Event) bool, fn func(*patterns.Event) error) error
}

// fieldsOf returns how explain reads the events around a spike: without
// the text of the access, nginx error and PHP-FPM records when r can, for
// explain reads only their fields (record; the evidence's texts are read
// back by rereadTexts), and an outage has hundreds of thousands of them.
func fieldsOf(r Reader) func(from, to time.Time, fn func(*patterns.Event) error) error {
	b, ok := r.(bareReader)
	if !ok {
		return r.Events
	}
	return func(from, to time.Time, fn func(*patterns.Event) error) error {
		return b.EventsBare(from, to, readsFieldsOnly, fn)
	}
}

// readsFieldsOnly reports whether explain reads only the fields of ev, not
// its text: an access line (gatewayLines), an nginx error or PHP-FPM line
// (record).
func readsFieldsOnly(ev *patterns.Event) bool {
	return ev.Access != nil || ev.Error != nil || ev.FPM != nil
}

// slowTail is how long after a spike a slow-log entry that ran during it
// may be written: the longest query that still matters.
const slowTail = 10 * time.Minute

// ranDuring reports whether a slow-log entry's query may have run at some
// point of [from, to). The entry is written when the query ends, but its
// stamp is not the end everywhere: MariaDB stamps the query's start (its
// entries are out of time order in the file), MySQL its end. The query
// ran QueryTime seconds from or up to its stamp: within
// [stamp − QueryTime, stamp + QueryTime].
func ranDuring(ev *patterns.Event, from, to time.Time) bool {
	d := time.Duration(ev.Slow.QueryTime * float64(time.Second))
	return ev.Time.Add(-d).Before(to) && !ev.Time.Add(d).Before(from)
}

// maxTop bounds each top list of an incident.
const maxTop = 10

// upstreamShares lists the upstreams with the most gateway errors first,
// then the busiest; at most maxTop.
func upstreamShares(m map[string]*UpstreamShare) []UpstreamShare {
	return ranked(m, maxTop, func(a, b UpstreamShare) int {
		return cmp.Or(cmp.Compare(b.GatewayErrors, a.GatewayErrors), cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Upstream, b.Upstream))
	})
}

// ranked returns the values of m sorted by order, at most n of them.
func ranked[T any](m map[string]*T, n int, order func(a, b T) int) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, *v)
	}
	slices.SortFunc(out, order)
	return out[:min(len(out), n)]
}

// title is the one line a person can forward.
func title(inc Incident, e evidenceSet) string {
	var codes []string
	for _, c := range gatewayCodes {
		if inc.Status[statusKey(c)] > 0 {
			codes = append(codes, codeName(c))
		}
	}
	where := ""
	if len(inc.TopPaths) > 0 {
		where = " on " + inc.TopPaths[0].Path
	}
	r := ruleOf(inc.RootCause)
	what := r.describe
	if r.headline != nil {
		if h := r.headline(e.only(r.reads)); h != "" {
			what = h
		}
	}
	return fmt.Sprintf("%s%s: %s", strings.Join(codes, " and "), where, what)
}

// codeName names a gateway error's status in a title.
func codeName(code int) string {
	if code == 9 {
		return "HTTP/0.9 answers (009)"
	}
	return statusKey(code) + "s"
}
