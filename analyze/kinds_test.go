package analyze

import (
	"fmt"
	"runtime"
	"testing"
	"time"

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
	small, large := held(100_000), held(1_000_000)
	t.Logf("held: %d B at 100,000 lines of distinct hosts and paths, %d B at 1,000,000", small, large)
	if large > small+small/4 || large > 32<<20 {
		t.Errorf("held %d bytes at 100,000 lines and %d at 1,000,000: want about as many, and under 32 MiB", small, large)
	}
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
	if r := k.keep(other, sigRefused); r.Event == first || r.Error.Upstream != "http://10.0.0.6:8080/p/1" || r.Error.Host != other.Error.Host {
		t.Errorf("another upstream past the cap: %q %q, want its own Event", r.Error.Upstream, r.Error.Host)
	}
	if len(k.shared) != maxKinds+1 {
		t.Errorf("%d Events, want %d", len(k.shared), maxKinds+1)
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
