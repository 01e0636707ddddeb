package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// errorLogAt returns the sightings an error log written in zone off would
// make of the access log's requests: each stamp in local time read as UTC,
// lag seconds later than the access-log line.
func errorLogAt(reqs []sighting, off int, lag time.Duration) []sighting {
	var out []sighting
	for _, r := range reqs {
		out = append(out, sighting{Client: r.Client, Request: r.Request, Time: r.Time.Add(time.Duration(off)*time.Second + lag)})
	}
	return out
}

func failedRequests(n int) []sighting {
	var out []sighting
	for i := range n {
		out = append(out, sighting{Client: fmt.Sprintf("10.0.0.%d", i%7), Request: fmt.Sprintf("GET /slow.php?id=%d", i%5), Time: zoneT0.Add(time.Duration(i) * time.Second)})
	}
	return out
}

func TestZoneInference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		off    int
		lag    time.Duration
		client bool
	}{
		{"same zone", 0, 0, true},
		{"Paris in winter", 3600, 0, true},
		{"India, lines a second apart", 5*3600 + 1800, time.Second, true},
		{"Nepal", 5*3600 + 2700, -time.Second, true},
		{"New York", -5 * 3600, 0, true},
		{"a 60 s timeout's line before the access line", 7200, -60 * time.Second, true},
		{"php-fpm names no client", 3600, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newRequestIndex()
			reqs := failedRequests(200)
			for _, r := range reqs {
				x.Add(r)
			}
			v := x.Votes(0)
			for _, s := range errorLogAt(reqs[50:80], tc.off, tc.lag) {
				if !tc.client {
					s.Client = ""
				}
				v.Observe(s)
			}
			got, ok := v.Result()
			if !ok || got.Offset != tc.off || got.Matched != 30 || got.Seen != 30 {
				t.Errorf("Result() = %+v, %v; want offset %d from 30 of 30", got, ok, tc.off)
			}
		})
	}
}

func TestZoneInferenceNeedsAgreement(t *testing.T) {
	x := newRequestIndex()
	reqs := failedRequests(100)
	for _, r := range reqs {
		x.Add(r)
	}
	// Two sightings are not enough.
	v := x.Votes(0)
	for _, s := range errorLogAt(reqs[:2], 3600, 0) {
		v.Observe(s)
	}
	if got, ok := v.Result(); ok {
		t.Errorf("inferred %+v from two sightings", got)
	}
	// Half at one offset, half at another: no answer.
	v = x.Votes(0)
	for _, s := range append(errorLogAt(reqs[:10], 3600, 0), errorLogAt(reqs[10:20], 7200, 0)...) {
		v.Observe(s)
	}
	if got, ok := v.Result(); ok {
		t.Errorf("inferred %+v from a split vote", got)
	}
	// Requests the access log never saw, or seen hours away, do not vote.
	v = x.Votes(0)
	v.Observe(sighting{Client: "10.9.9.9", Request: "GET /slow.php?id=1", Time: zoneT0})
	v.Observe(sighting{Client: "10.0.0.1", Request: "GET /other", Time: zoneT0})
	v.Observe(sighting{Client: "10.0.0.1", Request: "GET /slow.php?id=1", Time: zoneT0.Add(20 * time.Hour)})
	v.Observe(sighting{Client: "10.0.0.1", Request: "GET /slow.php?id=1", Time: zoneT0.Add(1*time.Hour + 7*time.Minute)}) // between quarters
	if got, _ := v.Result(); got.Seen != 0 || got.Matched != 0 {
		t.Errorf("unmatched sightings voted: %+v", got)
	}
}

func TestRequestIndexIsBounded(t *testing.T) {
	x := newRequestIndex()
	for i := range maxIndexedRequests + 10 {
		x.Add(sighting{Client: "c", Request: fmt.Sprint("GET /", i), Time: zoneT0})
	}
	for range maxPerRequest + 10 {
		x.Add(sighting{Client: "c", Request: "GET /0", Time: zoneT0})
	}
	if x.Len() != maxIndexedRequests || len(x.times(x.byRequest, requestKey("GET /0"))) > maxPerRequest || len(x.times(x.byClient, clientKey("c", "GET /0"))) > maxPerRequest {
		t.Errorf("index holds %d requests, %d instants of one", x.Len(), len(x.times(x.byRequest, requestKey("GET /0"))))
	}
}

// Every client asking for the same page: one request, ever more clients.
// The index's client keys are bounded as its requests are, and the
// clients it took still vote.
func TestRequestIndexOfManyClientsIsBounded(t *testing.T) {
	x := newRequestIndex()
	for i := range 2*maxIndexedRequests + 10 {
		x.Add(sighting{Client: fmt.Sprint("10.0.", i/256, ".", i%256), Request: "GET /", Time: zoneT0})
	}
	if len(x.byClient) != maxIndexedRequests {
		t.Errorf("index holds %d client keys, want at most %d", len(x.byClient), maxIndexedRequests)
	}
	v := x.Votes(0)
	v.Observe(sighting{Client: "10.0.0.1", Request: "GET /", Time: zoneT0.Add(time.Hour)})
	if got, _ := v.Result(); got.Matched != 1 {
		t.Errorf("a remembered client's sighting: %+v, want it matched", got)
	}
}

var zoneT0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

// The index's instants vote as time.Time's did, whatever the years (a
// hostile or damaged line's): an hour apart is an hour, at year 1 and 9999
// too, and stamps centuries apart are no zone's.
func TestSightingsOfFarYearsVoteAsTimesDo(t *testing.T) {
	x := newRequestIndex()
	for _, y := range []int{1, 1900, 9999} {
		x.Add(sighting{Client: "c", Request: "GET /", Time: time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	v := x.Votes(0)
	for _, y := range []int{1, 9999} {
		v.Observe(sighting{Client: "c", Request: "GET /", Time: time.Date(y, 1, 1, 1, 0, 0, 500, time.UTC)})
	}
	v.Observe(sighting{Client: "c", Request: "GET /", Time: time.Date(5000, 1, 1, 0, 0, 0, 0, time.UTC)})
	if got, ok := v.Result(); got.Seen != 2 || got.Matched != 2 || got.Offset != 3600 {
		t.Errorf("votes %+v (%v), want the two sightings an hour after theirs", got, ok)
	}
	at, sub := instantOf(time.Date(2026, 1, 1, 0, 0, 1, 250, time.UTC)), time.Date(2026, 1, 1, 0, 0, 0, 999_999_999, time.UTC)
	if d, ok := at.since(instantOf(sub)); !ok || d != time.Date(2026, 1, 1, 0, 0, 1, 250, time.UTC).Sub(sub) {
		t.Errorf("since = %v %v", d, ok)
	}
}

// A request's instants are kept in the order seen, the first alone until a
// second comes, up to maxPerRequest; a client's are apart from another's.
func TestRequestIndexKeepsEachRequestsInstants(t *testing.T) {
	x := newRequestIndex()
	x.Add(sighting{Client: "10.0.0.1", Request: "GET /once", Time: zoneT0})
	for i := range maxPerRequest + 10 {
		x.Add(sighting{Client: "10.0.0.2", Request: "GET /often", Time: zoneT0.Add(time.Duration(i) * time.Second)})
	}
	if got := x.times(x.byClient, clientKey("10.0.0.1", "GET /once")); len(got) != 1 || got[0] != instantOf(zoneT0) {
		t.Errorf("a request seen once: %v", got)
	}
	often := x.times(x.byRequest, requestKey("GET /often"))
	if len(often) != maxPerRequest {
		t.Fatalf("%d instants of a request seen %d times, want %d", len(often), maxPerRequest+10, maxPerRequest)
	}
	for i, at := range often {
		if want := instantOf(zoneT0.Add(time.Duration(i) * time.Second)); at != want {
			t.Fatalf("instant %d: %v, want %v", i, at, want)
		}
	}
	if got := x.times(x.byClient, clientKey("10.0.0.1", "GET /often")); got != nil {
		t.Errorf("another client's request: %v", got)
	}
	if clientKey("ab", "c") == clientKey("a", "bc") || clientKey("a", "b") == clientKey("b", "a") || clientKey("", "a") == requestKey("a") {
		t.Error("client and request not kept apart in the key")
	}
}

// The index full with the morning's failed requests: the afternoon's are
// not in it. A zoneless log in the access log's zone (+01:00) that names
// the afternoon's requests, without clients (php-fpm), finds them only in
// the morning, 12 hours before: such sightings must not vote (they did,
// for +13:00, on an outage-heavy day), while the morning's still do.
func TestZoneInferenceLeavesOutHoursTheIndexDropped(t *testing.T) {
	const paris = 3600
	morning, afternoon := zoneT0.Add(-11*time.Hour), zoneT0.Add(time.Hour) // 02:00 and 14:00 UTC
	x := newRequestIndex()
	for i := range maxIndexedRequests {
		x.Add(sighting{Client: "c", Request: fmt.Sprintf("GET /product.php?id=%d", i), Time: morning.Add(time.Duration(i%600) * time.Second)})
	}
	for i := range 50 {
		if x.Add(sighting{Client: "c", Request: fmt.Sprintf("GET /product.php?id=%d", i), Time: afternoon.Add(time.Duration(i) * time.Second)}) {
			t.Fatal("the full index took another request")
		}
	}
	v := x.Votes(paris)
	for i := range 50 { // php-fpm's lines of the afternoon, in +01:00 read as UTC
		v.Observe(sighting{Request: fmt.Sprintf("GET /product.php?id=%d", i), Time: afternoon.Add(paris*time.Second + time.Duration(i)*time.Second)})
	}
	if got, ok := v.Result(); ok || got.Seen != 0 {
		t.Errorf("the afternoon's sightings: %+v, %v; want none counted", got, ok)
	}
	for i := range 50 { // and of the morning, which the index holds
		v.Observe(sighting{Request: fmt.Sprintf("GET /product.php?id=%d", i), Time: morning.Add(paris*time.Second + time.Duration(i)*time.Second)})
	}
	if got, ok := v.Result(); !ok || got.Offset != paris || got.Matched != 50 {
		t.Errorf("the morning's sightings: %+v, %v; want +01:00 from 50", got, ok)
	}
}

// A request seen more often than the index keeps instants of (every
// visitor's "GET /"): a sighting past the last instant kept cannot be
// lined up with its own, and must not vote for the distance to the
// earlier ones.
func TestZoneInferenceLeavesOutRequestsPastTheirInstants(t *testing.T) {
	const paris = 3600
	x := newRequestIndex()
	for i := range maxPerRequest + 10 { // the first maxPerRequest at 13:00–13:01, the rest at 20:00 dropped
		at := zoneT0.Add(time.Duration(i) * time.Second)
		if i >= maxPerRequest {
			at = zoneT0.Add(7 * time.Hour)
		}
		x.Add(sighting{Client: "c", Request: "GET /", Time: at})
	}
	v := x.Votes(paris)
	v.Observe(sighting{Request: "GET /", Time: zoneT0.Add(7*time.Hour + paris*time.Second)})
	if got, ok := v.Result(); ok || got.Seen != 0 {
		t.Errorf("a sighting past the instants kept: %+v, %v; want it not counted", got, ok)
	}
	for range 3 {
		v.Observe(sighting{Request: "GET /", Time: zoneT0.Add(30*time.Second + paris*time.Second)})
	}
	if got, ok := v.Result(); !ok || got.Offset != paris || got.Matched != 3 {
		t.Errorf("sightings among the instants kept: %+v, %v; want +01:00 from 3", got, ok)
	}
}

// BenchmarkRequestIndexAdd: the failed requests of an outage's access log
// remembered (a few thousand clients asking for a few hundred URIs), as a
// batch load adds each one.
func BenchmarkRequestIndexAdd(b *testing.B) {
	sightings := make([]sighting, 4096)
	var size int64
	for i := range sightings {
		sightings[i] = sighting{
			Client:  fmt.Sprintf("203.0.%d.%d", i%23, (i*7)%251),
			Request: fmt.Sprintf("GET /shop/product.php?id=%d&ref=campaign-%d", (i*31)%400, i%9),
			Time:    zoneT0.Add(time.Duration(i) * 250 * time.Millisecond),
		}
		size += int64(len(sightings[i].Client) + len(sightings[i].Request))
	}
	b.ReportAllocs()
	b.SetBytes(size / int64(len(sightings)))
	x := newRequestIndex()
	i := 0
	for b.Loop() {
		x.Add(sightings[i%len(sightings)])
		if i++; i%(1<<20) == 0 {
			x = newRequestIndex() // stay below the bound
		}
	}
}

func requestKey(request string) uint64 {
	k, _ := keys(sighting{Request: request})
	return k
}

func clientKey(client, request string) uint64 {
	_, k := keys(sighting{Client: client, Request: request})
	return k
}

// An error log whose named requests the index does not hold (404s) is read
// past them to the failed ones, up to the records inferOffset may read.
func TestZoneInferenceReadsPastUnknownRequestsUpToItsBound(t *testing.T) {
	x := newRequestIndex()
	failed := failedRequests(20)
	for _, s := range failed {
		x.Add(s)
	}
	var log strings.Builder
	paris := 3600
	for i := range 50 { // the 404s, before the failed requests
		at := zoneT0.Add(time.Duration(paris)*time.Second - time.Hour + time.Duration(i)*time.Second)
		fmt.Fprintf(&log, "%s [error] 812#812: *%d open() \"/var/www/shop/p%d.txt\" failed (2: No such file or directory), client: 192.0.2.%d, server: shop.example.test, request: \"GET /p%d.txt HTTP/1.1\", host: \"shop.example.test\"\n",
			at.Format("2006/01/02 15:04:05"), i+1, i, i+1, i)
	}
	for i, s := range errorLogAt(failed, paris, time.Second) {
		fmt.Fprintf(&log, "%s [error] 812#812: *%d connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: %s, server: shop.example.test, request: \"%s HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"shop.example.test\"\n",
			s.Time.Format("2006/01/02 15:04:05"), 100+i, s.Client, s.Request)
	}
	path := filepath.Join(t.TempDir(), "error.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d := File{Path: path, Format: Format{Kind: patterns.KindNginxError}}
	limits := ingest.Limits{MaxLine: 8192, MaxRecord: 256 << 10}

	inf, found, err := inferOffset(context.Background(), d, limits, x, 0, 1000)
	if err != nil || !found || inf.Offset != paris || inf.Matched != 20 || inf.Seen != 20 {
		t.Errorf("read whole: %+v, %v, %v; want +01:00 from 20 of 20", inf, found, err)
	}
	inf, found, err = inferOffset(context.Background(), d, limits, x, 0, 50)
	if err != nil || found || inf.Seen != 0 {
		t.Errorf("read up to the 404s' end: %+v, %v, %v; want nothing seen", inf, found, err)
	}
}
