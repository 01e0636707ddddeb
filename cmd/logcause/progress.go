package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/logcause/logcause/pipeline"
)

// progressFor returns a progress bar drawn on w when w is a terminal, and
// nil (nobody watches: output piped or redirected) otherwise.
func progressFor(w io.Writer) pipeline.Progress {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &barProgress{w: w, throttle: 100 * time.Millisecond}
	}
	return nil
}

// barProgress draws a progress bar: bytes, files, speed and time left.
type barProgress struct {
	w        io.Writer
	throttle time.Duration // the least time between two redraws
	bar      *progressbar.ProgressBar
	files    int
}

func (p *barProgress) Start(total int64, files int) {
	p.files = files
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(p.throttle),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetRenderBlankState(true),
	)
}

func (p *barProgress) File(path string, n int) {
	p.bar.Describe(fmt.Sprintf("[%d/%d] %s", n, p.files, filepath.Base(path)))
}

func (p *barProgress) Add(n int64) { p.bar.Add64(n) }
func (p *barProgress) Finish()     { p.bar.Finish() }
