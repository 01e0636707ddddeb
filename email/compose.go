// Package email answers one question: how does a report reach an inbox?
// It composes the report mail of an analysis (a subject that carries the
// headline, text and HTML alternatives, the chart inline as a PNG) and
// sends it through the configured SMTP server. The bodies come from
// renderers the caller passes (package report's); a quiet window gets a
// short all-clear mail.
//
// Every header value is checked: one that holds a line break or another
// control character is refused, never sent.
package email

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	gomail "github.com/wneessen/go-mail"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/internal/numfmt"
	"github.com/logcause/logcause/report"
)

// Bodies renders the parts of a report mail, each from the analysis.
type Bodies struct {
	Text report.RenderFunc // the text/plain part; required
	// HTML is the text/html alternative; nil: a text-only mail.
	HTML report.RenderFunc
	// ChartPNG is the chart, shown at the top of the HTML part; nil, or
	// without HTML: no image.
	ChartPNG report.RenderFunc
}

// Envelope is who a report mail is from and for, and what names the
// server and the times in its subject.
type Envelope struct {
	From string   // an address, with or without a display name
	To   []string // at least one address
	Host string   // the server the logs are from, as the subject names it
	// Zone is the zone of the window in the subject; nil: UTC.
	Zone *time.Location
}

// ChartID is the Content-ID of the inline chart; the HTML part shows it as
// <img src="cid:logcause-chart.png">.
const ChartID = "logcause-chart.png"

// Compose builds the report mail of res: for a window with incidents, the
// bodies' text (and HTML, with the chart inline); for a quiet one, a short
// all-clear in text.
func Compose(res analyze.Result, env Envelope, b Bodies) (*gomail.Msg, error) {
	if b.Text == nil {
		return nil, errors.New("cannot compose the report mail: no text renderer")
	}
	if len(env.To) == 0 {
		return nil, errors.New("cannot compose the report mail: no recipient; give one or more addresses to --email")
	}
	subject := Subject(res, env.Host, env.Zone)
	headers := append([]string{subject, env.From}, env.To...)
	for _, v := range headers {
		if err := HeaderSafe(v); err != nil {
			return nil, fmt.Errorf("cannot compose the report mail: %w", err)
		}
	}
	m := gomail.NewMsg()
	if err := m.From(env.From); err != nil {
		return nil, fmt.Errorf("cannot compose the report mail: the sender %q: %w (check smtp.from)", env.From, err)
	}
	if err := m.To(env.To...); err != nil {
		return nil, fmt.Errorf("cannot compose the report mail: the recipients %q: %w", env.To, err)
	}
	m.Subject(subject)
	m.SetDate()
	m.SetMessageID()

	if len(res.Incidents) == 0 {
		m.SetBodyString(gomail.TypeTextPlain, allClear(res, env.Host, env.Zone))
		return m, nil
	}
	text, err := render(b.Text, res, "text")
	if err != nil {
		return nil, err
	}
	m.SetBodyString(gomail.TypeTextPlain, text)
	if b.HTML == nil {
		return m, nil
	}
	html, err := render(b.HTML, res, "HTML")
	if err != nil {
		return nil, err
	}
	if b.ChartPNG != nil {
		png, err := render(b.ChartPNG, res, "chart")
		if err != nil {
			return nil, err
		}
		html = withChart(html)
		if err := m.EmbedReader(ChartID, strings.NewReader(png), gomail.WithFileContentType("image/png")); err != nil {
			return nil, fmt.Errorf("cannot compose the report mail: the chart: %w", err)
		}
	}
	m.AddAlternativeString(gomail.TypeTextHTML, html)
	return m, nil
}

func render(r report.RenderFunc, res analyze.Result, what string) (string, error) {
	var b bytes.Buffer
	if err := r(&b, res); err != nil {
		return "", fmt.Errorf("cannot compose the report mail: its %s: %w", what, err)
	}
	return b.String(), nil
}

// chartTag is the chart's place in the HTML part.
const chartTag = `<p><img src="cid:` + ChartID + `" alt="Requests and gateway errors over time" style="max-width:100%;height:auto"></p>`

// withChart puts the chart at the top of the HTML document's body (or of
// the fragment, without a <body> tag): mail clients show an inline PNG
// where few show SVG. A Content-Security-Policy of the page that limits
// images is widened to cid: images, the chart's.
func withChart(html string) string {
	html = allowCID(html)
	at := 0
	if i := strings.Index(strings.ToLower(html), "<body"); i >= 0 {
		if j := strings.IndexByte(html[i:], '>'); j >= 0 {
			at = i + j + 1
		}
	}
	return html[:at] + chartTag + html[at:]
}

// allowCID adds cid: to the img-src (or, without one, the default-src) of
// the page's Content-Security-Policy meta tag, if it has one.
func allowCID(html string) string {
	lower := strings.ToLower(html)
	i := strings.Index(lower, `http-equiv="content-security-policy"`)
	if i < 0 {
		return html
	}
	start := strings.LastIndexByte(lower[:i], '<')
	end := strings.IndexByte(lower[i:], '>')
	if start < 0 || end < 0 {
		return html
	}
	tag := lower[start : i+end]
	for _, directive := range []string{"img-src ", "default-src "} {
		if j := strings.Index(tag, directive); j >= 0 {
			at := start + j + len(directive)
			return html[:at] + "cid: " + html[at:]
		}
	}
	return html
}

// Subject is the report mail's subject: the headline of res, e.g.
// "[logcause] web1: 2 incidents, 1,284×502 — fpm_worker_exhaustion", or
// for a quiet window "[logcause] web1: no gateway errors 2026-12-05
// 07:00–2026-12-06 07:00".
func Subject(res analyze.Result, host string, zone *time.Location) string {
	prefix := "[logcause] " + host + ": "
	if len(res.Incidents) == 0 {
		return prefix + quietHeadline(res) + " " + window(res.Range, zone)
	}
	n := len(res.Incidents)
	s := prefix + strconv.Itoa(n) + " incident"
	if n > 1 {
		s += "s"
	}
	status := map[string]int64{}
	errs := map[analyze.Kind]int64{}
	var kinds []analyze.Kind
	for _, inc := range res.Incidents {
		for code, c := range inc.Status {
			if gateway(code) {
				status[code] += c
				if _, ok := errs[inc.RootCause]; !ok {
					kinds = append(kinds, inc.RootCause)
				}
				errs[inc.RootCause] += c
			}
		}
	}
	codes := make([]string, 0, len(status))
	for code := range status {
		codes = append(codes, code)
	}
	slices.SortFunc(codes, func(a, b string) int { return cmp.Or(cmp.Compare(status[b], status[a]), cmp.Compare(a, b)) })
	for _, code := range codes {
		s += ", " + numfmt.Thousands(status[code]) + "×" + code
	}
	// The causes with the most gateway errors first; ties in time order.
	slices.SortStableFunc(kinds, func(a, b analyze.Kind) int { return cmp.Compare(errs[b], errs[a]) })
	if len(kinds) == 0 {
		return s
	}
	names := make([]string, 0, 3)
	for i, k := range kinds {
		if i == 3 {
			names = append(names, "…")
			break
		}
		names = append(names, string(k))
	}
	return s + " — " + strings.Join(names, ", ")
}

func quietHeadline(res analyze.Result) string {
	switch {
	case res.Totals.Requests == 0:
		return "no requests logged"
	case res.Noise.GatewayErrors > 0:
		return fmt.Sprintf("no incidents, %s stray gateway error%s", numfmt.Thousands(res.Noise.GatewayErrors), plural(res.Noise.GatewayErrors))
	}
	return "no gateway errors"
}

// allClear is the text of a quiet window's mail.
func allClear(res analyze.Result, host string, zone *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s:\n\n", host, window(res.Range, zone))
	switch {
	case res.Totals.Requests == 0:
		b.WriteString("No request was logged in this window. If the site served any, logcause did not\n" +
			"read its access log: check that `logcause watch` runs and that its sources name\n" +
			"the nginx access log.\n")
	case res.Noise.GatewayErrors > 0:
		fmt.Fprintf(&b, "No incident. %s request%s, %s of them stray gateway errors (502/504), too few\n"+
			"or too spread out to be an incident.\n",
			numfmt.Thousands(res.Totals.Requests), plural(res.Totals.Requests), numfmt.Thousands(res.Noise.GatewayErrors))
	default:
		fmt.Fprintf(&b, "All clear: %s request%s, no gateway error (502/504).\n", numfmt.Thousands(res.Totals.Requests), plural(res.Totals.Requests))
	}
	fmt.Fprintf(&b, "\n%d log file%s read.\n", len(res.Sources), plural(int64(len(res.Sources))))
	return b.String()
}

// window is the time range of a report, its end exclusive (Range.End is
// the last second in it), to the minute: "2026-12-05 07:00–2026-12-06
// 07:00 CET".
func window(r analyze.TimeRange, zone *time.Location) string {
	if zone == nil {
		zone = time.UTC
	}
	start, end := r.Start.In(zone), r.End.Add(time.Second).In(zone)
	const day, minute = "2006-01-02 ", "15:04"
	to := end.Format(day + minute)
	if start.Format(day) == end.Format(day) {
		to = end.Format(minute)
	}
	return start.Format(day+minute) + "–" + to + " " + end.Format("MST")
}

// gateway reports whether a status key of analyze.Incident.Status is a
// gateway error (502, 504, 009).
func gateway(code string) bool { return code == "502" || code == "504" || code == "009" }

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// HeaderSafe refuses a header value that holds a line break or another
// control character: in a mail header, a line break ends the header and
// starts another (a Bcc: of the sender's choosing, when the value comes
// from a log line).
func HeaderSafe(v string) error {
	for _, r := range v {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return fmt.Errorf("%q holds a control character (%U): line breaks and control characters are refused in mail headers", v, r)
		}
	}
	return nil
}

// ParseRecipients reads a comma-separated list of addresses (--email),
// each checked.
func ParseRecipients(list string) ([]string, error) {
	var to []string
	for a := range strings.SplitSeq(list, ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if err := HeaderSafe(a); err != nil {
			return nil, fmt.Errorf("invalid recipient: %w", err)
		}
		if _, err := mail.ParseAddress(a); err != nil {
			return nil, fmt.Errorf("invalid recipient %q: %v (write addresses such as ops@example.com, separated by commas)", a, err)
		}
		to = append(to, a)
	}
	if len(to) == 0 {
		return nil, fmt.Errorf("no recipient in %q: give one or more addresses, separated by commas", list)
	}
	return to, nil
}
