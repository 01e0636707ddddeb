package analyze

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// plainSpread is spread of a list that keeps every record: the
// reference a capped list must equal while it keeps them all.
func plainSpread(evs []record, n int) []record {
	if len(evs) <= n {
		return evs
	}
	if n <= 0 {
		return nil
	}
	head := (n + 1) / 2
	out := append([]record(nil), evs[:head]...)
	rest, tail := n-head, evs[head:]
	for i := 1; i <= rest; i++ {
		out = append(out, tail[i*len(tail)/rest-1])
	}
	return out
}

// randomRecords returns n records of a few kinds (nginx lines of a few
// upstreams and messages, PHP-FPM lines of a few pools), each its own
// offset, the PHP-FPM ones a random duration.
func randomRecords(rng *rand.Rand, kinds recordKinds, n int) []record {
	nginx, fpm := kinds.nginx, kinds.fpm
	out := make([]record, n)
	for i := range out {
		if rng.IntN(3) == 0 {
			ev := fpm[rng.IntN(len(fpm))]
			out[i] = fpmLine(ev, ev.FPM, i, rng.Float64()*100)
		} else {
			out[i] = nginxLine(nginx[rng.IntN(len(nginx))], int64(i), 0)
		}
		out[i].Offset = int64(i)
	}
	return out
}

// recordKinds are the Events the records of a spike share.
type recordKinds struct{ nginx, fpm []*patterns.Event }

func newRecordKinds() recordKinds {
	var nginx []*patterns.Event
	for _, up := range []string{fpmSock, "http://10.0.0.5:80", "fastcgi://127.0.0.1:9001"} {
		for _, msg := range []string{eagain, "upstream prematurely closed connection", "upstream timed out (110: Connection timed out)"} {
			nginx = append(nginx, &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Upstream: up, Message: msg}})
		}
	}
	var fpm []*patterns.Event
	for _, pool := range []string{"www", "api"} {
		fpm = append(fpm, &patterns.Event{Kind: patterns.KindFPMError, FPM: &patterns.FPMError{Pool: pool}})
	}
	return recordKinds{nginx, fpm}
}

// firstOfEachKind is what firsts must give: the first record of each
// Event and pool, in their order.
func firstOfEachKind(recs []record) []record {
	var out []record
	seen := map[kindKey]bool{}
	for _, r := range recs {
		if k := kindOf(r); !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

func offsets(recs []record) []int64 {
	var out []int64
	for _, r := range recs {
		out = append(out, r.Offset)
	}
	return out
}

// A capped list answers what the rules ask as the whole list would: its
// count, first record, first record of each kind, longest duration, and,
// while it holds all its records, the same evidence; past that it holds
// a bounded sample, spread over the whole list, and the last record.
func TestCappedListAnswersAsTheWholeList(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 2))
	for _, n := range []int{0, 1, 2, 7, 100, headCap, headCap + 1, headCap + sampleCap, headCap + sampleCap + 1, 3 * (headCap + sampleCap), 100_000, 250_000 + rng.IntN(1000)} {
		plain := randomRecords(rng, newRecordKinds(), n)
		var l list
		for _, r := range plain {
			l.add(r)
		}
		if l.n != n {
			t.Fatalf("%d records: counted %d", n, l.n)
		}
		if n == 0 {
			continue
		}
		if l.first().Offset != 0 {
			t.Errorf("%d records: first %d", n, l.first().Offset)
		}
		if got, want := offsets(l.firsts()), offsets(firstOfEachKind(plain)); !slices.Equal(got, want) {
			t.Errorf("%d records: first of each kind %v, want %v", n, got, want)
		}
		longest := 0.0
		for _, r := range plain {
			longest = max(longest, r.duration())
		}
		if l.longest != longest {
			t.Errorf("%d records: longest %v, want %v", n, l.longest, longest)
		}
		if got, want := firstFastCGI(l), firstFastCGI(wholeList(plain)); got != want {
			t.Errorf("%d records: first FastCGI upstream %q, want %q", n, got, want)
		}
		if got, want := slices.ContainsFunc(l.firsts(), closedPrematurely), slices.ContainsFunc(plain, closedPrematurely); got != want {
			t.Errorf("%d records: any closed prematurely %v, want %v", n, got, want)
		}
		for k := range 9 {
			got, want := offsets(evidenceSet{}.spread(l, k)), offsets(plainSpread(plain, k))
			if n <= headCap+sampleCap && !slices.Equal(got, want) {
				t.Errorf("%d records: spread of %d %v, want %v", n, k, got, want)
			}
			if len(got) != len(want) || (k > 0 && got[len(got)-1] != want[len(want)-1]) {
				t.Errorf("%d records: spread of %d %v: not as many as %v, or not the same last", n, k, got, want)
			}
		}
		if n <= headCap+sampleCap {
			if !slices.Equal(offsets(l.kept), offsets(plain)) {
				t.Errorf("%d records: not all kept", n)
			}
			continue
		}
		// Past the cap: the head, then a sample at most sampleCap long,
		// evenly spaced, then the last; each at its position.
		if len(l.kept) > headCap+sampleCap+1 {
			t.Errorf("%d records: %d kept", n, len(l.kept))
		}
		for i, r := range l.kept {
			if r.Offset != int64(l.at[i]) || (i > 0 && l.at[i] <= l.at[i-1]) {
				t.Fatalf("%d records: kept[%d] at %d is record %d", n, i, l.at[i], r.Offset)
			}
		}
		if l.kept[len(l.kept)-1].Offset != int64(n-1) || l.at[headCap-1] != headCap-1 {
			t.Errorf("%d records: the head or the last not kept", n)
		}
		gap := 2*(n-headCap)/sampleCap + 2
		for i := headCap; i < len(l.at); i++ {
			if d := l.at[i] - l.at[i-1]; d > gap {
				t.Errorf("%d records: a gap of %d between sampled records at %d, want at most %d", n, d, l.at[i-1], gap)
			}
		}
		if len(l.kept) < headCap+sampleCap/2 {
			t.Errorf("%d records: a sample of %d only", n, len(l.kept)-headCap)
		}
		for range 100 {
			p := rng.IntN(n)
			if r := l.record(p); r.Offset > int64(p) || int64(p)-r.Offset > int64(gap) {
				t.Errorf("%d records: record at %d is %d", n, p, r.Offset)
			}
		}
	}
}

// Joined lists answer as the lists joined whole: count, first of each
// kind, longest, and, below the cap, the same evidence.
func TestJoinedListsAnswerAsTheWholeLists(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 3))
	kinds := newRecordKinds()
	for range 40 {
		var lists []list
		var plain []record
		for range rng.IntN(4) {
			recs := randomRecords(rng, kinds, []int{0, 3, 50, 2000, 12_000}[rng.IntN(5)])
			for i := range recs {
				recs[i].Offset += int64(len(plain))
			}
			var l list
			for _, r := range recs {
				l.add(r)
			}
			lists, plain = append(lists, l), append(plain, recs...)
		}
		j := join(lists...)
		if j.n != len(plain) {
			t.Fatalf("joined %d records: counted %d", len(plain), j.n)
		}
		if got, want := offsets(j.firsts()), offsets(firstOfEachKind(plain)); !slices.Equal(got, want) {
			t.Errorf("first of each kind %v, want %v", got, want)
		}
		if got, want := firstFastCGI(j), firstFastCGI(wholeList(plain)); got != want {
			t.Errorf("first FastCGI upstream %q, want %q", got, want)
		}
		for k := range 9 {
			got, want := offsets(evidenceSet{}.spread(j, k)), offsets(plainSpread(plain, k))
			if len(plain) <= headCap+sampleCap && !slices.Equal(got, want) {
				t.Errorf("%d records: spread of %d %v, want %v", len(plain), k, got, want)
			}
			for i, o := range got {
				if o > want[i] {
					t.Errorf("%d records: spread of %d picked %d for %d", len(plain), k, o, want[i])
				}
			}
		}
	}
}

// The names table gives a request (a client and its request line) the
// same number while the linker may match it, asked for by an access line
// or an error line, holds only the requests of the last linkRing seconds
// (two turns of them at most), keeps its own copy of each (it reads them
// from its buffer, which the next request overwrites), and numbers no
// other pair alike: not one whose client and request line join the same.
func TestNamesForgetPastTheLinkersHorizon(t *testing.T) {
	var who names
	a := who.request("10.0.0.1", "GET /a HTTP/1.1", 100)
	b := who.request("10.0.0.2", "PUT /b HTTP/1.1", 100)
	access := &patterns.Event{Time: time.Unix(101, 0), Access: &patterns.Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/a", Protocol: "HTTP/1.1"}}
	if a == 0 || a == b || accessLineOf(access, &who).key.request != a || who.request("10.0.0.2", "PUT /b HTTP/1.1", 101) != b {
		t.Error("a request changed its number within the horizon, or kept the lent bytes")
	}
	access.Access.Method, access.Access.URI = "", "GET /a HTTP/1.1" // a line without a method: its URI is the request line
	if who.request("10.0.0.11", "GET /a HTTP/1.1", 101) == who.request("10.0.0.1", "1GET /a HTTP/1.1", 101) ||
		accessLineOf(access, &who).key.request != a || who.request("", "GET /", 101) != 0 || who.request("10.0.0.1", "", 101) != 0 {
		t.Error("two requests numbered alike, or one without its client or request line numbered")
	}
	for s := int64(102); s < 10_000; s++ {
		for i := range 50 {
			who.request("10.0.0.1", fmt.Sprintf("GET /p?%d-%d", s, i), s)
		}
		if (s-100)%linkRing == 0 && who.request("10.0.0.1", "GET /a HTTP/1.1", s) != a {
			t.Fatalf("at second %d, a request asked for every %d seconds changed its number", s, linkRing)
		}
		if n := len(who.cur) + len(who.prev); n > 50*(2*linkRing+2) {
			t.Fatalf("at second %d the table holds %d requests", s, n)
		}
	}
	if who.request("10.0.0.2", "PUT /b HTTP/1.1", 10_000) == b {
		t.Error("a request unseen for long kept its number")
	}
}

// The records a spike holds do not grow with it: collecting ten times as
// many gateway errors (each an nginx error line of its own client and
// request, as the keeper keeps them) holds about as many bytes.
func TestRecordsHeldStayFlat(t *testing.T) {
	held := func(errors int) uint64 {
		before := liveHeap()
		var (
			strs shared
			who  names
			c    = newCollected()
		)
		k := keeper{strs: &strs, names: &who}
		ev := &patterns.Event{Kind: patterns.KindNginxError, Path: "error.log"}
		e := &patterns.NginxError{Level: "error", Message: eagain, Errno: 11, Action: connecting, Server: "shop", Upstream: fpmSock, Host: "shop"}
		ev.Error = e
		for i := range errors {
			ev.Time, ev.Offset = t0.Add(time.Duration(i)*time.Millisecond), int64(i)*300
			e.Connection, e.Client, e.Request = int64(i+1), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("GET /p?id=%d HTTP/1.1", i)
			c.add(sigBacklogFull, k.keep(ev, sigBacklogFull))
			c.add(sigTimeout, k.keep(ev, sigTimeout))
		}
		grown := liveHeap() - min(before, liveHeap())
		runtime.KeepAlive(c)
		runtime.KeepAlive(&who)
		if c.sig[sigBacklogFull].n != errors || c.halves[sigTimeout][0].n != errors {
			t.Fatalf("%d errors: counted %d and %d", errors, c.sig[sigBacklogFull].n, c.halves[sigTimeout][0].n)
		}
		return grown
	}
	wantFlat(t, "gateway errors", held, 100_000, 1_000_000, 0.25, 8<<20)
}

// An incident whose lists passed their cap quotes the evidence the whole
// lists would: the records the evidence picks past those kept are read
// back from the window's error lines.
func TestEvidencePastTheCapIsTheWholeLists(t *testing.T) {
	f := outageOf(1000) // 20,000 `connect() … (11: …)` lines
	res, err := Analyze(f, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	full, warnings := errorAndFPMRecords(f.events)
	if len(full) <= headCap+sampleCap {
		t.Fatalf("%d lines: within the cap", len(full))
	}
	c, got, want := evidenceAgainstWholeLists(t, res, full, warnings)
	if c.Kind != FPMWorkerExhaustion || !slices.Equal(got, want) || c.EvidenceMore != len(full)+len(warnings)-len(want) {
		t.Errorf("%s: evidence at %v, %d more; want %v, %d more", c.Kind, got, c.EvidenceMore, want, len(full)+len(warnings)-len(want))
	}
}

// readingBack counts the nginx error lines EventsOf hands out: what the
// evidence's read back, and rereadTexts, read of an outage's window.
type readingBack struct {
	*fake
	lines int
}

func (r *readingBack) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return r.fake.EventsOf(kind, from, to, func(ev *patterns.Event) error {
		if ev.Error != nil {
			r.lines++
		}
		return fn(ev)
	})
}

// TestEvidenceReadsBackNearTheCap: the records past the lists' caps are
// read between the records the lists kept around them, not by counting
// the window's error lines again from its start: of an outage's 20,000
// `connect()` lines (each at an instant of its own), the read back reads
// a sample's stride of lines around each record wanted, and rereadTexts
// one line per evidence (the evidence is the whole lists',
// TestEvidencePastTheCapIsTheWholeLists).
func TestEvidenceReadsBackNearTheCap(t *testing.T) {
	const perSecond = 1000
	r := &readingBack{fake: outageOf(perSecond)}
	for i, ev := range r.events {
		if ev.Error != nil {
			ev.Time = ev.Time.Add(time.Duration(i) * time.Microsecond) // within its second: 2 events a line
		}
	}
	res, err := Analyze(r, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	inc := onlyIncident(t, res)
	if inc.RootCause != FPMWorkerExhaustion {
		t.Fatalf("root %s", inc.RootCause)
	}
	// The sample's stride of 20,000 lines is 16: a few of them for the
	// spread's records past the head, and a line per evidence.
	if limit := maxSymptoms*16 + DefaultConfig.Evidence; r.lines > limit || r.lines == 0 {
		t.Errorf("the read back read %d error lines, want 1 to %d (the window holds %d)", r.lines, limit, 20*perSecond)
	}
}

// TestEvidenceReadsBackAmongLinesAlike: lines at the same instant, file
// and offset but of different texts (a renamed log's and the new one's,
// read under one path) cannot anchor the read back, which of them the
// list kept being unknown: those records are counted from the window's
// start, and the evidence is still the whole lists'.
func TestEvidenceReadsBackAmongLinesAlike(t *testing.T) {
	f := outageOf(400)
	var evs []*patterns.Event
	for _, ev := range f.events {
		evs = append(evs, ev)
		if ev.Error != nil {
			for _, again := range []string{" (rotated)", " (new)"} {
				cp := *ev
				cp.Text += again
				evs = append(evs, &cp)
			}
		}
	}
	f.events = evs
	res, err := Analyze(f, TimeRange{t0, at(3600)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	full, warnings := errorAndFPMRecords(f.events)
	c, got, want := evidenceAgainstWholeLists(t, res, full, warnings)
	if c.Kind != FPMWorkerExhaustion || !slices.Equal(got, want) {
		t.Errorf("%s: evidence at %v; want %v", c.Kind, got, want)
	}
}

// errorAndFPMRecords returns the records of events' nginx error lines and
// of their php-fpm lines, in order: the whole lists an outage's evidence
// is picked from.
func errorAndFPMRecords(events []*patterns.Event) (full, warnings []record) {
	for _, ev := range events {
		switch {
		case ev.Error != nil:
			full = append(full, record{Event: ev, Time: ev.Time, Offset: ev.Offset})
		case ev.FPM != nil:
			warnings = append(warnings, record{Event: ev, Time: ev.Time, Offset: ev.Offset})
		}
	}
	return full, warnings
}

// evidenceAgainstWholeLists returns the only incident's first cause, the
// offsets of its evidence and those the whole lists full and warnings
// give (a third of the evidence from the warnings, the symptoms spread
// over the error lines), both sorted.
func evidenceAgainstWholeLists(t *testing.T, res Result, full, warnings []record) (c Cause, got, want []int64) {
	t.Helper()
	c = onlyIncident(t, res).Causes[0]
	want = offsets(append(warnings[:DefaultConfig.Evidence/3], plainSpread(full, maxSymptoms)...))
	for _, ev := range c.Evidence {
		got = append(got, ev.Offset)
	}
	slices.Sort(got)
	slices.Sort(want)
	return c, got, want
}
