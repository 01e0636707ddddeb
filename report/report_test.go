package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/timeline"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 23, 13, 0, 50, 0, time.UTC)

// sample is a result with one incident, two causes, hostile log text and a
// source with unparsed records.
func sample() analyze.Result {
	return analyze.Result{
		Version: 1,
		Range:   analyze.TimeRange{Start: t0.Add(-50 * time.Second), End: t0.Add(70 * time.Second)},
		Sources: []analyze.Source{
			{Path: "/var/log/nginx/access.log", Format: "nginx_access", Records: 1234, Unparsed: 1, TZ: "from the log ($time_local offset)",
				Samples: []string{"garbage \x1b[31mred\x1b[0m line"}},
			{Path: "/var/log/nginx/error.log", Format: "nginx_error", Records: 101, TZ: "+01:00 (learned from the access log)"},
			{Path: "/var/log/php8.2-fpm.log", Format: "fpm_error", Records: 7, TZ: "+01:00 (learned from the access log)", Error: "cannot read: boom"},
		},
		Totals: analyze.Totals{Requests: 1234, Status: map[string]int64{"200": 1132, "502": 101, "504": 1}},
		Noise: analyze.Noise{GatewayErrors: 2, Bursts: []analyze.NoiseBurst{
			{Start: t0.Add(-40 * time.Second), End: t0.Add(-39 * time.Second), Status: map[string]int64{"502": 1}},
			{Start: t0.Add(60 * time.Second), End: t0.Add(61 * time.Second), Status: map[string]int64{"504": 1}},
		}},
		Config: &analyze.ConfigUse{Root: "/srv/backup/web1", Files: []string{"/etc/nginx/nginx.conf", "/etc/php/8.2/fpm/pool.d/www\x1b[2J.conf"},
			Problems: []string{"cannot read /etc/mysql/my.cnf: permission denied"}},
		Gaps: []analyze.Gap{{Time: t0.Add(-5 * time.Second), Path: "/var/log/nginx/error.log\x1b[2J", Offset: 81920,
			Reason: "the saved position is in no file any more (rotated away, compressed or deleted): lines after it may be missing; reading the file at the path from its start"}},
		SlowQueries: []analyze.QueryClass{
			{QueryID: "3F79759E7FAA9A2E", Fingerprint: "select * from orders where customer_id=? order by created_at desc", Count: 1234,
				TotalTime: 4321.5, P50Time: 2.5, P95Time: 9.75, MaxTime: 31.2, LockTime: 0.012, RowsSent: 12340, RowsExamined: 98765432,
				FirstSeen: t0.Add(-50 * time.Second), LastSeen: t0.Add(65 * time.Second),
				Sample: analyze.QuerySample{Time: t0.Add(5 * time.Second), QueryTime: 31.2, Schema: "shop", Path: "/var/log/mysql/slow.log", Offset: 4096,
					Query: "SELECT * FROM orders WHERE customer_id = 42 ORDER BY created_at DESC"}},
			{QueryID: "0000000000000001", Fingerprint: "select ?|`x`\x1b[2J", Count: 1, TotalTime: 0.000277, P50Time: 0.000277, P95Time: 0.000277, MaxTime: 0.000277,
				FirstSeen: t0, LastSeen: t0,
				Sample: analyze.QuerySample{Time: t0, QueryTime: 0.000277, Path: "/var/log/mysql/slow.log", Query: "SELECT 1 /* \x1b[31m | ` */"}},
		},
		SlowQueriesMore: 1,
		Series: analyze.Series{Start: t0.Add(-50 * time.Second), Step: 10,
			Requests: []int64{98, 101, 99, 97, 100, 150, 96, 99, 100, 98, 97, 99, 100},
			Gateway: map[string][]int64{
				"502": {0, 1, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0},
				"504": {0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0},
			}},
		Incidents: []analyze.Incident{{
			Start: t0, End: t0.Add(10 * time.Second),
			Title:    "502s on /slow.php: PHP-FPM ran out of workers (pm.max_children reached)",
			Requests: 150, Status: map[string]int64{"502": 100},
			RootCause: analyze.FPMWorkerExhaustion, Chain: []analyze.Kind{analyze.FPMWorkerExhaustion},
			Causes: []analyze.Cause{
				{
					Kind: analyze.FPMWorkerExhaustion, Confidence: 0.95,
					Summary: "100 of 100 gateway errors in the window have a matching `connect() … failed (11: Resource temporarily unavailable)` line",
					Evidence: []analyze.Evidence{
						{Source: "fpm_error", Path: "/var/log/php8.2-fpm.log", Offset: 512, Time: t0.Add(-time.Second),
							Text: "[23-Nov-2026 14:00:49] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it"},
						{Source: "nginx_error", Path: "/var/log/nginx/error.log", Offset: 0, Time: t0,
							Text: `2026/11/23 14:00:50 [error] 12#12: *7 connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: _, request: "GET /slow.php?<script>alert(1)</script>` + "\x1b]0;pwned\x07" + ` HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "127.0.0.1"`},
					},
					Settings:        []analyze.Setting{}, // analyze never leaves it nil
					Recommendations: []string{"Raise pm.max_children.", "Raise listen.backlog."},
				},
				{Kind: analyze.UpstreamTimeout, Confidence: 0.26, Summary: "3 of 100 gateway errors …", Evidence: []analyze.Evidence{}, Settings: []analyze.Setting{}, Recommendations: []string{"x"}},
			},
			TopPaths:     []analyze.PathCount{{Path: "/slow.php", Count: 80}, {Path: "/\x1b[2Jcart", Count: 20}},
			TopUpstreams: []analyze.ValueCount{{Value: "fastcgi://unix:/run/php/php8.2-fpm.sock:", Count: 100}},
			TopHosts:     []analyze.ValueCount{{Value: "shop.example.com", Count: 99}, {Value: "\x1b[31mevil", Count: 1}},
			TopClients: []analyze.ValueCount{{Value: "10.0.0.1", Count: 50}, {Value: "10.0.0.2", Count: 30}, {Value: "10.0.0.3", Count: 10},
				{Value: "10.0.0.4", Count: 5}, {Value: "10.0.0.5", Count: 5}},
			ByUpstream: []analyze.UpstreamShare{{Upstream: "unix:/run/php/php8.2-fpm.sock", Requests: 110, GatewayErrors: 100},
				{Upstream: "10.0.0.9:80\x1b[2J", Requests: 40, GatewayErrors: 0}, {Upstream: "10.0.0.10:80", Requests: 3}, {Upstream: "10.0.0.11:80", Requests: 1}},
			SlowQueries: []analyze.ClassCount{{QueryID: "3F79759E7FAA9A2E", Fingerprint: "select * from orders where customer_id=? order by created_at desc", Count: 7, TotalTime: 98.5},
				{QueryID: "0000000000000001", Fingerprint: "select ?", Count: 1, TotalTime: 0.000277}},
		}},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run `go test ./report -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run `go test ./report -update` if the change is intended):\n%s", name, got)
	}
}

func TestTextGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Text(&b, sample(), DefaultWidth); err != nil {
		t.Fatal(err)
	}
	golden(t, "incident.txt", b.Bytes())
	if bytes.ContainsAny(b.Bytes(), "\x1b\x07") {
		t.Error("terminal output contains control characters from the logs")
	}
}

func TestTextNoIncident(t *testing.T) {
	res := sample()
	res.Incidents = nil
	var b bytes.Buffer
	if err := Text(&b, res, DefaultWidth); err != nil {
		t.Fatal(err)
	}
	golden(t, "healthy.txt", b.Bytes())
}

func TestIncidentsLeavesTheRestOut(t *testing.T) {
	res := sample()
	opened := res.Incidents
	res.Incidents = append(res.Incidents, analyze.Incident{Start: t0.Add(-time.Hour), End: t0.Add(-time.Hour), Title: "an older incident"})
	var b bytes.Buffer
	if err := Incidents(&b, res, opened, DefaultWidth); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, opened[0].Title) || !strings.Contains(out, "Raise pm.max_children.") {
		t.Errorf("the incident given is not shown:\n%s", out)
	}
	for _, not := range []string{"an older incident", "Noise:", "Sources:", "/var/log/php8.2-fpm.log: cannot read"} {
		if strings.Contains(out, not) {
			t.Errorf("shows %q:\n%s", not, out)
		}
	}
	if len(res.Incidents) != 2 || len(res.Sources) != 3 || len(res.Noise.Bursts) != 2 {
		t.Error("Incidents changed the result it was given")
	}
	b.Reset()
	if err := Incidents(&b, res, nil, DefaultWidth); err != nil || b.Len() != 0 {
		t.Errorf("no incident: %v %q", err, b.String())
	}
}

func TestJSONGolden(t *testing.T) {
	var b bytes.Buffer
	if err := JSON(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "incident.json", b.Bytes())
	var back analyze.Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("the JSON report does not parse: %v", err)
	}
	if back.Incidents[0].Causes[0].Evidence[1].Text != sample().Incidents[0].Causes[0].Evidence[1].Text {
		t.Error("evidence text did not survive the JSON round trip")
	}
}

func TestJSONContractFieldNames(t *testing.T) {
	var b bytes.Buffer
	JSON(&b, sample())
	var m map[string]any
	json.Unmarshal(b.Bytes(), &m)
	for _, k := range []string{"version", "range", "sources", "totals", "incidents"} {
		if _, ok := m[k]; !ok {
			t.Errorf("top-level field %q missing", k)
		}
	}
	inc := m["incidents"].([]any)[0].(map[string]any)
	for _, k := range []string{"start", "end", "requests", "status", "root_cause", "chain", "causes", "top_paths"} {
		if _, ok := inc[k]; !ok {
			t.Errorf("incident field %q missing", k)
		}
	}
	ev := inc["causes"].([]any)[0].(map[string]any)["evidence"].([]any)[0].(map[string]any)
	for _, k := range []string{"source", "path", "offset", "time", "text"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("evidence field %q missing", k)
		}
	}
	if ev["time"] != "2026-11-23T13:00:49Z" {
		t.Errorf("time %v is not RFC 3339 UTC", ev["time"])
	}
}

func TestClean(t *testing.T) {
	for in, want := range map[string]string{
		"plain":            "plain",
		"\x1b[31mred":      `\x1B[31mred`,
		"bell\x07":         `bell\x07`,
		"a\nb":             "a ⏎ b",
		"c1 \u009b2J":      `c1 \u009B2J`,
		"bad \xff utf8":    "bad \ufffd utf8",
		"rtl \u202eevil":   `rtl \u202Eevil`,
		"ünïcödé stays":    "ünïcödé stays",
		"tab\there":        "tab here",
		"del\x7f":          `del\x7F`,
		"nul\x00":          `nul\x00`,
		"\xd0\x9f\xd1\x80": "Пр",
	} {
		if got := clean(in); got != want {
			t.Errorf("clean(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzClean(f *testing.F) {
	f.Add("\x1b[31mred\x1b[0m\n\xff")
	f.Fuzz(func(t *testing.T, s string) {
		out := clean(s)
		for _, r := range out {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Fatalf("clean(%q) left control %U", s, r)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Fatal("escape left")
		}
	})
}

func TestStoreStatsGolden(t *testing.T) {
	var b bytes.Buffer
	err := StoreStats(&b, timeline.Stats{
		Dir: "/var/lib/logcause", DiskBytes: 48 << 20,
		First: t0, Last: t0.Add(49 * time.Hour), Days: 3, Requests: 1234567, Seconds: 172800,
		Events:  map[string]int64{"nginx_error": 1201, "fpm_error": 7, "nginx_access": 1284},
		Sources: []timeline.Source{{Path: "/var/log/nginx/access.log\x1b[2J", Format: "nginx_access", Records: 1234567, Unparsed: 3, TZ: "from the log"}},
	}, DefaultWidth)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "store-stats.txt", b.Bytes())
	if bytes.Contains(b.Bytes(), []byte("\x1b")) {
		t.Error("escape sequence from a file name reached the terminal")
	}
	b.Reset()
	StoreStats(&b, timeline.Stats{Dir: "/tmp/x"}, DefaultWidth)
	golden(t, "store-stats-empty.txt", b.Bytes())
}

func TestStoreStatsJSON(t *testing.T) {
	var b bytes.Buffer
	in := timeline.Stats{Dir: "/var/lib/logcause", DiskBytes: 3 << 20, First: t0, Last: t0.Add(time.Hour), Days: 1, Requests: 12,
		Events: map[string]int64{"nginx_error": 3}, Sources: []timeline.Source{{Path: "/var/log/nginx/access.log", Format: "nginx_access", Records: 12}}}
	if err := StoreStatsJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out timeline.Stats
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || out.Dir != in.Dir || out.DiskBytes != in.DiskBytes || !out.Last.Equal(in.Last) ||
		out.Events["nginx_error"] != 3 || len(out.Sources) != 1 || out.Sources[0].Records != 12 {
		t.Errorf("%v: %+v from\n%s", err, out, b.String())
	}
	if !strings.Contains(b.String(), "\n  \"") {
		t.Errorf("not indented:\n%s", b.String())
	}
}

func TestPruned(t *testing.T) {
	for _, tc := range []struct {
		days          int
		after, before int64
		want          string
	}{
		{0, 512 << 10, 512 << 10, "dropped 0 day(s); the store takes 512 KiB, was 512 KiB\n"},
		{2, 1500, 48<<20 + 1<<19, "dropped 2 day(s); the store takes 1 KiB, was 48.5 MiB\n"},
		{1, 1 << 20, 3 << 30, "dropped 1 day(s); the store takes 1.0 MiB, was 3072.0 MiB\n"},
	} {
		var b bytes.Buffer
		if err := Pruned(&b, tc.days, tc.after, tc.before); err != nil || b.String() != tc.want {
			t.Errorf("Pruned(%d, %d, %d) = %q, %v; want %q", tc.days, tc.after, tc.before, b.String(), err, tc.want)
		}
	}
}
