package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/numfmt"
)

// Markdown writes res as GitHub-flavoured Markdown, for a ticket or a
// post-mortem: the facts Text shows. Log text is attacker-controlled: in
// inline text and table cells it is escaped (no markup, link, HTML or
// table cell of its own) and on one line; in code blocks its control
// characters are shown as Text shows them and the fence is longer than any
// run of backticks in it, so that nothing in it closes the block.
func Markdown(w io.Writer, res analyze.Result) error {
	m := &mdPrinter{printer{w: w}}
	m.header(res)
	for i, inc := range res.Incidents {
		m.incident(i+1, inc)
	}
	m.slowQueries(res.SlowQueries, res.SlowQueriesMore)
	m.noise(res.Noise)
	m.gaps(res.Gaps)
	m.sources(res.Sources)
	m.config(res.Config)
	return m.err
}

type mdPrinter struct{ printer }

func (m *mdPrinter) header(res analyze.Result) {
	m.f("# logcause: %s of logs, %s to %s UTC\n\n", plural(len(res.Sources), "file"),
		stamp(res.Range.Start), stamp(res.Range.End))
	m.f("%s requests: %s\n\n", numfmt.Thousands(res.Totals.Requests), statusList(res.Totals.Status, 0))
	if len(res.Incidents) == 0 {
		m.f("No incident: no spike of 502/504 responses.\n")
		return
	}
	m.f("%s of 502/504 responses found.\n", plural(len(res.Incidents), "incident"))
}

func (m *mdPrinter) incident(n int, inc analyze.Incident) {
	gateway, share := failed(inc)
	m.f("\n## Incident %d: %s to %s UTC (%s): %s\n\n", n, stamp(inc.Start), clock(inc.End), inc.End.Sub(inc.Start), md(inc.Title))
	rows := [][]string{
		{"Failed", fmt.Sprintf("%s of %s requests (%.1f%%)", numfmt.Thousands(gateway), numfmt.Thousands(inc.Requests), share)},
		{"Status", statusList(inc.Status, 0)},
	}
	paths := make([]analyze.ValueCount, 0, len(inc.TopPaths))
	for _, p := range inc.TopPaths {
		paths = append(paths, analyze.ValueCount{Value: p.Path, Count: p.Count})
	}
	for _, l := range []struct {
		name, list string
		vs         []analyze.ValueCount
	}{{"Top paths", analyze.ListPaths, paths}, {"Clients", analyze.ListClients, inc.TopClients}, {"Upstreams", analyze.ListUpstreams, inc.TopUpstreams}, {"Hosts", analyze.ListHosts, inc.TopHosts}} {
		if a := inc.Approx(l.list); len(l.vs) > 0 || a != nil {
			rows = append(rows, []string{l.name, mdTop(l.vs, a)})
		}
	}
	if len(inc.ByUpstream) > 0 {
		parts := make([]string, 0, len(inc.ByUpstream))
		for _, u := range inc.ByUpstream {
			parts = append(parts, fmt.Sprintf("%s %s of %s failed", md(shorten(u.Upstream, 80)), numfmt.Thousands(u.GatewayErrors), numfmt.Thousands(u.Requests)))
		}
		rows = append(rows, []string{"By upstream", strings.Join(parts, "; ")})
	}
	if len(inc.SlowQueries) > 0 {
		rows = append(rows, []string{"Slow queries", classLine(inc.SlowQueries, md)})
	}
	m.table([]string{"Impact", ""}, rows)

	root := rootCause(inc)
	m.f("\n- **Root cause:** %s (confidence %.2f)\n", md(string(inc.RootCause)), root.Confidence)
	m.f("- **Chain:** %s → %s\n", strings.Join(chainNames(inc, md), " → "), gatewayCodes(inc.Status))
	m.f("- **Why:** %s\n", md(root.Summary))
	if len(root.Settings) > 0 {
		m.f("\n### Configuration quoted\n\n")
		for _, s := range root.Settings {
			m.f("- %s\n", md(s.Quote))
		}
	}
	if len(root.Recommendations) > 0 {
		m.f("\n### Fix\n\n")
		for _, r := range root.Recommendations {
			m.f("- %s\n", md(r))
		}
	}
	if len(root.Evidence) > 0 {
		m.f("\n### Evidence\n")
		for _, e := range root.Evidence {
			m.f("\n%s UTC, %s, %s @ byte %d:\n\n", stamp(e.Time), md(e.Source), md(e.Path), e.Offset)
			m.code(e.Text)
		}
		if root.EvidenceMore > 0 {
			m.f("\n%s more not shown.\n", numfmt.Thousands(int64(root.EvidenceMore)))
		}
	}
	if others := otherCauses(inc); len(others) > 0 {
		m.f("\n### Other candidate causes\n\n")
		for _, c := range others {
			m.f("- %s (confidence %.2f): %s\n", md(string(c.Kind)), c.Confidence, md(c.Summary))
		}
	}
}

func (m *mdPrinter) noise(n analyze.Noise) {
	if n.GatewayErrors == 0 {
		return
	}
	m.f("\n## Noise\n\n%s gateway error(s) outside incidents, too few or too usual to be one:\n\n", numfmt.Thousands(n.GatewayErrors))
	for _, b := range n.Bursts {
		m.f("- %s to %s UTC: %s\n", stamp(b.Start), clock(b.End), statusList(b.Status, 0))
	}
}

func (m *mdPrinter) gaps(gs []analyze.Gap) {
	if len(gs) == 0 {
		return
	}
	m.f("\n## Gaps\n\nLines of these logs may be missing, and evidence from them with it:\n\n")
	for _, g := range gs {
		m.f("- %s UTC, %s at byte %d: %s\n", stamp(g.Time), md(g.Path), g.Offset, md(g.Reason))
	}
}

func (m *mdPrinter) sources(srcs []analyze.Source) {
	if len(srcs) == 0 {
		return
	}
	m.f("\n## Sources\n\n")
	rows := make([][]string, 0, len(srcs))
	for _, s := range srcs {
		rows = append(rows, []string{md(s.Path), md(s.Format), numfmt.Thousands(s.Records), numfmt.Thousands(s.Unparsed), md(s.TZ), md(s.Error)})
	}
	m.table([]string{"File", "Format", "Records", "Unparsed", "Time zone", "Error"}, rows)
	for _, s := range srcs {
		for _, smp := range s.Samples {
			m.f("\nUnparsed in %s:\n\n", md(s.Path))
			m.code(smp)
		}
	}
}

func (m *mdPrinter) config(c *analyze.ConfigUse) {
	if c == nil {
		return
	}
	m.f("\n## Configuration\n\nQuoted from under %s:\n\n", md(c.Root))
	for _, f := range c.Files {
		m.f("- %s\n", md(f))
	}
	for _, p := range c.Problems {
		m.f("- **Problem:** %s\n", md(p))
	}
}

// table writes a table; its cells are Markdown already (md).
func (m *mdPrinter) table(header []string, rows [][]string) {
	m.f("| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
	for _, r := range rows {
		for i, c := range r {
			if c == "" {
				r[i] = " " // an empty cell
			}
		}
		m.f("| %s |\n", strings.Join(r, " | "))
	}
}

// code writes s, one log line, in a fenced code block: control characters
// shown as Text shows them, cut as Text cuts it, in a fence longer than
// any run of backticks in it.
func (m *mdPrinter) code(s string) {
	s = shorten(clean(s), maxLineText)
	fence := strings.Repeat("`", max(3, longestRun(s, '`')+1))
	m.f("%s\n%s\n%s\n", fence, s, fence)
}

func longestRun(s string, c byte) int {
	longest, run := 0, 0
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	return longest
}

// mdTop formats values "a (12), b (3)", escaped; a list whose counts
// are estimates (a) shows them "≈12", and says so.
func mdTop(vs []analyze.ValueCount, a *analyze.TopApprox) string {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		parts = append(parts, md(shorten(v.Value, 80))+" ("+approxCount(v.Count, a)+")")
	}
	cell := strings.Join(parts, ", ")
	if a != nil {
		if cell != "" {
			cell += "; "
		}
		cell += "_" + approxNote(a, len(vs)) + "_"
	}
	return cell
}

// mdEscaper escapes what Markdown (GitHub's) would read as markup, a link,
// HTML or the end of a table cell.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "|", `\|`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"~", `\~`, "#", `\#`, "!", `\!`, "<", "&lt;", ">", "&gt;", "&", "&amp;",
)

// md makes log text inline Markdown: on one line, its control characters
// shown as Text shows them ("⏎" for a newline), and escaped.
func md(s string) string {
	return mdEscaper.Replace(clean(strings.ReplaceAll(s, "\r\n", "\n")))
}
