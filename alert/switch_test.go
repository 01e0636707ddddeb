package alert

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
)

// TestSwitchReload: a reload sends the next alerts to the new config's
// receivers only, keeps what was announced and the cooldowns, keeps the
// running alerts when the new ones cannot be set up, and counts what
// every Alerter did; Close leaves no goroutine behind.
func TestSwitchReload(t *testing.T) {
	first, second := newReceiver(t, always(http.StatusOK)), newReceiver(t, always(http.StatusOK))
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // the Alerters' goroutines, not the receivers'
	clk := newClock()
	log := &lockedBuffer{}
	outcomes := make(chan error, 10)
	build := func(cfg config.Config) (*Alerter, error) {
		a, err := New(cfg.Alerts, Options{Now: clk.Now, After: clk.After, Host: "web1", Log: slog.New(slog.NewTextHandler(log, nil))})
		if a != nil {
			a.observe = func(_ string, _ message, err error) { outcomes <- err }
		}
		return a, err
	}
	alerts := func(url string) config.Config {
		cfg := config.Default()
		cfg.Alerts = config.Alerts{Webhooks: []config.Webhook{webhook(config.FormatJSON, url)}, Cooldown: 10 * time.Minute}
		return cfg
	}
	event := func(r *receiver) string {
		t.Helper()
		var ev struct {
			Event    string
			Incident struct{ Title string }
		}
		if err := json.Unmarshal(r.next(t).body, &ev); err != nil {
			t.Fatal(err)
		}
		if err := <-outcomes; err != nil {
			t.Fatal(err)
		}
		return ev.Event + " " + ev.Incident.Title
	}
	s, err := NewSwitch(alerts(first.URL), build)
	if err != nil {
		t.Fatal(err)
	}
	a := incident(t0, analyze.FPMWorkerExhaustion, "A")
	s.Notify(opened(a))
	if got := event(first); got != "open A" {
		t.Errorf("first receiver: %s", got)
	}

	if err := s.Reload(alerts(second.URL)); err != nil {
		t.Fatal(err)
	}
	clk.set(t0.Add(time.Minute))
	s.Notify(opened(incident(t0.Add(time.Minute), analyze.FPMWorkerExhaustion, "B"))) // within A's cooldown: folded
	s.Notify(resolved(a))
	if got := event(second); got != "resolve A" {
		t.Errorf("second receiver: %s", got)
	}

	broken := config.Default()
	broken.Alerts.Webhooks = []config.Webhook{{Name: "chat", Format: config.FormatSlack, URLEnv: "LOGCAUSE_TEST_UNSET"}}
	if err := s.Reload(broken); err == nil || !strings.Contains(err.Error(), "LOGCAUSE_TEST_UNSET") {
		t.Errorf("broken reload: %v", err)
	}
	s.Notify(opened(incident(t0.Add(time.Hour), analyze.MySQLDown, "C")))
	if got := event(second); got != "open C" {
		t.Errorf("after the broken reload: %s", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "alerts reloaded") {
		t.Errorf("the reload is not logged:\n%s", log)
	}
	first.none(t)
	second.none(t)
	if st := s.Stats(); st.Sent != 3 || st.SentTo["webhook 1 (json)"] != 3 || st.Folded != 1 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestBuild: the Alerter's mails go through the mailer made of the
// config; one that cannot be made, or none for recipients, stops it.
func TestBuild(t *testing.T) {
	cfg := config.Default()
	cfg.Alerts.Email = []string{"oncall@example.com"}
	mb := &mailbox{}
	a, err := Build(Options{Host: "web1"}, func(config.Config) (Mailer, error) { return MailerFunc(mb.SendAlert), nil })(cfg)
	if err != nil || len(a.dests) != 1 || a.dests[0].name != "email" || a.host != "web1" {
		t.Errorf("with a mailer: %v %+v", err, a)
	}
	if _, err := Build(Options{}, func(config.Config) (Mailer, error) { return nil, nil })(cfg); err == nil || !strings.Contains(err.Error(), "no SMTP server is configured") {
		t.Errorf("without a mailer: %v", err)
	}
	refused := errors.New("cannot send mail: no SMTP server")
	if _, err := Build(Options{}, func(config.Config) (Mailer, error) { return nil, refused })(cfg); !errors.Is(err, refused) {
		t.Errorf("a mailer that cannot be made: %v", err)
	}
}
