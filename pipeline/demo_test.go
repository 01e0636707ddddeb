package pipeline_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
)

// TestDemo analyzes the logs captured from real nginx and php-fpm during an
// induced worker exhaustion (testdata/demo/CAPTURE.md), from the
// repository's root as the README does, and compares the report formats
// with their golden files, and the analysis with the facts CAPTURE.md
// lists, so that -update cannot bless a wrong analysis.
func TestDemo(t *testing.T) {
	t.Chdir("..")
	res, out := analyzeLogs(t, "", pipeline.Options{}, "testdata/demo")
	golden(t, filepath.Join("testdata", "demo", "report.json"), out)
	var text bytes.Buffer
	if err := report.Text(&text, res, report.DefaultWidth); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "demo", "report.txt"), text.String())
	var md bytes.Buffer
	if err := report.Markdown(&md, res); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "demo", "report.md"), md.String())
	var page bytes.Buffer
	if err := report.HTML(&page, res); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("testdata", "demo", "report.html"), page.String())

	assertWorkerExhaustion(t, res, 235)
	if res.Totals.Status["200"] != 265 || res.Totals.Requests != 500 {
		t.Errorf("totals %+v, want 500 requests, 265 × 200 (CAPTURE.md)", res.Totals)
	}
	inc := res.Incidents[0]
	if got := inc.Start.Format("15:04:05"); got != "22:21:36" {
		t.Errorf("incident starts %s UTC, want 22:21:36 (23:21:36 in Paris, the first 502)", got)
	}
}

// assertWorkerExhaustion checks the one incident of a worker-exhaustion
// capture: root cause, chain, evidence from both servers' logs, and every
// 502 explained.
func assertWorkerExhaustion(t *testing.T, res analyze.Result, want502 int64) {
	t.Helper()
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents, want 1: %+v", len(res.Incidents), res.Incidents)
	}
	inc := res.Incidents[0]
	if inc.RootCause != analyze.FPMWorkerExhaustion || len(inc.Chain) != 1 {
		t.Fatalf("root cause %s, chain %v; want fpm_worker_exhaustion", inc.RootCause, inc.Chain)
	}
	if inc.Status["502"] != want502 {
		t.Errorf("%d 502s in the incident, want %d", inc.Status["502"], want502)
	}
	c := inc.Causes[0]
	sources := map[string]int{}
	for _, e := range c.Evidence {
		sources[e.Source]++
	}
	if sources["nginx_error"] == 0 || sources["fpm_error"] == 0 {
		t.Errorf("evidence from %v; want lines from both nginx_error and fpm_error", sources)
	}
	if c.Confidence < 0.9 {
		t.Errorf("confidence %.2f: %s", c.Confidence, c.Summary)
	}
}
