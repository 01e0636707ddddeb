package analyze

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// inOrder is fake with its events already in time order: Events hands
// them out without sorting them anew, from the first of the range found by
// a binary search, as the store reads them by its keys, so that a
// benchmark measures explain, not the fake (rereadTexts reads a dozen
// single instants back).
type inOrder struct{ *fake }

func (f inOrder) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	i, _ := slices.BinarySearchFunc(f.events, from, func(ev *patterns.Event, t time.Time) int { return ev.Time.Compare(t) })
	for _, ev := range f.events[i:] {
		if !ev.Time.Before(to) {
			return nil
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}

func (f inOrder) EventsOf(kind patterns.Kind, from, to time.Time, fn func(*patterns.Event) error) error {
	return f.Events(from, to, func(ev *patterns.Event) error {
		if ev.Kind != kind {
			return nil
		}
		return fn(ev)
	})
}

// longOutage is a PHP-FPM outage of perSecond gateway errors a second
// over seconds seconds, as outageOf's but for the access log's
// $connection (the error line's *CID) when withConn; without it (nginx's
// combined format, as the 1 GB outage's access log has it) the linker
// links them by client and request line. Its clients are a request's own
// over 200 seconds: the top list's counter goes past its exact count.
func longOutage(perSecond, seconds int, withConn bool) *fake {
	f := &fake{}
	for s := 40; s < 40+seconds; s++ {
		f.fpm(s, "WARNING", maxChildren)
		for i := range perSecond {
			client, uri := fmt.Sprintf("10.%d.%d.%d", s%200, i/250, i%250), fmt.Sprintf("/product.php?id=%d", i%500) // a client a request, as an outage's
			conn, accessConn := int64(s*perSecond+i+1), int64(0)
			if withConn {
				accessConn = conn
			}
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: int64(len(f.events)),
				Access: &patterns.Access{RemoteAddr: client, Method: "GET", URI: uri, Protocol: "HTTP/1.1", Status: 502, RequestTime: 0.001, Connection: accessConn}})
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)),
				Text: "connect() failed", Error: &patterns.NginxError{Level: "error", Connection: conn, Message: eagain, Errno: 11, Action: connecting,
					Client: client, Server: "shop.example.com", Request: "GET " + uri + " HTTP/1.1", Upstream: fpmSock + "/product.php", Host: "shop.example.com"}})
		}
	}
	return f
}

// BenchmarkExplainOutage explains one incident of 300,000 gateway errors
// (1,000 a second for five minutes), each with its error line: linked by
// connection number, or (ByRequest) by client and request line, as the
// 1 GB outage's access log (no $connection) has them linked.
func BenchmarkExplainOutage(b *testing.B) {
	for _, c := range []struct {
		name     string
		withConn bool
	}{{"ByConnection", true}, {"ByRequest", false}} {
		b.Run(c.name, func(b *testing.B) {
			const perSecond, seconds = 1000, 300
			f := inOrder{longOutage(perSecond, seconds, c.withConn)}
			w := window{start: at(40), end: at(40 + seconds), gateway: perSecond * seconds}
			b.ReportAllocs()
			for b.Loop() {
				inc, _, err := explain(f, w, DefaultConfig)
				if err != nil {
					b.Fatal(err)
				}
				if got := inc.Causes[0].Kind; got != FPMWorkerExhaustion {
					b.Fatalf("cause %s", got)
				}
				if got := inc.Causes[0].Confidence; got != 0.95 {
					b.Fatalf("confidence %v: the gateway errors were not all linked", got)
				}
			}
		})
	}
}

// slowDatabase is a pool held by a database in trouble over seconds
// seconds: each second php-fpm's max_children warning, 10 gateway errors
// with their error lines, perSecond slow-log entries (of 20 classes, each
// 10 s or more) and perSecond/2 traces waiting in a query, in time order.
func slowDatabase(perSecond, seconds int) *fake {
	f := &fake{}
	for s := 40; s < 40+seconds; s++ {
		f.fpm(s, "WARNING", maxChildren)
		f.access(s, 502, "/cart.php", 10)
		f.nginx(s, 10, 11, eagain, connecting, fpmSock)
		for i := range perSecond {
			f.slow(s, 10+float64(i%7), fmt.Sprintf("SELECT * FROM t%d WHERE id = %d", i%20, i), fmt.Sprintf("select * from t%d where id = ?", i%20))
			if i%2 == 0 {
				f.trace(s, "PDOStatement->execute", "/var/www/lib/db.php", 40+i%3)
			}
		}
	}
	return f
}

// BenchmarkExplainSlowDatabase explains one incident of 100,000 slow-log
// entries and 50,000 traces (1,000 and 500 a second for 100 seconds): the
// rules read every one of them, aggregated as they come.
func BenchmarkExplainSlowDatabase(b *testing.B) {
	const perSecond, seconds = 1000, 100
	f := inOrder{slowDatabase(perSecond, seconds)}
	var size int64
	for _, ev := range f.events {
		size += int64(len(ev.Text))
	}
	w := window{start: at(40), end: at(40 + seconds), gateway: 10 * seconds}
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		inc, _, err := explain(f, w, DefaultConfig)
		if err != nil {
			b.Fatal(err)
		}
		if !slices.ContainsFunc(inc.Causes, func(c Cause) bool { return c.Kind == SlowQueries }) {
			b.Fatalf("causes %+v", inc.Causes)
		}
	}
}
