package store

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/timeline"
)

func TestLastUpstream(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9000":                                "127.0.0.1:9000",
		"unix:/run/php/php8.2-fpm.sock":                 "unix:/run/php/php8.2-fpm.sock",
		"10.0.0.1:80, 10.0.0.2:80":                      "10.0.0.2:80",
		"10.0.0.1:80, 10.0.0.2:80 : unix:/run/php.sock": "unix:/run/php.sock",
		"10.0.0.1:80 : 10.0.0.3:80, 10.0.0.4:80":        "10.0.0.4:80",
		"backend":                                       "backend",
		"-":                                             "",
		"":                                              "",
		" 10.0.0.9:8080 ":                               "10.0.0.9:8080",
		"[2001:db8::1]:443":                             "[2001:db8::1]:443",
		"10.0.0.1:80, unix:/run/a.sock : [::1]:9000":     "[::1]:9000",
		"10.0.0.1:80, 10.0.0.2:80, 10.0.0.3:80, 1.2.3.4": "1.2.3.4",
	} {
		if got := string(lastUpstream([]byte(in))); got != want {
			t.Errorf("lastUpstream(%q) = %q, want %q", in, got, want)
		}
	}
}

// Upstream counts survive flushes that merge into stored seconds, and the
// totals by status still count every request, with or without upstream.
func TestUpstreamRollups(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
		w := s.NewWriter()
		w.Request(t0, 200, []byte("127.0.0.1:9000"))
		w.Request(t0, 502, []byte("127.0.0.1:9000"))
		w.Request(t0, 404, nil)
		w.Request(t0, 304, []byte("-"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		w.Request(t0, 502, []byte("10.0.0.1:9000, 127.0.0.1:9000"))
		w.Request(t0, 200, []byte("10.0.0.2:9000"))
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		secs, err := s.Seconds(t0, t0.Add(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		want := []timeline.Second{{
			Time:   t0,
			Status: timeline.Counts{{Code: 200, Count: 2}, {Code: 304, Count: 1}, {Code: 404, Count: 1}, {Code: 502, Count: 2}},
			Upstreams: []timeline.UpstreamCount{
				{Addr: "10.0.0.2:9000", Status: timeline.Counts{{Code: 200, Count: 1}}},
				{Addr: "127.0.0.1:9000", Status: timeline.Counts{{Code: 200, Count: 1}, {Code: 502, Count: 2}}},
			},
		}}
		if !reflect.DeepEqual(secs, want) {
			t.Fatalf("seconds = %+v\nwant %+v", secs, want)
		}
		if got := secs[0].Upstreams[1].Status.Requests(); got != 3 {
			t.Errorf("requests of 127.0.0.1:9000 = %d, want 3", got)
		}
	})
}

// A second names at most maxUpstreams upstreams, also across flushes: the
// rest is counted under timeline.OtherUpstreams, nothing is lost.
func TestUpstreamRollupIsBounded(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		t0 := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
		w := s.NewWriter()
		for i := range maxUpstreams + 10 {
			w.Request(t0, 200, fmt.Appendf(nil, "10.0.%d.1:80", i))
			if i == maxUpstreams/2 {
				if err := w.Flush(); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		secs, err := s.Seconds(t0, t0.Add(time.Second))
		if err != nil || len(secs) != 1 {
			t.Fatal(secs, err)
		}
		ups := secs[0].Upstreams
		if len(ups) != maxUpstreams+1 {
			t.Fatalf("%d upstreams named, want %d and %q", len(ups), maxUpstreams, timeline.OtherUpstreams)
		}
		var total, other int64
		for _, u := range ups {
			total += u.Status.Requests()
			if u.Addr == timeline.OtherUpstreams {
				other = u.Status.Requests()
			}
		}
		if total != maxUpstreams+10 || other != 10 {
			t.Errorf("total %d, other %d; want %d and 10", total, other, maxUpstreams+10)
		}
	})
}

func TestCorruptRollups(t *testing.T) {
	for _, v := range [][]byte{
		{0xff},                   // a cut uvarint
		{1, 200},                 // a pair without its count
		{5, 1, 1},                // more pairs announced than bytes
		{0, 4, 'a', 'b'},         // an address longer than the value
		{0, 0},                   // an empty address
		{0, 1, 'a', 1, 0xc8, 01}, // an upstream pair cut short
	} {
		if _, err := decodeSecond(0, v); !errors.Is(err, errCorruptRollup) {
			t.Errorf("decodeSecond(%v): err = %v, want errCorruptRollup", v, err)
		}
	}
}

// FuzzDecodeRollup: any stored value decodes or fails cleanly, and what
// decodes encodes back to a value that decodes to the same counts.
func FuzzDecodeRollup(f *testing.F) {
	r := newRollup()
	r.add(200, []byte("127.0.0.1:9000"), 7)
	r.add(502, []byte("unix:/run/php.sock"), 2)
	r.add(404, nil, 1)
	f.Add(r.encode())
	f.Add([]byte{0})
	f.Add([]byte{1, 200, 1})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := decodeRollup(v)
		if err != nil {
			if !errors.Is(err, errCorruptRollup) {
				t.Fatalf("err = %v", err)
			}
			if _, err := decodeSecond(0, v); err == nil {
				t.Fatalf("decodeSecond reads %x, decodeRollup does not", v)
			}
			return
		}
		sec, err := decodeSecond(0, v)
		if err != nil {
			t.Fatalf("decodeRollup reads %x, decodeSecond does not: %v", v, err)
		}
		if want := secondOf(r); !reflect.DeepEqual(sec, want) {
			t.Fatalf("decodeSecond = %+v, decodeRollup gives %+v", sec, want)
		}
		again, err := decodeRollup(r.encode())
		if err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !reflect.DeepEqual(normal(r), normal(again)) {
			t.Fatalf("round trip changed the counts: %+v → %+v", r, again)
		}
	})
}

// normal is a rollup as one map, for comparison.
func normal(r *rollup) map[string]map[int]int64 {
	out := map[string]map[int]int64{"": r.status}
	for a, m := range r.up {
		out[a] = m
	}
	return out
}

// secondOf is the Second a rollup reads as.
func secondOf(r *rollup) timeline.Second {
	sec := timeline.Second{Time: time.Unix(0, 0).UTC(), Status: sortedCounts(r.status)}
	for addr, m := range r.up {
		sec.Upstreams = append(sec.Upstreams, timeline.UpstreamCount{Addr: addr, Status: sortedCounts(m)})
	}
	slices.SortFunc(sec.Upstreams, func(a, b timeline.UpstreamCount) int { return cmp.Compare(a.Addr, b.Addr) })
	return sec
}
