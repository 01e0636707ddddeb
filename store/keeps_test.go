package store

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/logcause/logcause/patterns"
)

// TestWriterKeepsNothingOfWhatItSaysItDoesNot: of the kinds Keeps says
// it does not keep, the Writer copies all it keeps before Event returns —
// a temporary store (blocks) and one that lives (Badger) alike: events
// whose texts and fields are the bytes of one buffer, written over with
// another event's after each Event and reused for the next one, as a
// batch load lends them, are read back as they were handed. A temporary
// store keeps its slow-log entries until written (Keeps says so).
func TestWriterKeepsNothingOfWhatItSaysItDoesNot(t *testing.T) {
	texts := []struct {
		kind patterns.Kind
		text string
	}{
		{patterns.KindNginxAccess, `10.0.0.1 - - [23/Nov/2026:14:00:00 +0100] "GET /a?id=1 HTTP/1.1" 502 157 "-" "curl/8"`},
		{patterns.KindNginxError, `2026/11/23 14:00:01 [error] 12#12: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 10.0.0.1, server: shop, request: "GET /a HTTP/1.1", upstream: "fastcgi://unix:/run/php.sock:", host: "shop"`},
		{patterns.KindFPMError, `[23-Nov-2026 14:00:02] WARNING: [pool www] child 77, script '/var/www/a.php' (request: "GET /a.php") execution timed out (30.001 sec), terminating`},
	}
	for _, temp := range []bool{true, false} {
		var s *Store
		if temp {
			var err error
			if s, err = OpenTemp(); err != nil {
				t.Fatal(err)
			}
			defer s.Close()
		} else {
			s = open(t)
		}
		w := s.NewWriter()
		if !w.Keeps(patterns.KindMySQLSlow) != !temp {
			t.Errorf("temporary %v: Keeps(mysql_slow) = %v", temp, w.Keeps(patterns.KindMySQLSlow))
		}
		buf := make([]byte, 0, 512)
		var (
			lent  patterns.Event
			acc   patterns.Access
			errs  patterns.NginxError
			fpm   patterns.FPMError
			wants []*patterns.Event
		)
		for i := range 30 {
			tt := texts[i%len(texts)]
			if w.Keeps(tt.kind) {
				t.Fatalf("temporary %v: Keeps(%s)", temp, tt.kind)
			}
			buf = append(buf[:0], tt.text...)
			text := unsafe.String(unsafe.SliceData(buf), len(buf))
			at := t0.Add(time.Duration(i) * time.Second)
			lent = patterns.Event{Time: at, Kind: tt.kind, Path: tt.kind.String() + ".log", Offset: int64(i) * 1000, Text: text}
			switch tt.kind {
			case patterns.KindNginxAccess:
				acc = patterns.Access{RemoteAddr: sub(text, "10.0.0.1"), Method: sub(text, "GET"), URI: sub(text, "/a?id=1"), Protocol: sub(text, "HTTP/1.1"), Status: 502, BodyBytesSent: 157}
				lent.Access = &acc
			case patterns.KindNginxError:
				errs = patterns.NginxError{Level: sub(text, "error"), PID: 12, TID: 12, Connection: 5, Message: sub(text, "connect() failed (111: Connection refused)"), Errno: 111, Client: sub(text, "10.0.0.1")}
				lent.Error = &errs
			case patterns.KindFPMError:
				fpm = patterns.FPMError{Level: sub(text, "WARNING"), Pool: sub(text, "www"), Child: 77, Message: text[strings.Index(text, "child 77,"):], Script: sub(text, "/var/www/a.php"), Request: sub(text, "GET /a.php"), Duration: 30.001}
				lent.FPM = &fpm
			}
			wants = append(wants, deepCopy(&lent))
			if err := w.Event(&lent); err != nil {
				t.Fatal(err)
			}
			for j := range buf { // the next record's bytes, as a block's buffer
				buf[j] = 'x'
			}
			acc, errs, fpm = patterns.Access{URI: "reused"}, patterns.NginxError{Message: "reused"}, patterns.FPMError{Message: "reused"}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		got := eventsIn(t, s, t0, t0.Add(time.Hour))
		if len(got) != len(wants) {
			t.Fatalf("temporary %v: %d events read back of %d", temp, len(got), len(wants))
		}
		for i := range wants {
			if !reflect.DeepEqual(got[i], wants[i]) {
				t.Errorf("temporary %v: event %d read back as\n%s\nhanded as\n%s", temp, i, eventText(got[i]), eventText(wants[i]))
			}
		}
	}
}

// sub is text's substring that reads s, by place.
func sub(text, s string) string {
	i := strings.Index(text, s)
	return text[i : i+len(s)]
}

// deepCopy is ev with copies of its text and field set, its fields
// substrings of the copy where they were of its text.
func deepCopy(ev *patterns.Event) *patterns.Event {
	c := *ev
	c.Text = string([]byte(ev.Text))
	of := func(s string) string {
		if off, ok := patterns.OffsetOf(ev.Text, s); ok {
			return c.Text[off : off+len(s)]
		}
		return s
	}
	switch {
	case ev.Access != nil:
		a := *ev.Access
		a.RemoteAddr, a.Method, a.URI, a.Protocol = of(a.RemoteAddr), of(a.Method), of(a.URI), of(a.Protocol)
		c.Access = &a
	case ev.Error != nil:
		e := *ev.Error
		e.Level, e.Message, e.Client = of(e.Level), of(e.Message), of(e.Client)
		c.Error = &e
	case ev.FPM != nil:
		f := *ev.FPM
		f.Level, f.Pool, f.Message, f.Script, f.Request = of(f.Level), of(f.Pool), of(f.Message), of(f.Script), of(f.Request)
		c.FPM = &f
	}
	return &c
}
