package manpage

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

func tree() *cobra.Command {
	run := func(*cobra.Command, []string) error { return nil }
	root := &cobra.Command{Use: "logcause", Short: "Find why nginx answered 502/504"}
	store := &cobra.Command{Use: "store", Short: "Look after the store"}
	store.AddCommand(&cobra.Command{Use: "prune", Short: "Drop old days", RunE: run})
	store.Flags().String("dir", "", "the store `DIR`")
	root.AddCommand(
		&cobra.Command{Use: "analyze [PATH...]", Short: "Explain the gateway errors", Long: "analyze reads the logs.", RunE: run},
		store,
		&cobra.Command{Use: "man DIR", Short: "Write the man pages", Hidden: true, RunE: run},
		&cobra.Command{Use: "formats", Short: "A help topic"}, // no Run: an additional help topic
	)
	return root
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	date := time.Date(2026, 12, 6, 6, 36, 43, 0, time.UTC)
	names, err := Write(tree(), dir, Header{Source: "logcause 1.2.0", Date: date})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"logcause.1.gz", "logcause-analyze.1.gz", "logcause-store.1.gz", "logcause-store-prune.1.gz"}
	if !slices.Equal(names, want) {
		t.Fatalf("names %v, want %v", names, want)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(want) {
		t.Errorf("%d files written, want %d", len(entries), len(want))
	}
	for name, says := range map[string][]string{
		"logcause.1.gz":             {`.TH "LOGCAUSE" "1" "Dec 2026" "logcause 1.2.0" "logcause manual"`, "logcause-analyze(1)", "logcause-store(1)"},
		"logcause-analyze.1.gz":     {`.TH "LOGCAUSE-ANALYZE" "1"`, "analyze reads the logs.", "logcause(1)"},
		"logcause-store-prune.1.gz": {`.TH "LOGCAUSE-STORE-PRUNE" "1"`, "Drop old days", "logcause-store(1)"},
	} {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if z.Name != "" || !z.ModTime.IsZero() {
			t.Errorf("%s: gzip header holds name %q, time %v: a rebuild would differ", name, z.Name, z.ModTime)
		}
		page, err := io.ReadAll(z)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range says {
			if !strings.Contains(string(page), s) {
				t.Errorf("%s does not say %q:\n%s", name, s, page)
			}
		}
		if strings.Contains(string(page), "Auto generated") || strings.Contains(string(page), "\n.SH HISTORY") {
			t.Errorf("%s is dated by cobra:\n%s", name, page)
		}
	}
}

func TestWriteIsReproducible(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	h := Header{Source: "logcause 1.2.0", Date: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)}
	if _, err := Write(tree(), a, h); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(tree(), b, h); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(a, "logcause-analyze.1.gz"))
	y, _ := os.ReadFile(filepath.Join(b, "logcause-analyze.1.gz"))
	if len(x) == 0 || !bytes.Equal(x, y) {
		t.Errorf("two builds differ (%d and %d bytes)", len(x), len(y))
	}
}

func TestWriteSaysWhyItCannot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(tree(), filepath.Join(file, "man1"), Header{}); err == nil || !strings.Contains(err.Error(), "cannot create the man page directory") {
		t.Errorf("err = %v", err)
	}
}
