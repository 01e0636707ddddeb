package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/schedule"
)

// Report is one entry of reports: a report that `logcause watch` mails
// on a schedule, covering the window [run − Since, run).
type Report struct {
	Name     string   `yaml:"name"`     // optional; keys the last run kept in the store
	Schedule string   `yaml:"schedule"` // crontab spec, wall-clock times in TZ
	TZ       string   `yaml:"tz"`       // "": this machine's zone
	Email    []string `yaml:"email"`    // the recipients
	Since    string   `yaml:"since"`    // a duration (24h) or calendar days (1d); default 24h
}

// DefaultReportSince is the window of a report that gives no since.
const DefaultReportSince = "24h"

// checkReports fills the reports' defaults and checks each, naming it.
func checkReports(name string, reports []Report) error {
	keys := map[string]bool{}
	for i := range reports {
		r := &reports[i]
		if r.Since == "" {
			r.Since = DefaultReportSince
		}
		if err := r.check(); err != nil {
			return fmt.Errorf("invalid config %s: report %s: %w", name, r.label(i), err)
		}
		if keys[r.Key()] {
			return fmt.Errorf("invalid config %s: report %s: another report has the same name (or, without names, the same schedule, zone and recipients): give each a distinct name", name, r.label(i))
		}
		keys[r.Key()] = true
	}
	return nil
}

func (r Report) check() error {
	zone, err := ParseZone(r.TZ)
	if err != nil {
		return err
	}
	if _, err := schedule.Parse(r.Schedule, cmpZone(zone)); err != nil {
		return err
	}
	if len(r.Email) == 0 {
		return fmt.Errorf("no email: give the list of recipients, e.g. email: [oncall@example.com]")
	}
	if err := checkAddresses(r.Email); err != nil {
		return err
	}
	if !validSince(r.Since) {
		return fmt.Errorf("invalid since %q: give a positive duration (24h, 90m) or a number of calendar days (1d, 7d)", r.Since)
	}
	return nil
}

// label names a report in errors: its name, else its place and schedule.
func (r Report) label(i int) string {
	if r.Name != "" {
		return strconv.Quote(r.Name)
	}
	return fmt.Sprintf("%d (schedule %q)", i+1, r.Schedule)
}

// Key identifies the report across restarts: its name, else its schedule,
// zone and recipients.
func (r Report) Key() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Schedule + " " + r.TZ + " " + strings.Join(r.Email, ",")
}

// Zone is the zone of the schedule's times. Parse has checked it.
func (r Report) Zone() *time.Location {
	z, _ := ParseZone(r.TZ)
	return cmpZone(z)
}

// Cron is the parsed schedule. Parse has checked it.
func (r Report) Cron() *schedule.Schedule {
	s, _ := schedule.Parse(r.Schedule, r.Zone())
	return s
}

// Window is what the run at run covers: [run − since, run), days counted
// as calendar days in the report's zone (1d across a DST change is 23 or
// 25 hours). Parse has checked since.
func (r Report) Window(run time.Time) (since, until time.Time) {
	since, _ = ParseInstant(r.Since, run, r.Zone(), false)
	return since, run
}

// validSince: since is a span back as ParseInstant reads one, Go's
// positive durations or whole days.
func validSince(s string) bool {
	if m := days.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		return err == nil && n > 0
	}
	d, err := time.ParseDuration(s)
	return err == nil && d > 0
}

func cmpZone(z *time.Location) *time.Location {
	if z == nil {
		return time.Local
	}
	return z
}
