package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Case is one command measured on one input.
type Case struct {
	Group string   // the input's key: access, clients, outage, rotated, mysql8, mariadb
	Input string   // the input as the table shows it
	Name  string   // the command as the table shows it
	Args  []string // the command, run in the set's directory
	Reads string   // the file or directory of the set the command reads, warmed before it runs
	Env   []string // added to the environment
	Ref   bool     // the group's `logcause analyze`: the other rows' times are relative to it
	Items int64    // lines (queries for a slow log) the command reads
	Unit  string   // "lines" or "queries"
	Out   string   // stdout's file, in the output directory; "" for /dev/null
	// Check reads the command's stdout (Out) and says whether it did the
	// work: the count a tool printed against the generator's.
	Check func(stdout []byte) error
}

// Result is a case's runs.
type Result struct {
	Case
	Runs []Usage
}

// Best is the run with the shortest wall time.
func (r Result) Best() Usage {
	return slices.MinFunc(r.Runs, func(a, b Usage) int { return int(a.Wall - b.Wall) })
}

// PeakRSS is the largest peak RSS of the runs.
func (r Result) PeakRSS() int64 {
	var m int64
	for _, u := range r.Runs {
		m = max(m, u.MaxRSS)
	}
	return m
}

// Rate is items per second of the best run.
func (r Result) Rate() float64 { return float64(r.Items) / r.Best().Wall.Seconds() }

// find returns the result of a group's command, if measured.
func find(rs []Result, group, name string) (Result, bool) {
	for _, r := range rs {
		if r.Group == group && r.Name == name {
			return r, true
		}
	}
	return Result{}, false
}

// si writes n with a k/M suffix, three significant digits.
func si(n float64) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.3g", n/1e6) + " M"
	case n >= 1e3:
		return fmt.Sprintf("%.3g", n/1e3) + " k"
	}
	return fmt.Sprintf("%.0f", n)
}

func secs(d time.Duration) string {
	if d < 10*time.Second {
		return fmt.Sprintf("%.2f", d.Seconds())
	}
	return fmt.Sprintf("%.1f", d.Seconds())
}

func mb(b int64) string { return fmt.Sprintf("%.0f", float64(b)/1e6) }

// Table is the results as a Markdown table: per input, each command's best
// wall time of the rounds, its CPU time (user + system) and CPU ÷ wall in
// that run, the peak RSS of all rounds, its rate and its time against
// `logcause analyze` of the same input (above 1: logcause analyze is
// faster).
func Table(rs []Result) string {
	var b strings.Builder
	b.WriteString("| input | command | wall s | CPU s | CPU ÷ wall | peak RSS MB | rate | time ÷ `logcause analyze`'s |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, r := range rs {
		u := r.Best()
		ratio := "—"
		if ref, ok := find(rs, r.Group, "logcause analyze"); ok && !r.Ref {
			ratio = fmt.Sprintf("%.2f×", u.Wall.Seconds()/ref.Best().Wall.Seconds())
		}
		fmt.Fprintf(&b, "| %s | `%s` | %s | %s | %.2f | %s | %s %s/s | %s |\n",
			r.Input, r.Name, secs(u.Wall), secs(u.CPU()), u.CPU().Seconds()/u.Wall.Seconds(), mb(r.PeakRSS()), si(r.Rate()), r.Unit, ratio)
	}
	return b.String()
}

// Target is one of issue #14's targets against a run, or a figure printed
// beside them for information (Info: the issue sets no bar, Met is unused).
type Target struct {
	What, Want, Got string
	Met             bool
	Measured        bool
	Info            bool
}

// Targets checks issue #14's targets (the figures are for 1 GB access
// logs and 300 k-query slow logs; the caller says when the set is
// smaller). notes are checks the runner made beside the timings, by key
// (slow-mysql8, slow-mariadb: the digest against pt-query-digest's).
func Targets(rs []Result, notes map[string]Check) []Target {
	var ts []Target
	add := func(what, want string, got func() (string, bool, bool)) {
		g, met, ok := got()
		ts = append(ts, Target{What: what, Want: want, Got: g, Met: met, Measured: ok})
	}
	info := func(what string, got func() (string, bool, bool)) {
		g, _, ok := got()
		ts = append(ts, Target{What: what, Want: "— (no target: information)", Got: g, Measured: ok, Info: true})
	}
	analyze := func(group string) (Result, bool) { return find(rs, group, "logcause analyze") }
	add("access log, `logcause analyze` end to end", "≥ 3 M lines/s", func() (string, bool, bool) {
		a, ok := analyze("access")
		if !ok {
			return "", false, false
		}
		return si(a.Rate()) + " lines/s", a.Rate() >= 3e6, true
	})
	relative := func(group, other string, want float64) func() (string, bool, bool) {
		return func() (string, bool, bool) {
			a, ok1 := analyze(group)
			o, ok2 := find(rs, group, other)
			if !ok1 || !ok2 {
				return "", false, false
			}
			x := o.Best().Wall.Seconds() / a.Best().Wall.Seconds()
			return fmt.Sprintf("%.2f×", x), x >= want, true
		}
	}
	add("access log, faster than lnav's `count(*)`", "≥ 2.5×", relative("access", lnavName, 2.5))
	add("access log, faster than GoAccess", "≥ 50×", relative("access", goaccessName, 50))
	add("access log, CPU ÷ wall of `logcause analyze`", "≥ 1.7", func() (string, bool, bool) {
		a, ok := analyze("access")
		if !ok {
			return "", false, false
		}
		x := a.Best().CPU().Seconds() / a.Best().Wall.Seconds()
		return fmt.Sprintf("%.2f", x), x >= 1.7, true
	})
	for _, g := range []struct{ group, what string }{
		{"access", "access log"}, {"clients", "high-cardinality access log"}, {"outage", "outage-heavy logs"},
		{"rotated", "rotated access logs (days of archives)"}, {"mysql8", "MySQL 8 slow log"}, {"mariadb", "MariaDB slow log"},
	} {
		add("peak RSS of `logcause analyze`, "+g.what, "≤ 150 MB", func() (string, bool, bool) {
			a, ok := analyze(g.group)
			if !ok {
				return "", false, false
			}
			return mb(a.PeakRSS()) + " MB", a.PeakRSS() <= 150e6, true
		})
	}
	perLine := func(group string, want float64) func() (string, bool, bool) {
		return func() (string, bool, bool) {
			o, ok1 := analyze(group)
			a, ok2 := analyze("access")
			if !ok1 || !ok2 {
				return "", false, false
			}
			x := a.Rate() / o.Rate()
			return fmt.Sprintf("%.2f×", x), x <= want, true
		}
	}
	add("outage-heavy logs, time per line against the plain access log", "≤ 1.5×", perLine("outage", 1.5))
	info("rotated access logs, time per line against the plain access log", perLine("rotated", 0))
	for _, g := range []struct{ group, what string }{{"mysql8", "MySQL 8"}, {"mariadb", "MariaDB"}} {
		add(g.what+" slow log, `logcause analyze` (digest) faster than `pt-query-digest --limit 100%`", "≥ 20×", relative(g.group, ptName, 20))
		add(g.what+" slow log, the digest's classes and counts equal pt-query-digest's", "equal", func() (string, bool, bool) {
			c, ok := notes["slow-"+g.group]
			return c.Said, c.OK, ok
		})
	}
	add("`.gz` access log against the plain one", "≥ 80% of plain's speed", func() (string, bool, bool) {
		a, ok1 := analyze("access")
		z, ok2 := find(rs, "access", gzName)
		if !ok1 || !ok2 {
			return "", false, false
		}
		x := a.Best().Wall.Seconds() / z.Best().Wall.Seconds()
		return fmt.Sprintf("%.0f%%", 100*x), x >= 0.8, true
	})
	return ts
}

// Check is the result of a check the runner made beside the timings.
type Check struct {
	OK   bool
	Said string
}

// TargetTable writes the targets as a Markdown table.
func TargetTable(ts []Target) string {
	var b strings.Builder
	b.WriteString("| target (issue #14) | wanted | measured | |\n|---|---|---|---|\n")
	for _, t := range ts {
		verdict := "not met"
		switch {
		case !t.Measured:
			verdict, t.Got = "not measured", "—"
		case t.Info:
			verdict = "information"
		case t.Met:
			verdict = "met"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", t.What, t.Want, t.Got, verdict)
	}
	return b.String()
}
