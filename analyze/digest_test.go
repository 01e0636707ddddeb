package analyze

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

func slowEntry(sec int, id string, qt, lock float64, sent, examined int64, query string) *patterns.Event {
	return &patterns.Event{
		Time: at(sec), Kind: patterns.KindMySQLSlow, Path: "slow.log", Offset: int64(sec),
		Slow: &patterns.SlowQuery{QueryID: id, Fingerprint: "select " + id, QueryTime: qt, LockTime: lock, RowsSent: sent, RowsExamined: examined, Query: query, Schema: "shop"},
	}
}

// TestDigest checks the statistics of the digest on a hand-made set: 20
// entries of class A with query times 1…20 s (in shuffled order), 3 of
// class B, a server header that is no query.
func TestDigest(t *testing.T) {
	f := &fake{}
	order := []int{7, 3, 20, 1, 15, 12, 9, 18, 2, 5, 11, 14, 4, 19, 6, 8, 17, 10, 13, 16}
	for i, v := range order {
		f.events = append(f.events, slowEntry(100+i, "A", float64(v), 0.5, 1, int64(v)*10, "SELECT a FROM t WHERE id = "+strings.Repeat("9", v)))
	}
	f.events = append(f.events,
		slowEntry(50, "B", 30, 1, 2, 3, "SELECT b"),
		slowEntry(60, "B", 30, 1, 2, 3, "SELECT b -- later, as slow"),
		slowEntry(70, "B", 1, 1, 2, 3, "SELECT b"),
		&patterns.Event{Time: at(80), Kind: patterns.KindMySQLSlow, Slow: &patterns.SlowQuery{Restart: true}},
	)
	res, err := Analyze(f, TimeRange{at(0), at(1000)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SlowQueries) != 2 || res.SlowQueriesMore != 0 {
		t.Fatalf("%d classes (%d more): %+v", len(res.SlowQueries), res.SlowQueriesMore, res.SlowQueries)
	}
	a, b := res.SlowQueries[0], res.SlowQueries[1]
	if a.QueryID != "A" || b.QueryID != "B" {
		t.Fatalf("ranked %s, %s; want A (210 s), B (61 s)", a.QueryID, b.QueryID)
	}
	// Nearest rank of 1…20: p50 is rank 10, p95 rank 19.
	if a.Count != 20 || a.TotalTime != 210 || a.P50Time != 10 || a.P95Time != 19 || a.MaxTime != 20 {
		t.Errorf("A: count %d total %v p50 %v p95 %v max %v", a.Count, a.TotalTime, a.P50Time, a.P95Time, a.MaxTime)
	}
	if a.LockTime != 10 || a.RowsSent != 20 || a.RowsExamined != 2100 {
		t.Errorf("A: lock %v sent %d examined %d", a.LockTime, a.RowsSent, a.RowsExamined)
	}
	if !a.FirstSeen.Equal(at(100)) || !a.LastSeen.Equal(at(119)) {
		t.Errorf("A: seen %v … %v", a.FirstSeen, a.LastSeen)
	}
	if s := a.Sample; s.QueryTime != 20 || !s.Time.Equal(at(102)) || s.Offset != 102 || s.Path != "slow.log" || s.Schema != "shop" {
		t.Errorf("A: sample %+v", s)
	}
	if s := b.Sample; s.Query != "SELECT b" || !s.Time.Equal(at(50)) {
		t.Errorf("B: the worst sample is the first of the slowest, got %+v", s)
	}
	if b.Count != 3 || b.P50Time != 30 || b.P95Time != 30 || !b.FirstSeen.Equal(at(50)) || !b.LastSeen.Equal(at(70)) {
		t.Errorf("B: %+v", b)
	}
}

func TestDigestBounds(t *testing.T) {
	f := &fake{}
	for i := range maxDigest + 3 {
		f.events = append(f.events, slowEntry(i, string(rune('a'+i)), float64(i+1), 0, 0, 0, strings.Repeat("é", maxSampleQuery)))
	}
	res, err := Analyze(f, TimeRange{at(0), at(100)}, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SlowQueries) != maxDigest || res.SlowQueriesMore != 3 || res.SlowQueries[0].QueryID != string(rune('a'+maxDigest+2)) {
		t.Fatalf("%d classes listed, %d more, first %s", len(res.SlowQueries), res.SlowQueriesMore, res.SlowQueries[0].QueryID)
	}
	q := res.SlowQueries[0].Sample.Query
	if len(q) > maxSampleQuery || !strings.HasSuffix(q, "é…") {
		t.Errorf("sample of %d bytes: …%q", len(q), q[len(q)-8:])
	}
	empty, err := Analyze(&fake{}, TimeRange{at(0), at(100)}, DefaultConfig)
	if err != nil || empty.SlowQueries == nil {
		t.Errorf("no slow log: %v, %v (want [])", empty.SlowQueries, err)
	}
}

// TestDigestReservoir: beyond maxTimes entries a class's percentiles come
// from a uniform sample; the count, total and max stay exact.
func TestDigestReservoir(t *testing.T) {
	d := newDigest()
	n := 5 * maxTimes
	for i := range n {
		// Every value once, in an order that puts the large ones last.
		d.add(slowEntry(i, "A", float64(i+1), 0, 0, 0, "q"))
	}
	cs, _, err := d.result(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := cs[0]
	if c.Count != int64(n) || c.MaxTime != float64(n) || c.TotalTime != float64(n)*float64(n+1)/2 {
		t.Errorf("count %d max %v total %v", c.Count, c.MaxTime, c.TotalTime)
	}
	if len(d.classes["A"].times) != maxTimes {
		t.Errorf("%d times kept", len(d.classes["A"].times))
	}
	// A uniform sample's median is near n/2 (a kept prefix would give maxTimes/2).
	if math.Abs(c.P50Time-float64(n)/2) > float64(n)/20 || math.Abs(c.P95Time-0.95*float64(n)) > float64(n)/20 {
		t.Errorf("p50 %v p95 %v of 1…%d", c.P50Time, c.P95Time, n)
	}
}

func TestNearestRank(t *testing.T) {
	for _, tc := range []struct {
		v      []int64
		p, out float64
	}{{nil, 50, 0}, {[]int64{4e6}, 95, 4}, {[]int64{1e6, 2e6}, 50, 1}, {[]int64{1e6, 2e6, 3e6, 4e6}, 50, 2}, {[]int64{1e6, 2e6, 3e6, 4e6}, 95, 4}, {[]int64{1, 2500001}, 95, 2.500001}} {
		if got := nearestRank(tc.v, tc.p); got != tc.out {
			t.Errorf("p%v of %v = %v, want %v", tc.p, tc.v, got, tc.out)
		}
	}
}

const perconaDir = "../testdata/corpus/percona-go-mysql/test/"

// TestDigestPercona reads the slow logs that Percona's results describe
// with the slow-log parser, as ingest would, and requires the digest of
// Analyze to have pt-query-digest's classes (id and fingerprint), and per
// class its count, the sums of query time, lock time and rows, the
// maximum query time and the example's (worst sample's) time.
//
// Two logs are left out: slow018 has no time at all (its entries cannot
// be placed in an analysis range; patterns' TestPerconaAggregates reads
// them), and slow025 is rate limited (Log_slow_rate_limit), where
// Percona's counts are scaled by the limit and the digest counts the
// entries as logged.
func TestDigestPercona(t *testing.T) {
	results, _ := filepath.Glob(perconaDir + "results/*.json")
	if len(results) != 9 {
		t.Fatalf("%d result files", len(results))
	}
	for _, rp := range results {
		name := strings.TrimSuffix(filepath.Base(rp), ".json")
		if name == "slow018" || name == "slow025" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			var want struct {
				Global struct{ TotalQueries, UniqueQueries int }
				Class  map[string]struct {
					ID           string `json:"Id"`
					Fingerprint  string
					TotalQueries int64
					Metrics      struct {
						TimeMetrics   map[string]struct{ Sum, Max float64 }
						NumberMetrics map[string]struct{ Sum, Max float64 }
					}
					Example *struct{ Ts string }
				}
			}
			data, err := os.ReadFile(rp)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatal(err)
			}
			f := &fake{events: slowLogEvents(t, perconaDir+"slow-logs/"+strings.TrimSuffix(name, "-no-examples")+".log")}
			res, err := Analyze(f, TimeRange{time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}, DefaultConfig)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.SlowQueries)+res.SlowQueriesMore != want.Global.UniqueQueries || len(res.SlowQueries) != len(want.Class) {
				t.Fatalf("%d classes (+%d), pt-query-digest %d", len(res.SlowQueries), res.SlowQueriesMore, want.Global.UniqueQueries)
			}
			var total int64
			for i, c := range res.SlowQueries {
				total += c.Count
				if i > 0 && c.TotalTime > res.SlowQueries[i-1].TotalTime {
					t.Errorf("class %s ranked after a shorter one", c.QueryID)
				}
				w, ok := want.Class[c.QueryID]
				if !ok {
					t.Errorf("class %s %q: not in pt-query-digest's", c.QueryID, c.Fingerprint)
					continue
				}
				tm, nm := w.Metrics.TimeMetrics, w.Metrics.NumberMetrics
				if c.Fingerprint != w.Fingerprint || c.QueryID != w.ID || c.Count != w.TotalQueries {
					t.Errorf("class %s: %q ×%d, pt-query-digest %q %s ×%d", c.QueryID, c.Fingerprint, c.Count, w.Fingerprint, w.ID, w.TotalQueries)
				}
				if !near(c.TotalTime, tm["Query_time"].Sum) || c.MaxTime != tm["Query_time"].Max || !near(c.LockTime, tm["Lock_time"].Sum) ||
					float64(c.RowsSent) != nm["Rows_sent"].Sum || float64(c.RowsExamined) != nm["Rows_examined"].Sum {
					t.Errorf("class %s: time %v max %v lock %v rows %d/%d, pt-query-digest %v %v %v %v/%v", c.QueryID, c.TotalTime, c.MaxTime, c.LockTime,
						c.RowsSent, c.RowsExamined, tm["Query_time"].Sum, tm["Query_time"].Max, tm["Lock_time"].Sum, nm["Rows_sent"].Sum, nm["Rows_examined"].Sum)
				}
				if ex := w.Example; ex != nil && ex.Ts != "" && c.Sample.Time.Format(time.DateTime) != ex.Ts {
					t.Errorf("class %s: sample at %s, pt-query-digest's example at %s", c.QueryID, c.Sample.Time.Format(time.DateTime), ex.Ts)
				}
			}
			if total != int64(want.Global.TotalQueries) {
				t.Errorf("%d queries, pt-query-digest %d", total, want.Global.TotalQueries)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*max(1, math.Abs(b)) }

// slowLogEvents parses a slow log into events: records framed by
// patterns.StartsRecord, as ingest frames them.
func slowLogEvents(t *testing.T, path string) []*patterns.Event {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := patterns.NewParser(patterns.KindMySQLSlow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var recs [][]byte
	for l := range strings.Lines(string(data)) {
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		if len(recs) == 0 || patterns.StartsRecord(patterns.KindMySQLSlow, []byte(l)) {
			recs = append(recs, []byte(l))
		} else {
			recs[len(recs)-1] = append(append(recs[len(recs)-1], '\n'), l...)
		}
	}
	var evs []*patterns.Event
	for i, r := range recs {
		ev := new(patterns.Event)
		if err := p.Parse(r, ev); err != nil {
			if !errors.Is(err, patterns.ErrNoEvent) {
				t.Fatalf("record %d: %v", i, err)
			}
			continue
		}
		ev.Path = path
		evs = append(evs, ev)
	}
	return evs
}

// TestIncidentSlowQueries: an incident lists the classes whose queries ran
// during its window, not those that ended before it (in its Lookback).
func TestIncidentSlowQueries(t *testing.T) {
	f := &fake{}
	f.healthy(0, 200)
	for s := 50; s < 60; s++ {
		f.access(s, 504, "/api", 2)
		f.nginx(s, 2, 110, timedOut, readHeader, "http://10.0.0.5:8080/api")
	}
	f.slow(45, 1, "SELECT 2", "select ? before")      // ended before the window
	f.slow(52, 1, "SELECT 1", "select ? during")      // ran in it
	f.slow(70, 30, "SELECT 3", "select ? long")       // began before it, ended after it
	f.slow(70, 30, "SELECT 3", "select ? long")       // twice
	f.slow(190, 2, "SELECT 4", "select ? much later") // after it
	inc := onlyIncident(t, analyzeFake(t, f))
	var got []string
	for _, c := range inc.SlowQueries {
		got = append(got, fmt.Sprintf("%s ×%d %v", c.Fingerprint, c.Count, c.TotalTime))
	}
	if want := []string{"select ? long ×2 60", "select ? during ×1 1"}; !slices.Equal(got, want) {
		t.Errorf("the incident's classes %q, want %q", got, want)
	}
}
