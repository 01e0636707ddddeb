package report

import (
	"strings"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
	"github.com/olekukonko/tablewriter/tw"
)

// DefaultWidth is the width of the terminal report when the terminal's is
// not known: the output is a file or a pipe.
const DefaultWidth = 100

// minWidth is the narrowest report laid out: narrower, the tables' headers
// no longer fit side by side.
const minWidth = 60

// columns returns the width the report is laid out in.
func columns(width int) int { return max(width, minWidth) }

// textWidth is how many terminal columns s takes (wide characters take
// two).
func textWidth(s string) int { return twwidth.Width(s) }

// wrap cuts s into lines of at most width columns, at spaces; a word too
// long for a line is cut after its last '/' that fits (paths, URLs), else
// where the line ends. The lines after the first are indented by hang
// spaces, and s's own indentation and alignment spaces are kept.
func wrap(s string, width, hang int) []string {
	hang = min(hang, width/2)
	indent := strings.Repeat(" ", hang)
	var lines []string
	for textWidth(s) > width {
		cut, next := breakAt(s, width, len(s)-len(strings.TrimLeft(s, " ")))
		if len(lines) > 0 {
			cut, next = max(cut, hang+1), max(next, hang+1) // a cut in the indentation would leave s as it was
		}
		lines = append(lines, strings.TrimRight(s[:cut], " "))
		s = indent + strings.TrimLeft(s[next:], " ")
	}
	return append(lines, s)
}

// breakAt returns where to end the line that begins s (at most width
// columns) and where the rest begins: at the last space after s's
// indentation (lead bytes) that fits, else after the last '/' that fits,
// else at the last character that fits (at least one).
func breakAt(s string, width, lead int) (cut, next int) {
	space, slash, fits := -1, -1, 0
	used := 0
	for i, r := range s {
		if r == ' ' && i > lead {
			space = i // the line ends before it: s[:i] fits
		}
		if used += textWidth(string(r)); used > width {
			break
		}
		fits = i + len(string(r))
		if r == '/' {
			slash = fits
		}
	}
	switch {
	case space > 0:
		return space, space + 1
	case slash > 0 && slash < len(s):
		return slash, slash
	}
	if fits == 0 { // a character wider than the line
		_, fits = utf8.DecodeRuneInString(s)
	}
	return fits, fits
}

// column is one column of a table.
type column struct {
	header string
	align  tw.Align
	// wraps says the column may be narrower than its cells, which are then
	// wrapped (long text, paths); the others keep their width (counts,
	// formats).
	wraps bool
}

// tableBorders is how many columns a table's borders and padding take
// ("│ a │ b │").
func tableBorders(n int) int { return 3*n + 1 }

// layout returns the widths of the columns of a table, so that it fits in
// width columns: the widest column that wraps gives up a column at a time,
// down to the width of its header. A table whose fixed columns alone are
// wider does not fit.
func layout(cols []column, rows [][]string, width int) []int {
	w := make([]int, len(cols))
	floor := make([]int, len(cols))
	for i, c := range cols {
		w[i] = textWidth(c.header)
		floor[i] = max(w[i], 1)
		for _, r := range rows {
			w[i] = max(w[i], textWidth(r[i]))
		}
	}
	total := tableBorders(len(cols))
	for _, n := range w {
		total += n
	}
	for ; total > width; total-- {
		widest := -1
		for i, c := range cols {
			if c.wraps && w[i] > floor[i] && (widest < 0 || w[i] >= w[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		w[widest]--
	}
	return w
}

// wrapCells wraps every cell of rows to its column's width, lines joined
// by newlines.
func wrapCells(rows [][]string, widths []int) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, s := range r {
			out[i][j] = strings.Join(wrap(s, widths[j], 0), "\n")
		}
	}
	return out
}
