package report

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/logcause/logcause/analyze"
)

// twoIncidents is sample with a second incident, a minute after the first.
func twoIncidents() analyze.Result {
	res := sample()
	second := sample().Incidents[0]
	second.Start, second.End = t0.Add(60*time.Second), t0.Add(65*time.Second)
	second.Title = "504s on /api: nginx timed out <waiting>"
	second.RootCause, second.Chain = analyze.UpstreamTimeout, []analyze.Kind{analyze.UpstreamTimeout}
	res.Incidents = append(res.Incidents, second)
	return res
}

func parseHTML(t *testing.T, res analyze.Result) (*html.Node, []byte) {
	t.Helper()
	var b bytes.Buffer
	if err := HTML(&b, res); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return doc, b.Bytes()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && strings.Contains(" "+attr(n, "class")+" ", " "+class+" ")
}

// find returns the elements for which match holds, in document order.
func find(doc *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	}
	return out
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// TestHTMLStructure checks what a reader of the page must find: the chart
// with each incident shaded and the evidence marked, one card per incident
// with what the issue lists, the digest, noise, gaps and sources, and
// nothing that needs the network or a script.
func TestHTMLStructure(t *testing.T) {
	res := twoIncidents()
	doc, out := parseHTML(t, res)

	// The chart twice: for a screen, and laid out for a phone's.
	for _, class := range []string{"lc-chart-960", "lc-chart-400"} {
		charts := find(doc, func(n *html.Node) bool { return n.Data == "svg" && hasClass(n, "lc-chart") && hasClass(n, class) })
		if len(charts) != 1 {
			t.Fatalf("%d charts of class %s, want 1", len(charts), class)
		}
		shaded := find(charts[0], func(n *html.Node) bool {
			return n.Data == "rect" && hasClass(n, "lc-incident") && attr(n, "height") != "10"
		})
		if len(shaded) != 2 {
			t.Errorf("%s: %d incidents shaded in the chart, want 2", class, len(shaded))
		}
		marks := find(charts[0], func(n *html.Node) bool { return n.Data == "rect" && strings.HasPrefix(attr(n, "class"), "lc-src") })
		if len(marks) != 2 { // the same two evidence lines in both incidents: marked once each
			t.Errorf("%s: %d evidence marks, want 2 (fpm_error and nginx_error, each line once)", class, len(marks))
		}
	}

	cards := find(doc, func(n *html.Node) bool { return n.Data == "article" && hasClass(n, "card") })
	if len(cards) != 2 {
		t.Fatalf("%d incident cards, want 2", len(cards))
	}
	first := textOf(cards[0])
	for _, want := range []string{
		"Incident 1", res.Incidents[0].Title, "2026-11-23 13:00:50 to 13:01:00 UTC (10s)",
		"66.7%", "100 of 150 requests failed", "fpm_worker_exhaustion", "confidence 0.95", "Why", res.Incidents[0].Causes[0].Summary,
		"server reached pm.max_children", "/var/log/php8.2-fpm.log @ byte 512", "Raise pm.max_children.", "Raise listen.backlog.",
		"/slow.php", "10.0.0.1", "shop.example.com", "fastcgi://unix:/run/php/php8.2-fpm.sock:",
		"3F79759E7FAA9A2E", "98.50s", "upstream_timeout (confidence 0.26)",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("the first card does not show %q", want)
		}
	}
	if second := textOf(cards[1]); !strings.Contains(second, "Incident 2") || !strings.Contains(second, "nginx timed out <waiting>") {
		t.Errorf("the second card: %q", second)
	}
	if got := attr(cards[1], "id"); got != "incident-2" {
		t.Errorf("the second card's id %q, want incident-2 (the summary links to it)", got)
	}
	if links := find(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "#incident-2" }); len(links) != 1 {
		t.Errorf("%d links to the second card, want 1", len(links))
	}

	page := textOf(doc)
	for _, want := range []string{
		"Slow queries", "select * from orders where customer_id=? order by created_at desc", "p95", "9.75s",
		"Noise", "2 gateway error(s) outside incidents", "Gaps", "81920", "Sources", "/var/log/nginx/access.log",
		"cannot read: boom", `garbage \x1B[31mred\x1B[0m line`, "Configuration", "/srv/backup/web1", "1 more class",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q", want)
		}
	}

	if n := find(doc, func(n *html.Node) bool { return n.Data == "script" || n.Data == "img" || n.Data == "iframe" }); len(n) > 0 {
		t.Errorf("the page has <%s>: it needs no script and no image", n[0].Data)
	}
	for _, ext := range []string{"http://", "https://", "@import", "url("} {
		if i := bytes.Index(out, []byte(ext)); i >= 0 && !bytes.Contains(out[max(0, i-10):i], []byte("xmlns=")) {
			t.Errorf("the page refers to something outside it: …%s…", out[max(0, i-40):min(len(out), i+40)])
		}
	}
	for _, want := range []string{`name="viewport"`, "@media print", "prefers-color-scheme: dark", "Content-Security-Policy"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("the page has no %s", want)
		}
	}
}

// TestHTMLEscapes requires log text to reach the page as text only, its
// control characters visible.
func TestHTMLEscapes(t *testing.T) {
	res := sample()
	res.Incidents[0].Title = `502s on /"><svg onload=alert(1)>`
	res.Incidents[0].TopPaths[0].Path = `/<script>alert(2)</script>`
	res.Incidents[0].Causes[0].Evidence[0].Text = "# Time: 2026-11-23T13:00:49\n# User@Host: <b>app</b>\x1b[31m\nSELECT 1;"
	doc, out := parseHTML(t, res)
	pres := find(doc, func(n *html.Node) bool { return n.Data == "pre" })
	if len(pres) == 0 || textOf(pres[0]) != "# Time: 2026-11-23T13:00:49\n# User@Host: <b>app</b>\\x1B[31m\nSELECT 1;" {
		t.Errorf("a multi-line record's evidence: %q; want its lines kept, its markup and escapes shown as text", textOf(pres[0]))
	}
	if n := find(doc, func(n *html.Node) bool { return n.Data == "script" }); len(n) > 0 {
		t.Error("a <script> element from log text")
	}
	for n := range doc.Descendants() {
		for _, a := range n.Attr {
			if strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s %s=%q>: an event handler from log text", n.Data, a.Key, a.Val)
			}
		}
	}
	page := textOf(doc)
	for _, want := range []string{`/<script>alert(2)</script>`, `502s on /"><svg onload=alert(1)>`, `\x1B]0;pwned\x07`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
	if bytes.ContainsAny(out, "\x1b\x07") {
		t.Error("the page holds control characters from the logs")
	}
}

func TestHTMLQuietDay(t *testing.T) {
	res := sample()
	res.Incidents = []analyze.Incident{}
	doc, _ := parseHTML(t, res)
	if cards := find(doc, func(n *html.Node) bool { return hasClass(n, "card") }); len(cards) != 0 {
		t.Errorf("%d cards on a day without incident", len(cards))
	}
	if !strings.Contains(textOf(doc), "No incident: no spike of 502/504 responses.") {
		t.Error("a quiet day does not say so")
	}
}

func TestChartPNG(t *testing.T) {
	var b bytes.Buffer
	if err := ChartPNG(&b, twoIncidents()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != 960 {
		t.Errorf("the PNG is %d pixels wide, want 960", w)
	}
}

func BenchmarkHTML(b *testing.B) {
	res := twoIncidents()
	b.ReportAllocs()
	for b.Loop() {
		if err := HTML(&bytes.Buffer{}, res); err != nil {
			b.Fatal(err)
		}
	}
}
