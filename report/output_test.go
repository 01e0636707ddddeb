package report

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestOutput: the report goes to the output, or whole to the file, each
// saying where; a format that is not one is refused.
func TestOutput(t *testing.T) {
	var b bytes.Buffer
	o := Output{Format: "json"}
	render, err := o.Renderer(&b)
	if err != nil {
		t.Fatal(err)
	}
	if where, err := o.Write(&b, sample(), render); err != nil || where != "above" || !bytes.Contains(b.Bytes(), []byte(`"incidents"`)) {
		t.Errorf("to the output: %q %v\n%s", where, err, b.String())
	}
	file := filepath.Join(t.TempDir(), "report.txt")
	o = Output{Format: "text", File: file}
	if render, err = o.Renderer(&b); err != nil {
		t.Fatal(err)
	}
	b.Reset()
	where, err := o.Write(&b, sample(), render)
	var want bytes.Buffer
	Text(&want, sample(), DefaultWidth)
	if got, _ := os.ReadFile(file); err != nil || where != "in "+file || b.Len() != 0 || !bytes.Equal(got, want.Bytes()) {
		t.Errorf("to a file: %q %v, %d bytes to the output, the file:\n%s", where, err, b.Len(), got)
	}
	if _, err := (Output{Format: "pdf"}).Renderer(&b); err == nil {
		t.Error("format pdf: no error")
	}
}
