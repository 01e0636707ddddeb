package report

import (
	"io"
	"os"

	"golang.org/x/term"
)

// WidthFor is the width to lay the text report out in when writing to w:
// the terminal's when w is one, else DefaultWidth (a file, a pipe, a
// mail).
func WidthFor(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return DefaultWidth
}
