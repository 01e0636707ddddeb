// Package report answers one question: how is an analysis shown? It renders
// an analyze.Result as a terminal report, as JSON, as Markdown or as one
// HTML page (with the timeline chart of package chart). Log text is
// attacker-controlled: every form keeps it inert (control sequences shown
// as text, Markdown escaped, HTML through html/template).
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/numfmt"
)

// JSON writes res as indented JSON (the contract in the README).
func JSON(w io.Writer, res analyze.Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		return fmt.Errorf("cannot write the JSON report: %w", err)
	}
	return nil
}

// maxLineText is how much of an evidence line the terminal shows.
const maxLineText = 400

// Text writes res for a person at a terminal width columns wide (at least
// 60; DefaultWidth when the output is no terminal): every line fits, long
// text and table cells wrapped.
func Text(w io.Writer, res analyze.Result, width int) error {
	p := &printer{w: w, width: columns(width)}
	p.header(res)
	for i, inc := range res.Incidents {
		p.incident(i+1, res, inc)
	}
	p.slowQueries(res.SlowQueries, res.SlowQueriesMore)
	p.noise(res.Noise)
	p.gaps(res.Gaps)
	p.sources(res.Sources)
	p.config(res.Config)
	return p.err
}

// Incidents writes some incidents of the analysis res, as Text does, but
// without its other incidents, its noise or its sources: the news of the
// daemon's analysis, as it prints them. Without incidents, it writes
// nothing.
func Incidents(w io.Writer, res analyze.Result, incidents []analyze.Incident, width int) error {
	if len(incidents) == 0 {
		return nil
	}
	res.Incidents, res.Sources, res.Noise = incidents, nil, analyze.Noise{Bursts: []analyze.NoiseBurst{}}
	return Text(w, res, width)
}

type printer struct {
	w     io.Writer
	width int // columns
	err   error
}

func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

// line writes one line of text, wrapped to the width; the lines it wraps
// to are indented by hang columns, under the text after its label.
func (p *printer) line(hang int, format string, a ...any) {
	for _, l := range wrap(fmt.Sprintf(format, a...), p.width, hang) {
		p.f("%s\n", l)
	}
}

// lineEnding writes text as line does, and tail after it, whole: at the end
// of its last line when it fits there, else on a line of its own.
func (p *printer) lineEnding(hang int, text, tail string) {
	lines := wrap(text, p.width, hang)
	last := &lines[len(lines)-1]
	if textWidth(*last)+1+textWidth(tail) <= p.width {
		*last += " " + tail
	} else {
		lines = append(lines, strings.Repeat(" ", min(hang, p.width/2))+tail)
	}
	for _, l := range lines {
		p.f("%s\n", l)
	}
}

// table writes rows under the columns' headers, fitted to the width.
func (p *printer) table(cols []column, rows [][]string) {
	if p.err != nil {
		return
	}
	widths := layout(cols, rows, p.width)
	header := make([]string, len(cols))
	align := make([]tw.Align, len(cols))
	for i, c := range cols {
		header[i], align[i] = c.header, c.align
	}
	t := tablewriter.NewTable(p.w,
		tablewriter.WithRenderer(renderer.NewBlueprint()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithRowAutoWrap(tw.WrapNone), // wrapped here, to the widths laid out
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	if err := t.Bulk(wrapCells(rows, widths)); err != nil {
		p.err = fmt.Errorf("cannot render a table: %w", err)
		return
	}
	if err := t.Render(); err != nil {
		p.err = fmt.Errorf("cannot render a table: %w", err)
	}
}

func (p *printer) header(res analyze.Result) {
	p.line(2, "logcause: %s of logs, %s to %s UTC", plural(len(res.Sources), "file"),
		stamp(res.Range.Start), stamp(res.Range.End))
	p.line(2, "%s requests: %s", numfmt.Thousands(res.Totals.Requests), statusList(res.Totals.Status, 0))
	switch len(res.Incidents) {
	case 0:
		p.line(2, "No incident: no spike of 502/504 responses.")
	default:
		p.line(2, "%s of 502/504 responses found.", plural(len(res.Incidents), "incident"))
	}
}

func (p *printer) incident(n int, res analyze.Result, inc analyze.Incident) {
	gateway, share := failed(inc)
	p.f("\n")
	p.line(2, "INCIDENT %d  %s to %s UTC (%s)", n, stamp(inc.Start), clock(inc.End), inc.End.Sub(inc.Start))
	p.line(2, "%s", clean(inc.Title))
	p.f("\n")
	p.line(labelled, "  Impact:      %s of %s requests (%.1f%%) failed: %s", numfmt.Thousands(gateway), numfmt.Thousands(inc.Requests), share, statusList(inc.Status, 0))
	root := rootCause(inc)
	p.line(labelled, "  Root cause:  %s (confidence %.2f)", inc.RootCause, root.Confidence)
	p.line(labelled, "  Chain:       %s → %s", strings.Join(chainNames(inc, nil), " → "), gatewayCodes(inc.Status))
	p.line(labelled, "  Why:         %s", clean(root.Summary))
	for _, l := range []struct {
		name, list string
		vs         []analyze.ValueCount
	}{{"Upstreams", analyze.ListUpstreams, inc.TopUpstreams}, {"Hosts", analyze.ListHosts, inc.TopHosts}, {"Clients", analyze.ListClients, inc.TopClients}} {
		if a := inc.Approx(l.list); len(l.vs) > 0 || a != nil {
			p.line(labelled, "  %-12s %s", l.name+":", topLine(l.vs, 3, a))
		}
	}
	if len(inc.ByUpstream) > 0 {
		p.line(labelled, "  %-12s %s", "By upstream:", upstreamLine(inc.ByUpstream, 3))
	}
	if len(inc.SlowQueries) > 0 {
		p.line(labelled, "  %-12s %s", "Slow SQL:", classLine(inc.SlowQueries, clean))
	}
	if len(root.Evidence) > 0 {
		p.evidence(root.Evidence, root.EvidenceMore)
	}
	if len(root.Recommendations) > 0 {
		p.f("\n  Fix:\n")
		for _, r := range root.Recommendations {
			p.line(4, "  - %s", r)
		}
	}
	if a := inc.Approx(analyze.ListPaths); len(inc.TopPaths) > 0 || a != nil {
		p.f("\n  Top paths with 502/504:\n")
		if len(inc.TopPaths) > 0 {
			rows := make([][]string, 0, len(inc.TopPaths))
			for _, tp := range inc.TopPaths {
				rows = append(rows, []string{shorten(clean(tp.Path), maxLineText), approxCount(tp.Count, a)})
			}
			p.table([]column{{header: "PATH", wraps: true}, {header: "ERRORS", align: tw.AlignRight}}, rows)
		}
		if a != nil {
			p.line(4, "  (%s)", approxNote(a, len(inc.TopPaths)))
		}
	}
	if others := otherCauses(inc); len(others) > 0 {
		p.f("\n  Other candidate causes:\n")
		for _, c := range others {
			p.line(4, "  - %s (confidence %.2f): %s", c.Kind, c.Confidence, clean(c.Summary))
		}
	}
}

// failed is how many of an incident's requests were gateway errors, and
// their share of its requests in percent.
func failed(inc analyze.Incident) (gateway int64, share float64) {
	gateway = inc.Status["502"] + inc.Status["504"] + inc.Status["009"]
	if inc.Requests > 0 {
		share = 100 * float64(gateway) / float64(inc.Requests)
	}
	return gateway, share
}

// rootCause is the incident's cause of kind RootCause, its first cause
// when none is.
func rootCause(inc analyze.Incident) analyze.Cause {
	root := inc.Causes[0]
	for _, c := range inc.Causes {
		if c.Kind == inc.RootCause {
			root = c
		}
	}
	return root
}

// chainNames names the kinds of an incident's chain, root first, each
// passed through esc when it is not nil.
func chainNames(inc analyze.Incident, esc func(string) string) []string {
	chain := make([]string, 0, len(inc.Chain))
	for _, k := range inc.Chain {
		if esc != nil {
			chain = append(chain, esc(string(k)))
		} else {
			chain = append(chain, string(k))
		}
	}
	return chain
}

// otherCauses are an incident's candidate causes but its root cause.
func otherCauses(inc analyze.Incident) []analyze.Cause {
	return slices.DeleteFunc(slices.Clone(inc.Causes), func(c analyze.Cause) bool { return c.Kind == inc.RootCause })
}

// evidence lists the evidence lines, each under its time, its log's format
// and where it is: its file and the byte offset of its first byte there.
// Not a line number: analysis has the offset (events carry it, from ingest
// to the store), and the line number would take another read of the files,
// which may have rotated since or be gigabytes of access log; the byte is
// labelled as one. The lines are not in a table: a table's column for them
// left a 100-column terminal a third of its width, and nginx's lines a
// dozen rows each.
func (p *printer) evidence(es []analyze.Evidence, more int) {
	p.f("\n  Evidence:\n")
	sourceWidth := 0
	for _, e := range es {
		sourceWidth = max(sourceWidth, textWidth(e.Source))
	}
	for _, e := range es {
		head := fmt.Sprintf("  %s UTC  %-*s  %s", clock(e.Time), sourceWidth, clean(e.Source), clean(e.Path))
		p.lineEnding(4, head, "@ byte "+strconv.FormatInt(e.Offset, 10))
		p.line(4, "    %s", shorten(clean(e.Text), maxLineText))
	}
	if more > 0 {
		p.line(4, "  %s more not shown", numfmt.Thousands(int64(more)))
	}
}

// noise lists the gateway errors that are no incident, so that none is
// silently dropped.
func (p *printer) noise(n analyze.Noise) {
	if n.GatewayErrors == 0 {
		return
	}
	p.f("\n")
	p.line(2, "Noise: %s gateway error(s) outside incidents, too few or too usual to be one:", numfmt.Thousands(n.GatewayErrors))
	for _, b := range n.Bursts {
		p.line(4, "  %s to %s UTC  %s", stamp(b.Start), clock(b.End), statusList(b.Status, 0))
	}
}

func (p *printer) config(c *analyze.ConfigUse) {
	if c == nil {
		return
	}
	files := make([]string, 0, len(c.Files))
	for _, f := range c.Files {
		files = append(files, clean(f))
	}
	p.f("\n")
	p.line(2, "Configuration quoted (under %s): %s", clean(c.Root), strings.Join(files, ", "))
	for _, pr := range c.Problems {
		p.line(2, "! %s", clean(pr))
	}
}

func (p *printer) gaps(gs []analyze.Gap) {
	if len(gs) == 0 {
		return
	}
	p.f("\n")
	p.line(2, "Gaps: lines of these logs may be missing, and evidence from them with it:")
	for _, g := range gs {
		p.line(4, "  %s UTC  %s at byte %d: %s", stamp(g.Time), clean(g.Path), g.Offset, clean(g.Reason))
	}
}

func (p *printer) sources(srcs []analyze.Source) {
	if len(srcs) == 0 {
		return
	}
	p.f("\nSources:\n")
	rows := make([][]string, 0, len(srcs))
	for _, s := range srcs {
		rows = append(rows, []string{clean(s.Path), s.Format, numfmt.Thousands(s.Records), numfmt.Thousands(s.Unparsed), clean(s.TZ)})
	}
	p.table(sourceColumns(), rows)
	for _, s := range srcs {
		if s.Error != "" {
			p.line(2, "! %s: %s", clean(s.Path), clean(s.Error))
		}
		for _, smp := range s.Samples {
			p.line(4, "  unparsed in %s: %s", clean(s.Path), shorten(clean(smp), maxLineText))
		}
	}
}

// sourceColumns are the columns of a table of sources.
func sourceColumns() []column {
	return []column{
		{header: "FILE", wraps: true}, {header: "FORMAT"},
		{header: "RECORDS", align: tw.AlignRight}, {header: "UNPARSED", align: tw.AlignRight},
		{header: "TIME ZONE", wraps: true},
	}
}

// labelled is the indentation of an incident's labelled lines' text
// ("  Why:         ").
const labelled = 15

// topLine formats the first n values "a (12), b (3), …"; the lists are
// capped, so how many more there are is not known here. A list whose
// counts are estimates (a) shows them "≈12", and says so.
func topLine(vs []analyze.ValueCount, n int, a *analyze.TopApprox) string {
	parts := make([]string, 0, n+1)
	for _, v := range vs[:min(n, len(vs))] {
		parts = append(parts, shorten(clean(v.Value), 80)+" ("+approxCount(v.Count, a)+")")
	}
	if len(vs) > n {
		parts = append(parts, "…")
	}
	line := strings.Join(parts, ", ")
	if a != nil {
		if line != "" {
			line += "; "
		}
		line += approxNote(a, len(vs))
	}
	return line
}

// approxCount writes a top list's count: "≈1,234" when the list's counts
// are estimates (a), "1,234" when exact.
func approxCount(n int64, a *analyze.TopApprox) string {
	if a != nil {
		return "≈" + numfmt.Thousands(n)
	}
	return numfmt.Thousands(n)
}

// approxNote says what the counts of a top list past the exact count are
// worth, the list showing shown values.
func approxNote(a *analyze.TopApprox, shown int) string {
	distinct := "more than " + numfmt.Thousands(int64(a.DistinctMoreThan)) + " distinct " + a.List
	if shown == 0 {
		return distinct + ", none known to exceed " + numfmt.Thousands(a.Error) + ": counts approximate"
	}
	return distinct + ": counts approximate, each up to " + numfmt.Thousands(a.Error) + " too high"
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }
func clock(t time.Time) string { return t.UTC().Format("15:04:05") }

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// statusList formats status counts "200: 1,234, 502: 56" for codes ≥ from.
func statusList(m map[string]int64, from int) string {
	codes := make([]string, 0, len(m))
	for c := range m {
		if n, err := strconv.Atoi(c); err == nil && n >= from {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	parts := make([]string, 0, len(codes))
	for _, c := range codes {
		parts = append(parts, c+": "+numfmt.Thousands(m[c]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func gatewayCodes(m map[string]int64) string {
	var out []string
	for _, c := range []string{"502", "504", "009"} {
		if m[c] > 0 {
			out = append(out, c)
		}
	}
	return strings.Join(out, "/")
}

// clean makes log text safe for a terminal: control characters (C0, DEL,
// C1, so every escape sequence) are shown as \xHH or \u00HH, newlines as
// "⏎", invalid UTF-8 as U+FFFD.
func clean(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n':
			b.WriteString(" ⏎ ")
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04X`, r)
		case r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			fmt.Fprintf(&b, `\u%04X`, r) // line separators and bidi overrides
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// shorten cuts s to at most n runes, marking the cut with "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// upstreamLine shows the first n upstreams: how many of their requests
// were gateway errors.
func upstreamLine(us []analyze.UpstreamShare, n int) string {
	parts := make([]string, 0, n+1)
	for _, u := range us[:min(n, len(us))] {
		parts = append(parts, fmt.Sprintf("%s %s of %s failed", shorten(clean(u.Upstream), 80), numfmt.Thousands(u.GatewayErrors), numfmt.Thousands(u.Requests)))
	}
	if len(us) > n {
		parts = append(parts, fmt.Sprintf("(%d more)", len(us)-n))
	}
	return strings.Join(parts, "; ")
}
