package config

import (
	"strings"
	"testing"
	"time"
)

// TestReports: an entry is read with its defaults; its zone, schedule
// and window are the entry's.
func TestReports(t *testing.T) {
	cfg, err := Parse("r.yaml", []byte(`reports:
  - schedule: "0 7 * * *"
    tz: Europe/Paris
    email: [oncall@example.com, "Lead <lead@example.com>"]
  - name: weekly
    schedule: "@weekly"
    email: [oncall@example.com]
    since: 7d
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Reports) != 2 {
		t.Fatalf("reports: %+v", cfg.Reports)
	}
	nightly, weekly := cfg.Reports[0], cfg.Reports[1]
	if nightly.Since != "24h" || nightly.Zone().String() != "Europe/Paris" || weekly.Zone() != time.Local {
		t.Errorf("defaults: since %q, zones %s and %s", nightly.Since, nightly.Zone(), weekly.Zone())
	}
	if nightly.Key() == weekly.Key() || weekly.Key() != "weekly" {
		t.Errorf("keys %q and %q", nightly.Key(), weekly.Key())
	}
	// The run after 29 March's spring forward: a day back is 24 hours
	// back with since: 24h, the calendar day (23 hours) with 1d.
	paris := nightly.Zone()
	run := nightly.Cron().Next(time.Date(2026, 3, 29, 6, 0, 0, 0, paris))
	if want := time.Date(2026, 3, 29, 7, 0, 0, 0, paris); !run.Equal(want) {
		t.Fatalf("next run %s, want %s", run, want)
	}
	if since, until := nightly.Window(run); !until.Equal(run) || until.Sub(since) != 24*time.Hour {
		t.Errorf("24h window: [%s, %s)", since, until)
	}
	nightly.Since = "1d"
	if since, _ := nightly.Window(run); !since.Equal(time.Date(2026, 3, 28, 7, 0, 0, 0, paris)) || run.Sub(since) != 23*time.Hour {
		t.Errorf("1d window from %s", since)
	}
}

// TestReportErrors: each bad entry is refused, naming the file and the
// entry.
func TestReportErrors(t *testing.T) {
	entry := func(fields string) string { return "reports:\n  - name: nightly\n" + fields }
	for name, c := range map[string]struct{ text, says string }{
		"bad schedule":   {entry("    schedule: \"0 25 * * *\"\n    email: [a@example.com]\n"), `"nightly": invalid schedule "0 25 * * *"`},
		"no schedule":    {entry("    email: [a@example.com]\n"), `"nightly": empty schedule`},
		"unknown zone":   {entry("    schedule: \"0 7 * * *\"\n    tz: Europe/Lutetia\n    email: [a@example.com]\n"), `"nightly": invalid --tz "Europe/Lutetia"`},
		"no email":       {entry("    schedule: \"0 7 * * *\"\n    email: []\n"), `"nightly": no email`},
		"bad email":      {entry("    schedule: \"0 7 * * *\"\n    email: [\"not an address\"]\n"), `"nightly": invalid email address "not an address"`},
		"bad since":      {entry("    schedule: \"0 7 * * *\"\n    email: [a@example.com]\n    since: yesterday\n"), `"nightly": invalid since "yesterday"`},
		"negative since": {entry("    schedule: \"0 7 * * *\"\n    email: [a@example.com]\n    since: -1h\n"), `invalid since "-1h"`},
		"unnamed":        {"reports:\n  - schedule: \"61 7 * * *\"\n    email: [a@example.com]\n", `report 1 (schedule "61 7 * * *"): invalid schedule`},
		"twice the same": {"reports:\n  - schedule: \"0 7 * * *\"\n    email: [a@example.com]\n  - schedule: \"0 7 * * *\"\n    email: [a@example.com]\n", `report 2 (schedule "0 7 * * *"): another report has the same name`},
		"unknown key":    {entry("    schedule: \"0 7 * * *\"\n    email: [a@example.com]\n    to: [b@example.com]\n"), "field to not found"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Load(writeConfig(t, c.text))
			if err == nil || !strings.Contains(err.Error(), "logcause.yaml") || !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %v, want it to say %q", err, c.says)
			}
		})
	}
}
