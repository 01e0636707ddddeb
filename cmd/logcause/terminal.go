package main

import (
	"io"
	"os"
	"time"

	"golang.org/x/term"

	"github.com/logcause/logcause/internal/progress"
	"github.com/logcause/logcause/pipeline"
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

// progressFor returns a progress bar drawn on w when w is a terminal, and
// nil (nobody watches: output piped or redirected) otherwise.
func progressFor(w io.Writer) pipeline.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return progress.NewBar(w, 100*time.Millisecond)
	}
	return nil
}
