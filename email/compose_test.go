package email

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/mailtest"
)

var (
	paris = mustZone("Europe/Paris")
	day   = analyze.TimeRange{ // 2026-12-05 07:00 to 2026-12-06 07:00 in Paris, end exclusive
		Start: time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC),
		End:   time.Date(2026, 12, 6, 5, 59, 59, 0, time.UTC),
	}
)

func mustZone(name string) *time.Location {
	z, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return z
}

func incident(kind analyze.Kind, status map[string]int64, evidence string) analyze.Incident {
	return analyze.Incident{
		Start: day.Start.Add(time.Hour), End: day.Start.Add(time.Hour + time.Minute),
		Title: "502s on /checkout: " + string(kind), Status: status, RootCause: kind,
		Causes: []analyze.Cause{{Kind: kind, Evidence: []analyze.Evidence{{Text: evidence}}}},
	}
}

func twoIncidents() analyze.Result {
	return analyze.Result{
		Range:  day,
		Totals: analyze.Totals{Requests: 90000, Status: map[string]int64{"200": 88000, "502": 1284, "504": 3}},
		Incidents: []analyze.Incident{
			incident(analyze.MySQLTooManyConnections, map[string]int64{"502": 84, "500": 7}, "Too many connections"),
			incident(analyze.FPMWorkerExhaustion, map[string]int64{"502": 1200, "504": 3}, `<script>alert(1)</script>`),
		},
	}
}

func TestSubject(t *testing.T) {
	many := twoIncidents()
	for _, k := range []analyze.Kind{analyze.OOMKill, analyze.DNSFailure} {
		many.Incidents = append(many.Incidents, incident(k, map[string]int64{"009": 2}, "x"))
	}
	quiet := analyze.Result{Range: day, Totals: analyze.Totals{Requests: 1234}}
	noisy := quiet
	noisy.Noise.GatewayErrors = 1
	one := twoIncidents()
	one.Incidents = one.Incidents[1:]
	for _, c := range []struct {
		name string
		res  analyze.Result
		want string
	}{
		{"two incidents", twoIncidents(), "[logcause] web1: 2 incidents, 1,284×502, 3×504 — fpm_worker_exhaustion, mysql_too_many_connections"},
		{"one", one, "[logcause] web1: 1 incident, 1,200×502, 3×504 — fpm_worker_exhaustion"},
		{"more causes than shown", many, "[logcause] web1: 4 incidents, 1,284×502, 4×009, 3×504 — fpm_worker_exhaustion, mysql_too_many_connections, oom_kill, …"},
		{"quiet", quiet, "[logcause] web1: no gateway errors 2026-12-05 07:00–2026-12-06 07:00 CET"},
		{"stray errors", noisy, "[logcause] web1: no incidents, 1 stray gateway error 2026-12-05 07:00–2026-12-06 07:00 CET"},
		{"nothing logged", analyze.Result{Range: day}, "[logcause] web1: no requests logged 2026-12-05 07:00–2026-12-06 07:00 CET"},
	} {
		if got := Subject(c.res, "web1", paris); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
	sameDay := analyze.Result{Range: analyze.TimeRange{Start: day.Start, End: day.Start.Add(6*time.Hour - time.Second)}}
	if got, want := Subject(sameDay, "web1", nil), "2026-12-05 06:00–12:00 UTC"; !strings.HasSuffix(got, want) {
		t.Errorf("a window within a day, in UTC: %s, want it to end with %s", got, want)
	}
}

// part is one leaf of a parsed mail.
type part struct {
	contentType, contentID, disposition string
	body                                []byte
}

// parse reads a composed mail as a mail reader would: its headers, and its
// leaf parts in order, with the multipart types they sit in.
func parse(t *testing.T, m *gomail.Msg) (mail.Header, []string, []part) {
	t.Helper()
	var raw bytes.Buffer
	if _, err := m.WriteTo(&raw); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(&raw)
	if err != nil {
		t.Fatal(err)
	}
	var containers []string
	var parts []part
	var walk func(h map[string][]string, body io.Reader)
	walk = func(h map[string][]string, body io.Reader) {
		ct, params, err := mime.ParseMediaType(first(h, "Content-Type"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(ct, "multipart/") {
			containers = append(containers, ct)
			r := multipart.NewReader(body, params["boundary"])
			for {
				p, err := r.NextRawPart()
				if errors.Is(err, io.EOF) {
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				walk(p.Header, p)
			}
		}
		b, err := io.ReadAll(decode(first(h, "Content-Transfer-Encoding"), body))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(ct, "text/") { // lines end in CRLF on the wire
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		parts = append(parts, part{ct, first(h, "Content-Id"), first(h, "Content-Disposition"), b})
	}
	walk(msg.Header, msg.Body)
	return msg.Header, containers, parts
}

func first(h map[string][]string, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

func decode(enc string, r io.Reader) io.Reader {
	switch strings.ToLower(enc) {
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r)
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	}
	return r
}

func rendered(t *testing.T, r func(io.Writer, analyze.Result) error, res analyze.Result) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r(&b, res); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var bodies = Bodies{Text: ReportBodies().Text, HTML: mailtest.HTML, ChartPNG: mailtest.ChartPNG}

var envelope = Envelope{From: "logcause <logcause@example.com>", To: []string{"ops@example.com", "dba@example.com"}, Host: "web1", Zone: paris}

// TestComposeParts: text and HTML alternatives, the chart inline in the
// HTML part by its Content-ID, the headers as given.
func TestComposeParts(t *testing.T) {
	res := twoIncidents()
	m, err := Compose(res, envelope, bodies)
	if err != nil {
		t.Fatal(err)
	}
	h, containers, parts := parse(t, m)
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != Subject(res, "web1", paris) {
		t.Errorf("subject %q (%v)", subject, err)
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[0].Address != "ops@example.com" || to[1].Address != "dba@example.com" {
		t.Errorf("To: %v (%v)", to, err)
	}
	if from, err := h.AddressList("From"); err != nil || len(from) != 1 || from[0].Address != "logcause@example.com" {
		t.Errorf("From: %v (%v)", from, err)
	}
	if h.Get("Message-Id") == "" || h.Get("Date") == "" {
		t.Error("no Message-ID or Date")
	}
	if strings.Join(containers, " ") != "multipart/related multipart/alternative" {
		t.Errorf("structure %v, want the alternatives and the image in multipart/related", containers)
	}
	if len(parts) != 3 {
		t.Fatalf("%d parts, want text, HTML, image", len(parts))
	}
	text, html, img := parts[0], parts[1], parts[2]
	if text.contentType != "text/plain" || !bytes.Equal(text.body, rendered(t, bodies.Text, res)) {
		t.Errorf("text part %s:\n%s", text.contentType, text.body)
	}
	wantHTML := rendered(t, bodies.HTML, res)
	if html.contentType != "text/html" || !bytes.Contains(html.body, []byte(`<body>`+chartTag)) ||
		!bytes.Equal(bytes.Replace(html.body, []byte(chartTag), nil, 1), wantHTML) {
		t.Errorf("HTML part %s: want the renderer's page with the chart at the top of its body:\n%s", html.contentType, html.body)
	}
	if bytes.Contains(html.body, []byte("<script>")) {
		t.Error("a log line's <script> reached the HTML part unescaped")
	}
	if img.contentType != "image/png" || img.contentID != "<"+ChartID+">" || !strings.HasPrefix(img.disposition, "inline") {
		t.Errorf("image part: type %s, Content-ID %s, disposition %s", img.contentType, img.contentID, img.disposition)
	}
	if !bytes.Equal(img.body, rendered(t, bodies.ChartPNG, res)) {
		t.Error("the image is not the chart rendered")
	}
	if _, err := png.Decode(bytes.NewReader(img.body)); err != nil {
		t.Errorf("the image is no PNG: %v", err)
	}
}

// TestComposeWithout: without HTML, a text-only mail (no image, even with
// a chart renderer); without a chart, text and HTML only.
func TestComposeWithout(t *testing.T) {
	res := twoIncidents()
	for _, c := range []struct {
		name       string
		b          Bodies
		containers string
		types      string
	}{
		{"no HTML", Bodies{Text: bodies.Text, ChartPNG: bodies.ChartPNG}, "", "text/plain"},
		{"no chart", Bodies{Text: bodies.Text, HTML: bodies.HTML}, "multipart/alternative", "text/plain text/html"},
	} {
		m, err := Compose(res, envelope, c.b)
		if err != nil {
			t.Fatal(err)
		}
		_, containers, parts := parse(t, m)
		var types []string
		for _, p := range parts {
			types = append(types, p.contentType)
			if bytes.Contains(p.body, []byte("cid:")) {
				t.Errorf("%s: a part refers to an image not sent", c.name)
			}
		}
		if strings.Join(containers, " ") != c.containers || strings.Join(types, " ") != c.types {
			t.Errorf("%s: containers %v, parts %v", c.name, containers, types)
		}
	}
}

// TestAllClear: a quiet window gets a short text mail that says so.
func TestAllClear(t *testing.T) {
	for _, c := range []struct {
		name string
		res  analyze.Result
		says string
	}{
		{"quiet", analyze.Result{Range: day, Totals: analyze.Totals{Requests: 1234}, Sources: make([]analyze.Source, 3)}, "All clear: 1,234 requests, no gateway error"},
		{"stray", analyze.Result{Range: day, Totals: analyze.Totals{Requests: 1234}, Noise: analyze.Noise{GatewayErrors: 2}}, "No incident. 1,234 requests, 2 of them stray gateway errors"},
		{"nothing logged", analyze.Result{Range: day}, "No request was logged in this window"},
	} {
		m, err := Compose(c.res, envelope, bodies)
		if err != nil {
			t.Fatal(err)
		}
		h, containers, parts := parse(t, m)
		if subject, _ := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); subject != Subject(c.res, "web1", paris) {
			t.Errorf("%s: subject %q", c.name, subject)
		}
		if len(containers) != 0 || len(parts) != 1 || parts[0].contentType != "text/plain" {
			t.Fatalf("%s: %v %d parts, want one text part", c.name, containers, len(parts))
		}
		body := string(parts[0].body)
		if !strings.Contains(body, c.says) || !strings.Contains(body, "web1, 2026-12-05 07:00–2026-12-06 07:00 CET") {
			t.Errorf("%s: body\n%s", c.name, body)
		}
	}
}

// TestHeaderInjectionRefused: a line break (or another control character)
// in any header value is refused, never sent: the host name, the sender,
// a recipient.
func TestHeaderInjectionRefused(t *testing.T) {
	for name, env := range map[string]Envelope{
		"host CRLF":      {From: envelope.From, To: envelope.To, Host: "web1\r\nBcc: victim@example.org"},
		"host LF":        {From: envelope.From, To: envelope.To, Host: "web1\nBcc: victim@example.org"},
		"host escape":    {From: envelope.From, To: envelope.To, Host: "web1\x1b[2J"},
		"host U+2028":    {From: envelope.From, To: envelope.To, Host: "web1\u2028Bcc: victim@example.org"},
		"from CR":        {From: "logcause@example.com\rBcc: victim@example.org", To: envelope.To, Host: "web1"},
		"recipient CRLF": {From: envelope.From, To: []string{"ops@example.com\r\nBcc: victim@example.org"}, Host: "web1"},
	} {
		for _, res := range []analyze.Result{twoIncidents(), {Range: day}} {
			_, err := Compose(res, env, bodies)
			if err == nil || !strings.Contains(err.Error(), "refused in mail headers") {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	for _, list := range []string{"ops@example.com,dba@example.com\r\nBcc: victim@example.org", "ops@example.com\x00"} {
		if _, err := ParseRecipients(list); err == nil || !strings.Contains(err.Error(), "refused in mail headers") {
			t.Errorf("ParseRecipients(%q): %v", list, err)
		}
	}
}

func TestParseRecipients(t *testing.T) {
	to, err := ParseRecipients(" ops@example.com, Dba <dba@example.com>,")
	if err != nil || strings.Join(to, "|") != "ops@example.com|Dba <dba@example.com>" {
		t.Errorf("%q, %v", to, err)
	}
	for _, bad := range []string{"", " , ", "ops", "ops@example.com,not an address"} {
		if _, err := ParseRecipients(bad); err == nil {
			t.Errorf("ParseRecipients(%q): no error", bad)
		}
	}
}

// TestRendererFails: a renderer's error stops the mail and says which part.
func TestRendererFails(t *testing.T) {
	broken := func(io.Writer, analyze.Result) error { return errors.New("broken") }
	for name, b := range map[string]Bodies{
		"text":  {Text: broken},
		"HTML":  {Text: bodies.Text, HTML: broken},
		"chart": {Text: bodies.Text, HTML: bodies.HTML, ChartPNG: broken},
	} {
		if _, err := Compose(twoIncidents(), envelope, b); err == nil || !strings.Contains(err.Error(), "its "+name+": broken") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := Compose(twoIncidents(), Envelope{From: envelope.From, Host: "web1"}, bodies); err == nil || !strings.Contains(err.Error(), "no recipient") {
		t.Errorf("no recipient: %v", err)
	}
}

func TestWithChart(t *testing.T) {
	for in, want := range map[string]string{
		`<html><BODY class="x"><p>hi</p></BODY></html>`: `<html><BODY class="x">` + chartTag + `<p>hi</p></BODY></html>`,
		`<p>a fragment</p>`:                             chartTag + `<p>a fragment</p>`,
		// report.HTML's policy forbids all but inline styles and data: images.
		`<head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"></head><body>`: `<head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src cid: data:"></head><body>` + chartTag,
		`<META HTTP-EQUIV="Content-Security-Policy" CONTENT="default-src 'none'"><body>`:                                                        `<META HTTP-EQUIV="Content-Security-Policy" CONTENT="default-src cid: 'none'"><body>` + chartTag,
	} {
		if got := withChart(in); got != want {
			t.Errorf("withChart(%s) = %s", in, got)
		}
	}
}
