package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// recorder is a progress that remembers what it heard.
type recorder struct {
	total, added int64
	files        []string
	finished     bool
}

func (r *recorder) Start(total int64, files int) { r.total = total }
func (r *recorder) File(path string, n int)      { r.files = append(r.files, filepath.Base(path)) }
func (r *recorder) Add(n int64)                  { r.added += n }
func (r *recorder) Finish()                      { r.finished = true }

func TestLoadReportsProgressInFileBytes(t *testing.T) {
	dir := t.TempDir()
	writeLogs(t, dir)
	os.WriteFile(filepath.Join(dir, "access.log.1.gz"), gzipBytes(t, "127.0.0.1 - - [23/Nov/2026:13:00:00 +0100] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n"), 0o644)
	var size int64
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		fi, _ := e.Info()
		size += fi.Size()
	}
	st, err := store.OpenTemp()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &recorder{}
	if _, err := load(context.Background(), []string{dir}, st, loadOptions{limits: ingest.DefaultLimits, watch: rec}); err != nil {
		t.Fatal(err)
	}
	if rec.total != size || rec.added != size || !rec.finished {
		t.Errorf("progress: total %d, added %d, finished %v; want %d bytes", rec.total, rec.added, rec.finished, size)
	}
	if strings.Join(rec.files, " ") != "access.log.1.gz access.log error.log php-fpm.log" {
		t.Errorf("files in order %v", rec.files)
	}
}

func TestBarDrawsFilesAndBytes(t *testing.T) {
	var b bytes.Buffer
	p := &barProgress{w: &b}
	p.Start(2<<20, 2)
	p.File("/var/log/nginx/access.log.2.gz", 1)
	p.Add(1 << 20)
	p.Finish()
	for _, want := range []string{"[1/2] access.log.2.gz", "MB"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("bar output lacks %q: %q", want, b.String())
		}
	}
	if _, ok := progressFor(&b).(noProgress); !ok {
		t.Error("a progress bar for a writer that is not a terminal")
	}
}
