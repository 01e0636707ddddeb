package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/logcause/logcause/internal/ptytest"
)

// TestReportFitsTheTerminal: analyze lays the text report out in the
// terminal's width, and in 100 columns when its output is no terminal.
func TestReportFitsTheTerminal(t *testing.T) {
	t.Chdir("../..")
	pts, ptmx := ptytest.Open(t, 123)
	// Everything written to the terminal is read from its other end, as
	// it comes: the terminal's buffer is smaller than the report.
	read := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(ptmx) // ends with EIO once the terminal is closed
		read <- b
	}()
	e := testEnv()
	var errb bytes.Buffer
	e.stdout, e.stderr = pts, &errb
	code := run(t.Context(), []string{"analyze", "testdata/demo"}, e)
	pts.Close()
	out := strings.ReplaceAll(string(<-read), "\r\n", "\n")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if got := widest(out); got != 123 {
		t.Errorf("on a 123-column terminal the widest line is %d columns:\n%s", got, out)
	}

	_, out, _ = runCmd(t, "analyze", "testdata/demo") // into a buffer
	if got := widest(out); got != 100 {
		t.Errorf("into a pipe the widest line is %d columns, want 100:\n%s", got, out)
	}
}

// widest is the width of the widest line of out, which holds no wide
// characters.
func widest(out string) int {
	n := 0
	for l := range strings.Lines(out) {
		n = max(n, utf8.RuneCountInString(strings.TrimSuffix(l, "\n")))
	}
	return n
}
