package main

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/logcause/logcause/bench/loggen"
)

// timeV is GNU time 1.9's -v report (Debian 12), as the runner reads it
// from time's -o file.
func timeV(user, sys, wall string, rssKB int64, exit int) string {
	return fmt.Sprintf(`	Command being timed: "logcause analyze access.log"
	User time (seconds): %s
	System time (seconds): %s
	Percent of CPU this job got: 85%%
	Elapsed (wall clock) time (h:mm:ss or m:ss): %s
	Average shared text size (kbytes): 0
	Average unshared data size (kbytes): 0
	Average stack size (kbytes): 0
	Average total size (kbytes): 0
	Maximum resident set size (kbytes): %d
	Average resident set size (kbytes): 0
	Major (requiring I/O) page faults: 0
	Minor (reclaiming a frame) page faults: 21110
	Voluntary context switches: 3127
	Involuntary context switches: 880
	Swaps: 0
	File system inputs: 0
	File system outputs: 128
	Socket messages sent: 0
	Socket messages received: 0
	Signals delivered: 0
	Page size (bytes): 4096
	Exit status: %d
`, user, sys, wall, rssKB, exit)
}

func TestParseTimeV(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Usage
	}{
		{timeV("3.91", "0.40", "0:03.60", 227328, 0), Usage{User: 3910 * time.Millisecond, Sys: 400 * time.Millisecond, Wall: 3600 * time.Millisecond, MaxRSS: 227328 * 1024}},
		{timeV("180.02", "2.10", "1:44.25", 50176, 0), Usage{User: 180020 * time.Millisecond, Sys: 2100 * time.Millisecond, Wall: 104250 * time.Millisecond, MaxRSS: 50176 * 1024}},
		{timeV("0.00", "0.00", "1:02:03", 1080, 3), Usage{Wall: 3723 * time.Second, MaxRSS: 1080 * 1024, Exit: 3}},
	} {
		got, err := parseTimeV(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%+v, %v; want %+v", got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "Command exited with non-zero status 127\n", strings.Replace(timeV("1", "1", "0:01", 1, 0), "Maximum resident", "Max resident", 1)} {
		if _, err := parseTimeV(bad); err == nil {
			t.Errorf("no error for %q", bad)
		}
	}
}

func TestLoadAverage(t *testing.T) {
	l, err := loadAverage("0.42 1.05 2.20 3/512 12345\n")
	if err != nil || l != [3]float64{0.42, 1.05, 2.20} {
		t.Errorf("%v, %v", l, err)
	}
	if _, err := loadAverage("busy"); err == nil {
		t.Error("no error")
	}
}

// usage parses a canned report, with the runner's own wall time.
func usage(t *testing.T, wall time.Duration, user, sys string, rssKB int64) Usage {
	t.Helper()
	u, err := parseTimeV(timeV(user, sys, "0:01.00", rssKB, 0))
	if err != nil {
		t.Fatal(err)
	}
	u.Wall = wall
	return u
}

// cannedResults are the figures: a 6 M-line log.
func cannedResults(t *testing.T) []Result {
	s := time.Second
	return []Result{
		{Case: Case{Group: "access", Input: "access.log", Name: "logcause analyze", Ref: true, Items: 6_000_000, Unit: "lines"},
			Runs: []Usage{usage(t, 4*s, "4.50", "0.30", 200_000), usage(t, 3600*time.Millisecond, "4.00", "0.32", 222_000), usage(t, 3800*time.Millisecond, "4.10", "0.30", 210_000)}},
		{Case: Case{Group: "access", Input: "access.log", Name: lnavName, Items: 6_000_000, Unit: "lines"},
			Runs: []Usage{usage(t, 5600*time.Millisecond, "5.00", "0.60", 260_000)}},
		{Case: Case{Group: "access", Input: "access.log", Name: goaccessName, Items: 6_000_000, Unit: "lines"},
			Runs: []Usage{usage(t, 104*s, "100.00", "2.00", 49_000)}},
		{Case: Case{Group: "access", Input: "access.log", Name: gzName, Items: 6_000_000, Unit: "lines"},
			Runs: []Usage{usage(t, 4*s, "5.00", "0.50", 230_000)}},
		{Case: Case{Group: "outage", Input: "outage/", Name: "logcause analyze", Ref: true, Items: 4_000_000, Unit: "lines"},
			Runs: []Usage{usage(t, 13*s, "14.00", "1.00", 458_000)}},
		// the 14 days of rotated logs the archive use measured
		{Case: Case{Group: "rotated", Input: "rotated/", Name: "logcause analyze", Ref: true, Items: 4_100_000, Unit: "lines"},
			Runs: []Usage{usage(t, 5200*time.Millisecond, "5.50", "0.40", 220_000)}},
		{Case: Case{Group: "mysql8", Input: "mysql8-slow.log", Name: "logcause analyze", Ref: true, Items: 300_000, Unit: "queries"},
			Runs: []Usage{usage(t, 1200*time.Millisecond, "2.00", "0.20", 140_000)}},
		{Case: Case{Group: "mysql8", Input: "mysql8-slow.log", Name: ptName, Items: 300_000, Unit: "queries"},
			Runs: []Usage{usage(t, 24*s, "23.00", "0.50", 60_000)}},
	}
}

func TestTable(t *testing.T) {
	got := Table(cannedResults(t))
	for _, want := range []string{
		// the best of three rounds: 3.6 s, its CPU, the highest RSS of the three
		"| access.log | `logcause analyze` | 3.60 | 4.32 | 1.20 | 227 | 1.67 M lines/s | — |\n",
		"| access.log | `" + lnavName + "` | 5.60 | 5.60 | 1.00 | 266 | 1.07 M lines/s | 1.56× |\n",
		"| access.log | `" + goaccessName + "` | 104.0 | 102.0 | 0.98 | 50 | 57.7 k lines/s | 28.89× |\n",
		"| outage/ | `logcause analyze` | 13.0 | 15.0 | 1.15 | 469 | 308 k lines/s | — |\n",
		"| rotated/ | `logcause analyze` | 5.20 | 5.90 | 1.13 | 225 | 788 k lines/s | — |\n",
		"| mysql8-slow.log | `" + ptName + "` | 24.0 | 23.5 | 0.98 | 61 | 12.5 k queries/s | 20.00× |\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no row\n%s\nin\n%s", want, got)
		}
	}
	if n := strings.Count(got, "\n"); n != 2+8 {
		t.Errorf("%d lines, want a header and 8 rows:\n%s", n, got)
	}
}

func TestTargets(t *testing.T) {
	notes := map[string]Check{"slow-mysql8": {OK: true, Said: "300 classes (pt-query-digest: 300)"}}
	got := map[string]Target{}
	for _, tg := range Targets(cannedResults(t), notes) {
		got[tg.What] = tg
	}
	for what, want := range map[string]Target{
		"access log, `logcause analyze` end to end":                                                {Got: "1.67 M lines/s", Measured: true},
		"access log, faster than lnav's `count(*)`":                                                {Got: "1.56×", Measured: true},
		"access log, faster than GoAccess":                                                         {Got: "28.89×", Measured: true},
		"access log, CPU ÷ wall of `logcause analyze`":                                             {Got: "1.20", Measured: true},
		"peak RSS of `logcause analyze`, access log":                                               {Got: "227 MB", Measured: true},
		"peak RSS of `logcause analyze`, MySQL 8 slow log":                                         {Got: "143 MB", Met: true, Measured: true},
		"peak RSS of `logcause analyze`, high-cardinality access log":                              {},
		"outage-heavy logs, time per line against the plain access log":                            {Got: "5.42×", Measured: true},
		"peak RSS of `logcause analyze`, rotated access logs (days of archives)":                   {Got: "225 MB", Measured: true},
		"rotated access logs, time per line against the plain access log":                          {Got: "2.11×", Measured: true, Info: true},
		"MySQL 8 slow log, `logcause analyze` (digest) faster than `pt-query-digest --limit 100%`": {Got: "20.00×", Met: true, Measured: true},
		"MySQL 8 slow log, the digest's classes and counts equal pt-query-digest's":                {Got: "300 classes (pt-query-digest: 300)", Met: true, Measured: true},
		"MariaDB slow log, the digest's classes and counts equal pt-query-digest's":                {},
		"`.gz` access log against the plain one":                                                   {Got: "90%", Met: true, Measured: true},
	} {
		g := got[what]
		if g.Got != want.Got || g.Met != want.Met || g.Measured != want.Measured || g.Info != want.Info {
			t.Errorf("%s: %+v, want %+v", what, g, want)
		}
	}
	table := TargetTable(Targets(cannedResults(t), notes))
	for _, want := range []string{
		"| access log, faster than GoAccess | ≥ 50× | 28.89× | not met |\n",
		"| `.gz` access log against the plain one | ≥ 80% of plain's speed | 90% | met |\n",
		"| peak RSS of `logcause analyze`, MariaDB slow log | ≤ 150 MB | — | not measured |\n",
		"| peak RSS of `logcause analyze`, rotated access logs (days of archives) | ≤ 150 MB | 225 MB | not met |\n",
		"| rotated access logs, time per line against the plain access log | — (no target: information) | 2.11× | information |\n",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("no row\n%s\nin\n%s", want, table)
		}
	}
}

// ptReport is the start of pt-query-digest 3.2.1's report, with its profile.
const ptReport = `# Overall: 20.00k total, 3 unique, 0.23 QPS, 0.75x concurrency _________
# Time range: 2026-11-22T23:00:02 to 2026-11-23T22:59:59

# Profile
# Rank Query ID                           Response time   Calls R/Call V/M
# ==== ================================== =============== ===== ====== ===
#    1 0x9C05EA5686390AEB296E90D8F864A512 1635.5682  2.5%   496 3.2975  0.99 SELECT orders
#    2 0x0AEB819EBB934F97AF803A020971AEC1 1634.7116  2.5%   480 3.4056  1.01 SELECT products
#    3 0x5C76845340B866ED915FF06E8515E445 1503.3917  2.3%   453 3.3187  0.98 UPDATE carts
`

func TestCompareDigests(t *testing.T) {
	for _, tc := range []struct {
		lc   string
		ok   bool
		said string
	}{
		{`{"slow_queries":[{"query_id":"296E90D8F864A512","count":496},{"query_id":"AF803A020971AEC1","count":480}],"slow_queries_more":1}`,
			true, "3 classes (pt-query-digest: 3); of the 2 listed, 0 with an id pt-query-digest has not, 0 with another count"},
		{`{"slow_queries":[{"query_id":"296E90D8F864A512","count":495},{"query_id":"036DE3CBD4D63FBD","count":453}],"slow_queries_more":1}`,
			false, "3 classes (pt-query-digest: 3); of the 2 listed, 1 with an id pt-query-digest has not, 1 with another count"},
		{`{"slow_queries":[{"query_id":"296E90D8F864A512","count":496}],"slow_queries_more":0}`,
			false, "1 classes (pt-query-digest: 3); of the 1 listed, 0 with an id pt-query-digest has not, 0 with another count"},
	} {
		got := compareDigests([]byte(tc.lc), []byte(ptReport))
		if got.OK != tc.ok || got.Said != tc.said {
			t.Errorf("%s: %+v, want %v %q", tc.lc, got, tc.ok, tc.said)
		}
	}
}

func TestChecks(t *testing.T) {
	if commas(6000123) != "6,000,123" || commas(999) != "999" || commas(1000) != "1,000" {
		t.Error(commas(6000123), commas(999), commas(1000))
	}
	if err := lnavCount(84552)([]byte("count(*) \n   84552 \n")); err != nil {
		t.Error(err)
	}
	if err := lnavCount(84552)([]byte("count(*) \n   84551 \n")); err == nil {
		t.Error("a short count passed")
	}
	if err := contains("84,552 requests")([]byte("84,552 requests: 200: 84,000")); err != nil {
		t.Error(err)
	}
	if err := contains("4 incidents")([]byte("3 incidents")); err == nil {
		t.Error("a wrong report passed")
	}
}

// The outage's report must tell each planned incident with its cause:
// one told "unknown" (its php-fpm log read in the wrong zone) fails.
func TestOutageFoundChecksEachCause(t *testing.T) {
	planned := []loggen.Incident{{Cause: "fpm_worker_exhaustion"}, {Cause: "fpm_request_terminated"}}
	report := func(second string) []byte {
		return fmt.Appendf(nil, "2 incidents of 502/504 responses found.\n\nINCIDENT 1  …\n  Root cause:  fpm_worker_exhaustion (confidence 0.80)\n\nINCIDENT 2  …\n  Root cause:  %s (confidence 0.80)\n", second)
	}
	check := outageFound(planned)
	if err := check(report("fpm_request_terminated")); err != nil {
		t.Error(err)
	}
	if err := check(report("unknown")); err == nil {
		t.Error("an incident told with another cause passed")
	}
	if err := check(bytes.Replace(report("fpm_request_terminated"), []byte("2 incidents"), []byte("3 incidents"), 1)); err == nil {
		t.Error("another count of incidents passed")
	}
	swapped := outageFound([]loggen.Incident{planned[1], planned[0]})
	if err := swapped(report("fpm_request_terminated")); err == nil {
		t.Error("the causes in another order passed")
	}
}

func TestGroupsRotate(t *testing.T) {
	cases := []Case{{Group: "a"}, {Group: "a"}, {Group: "b"}, {Group: "a"}}
	got := fmt.Sprint(groups(cases))
	if got != "[[0 1 3] [2]]" {
		t.Errorf("groups %s", got)
	}
}

// TestPlanRotated: the rotated input is one `logcause analyze` of the
// directory, over the set's lines, checked against the manifest's count.
func TestPlanRotated(t *testing.T) {
	m := loggen.Manifest{Set: loggen.Set{Days: 15}, Files: map[string]loggen.Stats{
		loggen.RotatedDir: {Bytes: 1_000_000_000, Lines: 4_230_000, GatewayErrors: 8000, Disk: 130_000_000},
	}}
	cases, _ := plan(options{dir: "/b", cases: "rotated"}, "/b/bin/logcause", "/b/logs", m)
	if len(cases) != 1 {
		t.Fatalf("%d cases: %+v", len(cases), cases)
	}
	c := cases[0]
	if got := strings.Join(c.Args, " "); got != "/b/bin/logcause analyze --config-root /b/empty-config-root rotated" {
		t.Errorf("command %q", got)
	}
	if c.Group != "rotated" || !c.Ref || c.Items != 4_230_000 || c.Unit != "lines" || c.Out == "" {
		t.Errorf("case %+v", c)
	}
	if want := "`rotated/` (15 days: access.log, access.log.1, access.log.2.gz, …, access.log.14.gz; 1000 MB, 4.23 M lines, 130 MB on disk)"; c.Input != want {
		t.Errorf("input %q, want %q", c.Input, want)
	}
	if err := c.Check([]byte("4,230,000 requests: 200: 4,000,000")); err != nil {
		t.Error(err)
	}
	if err := c.Check([]byte("4,229,999 requests: 200: 4,000,000")); err == nil {
		t.Error("a report of fewer requests passed")
	}
}

// TestTargetsOfNothing: inputs left out are not measured, not a panic.
func TestTargetsOfNothing(t *testing.T) {
	for _, tg := range Targets(nil, nil) {
		if tg.Measured || tg.Met {
			t.Errorf("%+v", tg)
		}
	}
}

// TestPlanWarmsWhatEachCommandReads: every command names, among its
// arguments, the file or directory warmed before it runs (Reads).
func TestPlanWarmsWhatEachCommandReads(t *testing.T) {
	m := loggen.Manifest{Set: loggen.Set{Days: 15, Bytes: 1_000_000_000, Errors: 320_000}, Files: map[string]loggen.Stats{}}
	cases, _ := plan(options{dir: "/b", cases: "access,clients,outage,rotated,mysql8,mariadb"}, "/b/bin/logcause", "/b/logs", m)
	if len(cases) != 16 {
		t.Fatalf("%d cases, want the 16 commands of the six inputs", len(cases))
	}
	for _, c := range cases {
		if c.Reads == "" || !slices.Contains(c.Args, c.Reads) {
			t.Errorf("%s (%s): warms %q, runs %q", c.Name, c.Group, c.Reads, c.Args)
		}
	}
}

// TestCachesSaysEachLevelAndWhoSharesIt reads a sysfs cache directory as
// the kernel lays it out (/sys/devices/system/cpu/cpu0/cache).
func TestCachesSaysEachLevelAndWhoSharesIt(t *testing.T) {
	dir := fstest.MapFS{}
	for i, c := range []struct{ level, typ, size, shared string }{
		{"1", "Data", "32K", "0"}, {"1", "Instruction", "64K", "0"}, {"2", "Unified", "512K", "0"}, {"3", "Unified", "8192K", "0-1"},
	} {
		d := fmt.Sprintf("index%d/", i)
		dir[d+"level"] = &fstest.MapFile{Data: []byte(c.level + "\n")}
		dir[d+"type"] = &fstest.MapFile{Data: []byte(c.typ + "\n")}
		dir[d+"size"] = &fstest.MapFile{Data: []byte(c.size + "\n")}
		dir[d+"shared_cpu_list"] = &fstest.MapFile{Data: []byte(c.shared + "\n")}
	}
	dir["uevent"] = &fstest.MapFile{}
	if got, want := caches(dir), "L1d 32K, L1i 64K, L2 512K, L3 8192K (shared by 2)"; got != want {
		t.Errorf("caches = %q, want %q", got, want)
	}
	if got := caches(fstest.MapFS{}); got != "?" {
		t.Errorf("caches of no directory = %q, want ?", got)
	}
	for list, want := range map[string]int{"0": 1, "0-1": 2, "0-1,4,6-7": 5, "": 0, "x": 0} {
		if got := sharedBy(list); got != want {
			t.Errorf("sharedBy(%q) = %d, want %d", list, got, want)
		}
	}
}
