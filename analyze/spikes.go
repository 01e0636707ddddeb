package analyze

import (
	"slices"
	"time"

	"github.com/logcause/logcause/timeline"
)

// window is a spike: [start, end) holds every second with gateway errors
// that belongs to it.
type window struct {
	start, end time.Time
	gateway    int64
}

// hot reports whether a second's gateway errors stand out from its
// traffic: at least 5% of its requests (so a quiet site where everything
// fails counts, and a busy site's usual trickle does not), or at least 10.
func hot(s timeline.Second) bool {
	g := gatewayErrors(s.Status)
	return g >= 10 || (g >= 1 && 20*g >= s.Requests())
}

// maxNoiseBursts bounds the noise bursts listed in a result.
const maxNoiseBursts = 20

// A spotter finds the incidents and the noise of a range in its
// seconds, given once each in time order. Hot seconds closer than
// MergeGap form a spike; a spike is an incident when it holds at least
// MinErrors gateway errors, they are at least MinShare of its requests,
// and that share is at least three times the share of the Baseline before
// it (a site that always fails a little has no incident every second).
// Every gateway error outside incidents is noise.
//
// It holds the spike being built with the gateway errors since it began
// (it ends once MergeGap has passed its last hot second, so that they are
// few), the seconds of the last Baseline (the running totals before
// each), the incidents found and the noise — not the range's seconds, of
// which a fortnight of rotated logs has over a million.
//
// The totals of any span it needs are differences of running totals: a
// spike's own from those at its edges (before its first second, after its
// last), its baseline's from those Baseline before its start (the last
// Baseline's seconds are at hand when it begins), the incidents found in
// that span from those at their edges.
type spotter struct {
	cfg       Config
	sum       tally  // of the seconds given so far
	recent    []mark // the seconds of the last Baseline, in time order
	cur       *spike // being built; nil: none
	held      []gatewaySecond
	incidents []spike
	noise     Noise
	burst     *NoiseBurst // the noise burst being built
}

// tally is a running total: the gateway errors and requests of the seconds
// before an instant.
type tally struct{ gateway, requests int64 }

func (t tally) minus(u tally) tally { return tally{t.gateway - u.gateway, t.requests - u.requests} }

// mark is a second given to the spotter, with the running total before it.
type mark struct {
	t      time.Time
	before tally
}

// spike is a candidate: a window, with the running totals before its
// start, before its end and before Baseline ahead of its start.
type spike struct {
	window
	atStart, atEnd, atBaseline tally
}

// gatewaySecond is a second with gateway errors, by gateway code (in
// gatewayCodes' order): while a spike is being built, whether they are
// its own or noise is told when it ends (held).
type gatewaySecond struct {
	t time.Time
	n [len(gatewayCodes)]int64
}

func newSpotter(cfg Config) *spotter {
	return &spotter{cfg: cfg, noise: Noise{Bursts: []NoiseBurst{}}}
}

// add takes the next second: after every second given before.
func (sp *spotter) add(s timeline.Second) {
	if sp.cur != nil && s.Time.Sub(sp.cur.end) >= sp.cfg.MergeGap {
		// The spike can take no more seconds: it ends now, not at the
		// next hot second (the gateway errors between would be held).
		sp.end()
	}
	before := sp.sum
	// The seconds of the last Baseline: appended at the end, dropped from
	// the front (append moves the kept ones when it grows the slice, so
	// that it never holds much more than a Baseline of them).
	sp.recent = append(sp.recent, mark{s.Time, before})
	horizon := s.Time.Add(-sp.cfg.Baseline)
	drop := 0
	for drop < len(sp.recent) && sp.recent[drop].t.Before(horizon) {
		drop++
	}
	sp.recent = sp.recent[drop:]
	g := gatewayErrors(s.Status)
	sp.sum.gateway += g
	sp.sum.requests += s.Requests()
	if hot(s) {
		if sp.cur == nil {
			sp.cur = &spike{window: window{start: s.Time}, atStart: before, atBaseline: sp.before(horizon)}
		}
		sp.cur.end, sp.cur.atEnd = s.Time.Add(time.Second), sp.sum
	}
	if g == 0 {
		return
	}
	gs := gatewaySecond{t: s.Time}
	for i, c := range gatewayCodes {
		gs.n[i] = s.Count(c)
	}
	if sp.cur != nil {
		sp.held = append(sp.held, gs)
		return
	}
	sp.addNoise(gs)
}

// before returns the running total before t, an instant of the last
// Baseline: before the first second at or after it.
func (sp *spotter) before(t time.Time) tally {
	i, _ := slices.BinarySearchFunc(sp.recent, t, func(m mark, t time.Time) int { return m.t.Compare(t) })
	if i == len(sp.recent) {
		return sp.sum
	}
	return sp.recent[i].before
}

// end ends the spike being built: it is an incident or not, and the
// gateway errors held since it began are its own or noise.
func (sp *spotter) end() {
	w := *sp.cur
	sp.cur = nil
	in := w.atEnd.minus(w.atStart)
	w.gateway = in.gateway
	share := float64(in.gateway) / float64(max(in.requests, 1))
	incident := w.gateway >= sp.cfg.MinErrors && share >= sp.cfg.MinShare && share >= 3*sp.baselineShare(w)
	if incident {
		sp.incidents = append(sp.incidents, w)
	}
	for _, s := range sp.held {
		if incident && !s.t.Before(w.start) && s.t.Before(w.end) {
			continue
		}
		sp.addNoise(s)
	}
	sp.held = sp.held[:0]
}

// baselineShare is the share of gateway errors among the requests of the
// Baseline before w, leaving out the incidents already found.
func (sp *spotter) baselineShare(w spike) float64 {
	from := w.start.Add(-sp.cfg.Baseline)
	span := w.atStart.minus(w.atBaseline)
	for _, inc := range sp.incidents {
		lo, hi := timeline.Later(from, inc.start), timeline.Earlier(w.start, inc.end)
		if !lo.Before(hi) {
			continue
		}
		atLo, atHi := w.atBaseline, w.atStart
		if lo.Equal(inc.start) {
			atLo = inc.atStart
		}
		if hi.Equal(inc.end) {
			atHi = inc.atEnd
		}
		span = span.minus(atHi.minus(atLo))
	}
	if span.requests == 0 {
		return 0
	}
	return float64(span.gateway) / float64(span.requests)
}

// addNoise counts the gateway errors of a second outside every incident,
// in its burst: bursts closer than MergeGap are one; past maxNoiseBursts
// they are counted, not listed.
func (sp *spotter) addNoise(s gatewaySecond) {
	var g int64
	for _, n := range s.n {
		g += n
	}
	sp.noise.GatewayErrors += g
	if sp.burst != nil && s.t.Sub(sp.burst.End) >= sp.cfg.MergeGap {
		sp.noise.Bursts = append(sp.noise.Bursts, *sp.burst)
		sp.burst = nil
	}
	if sp.burst == nil {
		if len(sp.noise.Bursts) >= maxNoiseBursts {
			return
		}
		sp.burst = &NoiseBurst{Start: s.t, Status: map[string]int64{}}
	}
	sp.burst.End = s.t.Add(time.Second)
	for i, c := range gatewayCodes {
		if s.n[i] > 0 {
			sp.burst.Status[statusKey(c)] += s.n[i]
		}
	}
}

// finish ends what is being built and returns the incidents and the noise.
func (sp *spotter) finish() ([]window, Noise) {
	if sp.cur != nil {
		sp.end()
	}
	if sp.burst != nil {
		sp.noise.Bursts = append(sp.noise.Bursts, *sp.burst)
		sp.burst = nil
	}
	var out []window
	for _, inc := range sp.incidents {
		out = append(out, inc.window)
	}
	return out, sp.noise
}

// totaller adds up the seconds' counts, by status code; totals names them
// once (naming each status of each second with fmt.Sprintf was a third of
// an access log's analysis).
type totaller struct {
	requests int64
	byCode   map[int]int64
}

func (t *totaller) add(s timeline.Second) {
	if t.byCode == nil {
		t.byCode = map[int]int64{}
	}
	for _, c := range s.Status {
		t.requests += c.Count
		t.byCode[c.Code] += c.Count
	}
}

func (t *totaller) totals() Totals {
	out := Totals{Requests: t.requests, Status: make(map[string]int64, len(t.byCode))}
	for code, n := range t.byCode {
		out.Status[statusKey(code)] += n
	}
	return out
}

// secondsRead is how much of a range eachSecond reads at once, and
// emptyRead how far it reads at most past a stretch without any second
// (a stamp years off leaves decades of them).
const (
	secondsRead = time.Hour
	emptyRead   = 24 * time.Hour
)

// eachSecond calls fn for each second r holds in [from, to), in time
// order, reading them an hour at a time: at most three hours' seconds are
// held at once, whatever the range. After a read that found none, the
// next reads twice as far, up to a day, until one finds some: a range
// that holds a stamp decades off is read in tens of thousands of reads,
// not millions.
func eachSecond(r Reader, from, to time.Time, fn func(timeline.Second)) error {
	// The hours are read on a goroutine of their own while fn takes the
	// hour before: the store's decoding and fn's counting overlap, on two
	// cores, at the end of a batch analysis that waits for both. At most
	// three hours are held: fn's, one handed, one being read.
	hours := make(chan []timeline.Second, 1)
	var err error // the reading's, set before hours is closed
	go func() {
		defer close(hours)
		step := secondsRead
		for at := from; at.Before(to); {
			next := timeline.Earlier(at.Add(step), to)
			var secs []timeline.Second
			if secs, err = r.Seconds(at, next); err != nil {
				return
			}
			if len(secs) == 0 {
				step = min(2*step, emptyRead)
			} else {
				step = secondsRead
				hours <- secs
			}
			at = next
		}
	}()
	for secs := range hours { // until the goroutine has ended
		for _, s := range secs {
			fn(s)
		}
	}
	return err
}
