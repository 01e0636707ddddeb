package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-openapi/strfmt"
	"github.com/prometheus/alertmanager/api/v2/models"
	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/report"
)

const title = "502s on /slow.php: PHP-FPM ran out of workers (pm.max_children reached)"

type slackPayload struct {
	Text   string `json:"text"`
	Blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Type, Text string
			Emoji      bool
		} `json:"text"`
		Fields []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"fields"`
		Elements []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"elements"`
	} `json:"blocks"`
}

func decodeSlack(t *testing.T, body []byte) slackPayload {
	t.Helper()
	var p slackPayload
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("not a Slack payload: %v: %s", err, body)
	}
	return p
}

// TestSlack: a Slack (or Mattermost) webhook gets text and blocks: a
// header with the title, a section with the root cause, the share that
// failed, the window and the first fix, and a context line with the
// host; with the headers configured, the token read from a file.
func TestSlack(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	token := filepath.Join(t.TempDir(), "token")
	os.WriteFile(token, []byte("Bearer t0ken\n"), 0o600)
	t.Setenv("LOGCAUSE_TEST_SLACK_URL", recv.URL+"/services/T0/B0/x")
	h := start(t, config.Alerts{Webhooks: []config.Webhook{{Format: config.FormatSlack, URLEnv: "LOGCAUSE_TEST_SLACK_URL",
		Headers: []config.Header{{Name: "Authorization", ValueFile: token}}}}}, Options{})
	inc := incident(t0.Add(-4*time.Minute), analyze.FPMWorkerExhaustion, title)

	for _, c := range []struct {
		event   string
		update  daemon.Update
		header  string
		text    string
		context string
	}{
		{EventOpen, opened(inc), "🔴 " + title, "🔴 logcause: incident opened on web1: `" + title + "`", "logcause on *web1* · incident opened"},
		{EventResolve, resolved(inc), "✅ Resolved: " + title, "✅ logcause: incident resolved on web1: `" + title + "`", "logcause on *web1* · incident resolved"},
	} {
		h.Notify(c.update)
		q := recv.next(t)
		if q.path != "/services/T0/B0/x" || q.header.Get("Content-Type") != "application/json" || q.header.Get("Authorization") != "Bearer t0ken" {
			t.Errorf("%s: POST to %s with %v", c.event, q.path, q.header)
		}
		p := decodeSlack(t, q.body)
		if p.Text != c.text {
			t.Errorf("%s: text %q, want %q", c.event, p.Text, c.text)
		}
		var types []string
		for _, b := range p.Blocks {
			types = append(types, b.Type)
		}
		if strings.Join(types, ",") != "header,section,context" {
			t.Fatalf("%s: blocks %v", c.event, types)
		}
		if hd := p.Blocks[0].Text; hd == nil || hd.Type != "plain_text" || hd.Text != c.header {
			t.Errorf("%s: header %+v, want plain_text %q", c.event, hd, c.header)
		}
		var fields []string
		for _, f := range p.Blocks[1].Fields {
			if f.Type != "mrkdwn" {
				t.Errorf("%s: field of type %s", c.event, f.Type)
			}
			fields = append(fields, f.Text)
		}
		want := []string{
			"*Root cause*\nfpm_worker_exhaustion (confidence 0.95)",
			"*Failed*\n235 of 273 requests (86.1%) failed: 502: 235",
			"*Window*\n2026-11-23 22:21:00 to 22:21:14 UTC (14s)",
			"*First fix*\nRaise pm.max_children in the PHP-FPM pool if memory allows.",
		}
		if !slices.Equal(fields, want) {
			t.Errorf("%s: fields\n%q\nwant\n%q", c.event, fields, want)
		}
		if els := p.Blocks[2].Elements; len(els) != 1 || els[0].Type != "mrkdwn" || els[0].Text != c.context {
			t.Errorf("%s: context %+v, want %q", c.event, els, c.context)
		}
		if o := h.sent(t); o.event != c.event {
			t.Errorf("handled %s, want %s", o.event, c.event)
		}
	}
	h.stop()
	recv.none(t)
	if s := h.Stats(); s.Sent != 2 || s.Failed+s.Dropped+s.Retried+s.Folded != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestSlackLimits: a long title fits Slack's limits (a header of at most
// 150 characters, a field of at most 2000).
func TestSlackLimits(t *testing.T) {
	a := &Alerter{host: "web1"}
	inc := incident(t0, analyze.FPMWorkerExhaustion, strings.Repeat("ü", 3000))
	inc.Causes[1].Recommendations[0] = strings.Repeat("x", 5000)
	p := decodeSlack(t, a.slack(message{event: EventResolve, inc: inc}))
	if n := utf8.RuneCountInString(p.Blocks[0].Text.Text); n > 150 {
		t.Errorf("header of %d characters", n)
	}
	for _, f := range p.Blocks[1].Fields {
		if n := utf8.RuneCountInString(f.Text); n > 2000 {
			t.Errorf("field of %d characters", n)
		}
	}
	if len(p.Blocks[1].Fields) > 10 {
		t.Errorf("%d fields", len(p.Blocks[1].Fields))
	}
}

// TestJSON: the json format posts the event, the host, and the incident
// exactly as the JSON report has it.
func TestJSON(t *testing.T) {
	recv := newReceiver(t, always(http.StatusNoContent))
	h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL+"/hook")}}, Options{})
	inc := incident(t0.Add(-4*time.Minute), analyze.FPMWorkerExhaustion, title+"\r\n\x1b[2J<b>")
	var rep bytes.Buffer
	if err := report.JSON(&rep, analyze.Result{Incidents: []analyze.Incident{inc}}); err != nil {
		t.Fatal(err)
	}
	var want struct{ Incidents []json.RawMessage }
	if err := json.Unmarshal(rep.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, want.Incidents[0])

	h.Notify(daemon.Update{Opened: []analyze.Incident{inc}, Updated: []analyze.Incident{inc}})
	h.Notify(resolved(inc))
	for _, event := range []string{EventOpen, EventResolve} {
		q := recv.next(t)
		var got struct {
			Event    string          `json:"event"`
			Host     string          `json:"host"`
			Incident json.RawMessage `json:"incident"`
		}
		if err := json.Unmarshal(q.body, &got); err != nil || q.path != "/hook" {
			t.Fatalf("%s: %v: %s", q.path, err, q.body)
		}
		if got.Event != event || got.Host != "web1" || !bytes.Equal(got.Incident, compact.Bytes()) {
			t.Errorf("got %s %s %s\nwant %s web1 %s", got.Event, got.Host, got.Incident, event, compact.Bytes())
		}
		h.sent(t)
	}
	h.stop()
	recv.none(t) // the update is Alertmanager's only
}

// amAlerts decodes what Alertmanager was sent and validates it with
// Alertmanager's own model.
func amAlerts(t *testing.T, q request) models.PostableAlerts {
	t.Helper()
	if q.path != "/am/api/v2/alerts" {
		t.Errorf("POST to %s", q.path)
	}
	var alerts models.PostableAlerts
	if err := json.Unmarshal(q.body, &alerts); err != nil {
		t.Fatalf("not Alertmanager's alerts: %v: %s", err, q.body)
	}
	if err := alerts.Validate(strfmt.Default); err != nil {
		t.Fatalf("Alertmanager's model refuses them: %v: %s", err, q.body)
	}
	return alerts
}

// TestAlertmanager: the incident fires (ending 4 re-sends ahead), is sent
// again every minute while open, its alert of the old cause ends when the
// root cause changes, and it is sent once more on resolve with endsAt.
func TestAlertmanager(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatAlertmanager, recv.URL+"/am/")}}, Options{})
	start := t0.Add(-4 * time.Minute)
	inc := incident(start, analyze.Unknown, title)
	check := func(a *models.PostableAlert, cause string, ends time.Time) {
		t.Helper()
		want := models.LabelSet{"alertname": "LogcauseGatewayErrors", "cause": cause, "host": "web1", "severity": "critical"}
		if fmt.Sprint(a.Labels) != fmt.Sprint(want) {
			t.Errorf("labels %v, want %v", a.Labels, want)
		}
		if !time.Time(a.StartsAt).Equal(start) || !time.Time(a.EndsAt).Equal(ends) {
			t.Errorf("%s: from %v to %v, want %v to %v", cause, a.StartsAt, a.EndsAt, start, ends)
		}
		if a.Annotations["summary"] != title || !strings.HasPrefix(a.Annotations["description"], "235 of 273 requests (86.1%) failed: 502: 235, 2026-11-23 22:21:00 to 22:21:14 UTC (14s). Root cause: "+cause) {
			t.Errorf("annotations %v", a.Annotations)
		}
	}

	h.Notify(opened(inc))
	alerts := amAlerts(t, recv.next(t))
	if len(alerts) != 1 {
		t.Fatalf("%d alerts", len(alerts))
	}
	check(alerts[0], "unknown", t0.Add(4*time.Minute))
	h.sent(t)

	w := h.clock.next(t, time.Minute) // the re-send
	h.clock.set(t0.Add(time.Minute))
	w.c <- h.clock.Now()
	alerts = amAlerts(t, recv.next(t))
	if len(alerts) != 1 {
		t.Fatalf("re-sent %d alerts", len(alerts))
	}
	check(alerts[0], "unknown", t0.Add(5*time.Minute))
	if o := h.sent(t); o.event != "resend" {
		t.Errorf("handled %s, want the re-send", o.event)
	}

	// The cause is found: the alert of the unknown cause ends, the new
	// one fires.
	pending := h.clock.next(t, time.Minute)
	better := incident(start, analyze.FPMWorkerExhaustion, title)
	h.Notify(daemon.Update{Updated: []analyze.Incident{better}})
	alerts = amAlerts(t, recv.next(t))
	if len(alerts) != 2 {
		t.Fatalf("%d alerts on the cause's change", len(alerts))
	}
	check(alerts[0], "unknown", t0.Add(time.Minute))
	check(alerts[1], "fpm_worker_exhaustion", t0.Add(5*time.Minute))
	if alerts[1].Annotations["fix"] != "Raise pm.max_children in the PHP-FPM pool if memory allows." {
		t.Errorf("fix %q", alerts[1].Annotations["fix"])
	}
	h.sent(t)

	// An update of the same cause waits for the next re-send.
	grown := better
	grown.End, grown.Requests, grown.Status = better.End.Add(10*time.Second), 300, map[string]int64{"502": 260}
	h.Notify(daemon.Update{Updated: []analyze.Incident{grown}})
	h.clock.set(t0.Add(2 * time.Minute))
	h.Notify(resolved(grown))
	alerts = amAlerts(t, recv.next(t))
	if len(alerts) != 1 {
		t.Fatalf("%d alerts on resolve", len(alerts))
	}
	if ends := time.Time(alerts[0].EndsAt); !ends.Equal(grown.End) || !strings.HasPrefix(alerts[0].Annotations["description"], "260 of 300 requests") {
		t.Errorf("resolved: ends %v, want %v; %v", ends, grown.End, alerts[0].Annotations)
	}
	h.sent(t)

	// Resolved, it is sent no more: the re-sends hold only the incidents
	// open then.
	pending.c <- t0
	next := incident(t0.Add(time.Minute), analyze.OOMKill, "next")
	h.Notify(opened(next))
	if a := amAlerts(t, recv.next(t)); len(a) != 1 || a[0].Labels["cause"] != "oom_kill" {
		t.Errorf("sent %+v, want the next incident", a)
	}
	h.sent(t)
	h.clock.next(t, time.Minute).c <- t0
	if a := amAlerts(t, recv.next(t)); len(a) != 1 || a[0].Labels["cause"] != "oom_kill" {
		t.Errorf("re-sent %+v, want the next incident only", a)
	}
	h.sent(t)
	h.stop()
	recv.none(t)
	if s := h.Stats(); s.Sent != 4 || s.Resent != 2 {
		t.Errorf("stats %+v", s)
	}
}

// TestAlertmanagerAfterRestart: an incident that opened before a restart
// (the daemon tells its updates, never its open) fires again; its
// resolution is sent.
func TestAlertmanagerAfterRestart(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatAlertmanager, recv.URL+"/am/api/v2/alerts")}}, Options{})
	inc := incident(t0.Add(-4*time.Minute), analyze.OOMKill, title)
	h.Notify(daemon.Update{Updated: []analyze.Incident{inc}})
	if a := amAlerts(t, recv.next(t)); len(a) != 1 || time.Time(a[0].EndsAt).Before(t0) {
		t.Errorf("not firing: %+v", a)
	}
	h.sent(t)
	h.Notify(resolved(inc))
	if a := amAlerts(t, recv.next(t)); len(a) != 1 || !time.Time(a[0].EndsAt).Equal(inc.End) {
		t.Errorf("not resolved: %+v", a)
	}
	h.sent(t)
}

// TestRetries: a receiver failing twice gets three attempts, after 2 s
// and 4 s; one failing always gets MaxAttempts, then the alert is given
// up; one refusing it (HTTP 4xx) gets one.
func TestRetries(t *testing.T) {
	t.Run("third attempt succeeds", func(t *testing.T) {
		recv := newReceiver(t, func(n int) int { return map[bool]int{true: 500, false: 200}[n <= 2] })
		h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{})
		h.Notify(opened(incident(t0, analyze.OOMKill, title)))
		for _, d := range []time.Duration{2 * time.Second, 4 * time.Second} {
			recv.next(t)
			h.clock.next(t, d).c <- t0
		}
		recv.next(t)
		h.sent(t)
		if s := h.Stats(); s.Sent != 1 || s.Retried != 2 || s.Failed != 0 {
			t.Errorf("stats %+v", s)
		}
		if !strings.Contains(h.log.String(), "it answered 500 Internal Server Error") {
			t.Errorf("the failures are not logged:\n%s", h.log)
		}
	})
	t.Run("given up", func(t *testing.T) {
		recv := newReceiver(t, always(http.StatusServiceUnavailable))
		h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{MaxAttempts: 4, Backoff: time.Second})
		h.Notify(opened(incident(t0, analyze.OOMKill, title)))
		for _, d := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
			recv.next(t)
			h.clock.next(t, d).c <- t0
		}
		recv.next(t)
		if o := <-h.outcomes; o.err == nil || !strings.Contains(o.err.Error(), "503 Service Unavailable") {
			t.Errorf("outcome %v", o.err)
		}
		if s := h.Stats(); s.Sent != 0 || s.Retried != 3 || s.Failed != 1 {
			t.Errorf("stats %+v", s)
		}
	})
	t.Run("refused", func(t *testing.T) {
		recv := newReceiver(t, always(http.StatusBadRequest))
		h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{})
		h.Notify(opened(incident(t0, analyze.OOMKill, title)))
		recv.next(t)
		if o := <-h.outcomes; !errors.Is(o.err, errPermanent) {
			t.Errorf("outcome %v", o.err)
		}
		if s := h.Stats(); s.Retried != 0 || s.Failed != 1 || len(h.clock.waits) != 0 {
			t.Errorf("stats %+v, %d waits", s, len(h.clock.waits))
		}
	})
	t.Run("backoff doubles up to a minute", func(t *testing.T) {
		recv := newReceiver(t, always(http.StatusInternalServerError))
		h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{MaxAttempts: 7, Backoff: 10 * time.Second})
		h.Notify(opened(incident(t0, analyze.OOMKill, title)))
		for _, d := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute} {
			recv.next(t)
			h.clock.next(t, d).c <- t0
		}
		recv.next(t)
		<-h.outcomes
	})
}

// TestSecretsStayOut: a webhook's URL (a secret) is in no log line nor
// error, even when the receiver cannot be reached.
func TestSecretsStayOut(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	recv.Close() // nothing listens there any more
	t.Setenv("LOGCAUSE_TEST_URL", recv.URL+"/services/T0/B0/s3cr3t-t0ken")
	h := start(t, config.Alerts{Webhooks: []config.Webhook{{Format: config.FormatSlack, URLEnv: "LOGCAUSE_TEST_URL"}}}, Options{MaxAttempts: 2})
	h.Notify(opened(incident(t0, analyze.OOMKill, title)))
	h.clock.next(t, 2*time.Second).c <- t0
	o := <-h.outcomes
	if o.err == nil || !strings.Contains(o.err.Error(), "cannot reach it") || o.dest != "webhook 1 (slack)" {
		t.Errorf("outcome %+v", o)
	}
	h.stop()
	if log := h.log.String(); strings.Contains(log, "s3cr3t") || strings.Contains(o.err.Error(), "s3cr3t") || !strings.Contains(log, "given up") {
		t.Errorf("the secret shows, or the failure does not:\n%s\n%v", log, o.err)
	}
}

// TestCooldown: an incident of a cause alerted on (open or resolve) less
// than the cooldown before is folded, its resolution too; another cause
// is announced; after the cooldown, the cause is announced again.
func TestCooldown(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}, Cooldown: 10 * time.Minute}, Options{})
	at := func(d time.Duration) { h.clock.set(t0.Add(d)) }
	a := incident(t0, analyze.FPMWorkerExhaustion, "A")
	b := incident(t0.Add(5*time.Minute), analyze.FPMWorkerExhaustion, "B")
	c := incident(t0.Add(6*time.Minute), analyze.MySQLDown, "C")
	d := incident(t0.Add(12*time.Minute), analyze.FPMWorkerExhaustion, "D")
	e := incident(t0.Add(21*time.Minute), analyze.FPMWorkerExhaustion, "E")
	h.Notify(opened(a))
	at(2 * time.Minute)
	h.Notify(resolved(a)) // the last alert of the cause
	at(5 * time.Minute)
	h.Notify(opened(b)) // 3 minutes after: folded
	at(6 * time.Minute)
	h.Notify(opened(c)) // another cause
	h.Notify(daemon.Update{Updated: []analyze.Incident{b}})
	at(8 * time.Minute)
	h.Notify(resolved(b)) // folded: not sent, nor the cooldown extended
	at(12 * time.Minute)
	h.Notify(opened(d)) // exactly 10 minutes after A's resolve
	at(21*time.Minute + 59*time.Second)
	h.Notify(opened(e)) // 9m59s after D's open
	var got []string
	for range 4 {
		var ev struct {
			Event    string
			Incident struct{ Title string }
		}
		json.Unmarshal(recv.next(t).body, &ev)
		got = append(got, ev.Event+" "+ev.Incident.Title)
		h.sent(t)
	}
	h.stop()
	recv.none(t)
	if want := []string{"open A", "resolve A", "open C", "open D"}; !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	if s := h.Stats(); s.Folded != 2 || s.Sent != 4 {
		t.Errorf("stats %+v", s)
	}
	if n := strings.Count(h.log.String(), "alert folded"); n != 2 || !strings.Contains(h.log.String(), "resolve not announced: the incident was folded") {
		t.Errorf("%d folds logged:\n%s", n, h.log)
	}
}

// TestNoCooldown: with cooldown 0 every incident is announced.
func TestNoCooldown(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	h := start(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{})
	h.Notify(opened(incident(t0, analyze.OOMKill, "A")))
	h.Notify(opened(incident(t0.Add(time.Minute), analyze.OOMKill, "B")))
	recv.next(t)
	recv.next(t)
	if s := h.Stats(); s.Folded != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestQueueFull: when a destination's queue is full, Notify drops its
// oldest alert, counts and logs it, and never blocks.
func TestQueueFull(t *testing.T) {
	recv := newReceiver(t, always(http.StatusOK))
	h := prepare(t, config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, recv.URL)}}, Options{QueueSize: 3})
	kinds := []analyze.Kind{analyze.OOMKill, analyze.MySQLDown, analyze.FPMDown, analyze.DNSFailure, analyze.BackendDown}
	for i, k := range kinds {
		h.Notify(opened(incident(t0.Add(time.Duration(i)*time.Minute), k, string(k))))
	}
	if s := h.Stats(); s.Dropped != 2 {
		t.Errorf("stats %+v", s)
	}
	if n := strings.Count(h.log.String(), "alert queue full: the oldest alert was dropped"); n != 2 {
		t.Errorf("%d drops logged:\n%s", n, h.log)
	}
	h.run(t)
	for _, k := range kinds[2:] {
		var ev struct{ Incident struct{ Title string } }
		json.Unmarshal(recv.next(t).body, &ev)
		if ev.Incident.Title != string(k) {
			t.Errorf("got %s, want %s", ev.Incident.Title, k)
		}
		h.sent(t)
	}
	h.stop()
	recv.none(t)
}

// TestClose: Close stops every goroutine, an alert being sent or waiting
// for its retry included (goleak checks it); what was left is counted.
func TestClose(t *testing.T) {
	entered := make(chan struct{})
	var once sync.Once
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // then the server notices when the client goes
		once.Do(func() { close(entered) })
		<-r.Context().Done() // never answers
	}))
	failing := newReceiver(t, always(http.StatusInternalServerError))
	mb := &mailbox{}
	h := start(t, config.Alerts{
		Webhooks: []config.Webhook{webhook(config.FormatJSON, hang.URL), webhook(config.FormatAlertmanager, failing.URL)},
		Email:    []string{"oncall@example.com"},
	}, Options{Mailer: mb})
	h.Notify(opened(incident(t0, analyze.OOMKill, title)))
	h.Notify(opened(incident(t0.Add(time.Hour), analyze.MySQLDown, title)))
	<-entered
	failing.next(t)
	h.clock.next(t, 2*time.Second) // the retry's wait, never fired
	h.sent(t)
	h.sent(t) // both mails
	h.stop()
	hang.Close()
	failing.Close()
	// Each webhook's first alert (hung, waiting) and its second (queued).
	if s := h.Stats(); s.Dropped != 4 || s.Sent != 2 {
		t.Errorf("stats %+v", s)
	}
	goleak.VerifyNone(t)
	if err := h.Run(context.Background()); err == nil {
		t.Error("Run ran twice")
	}
}

// TestCloseBeforeRun: a Run after Close returns at once.
func TestCloseBeforeRun(t *testing.T) {
	a, err := New(config.Alerts{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	if err := a.Run(context.Background()); err != nil {
		t.Error(err)
	}
}

// mailbox is a Mailer that keeps what it is given.
type mailbox struct {
	mu    sync.Mutex
	mails []mail
	fail  int // how many sends fail first
}

type mail struct {
	to                  []string
	subject, text, html string
}

func (m *mailbox) SendAlert(_ context.Context, to []string, subject, text, html string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail > 0 {
		m.fail--
		return errors.New("451 try again later")
	}
	m.mails = append(m.mails, mail{to, subject, text, html})
	return nil
}

// TestEmail: alert mails go to the configured recipients through the
// Mailer, retried like webhooks.
func TestEmail(t *testing.T) {
	mb := &mailbox{fail: 1}
	h := start(t, config.Alerts{Email: []string{"oncall@example.com", "lead@example.com"}}, Options{Mailer: MailerFunc(mb.SendAlert)})
	inc := incident(t0.Add(-4*time.Minute), analyze.FPMWorkerExhaustion, title)
	h.Notify(opened(inc))
	h.clock.next(t, 2*time.Second).c <- t0
	h.sent(t)
	h.Notify(resolved(inc))
	h.sent(t)
	h.stop()
	if len(mb.mails) != 2 {
		t.Fatalf("%d mails", len(mb.mails))
	}
	m := mb.mails[0]
	if !slices.Equal(m.to, []string{"oncall@example.com", "lead@example.com"}) || m.subject != "[logcause] web1: incident opened: "+title {
		t.Errorf("to %v, subject %q", m.to, m.subject)
	}
	for _, want := range []string{"Incident opened on web1\n\n" + title + "\n", "Root cause:  fpm_worker_exhaustion (confidence 0.95)\n",
		"Failed:      235 of 273 requests (86.1%) failed: 502: 235\n", "First fix:   Raise pm.max_children"} {
		if !strings.Contains(m.text, want) {
			t.Errorf("text lacks %q:\n%s", want, m.text)
		}
	}
	if !strings.Contains(m.html, "<h2>"+title+"</h2>") {
		t.Errorf("html:\n%s", m.html)
	}
	if r := mb.mails[1]; r.subject != "[logcause] web1: resolved: "+title || !strings.Contains(r.text, "Incident resolved on web1: no gateway error since 22:21:14 UTC") {
		t.Errorf("resolve mail %q:\n%s", r.subject, r.text)
	}
}

// TestHostDefault: without a host in the config or the options, alerts
// name the machine by its host name.
func TestHostDefault(t *testing.T) {
	a, err := New(config.Alerts{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if h, _ := os.Hostname(); h == "" || a.host != h {
		t.Errorf("host %q, want the host name %q", a.host, h)
	}
	if a, _ := New(config.Alerts{Host: "web1"}, Options{Host: "other"}); a.host != "web1" {
		t.Errorf("the config's host: %q", a.host)
	}
}

// TestNewErrors: a missing secret or a missing mailer stops New, naming
// what to fix.
func TestNewErrors(t *testing.T) {
	_, err := New(config.Alerts{Webhooks: []config.Webhook{{Name: "chat", Format: config.FormatSlack, URLEnv: "LOGCAUSE_TEST_UNSET"}}}, Options{})
	if err == nil || !strings.Contains(err.Error(), `cannot set up the alerts: alerts: webhook "chat": cannot read its URL: the environment variable LOGCAUSE_TEST_UNSET is not set`) {
		t.Errorf("err = %v", err)
	}
	_, err = New(config.Alerts{Email: []string{"oncall@example.com"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "no SMTP server is configured") {
		t.Errorf("err = %v", err)
	}
}

// TestHostileTitles: an incident's title is log text: control characters
// and CR/LF never reach a mail's subject, a chat message or an
// Alertmanager annotation; Slack's markup stays text; the HTML mail is
// escaped; the JSON carries the title as it was.
func TestHostileTitles(t *testing.T) {
	hostile := "502s on /x\r\nBcc: victim@example.com\r\n\r\n<script>alert(1)</script> <!channel> <http://evil.example|click> `code` \x1b]8;;http://evil\x07link\x1b]8;;\x07 \x1b[2J\u202eevil\u2028next\x00\x85x\xff"
	recv := newReceiver(t, always(http.StatusOK))
	mb := &mailbox{}
	h := start(t, config.Alerts{
		Webhooks: []config.Webhook{webhook(config.FormatSlack, recv.URL), webhook(config.FormatAlertmanager, recv.URL+"/am"), webhook(config.FormatJSON, recv.URL)},
		Email:    []string{"oncall@example.com"},
	}, Options{Mailer: mb})
	// A config's host could not hold control characters; a hostname from
	// the system is cleaned all the same.
	inc := incident(t0, analyze.OOMKill, hostile)
	inc.Causes[1].Summary = "summary\r\n<!here>"
	inc.Causes[1].Recommendations[0] = "fix\n<https://evil|x>"
	h.Notify(opened(inc))
	bodies := map[string][]byte{}
	for range 3 {
		q := recv.next(t)
		switch {
		case q.path == "/am/api/v2/alerts":
			bodies["alertmanager"] = q.body
		case bytes.Contains(q.body, []byte(`"blocks"`)):
			bodies["slack"] = q.body
		default:
			bodies["json"] = q.body
		}
	}
	for range 4 {
		h.sent(t)
	}
	h.stop()
	inert := func(what, s string) {
		t.Helper()
		if strings.ContainsFunc(s, func(r rune) bool {
			return unicode.IsControl(r) || r == '\u2028' || r == '\u202e'
		}) {
			t.Errorf("%s holds a control character: %q", what, s)
		}
	}

	p := decodeSlack(t, bodies["slack"])
	inert("slack text", p.Text)
	inert("slack header", p.Blocks[0].Text.Text)
	if strings.ContainsAny(p.Text, "<>") || strings.Count(p.Text, "`") != 2 {
		t.Errorf("slack text holds markup: %q", p.Text)
	}
	for _, f := range append(p.Blocks[1].Fields, p.Blocks[2].Elements...) {
		_, value, _ := strings.Cut(f.Text, "\n") // after the label, which is ours
		inert("slack field", value)
		if strings.ContainsAny(f.Text, "<>") {
			t.Errorf("slack field holds markup: %q", f.Text)
		}
	}

	var am models.PostableAlerts
	json.Unmarshal(bodies["alertmanager"], &am)
	if err := am.Validate(strfmt.Default); err != nil || len(am) != 1 {
		t.Fatalf("%v: %s", err, bodies["alertmanager"])
	}
	for k, v := range am[0].Annotations {
		inert("annotation "+k, v)
	}

	var js struct{ Incident struct{ Title string } }
	json.Unmarshal(bodies["json"], &js)
	if js.Incident.Title != strings.ToValidUTF8(hostile, "\uFFFD") {
		t.Errorf("json title %q", js.Incident.Title)
	}

	m := mb.mails[0]
	inert("subject", m.subject)
	if strings.ContainsAny(m.subject, "\r\n") || !strings.HasPrefix(m.subject, "[logcause] web1: incident opened: 502s on /x Bcc: victim@example.com <script>") {
		t.Errorf("subject %q", m.subject)
	}
	for _, l := range strings.Split(m.text, "\n") {
		inert("text line", l)
	}
	if strings.Contains(m.html, "<script>") || strings.Contains(m.html, "<!channel>") || !strings.Contains(m.html, "&lt;script&gt;") {
		t.Errorf("html not escaped:\n%s", m.html)
	}
}

// TestOneLine: control characters and runs of spaces become one space;
// the cut is marked.
func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"a\r\nb":           "a b",
		"a\x1b[2Jb":        "a [2Jb",
		"  a \t\v b  ":     "a b",
		"a\u2028b\u202ec":  "a b c",
		"abcdefghijklmnop": "abcdefghi…",
		"a\xffb":           "a\uFFFDb",
	} {
		if got := oneLine(in, 10); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
