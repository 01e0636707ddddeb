package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"unicode/utf8"
	"unsafe"
)

// openTerminal opens a pseudo-terminal cols columns wide: what the report
// is written to, and what a reader of the terminal reads.
func openTerminal(t *testing.T, cols uint16) (term, reader *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close() })
	ioctl := func(f *os.File, req uintptr, arg unsafe.Pointer) {
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), req, uintptr(arg)); errno != 0 {
			t.Fatalf("ioctl %#x: %v", req, errno)
		}
	}
	var unlock int32
	ioctl(ptmx, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock))
	var n uint32
	ioctl(ptmx, syscall.TIOCGPTN, unsafe.Pointer(&n))
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pts.Close() })
	size := struct{ rows, cols, x, y uint16 }{rows: 24, cols: cols}
	ioctl(pts, syscall.TIOCSWINSZ, unsafe.Pointer(&size))
	return pts, ptmx
}

// TestReportFitsTheTerminal: analyze lays the text report out in the
// terminal's width, and in 100 columns when its output is no terminal.
func TestReportFitsTheTerminal(t *testing.T) {
	t.Chdir("../..")
	pts, ptmx := openTerminal(t, 123)
	if got := reportWidth(pts); got != 123 {
		t.Errorf("width of a 123-column terminal: %d", got)
	}
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
	f, err := os.Create(t.TempDir() + "/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := reportWidth(f); got != 100 {
		t.Errorf("width of a file: %d", got)
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

// TestProgressBarOnlyOnATerminal: analyze draws its progress bar on a
// terminal, never into a pipe or a file.
func TestProgressBarOnlyOnATerminal(t *testing.T) {
	pts, _ := openTerminal(t, 80)
	if progressFor(pts) == nil {
		t.Error("no progress bar on a terminal")
	}
	var b bytes.Buffer
	if progressFor(&b) != nil {
		t.Error("a progress bar for a writer that is not a terminal")
	}
	f, err := os.Create(t.TempDir() + "/progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if progressFor(f) != nil {
		t.Error("a progress bar in a file")
	}
}
