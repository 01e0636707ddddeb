package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// recorder is a Progress that remembers what it heard.
type recorder struct {
	total, added int64
	files        []string
	finished     bool
}

func (r *recorder) Start(total int64, files int) { r.total = total }
func (r *recorder) File(path string, n int)      { r.files = append(r.files, filepath.Base(path)) }
func (r *recorder) Add(n int64)                  { r.added += n }
func (r *recorder) Finish()                      { r.finished = true }

// TestLoadReportsProgressInFileBytes: the bytes of the files as stored
// (compressed for archives), every file in the order read: access logs
// first, oldest first.
func TestLoadReportsProgressInFileBytes(t *testing.T) {
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("127.0.0.1 - - [23/Nov/2026:13:00:00 +0100] \"GET / HTTP/1.1\" 200 1 \"-\" \"-\"\n"))
	zw.Close()
	for name, data := range map[string]string{
		"access.log.1.gz": gz.String(),
		"access.log":      "127.0.0.1 - - [23/Nov/2026:14:00:50 +0100] \"GET /slow.php HTTP/1.1\" 502 150 \"-\" \"curl/7.88.1\"\n",
		"error.log":       "2026/11/23 14:00:50 [error] 100#100: *1 connect() to unix:/tmp/php-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /slow.php HTTP/1.1\", upstream: \"fastcgi://unix:/tmp/php-fpm.sock:\", host: \"h\"\n",
		"php-fpm.log":     "[23-Nov-2026 14:00:49] WARNING: [pool www] server reached pm.max_children setting (4), consider raising it\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
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
	if _, err := Load(context.Background(), []string{dir}, st.NewWriter(), Options{Limits: ingest.DefaultLimits, Progress: rec}); err != nil {
		t.Fatal(err)
	}
	if rec.total != size || rec.added != size || !rec.finished {
		t.Errorf("progress: total %d, added %d, finished %v; want %d bytes", rec.total, rec.added, rec.finished, size)
	}
	if strings.Join(rec.files, " ") != "access.log.1.gz access.log error.log php-fpm.log" {
		t.Errorf("files in order %v", rec.files)
	}
	// Again: what the store holds is skipped, and counts as done.
	again := &recorder{}
	if _, err := Load(context.Background(), []string{dir}, st.NewWriter(), Options{Limits: ingest.DefaultLimits, Progress: again}); err != nil {
		t.Fatal(err)
	}
	if again.total != size || again.added != size || !again.finished {
		t.Errorf("progress of a load of what the store holds: total %d, added %d, finished %v; want %d bytes", again.total, again.added, again.finished, size)
	}
}
