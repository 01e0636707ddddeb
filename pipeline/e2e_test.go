package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
	"github.com/logcause/logcause/stackconf"
	"github.com/logcause/logcause/store"
)

var update = flag.Bool("update", false, "rewrite the golden reports of testdata/demo and testdata/scenarios")

// analyzeLogs loads the logs under paths into a temporary store and
// analyzes them as `logcause analyze` does, reading the servers'
// configuration under root (none when root is empty), and returns the
// result and its JSON report. Every file must be read.
func analyzeLogs(t *testing.T, root string, opts pipeline.Options, paths ...string) (analyze.Result, string) {
	t.Helper()
	st, err := store.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	opts.Limits = ingest.DefaultLimits
	cfg := analyze.DefaultConfig
	if root != "" {
		opts.ConfigRoot = root
		cfg.Stack = stackconf.Read(os.DirFS(root), root)
		if conf := filepath.Join(root, "etc/nginx/nginx.conf"); fileExists(conf) {
			if opts.Access, err = stackconf.ReadLogFormats(conf); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, problems, err := pipeline.Analyze(context.Background(), paths, st.NewWriter(), st, opts, cfg)
	if err != nil || len(problems) > 0 {
		t.Fatalf("analysis of %v: %v %v", paths, err, problems)
	}
	var b bytes.Buffer
	if err := report.JSON(&b, res); err != nil {
		t.Fatal(err)
	}
	// What a user of the JSON reads back.
	var back analyze.Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	return back, b.String()
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// golden compares out with the file at p, which -update rewrites.
func golden(t *testing.T, p, out string) {
	t.Helper()
	if *update {
		os.WriteFile(p, []byte(out), 0o644)
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test ./pipeline -update writes it)", err)
	}
	if !bytes.Equal([]byte(out), want) {
		t.Errorf("report differs from %s (go test ./pipeline -update if intended):\n%s", p, out)
	}
}
