package pipeline

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
)

// sighting is one request seen in a log: who asked (empty when the log does
// not say, as php-fpm's), what ("GET /slow.php?id=3"), and when.
type sighting struct {
	Client  string
	Request string
	Time    time.Time
}

// requestIndex remembers the requests of the access logs, whose stamps
// carry their UTC offset, so that logs whose stamps carry none (the nginx
// error log, php-fpm's log) can be lined up with them: an error log's line
// about a failed request is written within seconds of the access log's line
// for it. See offsetVotes.
//
// A request is known by a 64-bit hash of its client and request line (xxhash:
// two of a million requests share one with a chance of ~1 in 30 million,
// and would only add a vote), and most are seen once: its first instant is
// kept in the map, the others, when there are, in more. The maps hold no
// pointer for the collector to follow. Keyed by the strings, with a slice
// of instants each, the index held ~32 MB of a 1 GB outage's load; now ~12.
//
// Its bounds leave holes: once full, the failed requests of later hours
// are not remembered (dropped says which hours), and a request seen
// maxPerRequest times keeps no later instant. A zoneless log's line from
// such an hour would find its request only at other hours, and vote for
// the offset that reaches them: on an outage-heavy day the index filled
// with the morning's 502s, and php-fpm's log, whose lines of the
// afternoon's incident name popular URIs and no client, was read 12 hours
// off (+13:00 for +01:00), its records outside the incident they explain.
// offsetVotes leaves such lines out (Observe).
type requestIndex struct {
	byClient  map[uint64]instants // client + request → access-log instants
	byRequest map[uint64]instants // request → access-log instants
	more      [][]instant         // the instants of the keys seen more than once
	dropped   map[int64]bool      // hours (UTC, since 1970) with failed requests Add could not take
}

// instants are the access-log instants of one key: the first, and all of
// them in more[more-1] when there are more than one.
type instants struct {
	sec  int64 // the first's, since 1970, UTC
	nsec int32
	more int32 // 1 + the index in requestIndex.more of all of them; 0: the first is the only one
}

// add appends at to the instants of k in m, up to maxPerRequest of them.
func (x *requestIndex) add(m map[uint64]instants, k uint64, at instant) {
	t, ok := m[k]
	switch {
	case !ok && len(m) >= maxIndexedRequests:
		// The same few requests from ever more clients (every address
		// asking for "/") leave byRequest small: byClient's keys have the
		// same bound. (A key left out matches no sighting: no hole.)
	case !ok:
		m[k] = instants{sec: at.sec, nsec: at.nsec}
	case t.more == 0:
		x.more = append(x.more, []instant{{t.sec, t.nsec}, at})
		t.more = int32(len(x.more))
		m[k] = t
	case len(x.more[t.more-1]) < maxPerRequest:
		x.more[t.more-1] = append(x.more[t.more-1], at)
	}
}

// times returns the instants of k in m, in the order they were added.
func (x *requestIndex) times(m map[uint64]instants, k uint64) []instant {
	t, ok := m[k]
	switch {
	case !ok:
		return nil
	case t.more > 0:
		return x.more[t.more-1]
	}
	return []instant{{t.sec, t.nsec}}
}

// keys returns the keys of a sighting's request, and of its client and
// request: the xxhash of the request line, and that mixed with the
// client's. (FNV-1a of each, a byte at a time and the request line twice,
// was two thirds of Add's time.)
func keys(s sighting) (request, client uint64) {
	request = xxhash.Sum64String(s.Request)
	c := xxhash.Sum64String(s.Client)
	// A multiply and a rotation of the client's, so that a client and
	// request swapped, or equal, give no key of their own twice.
	return request, request ^ bits.RotateLeft64(c*0x9e3779b97f4a7c15, 31)
}

// instant is an instant as the index keeps it: 16 bytes without a pointer
// where a time.Time takes 24 with one (its zone) for the collector to
// follow: at its bound the index held ~32 MB of a 1 GB outage's load.
type instant struct {
	sec  int64 // since 1970, UTC
	nsec int32
}

func instantOf(t time.Time) instant { return instant{t.Unix(), int32(t.Nanosecond())} }

// hour is the hour of a, since 1970, UTC.
func (a instant) hour() int64 { return floorDiv(a.sec, 3600) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// since is a − b, as time.Time's Sub gives it, and false when the two are
// more than a day apart (Sub would saturate past ±292 years: no distance
// that far is a zone's).
func (a instant) since(b instant) (time.Duration, bool) {
	ds := a.sec - b.sec
	if (ds < 0) != (a.sec < b.sec) || ds > 86400 || ds < -86400 { // overflowed, or too far
		return 0, false
	}
	return time.Duration(ds)*time.Second + time.Duration(a.nsec-b.nsec), true
}

// Bounds: the requests remembered (those of failed requests are the ones
// error logs name), the instants kept per request, and how close to a whole
// quarter of an hour a distance must be to count.
const (
	maxIndexedRequests = 100_000
	maxPerRequest      = 64
	zoneSlack          = 2 * time.Minute
	quarterHour        = 15 * 60
)

// newRequestIndex returns an empty index.
func newRequestIndex() *requestIndex {
	return &requestIndex{byClient: map[uint64]instants{}, byRequest: map[uint64]instants{}, dropped: map[int64]bool{}}
}

// Add remembers one request of an access log, its instant in UTC. It
// reports false once the index holds as many requests as it may (and
// notes its hour as one the index does not cover).
func (x *requestIndex) Add(s sighting) bool {
	at := instantOf(s.Time)
	if len(x.byRequest) >= maxIndexedRequests {
		x.dropped[at.hour()] = true
		return false
	}
	request, client := keys(s)
	x.add(x.byClient, client, at)
	x.add(x.byRequest, request, at)
	return true
}

// Len is the number of distinct requests remembered.
func (x *requestIndex) Len() int { return len(x.byRequest) }

// offsetVotes infers the UTC offset of one zoneless log: its stamps are
// read as if they were UTC, and the distance to the access-log lines of the
// same requests is then its offset.
type offsetVotes struct {
	x       *requestIndex
	assumed int         // the access logs' offset, seconds east of UTC
	votes   map[int]int // offset in seconds → sightings it explains
	seen    int         // sightings that matched an access-log request at some offset
}

// Votes starts the inference of one zoneless log's offset; assumed is the
// access logs' (commonOffset), the one the log most likely shares.
func (x *requestIndex) Votes(assumed int) *offsetVotes {
	return &offsetVotes{x: x, assumed: assumed, votes: map[int]int{}}
}

// Observe counts one request named by the zoneless log, its stamp read as
// UTC. Each access-log instant of the same request (of the same client
// too, when the sighting names one) votes for the offset, a whole number of
// quarter hours within ±14 h, that puts the two within zoneSlack of each
// other; one sighting votes once per offset.
//
// A sighting votes only where the assumed offset could have matched it:
// when, read in that offset, it falls in an hour the index covers and,
// for a request the index stopped keeping instants of, within those it
// kept. Else its only matches would be at other hours, and vote for a
// wrong offset (requestIndex).
//
// It reports whether the index holds the request at all: only such a
// sighting can vote. An error log names many requests that did not fail
// (a 404's "open() … failed (2: No such file or directory)", a 403's
// "access forbidden by rule"), and the index holds only failed ones.
func (v *offsetVotes) Observe(s sighting) (known bool) {
	stamp := instantOf(s.Time)
	request, client := keys(s)
	times := v.x.times(v.x.byRequest, request)
	if s.Client != "" {
		times = v.x.times(v.x.byClient, client)
	}
	if len(times) == 0 {
		return false
	}
	if !v.covered(instant{stamp.sec - int64(v.assumed), stamp.nsec}, times) {
		return true
	}
	var voted []int
	for _, at := range times {
		dd, near := stamp.since(at) // the local stamp read as UTC, minus the true instant
		if !near {
			continue // and so more than 14 h
		}
		d := dd.Seconds()
		if math.Abs(d) > 14*3600 {
			continue
		}
		off := int(math.Round(d/quarterHour)) * quarterHour
		if math.Abs(d-float64(off)) <= zoneSlack.Seconds() && !slices.Contains(voted, off) {
			voted = append(voted, off)
		}
	}
	if len(voted) > 0 {
		v.seen++
	}
	for _, off := range voted {
		v.votes[off]++
	}
	return true
}

// covered reports whether the index holds what it saw of the access logs
// around at: no failed request of those hours refused, and at not past
// the instants kept of a request that has as many as it may.
func (v *offsetVotes) covered(at instant, times []instant) bool {
	slack := int64(zoneSlack / time.Second)
	if v.x.dropped[instant{sec: at.sec - slack}.hour()] || v.x.dropped[instant{sec: at.sec + slack}.hour()] {
		return false
	}
	if len(times) < maxPerRequest {
		return true
	}
	first, last := times[0].sec, times[0].sec
	for _, t := range times {
		first, last = min(first, t.sec), max(last, t.sec)
	}
	return at.sec >= first-slack && at.sec <= last+slack
}

// inferred is the outcome of a ZoneInference.
type inferred struct {
	Offset  int // seconds east of UTC
	Matched int // sightings that the offset explains
	Seen    int // sightings that matched an access-log request at any offset
}

// minZoneMatches is how many sightings an offset must explain to be taken.
const minZoneMatches = 3

// Result returns the offset that explains the most sightings, when at least
// minZoneMatches and two thirds of those that matched at all agree on it.
func (v *offsetVotes) Result() (inferred, bool) {
	best := inferred{Seen: v.seen}
	for off, n := range v.votes {
		if n > best.Matched || (n == best.Matched && abs(off) < abs(best.Offset)) {
			best.Offset, best.Matched = off, n
		}
	}
	ok := best.Matched >= minZoneMatches && 3*best.Matched >= 2*v.seen
	return best, ok
}

func abs(x int) int { return max(x, -x) }

// Zone is the offset as a fixed zone named like "UTC+01:00".
func (i inferred) Zone() *time.Location {
	return time.FixedZone("UTC"+formatOffset(i.Offset), i.Offset)
}

// formatOffset writes seconds east of UTC as ±HH:MM.
func formatOffset(sec int) string {
	sign := '+'
	if sec < 0 {
		sign, sec = '-', -sec
	}
	return fmt.Sprintf("%c%02d:%02d", sign, sec/3600, sec%3600/60)
}
