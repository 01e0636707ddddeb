package pipeline_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/net/html"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/report"
)

// Attacker-controlled text, as it reaches logs: in request lines, Host
// headers, lines that parse as nothing, and the name of a directory.
const (
	xssScript  = `<script>alert(1)</script>`
	xssAttr    = `"><img src=x onerror=alert(2)>`
	rawHTML    = `<b>bold</b><a href="javascript:alert(3)">x</a>`
	jsURL      = `javascript:alert(4)`
	ansi       = "\x1b[31mred\x1b[0m\x1b[2J"
	osc        = "\x1b]0;pwned\x07\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\"
	carriage   = "fake\rline"
	pipes      = "a|b`c```d"
	hostileDir = `"><img src=x onerror=alert(5)>`
)

// writeHostileLogs writes an nginx access log, its error log and a php-fpm
// log whose 502 spike (a worker exhaustion) carries the hostile text in
// every field that reaches a report, and returns their directory.
func writeHostileLogs(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), hostileDir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	paths := []string{
		"/x" + xssScript,
		"/y" + strings.ReplaceAll(xssAttr, " ", "%20"),
		"/z" + strings.ReplaceAll(rawHTML, " ", "%20"),
		"/" + jsURL,
		"/a" + pipes,
	}
	hosts := []string{xssScript, xssAttr, rawHTML + ansi, osc, carriage + pipes}
	var access, errors strings.Builder
	for s := range 90 {
		at := start.Add(time.Duration(s) * time.Second)
		for i := range 6 {
			client := fmt.Sprintf("10.0.0.%d", i+1)
			status := 200
			path := "/index.php"
			if s >= 40 && s < 50 && i < 5 {
				status, path = 502, paths[i]
				fmt.Fprintf(&errors, "%s [error] 11#11: *%d connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream, client: %s, server: shop, request: \"GET %s HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"%s\"\n",
					at.Format("2006/01/02 15:04:05"), s*10+i, client, path, hosts[i])
			}
			fmt.Fprintf(&access, "%s - - [%s] \"GET %s HTTP/1.1\" %d 12 \"%s\" \"%s\"\n",
				client, at.Format("02/Jan/2006:15:04:05 -0700"), path, status, jsURL, strings.ReplaceAll(xssScript, " ", ""))
		}
		if s == 20 { // lines that parse as nothing: shown as samples
			access.WriteString(xssScript + " " + xssAttr + " " + ansi + osc + carriage + "\n")
			access.WriteString(rawHTML + " " + pipes + "\n")
		}
	}
	fpm := fmt.Sprintf("[%s] WARNING: [pool www%s] server reached pm.max_children setting (4), consider raising it\n",
		start.Add(40*time.Second).Format("02-Jan-2006 15:04:05"), ansi)
	for name, content := range map[string]string{"access.log": access.String(), "error.log": errors.String(), "php-fpm.log": fpm} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestHostileLogs runs logs full of attacker-controlled text through the
// real pipeline and every format, and requires each to keep it inert:
// valid JSON that carries it as it was, terminal text with no control
// character, Markdown with its markup escaped or fenced, and HTML whose
// every element and attribute is the template's.
func TestHostileLogs(t *testing.T) {
	dir := writeHostileLogs(t)
	res, _ := analyzeLogs(t, "", pipeline.Options{}, dir)
	if len(res.Incidents) != 1 {
		t.Fatalf("%d incidents, want the one spike of the hostile logs: %+v", len(res.Incidents), res)
	}
	// The hostile text did reach the result: in paths, hosts, evidence and samples.
	var all bytes.Buffer
	if err := report.JSON(&all, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{xssScript, xssAttr, osc, carriage, pipes, hostileDir} {
		enc, _ := json.Marshal(want)
		if !bytes.Contains(all.Bytes(), enc[1:len(enc)-1]) {
			t.Errorf("the analysis lost %q: the test would prove nothing of it", want)
		}
	}

	formats := map[string]func(t *testing.T, out []byte){
		"json":     checkHostileJSON,
		"text":     checkHostileText,
		"markdown": checkHostileMarkdown,
		"html":     checkHostileHTML,
	}
	for name, check := range formats {
		t.Run(name, func(t *testing.T) {
			render, err := report.Renderer(name, report.DefaultWidth)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := render(&b, res); err != nil {
				t.Fatal(err)
			}
			check(t, b.Bytes())
		})
	}
}

// noControls fails on a control character other than a newline (and a
// tab in JSON's indentation): C0, DEL, C1, bidi overrides.
func noControls(t *testing.T, out []byte) {
	t.Helper()
	for i, r := range string(out) {
		if (r < 0x20 && r != '\n') || r == 0x7f || (r >= 0x80 && r < 0xa0) || (r >= 0x202a && r <= 0x202e) || r == utf8.RuneError {
			t.Errorf("control character %U at byte %d: …%q…", r, i, out[max(0, i-40):min(len(out), i+40)])
			return
		}
	}
}

func checkHostileJSON(t *testing.T, out []byte) {
	if !json.Valid(out) {
		t.Fatalf("invalid JSON:\n%s", out)
	}
	var back analyze.Result
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, h := range back.Incidents[0].TopHosts {
		hosts = append(hosts, h.Value)
	}
	if !strings.Contains(strings.Join(hosts, "\n"), osc) {
		t.Errorf("JSON's hosts %q: want the OSC sequence carried as it was logged (a JSON reader escapes for its own output)", hosts)
	}
	noControls(t, out) // encoding/json escapes them as \u001b
}

func checkHostileText(t *testing.T, out []byte) {
	noControls(t, out)
	if !bytes.Contains(out, []byte(`\x1B]0;pwned\x07`)) {
		t.Errorf("the OSC sequence is not shown as text: %s", out)
	}
}

// checkHostileMarkdown reads the Markdown as GitHub would: outside code
// blocks, no raw HTML, no code span, no table cell, link or emphasis from
// log text; inside, nothing closes the block early.
func checkHostileMarkdown(t *testing.T, out []byte) {
	noControls(t, out)
	escaped := regexp.MustCompile(`\\[\\` + "`" + `|*_\[\]~#!]|&(lt|gt|amp);`)
	fence := ""
	columns, inTable := 0, false
	for n, line := range strings.Split(string(out), "\n") {
		if fence != "" {
			if line == fence {
				fence = ""
			} else if strings.Contains(line, fence) {
				t.Errorf("line %d: a run of backticks closes the code block early: %q", n+1, line)
			}
			continue
		}
		if strings.HasPrefix(line, "```") {
			fence = line
			continue
		}
		bare := escaped.ReplaceAllString(line, "")
		for _, c := range []string{"<", ">", "`", "[", "]"} {
			if strings.Contains(bare, c) && !(c == ">" && strings.HasPrefix(line, ">")) {
				t.Errorf("line %d: an unescaped %q: %q", n+1, c, line)
			}
		}
		switch {
		case !strings.HasPrefix(line, "|"):
			inTable = false
		case !inTable: // the header row
			columns, inTable = strings.Count(bare, "|"), true
		default:
			if got := strings.Count(bare, "|"); got != columns {
				t.Errorf("line %d: %d cell borders, the table has %d: %q", n+1, got, columns, line)
			}
		}
	}
	if fence != "" {
		t.Errorf("a code block is never closed (%s)", fence)
	}
	if !bytes.Contains(out, []byte(`\x1B]0;pwned\x07`)) {
		t.Error("the OSC sequence is not shown as text")
	}
}

// htmlAllowed are the elements the report's template and chart write.
var htmlAllowed = map[string]bool{
	"html": true, "head": true, "meta": true, "title": true, "link": true, "style": true, "body": true, "main": true,
	"header": true, "h1": true, "h2": true, "h3": true, "p": true, "div": true, "span": true, "ol": true, "ul": true,
	"li": true, "a": true, "strong": true, "code": true, "section": true, "figure": true, "figcaption": true,
	"svg": true, "rect": true, "path": true, "text": true, "article": true, "dl": true, "dt": true,
	"dd": true, "meter": true, "pre": true, "time": true, "table": true, "thead": true, "tbody": true, "tr": true,
	"th": true, "td": true, "br": true, "footer": true,
}

// checkHostileHTML parses the page as a browser does and requires every
// element to be one the template writes, no event handler, no link but to
// the page itself, and the hostile text present as text.
func checkHostileHTML(t *testing.T, out []byte) {
	noControls(t, out)
	doc, err := html.Parse(bytes.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var texts strings.Builder
	for n := range doc.Descendants() {
		switch n.Type {
		case html.TextNode:
			texts.WriteString(n.Data)
			texts.WriteByte('\n')
		case html.ElementNode:
			if !htmlAllowed[n.Data] {
				t.Errorf("element <%s> in the page: no template writes it", n.Data)
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				if strings.HasPrefix(strings.ToLower(a.Key), "on") {
					t.Errorf("<%s %s=%q>: an event handler", n.Data, a.Key, a.Val)
				}
				if (a.Key == "href" || a.Key == "src") && !strings.HasPrefix(v, "#") && v != "data:," {
					t.Errorf("<%s %s=%q>: a link out of the page", n.Data, a.Key, a.Val)
				}
				if strings.Contains(v, "javascript:") || strings.Contains(v, "alert(") {
					t.Errorf("<%s %s=%q>: log text in an attribute", n.Data, a.Key, a.Val)
				}
			}
		}
	}
	shown := texts.String()
	for _, want := range []string{xssScript, xssAttr, "<b>bold</b>", `\x1B]0;pwned\x07`, `fake\x0Dline`, pipes, hostileDir} {
		if !strings.Contains(shown, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
}
