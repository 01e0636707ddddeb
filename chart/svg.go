package chart

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/logcause/logcause/analyze"
)

// SVG writes the chart of res, Width pixels wide, as an <svg> element of
// class "lc-chart", to be placed in an HTML page (it scales to its
// container's width) or saved as a file. Its shapes carry their colours as
// attributes and a class named after what they show ("lc-s502",
// "lc-text"), so that a page's CSS can restyle them (a dark theme).
func SVG(w io.Writer, res analyze.Result) error { return SVGWidth(w, res, Width) }

// SVGWidth is SVG laid out width pixels wide (NarrowWidth for a phone: the
// same text on fewer pixels of plot), of classes "lc-chart" and
// "lc-chart-<width>".
func SVGWidth(w io.Writer, res analyze.Result, width int) error {
	l := plan(res, width)
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="lc-chart lc-chart-%d" viewBox="0 0 %d %s" width="100%%" role="img" aria-labelledby="lc-chart-title-%d" font-family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" font-size="11">`+"\n",
		width, width, num(l.height), width)
	fmt.Fprintf(b, "<title id=\"lc-chart-title-%d\">%s</title>\n", width, xmlText(l.title))
	for _, r := range l.rects {
		svgRect(b, r)
	}
	for _, bs := range l.bars {
		svgBars(b, bs)
	}
	for _, r := range l.over {
		svgRect(b, r)
	}
	for _, t := range l.labels {
		a := ""
		switch t.anchor {
		case middle:
			a = ` text-anchor="middle"`
		case end:
			a = ` text-anchor="end"`
		}
		if t.bold {
			a += ` font-weight="600"`
		}
		fmt.Fprintf(b, `<text x="%s" y="%s"%s class="lc-%s" fill="%s">%s</text>`+"\n",
			num(t.x), num(t.y), a, t.role, hex(t.role), xmlText(t.text))
	}
	b.WriteString("</svg>\n")
	if err := b.Flush(); err != nil {
		return fmt.Errorf("cannot write the chart: %w", err)
	}
	return nil
}

func svgRect(b *bufio.Writer, r rect) {
	op := ""
	if r.opacity > 0 {
		op = ` fill-opacity="` + num(r.opacity) + `"`
	}
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" class="lc-%s" fill="%s"%s/>`+"\n",
		num(r.x), num(r.y), num(r.w), num(r.h), r.role, hex(r.role), op)
}

// svgBars draws a series of bars as one path: a rectangle per bucket that
// is not empty.
func svgBars(b *bufio.Writer, bs bars) {
	fmt.Fprintf(b, `<path class="lc-%s" fill="%s" d="`, bs.role, hex(bs.role))
	for i := range bs.to {
		if bs.to[i] <= bs.from[i] {
			continue
		}
		x := bs.x0 + float64(i)*bs.step
		y0 := bs.baseline - float64(bs.from[i])*bs.scale
		y1 := bs.baseline - float64(bs.to[i])*bs.scale
		fmt.Fprintf(b, "M%s %sH%sV%sH%sZ", num(x), num(y0), num(x+bs.step*0.86), num(y1), num(x))
	}
	b.WriteString(`"/>` + "\n")
}

// xmlText escapes s for XML and HTML text, and drops what neither may
// hold, or a terminal would act on: control characters (C0 but tab, DEL,
// C1) and invalid UTF-8. Incident titles carry paths from the logs.
func xmlText(s string) string {
	return html.EscapeString(strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\t') || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError || r == 0xfffe || r == 0xffff {
			return -1
		}
		return r
	}, s))
}

// num writes a coordinate with at most two decimals.
func num(v float64) string { return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) }

// hex is a role's colour as #rrggbb.
func hex(r role) string {
	c := palette[r]
	return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B)
}
