// Package report answers one question: how is an analysis shown? It renders
// an analyze.Result as a terminal report or as JSON. Log text is
// attacker-controlled: the terminal form strips control sequences from it.
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

// maxLineText is how much of an evidence line the terminal shows, wrapped
// at wrapWidth columns.
const (
	maxLineText = 400
	wrapWidth   = 100
)

// Text writes res for a person at a terminal.
func Text(w io.Writer, res analyze.Result) error {
	p := &printer{w: w}
	p.header(res)
	for i, inc := range res.Incidents {
		p.incident(i+1, res, inc)
	}
	p.noise(res.Noise)
	p.gaps(res.Gaps)
	p.sources(res.Sources)
	p.config(res.Config)
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

func (p *printer) table(header []string, rows [][]string, align []tw.Align) {
	if p.err != nil {
		return
	}
	t := tablewriter.NewTable(p.w,
		tablewriter.WithRenderer(renderer.NewBlueprint()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNormal),
		tablewriter.WithRowMaxWidth(wrapWidth),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		p.err = fmt.Errorf("cannot render a table: %w", err)
		return
	}
	if err := t.Render(); err != nil {
		p.err = fmt.Errorf("cannot render a table: %w", err)
	}
}

func (p *printer) header(res analyze.Result) {
	p.f("logcause: %s of logs, %s to %s UTC\n", plural(len(res.Sources), "file"),
		stamp(res.Range.Start), stamp(res.Range.End))
	p.f("%s requests: %s\n", thousands(res.Totals.Requests), statusList(res.Totals.Status, 0))
	switch len(res.Incidents) {
	case 0:
		p.f("No incident: no spike of 502/504 responses.\n")
	default:
		p.f("%s of 502/504 responses found.\n", plural(len(res.Incidents), "incident"))
	}
}

func (p *printer) incident(n int, res analyze.Result, inc analyze.Incident) {
	gateway := inc.Status["502"] + inc.Status["504"] + inc.Status["009"]
	p.f("\nINCIDENT %d  %s to %s UTC (%s)\n", n, stamp(inc.Start), clock(inc.End), inc.End.Sub(inc.Start))
	p.f("%s\n\n", clean(inc.Title))
	share := 0.0
	if inc.Requests > 0 {
		share = 100 * float64(gateway) / float64(inc.Requests)
	}
	p.f("  Impact:      %s of %s requests (%.1f%%) failed: %s\n", thousands(gateway), thousands(inc.Requests), share, statusList(inc.Status, 0))
	root := inc.Causes[0]
	for _, c := range inc.Causes {
		if c.Kind == inc.RootCause {
			root = c
		}
	}
	p.f("  Root cause:  %s (confidence %.2f)\n", inc.RootCause, root.Confidence)
	chain := make([]string, 0, len(inc.Chain)+1)
	for _, k := range inc.Chain {
		chain = append(chain, string(k))
	}
	p.f("  Chain:       %s → %s\n", strings.Join(chain, " → "), gatewayCodes(inc.Status))
	p.f("  Why:         %s\n", clean(root.Summary))
	for _, l := range []struct {
		name string
		vs   []analyze.ValueCount
	}{{"Upstreams", inc.TopUpstreams}, {"Hosts", inc.TopHosts}, {"Clients", inc.TopClients}} {
		if len(l.vs) > 0 {
			p.f("  %-12s %s\n", l.name+":", topLine(l.vs, 3))
		}
	}
	if len(inc.ByUpstream) > 0 {
		p.f("  %-12s %s\n", "By upstream:", upstreamLine(inc.ByUpstream, 3))
	}
	if len(root.Evidence) > 0 {
		p.f("\n  Evidence:\n")
		rows := make([][]string, 0, len(root.Evidence))
		for _, e := range root.Evidence {
			rows = append(rows, []string{clock(e.Time), e.Source, clean(e.Path) + ":" + strconv.FormatInt(e.Offset, 10), shorten(clean(e.Text), maxLineText)})
		}
		p.table([]string{"TIME (UTC)", "SOURCE", "FILE:OFFSET", "LINE"}, rows, nil)
	}
	if len(root.Recommendations) > 0 {
		p.f("\n  Fix:\n")
		for _, r := range root.Recommendations {
			p.f("  - %s\n", r)
		}
	}
	if len(inc.TopPaths) > 0 {
		p.f("\n  Top paths with 502/504:\n")
		rows := make([][]string, 0, len(inc.TopPaths))
		for _, tp := range inc.TopPaths {
			rows = append(rows, []string{shorten(clean(tp.Path), maxLineText), thousands(tp.Count)})
		}
		p.table([]string{"PATH", "ERRORS"}, rows, []tw.Align{tw.AlignLeft, tw.AlignRight})
	}
	others := slices.DeleteFunc(slices.Clone(inc.Causes), func(c analyze.Cause) bool { return c.Kind == inc.RootCause })
	if len(others) > 0 {
		p.f("\n  Other candidate causes:\n")
		for _, c := range others {
			p.f("  - %s (confidence %.2f): %s\n", c.Kind, c.Confidence, clean(c.Summary))
		}
	}
}

// noise lists the gateway errors that are no incident, so that none is
// silently dropped.
func (p *printer) noise(n analyze.Noise) {
	if n.GatewayErrors == 0 {
		return
	}
	p.f("\nNoise: %s gateway error(s) outside incidents, too few or too usual to be one:\n", thousands(n.GatewayErrors))
	for _, b := range n.Bursts {
		p.f("  %s to %s UTC  %s\n", stamp(b.Start), clock(b.End), statusList(b.Status, 0))
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
	p.f("\nConfiguration quoted (under %s): %s\n", clean(c.Root), strings.Join(files, ", "))
	for _, pr := range c.Problems {
		p.f("! %s\n", clean(pr))
	}
}

func (p *printer) gaps(gs []analyze.Gap) {
	if len(gs) == 0 {
		return
	}
	p.f("\nGaps: lines of these logs may be missing, and evidence from them with it:\n")
	for _, g := range gs {
		p.f("  %s UTC  %s at offset %d: %s\n", stamp(g.Time), clean(g.Path), g.Offset, clean(g.Reason))
	}
}

func (p *printer) sources(srcs []analyze.Source) {
	if len(srcs) == 0 {
		return
	}
	p.f("\nSources:\n")
	rows := make([][]string, 0, len(srcs))
	for _, s := range srcs {
		rows = append(rows, []string{clean(s.Path), s.Format, thousands(s.Records), thousands(s.Unparsed), clean(s.TZ)})
	}
	p.table([]string{"FILE", "FORMAT", "RECORDS", "UNPARSED", "TIME ZONE"}, rows,
		[]tw.Align{tw.AlignLeft, tw.AlignLeft, tw.AlignRight, tw.AlignRight, tw.AlignLeft})
	for _, s := range srcs {
		if s.Error != "" {
			p.f("! %s: %s\n", clean(s.Path), clean(s.Error))
		}
		for _, smp := range s.Samples {
			p.f("  unparsed in %s: %s\n", clean(s.Path), shorten(clean(smp), maxLineText))
		}
	}
}

// topLine formats the first n values "a (12), b (3), …"; the lists are
// capped, so how many more there are is not known here.
func topLine(vs []analyze.ValueCount, n int) string {
	parts := make([]string, 0, n+1)
	for _, v := range vs[:min(n, len(vs))] {
		parts = append(parts, shorten(clean(v.Value), 80)+" ("+thousands(v.Count)+")")
	}
	if len(vs) > n {
		parts = append(parts, "…")
	}
	return strings.Join(parts, ", ")
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
		parts = append(parts, c+": "+thousands(m[c]))
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

func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
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
		parts = append(parts, fmt.Sprintf("%s %s of %s failed", shorten(clean(u.Upstream), 80), thousands(u.GatewayErrors), thousands(u.Requests)))
	}
	if len(us) > n {
		parts = append(parts, fmt.Sprintf("(%d more)", len(us)-n))
	}
	return strings.Join(parts, "; ")
}
