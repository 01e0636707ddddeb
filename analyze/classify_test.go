package analyze

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/logcause/logcause/patterns"
)

// TestLastClassIsClassify: remembering the last nginx line's signal
// answers what classify does, for lines alike and not, their messages,
// actions and errnos differing one at a time, and for lent lines whose
// bytes are written over once read (its key is a copy: a line of the same
// length whose bytes are now the last's is classified anew).
func TestLastClassIsClassify(t *testing.T) {
	const (
		timeout = "upstream timed out (110: Connection timed out)"
		connect = "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)"
		gone    = "FastCGI sent in stderr: \"PHP message: SQLSTATE[HY000] [2002] Connection refused\""
		header  = "reading response header from upstream"
	)
	nginx := func(msg, action string, errno int) *patterns.Event {
		return &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Message: msg, Action: action, Errno: errno}}
	}
	evs := []*patterns.Event{
		nginx(timeout, header, 0), nginx(timeout, header, 0), nginx(timeout, "sending request to upstream", 0),
		nginx(timeout, "while reading upstream", 0), nginx(connect, "connecting to upstream", 11), nginx(connect, "connecting to upstream", 11),
		nginx(connect, "connecting to upstream", 111), nginx(connect, "connecting to upstream", 2), nginx(gone, header, 0),
		nginx(gone, header, 0), {Kind: patterns.KindFPMError, FPM: &patterns.FPMError{Message: "server reached pm.max_children setting (5), consider raising it"}},
		nginx(timeout, header, 0), nginx(timeout+"x", header, 0), nginx(timeout, header+"x", 0), nginx(timeout, header, 0),
	}
	var c lastClass
	for i, ev := range evs {
		if got, want := c.of(ev), classify(ev); got != want {
			t.Errorf("line %d (%+v %+v): %d, classify says %d", i, ev.Error, ev.FPM, got, want)
		}
	}

	lent := []byte(timeout)
	ev := nginx(unsafe.String(unsafe.SliceData(lent), len(lent)), header, 0)
	if got := c.of(ev); got != sigTimeout {
		t.Fatalf("a timeout: %d", got)
	}
	copy(lent, strings.Repeat("x", len(lent))) // the reader's next line, in the same bytes
	if got := c.of(nginx(strings.Repeat("x", len(timeout)), header, 0)); got != sigNone {
		t.Errorf("a line of x's after a timeout whose bytes it took: %d, want none (%d)", got, sigNone)
	}
}

// TestPHPDatabaseWithoutBrackets: classifyPHPDatabase, which looks only
// for the phrases in a message without '[', says what looking for every
// code and phrase says (phpDatabaseAny), of messages with and without
// them, both phrases in one, codes without their brackets.
func TestPHPDatabaseWithoutBrackets(t *testing.T) {
	parts := []string{"", "[1040]", "Too many connections", "SQLSTATE[HY000] [2002]", "MySQL server has gone away", "SQLSTATE[HY000] [2006]",
		"1040 Too many", "SQLSTATE HY000 2002", "[pool www]", "child 12 said into stderr: \"PHP message: ",
		"child 20004, script '/var/www/shop/product.php' (request: \"GET /product.php?id=7\") execution timed out (30.011 sec), terminating"}
	seen := map[signal]bool{}
	for _, a := range parts {
		for _, b := range parts {
			m := a + " " + b
			got, want := classifyPHPDatabase(m), phpDatabaseAny(m)
			if got != want {
				t.Errorf("%q: %d, want %d", m, got, want)
			}
			seen[got] = true
		}
	}
	if !seen[sigTooManyConns] || !seen[sigMySQLGone] || !seen[sigNone] {
		t.Fatalf("the messages meet only %v", seen)
	}
}

// BenchmarkLastClass: an outage's nginx error lines classified as explain
// classifies them, a few messages interleaved, with one run of PHP
// database errors (bytes: the messages').
func BenchmarkLastClass(b *testing.B) {
	lines := make([]*patterns.Event, 0, 1000)
	var size int64
	for i := range cap(lines) {
		msg, action, errno := "upstream timed out (110: Connection timed out)", "reading response header from upstream", 110
		switch {
		case i%7 == 0:
			msg, action, errno = "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable)", "connecting to upstream", 11
		case i >= 900:
			msg = "FastCGI sent in stderr: \"PHP message: PHP Warning: SQLSTATE[HY000] [2002] Connection refused in /var/www/shop/db.php on line 12\""
		}
		lines = append(lines, &patterns.Event{Kind: patterns.KindNginxError, Error: &patterns.NginxError{Message: msg, Action: action, Errno: errno}})
		size += int64(len(msg))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	var c lastClass
	for b.Loop() {
		for _, ev := range lines {
			if c.of(ev) == sigNone {
				b.Fatal("a line of no signal")
			}
		}
	}
}
