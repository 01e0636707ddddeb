package pipeline_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
)

// ddos is an outage of 502s driven by 20,000 one-off client addresses,
// each on its own path and Host header, amid which one client, heavy,
// sends a third of them to one path of one host. The exact reports of
// the scenarios and goldens are the other side: none goes past the
// exact count, and they are unchanged.
const (
	ddosHeavy     = "203.0.113.9"
	ddosHeavyPath = "/checkout"
	ddosHeavyHost = "shop.example"
	ddosOneOffs   = 20_000
)

// writeDDoSLogs writes the access and error logs of the outage, and
// returns their directory and the heavy client's 502s.
func writeDDoSLogs(t *testing.T) (string, int64) {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	var access, errs bytes.Buffer
	line := func(at time.Time, client, path, host string, status, conn int) {
		fmt.Fprintf(&access, "%s - - [%s] \"GET %s HTTP/1.1\" %d 157 \"-\" \"Mozilla/5.0\"\n",
			client, at.Format("02/Jan/2006:15:04:05 -0700"), path, status)
		if status == 502 {
			fmt.Fprintf(&errs, "%s [error] 11#11: *%d connect() to 10.0.0.5:8080 failed (111: Connection refused) while connecting to upstream, client: %s, server: shop, request: \"GET %s HTTP/1.1\", upstream: \"http://10.0.0.5:8080%s\", host: \"%s\"\n",
				at.Format("2006/01/02 15:04:05"), conn, client, path, path, host)
		}
	}
	var heavy int64
	conn, oneOff := 0, 0
	for s := range 120 {
		at := start.Add(time.Duration(s) * time.Second)
		if s < 60 || s >= 80 {
			for i := range 5 {
				conn++
				line(at, fmt.Sprintf("10.1.0.%d", i+1), "/", ddosHeavyHost, 200, conn)
			}
			continue
		}
		for i := range ddosOneOffs / 20 * 3 / 2 { // 1,500 a second, a third the heavy client's
			conn++
			if i%3 == 2 {
				line(at, ddosHeavy, ddosHeavyPath, ddosHeavyHost, 502, conn)
				heavy++
				continue
			}
			a := fmt.Sprintf("100.%d.%d.%d", 64+oneOff>>16, oneOff>>8&255, oneOff&255)
			line(at, a, fmt.Sprintf("/p/%d", oneOff), fmt.Sprintf("h%d.example", oneOff), 502, conn)
			oneOff++
		}
	}
	if oneOff != ddosOneOffs {
		t.Fatalf("%d one-off clients written, want %d", oneOff, ddosOneOffs)
	}
	for name, b := range map[string][]byte{"access.log": access.Bytes(), "error.log": errs.Bytes()} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, heavy
}

// An outage of gateway errors from more distinct clients, paths and hosts
// than are counted exactly: the report names the heavy client, path and
// host first, their counts within the bound it gives, and says in every
// format that those lists' counts are approximate.
func TestDDoSTopListsAreApproximate(t *testing.T) {
	dir, heavy := writeDDoSLogs(t)
	res, _ := analyzeLogs(t, "", pipeline.Options{}, dir)
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents, want the outage's one", len(res.Incidents))
	}
	inc := res.Incidents[0]
	for _, l := range []struct {
		list, first string
		top         []analyze.ValueCount
	}{
		{analyze.ListClients, ddosHeavy, inc.TopClients},
		{analyze.ListPaths, ddosHeavyPath, pathValues(inc.TopPaths)},
		{analyze.ListHosts, ddosHeavyHost, inc.TopHosts},
		// nginx names an http upstream with the request's URI.
		{analyze.ListUpstreams, "http://10.0.0.5:8080" + ddosHeavyPath, inc.TopUpstreams},
	} {
		a := inc.Approx(l.list)
		if a == nil {
			t.Errorf("%s: exact past %d distinct values", l.list, ddosOneOffs)
			continue
		}
		gateway := int64(ddosOneOffs) + heavy
		if a.DistinctMoreThan != 10_000 || a.Error > gateway/10_000 {
			t.Errorf("%s: %+v, want past 10,000 with an error of at most %d", l.list, *a, gateway/10_000)
		}
		if len(l.top) == 0 || l.top[0].Value != l.first || l.top[0].Count < heavy || l.top[0].Count > heavy+a.Error {
			t.Errorf("%s: %v, want %s first with %d (+ at most %d)", l.list, l.top, l.first, heavy, a.Error)
		}
	}
	wants := map[string][]string{
		"text":     {"Clients:     " + ddosHeavy + " (≈", "more than 10,000 distinct clients: counts approximate", "more than 10,000 distinct paths: counts approximate", "≈"},
		"markdown": {ddosHeavy + " (≈", "more than 10,000 distinct clients: counts approximate", "more than 10,000 distinct hosts: counts approximate"},
		"html":     {`<td class="n">≈`, "more than 10,000 distinct clients: counts approximate", "more than 10,000 distinct paths: counts approximate"},
		"json":     {`"top_approx": [`, `"list": "clients"`, `"distinct_more_than": 10000`},
	}
	for name, want := range wants {
		render, err := report.Renderer(name, report.DefaultWidth)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := render(&b, res); err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("%s report lacks %q", name, w)
			}
		}
	}
}

func pathValues(ps []analyze.PathCount) []analyze.ValueCount {
	out := make([]analyze.ValueCount, 0, len(ps))
	for _, p := range ps {
		out = append(out, analyze.ValueCount{Value: p.Path, Count: p.Count})
	}
	return out
}
