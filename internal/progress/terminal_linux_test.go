package progress

import (
	"bytes"
	"os"
	"testing"

	"github.com/logcause/logcause/internal/ptytest"
)

// TestOnTerminal: a bar on a terminal, never into a pipe or a file.
func TestOnTerminal(t *testing.T) {
	pts, _ := ptytest.Open(t, 80)
	if OnTerminal(pts) == nil {
		t.Error("no progress bar on a terminal")
	}
	var b bytes.Buffer
	if OnTerminal(&b) != nil {
		t.Error("a progress bar for a writer that is not a terminal")
	}
	f, err := os.Create(t.TempDir() + "/progress")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if OnTerminal(f) != nil {
		t.Error("a progress bar in a file")
	}
}
