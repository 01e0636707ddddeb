// Package progress answers one question: how does the progress of a batch
// load show on a terminal? Bar is a pipeline.Progress that draws a bar:
// bytes read, the file being read, speed and time left.
package progress

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// Bar draws a progress bar on a terminal; it is cleared when the load
// finishes.
type Bar struct {
	w        io.Writer
	throttle time.Duration // the least time between two redraws
	bar      *progressbar.ProgressBar
	files    int
}

// OnTerminal returns a bar drawn on w, redrawn at most every 100 ms, when
// w is a terminal; nil (nobody watches: output piped or redirected)
// otherwise.
func OnTerminal(w io.Writer) *Bar {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return NewBar(w, 100*time.Millisecond)
	}
	return nil
}

// NewBar returns a bar drawn on w, redrawn at most once every throttle.
func NewBar(w io.Writer, throttle time.Duration) *Bar {
	return &Bar{w: w, throttle: throttle}
}

// Start draws the bar of a load of total bytes in files files.
func (p *Bar) Start(total int64, files int) {
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

// File names the nth file of the load, now read.
func (p *Bar) File(path string, n int) {
	p.bar.Describe(fmt.Sprintf("[%d/%d] %s", n, p.files, filepath.Base(path)))
}

// Add advances the bar by n bytes read.
func (p *Bar) Add(n int64) { p.bar.Add64(n) }

// Finish clears the bar.
func (p *Bar) Finish() { p.bar.Finish() }
