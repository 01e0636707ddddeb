package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

var t0 = time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)

func open(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestEventsRoundTripInTimeOrder(t *testing.T) {
	s := open(t)
	w := s.NewWriter()
	evs := []*patterns.Event{
		{Time: t0.Add(2 * time.Second), Kind: patterns.KindFPMError, Path: "php-fpm.log", Offset: 10, Text: "b",
			FPM: &patterns.FPMError{Level: "WARNING", Pool: "www", Message: "server reached pm.max_children setting (4), consider raising it"}},
		{Time: t0, Kind: patterns.KindNginxError, Path: "error.log", Offset: 0, Text: "a",
			Error: &patterns.NginxError{Level: "error", PID: 1, Errno: 11, Upstream: "fastcgi://unix:/x.sock:"}},
		{Time: t0.Add(time.Hour), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: 99, Text: "c",
			Access: &patterns.Access{Status: 502, URI: "/x"}},
	}
	flushAll(t, w, evs)
	got := eventsIn(t, s, t0, t0.Add(time.Minute))
	if len(got) != 2 || !reflect.DeepEqual(got[0], evs[1]) || !reflect.DeepEqual(got[1], evs[0]) {
		t.Fatalf("events in the first minute = %+v", got)
	}
	got = nil
	if err := s.EventsOf(patterns.KindFPMError, t0, t0.Add(2*time.Hour), func(ev *patterns.Event) error { got = append(got, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !reflect.DeepEqual(got[0], evs[0]) {
		t.Fatalf("fpm_error events = %+v, want only the FPM one", got)
	}
	first, last, ok, err := s.Range()
	if err != nil || !ok || !first.Equal(t0) || !last.Equal(t0.Add(time.Hour)) {
		t.Errorf("Range = %v %v %v %v", first, last, ok, err)
	}
}

// writeAll writes evs into s and flushes them.
func writeAll(t testing.TB, s *Store, evs []*patterns.Event) {
	t.Helper()
	flushAll(t, s.NewWriter(), evs)
}

// flushAll hands evs to w and flushes it.
func flushAll(t testing.TB, w *Writer, evs []*patterns.Event) {
	t.Helper()
	for _, ev := range evs {
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// eventsIn returns the events s holds in [from, to).
func eventsIn(t *testing.T, s *Store, from, to time.Time) []*patterns.Event {
	t.Helper()
	var got []*patterns.Event
	if err := s.Events(from, to, func(ev *patterns.Event) error { got = append(got, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// EventsBare hands out the events bare accepts without their text, the
// others whole; a slow-log entry keeps its text, where its statement is.
// The access, error and PHP-FPM events it leaves bare are lent: the test
// keeps copies of them (owned), as analysis copies what it keeps.
func TestEventsBareLeavesOutTheTextOfThoseAsked(t *testing.T) {
	s := open(t)
	evs := []*patterns.Event{
		{Time: t0, Kind: patterns.KindNginxError, Path: "error.log", Offset: 0, Text: "an error line",
			Error: &patterns.NginxError{Level: "error", PID: 1, Errno: 11}},
		{Time: t0.Add(time.Second), Kind: patterns.KindFPMError, Path: "php-fpm.log", Offset: 10, Text: "an fpm line",
			FPM: &patterns.FPMError{Level: "WARNING", Pool: "www"}},
		{Time: t0.Add(2 * time.Second), Kind: patterns.KindNginxError, Path: "error.log", Offset: 99, Text: "another error line",
			Error: &patterns.NginxError{Level: "crit", PID: 1, Errno: 2}},
		{Time: t0.Add(3 * time.Second), Kind: patterns.KindMySQLSlow, Path: "slow.log", Offset: 5, Text: "# Query_time: 2.5\nSELECT 1;\n",
			Slow: &patterns.SlowQuery{QueryTime: 2.5, Query: "SELECT 1;"}},
		{Time: t0.Add(4 * time.Second), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: 7, Text: `10.0.0.1 - - "GET /a HTTP/1.1" 502`,
			Access: &patterns.Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: "/a", Protocol: "HTTP/1.1", Status: 502, RequestTime: 0.5,
				UpstreamAddr: "unix:/run/php.sock"}},
		{Time: t0.Add(5 * time.Second), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: 80, Text: `10.0.0.2 - - "POST /b HTTP/2.0" 504`,
			Access: &patterns.Access{RemoteAddr: "10.0.0.2", Method: "POST", URI: "/b", Protocol: "HTTP/2.0", Status: 504}},
	}
	writeAll(t, s, evs)
	var got []*patterns.Event
	bare := func(ev *patterns.Event) bool { return ev.Error != nil || ev.Slow != nil || ev.Access != nil }
	owned := func(ev *patterns.Event) *patterns.Event { // a copy of every field, through the codec
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		c, err := decodeEvent(eventKey(ev), v)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if err := s.EventsBare(t0, t0.Add(time.Minute), bare, func(ev *patterns.Event) error { got = append(got, owned(ev)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evs) {
		t.Fatalf("%d events, want %d", len(got), len(evs))
	}
	for i, ev := range got {
		want := *evs[i]
		if want.Error != nil || want.Access != nil {
			want.Text = ""
		}
		if !reflect.DeepEqual(ev, &want) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, ev, &want)
		}
	}
}

func TestSameRecordTwiceIsStoredOnce(t *testing.T) {
	s := open(t)
	for range 2 {
		w := s.NewWriter()
		w.Event(&patterns.Event{Time: t0, Kind: patterns.KindNginxError, Path: "e.log", Offset: 5, Error: &patterns.NginxError{}})
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	s.Events(t0, t0.Add(time.Second), func(*patterns.Event) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d events, want 1", n)
	}
}

func TestSecondsMergeAcrossFlushes(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		for i := range 10 {
			w.Request(t0.Add(time.Duration(i%2)*time.Second+time.Duration(i)*time.Millisecond), 200, nil)
		}
		w.Request(t0, 502, nil)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		w.Request(t0, 502, nil)
		w.Request(t0.Add(3*time.Second), 504, nil)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		secs, err := s.Seconds(t0, t0.Add(time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := []timeline.Second{
			{Time: t0, Status: []timeline.StatusCount{{Code: 200, Count: 5}, {Code: 502, Count: 2}}},
			{Time: t0.Add(time.Second), Status: []timeline.StatusCount{{Code: 200, Count: 5}}},
			{Time: t0.Add(3 * time.Second), Status: []timeline.StatusCount{{Code: 504, Count: 1}}},
		}
		if !reflect.DeepEqual(secs, want) {
			t.Fatalf("seconds = %+v, want %+v", secs, want)
		}
		if secs[0].Requests() != 7 || secs[0].Count(502) != 2 || secs[0].Count(404) != 0 {
			t.Errorf("Requests/Count wrong: %d %d", secs[0].Requests(), secs[0].Count(502))
		}
		if part, _ := s.Seconds(t0.Add(time.Second), t0.Add(3*time.Second)); len(part) != 1 {
			t.Errorf("[t0+1s, t0+3s) holds %d seconds, want 1", len(part))
		}
	})
}

func TestManySecondsSpanTransactions(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		const n = 200000 // more keys than one Badger transaction takes
		for i := range n {
			w.Request(t0.Add(time.Duration(i)*time.Second), 200, nil)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		secs, err := s.Seconds(t0, t0.Add(n*time.Second))
		if err != nil || len(secs) != n {
			t.Fatalf("%d seconds, err %v", len(secs), err)
		}
	})
}

func TestSources(t *testing.T) {
	s := open(t)
	a := timeline.Source{Path: "/b/access.log", Format: "nginx_access", Records: 3, Unparsed: 1, TZ: "+01:00", Samples: []string{"junk"}}
	b := timeline.Source{Path: "/a/error.log", Format: "nginx_error", Records: 2}
	s.PutSource(a)
	s.PutSource(b)
	got, err := s.Sources()
	if err != nil || !reflect.DeepEqual(got, []timeline.Source{b, a}) {
		t.Fatalf("Sources = %+v, %v", got, err)
	}
}

func TestEmptyStoreRange(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		_, _, ok, err := s.Range()
		if ok || err != nil {
			t.Fatalf("empty store: ok=%v err=%v", ok, err)
		}
	})
}

func TestSecondOpenIsRefusedWithAHint(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = Open(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "--store") {
		t.Fatalf("second open: %v", err)
	}
}

// TestTempStoreIsRemoved: OpenOrTemp without a directory opens a
// temporary store, removed by Close; with one, it keeps it there.
func TestTempStoreIsRemoved(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	s, err := OpenOrTemp("")
	if err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("temporary store %s still exists", dir)
	}
	kept := filepath.Join(t.TempDir(), "kept")
	if s, err = OpenOrTemp(kept); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(kept, "MANIFEST")); err != nil {
		t.Errorf("the store in %s is not kept: %v", kept, err)
	}
}

func TestUnwritableStoreDir(t *testing.T) {
	p := filepath.Join(t.TempDir(), "file")
	os.WriteFile(p, nil, 0o644)
	_, err := Open(filepath.Join(p, "store"))
	if err == nil || !strings.Contains(err.Error(), "cannot create the store directory") {
		t.Fatalf("err = %v", err)
	}
}

func TestCorruptRollup(t *testing.T) {
	if _, err := decodeSecond(0, []byte{0xff}); !errors.Is(err, errCorruptRollup) {
		t.Fatalf("err = %v", err)
	}
}

func TestFullDiskIsRefusedBeforeBadgerCrashes(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		w := s.NewWriter()
		w.Request(t0, 200, nil)
		defer func(old uint64) { minFree = old }(minFree)
		minFree = 1 << 62 // more than any disk has free: as if it were full
		err := w.Flush()
		if !errors.Is(err, ErrDiskFull) || !strings.Contains(err.Error(), "free some space") {
			t.Fatalf("flush on a full disk: %v", err)
		}
		if _, err := Open(t.TempDir()); !errors.Is(err, ErrDiskFull) {
			t.Fatalf("open on a full disk: %v", err)
		}
		minFree = 0
		if err := w.Flush(); err != nil {
			t.Fatalf("the counts were lost after a refused flush: %v", err)
		}
		if secs, _ := s.Seconds(t0, t0.Add(time.Second)); len(secs) != 1 {
			t.Errorf("seconds after retry: %v", secs)
		}
	})
}

// TestFlushOverStoredSecondsAcrossTransactions: a flush that needs several
// transactions, over seconds already stored, adds each count exactly once.
func TestFlushOverStoredSecondsAcrossTransactions(t *testing.T) {
	eachProfile(t, func(t *testing.T, s *Store) {
		const n = 200000 // more keys than one Badger transaction takes
		for round := range 2 {
			w := s.NewWriter()
			for i := range n {
				w.Request(t0.Add(time.Duration(i)*time.Second), 200, nil)
			}
			if err := w.Flush(); err != nil {
				t.Fatalf("flush %d: %v", round, err)
			}
		}
		secs, err := s.Seconds(t0, t0.Add(n*time.Second))
		if err != nil || len(secs) != n {
			t.Fatalf("%d seconds, err %v", len(secs), err)
		}
		for _, sec := range secs {
			if sec.Requests() != 2 {
				t.Fatalf("second %s holds %d requests, want 2", sec.Time, sec.Requests())
			}
		}
	})
}

// Every kind's fields survive the store, and a damaged value is an error.
func TestEventCodec(t *testing.T) {
	at := time.Date(2026, 11, 24, 1, 2, 3, 456789000, time.UTC)
	evs := []*patterns.Event{
		{Time: at, Kind: patterns.KindNginxAccess, Path: "/var/log/nginx/access.log", Offset: 1 << 40, Text: "127.0.0.1 - - \"GET /\\x00 HTTP/1.1\" 502 \"\xff\"",
			Access: &patterns.Access{RemoteAddr: "127.0.0.1", Method: "GET", URI: "/\x00", Status: 502, RequestTime: 2.5, UpstreamAddr: "unix:/run/php.sock"}},
		{Time: at, Kind: patterns.KindNginxError, Path: "error.log", Text: "multi\nline", Error: &patterns.NginxError{Level: "error", Errno: 11, Client: "10.0.0.1", Request: "GET / HTTP/1.1"}},
		{Time: at, Kind: patterns.KindFPMError, Path: "php-fpm.log", FPM: &patterns.FPMError{Level: "WARNING", Pool: "www", Child: 42, Duration: 2.0}},
		{Time: at, Kind: patterns.KindMySQLSlow, Path: "slow.log", Slow: &patterns.SlowQuery{QueryTime: 3.2}},
		{Time: at, Kind: patterns.KindSyslog, Path: "kern.log", Syslog: &patterns.Syslog{Event: "oom_kill"}},
		{Time: at, Kind: patterns.KindHAProxy, Path: "haproxy.log", Text: "", HAProxy: &patterns.HAProxy{Status: 503}},
		byPlace(at),
	}
	for _, ev := range evs {
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvent(eventKey(ev), v)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, ev) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, ev)
		}
		for _, cut := range []int{0, 1, len(ev.Path), len(v) - 1} {
			if _, err := decodeEvent(eventKey(ev), v[:cut]); err == nil {
				t.Errorf("value cut at %d of %d decoded", cut, len(v))
			}
		}
	}
	if _, err := decodeEvent([]byte("e"), nil); err == nil {
		t.Error("a short key decoded")
	}
}

// byPlace is an access event whose fields are substrings of its text, as
// the parsers give them: stored by their place, even where an equal
// string comes first (the remote address "-", the URI "/-"); its method is
// a copy, found by a search. Both read back the same.
func byPlace(at time.Time) *patterns.Event {
	text := `- - - [23/Nov/2026:03:00:00 +0100] "GET /- HTTP/1.1" 502 0 "-" "-"`
	uri := strings.Index(text, "/-")
	return &patterns.Event{Time: at, Kind: patterns.KindNginxAccess, Path: "access.log", Text: text,
		Access: &patterns.Access{RemoteAddr: text[0:1], URI: text[uri : uri+2], HTTPReferer: text[len(text)-7 : len(text)-6], Method: strings.Clone("GET"), Status: 502}}
}

// fillFields sets every field of the struct v points to a distinct non-zero
// value, so that a field the codec forgets fails the round trip.
func fillFields(v reflect.Value, n *int) {
	switch v.Kind() {
	case reflect.Pointer:
		fillFields(v.Elem(), n)
	case reflect.Struct:
		for i := range v.NumField() {
			fillFields(v.Field(i), n)
		}
	case reflect.Array:
		for i := range v.Len() {
			fillFields(v.Index(i), n)
		}
	case reflect.String:
		*n++
		v.SetString(fmt.Sprintf("f%d ü\x00", *n))
	case reflect.Int, reflect.Int64:
		*n++
		v.SetInt(int64(*n) * -1000003)
	case reflect.Float64:
		*n++
		v.SetFloat(float64(*n) + 0.25)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Map: // map[string]string
		m := reflect.MakeMap(v.Type())
		for range 3 {
			*n++
			m.SetMapIndex(reflect.ValueOf(fmt.Sprintf("k%d", *n)), reflect.ValueOf(fmt.Sprintf("v%d \x00", *n)))
		}
		v.Set(m)
	default:
		panic("fill: add " + v.Kind().String())
	}
}

// The binary forms of access, error, PHP-FPM and slow-log events carry
// every field.
func TestEventCodecCarriesEveryField(t *testing.T) {
	n := 0
	a, e, fpm, q := new(patterns.Access), new(patterns.NginxError), new(patterns.FPMError), new(patterns.SlowQuery)
	fillFields(reflect.ValueOf(a), &n)
	fillFields(reflect.ValueOf(e), &n)
	fillFields(reflect.ValueOf(fpm), &n)
	fillFields(reflect.ValueOf(q), &n)
	for _, ev := range []*patterns.Event{
		{Kind: patterns.KindNginxAccess, Path: "a", Access: a},
		{Kind: patterns.KindNginxError, Path: "e", Error: e},
		{Kind: patterns.KindFPMError, Path: "f", FPM: fpm},
		{Kind: patterns.KindMySQLSlow, Path: "s", Slow: q},
		{Kind: patterns.KindMySQLSlow, Path: "header", Slow: &patterns.SlowQuery{Restart: true, Server: "mysqld, Version: 8.0.36"}},
		// The statement stored as a reference into the text.
		{Kind: patterns.KindMySQLSlow, Path: "ref", Text: "# Query_time: 2.5\nSELECT 1;\n", Slow: &patterns.SlowQuery{QueryTime: 2.5, Query: "SELECT 1;"}},
		{Kind: patterns.KindNginxAccess, Path: "both", Access: a, Error: e}, // not a form of its own: JSON
	} {
		ev.Time = time.Unix(0, 1).UTC()
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeEvent(eventKey(ev), v)
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Errorf("round trip of %s: %v\n got %+v\nwant %+v", ev.Path, err, got, ev)
		}
	}
}

// A PHP-FPM event stored in JSON, as before it had a binary form, still
// decodes: a store that lives (--store, watch) holds them.
func TestFPMEventStoredAsJSONDecodes(t *testing.T) {
	want := &patterns.Event{Time: time.Unix(0, 1).UTC(), Kind: patterns.KindFPMError, Path: "php-fpm.log", Text: "t",
		FPM: &patterns.FPMError{Level: "WARNING", Pool: "www", Child: 42, Message: "m", Duration: 2.5}}
	v := append(appendString(appendString(nil, want.Path), want.Text), formJSON)
	v = append(v, `{"FPM":{"Level":"WARNING","Pool":"www","Child":42,"Message":"m","Duration":2.5}}`...)
	got, err := decodeEvent(eventKey(want), v)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	if now, _ := encodeEvent(want); now[len(appendString(appendString(nil, want.Path), want.Text))] != formFPM {
		t.Errorf("a PHP-FPM event is not encoded in its binary form: %q", now)
	}
}

// The fields of access and error lines are stored as references into
// their text where the text holds them (before or after the field written
// before, or not at all), and decode equal; the forms written before,
// with copies, still decode.
func TestEventFieldsAsReferencesIntoTheText(t *testing.T) {
	text := `10.0.0.1 - - [23/Nov/2026:13:00:00 +0100] "GET /x?a=1 HTTP/1.1" 502 157 "-" "curl/8.5.0"`
	at := time.Unix(0, 5).UTC()
	evs := []*patterns.Event{
		{Time: at, Kind: patterns.KindNginxAccess, Path: "access.log", Text: text, Access: &patterns.Access{
			RemoteAddr: "10.0.0.1", Method: "GET", URI: "/x?a=1", Protocol: "HTTP/1.1", HTTPReferer: "", HTTPUserAgent: "curl/8.5.0",
			Host: "10.0.0.1", RequestID: "not in the line", Status: 502, BodyBytesSent: 157, RequestTime: -1, Connection: -1}},
		{Time: at, Kind: patterns.KindNginxError, Path: "error.log", Text: "2026/11/23 13:00:00 [error] 7#7: *9 connect() failed, client: 10.0.0.1, server: shop",
			Error: &patterns.NginxError{Level: "error", Message: "connect() failed", Client: "10.0.0.1", Server: "shop", Host: "shop", Upstream: "\x22 escaped", PID: 7, TID: 7, Connection: 9}},
	}
	for _, ev := range evs {
		v, err := encodeEvent(ev)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) >= 2*len(ev.Text) {
			t.Errorf("%s: %d bytes for a text of %d: the fields are copies", ev.Path, len(v), len(ev.Text))
		}
		got, err := decodeEvent(eventKey(ev), v)
		if err != nil || !reflect.DeepEqual(got, ev) {
			t.Errorf("round trip of %s: %v\n got %+v\nwant %+v", ev.Path, err, got, ev)
		}
	}
	// The forms before references: every string a copy.
	old := func(form byte, ev *patterns.Event, strs []string, ints []int64, tail ...byte) *patterns.Event {
		t.Helper()
		v := append(appendString(appendString(nil, ev.Path), ev.Text), form)
		for _, s := range strs {
			v = appendString(v, s)
		}
		for _, n := range ints {
			v = binary.AppendVarint(v, n)
		}
		got, err := decodeEvent(eventKey(ev), append(v, tail...))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	a := evs[0].Access
	got := old(formAccess, evs[0], []string{a.RemoteAddr, a.RemoteUser, a.Method, a.URI, a.Protocol, a.HTTPReferer, a.HTTPUserAgent,
		a.Host, a.RequestID, a.XForwardedFor, a.UpstreamAddr, a.UpstreamStatus, a.UpstreamResponseTime, a.UpstreamConnectTime, a.UpstreamHeaderTime},
		[]int64{502, 157, -1}, append(binary.BigEndian.AppendUint64(nil, math.Float64bits(-1)), 0)...)
	if !reflect.DeepEqual(got, evs[0]) {
		t.Errorf("an access line of the copying form:\n got %+v\nwant %+v", got, evs[0])
	}
	e := evs[1].Error
	got = old(formNginxError, evs[1], []string{e.Level, e.Message, e.Action, e.Client, e.Server, e.Request, e.Upstream, e.Host, e.Referrer}, []int64{7, 7, 9, 0})
	if !reflect.DeepEqual(got, evs[1]) {
		t.Errorf("an error line of the copying form:\n got %+v\nwant %+v", got, evs[1])
	}
}

// FuzzDecodeEvent: a damaged value decodes or fails cleanly, never panics;
// what decodes encodes back to an event that encodes the same.
func FuzzDecodeEvent(f *testing.F) {
	ev := &patterns.Event{Time: time.Unix(0, 7).UTC(), Kind: patterns.KindNginxAccess, Path: "access.log", Text: "x",
		Access: &patterns.Access{RemoteAddr: "1.2.3.4", Status: 502, RequestTime: -1, Extra: [patterns.MaxAccessExtra]patterns.AccessVar{{Name: "a", Value: "b"}}}}
	for _, e := range []*patterns.Event{ev, {Kind: patterns.KindNginxError, Error: &patterns.NginxError{Errno: 111}}, {Kind: patterns.KindFPMError, FPM: &patterns.FPMError{Pool: "www"}},
		{Kind: patterns.KindMySQLSlow, Text: "# x\nselect 1", Slow: &patterns.SlowQuery{QueryTime: 2.5, Query: "select 1", Extra: map[string]string{"a": "b", "c": ""}}}} {
		v, _ := encodeEvent(e)
		f.Add(v)
	}
	key := eventKey(ev)
	f.Fuzz(func(t *testing.T, v []byte) {
		got, err := decodeEvent(key, v)
		if err != nil {
			return
		}
		again, err := encodeEvent(got)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decodeEvent(key, again)
		if err != nil {
			t.Fatalf("a re-encoded event does not decode: %v", err)
		}
		if third, _ := encodeEvent(back); !bytes.Equal(third, again) { // bytes, not DeepEqual: NaN ≠ NaN
			t.Fatalf("re-encoding is not stable:\n%q\n%q", again, third)
		}
	})
}

// nginxErrorAt is an nginx error-log event read from error.log at offset
// off, with the connection number conn in its text.
func nginxErrorAt(path string, off int64, conn int) *patterns.Event {
	return &patterns.Event{
		Time: t0, Kind: patterns.KindNginxError, Path: path, Offset: off,
		Text:  fmt.Sprintf("2026/11/23 13:00:00 [error] 11#11: *%d connect() to unix:/run/php/www.sock failed (11: Resource temporarily unavailable) while connecting to upstream", conn),
		Error: &patterns.NginxError{Level: "error", PID: 11, Errno: 11},
	}
}

// storedTexts are the texts of the events stored in t0's second.
func storedTexts(t *testing.T, s *Store) []string {
	t.Helper()
	var got []string
	if err := s.Events(t0, t0.Add(time.Second), func(ev *patterns.Event) error { got = append(got, ev.Text); return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestRenamedFileAndItsSuccessorAreBothKept: a rotated error.log, drained
// under the live path, and the new error.log have records of the same
// second at the same offsets (nginx's error stamps are whole seconds): the
// records differ, both files' are kept — by a batch load's Writer and by
// the daemon's Commit.
func TestRenamedFileAndItsSuccessorAreBothKept(t *testing.T) {
	for _, commit := range []bool{false, true} {
		s := open(t)
		w := s.NewWriter()
		for i, conn := range []int{241, 257} { // the renamed file's, then the new one's
			if err := w.Event(nginxErrorAt("/var/log/nginx/error.log", 4096, conn)); err != nil {
				t.Fatal(err)
			}
			var err error
			if commit {
				err = w.Commit(map[string][]byte{"/var/log/nginx/error.log": fmt.Appendf(nil, `{"batch":%d}`, i)})
			} else {
				err = w.Flush()
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if got := storedTexts(t, s); len(got) != 2 || got[0] == got[1] {
			t.Errorf("commit %v: stored %q, want both files' records", commit, got)
		}
	}
}

// TestSameBytesReadAgainAreStoredOnce: the same record read again — a
// store loaded twice, an uncommitted batch re-read after a restart, the
// rotated file read again as error.log.1 — rewrites its event.
func TestSameBytesReadAgainAreStoredOnce(t *testing.T) {
	s := open(t)
	for _, path := range []string{"/var/log/nginx/error.log", "/var/log/nginx/error.log", "/var/log/nginx/error.log.1"} {
		w := s.NewWriter()
		if err := w.Event(nginxErrorAt(path, 4096, 241)); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if got := storedTexts(t, s); len(got) != 1 {
		t.Errorf("stored %q, want the record once", got)
	}
}

// TestLastIndexFindsTheLastStatement checks the statement's reference in
// an entry's text: where the text ends with it, and where it does not.
func TestLastIndexFindsTheLastStatement(t *testing.T) {
	for _, c := range []struct{ text, query string }{
		{"# Query_time: 1\nSELECT 1;", "SELECT 1;"},
		{"SELECT 1;\nSELECT 1;", "SELECT 1;"},
		{"SELECT 1;\n# trailer", "SELECT 1;"},
		{"SELECT 1;\nSELECT 1;\n# trailer", "SELECT 1;"},
		{"SELECT 1;", "SELECT 2;"},
		{"x", "longer than x"},
		{"abc", ""},
	} {
		if got, want := lastIndex(c.text, c.query), strings.LastIndex(c.text, c.query); got != want {
			t.Errorf("lastIndex(%q, %q) = %d, want %d", c.text, c.query, got, want)
		}
	}
}

// TestEventKeysAreStable pins the key of a record: its hash may not change
// from one version to the next without a new schema (the same record read
// again must rewrite its key, not add a second).
func TestEventKeysAreStable(t *testing.T) {
	ev := &patterns.Event{Time: time.Date(2026, 11, 24, 1, 2, 3, 0, time.UTC), Kind: patterns.KindMySQLSlow, Offset: 77, Text: "a"}
	k := eventKey(ev)
	if got, want := binary.BigEndian.Uint64(k[len(k)-8:]), uint64(0xd24ec4f1a98c6e5b); got != want {
		t.Errorf("the text hash of %q is %#x, want %#x (xxHash64)", ev.Text, got, want)
	}
}

// TestTemporaryStoreKeysRecordsByText: in a temporary store a record
// read twice is one record, and records of one
// instant, kind and offset with other texts are kept apart.
func TestTemporaryStoreKeysRecordsByText(t *testing.T) {
	s, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 24, 1, 2, 3, 0, time.UTC)
	w := s.NewWriter()
	for _, text := range []string{"SELECT 1;", "SELECT 1;", "SELECT 2;", "SELECT 1;"} {
		ev := &patterns.Event{Time: at, Kind: patterns.KindMySQLSlow, Path: "slow.log", Offset: 5, Text: text,
			Slow: &patterns.SlowQuery{Query: text, Fingerprint: patterns.Fingerprint(text), QueryID: patterns.QueryID(patterns.Fingerprint(text))}}
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	var texts []string
	if err := s.Events(at, at.Add(time.Second), func(ev *patterns.Event) error { texts = append(texts, ev.Text); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(texts)
	if want := []string{"SELECT 1;", "SELECT 2;"}; !slices.Equal(texts, want) {
		t.Errorf("stored %q, want %q", texts, want)
	}
}

// TestSlowFormIsDeterministic: a slow entry's attributes are encoded in
// the order of their names, so the same entry always gives the same bytes
// (Go's maps iterate in no fixed order).
func TestSlowFormIsDeterministic(t *testing.T) {
	extra := map[string]string{}
	for i := range 20 { // past the encoder's room on the stack, too
		extra[fmt.Sprintf("attr_%02d", i)] = fmt.Sprint(i)
	}
	ev := &patterns.Event{Kind: patterns.KindMySQLSlow, Text: "SELECT 1;", Slow: &patterns.SlowQuery{Query: "SELECT 1;", Extra: extra}}
	first, err := encodeEvent(ev)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if again, _ := encodeEvent(ev); !bytes.Equal(again, first) {
			t.Fatalf("encoded differently:\n%q\n%q", again, first)
		}
	}
}

// A Writer encodes its events into one buffer, written over once they are
// in the store: the events of a first Flush read back as written after a
// second Flush reused the buffer, in the store that lives and in a
// temporary one (values in the value log).
func TestWriterBufferReusedAfterFlush(t *testing.T) {
	temp, err := OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { temp.Close() })
	for name, s := range map[string]*Store{"lives": open(t), "temporary": temp} {
		t.Run(name, func(t *testing.T) {
			var want []*patterns.Event
			w := s.NewWriter()
			for round := range 3 {
				var evs []*patterns.Event
				for i := range 50 {
					evs = append(evs, &patterns.Event{Time: t0.Add(time.Duration(round*50+i) * time.Millisecond), Kind: patterns.KindNginxError, Path: "error.log",
						Offset: int64(round*50 + i), Text: fmt.Sprintf("round %d line %d %s", round, i, strings.Repeat(string(rune('a'+round)), 200)),
						Error: &patterns.NginxError{Level: "error", Message: fmt.Sprintf("message %d.%d", round, i), Errno: round}})
				}
				flushAll(t, w, evs)
				want = append(want, evs...)
			}
			if got := eventsIn(t, s, t0, t0.Add(time.Minute)); !reflect.DeepEqual(got, want) {
				t.Fatalf("read back %d events, not those written (%d)", len(got), len(want))
			}
		})
	}
}
