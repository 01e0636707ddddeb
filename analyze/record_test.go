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
		a.client() == 0 || a.client() != who["10.0.0.1"] || b.client() != who["10.0.0.2"] || a.client() == b.client() ||
		a.request() == 0 || b.request() != who["GET /10.0.0.2"] || a.request() == b.request() || a.child() != 0 || a.duration() != 0 {
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
	if crashed, terminated := childExits([]record{x, y}); len(crashed) != 1 || crashed[0].child() != 11 || len(terminated) != 1 || terminated[0].child() != 12 {
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
		whole := e.withEvidence(&Cause{}, append(slices.Clone(a), b...), symptoms)
		head, more := e.stateHead(a, b)
		got := e.withEvidence(&Cause{}, head, symptoms)
		got.EvidenceMore += more
		if !slices.Equal(got.Evidence, whole.Evidence) || got.EvidenceMore != whole.EvidenceMore {
			t.Errorf("%d and %d state records: evidence %v, %d more; want %v, %d more", tc.a, tc.b, got.Evidence, got.EvidenceMore, whole.Evidence, whole.EvidenceMore)
		}
		if len(head) > e.max/3 {
			t.Errorf("%d and %d state records: a head of %d", tc.a, tc.b, len(head))
		}
	}
}

// An outage's lists hold hundreds of thousands of records: joining a long
// list with empty ones, or splitting a signal whose records are all of
// one half, hands the list itself, not a copy — with no room left, so
// that a rule appending to it copies it instead of writing into the
// signal's records.
func TestListsAreNotCopiedWhenOneHoldsThemAll(t *testing.T) {
	recs := make([]record, 3, 8)
	for i := range recs {
		recs[i] = record{Event: &patterns.Event{Error: &patterns.NginxError{Upstream: fpmSock}}, Offset: int64(i)}
	}
	same := func(a, b []record) bool { return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0] }
	j := joined(nil, recs, []record{})
	if !same(j, recs) || cap(j) != len(j) {
		t.Fatalf("joined one list: a copy, or room to write into it (len %d cap %d)", len(j), cap(j))
	}
	if j = append(j, record{Offset: 9}); cap(recs) == 8 && recs[:4][3].Offset == 9 {
		t.Error("an append to the joined list wrote into the signal's records")
	}
	other := []record{{Event: &patterns.Event{Error: &patterns.NginxError{Upstream: "http://10.0.0.5"}}, Offset: 7}}
	if both := joined(recs, other); len(both) != 4 || same(both, recs) || both[3].Offset != 7 {
		t.Errorf("joined two lists: %+v", both)
	}
	if joined() != nil || joined(nil, []record{}) != nil {
		t.Error("joined of no records is not nil")
	}

	var sig [numSignals][]record
	sig[sigRefused], sig[sigReset] = recs, append(slices.Clone(recs), other...)
	e := evidenceSet{sig: &sig, halves: &[numSignals]*[2][]record{}}
	if fcgi, rest := e.split(sigRefused); !same(fcgi, recs) || cap(fcgi) != len(fcgi) || rest != nil {
		t.Errorf("a signal all FastCGI split into %d and %d, a copy or with room", len(fcgi), len(rest))
	}
	if fcgi, rest := e.split(sigReset); len(fcgi) != 3 || len(rest) != 1 || rest[0].Offset != 7 || fcgi[2].Offset != 2 {
		t.Errorf("a mixed signal split into %+v and %+v", fcgi, rest)
	}

	exit := func(child int, sig string) record {
		return fpmLine(nil, &patterns.FPMError{Message: fmt.Sprintf("child %d exited on signal %s", child, sig)}, child, 0)
	}
	ended := make([]record, 0, 4)
	ended = append(ended, exit(1, "15 (SIGTERM)"), exit(2, "15 (SIGTERM)"))
	if crashed, terminated := childExits(ended); crashed != nil || !same(terminated, ended) || cap(terminated) != 2 {
		t.Errorf("children all ended by php-fpm: crashed %v, terminated a copy or with room (cap %d)", crashed, cap(terminated))
	}
	if crashed, terminated := childExits(append(ended, exit(3, "11 (SIGSEGV)"))); len(crashed) != 1 || crashed[0].child() != 3 || len(terminated) != 2 {
		t.Errorf("a crash among them: crashed %v, terminated %v", crashed, terminated)
	}
}
