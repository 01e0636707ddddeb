// Package chart answers one question: how does an analysis look over time?
// It lays out the timeline of an analyze.Result — requests, and gateway
// errors by status, per bucket of its series; each incident shaded; each
// source's evidence events marked in a lane of its own — once, as
// axis-aligned rectangles and text, and draws that as SVG (for the HTML
// report) or as PNG (for an e-mail, whose clients block SVG).
//
// Text from logs reaches a chart only through incident titles in the SVG's
// description, escaped there.
package chart

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/patterns"
)

// Width is the width of a chart in pixels (the SVG's viewBox, the PNG's
// image): the SVG scales to its container.
const Width = 960

// NarrowWidth is the width of the chart for a phone's screen: its text
// stays legible when the SVG is scaled to ~360 CSS pixels.
const NarrowWidth = 400

// Geometry of a chart, in pixels.
const (
	left     = 92 // labels of the panels and lanes
	right    = 14
	top      = 22 // the legend
	panelH   = 78
	panelGap = 14
	laneH    = 16
	axisH    = 20
)

// incidentOpacity is how strongly an incident's span is shaded.
const incidentOpacity = 0.14

// role names what a shape shows; its colour follows from it (palette),
// and the SVG names it in a class, so that a page's CSS may restyle it.
type role string

const (
	roleRequests role = "requests"
	roleIncident role = "incident"
	roleAxis     role = "axis"
	roleGrid     role = "grid"
	roleText     role = "text"
	roleMuted    role = "muted"
	roleFrame    role = "frame"
)

// statusRoles are the gateway errors' statuses, stacked bottom up.
var statusRoles = []struct {
	code string
	role role
}{{"502", "s502"}, {"504", "s504"}, {"009", "s009"}}

// sourceRoles colour the evidence lanes, in the order of their sources.
var sourceRoles = []role{"src0", "src1", "src2", "src3", "src4", "src5"}

type anchor int

const (
	start anchor = iota
	middle
	end
)

// rect is a filled rectangle.
type rect struct {
	x, y, w, h float64
	role       role
	opacity    float64 // 0: opaque
}

// label is a line of text; y is its baseline.
type label struct {
	x, y   float64
	text   string
	anchor anchor
	role   role
	bold   bool
}

// bars are a series of bars on a common baseline, one per bucket: a stack
// layer when base is set (each bar from base[i] up to top[i]).
type bars struct {
	x0, step float64 // the first bar's left edge, a bar's width
	baseline float64 // the y of a value of 0
	scale    float64 // pixels per unit
	from, to []int64 // each bar spans values from[i] to to[i]
	role     role
}

// layout is a chart, drawn by SVG and PNG alike.
type layout struct {
	width, height float64
	title         string // what the chart shows, in words (the SVG's <title>)
	rects         []rect // in drawing order, under the bars
	bars          []bars
	over          []rect // over the bars: the incidents' shading and the markers
	labels        []label
}

// plan lays out the chart of res, width pixels wide.
func plan(res analyze.Result, width int) layout {
	s := res.Series
	sources := evidenceSources(res)
	l := layout{width: float64(width)}
	plotW := float64(width - left - right)
	panel1 := float64(top)
	panel2 := panel1 + panelH + panelGap
	lanes := panel2 + panelH + 6
	axis := lanes + float64(len(sources))*laneH
	l.height = axis + axisH

	n := len(s.Requests)
	span := s.End().Sub(s.Start)
	x := func(t time.Time) float64 {
		if span <= 0 {
			return left
		}
		return left + plotW*float64(t.Sub(s.Start))/float64(span)
	}
	bucket := stepName(s.Step)

	// The legend.
	lx := float64(left)
	if width < Width { // the legend needs the room of the labels' margin
		lx = 8
	}
	legend := func(r role, text string) {
		op := 0.0
		if r == roleIncident {
			op = incidentOpacity * 2
		}
		l.rects = append(l.rects, rect{x: lx, y: 6, w: 10, h: 10, role: r, opacity: op})
		l.labels = append(l.labels, label{x: lx + 14, y: 15, text: text, role: roleText})
		lx += 14 + 7*float64(len([]rune(text))) + 16
	}
	legend(roleRequests, "requests")
	gateway := make([][]int64, len(statusRoles))
	for i, sr := range statusRoles {
		if v, ok := s.Gateway[sr.code]; ok && len(v) == n {
			gateway[i] = v
			legend(sr.role, sr.code)
		}
	}
	if len(res.Incidents) > 0 {
		legend(roleIncident, "incident")
	}

	// Requests, then the gateway errors stacked by status.
	reqMax := niceCeil(maxOf(s.Requests))
	l.panel(panel1, plotW, "requests", reqMax, bucket)
	l.bars = append(l.bars, bars{x0: left, step: plotW / float64(max(n, 1)), baseline: panel1 + panelH,
		scale: panelH / float64(reqMax), from: make([]int64, n), to: s.Requests, role: roleRequests})
	below := make([]int64, n)
	stackTop := make([]int64, n)
	for i, v := range gateway {
		if v == nil {
			continue
		}
		for j := range stackTop {
			stackTop[j] = below[j] + v[j]
		}
		l.bars = append(l.bars, bars{from: slices.Clone(below), to: slices.Clone(stackTop), role: statusRoles[i].role})
		copy(below, stackTop)
	}
	gwMax := niceCeil(maxOf(below))
	l.panel(panel2, plotW, "502/504/009", gwMax, bucket)
	for i := 1; i < len(l.bars); i++ {
		b := &l.bars[i]
		b.x0, b.step, b.baseline, b.scale = left, plotW/float64(max(n, 1)), panel2+panelH, panelH/float64(gwMax)
	}
	if n == 0 {
		l.labels = append(l.labels, label{x: left + plotW/2, y: panel1 + panelH/2, text: "no requests in the range", anchor: middle, role: roleMuted})
	}

	// The evidence lanes, one per source.
	for i, src := range sources {
		y := lanes + float64(i)*laneH
		l.rects = append(l.rects, rect{x: left, y: y + laneH - 1, w: plotW, h: 1, role: roleGrid})
		l.labels = append(l.labels, label{x: left - 6, y: y + 11, text: src, anchor: end, role: sourceRole(src)})
	}
	seen := map[string]bool{}
	for _, inc := range res.Incidents {
		for _, c := range inc.Causes {
			for _, e := range c.Evidence {
				key := e.Path + "@" + strconv.FormatInt(e.Offset, 10)
				lane := slices.Index(sources, e.Source)
				if seen[key] || lane < 0 || e.Time.Before(s.Start) || e.Time.After(s.End()) {
					continue
				}
				seen[key] = true
				y := lanes + float64(lane)*laneH
				l.over = append(l.over, rect{x: x(e.Time) - 1.5, y: y + 2, w: 3, h: laneH - 5, role: sourceRole(e.Source)})
			}
		}
	}

	// The incidents, shaded across panels and lanes, numbered as the cards are.
	for i, inc := range res.Incidents {
		x0, x1 := x(inc.Start), x(inc.End)
		w := max(x1-x0, 2)
		l.over = append(l.over, rect{x: x0, y: panel1, w: w, h: axis - panel1, role: roleIncident, opacity: incidentOpacity})
		l.labels = append(l.labels, label{x: x0 + w/2, y: panel1 + 11, text: strconv.Itoa(i + 1), anchor: middle, role: roleIncident, bold: true})
	}

	// The time axis.
	l.rects = append(l.rects, rect{x: left, y: axis, w: plotW, h: 1, role: roleAxis})
	if n > 0 {
		every, format := ticks(span, max(2, int(plotW/100)))
		for t := s.Start.Truncate(every); !t.After(s.End()); t = t.Add(every) {
			if t.Before(s.Start) {
				continue
			}
			tx, text := x(t), t.UTC().Format(format)
			l.rects = append(l.rects, rect{x: tx, y: panel1, w: 1, h: axis - panel1 + 4, role: roleGrid})
			if tx+3.5*float64(len(text)) <= float64(width) { // the range's end may have no room for its label
				l.labels = append(l.labels, label{x: tx, y: axis + 15, text: text, anchor: middle, role: roleMuted})
			}
		}
		l.labels = append(l.labels, label{x: left - 6, y: axis + 15, text: "UTC", anchor: end, role: roleMuted})
	}
	l.title = describe(res, bucket)
	return l
}

// panel draws a panel's frame and labels: its name, per what, and its
// scale's top.
func (l *layout) panel(y, plotW float64, name string, top int64, bucket string) {
	l.rects = append(l.rects,
		rect{x: left, y: y, w: plotW, h: 1, role: roleGrid},
		rect{x: left, y: y + panelH/2, w: plotW, h: 1, role: roleGrid},
		rect{x: left, y: y + panelH, w: plotW, h: 1, role: roleAxis})
	l.labels = append(l.labels,
		label{x: left - 6, y: y + 12, text: name, anchor: end, role: roleText, bold: true},
		label{x: left - 6, y: y + 26, text: "per " + bucket, anchor: end, role: roleMuted},
		label{x: left - 6, y: y + panelH, text: "0", anchor: end, role: roleMuted},
		label{x: left + 4, y: y + 11, text: short(top), role: roleMuted})
}

// evidenceSources are the log formats of the incidents' evidence, in the
// order of patterns.Kinds (nginx's error log first), at most as many as
// there are lane colours.
func evidenceSources(res analyze.Result) []string {
	var out []string
	for _, inc := range res.Incidents {
		for _, c := range inc.Causes {
			for _, e := range c.Evidence {
				if !slices.Contains(out, e.Source) {
					out = append(out, e.Source)
				}
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return cmp.Compare(kindIndex(a), kindIndex(b)) })
	return out[:min(len(out), len(sourceRoles))]
}

// kindIndex is the place of a log format among patterns.Kinds; after them
// for another.
func kindIndex(src string) int {
	kinds := patterns.Kinds()
	if i := slices.IndexFunc(kinds, func(k patterns.Kind) bool { return k.String() == src }); i >= 0 {
		return i
	}
	return len(kinds)
}

// sourceRole is the colour of a log format's marks: the same in every
// chart, nginx's error log the first colour.
func sourceRole(src string) role {
	n := len(sourceRoles)
	return sourceRoles[((kindIndex(src)-kindIndex(patterns.KindNginxError.String()))%n+n)%n]
}

// describe says in words what the chart shows.
func describe(res analyze.Result, bucket string) string {
	s := res.Series
	var gw int64
	for _, v := range s.Gateway {
		for _, n := range v {
			gw += n
		}
	}
	text := fmt.Sprintf("Requests and gateway errors (502/504/009) per %s, %s to %s UTC: %s gateway errors",
		bucket, s.Start.UTC().Format(time.DateTime), s.End().UTC().Format(time.DateTime), strconv.FormatInt(gw, 10))
	for i, inc := range res.Incidents {
		text += fmt.Sprintf("; incident %d from %s to %s UTC: %s", i+1, inc.Start.UTC().Format(time.TimeOnly), inc.End.UTC().Format(time.TimeOnly), inc.Title)
	}
	return text + "."
}

// stepName names a bucket width: "second", "10 s", "minute", "5 min", "hour".
func stepName(step int64) string {
	switch {
	case step <= 1:
		return "second"
	case step < 60:
		return strconv.FormatInt(step, 10) + " s"
	case step == 60:
		return "minute"
	case step < 3600:
		return strconv.FormatInt(step/60, 10) + " min"
	case step == 3600:
		return "hour"
	}
	return strconv.FormatInt(step/3600, 10) + " h"
}

// tickSteps are the intervals between the time axis's labels.
var tickSteps = []time.Duration{
	5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// ticks returns the interval between time labels, so that a span shows at
// most n, and their format.
func ticks(span time.Duration, n int) (time.Duration, string) {
	every := tickSteps[len(tickSteps)-1]
	for _, d := range tickSteps {
		if span/d <= time.Duration(n) {
			every = d
			break
		}
	}
	switch {
	case every < time.Minute:
		return every, "15:04:05"
	case span <= 24*time.Hour:
		return every, "15:04"
	}
	return every, "Jan 2 15:04"
}

// niceCeil is the smallest 1, 2 or 5 × 10ⁿ at or above v, at least 1.
func niceCeil(v int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

func maxOf(vs []int64) int64 {
	var m int64
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}

// short formats a scale's top, a 1, 2 or 5 × 10ⁿ: 500, 20k, 1M.
func short(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return strconv.FormatInt(n/1_000_000, 10) + "M"
	case n >= 1000 && n%1000 == 0:
		return strconv.FormatInt(n/1000, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}
