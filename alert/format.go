package alert

import (
	"encoding/json"
	"fmt"
	"html/template"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/logcause/logcause/analyze"
)

// AlertName is the alertname label of logcause's alerts in Alertmanager.
const AlertName = "LogcauseGatewayErrors"

// facts are what an alert says of an incident, each on one line with no
// control character: the title and the why come from the logs.
type facts struct {
	Title  string // the incident's title
	Cause  string // its root cause and the confidence
	Failed string // how many requests failed, their share, the statuses
	Window string // when
	Why    string // the root cause's summary
	Fix    string // the first recommendation; "" when none
}

func describe(inc analyze.Incident) facts {
	f := facts{Title: oneLine(inc.Title, 140), Cause: oneLine(string(inc.RootCause), 100)}
	for _, c := range inc.Causes {
		if c.Kind == inc.RootCause {
			f.Cause += fmt.Sprintf(" (confidence %.2f)", c.Confidence)
			f.Why = oneLine(c.Summary, 500)
			if len(c.Recommendations) > 0 {
				f.Fix = oneLine(c.Recommendations[0], 500)
			}
			break
		}
	}
	var gateway int64
	var statuses []string
	for _, code := range slices.Sorted(maps.Keys(inc.Status)) {
		if code == "502" || code == "504" || code == "009" {
			gateway += inc.Status[code]
		}
		statuses = append(statuses, fmt.Sprintf("%s: %d", oneLine(code, 3), inc.Status[code]))
	}
	share := 0.0
	if inc.Requests > 0 {
		share = 100 * float64(gateway) / float64(inc.Requests)
	}
	f.Failed = fmt.Sprintf("%d of %d requests (%.1f%%) failed: %s", gateway, inc.Requests, share, strings.Join(statuses, ", "))
	f.Window = fmt.Sprintf("%s to %s UTC (%s)", inc.Start.UTC().Format("2006-01-02 15:04:05"), inc.End.UTC().Format("15:04:05"), inc.End.Sub(inc.Start))
	return f
}

// oneLine makes log text fit one line of a header, a subject or a chat
// message: control characters (C0, DEL, C1, line and paragraph
// separators, bidirectional overrides) and runs of spaces become one
// space, invalid UTF-8 U+FFFD; then it is cut to at most n runes, "…"
// marking the cut.
func oneLine(s string, n int) string {
	s = strings.Join(strings.FieldsFunc(strings.ToValidUTF8(s, "\uFFFD"), func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == 0x2028 || r == 0x2029 ||
			(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f
	}), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// jsonEvent is the json format's body: the event, the host, and the
// incident exactly as the JSON report has it (analyze.Incident's own
// encoding; report.JSON writes the same).
func (a *Alerter) jsonEvent(m message) []byte {
	b, err := json.Marshal(struct {
		Event    string           `json:"event"`
		Host     string           `json:"host"`
		Incident analyze.Incident `json:"incident"`
	}{m.event, a.host, m.inc})
	if err != nil { // an Incident always encodes
		panic(err)
	}
	return b
}

// slackEscape escapes what Slack reads as markup in mrkdwn text (links,
// mentions such as <!channel>), as its documentation asks.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Fields   []slackText `json:"fields,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

// slack is the slack format's body: text (what notifications show, and
// all that Mattermost shows) and blocks: a header with the title, a
// section with the root cause, the failed share, the window and the
// first fix, and a context line with the host. Log text is in plain_text
// (the header), in a code span (text) or escaped (mrkdwn).
func (a *Alerter) slack(m message) []byte {
	f := describe(m.inc)
	icon, what := "🔴", "opened"
	if m.event == EventResolve {
		icon, what = "✅", "resolved"
	}
	code := strings.ReplaceAll(f.Title, "`", "'")
	fields := []slackText{
		{Type: "mrkdwn", Text: "*Root cause*\n" + slackEscape(f.Cause)},
		{Type: "mrkdwn", Text: "*Failed*\n" + slackEscape(f.Failed)},
		{Type: "mrkdwn", Text: "*Window*\n" + slackEscape(f.Window)},
	}
	if f.Fix != "" {
		fields = append(fields, slackText{Type: "mrkdwn", Text: "*First fix*\n" + slackEscape(f.Fix)})
	}
	header := icon + " " + f.Title
	if m.event == EventResolve {
		header = icon + " Resolved: " + f.Title
	}
	b, err := json.Marshal(struct {
		Text   string       `json:"text"`
		Blocks []slackBlock `json:"blocks"`
	}{
		Text: fmt.Sprintf("%s logcause: incident %s on %s: `%s`", icon, what, slackEscape(a.host), slackEscape(code)),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: oneLine(header, 150), Emoji: true}},
			{Type: "section", Fields: fields},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: fmt.Sprintf("logcause on *%s* · incident %s", slackEscape(a.host), what)}}},
		},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// amAlert is one alert of Alertmanager's API v2 (a PostableAlert).
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

// amAlert is the alert of the incident first told with key, ending at
// end: a few re-sends ahead while it is open (it stays firing as long as
// it is sent again), the incident's end once resolved.
func (a *Alerter) amAlert(key time.Time, inc analyze.Incident, end time.Time) amAlert {
	f := describe(inc)
	desc := f.Failed + ", " + f.Window + ". Root cause: " + f.Cause
	if f.Why != "" {
		desc += ": " + f.Why
	}
	ann := map[string]string{"summary": f.Title, "description": desc}
	if f.Fix != "" {
		ann["fix"] = f.Fix
	}
	if end.Before(key) {
		end = key
	}
	return amAlert{
		Labels:      map[string]string{"alertname": AlertName, "cause": string(inc.RootCause), "host": a.host, "severity": "critical"},
		Annotations: ann, StartsAt: key.UTC(), EndsAt: end.UTC(),
	}
}

// amChange keeps the firing alerts of d as m changes them and returns
// the body to send Alertmanager, nil when nothing is to be sent now: an
// update goes with the next re-send, unless its root cause (a label)
// changed: the alert of the old cause ends then, the new one fires.
func (a *Alerter) amChange(d *destination, m message) []byte {
	now := a.opt.Now()
	firing := now.Add(4 * a.opt.ResendEvery)
	prev, was := d.firing[m.key]
	var alerts []amAlert
	switch m.event {
	case EventOpen:
		d.firing[m.key] = m.inc
		alerts = append(alerts, a.amAlert(m.key, m.inc, firing))
	case eventUpdate:
		d.firing[m.key] = m.inc
		switch {
		case !was: // opened before a restart: it may have lapsed
			alerts = append(alerts, a.amAlert(m.key, m.inc, firing))
		case prev.RootCause != m.inc.RootCause:
			alerts = append(alerts, a.amAlert(m.key, prev, now), a.amAlert(m.key, m.inc, firing))
		default:
			return nil
		}
	case EventResolve:
		delete(d.firing, m.key)
		if was && prev.RootCause != m.inc.RootCause {
			alerts = append(alerts, a.amAlert(m.key, prev, m.inc.End))
		}
		alerts = append(alerts, a.amAlert(m.key, m.inc, m.inc.End))
	}
	return amBody(alerts)
}

// amFiring is the body that sends all of d's firing alerts again.
func (a *Alerter) amFiring(d *destination) []byte {
	firing := a.opt.Now().Add(4 * a.opt.ResendEvery)
	var alerts []amAlert
	for _, k := range slices.SortedFunc(maps.Keys(d.firing), time.Time.Compare) {
		alerts = append(alerts, a.amAlert(k, d.firing[k], firing))
	}
	return amBody(alerts)
}

func amBody(alerts []amAlert) []byte {
	b, err := json.Marshal(alerts)
	if err != nil {
		panic(err)
	}
	return b
}

var mailHTML = template.Must(template.New("alert").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{.Subject}}</title></head>
<body style="font-family: sans-serif">
<p>{{.What}}</p>
<h2>{{.F.Title}}</h2>
<table cellpadding="4">
<tr><th align="left">Root cause</th><td>{{.F.Cause}}</td></tr>
<tr><th align="left">Failed</th><td>{{.F.Failed}}</td></tr>
<tr><th align="left">Window</th><td>{{.F.Window}}</td></tr>
{{- if .F.Why}}
<tr><th align="left">Why</th><td>{{.F.Why}}</td></tr>
{{- end}}
{{- if .F.Fix}}
<tr><th align="left">First fix</th><td>{{.F.Fix}}</td></tr>
{{- end}}
</table>
<p style="color: gray">logcause watch on {{.Host}}</p>
</body></html>
`))

// mailParts are the subject (one line: never a CR or LF) and the plain
// and HTML bodies of m's alert mail.
func (a *Alerter) mailParts(m message) (subject, text, html string) {
	f := describe(m.inc)
	what := "Incident opened on " + a.host
	subject = "[logcause] " + a.host + ": incident opened: " + f.Title
	if m.event == EventResolve {
		what = "Incident resolved on " + a.host + ": no gateway error since " + m.inc.End.UTC().Format("15:04:05") + " UTC"
		subject = "[logcause] " + a.host + ": resolved: " + f.Title
	}
	subject = oneLine(subject, 250)
	var t strings.Builder
	fmt.Fprintf(&t, "%s\n\n%s\n\nRoot cause:  %s\nFailed:      %s\nWindow:      %s\n", what, f.Title, f.Cause, f.Failed, f.Window)
	if f.Why != "" {
		fmt.Fprintf(&t, "Why:         %s\n", f.Why)
	}
	if f.Fix != "" {
		fmt.Fprintf(&t, "First fix:   %s\n", f.Fix)
	}
	fmt.Fprintf(&t, "\nlogcause watch on %s\n", a.host)
	var h strings.Builder
	if err := mailHTML.Execute(&h, struct {
		Subject, What, Host string
		F                   facts
	}{subject, what, a.host, f}); err != nil {
		panic(err) // the template and its data are ours
	}
	return subject, t.String(), h.String()
}
