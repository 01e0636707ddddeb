package main

import (
	"io"
	"os"

	"golang.org/x/term"

	"github.com/logcause/logcause/report"
)

// reportWidth is the width to lay the text report out in: the terminal's
// when w is one, else report.DefaultWidth (a file, a pipe, a mail).
func reportWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return report.DefaultWidth
}
