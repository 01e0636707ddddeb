//go:build realserver

package fleet_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/alert"
	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/fleet"
	"github.com/logcause/logcause/internal/mailtest"
)

// TestFleetMailsReachAnInbox: `logcause fleet`'s e-mails through a real
// SMTP server (mailpit), the mailer built as the command builds it
// (fleet.MailerFor of the config's smtp): web1 and web2 published PHP-FPM
// stopped (real captures) to a real 3-node JetStream cluster; the fleet
// incident's alerts (opened, resolved) name both nodes, and the nightly
// report, at its run, is the analysis of the hosts merged, titled with
// the site. Run:
// go test -tags realserver -count=1 -run TestFleetMailsReachAnInbox ./fleet
func TestFleetMailsReachAnInbox(t *testing.T) {
	mp := mailtest.Start(t)
	nats, js := onCluster(t)
	publishHosts(t, js, "web1", "web2")
	cfg, err := config.Parse("test", fmt.Appendf(nil, "smtp:\n  host: 127.0.0.1\n  port: %d\n  security: none\n  from: \"logcause <logcause@example.com>\"\n"+
		"alerts:\n  email: [oncall@example.com]\n"+
		"reports:\n  - name: nightly\n    schedule: \"0 7 * * *\"\n    tz: UTC\n    email: [lead@example.com]\n", mp.SMTPPort))
	if err != nil {
		t.Fatal(err)
	}
	mailer, err := fleet.MailerFor(cfg, "shop", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{}, 4)
	alerts, err := alert.NewSwitch(cfg, alert.Build(alert.Options{Host: "fleet shop", Log: slog.New(sentLog{sent})},
		func(config.Config) (alert.Mailer, error) { return mailer, nil }))
	if err != nil {
		t.Fatal(err)
	}
	defer alerts.Close()

	fst := openStore(t, "fleet")
	reported := make(chan error, 1)
	clock := newNightlyClock()
	reports := fleet.Reports{Jobs: cfg.Reports,
		Deliver: func(ctx context.Context, job config.Report, res analyze.Result) error {
			err := mailer.SendReport(ctx, job, res)
			reported <- err
			return err
		},
		Now: clock.now, After: clock.after}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	followed := make(chan error, 1)
	go func() {
		followed <- fleet.Follow(ctx, fst, fleet.Following{Fleet: config.Fleet{NATS: nats}, Site: "shop", Out: io.Discard, Format: "text", Listen: "off",
			Alerts: alerts, Reports: reports, ResolveAfter: 5 * time.Second})
	}()
	for range 2 { // the incident opened and resolved, each mailed
		select {
		case <-sent:
		case <-time.After(guard):
			t.Fatalf("the alert mails were not sent:\n%s", mp.Log())
		}
	}
	clock.runDue()
	select {
	case err := <-reported:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(guard):
		t.Fatal("the nightly report was not sent")
	}
	cancel()
	if err := <-followed; err != nil {
		t.Fatal(err)
	}

	msgs := mp.Messages(t) // the newest first
	if len(msgs) != 3 {
		t.Fatalf("%d mails delivered, want the incident's open and resolve, and the report:\n%s", len(msgs), mp.Log())
	}
	for i, want := range []struct{ subject, text, to string }{
		{"[logcause] fleet shop: ", "(fleet: on web1 50%, web2 50%)", "lead@example.com"},
		{"[logcause] fleet shop: resolved: ", "Incident resolved on fleet shop", "oncall@example.com"},
		{"[logcause] fleet shop: incident opened: ", "Incident opened on fleet shop", "oncall@example.com"},
	} {
		m := msgs[i]
		if !strings.HasPrefix(m.Subject, want.subject) || m.From.Address != "logcause@example.com" {
			t.Errorf("mail %d: subject %q from %+v, want %q…", i, m.Subject, m.From, want.subject)
		}
		if len(m.To) != 1 || m.To[0].Address != want.to {
			t.Errorf("mail %d: to %+v, want %s", i, m.To, want.to)
		}
		if i > 0 && !strings.Contains(m.Subject, "(fleet: on web1 50%, web2 50%)") {
			t.Errorf("mail %d: the subject %q does not name the nodes", i, m.Subject)
		}
		if !strings.Contains(m.Text, want.text) {
			t.Errorf("mail %d: the text part does not say %q:\n%s", i, want.text, m.Text)
		}
	}
	if report := msgs[0]; !strings.Contains(report.Text, "web1:") || !strings.Contains(report.Text, "web2:") {
		t.Errorf("the report's evidence does not name both hosts' lines:\n%s", report.Text)
	}
}
