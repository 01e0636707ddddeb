package report_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/logcause/logcause/internal/ptytest"
	"github.com/logcause/logcause/report"
)

// TestWidthFor: a terminal's width, else the default.
func TestWidthFor(t *testing.T) {
	pts, _ := ptytest.Open(t, 123)
	if got := report.WidthFor(pts); got != 123 {
		t.Errorf("width of a 123-column terminal: %d", got)
	}
	f, err := os.Create(t.TempDir() + "/report.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := report.WidthFor(f); got != report.DefaultWidth {
		t.Errorf("width of a file: %d", got)
	}
	if got := report.WidthFor(&bytes.Buffer{}); got != report.DefaultWidth {
		t.Errorf("width of a buffer: %d", got)
	}
}
