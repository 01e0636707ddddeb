package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/logcause/logcause/analyze"
)

func TestMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, sample()); err != nil {
		t.Fatal(err)
	}
	golden(t, "incident.md", b.Bytes())
	res := sample()
	res.Incidents = nil
	b.Reset()
	if err := Markdown(&b, res); err != nil {
		t.Fatal(err)
	}
	golden(t, "healthy.md", b.Bytes())
}

// hostileMarkdown is sample with log text that tries to break out of its place in
// Markdown: out of a table cell, a code span or block, into HTML or a link,
// onto a line of its own.
func hostileMarkdown() analyze.Result {
	res := sample()
	evil := "a|b \\| ``x`` ```` <script>alert(1)</script> [click](javascript:alert(1)) *b* _i_ &amp;\r\n## heading\n| x | y |\x1b[2J"
	inc := &res.Incidents[0]
	inc.Title += evil
	inc.TopPaths = append(inc.TopPaths, analyze.PathCount{Path: "/" + evil, Count: 3})
	inc.TopHosts = append(inc.TopHosts, analyze.ValueCount{Value: evil, Count: 1})
	inc.TopClients = append(inc.TopClients, analyze.ValueCount{Value: evil, Count: 1})
	inc.ByUpstream = append(inc.ByUpstream, analyze.UpstreamShare{Upstream: evil, Requests: 1})
	c := &inc.Causes[0]
	c.Summary += evil
	c.Settings = append(c.Settings, analyze.Setting{Quote: "pm.max_children 4 (" + evil + ")"})
	c.Evidence = append(c.Evidence, analyze.Evidence{Source: "nginx_error" + evil, Path: evil, Time: t0,
		Text: "```\n</code></pre><script>alert(1)</script>\r\n````````` not the end\n~~~\n" + evil})
	res.Sources = append(res.Sources, analyze.Source{Path: evil, Format: "nginx_access", TZ: evil, Error: evil,
		Samples: []string{"````` " + evil, "\n```\n<script>"}})
	res.Gaps = append(res.Gaps, analyze.Gap{Path: evil, Reason: evil})
	res.Config.Files = append(res.Config.Files, evil)
	return res
}

// link is the "](" of a Markdown link, not escaped.
var link = regexp.MustCompile(`(^|[^\\])\]\(`)

// cells counts the cells of a Markdown table row: the pipes not escaped.
func cells(row string) int {
	n, escaped := 0, false
	for _, r := range row {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '|':
			n++
		}
	}
	return n - 1
}

func TestMarkdownHostileStaysInert(t *testing.T) {
	var b bytes.Buffer
	if err := Markdown(&b, hostileMarkdown()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	golden(t, "hostile.md", b.Bytes())
	if strings.ContainsAny(out, "\x1b\r\x07") {
		t.Error("control characters from the logs in the Markdown")
	}
	// Outside code blocks: every table has the shape of its header, no
	// line of log text becomes a heading, and every fence closes where
	// it should: on the third line of its block, its log line the second.
	lines := strings.Split(out, "\n")
	tables, fences := map[int]int{}, 0
	var want int // cells per row of the table being read
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			// Markup, HTML or a link would be read here: in a code block they are
			// text.
			if strings.Contains(strings.ToLower(l), "<script") || link.MatchString(l) {
				t.Errorf("line %d, outside code blocks, holds HTML or a link of the logs: %s", i+1, l)
			}
		}
		switch {
		case strings.HasPrefix(l, "```"):
			fence := l[:len(l)-len(strings.TrimLeft(l, "`"))]
			if l != fence || i+2 >= len(lines) || lines[i+2] != fence {
				t.Fatalf("line %d: the fence %q does not close two lines on:\n%s", i+1, l, strings.Join(lines[i:min(i+4, len(lines))], "\n"))
			}
			if strings.Contains(lines[i+1], fence) {
				t.Errorf("line %d: the code %q holds its fence", i+2, lines[i+1])
			}
			fences++
			i += 2
			continue
		case strings.HasPrefix(l, "|"):
			if want == 0 {
				want = cells(l)
				tables[want]++
			} else if got := cells(l); got != want {
				t.Errorf("line %d has %d cells, its table %d: %s", i+1, got, want, l)
			}
		default:
			want = 0
			if strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "# logcause") && !strings.HasPrefix(l, "## ") && !strings.HasPrefix(l, "### ") {
				t.Errorf("line %d is a heading of the logs': %s", i+1, l)
			}
			if strings.HasPrefix(l, "## ") && strings.Contains(l, "heading") && !strings.HasPrefix(l, "## Incident") {
				t.Errorf("line %d is a heading of the logs': %s", i+1, l)
			}
		}
	}
	if tables[2] != 1 || tables[6] != 1 {
		t.Errorf("tables by cells %v, want one impact table (2) and one sources table (6)", tables)
	}
	if fences != 3+3 { // evidence 3, unparsed samples 1+2
		t.Errorf("%d code blocks, want 6", fences)
	}
}

func TestMDEscapes(t *testing.T) {
	for in, want := range map[string]string{
		"plain /path?a=1":            "plain /path?a=1",
		"a|b":                        `a\|b`,
		"`code`":                     "\\`code\\`",
		"<script>":                   "&lt;script&gt;",
		"[x](javascript:alert(1))":   `\[x\](javascript:alert(1))`,
		"*b* _i_ ~s~ &amp;":          `\*b\* \_i\_ \~s\~ &amp;amp;`,
		"line\r\nnext\nthird\x1b[2J": `line ⏎ next ⏎ third\\x1B\[2J`,
		`back\|slash`:                `back\\\|slash`,
	} {
		if got := md(in); got != want {
			t.Errorf("md(%q) = %q, want %q", in, got, want)
		}
	}
}
