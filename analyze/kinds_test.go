package analyze

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/logcause/logcause/internal/numfmt"
	"github.com/logcause/logcause/patterns"
)

// floodLine is the i-th nginx error line of a flood of refused requests,
// each with its own Host header and path (in the http:// upstream's URI).
func floodLine(i int) *patterns.Event {
	return &patterns.Event{Kind: patterns.KindNginxError, Path: "error.log", Time: t0.Add(time.Duration(i) * time.Millisecond), Offset: int64(i) * 300,
		Error: &patterns.NginxError{Level: "error", Message: "connect() to 10.0.0.5:8080 failed (111: Connection refused)", Errno: 111, Action: connecting,
			Server: "shop", Upstream: fmt.Sprintf("http://10.0.0.5:8080/p/%d", i), Host: fmt.Sprintf("h%d.example", i),
			Connection: int64(i + 1), Client: "10.0.0.1", Request: fmt.Sprintf("GET /p/%d HTTP/1.1", i)}}
}

// What a spike's records hold does not grow with the distinct Host
// headers and paths of its lines: past maxKinds, a line shares the Event
// of the first alike (785 MB at 1,000,000 lines before).
func TestKindsHeldStayFlat(t *testing.T) {
	held := func(lines int) uint64 {
		before := liveHeap()
		var (
			strs shared
			who  names
			c    = newCollected()
		)
		k := keeper{strs: &strs, names: &who}
		for i := range lines {
			c.add(sigRefused, k.keep(floodLine(i), sigRefused))
		}
		grown := liveHeap() - min(before, liveHeap())
		if c.sig[sigRefused].n != lines || len(k.shared) != maxKinds || len(c.sig[sigRefused].firsts()) != maxKinds {
			t.Fatalf("%d lines: counted %d, %d Events, %d kinds", lines, c.sig[sigRefused].n, len(k.shared), len(c.sig[sigRefused].firsts()))
		}
		runtime.KeepAlive(c)
		runtime.KeepAlive(&k)
		return grown
	}
	wantFlat(t, "lines of distinct hosts and paths", held, 100_000, 1_000_000, 0.25, 32<<20)
}

// Below maxKinds every lineKind has its Event; past it a line of a new
// lineKind shares the first alike but for host and URI, and one alike to
// none (another upstream) still gets its own.
func TestKeeperPastMaxKindsSharesTheFirstAlike(t *testing.T) {
	var (
		strs shared
		who  names
	)
	k := keeper{strs: &strs, names: &who}
	for i := range maxKinds {
		r := k.keep(floodLine(i), sigRefused)
		if r.Error.Host != fmt.Sprintf("h%d.example", i) || r.Error.Upstream != fmt.Sprintf("http://10.0.0.5:8080/p/%d", i) {
			t.Fatalf("line %d below the cap: host %q, upstream %q", i, r.Error.Host, r.Error.Upstream)
		}
	}
	first := k.keep(floodLine(0), sigRefused).Event
	past := k.keep(floodLine(maxKinds), sigRefused)
	if past.Event != first || past.Time != floodLine(maxKinds).Time || past.Offset != floodLine(maxKinds).Offset || past.conn() != maxKinds+1 {
		t.Errorf("past the cap: %+v, want the first line's Event with its own instant, offset and connection", past)
	}
	other := floodLine(maxKinds + 1)
	other.Error.Upstream = "http://10.0.0.6:8080/p/1"
	r := k.keep(other, sigRefused)
	if r.Event == first || r.Error.Upstream != "http://10.0.0.6:8080/p/1" || r.Error.Host != other.Error.Host {
		t.Errorf("another upstream past the cap: %q %q, want its own Event", r.Error.Upstream, r.Error.Host)
	}
	if again := k.keep(other, sigRefused); again.Event != r.Event {
		t.Errorf("the same line again past the cap: another Event, want the one it had (recent)")
	}
	said := messageLine(maxKinds + 2)
	if r := k.keep(said, sigMySQLGone); r.Error.Message != said.Error.Message || r.Error.Host != said.Error.Host || r.Error.Upstream != said.Error.Upstream {
		t.Errorf("a message alike to none past the cap: %q %q %q, want its own", r.Error.Message, r.Error.Host, r.Error.Upstream)
	}
	if len(k.shared) != maxKinds || len(k.alike) != 1 || len(k.recent) != 2 {
		t.Errorf("%d Events, %d alike, %d recent: want %d, 1, 2 (past the cap, none registered)", len(k.shared), len(k.alike), len(k.recent), maxKinds)
	}
}

// messageLine is the i-th nginx error line of PHP's database errors, each
// quoting its own input (as a PHP warning does) and with its own Host
// header: sigMySQLGone.
func messageLine(i int) *patterns.Event {
	return &patterns.Event{Kind: patterns.KindNginxError, Path: "error.log", Time: t0.Add(time.Duration(i) * time.Millisecond), Offset: int64(i) * 400,
		Error: &patterns.NginxError{Level: "error", Action: readHeader, Server: "shop", Upstream: fpmSock, Host: fmt.Sprintf("h%d.example", i),
			Message:    fmt.Sprintf(`FastCGI sent in stderr: "PHP message: PHP Warning: PDOException: SQLSTATE[HY000] [2002] Connection refused in /var/www/shop/db.php:42 (search for 'item-%d')"`, i),
			Connection: int64(i + 1), Client: "10.0.0.1", Request: fmt.Sprintf("GET /search?q=item-%d HTTP/1.1", i)}}
}

// What a spike's records hold does not grow with the distinct messages of
// its lines either: past maxKinds, a line alike to none gets an Event no
// map holds, its strings its own; each list records maxListKinds kinds
// at most.
func TestMessagesHeldStayFlat(t *testing.T) {
	if s := classify(messageLine(0)); s != sigMySQLGone {
		t.Fatalf("the line is classified %d, want sigMySQLGone", s)
	}
	held := func(lines int) uint64 {
		before := liveHeap()
		var (
			strs shared
			who  names
			c    = newCollected()
		)
		k := keeper{strs: &strs, names: &who}
		for i := range lines {
			c.add(sigMySQLGone, k.keep(messageLine(i), sigMySQLGone))
		}
		grown := liveHeap() - min(before, liveHeap())
		l := c.sig[sigMySQLGone]
		if l.n != lines || len(k.shared) != maxKinds || len(k.alike) != maxKinds || len(k.recent) > maxRecent ||
			len(strs) > maxStrings || len(l.firsts()) != maxListKinds || len(l.seen) != maxListKinds {
			t.Errorf("%d lines: counted %d, %d Events, %d alike, %d recent, %d strings, %d kinds (%d seen)",
				lines, l.n, len(k.shared), len(k.alike), len(k.recent), len(strs), len(l.firsts()), len(l.seen))
		}
		runtime.KeepAlive(c)
		runtime.KeepAlive(&k)
		return grown
	}
	wantFlat(t, "lines of distinct messages and hosts", held, 100_000, 1_000_000, 0.25, 32<<20)
}

// A database outage whose nginx lines each quote their own PHP message
// (and name their own host) is explained past the caps as below them:
// the cause, the count of its lines, and its evidence, read back at the
// positions the whole list would pick.
func TestDatabaseDownPastTheCaps(t *testing.T) {
	for _, perSecond := range []int{100, 1_000} { // 2,000 lines: below every cap; 20,000: past maxKinds, maxListKinds and headCap
		f := &fake{}
		f.healthy(0, 120)
		restart := &patterns.Event{Time: at(38), Kind: patterns.KindMySQLError, Path: "mysql-error.log", Offset: int64(len(f.events)),
			Text: "2026-11-23T13:00:38 0 [Note] mysqld: ready for connections", MySQL: &patterns.MySQLError{Event: "start"}}
		f.events = append(f.events, restart)
		var gone []record
		for s := 40; s < 60; s++ {
			for i := range perSecond {
				n := s*perSecond + i
				uri := fmt.Sprintf("/search?q=item-%d", n)
				f.events = append(f.events, &patterns.Event{Time: at(s), Kind: patterns.KindNginxAccess, Path: "access.log", Offset: int64(len(f.events)),
					Access: &patterns.Access{RemoteAddr: "10.0.0.1", Method: "GET", URI: uri, Protocol: "HTTP/1.1", Status: 502, Connection: int64(n + 1)}})
				ev := messageLine(n)
				ev.Time, ev.Offset = at(s), int64(len(f.events))
				ev.Text = fmt.Sprintf("[error] %s while %s, host: %q", ev.Error.Message, ev.Error.Action, ev.Error.Host)
				f.events = append(f.events, ev)
				gone = append(gone, record{Event: ev, Time: ev.Time, Offset: ev.Offset})
			}
		}
		inc := onlyIncident(t, analyzeFake(t, f))
		c := inc.Causes[0]
		lines := 20 * perSecond
		if inc.RootCause != MySQLDown || c.Kind != MySQLDown || !strings.Contains(c.Summary, "PHP reported "+numfmt.Int(lines)+" connection failures") {
			t.Fatalf("%d lines: root %s, %s %q", lines, inc.RootCause, c.Kind, c.Summary)
		}
		want := offsets(append([]record{{Event: restart, Time: restart.Time, Offset: restart.Offset}}, plainSpread(gone, maxSymptoms)...))
		var got []int64
		for _, ev := range c.Evidence {
			got = append(got, ev.Offset)
			if ev.Text != f.events[ev.Offset].Text {
				t.Errorf("%d lines: evidence at %d: %q, want %q", lines, ev.Offset, ev.Text, f.events[ev.Offset].Text)
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || c.EvidenceMore != 1+lines-len(want) || inc.Status["502"] != int64(lines) {
			t.Errorf("%d lines: evidence at %v, %d more, %d 502s; want %v, %d more, %d", lines, got, c.EvidenceMore, inc.Status["502"], want, 1+lines-len(want), lines)
		}
	}
}

func TestUpstreamAuthority(t *testing.T) {
	for in, want := range map[string]string{
		"http://10.0.0.5:8080/p/1?q=2":             "http://10.0.0.5:8080",
		"http://10.0.0.5:8080":                     "http://10.0.0.5:8080",
		"https://[::1]:443/x":                      "https://[::1]:443",
		"http://unix:/run/app.sock:/p/1":           "http://unix:/run/app.sock:",
		"fastcgi://unix:/run/php/php8.2-fpm.sock:": "fastcgi://unix:/run/php/php8.2-fpm.sock:",
		"fastcgi://127.0.0.1:9000":                 "fastcgi://127.0.0.1:9000",
		"":                                         "",
		"backend":                                  "backend",
	} {
		if got := upstreamAuthority(in); got != want {
			t.Errorf("upstreamAuthority(%q) = %q, want %q", in, got, want)
		}
	}
}

// A list records the first maxListKinds kinds, their first records in
// their order, and counts and keeps the records past them as any.
func TestListKindsStopAtTheirCap(t *testing.T) {
	var l list
	var recs []record
	for i := range maxListKinds + 100 {
		ev := &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Message: fmt.Sprint(i)}}
		for j := range 2 {
			r := nginxLine(ev, int64(2*i+j), 0)
			r.Offset = int64(2*i + j)
			recs = append(recs, r)
			l.add(r)
		}
	}
	if got, want := offsets(l.firsts()), offsets(firstOfEachKind(recs)[:maxListKinds]); !slices.Equal(got, want) {
		t.Errorf("%d firsts, want the first %d records of each kind", len(got), len(want))
	}
	if l.n != len(recs) || len(l.seen) != maxListKinds || l.record(len(recs)-1).Offset != int64(len(recs)-1) {
		t.Errorf("%d records counted, %d kinds seen, last %d: want %d, %d, %d", l.n, len(l.seen), l.record(len(recs)-1).Offset, len(recs), maxListKinds, len(recs)-1)
	}
}

// A spike's shared strings stop at maxStrings: past them a string is
// copied for its caller, equal to it, and not kept.
func TestSharedStopsAtMaxStrings(t *testing.T) {
	var strs shared
	for i := range maxStrings + 10 {
		b := []byte(fmt.Sprintf("h%d.example", i))
		if got := strs.ofBytes(b); got != string(b) {
			t.Fatalf("%q: got %q", b, got)
		}
	}
	if len(strs) != maxStrings {
		t.Errorf("%d strings kept, want %d", len(strs), maxStrings)
	}
	kept := strs.of("h0.example")
	if again := strs.kept("h0.example"); unsafe.StringData(again) != unsafe.StringData(kept) {
		t.Errorf("a string kept: another copy, want the one kept")
	}
	if got := strs.kept("new.example"); got != "new.example" || len(strs) != maxStrings {
		t.Errorf("a string not kept: %q, %d kept; want it, %d", got, len(strs), maxStrings)
	}
}

// BenchmarkKeepMessagesPastMaxKinds keeps nginx lines each with its own
// message past maxKinds (an Event of its own each, not registered).
func BenchmarkKeepMessagesPastMaxKinds(b *testing.B) {
	var (
		strs shared
		who  names
		c    = newCollected()
	)
	k := keeper{strs: &strs, names: &who}
	for i := range maxKinds {
		c.add(sigMySQLGone, k.keep(messageLine(i), sigMySQLGone))
	}
	lines := make([]*patterns.Event, 4*maxRecent) // more than recent remembers: each line alike to none it holds
	for i := range lines {
		lines[i] = messageLine(maxKinds + i)
	}
	b.SetBytes(int64(len(lines[0].Error.Message)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c.add(sigMySQLGone, k.keep(lines[i%len(lines)], sigMySQLGone))
	}
}
