package analyze

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/logcause/logcause/timeline"
)

// The spotter reads each second once and holds only the last Baseline's
// running totals, the spike being built and what it found: on every
// sequence of seconds it finds what the definition (spikesByDefinition:
// every span summed afresh over all the seconds) finds — the same
// incidents with the same gateway errors, the same noise and bursts.
func TestSpotterFindsWhatTheDefinitionFinds(t *testing.T) {
	configs := []Config{
		DefaultConfig,
		{MinErrors: 1, MinShare: 0, Baseline: 0, MergeGap: time.Second},
		{MinErrors: 3, MinShare: 0.05, Baseline: 30 * time.Second, MergeGap: 5 * time.Second},
		{MinErrors: 20, MinShare: 0.2, Baseline: time.Hour, MergeGap: 5 * time.Minute},
		{MinErrors: 2, MinShare: 0.01, Baseline: 90 * time.Second, MergeGap: 40 * time.Second},
	}
	incidents, bursts, capped := 0, 0, 0
	for seed := range uint64(120) {
		secs := randomSeconds(rand.New(rand.NewPCG(seed, 7)))
		for ci, cfg := range configs {
			got, gotNoise := spikes(secs, cfg)
			want, wantNoise := spikesByDefinition(secs, cfg)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotNoise, wantNoise) {
				t.Fatalf("seed %d, config %d: incidents %v, noise %+v; want %v, %+v", seed, ci, got, gotNoise, want, wantNoise)
			}
			incidents += len(got)
			bursts += len(gotNoise.Bursts)
			if len(gotNoise.Bursts) == maxNoiseBursts {
				capped++
			}
		}
	}
	// The sequences are not all alike: they have incidents, noise, and
	// more bursts than are listed.
	t.Logf("%d incidents, %d bursts, %d lists of bursts full", incidents, bursts, capped)
	if incidents < 1000 || bursts < 5000 || capped < 100 {
		t.Errorf("the sequences tried little: %d incidents, %d bursts, %d lists of bursts full", incidents, bursts, capped)
	}
}

// spikes is what a spotter finds in secs, in time order, one per second.
func spikes(secs []timeline.Second, cfg Config) ([]window, Noise) {
	sp := newSpotter(cfg)
	for _, s := range secs {
		sp.add(s)
	}
	return sp.finish()
}

// randomSeconds is a few hours of a site's seconds, with gaps, quiet and
// busy stretches, a trickle of gateway errors and bursts of them.
func randomSeconds(rng *rand.Rand) []timeline.Second {
	var secs []timeline.Second
	at := t0
	n := 200 + rng.IntN(1500)
	burst := 0
	for range n {
		at = at.Add(time.Duration(1+rng.IntN(rng.IntN(40)+1)) * time.Second)
		requests := int64(rng.IntN(60))
		s := timeline.Second{Time: at, Status: timeline.Counts{{Code: 200, Count: requests}}}
		if burst == 0 && rng.IntN(150) == 0 {
			burst = 1 + rng.IntN(120)
		}
		for _, code := range gatewayCodes {
			var g int64
			switch {
			case burst > 0 && rng.IntN(3) > 0:
				g = int64(rng.IntN(25))
			case rng.IntN(40) == 0:
				g = 1
			}
			if g > 0 {
				s.Status = append(s.Status, timeline.StatusCount{Code: code, Count: g})
			}
		}
		if burst > 0 {
			burst--
		}
		secs = append(secs, s)
	}
	return secs
}

// spikesByDefinition is what spikes says, the plainest way: every span's
// totals summed over all the seconds.
func spikesByDefinition(secs []timeline.Second, cfg Config) ([]window, Noise) {
	sum := func(from, to time.Time) (g, n int64) {
		for _, s := range secs {
			if !s.Time.Before(from) && s.Time.Before(to) {
				g += gatewayErrors(s.Status)
				n += s.Requests()
			}
		}
		return g, n
	}
	var candidates []window
	for _, s := range secs {
		if !hot(s) {
			continue
		}
		if k := len(candidates) - 1; k >= 0 && s.Time.Sub(candidates[k].end) < cfg.MergeGap {
			candidates[k].end = s.Time.Add(time.Second)
			continue
		}
		candidates = append(candidates, window{start: s.Time, end: s.Time.Add(time.Second)})
	}
	incidents := []window{}
	for _, w := range candidates {
		var n int64
		w.gateway, n = sum(w.start, w.end)
		share := float64(w.gateway) / float64(max(n, 1))
		from := w.start.Add(-cfg.Baseline)
		bg, bn := sum(from, w.start)
		for _, inc := range incidents {
			lo, hi := from, w.start
			if inc.start.After(lo) {
				lo = inc.start
			}
			if inc.end.Before(hi) {
				hi = inc.end
			}
			if lo.Before(hi) {
				ig, in := sum(lo, hi)
				bg, bn = bg-ig, bn-in
			}
		}
		base := 0.0
		if bn != 0 {
			base = float64(bg) / float64(bn)
		}
		if w.gateway >= cfg.MinErrors && share >= cfg.MinShare && share >= 3*base {
			incidents = append(incidents, w)
		}
	}
	noise := Noise{Bursts: []NoiseBurst{}}
	var last time.Time
	open := false
	for _, s := range secs {
		g := gatewayErrors(s.Status)
		in := false
		for _, inc := range incidents {
			in = in || !s.Time.Before(inc.start) && s.Time.Before(inc.end)
		}
		if g == 0 || in {
			continue
		}
		noise.GatewayErrors += g
		if open && s.Time.Sub(last) >= cfg.MergeGap {
			open = false
		}
		if !open {
			if len(noise.Bursts) == maxNoiseBursts {
				continue
			}
			noise.Bursts = append(noise.Bursts, NoiseBurst{Start: s.Time, Status: map[string]int64{}})
			open = true
		}
		b := &noise.Bursts[len(noise.Bursts)-1]
		b.End, last = s.Time.Add(time.Second), s.Time.Add(time.Second)
		for _, c := range gatewayCodes {
			if n := s.Count(c); n > 0 {
				b.Status[fmt.Sprintf("%03d", c)] += n
			}
		}
	}
	if len(incidents) == 0 {
		return nil, noise
	}
	return incidents, noise
}

// eachSecond reads a range an hour at a time and hands every second once,
// in order, whatever the range (shorter than an hour, or not a whole
// number of them).
func TestEachSecondReadsARangeAnHourAtATime(t *testing.T) {
	var secs []timeline.Second
	for i := range 3*3600 + 100 {
		secs = append(secs, timeline.Second{Time: at(i * 3), Status: timeline.Counts{{Code: 200, Count: int64(i)}}})
	}
	r := &countingReader{secs: secs}
	var got []timeline.Second
	end := at(len(secs)*3 - 1)
	if err := eachSecond(r, at(1), end, func(s timeline.Second) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	want := secs[1:] // at(3) … the last, before end
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d seconds (%v … ), want %d", len(got), got[:min(2, len(got))], len(want))
	}
	if hours := int(end.Sub(at(1))/time.Hour) + 1; r.reads != hours || r.most > 1200 {
		t.Errorf("%d reads of at most %d seconds, want %d of at most 1,200", r.reads, r.most, hours)
	}
}

// eachSecond returns the store's error when an hour cannot be read,
// having handed the seconds of the hours before it, and none after.
func TestEachSecondStopsAtAReadError(t *testing.T) {
	var secs []timeline.Second
	for i := range 5 * 3600 {
		secs = append(secs, timeline.Second{Time: at(i), Status: timeline.Counts{{Code: 200, Count: 1}}})
	}
	broken := errors.New("the store's disk is gone")
	r := &countingReader{secs: secs, failAt: 3, err: broken}
	var got []timeline.Second
	err := eachSecond(r, at(0), at(len(secs)), func(s timeline.Second) { got = append(got, s) })
	if !errors.Is(err, broken) {
		t.Fatalf("error = %v, want the store's", err)
	}
	if !reflect.DeepEqual(got, secs[:2*3600]) || r.reads != 3 {
		t.Errorf("%d seconds handed in %d reads; want the two hours before the failing read, and no read after it", len(got), r.reads)
	}
}

type countingReader struct {
	*fake       // the rest of Reader, not read
	secs        []timeline.Second
	reads, most int
	failAt      int   // the read that fails with err; 0: none
	err         error // of that read
}

func (r *countingReader) Seconds(from, to time.Time) ([]timeline.Second, error) {
	if r.reads++; r.reads == r.failAt {
		return nil, r.err
	}
	var out []timeline.Second
	for _, s := range r.secs {
		if !s.Time.Before(from) && s.Time.Before(to) {
			out = append(out, s)
		}
	}
	r.most = max(r.most, len(out))
	return out, nil
}

// schedule runs every call once, at most workers at once, and never more
// weight at once than the budget but for a call heavier than it, alone;
// the next call waits for room, in order. The calls block until the test
// lets them end: what runs together is the scheduler's choice alone, and
// each call checks, as it starts, what runs beside it.
func TestScheduleKeepsWithinItsBudget(t *testing.T) {
	weights := []int64{150, 40, 170, 300, 10, 60, 60, 60}
	const workers, budget = 2, 200
	var (
		mu      sync.Mutex
		running = map[int]bool{}
		wrong   []string
	)
	started := make(chan int)
	release := make([]chan struct{}, len(weights))
	for i := range release {
		release[i] = make(chan struct{})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		schedule(weights, workers, budget, func(i int) {
			mu.Lock()
			running[i] = true
			var w int64
			for j := range running {
				w += weights[j]
			}
			if len(running) > workers || (len(running) > 1 && w > budget) {
				wrong = append(wrong, fmt.Sprintf("call %d started beside %v: weight %d", i, running, w))
			}
			mu.Unlock()
			started <- i
			<-release[i]
			mu.Lock()
			delete(running, i)
			mu.Unlock()
		})
	}()
	// 150 and 40 fit together; 170 waits for 40 to end too (210), 300
	// for everything, 10 for 300 to end; then the 60s two at a time.
	for _, step := range []struct{ start, end []int }{
		{start: []int{0, 1}, end: []int{0, 1}},
		{start: []int{2}, end: []int{2}},
		{start: []int{3}, end: []int{3}},
		{start: []int{4, 5}, end: []int{4}},
		{start: []int{6}, end: []int{5}},
		{start: []int{7}, end: []int{6, 7}},
	} {
		var got []int
		for range step.start { // those that start together, in either order
			got = append(got, <-started)
		}
		if slices.Sort(got); !slices.Equal(got, step.start) {
			t.Fatalf("calls %v started, want %v", got, step.start)
		}
		for _, i := range step.end {
			close(release[i])
		}
	}
	<-done
	if len(wrong) > 0 || len(running) > 0 {
		t.Errorf("%s; still running: %v", strings.Join(wrong, "; "), running)
	}
}

// Incidents explained side by side come out as they do one at a time, in
// their order.
func TestIncidentsExplainedTogetherAsOneByOne(t *testing.T) {
	f := &fake{}
	f.healthy(0, 900)
	for _, at := range []int{100, 300, 500, 700} {
		for s := at; s < at+20; s++ {
			f.access(s, 502, "/p", 30)
		}
	}
	res := analyzeFake(t, f)
	if len(res.Incidents) != 4 {
		t.Fatalf("%d incidents, want 4", len(res.Incidents))
	}
	spots := newSpotter(DefaultConfig)
	secs, _ := f.Seconds(at(0), at(1000))
	for _, s := range secs {
		spots.add(s)
	}
	ws, _ := spots.finish()
	one, four := explainAll(f, ws, DefaultConfig, 1), explainAll(f, ws, DefaultConfig, 4)
	if !reflect.DeepEqual(one, four) {
		t.Fatalf("side by side:\n%+v\none by one:\n%+v", four, one)
	}
	for i, x := range four {
		if x.err != nil || !x.inc.Start.Equal(ws[i].start) {
			t.Errorf("incident %d: %v, starts %s, want %s", i, x.err, x.inc.Start, ws[i].start)
		}
	}
}

// Once a spike can take no more seconds (MergeGap past its end), the
// gateway errors after it are not held for it: a busy site's usual
// trickle of 502s after its one spike was held, a second each (48 bytes:
// ~60 MB for a fortnight's seconds), until the range ended. What it finds
// stays what the definition finds.
func TestSpotterHoldsNoSecondsPastTheSpikesReach(t *testing.T) {
	cfg := DefaultConfig
	var secs []timeline.Second
	at := t0
	for range 30 { // the spike: every request failed
		secs = append(secs, timeline.Second{Time: at, Status: timeline.Counts{{Code: 502, Count: 50}}})
		at = at.Add(time.Second)
	}
	for range 6 * 3600 { // the trickle: 1 of 100 requests, never hot
		secs = append(secs, timeline.Second{Time: at, Status: timeline.Counts{{Code: 200, Count: 99}, {Code: 502, Count: 1}}})
		at = at.Add(time.Second)
	}
	sp := newSpotter(cfg)
	most := 0
	for _, s := range secs {
		sp.add(s)
		most = max(most, len(sp.held))
	}
	if reach := 30 + int(cfg.MergeGap/time.Second); most > reach {
		t.Errorf("the spotter held up to %d seconds at once; want at most the spike's and the %d MergeGap reaches past it", most, reach)
	}
	got, noise := sp.finish()
	want, wantNoise := spikesByDefinition(secs, cfg)
	if len(want) != 1 || !reflect.DeepEqual(got, want) || !reflect.DeepEqual(noise, wantNoise) {
		t.Errorf("incidents %v, noise %+v; want %v (one), %+v", got, noise, want, wantNoise)
	}
}

// A range that holds a stamp years off (a broken line's) is mostly empty:
// eachSecond reads its empty stretch a day at a time at most, and still
// hands every second, those past the stretch too.
func TestEachSecondCrossesEmptyYears(t *testing.T) {
	var secs []timeline.Second
	for i := range 7200 {
		secs = append(secs, timeline.Second{Time: at(i), Status: timeline.Counts{{Code: 200, Count: 1}}})
	}
	far := timeline.Second{Time: at(0).AddDate(30, 0, 0), Status: timeline.Counts{{Code: 502, Count: 1}}}
	secs = append(secs, far)
	r := &countingReader{secs: secs}
	var got []timeline.Second
	if err := eachSecond(r, at(0), far.Time.Add(time.Second), func(s timeline.Second) { got = append(got, s) }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, secs) {
		t.Fatalf("got %d seconds, want %d", len(got), len(secs))
	}
	if days := 31 * 366; r.reads > days || r.most > 3600 {
		t.Errorf("%d reads of at most %d seconds: want at most %d, of at most 3,600", r.reads, r.most, days)
	}
}
