package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden reports of testdata/demo")

// TestDemo runs the README's first command, `logcause analyze
// testdata/demo`, end to end, and compares its report formats with their
// golden files (pipeline's TestDemo checks the facts they must say).
func TestDemo(t *testing.T) {
	t.Chdir("../..") // the README runs it from the repository's root
	for _, tc := range []struct{ format, golden string }{
		{"text", "report.txt"},
		{"json", "report.json"},
		{"html", "report.html"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			code, out, errs := runCmd(t, "analyze", "--format", tc.format, "testdata/demo")
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			p := filepath.Join("testdata", "demo", tc.golden)
			if *update {
				os.WriteFile(p, []byte(out), 0o644)
			}
			want, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal([]byte(out), want) {
				t.Errorf("report differs from %s (go test ./cmd/logcause -run TestDemo -update if intended; ./pipeline -update writes them too):\n%s", p, out)
			}
		})
	}
}

// TestREADMEShowsTheDemo: the README's "What it prints" is the demo's
// report as printed, byte for byte.
func TestREADMEShowsTheDemo(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../testdata/demo/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := bytes.Cut(readme, []byte("\n## What it prints\n"))
	if !ok {
		t.Fatal(`README.md has no "## What it prints"`)
	}
	_, block, ok := bytes.Cut(section, []byte("\n```\n"))
	if !ok {
		t.Fatal(`no code block under "## What it prints"`)
	}
	if got, _, _ := bytes.Cut(block, []byte("\n```\n")); !bytes.Equal(append(got, '\n'), want) {
		t.Errorf("README.md's demo output differs from testdata/demo/report.txt: copy it there")
	}
}
