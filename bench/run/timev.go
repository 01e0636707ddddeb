package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Usage is one run of a command as `/usr/bin/time -v` reports it.
type Usage struct {
	Wall   time.Duration // the runner's own clock around the process when set; else time's (10 ms steps)
	User   time.Duration
	Sys    time.Duration
	MaxRSS int64 // bytes
	Exit   int
}

// CPU is user + system time.
func (u Usage) CPU() time.Duration { return u.User + u.Sys }

// parseTimeV reads the report of GNU time's -v: user and system seconds,
// the elapsed wall clock, the maximum resident set size and the exit
// status. An error when one is missing (time did not run the command, or
// its output is not GNU time's).
func parseTimeV(out string) (Usage, error) {
	var u Usage
	seen := 0
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ": ")
		if !ok {
			continue
		}
		var err error
		switch {
		case key == "User time (seconds)":
			u.User, err = seconds(val)
		case key == "System time (seconds)":
			u.Sys, err = seconds(val)
		case strings.HasPrefix(key, "Elapsed (wall clock) time"):
			u.Wall, err = clock(val)
		case key == "Maximum resident set size (kbytes)":
			var kb int64
			kb, err = strconv.ParseInt(val, 10, 64)
			u.MaxRSS = kb * 1024
		case key == "Exit status":
			u.Exit, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return u, fmt.Errorf("cannot read %q of /usr/bin/time -v: %w", key, err)
		}
		seen++
	}
	if seen != 5 {
		return u, fmt.Errorf("cannot read /usr/bin/time -v's report (%d of its 5 values found): is /usr/bin/time GNU time (apt-get install time)?\n%s", seen, out)
	}
	return u, nil
}

func seconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(s, 64)
	return time.Duration(f * float64(time.Second)), err
}

// clock reads time's elapsed time: h:mm:ss or m:ss.ss.
func clock(s string) (time.Duration, error) {
	parts := strings.Split(s, ":")
	var d float64
	for _, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, err
		}
		d = d*60 + f
	}
	return time.Duration(d * float64(time.Second)), nil
}

// loadAverage reads the three load averages of /proc/loadavg's text.
func loadAverage(text string) ([3]float64, error) {
	var l [3]float64
	f := strings.Fields(text)
	if len(f) < 3 {
		return l, fmt.Errorf("cannot read the load average from %q", text)
	}
	for i := range l {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			return l, fmt.Errorf("cannot read the load average from %q: %w", text, err)
		}
		l[i] = v
	}
	return l, nil
}
