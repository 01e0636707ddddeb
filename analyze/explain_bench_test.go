package analyze

import (
	"fmt"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// inOrder is fake with its events already in time order: Events hands
// them out without sorting them anew, as the store reads them, so that a
// benchmark measures explain, not the fake.
type inOrder struct{ *fake }

func (f inOrder) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	for _, ev := range f.events {
		if !ev.Time.Before(from) && ev.Time.Before(to) {
			if err := fn(ev); err != nil {
				return err
			}
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
// $connection (the error line's *CID), as the benchmark's logs have it.
func longOutage(perSecond, seconds int) *fake {
	f := &fake{}
	for s := 40; s < 40+seconds; s++ {
		f.fpm(s, "WARNING", maxChildren)
		for i := range perSecond {
			client, uri := fmt.Sprintf("10.1.%d.%d", i/250, i%250), fmt.Sprintf("/product.php?id=%d", i%500)
			conn := int64(s*perSecond + i + 1)
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: int64(len(f.events)),
				Access: &patterns.Access{RemoteAddr: client, Method: "GET", URI: uri, Protocol: "HTTP/1.1", Status: 502, RequestTime: 0.001, Connection: conn}})
			f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(len(f.events)),
				Text: "connect() failed", Error: &patterns.NginxError{Level: "error", Connection: conn, Message: eagain, Errno: 11, Action: connecting,
					Client: client, Server: "shop.example.com", Request: "GET " + uri + " HTTP/1.1", Upstream: fpmSock + "/product.php", Host: "shop.example.com"}})
		}
	}
	return f
}

// BenchmarkExplainOutage explains one incident of 300,000 gateway errors
// (1,000 a second for five minutes), each with its error line.
func BenchmarkExplainOutage(b *testing.B) {
	const perSecond, seconds = 1000, 300
	f := inOrder{longOutage(perSecond, seconds)}
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
	}
}
