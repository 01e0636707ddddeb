// Package testarchive makes the archives logrotate makes, for tests: with
// the xz and bzip2 tools, as logrotate does (at their fastest level: the
// format is the same, the blocks smaller), or, on a machine without them,
// with a Go writer, so that the tests run on a fresh clone.
package testarchive

import (
	"bytes"
	"compress/gzip"
	"os/exec"
	"testing"

	"github.com/dsnet/compress/bzip2"
	"github.com/ulikunitz/xz"
)

// Gzip returns data compressed as logrotate compresses by default.
func Gzip(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	write(t, gzip.NewWriter(&b), data)
	return b.Bytes()
}

// XZ returns data compressed by `xz`, or by the xz library's writer where
// the tool is missing.
func XZ(t testing.TB, data []byte) []byte {
	t.Helper()
	if out, ok := tool(t, data, "xz", "-1"); ok {
		return out
	}
	var b bytes.Buffer
	w, err := xz.WriterConfig{DictCap: 1 << 20}.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, data)
	return b.Bytes()
}

// Bzip2 returns data compressed by `bzip2`, or by a Go bzip2 writer where
// the tool is missing (the standard library only reads bzip2).
func Bzip2(t testing.TB, data []byte) []byte {
	t.Helper()
	if out, ok := tool(t, data, "bzip2", "-1"); ok {
		return out
	}
	var b bytes.Buffer
	w, err := bzip2.NewWriter(&b, &bzip2.WriterConfig{Level: 1}) // blocks of 100 kB
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, data)
	return b.Bytes()
}

// tool compresses data with the command name, if it is installed.
func tool(t testing.TB, data []byte, name, level string) ([]byte, bool) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		return nil, false
	}
	cmd := exec.Command(name, level, "-c")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s -c: %v", name, level, err)
	}
	return out, true
}

func write(t testing.TB, w interface {
	Write([]byte) (int, error)
	Close() error
}, data []byte) {
	t.Helper()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
