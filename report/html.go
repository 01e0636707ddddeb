package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/chart"
	"github.com/logcause/logcause/internal/numfmt"
)

//go:embed html/report.html.tmpl html/report.css
var htmlFiles embed.FS

// htmlTemplate is parsed once per report: a package-level template would
// be state shared by every caller for no measurable gain.
func htmlTemplate() (*template.Template, error) {
	return template.ParseFS(htmlFiles, "html/report.html.tmpl")
}

// htmlLineText is how much of a log line the HTML report shows: more than
// a terminal, still bounded.
const htmlLineText = 2000

// HTML writes res as one self-contained HTML page, to be read offline in a
// browser, forwarded or printed: the timeline chart (SVG, drawn by package
// chart), a card per incident, the slow-query digest, noise, gaps and the
// sources. No script, no external resource: its CSS is inline, and its
// Content-Security-Policy forbids the rest. Log text is attacker-controlled:
// it is rendered through html/template, which escapes it, after its control
// characters are made visible as Text shows them.
func HTML(w io.Writer, res analyze.Result) error {
	t, err := htmlTemplate()
	if err != nil {
		return fmt.Errorf("cannot parse the HTML report's template: %w", err)
	}
	page, err := newHTMLPage(res)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, page); err != nil {
		return fmt.Errorf("cannot render the HTML report: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("cannot write the HTML report: %w", err)
	}
	return nil
}

// ChartPNG writes the HTML report's timeline chart as a PNG image, for
// where SVG is not shown (an e-mail's inline image).
func ChartPNG(w io.Writer, res analyze.Result) error { return chart.PNG(w, res) }

// htmlPage is what the template shows: every value formatted, log text
// made visible (clean) but not escaped, which the template does.
type htmlPage struct {
	Title       string
	CSS         template.CSS
	Chart       template.HTML // drawn by package chart, its text escaped there
	ChartNarrow template.HTML // the same, laid out for a phone
	Files       string
	From, To    string
	Requests    string
	Status      string
	Gateway     string
	Incidents   []htmlIncident
	SlowQueries []htmlClass
	SlowMore    string
	NoiseErrors string
	NoiseBursts []htmlSpan
	Gaps        []htmlGap
	Sources     []htmlSource
	Config      *htmlConfig
}

type htmlIncident struct {
	N, ID                   string
	Title                   string
	From, To, Duration      string
	Failed, Requests, Share string
	Status                  string
	RootCause               string
	Confidence              string
	ConfidenceValue         float64
	Chain                   []string
	Codes                   string
	Why                     string
	Evidence                []htmlEvidence
	EvidenceMore            string // the records left out of Evidence, "" when none
	Settings                []string
	Fixes                   []string
	Impact                  []htmlTop
	ByUpstream              []htmlUpstream
	SlowQueries             []htmlClassCount
	Others                  []htmlCause
}

type htmlEvidence struct{ Time, Source, Path, Offset, Text string }
type htmlTop struct {
	Name  string
	Items []htmlValue
	Note  string // what the counts are worth when they are estimates; "" when exact
}
type htmlValue struct{ Value, Count string }
type htmlUpstream struct{ Upstream, Failed, Requests string }
type htmlClassCount struct{ ID, Fingerprint, Count, Total string }
type htmlCause struct{ Kind, Confidence, Summary string }
type htmlSpan struct{ From, To, Status string }
type htmlGap struct{ Time, Path, Offset, Reason string }
type htmlSource struct {
	Path, Format, Records, Unparsed, TZ, Error string
	Samples                                    []string
}
type htmlConfig struct {
	Root     string
	Files    []string
	Problems []string
}
type htmlClass struct {
	N, ID, Fingerprint                              string
	Count, Total, P50, P95, Max, Lock               string
	RowsSent, RowsExamined, FirstSeen, LastSeen     string
	SampleTime, SampleQuery, SamplePath, SampleWhen string
}

// text makes log text fit for the page: control characters visible,
// bounded. The template escapes it.
func text(s string) string { return shorten(clean(s), htmlLineText) }

// block is text for a <pre>: a multi-line record (a slow-log entry, a PHP
// stack trace) keeps its lines there; each is made visible as text is.
func block(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	for i, l := range lines {
		lines[i] = clean(l)
	}
	return shorten(strings.Join(lines, "\n"), htmlLineText)
}

func newHTMLPage(res analyze.Result) (htmlPage, error) {
	css, err := htmlFiles.ReadFile("html/report.css")
	if err != nil {
		return htmlPage{}, fmt.Errorf("cannot read the HTML report's style sheet: %w", err)
	}
	var svg, narrow bytes.Buffer
	if err := chart.SVG(&svg, res); err != nil {
		return htmlPage{}, err
	}
	if err := chart.SVGWidth(&narrow, res, chart.NarrowWidth); err != nil {
		return htmlPage{}, err
	}
	gw := res.Totals.Status["502"] + res.Totals.Status["504"] + res.Totals.Status["009"]
	p := htmlPage{
		Title: headline(res),
		CSS:   template.CSS(css),
		// chart.SVG escapes every text it writes.
		Chart:       template.HTML(svg.String()),
		ChartNarrow: template.HTML(narrow.String()),
		Files:       plural(len(res.Sources), "file"),
		From:        stamp(res.Range.Start),
		To:          stamp(res.Range.End),
		Requests:    numfmt.Thousands(res.Totals.Requests),
		Status:      statusList(res.Totals.Status, 0),
		Gateway:     numfmt.Thousands(gw),
	}
	for i, inc := range res.Incidents {
		p.Incidents = append(p.Incidents, newHTMLIncident(i+1, inc))
	}
	for i, c := range res.SlowQueries {
		s := c.Sample
		p.SlowQueries = append(p.SlowQueries, htmlClass{
			N: strconv.Itoa(i + 1), ID: text(c.QueryID), Fingerprint: text(c.Fingerprint),
			Count: numfmt.Thousands(c.Count), Total: seconds(c.TotalTime), P50: seconds(c.P50Time), P95: seconds(c.P95Time),
			Max: seconds(c.MaxTime), Lock: seconds(c.LockTime), RowsSent: numfmt.Thousands(c.RowsSent), RowsExamined: numfmt.Thousands(c.RowsExamined),
			FirstSeen: stamp(c.FirstSeen), LastSeen: stamp(c.LastSeen),
			SampleTime: seconds(s.QueryTime), SampleQuery: block(s.Query), SampleWhen: stamp(s.Time),
			SamplePath: text(s.Path) + " @ byte " + strconv.FormatInt(s.Offset, 10),
		})
	}
	if n := res.SlowQueriesMore; n == 1 {
		p.SlowMore = "1 more class"
	} else if n > 1 {
		p.SlowMore = strconv.Itoa(n) + " more classes"
	}
	if res.Noise.GatewayErrors > 0 {
		p.NoiseErrors = numfmt.Thousands(res.Noise.GatewayErrors)
	}
	for _, b := range res.Noise.Bursts {
		p.NoiseBursts = append(p.NoiseBursts, htmlSpan{From: stamp(b.Start), To: clock(b.End), Status: statusList(b.Status, 0)})
	}
	for _, g := range res.Gaps {
		p.Gaps = append(p.Gaps, htmlGap{Time: stamp(g.Time), Path: text(g.Path), Offset: strconv.FormatInt(g.Offset, 10), Reason: text(g.Reason)})
	}
	for _, s := range res.Sources {
		hs := htmlSource{Path: text(s.Path), Format: text(s.Format), Records: numfmt.Thousands(s.Records), Unparsed: numfmt.Thousands(s.Unparsed), TZ: text(s.TZ), Error: text(s.Error)}
		for _, smp := range s.Samples {
			hs.Samples = append(hs.Samples, block(smp))
		}
		p.Sources = append(p.Sources, hs)
	}
	if c := res.Config; c != nil {
		hc := &htmlConfig{Root: text(c.Root)}
		for _, f := range c.Files {
			hc.Files = append(hc.Files, text(f))
		}
		for _, pr := range c.Problems {
			hc.Problems = append(hc.Problems, text(pr))
		}
		p.Config = hc
	}
	return p, nil
}

func newHTMLIncident(n int, inc analyze.Incident) htmlIncident {
	gateway, share := failed(inc)
	root := rootCause(inc)
	h := htmlIncident{
		N: strconv.Itoa(n), ID: "incident-" + strconv.Itoa(n),
		Title: text(inc.Title),
		From:  stamp(inc.Start), To: clock(inc.End), Duration: inc.End.Sub(inc.Start).String(),
		Failed: numfmt.Thousands(gateway), Requests: numfmt.Thousands(inc.Requests), Share: strconv.FormatFloat(share, 'f', 1, 64) + "%",
		Status:    statusList(inc.Status, 0),
		RootCause: text(string(inc.RootCause)), Confidence: strconv.FormatFloat(root.Confidence, 'f', 2, 64), ConfidenceValue: root.Confidence,
		Chain: chainNames(inc, text), Codes: gatewayCodes(inc.Status),
		Why: text(root.Summary),
	}
	if root.EvidenceMore > 0 {
		h.EvidenceMore = numfmt.Thousands(int64(root.EvidenceMore))
	}
	for _, e := range root.Evidence {
		h.Evidence = append(h.Evidence, htmlEvidence{Time: clock(e.Time), Source: text(e.Source), Path: text(e.Path), Offset: strconv.FormatInt(e.Offset, 10), Text: block(e.Text)})
	}
	for _, s := range root.Settings {
		h.Settings = append(h.Settings, text(s.Quote))
	}
	for _, r := range root.Recommendations {
		h.Fixes = append(h.Fixes, text(r))
	}
	paths := make([]analyze.ValueCount, 0, len(inc.TopPaths))
	for _, tp := range inc.TopPaths {
		paths = append(paths, analyze.ValueCount{Value: tp.Path, Count: tp.Count})
	}
	for _, l := range []struct {
		name, list string
		vs         []analyze.ValueCount
	}{{"Paths", analyze.ListPaths, paths}, {"Clients", analyze.ListClients, inc.TopClients}, {"Upstreams", analyze.ListUpstreams, inc.TopUpstreams}, {"Hosts", analyze.ListHosts, inc.TopHosts}} {
		a := inc.Approx(l.list)
		if len(l.vs) == 0 && a == nil {
			continue
		}
		t := htmlTop{Name: l.name}
		for _, v := range l.vs {
			t.Items = append(t.Items, htmlValue{Value: text(v.Value), Count: approxCount(v.Count, a)})
		}
		if a != nil {
			t.Note = approxNote(a, len(l.vs))
		}
		h.Impact = append(h.Impact, t)
	}
	for _, u := range inc.ByUpstream {
		h.ByUpstream = append(h.ByUpstream, htmlUpstream{Upstream: text(u.Upstream), Failed: numfmt.Thousands(u.GatewayErrors), Requests: numfmt.Thousands(u.Requests)})
	}
	for _, c := range inc.SlowQueries {
		h.SlowQueries = append(h.SlowQueries, htmlClassCount{ID: text(c.QueryID), Fingerprint: text(c.Fingerprint), Count: numfmt.Thousands(c.Count), Total: seconds(c.TotalTime)})
	}
	for _, c := range otherCauses(inc) {
		h.Others = append(h.Others, htmlCause{Kind: text(string(c.Kind)), Confidence: strconv.FormatFloat(c.Confidence, 'f', 2, 64), Summary: text(c.Summary)})
	}
	return h
}

// headline is the page's title: what happened, in one line.
func headline(res analyze.Result) string {
	if len(res.Incidents) == 0 {
		return "logcause: no incident, " + stamp(res.Range.Start) + " to " + stamp(res.Range.End) + " UTC"
	}
	var gw []string
	for _, c := range []string{"502", "504", "009"} {
		var n int64
		for _, inc := range res.Incidents {
			n += inc.Status[c]
		}
		if n > 0 {
			gw = append(gw, numfmt.Thousands(n)+"×"+c)
		}
	}
	return fmt.Sprintf("logcause: %s, %s — %s", plural(len(res.Incidents), "incident"), strings.Join(gw, ", "), text(string(res.Incidents[0].RootCause)))
}
