package report

import (
	"fmt"
	"strings"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/numfmt"
)

// seconds formats a query time: three significant digits below a second,
// hundredths up to 100 s, whole seconds beyond.
func seconds(v float64) string {
	switch {
	case v == 0:
		return "0s"
	case v >= 100:
		return fmt.Sprintf("%.0fs", v)
	case v >= 1:
		return fmt.Sprintf("%.2fs", v)
	}
	return fmt.Sprintf("%.3gs", v)
}

// classLine formats an incident's slow-query classes "ID ×12 (84.00s), …".
func classLine(cs []analyze.ClassCount, id func(string) string) string {
	parts := make([]string, 0, len(cs))
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s ×%s (%s)", id(c.QueryID), numfmt.Thousands(c.Count), seconds(c.TotalTime)))
	}
	return strings.Join(parts, ", ")
}

// slowQueries lists the digest's classes, four lines each; nothing
// when the range has no slow-log entry.
func (p *printer) slowQueries(cs []analyze.QueryClass, more int) {
	if len(cs) == 0 {
		return
	}
	p.f("\n")
	p.line(2, "Slow queries: the query classes of the slow log (pt-query-digest's ids), by total time:")
	for i, c := range cs {
		p.line(6, "  %2d. %s  ×%s  total %s  p50 %s  p95 %s  max %s",
			i+1, clean(c.QueryID), numfmt.Thousands(c.Count), seconds(c.TotalTime), seconds(c.P50Time), seconds(c.P95Time), seconds(c.MaxTime))
		p.line(6, "      lock %s, rows sent %s, examined %s; seen %s to %s UTC",
			seconds(c.LockTime), numfmt.Thousands(c.RowsSent), numfmt.Thousands(c.RowsExamined), stamp(c.FirstSeen), stamp(c.LastSeen))
		p.line(6, "      %s", shorten(clean(c.Fingerprint), maxLineText))
		s := c.Sample
		p.line(6, "      worst: %s at %s UTC, %s @ byte %d: %s", seconds(s.QueryTime), stamp(s.Time), clean(s.Path), s.Offset, shorten(clean(s.Query), maxLineText))
	}
	if more > 0 {
		p.line(2, "  (%d more %s)", more, map[bool]string{true: "class", false: "classes"}[more == 1])
	}
}

// slowQueries writes the digest as a table, its log text escaped; nothing
// when there is none.
func (m *mdPrinter) slowQueries(cs []analyze.QueryClass, more int) {
	if len(cs) == 0 {
		return
	}
	m.f("\n## Slow queries\n\nThe query classes of the slow log (pt-query-digest's ids), by total time:\n\n")
	rows := make([][]string, 0, len(cs))
	for _, c := range cs {
		rows = append(rows, []string{
			md(c.QueryID), numfmt.Thousands(c.Count), seconds(c.TotalTime), seconds(c.P50Time), seconds(c.P95Time), seconds(c.MaxTime),
			seconds(c.LockTime), numfmt.Thousands(c.RowsSent), numfmt.Thousands(c.RowsExamined), stamp(c.FirstSeen), stamp(c.LastSeen),
			md(shorten(c.Fingerprint, maxLineText)),
			fmt.Sprintf("%s at %s, %s @ byte %d: %s", seconds(c.Sample.QueryTime), stamp(c.Sample.Time), md(c.Sample.Path), c.Sample.Offset, md(shorten(c.Sample.Query, maxLineText))),
		})
	}
	m.table([]string{"Query id", "Count", "Total", "p50", "p95", "Max", "Lock", "Rows sent", "Rows examined", "First seen (UTC)", "Last seen (UTC)", "Fingerprint", "Worst sample"}, rows)
	if more > 0 {
		m.f("\n%d more %s.\n", more, map[bool]string{true: "class", false: "classes"}[more == 1])
	}
}
