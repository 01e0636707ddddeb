package email

import (
	"io"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/report"
)

// TextWidth is the width of the text part: what mail readers show
// without wrapping.
const TextWidth = 78

// ReportBodies are package report's renderers of the mail's parts, as
// `logcause report --email` and the daemon's schedule send them.
func ReportBodies() Bodies {
	return Bodies{
		Text:     func(w io.Writer, res analyze.Result) error { return report.Text(w, res, TextWidth) },
		HTML:     report.HTML,
		ChartPNG: report.ChartPNG,
	}
}
