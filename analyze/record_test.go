package analyze

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// Alike nginx error lines share one Event, each keeping its own instant,
// offset, connection, client and request; a line that differs in a field
// the rules read gets its own; php-fpm lines keep their own fields.
func TestRecordsShareWhatTheLinesRepeat(t *testing.T) {
	nginx := func(sec int, conn int64, msg, upstream, client string) *patterns.Event {
		return &patterns.Event{Time: at(sec), Kind: patterns.KindNginxError, Path: "error.log", Offset: int64(sec) * 100, Text: "the line",
			Error: &patterns.NginxError{Level: "error", PID: 812, Connection: conn, Message: msg, Errno: 11, Action: connecting,
				Client: client, Server: "shop", Request: "GET /" + client, Upstream: upstream, Host: "shop", Referrer: "r"}}
	}
	var (
		strs shared
		who  names
	)
	k := keeper{strs: &strs, names: &who}
	a, b := k.keep(nginx(1, 7, eagain, fpmSock, "10.0.0.1"), sigBacklogFull), k.keep(nginx(2, 8, eagain, fpmSock, "10.0.0.2"), sigBacklogFull)
	if a.Event != b.Event {
		t.Error("two alike lines do not share their Event")
	}
	if a.Time != at(1) || b.Time != at(2) || a.Offset != 100 || b.Offset != 200 || a.conn() != 7 || b.conn() != 8 ||
		a.request() == 0 || a.request() != who.request("10.0.0.1", "GET /10.0.0.1", 1) || b.request() != who.request("10.0.0.2", "GET /10.0.0.2", 2) ||
		a.request() == b.request() || a.child() != 0 || a.duration() != 0 {
		t.Errorf("the lines' own fields: %+v, %+v", a, b)
	}
	if e := a.Error; e.Message != eagain || e.Upstream != fpmSock || e.Action != connecting || e.Errno != 11 || e.Host != "shop" || e.Server != "shop" || a.Kind != patterns.KindNginxError || a.Path != "error.log" {
		t.Errorf("the shared fields: %+v of %+v", e, a.Event)
	}
	if a.Text != "" || a.Error.Client != "" || a.Error.Referrer != "" || a.FPM != nil {
		t.Errorf("kept what the rules do not read: %+v", a)
	}
	for _, other := range []*patterns.Event{nginx(3, 9, "upstream prematurely closed connection", fpmSock, "10.0.0.1"), nginx(3, 9, eagain, "http://10.0.0.5:80", "10.0.0.1")} {
		if c := k.keep(other, classify(other)); c.Event == a.Event || c.Error.Message != other.Error.Message || c.Error.Upstream != other.Error.Upstream {
			t.Errorf("a line that differs (%s, %s) kept as %+v", other.Error.Message, other.Error.Upstream, c.Error)
		}
	}
	fpm := func(child int, msg string) *patterns.Event {
		return &patterns.Event{Time: at(5), Kind: patterns.KindFPMError, Path: "php-fpm.log", Offset: int64(child),
			FPM: &patterns.FPMError{Level: "WARNING", Pool: "www", Child: child, Message: msg, Script: "/x.php", Duration: 1.5}}
	}
	// A crash keeps its own FPMError (its message is quoted); a child
	// php-fpm ended (SIGTERM) and a request it terminated keep their child
	// and duration, and share one FPMError with the lines alike.
	x, y := k.keep(fpm(11, "child 11 exited on signal 9 (SIGKILL)"), sigChildSignal), k.keep(fpm(12, "child 12 exited on signal 15 (SIGTERM)"), sigChildSignal)
	if x.FPM.Child != 11 || x.FPM.Message != "child 11 exited on signal 9 (SIGKILL)" || x.FPM.Pool != "www" || x.FPM.Script != "/x.php" || x.child() != 11 || x.duration() != 1.5 || x.Offset != 11 {
		t.Errorf("a crashed child's record: %+v %+v", x, x.FPM)
	}
	z := k.keep(fpm(14, "child 14 exited on signal 15 (SIGTERM)"), sigChildSignal)
	if y.FPM.Message != sigtermExit || y.FPM.Pool != "www" || y.child() != 12 || z.child() != 14 || y.FPM != z.FPM || y.Event != z.Event || y.FPM == x.FPM || y.Offset != 12 {
		t.Errorf("SIGTERM exits: %+v %+v, %+v %+v", y, y.FPM, z, z.FPM)
	}
	exits := newCollected()
	exits.add(sigChildSignal, x)
	exits.add(sigChildSignal, y)
	if crashed, terminated := exits.set().childExits(); crashed.n != 1 || crashed.first().child() != 11 || terminated.n != 1 || terminated.first().child() != 12 {
		t.Errorf("child exits: crashed %+v, terminated %+v", crashed, terminated)
	}
	term := k.keep(fpm(13, "child 13, script '/x.php' (request: \"GET /x.php\") execution timed out (30.5 sec), terminating"), sigTerminated)
	other := k.keep(fpm(15, "child 15, script '/y.php' (request: \"GET /y.php\") execution timed out (2.5 sec), terminating"), sigTerminated)
	if term.FPM.Message != "" || term.child() != 13 || term.duration() != 1.5 || term.FPM.Pool != "www" || other.child() != 15 || other.FPM != term.FPM || term.FPM == y.FPM {
		t.Errorf("terminated requests' records: %+v %+v, %+v", term, term.FPM, other)
	}
	slow := &patterns.Event{Time: at(6), Kind: patterns.KindMySQLSlow, Path: "slow.log", Text: "# Query_time: 3", Slow: &patterns.SlowQuery{QueryTime: 3}}
	if s := k.keep(slow, sigSlowQuery); s.Event != slow || s.Time != slow.Time {
		t.Errorf("a slow-log entry not kept whole: %+v", s)
	}
}

// A rule's state of two long lists (php-fpm's terminated requests, its
// children's SIGTERM exits) passes only the head pick reads, and counts
// the rest: the same evidence, and the same count of what is not shown,
// as the two lists copied into one.
func TestStateHeadPicksAsTheWholeList(t *testing.T) {
	recs := func(from, n int) []record {
		var out []record
		for i := range n {
			out = append(out, record{Event: &patterns.Event{Kind: patterns.KindFPMError, Path: "php-fpm.log"}, Time: time.Unix(int64(from+i), 0), Offset: int64(from + i)})
		}
		return out
	}
	symptoms := recs(1000, 50)
	for _, tc := range []struct{ a, b int }{{2, 5}, {6, 5}, {0, 9}, {4, 0}, {1, 1}, {0, 0}} {
		e := evidenceSet{max: 12}
		a, b := recs(0, tc.a), recs(500, tc.b)
		whole := e.withEvidence(&Cause{}, wholeList(append(slices.Clone(a), b...)), wholeList(symptoms))
		head, more := e.stateHead(wholeList(a), wholeList(b))
		got := e.withEvidence(&Cause{}, head, wholeList(symptoms))
		got.EvidenceMore += more
		if !slices.Equal(got.Evidence, whole.Evidence) || got.EvidenceMore != whole.EvidenceMore {
			t.Errorf("%d and %d state records: evidence %v, %d more; want %v, %d more", tc.a, tc.b, got.Evidence, got.EvidenceMore, whole.Evidence, whole.EvidenceMore)
		}
		if head.n > e.max/3 {
			t.Errorf("%d and %d state records: a head of %d", tc.a, tc.b, head.n)
		}
	}
}

// The rules split some signals in two (FastCGI or not; children ended
// by php-fpm or crashed): the halves are kept as the records come, in
// their order, each a list of its own; the whole signal too.
func TestSignalsAreSplitAsTheyCome(t *testing.T) {
	nginx := func(up string, off int64) record {
		return record{Event: &patterns.Event{Error: &patterns.NginxError{Upstream: up}}, Offset: off}
	}
	c := newCollected()
	for i := range 3 {
		c.add(sigRefused, nginx(fpmSock, int64(i)))
		c.add(sigReset, nginx(fpmSock, int64(i)))
	}
	c.add(sigReset, nginx("http://10.0.0.5", 7))
	e := c.set()
	if fcgi, rest := e.split(sigRefused); fcgi.n != 3 || rest.n != 0 || fcgi.first().Offset != 0 {
		t.Errorf("a signal all FastCGI split into %d and %d", fcgi.n, rest.n)
	}
	if fcgi, rest := e.split(sigReset); fcgi.n != 3 || rest.n != 1 || rest.first().Offset != 7 || fcgi.kept[2].Offset != 2 || e.n(sigReset) != 4 {
		t.Errorf("a mixed signal split into %+v and %+v", fcgi, rest)
	}
	if got := e.only([]signal{sigRefused}); got.n(sigReset) != 0 || got.halves[sigReset][0].n != 0 || got.halves[sigRefused][0].n != 3 {
		t.Error("a rule that does not read a signal sees its halves")
	}

	exit := func(child int, sig string) record {
		return fpmLine(nil, &patterns.FPMError{Message: fmt.Sprintf("child %d exited on signal %s", child, sig)}, child, 0)
	}
	c = newCollected()
	c.add(sigChildSignal, exit(1, "15 (SIGTERM)"))
	c.add(sigChildSignal, exit(2, "3 (SIGQUIT)"))
	c.add(sigChildSignal, exit(3, "15 (SIGTERM)"))
	if crashed, terminated := c.set().childExits(); crashed.n != 0 || terminated.n != 2 || terminated.kept[1].child() != 3 {
		t.Errorf("children ended by php-fpm: crashed %v, terminated %v", crashed, terminated)
	}
	c.add(sigChildSignal, exit(4, "11 (SIGSEGV)"))
	if crashed, terminated := c.set().childExits(); crashed.n != 1 || crashed.first().child() != 4 || terminated.n != 2 {
		t.Errorf("a crash among them: crashed %v, terminated %v", crashed, terminated)
	}
}
