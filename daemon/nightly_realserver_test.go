//go:build realserver

package daemon_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/email"
	"github.com/logcause/logcause/internal/mailtest"
)

// TestNightlyReportReachesAnInbox: the nightly report of watch, end to
// end but for the clock: at its run, the daemon analyzes the window of
// the store it fills and mails it, with the real report renderers, to a
// real SMTP server (mailpit) — once, with the headline in the subject,
// the text and HTML parts and the chart inline.
func TestNightlyReportReachesAnInbox(t *testing.T) {
	mp := mailtest.Start(t)
	mailer, err := email.New(config.SMTP{Host: "127.0.0.1", Port: mp.SMTPPort, Security: "none", From: "logcause@example.com", Name: "web1"},
		email.Options{Bodies: email.ReportBodies()})
	if err != nil {
		t.Fatal(err)
	}
	job := nightly(t, "14d") // the log's lines are of 23 November
	day := december(job)
	access, files := accessLog(t)
	appendTo(t, access, utcAccess(10, 40, 502))
	st := openStore(t, filepath.Join(t.TempDir(), "store"))
	defer st.Close()
	clock := newFakeClock(day(1, 6, 0))
	sender := daemon.AnalyzedSender(st, nil, func(ctx context.Context, job config.Report, res analyze.Result) error {
		return mailer.In(job.Zone()).Send(ctx, res, job.Email)
	})
	s := newStepper()
	stop := scheduler(t, st, clock, sender, job, files, s.waker, s.commits)
	defer stop()
	s.await(t, access)
	clock.advance(clock.wait(t), day(1, 7, 0))
	after := clock.wait(t) // the run's turn is over: sent, or retried later
	if got := len(mp.Messages(t)); got != 1 {
		t.Fatalf("%d messages after the run, want 1", got)
	}
	m := mp.Messages(t)[0]
	if !strings.HasPrefix(m.Subject, "[logcause] web1: 1 incident, 90×502 — ") {
		t.Errorf("subject %q", m.Subject)
	}
	if len(m.To) != 1 || m.To[0].Address != "oncall@example.com" {
		t.Errorf("sent to %+v", m.To)
	}
	if !strings.Contains(m.Text, "90 of 90 requests (100.0%) failed") {
		t.Errorf("text part:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "Incident 1") {
		t.Errorf("the HTML part has no incident card:\n%.2000s", m.HTML)
	}
	if len(m.Inline) != 1 || m.Inline[0].ContentType != "image/png" || !strings.Contains(m.HTML, "cid:"+m.Inline[0].ContentID) {
		t.Errorf("inline parts %+v: want the chart as a PNG the HTML shows by cid:", m.Inline)
	}
	png := mp.PartData(t, m.ID, m.Inline[0].PartID)
	if len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Errorf("the chart part is not a PNG: %q", base64.StdEncoding.EncodeToString(png[:min(len(png), 16)]))
	}
	// A minute later, nothing more: the run is kept as sent.
	clock.advance(after, day(1, 7, 1))
	clock.wait(t)
	if got := len(mp.Messages(t)); got != 1 {
		t.Errorf("%d messages a minute after the run, want still 1", got)
	}
}
