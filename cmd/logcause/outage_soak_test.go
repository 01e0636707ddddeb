//go:build soak

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestLiveOutage measures the real `logcause watch` while a site is down,
// live: for -outage.duration (90 s by default; the figures of
// docs/benchmarks.md: -outage.duration 10m -timeout 30m) it writes
// -outage.rate 502s a second to an access log, each with its nginx error
// line ("connect() … failed (11: Resource temporarily unavailable)"),
// php-fpm's "server reached pm.max_children" warning every second, and
// -outage.base requests a second still served, all stamped now, so that
// every analysis of the recent window (each -outage.interval, and at the
// first gateway errors) holds the growing incident. It samples the
// daemon's RSS and CPU each writer's tick and logs, per minute, the peak
// RSS and the CPU share, then the peak (VmHWM), the CPU over the outage
// and what each analysis took (watch --verbose's "analyzed" messages).
//
//	go test -tags soak -run TestLiveOutage -count=1 -v -timeout 30m ./cmd/logcause -outage.duration 10m
//
// It fails unless the daemon announced the outage as one incident, and
// resolved it once the writing stopped, and unless, once it caught up (its
// status API: every log committed to its end) and was stopped, the store
// holds every line written: requests per second and status, every error
// line once. RSS is reported, not bounded: an explanation of the outage
// holds its records.
func TestLiveOutage(t *testing.T) {
	d := *outageDuration
	s := newSoak(t, d)
	s.interval, s.rate, s.rssFlat, s.verbose = outageInterval.String(), *outageBase, false, true
	s.errMsg = "connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream"
	fpm := &soakLog{path: filepath.Join(s.logs, "php8.2-fpm.log")}
	s.open(fpm)
	t.Cleanup(func() { fpm.f.Close() })
	s.start()

	ticker := time.NewTicker(soakTick)
	defer ticker.Stop()
	t0 := time.Now()
	cpu0 := s.w.cpuTime()
	s.bursts = []soakBurstAt{{from: t0.Truncate(time.Second)}}
	s.logf("outage starts: %d gateway errors/s", *outageRate)
	var lastFPM int64
	var now time.Time
	for {
		now = <-ticker.C
		el := now.Sub(t0)
		if el >= d {
			break
		}
		s.w.sample()
		if sec := now.Unix(); sec != lastFPM {
			lastFPM = sec
			line := fmt.Sprintf("[%s] WARNING: [pool www] server reached pm.max_children setting (50), consider raising it\n", now.UTC().Format("02-Jan-2006 15:04:05"))
			if _, err := fpm.f.WriteString(line); err != nil {
				t.Fatal(err)
			}
		}
		for due := int64(el.Seconds() * float64(*outageRate)); s.errs < due; {
			s.writeError(now)
		}
		s.writeAccess(el, now)
	}
	s.bursts[0].to = now
	wall, cpu := now.Sub(t0), s.w.cpuTime()-cpu0
	s.logf("outage ends: %d gateway errors, %d other requests", s.errs, s.lines)
	s.awaitCaughtUp()
	hwm := s.w.procKB("VmHWM")
	s.stop()
	s.check()

	samples := s.rss[0]
	t.Logf("live outage of %s: %d gateway errors (%.0f/s) with their error lines, %d other requests; watch --interval %s",
		wall.Round(time.Second), s.errs, float64(s.errs)/wall.Seconds(), s.lines, s.interval)
	for m := 0; ; m++ {
		var in []soakSample
		for _, x := range samples {
			if x.at >= time.Duration(m)*time.Minute && x.at < time.Duration(m+1)*time.Minute {
				in = append(in, x)
			}
		}
		if len(in) < 2 {
			break
		}
		peak := slices.MaxFunc(in, func(a, b soakSample) int { return int(a.rss - b.rss) })
		share := (in[len(in)-1].cpu - in[0].cpu).Seconds() / (in[len(in)-1].at - in[0].at).Seconds()
		t.Logf("minute %d: peak RSS %.0f MB (RssAnon %.0f MB), CPU %.0f%% of a core", m+1, mb(peak.rss), mb(peak.anon), 100*share)
	}
	t.Logf("peak RSS (VmHWM) %.0f MB; CPU during the outage %s, %.0f%% of a core", float64(hwm)/1024, cpu.Round(10*time.Millisecond), 100*cpu.Seconds()/wall.Seconds())

	took := regexp.MustCompile(`msg=analyzed took=(\S+) incidents=(\d+) explained=(\d+)`)
	var tooks, explaining []time.Duration
	for _, l := range s.stderrOf[0] {
		if m := took.FindStringSubmatch(l); m != nil {
			d, err := time.ParseDuration(m[1])
			if err != nil {
				t.Fatalf("analyzed took=%s: %v", m[1], err)
			}
			tooks = append(tooks, d)
			if m[3] != "0" {
				explaining = append(explaining, d)
			}
		}
	}
	if len(tooks) == 0 {
		t.Fatal("watch --verbose logged no analysis")
	}
	var sum time.Duration
	for _, d := range tooks {
		sum += d
	}
	t.Logf("%d analyses: the first %s, the last %s, the longest %s, %s in all (%.0f%% of the outage's wall time)",
		len(tooks), tooks[0].Round(time.Millisecond), tooks[len(tooks)-1].Round(time.Millisecond),
		slices.Max(tooks).Round(time.Millisecond), sum.Round(time.Millisecond), 100*sum.Seconds()/wall.Seconds())
	t.Logf("%d of them explained an incident (the others reused its last explanation): %v", len(explaining), roundAll(explaining))
}

// roundAll rounds durations to the millisecond, for a log.
func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// procKB returns a field of the daemon's /proc/PID/status, in kB.
func (w *soakWatch) procKB(field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		w.s.t.Fatal(err)
	}
	return procField(data, field)
}
