package patterns

import (
	"bytes"
	"fmt"
	"time"
)

// Syslog files, kern.log, journal exports and dmesg output (catalog §5).
// A record starts with one of these stamps; the lines after it that start
// with none (a multi-line journal message, indented) are its continuation:
//
//	Nov 23 14:02:10 host kernel: [12345.678901] Out of memory: Killed process 1234 (php-fpm8.2) …   BSD syslog (RFC 3164), journalctl -o short
//	Nov 23 14:02:10.123456 host systemd[1]: …                                                     journalctl -o short-precise
//	2026-11-23T14:02:10.123456+01:00 host kernel: …                                              rsyslog RFC 3339, journalctl -o short-iso(-precise) (+0100 too)
//	<30>1 2026-11-23T14:02:10.123456+01:00 host app 123 - - message                               RFC 5424 (with <PRI>)
//	[Mon Nov 23 14:02:10 2026] Out of memory: …                                                   dmesg -T (local time)
//	2026-11-23T14:02:10,123456+01:00 Out of memory: …                                             dmesg --time-format iso
//	-- Boot 0123abcd… --                                                                           journalctl's markers: valid, ErrNoEvent
//	[12345.678901] Out of memory: …                                                               raw dmesg: rejected, see below
//
// An optional <PRI> may precede the first three forms. After a syslog stamp
// come the host and a tag, `program[pid]: ` or `program: `; a line without a
// tag (`host -- MARK --`, macOS `launchd[1] (…)`) is still a record, with
// Program empty and the text after the host as Message; a line with no host
// (`--- last message repeated 2 times ---`) likewise. dmesg lines have no
// host and Program "kernel". A kernel message's own `[SECONDS.USEC] ` stamp
// (and a `[ T123]` caller id after it) is left out of Message.
//
// Time. RFC 3339 stamps are exact. BSD stamps have no zone and no year: they
// are read in the parser's location, in the year that puts them at most one
// day after the reference time given to NewSyslogParser (the file's
// modification time): a December line of a file last written in January
// belongs to the year before. This needs no state, so a file that spans New
// Year reads right in any order (one that spans more than a year does not:
// its oldest lines are put a year late). NewParser's parser has no reference time
// and rejects BSD stamps (ErrMalformed) rather than guess a year. dmesg -T
// stamps are local time (loc). Raw dmesg stamps count seconds since boot, not
// a time of day (and the kernel's clock stops in suspend): those lines are
// rejected with ErrMalformed, their message says what to read instead.
//
// Events decoded from the message (Syslog.Event); the kernel's only from
// lines of program "kernel" and from dmesg lines, systemd's only from lines
// of a program whose name starts with "systemd":
//
//	oom_invoked      php-fpm8.2 invoked oom-killer: gfp_mask=…, order=0, oom_score_adj=0     (Comm: the task that invoked it)
//	oom_kill         Out of memory: Killed process 1234 (php-fpm8.2) total-vm:812345kB, anon-rss:512000kB, …
//	                 Memory cgroup out of memory: Killed process …, Out of memory (oom_kill_allocating_task): Killed process …
//	                 Killed process 1234 (php-fpm8.2) total-vm:…kB, anon-rss:…kB, file-rss:…kB  (no prefix, older kernels)
//	                 Killed process 1234, UID 33, (php-fpm) total-vm:…                          (RHEL 6)
//	                 Out of memory: Kill process 1234 (php-fpm8.2) score 950 or sacrifice child  (kernels before ~4.19)
//	oom_reaped       oom_reaper: reaped process 1234 (php-fpm8.2), now anon-rss:0kB, …         (no RSS kept: it is after the reap)
//	unit_oom_killed  php8.2-fpm.service: A process of this unit has been killed by the OOM killer.
//	                 php8.2-fpm.service: Failed with result 'oom-kill'.
//
// Kernels before ~4.19 write two lines per kill — `Kill process N (comm)
// score S or sacrifice child`, then `Killed process M (comm) total-vm:…` (M
// is a child when one was sacrificed) — and both are oom_kill: count kills
// by the lines that carry TotalVMKB. The `oom-kill:constraint=…,task_memcg=
// CGROUP,task=COMM,pid=N,uid=U` summary line (and the older `Task in CGROUP
// killed as a result of limit of …`) has no event of its own but its
// fields; its cgroup becomes the Unit of the kill lines of the same host
// that follow — of the pid the summary names, or (`Task in`) of any pid —
// until the host's next `invoked oom-killer`. Unit is the cgroup path as the
// kernel wrote it (`/system.slice/php8.2-fpm.service`), or the systemd unit
// name of a systemd line.

var (
	errSyslogStamp    = malformed(KindSyslog, "no syslog, RFC 3339, journal or dmesg stamp")
	errSyslogTime     = malformed(KindSyslog, "bad time")
	errSyslogHost     = malformed(KindSyslog, "no host after the stamp")
	errSyslog5424     = malformed(KindSyslog, "bad RFC 5424 header")
	errSyslogNoYear   = malformed(KindSyslog, "the stamp has no year and the parser was given no reference time (use NewSyslogParser with the file's modification time)")
	errSyslogRawDmesg = malformed(KindSyslog, "raw dmesg stamp [SECONDS.USEC] counts seconds since boot, not a time of day: read kern.log, syslog, `journalctl -k` or `dmesg -T` output instead")
	errSyslogMarker   = &syslNoEvent{"journal marker line"}
)

// syslNoEvent is returned for journalctl's marker lines; it wraps
// ErrNoEvent.
type syslNoEvent struct{ what string }

func (e *syslNoEvent) Error() string { return "syslog " + e.what + ": " + ErrNoEvent.Error() }
func (e *syslNoEvent) Unwrap() error { return ErrNoEvent }

// syslStamp is a decoded stamp.
type syslStamp struct {
	y             int
	mon           time.Month
	d, hh, mm, ss int
	nsec          int
	off           int  // seconds east of UTC, with zoned
	zoned         bool // the stamp has Z or an offset
	noYear        bool // BSD stamp
	fracComa      bool // the fraction followed a comma (dmesg --time-format iso)
}

// valid reports whether the stamp names a real date and time; a stamp
// without a year may be Feb 29.
func (st *syslStamp) valid() bool {
	y := st.y
	if st.noYear {
		y = 2000
	}
	return validDateTime(y, st.mon, st.d, st.hh, st.mm, st.ss)
}

// instant returns the stamp's instant for a stamp with a year.
func (st *syslStamp) instant(loc *time.Location) time.Time {
	if st.zoned {
		sec := daysSinceEpoch(st.y, st.mon, st.d)*86400 + int64(st.hh*3600+st.mm*60+st.ss) - int64(st.off)
		return time.Unix(sec, int64(st.nsec)).UTC()
	}
	return time.Date(st.y, st.mon, st.d, st.hh, st.mm, st.ss, st.nsec, loc).UTC()
}

// syslFrac reads an optional fraction (sep then 1 to 9 digits) at b[i:].
func syslFrac(b []byte, i int, sep byte) (nsec, end int) {
	if i >= len(b) || b[i] != sep {
		return 0, i
	}
	j := i + 1
	for j < len(b) && j < i+10 && isDigit(b[j]) {
		nsec = nsec*10 + int(b[j]-'0')
		j++
	}
	if j == i+1 {
		return 0, i
	}
	for k := j - i - 1; k < 9; k++ {
		nsec *= 10
	}
	return nsec, j
}

// syslClock reads HH:MM:SS at b[i:i+8].
func syslClock(b []byte, i int, st *syslStamp) bool {
	if len(b) < i+8 || b[i+2] != ':' || b[i+5] != ':' {
		return false
	}
	var ok1, ok2, ok3 bool
	st.hh, ok1 = num2(b, i)
	st.mm, ok2 = num2(b, i+3)
	st.ss, ok3 = num2(b, i+6)
	return ok1 && ok2 && ok3
}

// syslISOStamp reads `YYYY-MM-DD<sep>HH:MM:SS[.frac][zone]` at b[i:], the
// fraction after '.' or ',', the zone Z, ±HH:MM or ±HHMM (or none). It
// returns the index after it, or -1. Only the shape is checked.
func syslISOStamp(b []byte, i int, sep byte, st *syslStamp) int {
	if len(b) < i+19 || b[i+4] != '-' || b[i+7] != '-' || b[i+10] != sep {
		return -1
	}
	y, ok1 := num4(b, i)
	mo, ok2 := num2(b, i+5)
	d, ok3 := num2(b, i+8)
	if !ok1 || !ok2 || !ok3 || !syslClock(b, i+11, st) {
		return -1
	}
	*st = syslStamp{y: y, mon: time.Month(mo), d: d, hh: st.hh, mm: st.mm, ss: st.ss}
	j := i + 19
	if j < len(b) && (b[j] == '.' || b[j] == ',') {
		st.fracComa = b[j] == ','
		st.nsec, j = syslFrac(b, j, b[j])
	}
	if j < len(b) && b[j] == 'Z' {
		st.zoned = true
		return j + 1
	}
	if j < len(b) && (b[j] == '+' || b[j] == '-') && len(b) >= j+5 {
		oh, okh := num2(b, j+1)
		k := j + 3
		if k < len(b) && b[k] == ':' {
			k++
		}
		if len(b) < k+2 {
			return j
		}
		om, okm := num2(b, k)
		if !okh || !okm || oh > 23 || om > 59 {
			return j
		}
		st.zoned, st.off = true, oh*3600+om*60
		if b[j] == '-' {
			st.off = -st.off
		}
		return k + 2
	}
	return j
}

// syslBSDStamp reads `Mmm dd HH:MM:SS[.frac]` (day space- or zero-padded)
// at b[i:]; it returns the index after it, or -1.
func syslBSDStamp(b []byte, i int, st *syslStamp) int {
	if len(b) < i+15 || b[i+3] != ' ' || b[i+6] != ' ' {
		return -1
	}
	m := monthAbbr(b, i)
	if m == 0 {
		return -1
	}
	d1 := b[i+5] - '0'
	d0 := b[i+4]
	if d1 > 9 || (d0 != ' ' && !isDigit(d0)) {
		return -1
	}
	d := int(d1)
	if d0 != ' ' {
		d += 10 * int(d0-'0')
	}
	if !syslClock(b, i+7, st) {
		return -1
	}
	*st = syslStamp{mon: m, d: d, hh: st.hh, mm: st.mm, ss: st.ss, noYear: true}
	st.nsec, i = syslFrac(b, i+15, '.')
	return i
}

// syslIsWeekday reports whether b[i:i+3] is an English weekday abbreviation.
func syslIsWeekday(b []byte, i int) bool {
	switch string(b[i : i+3]) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// syslDmesgT reads dmesg -T's `[Www Mmm dd HH:MM:SS YYYY]` at the start of
// b (day space- or zero-padded); it returns the index after ']', or -1.
func syslDmesgT(b []byte, st *syslStamp) int {
	if len(b) < 26 || b[0] != '[' || b[4] != ' ' || b[20] != ' ' || b[25] != ']' || !syslIsWeekday(b, 1) {
		return -1
	}
	if syslBSDStamp(b[:20], 5, st) != 20 {
		return -1
	}
	y, ok := num4(b, 21)
	if !ok {
		return -1
	}
	st.y, st.noYear = y, false
	return 26
}

// syslRawDmesg reports whether b starts with a raw dmesg stamp
// `[ SECONDS.USEC]`, optionally after `<LEVEL>` (dmesg -r).
func syslRawDmesg(b []byte) bool {
	i := syslPRI(b)
	_, end := syslUptime(b, i)
	return end > 0
}

// syslUptime reads a kernel stamp `[  SECONDS.USEC]` at b[i:]; it returns
// the index after ']', or -1.
func syslUptime(b []byte, i int) (start, end int) {
	if i >= len(b) || b[i] != '[' {
		return i, -1
	}
	j := i + 1
	for j < len(b) && j < i+16 && b[j] == ' ' {
		j++
	}
	_, e := parseDecimal(b, j, 10)
	if e <= j || e >= len(b) || b[e] != '.' {
		return i, -1
	}
	_, f := parseDecimal(b, e+1, 9)
	if f <= e+1 || f >= len(b) || b[f] != ']' {
		return i, -1
	}
	return i, f + 1
}

// syslPRI returns the index after a leading `<N>` (1 to 3 digits), or 0.
func syslPRI(b []byte) int {
	if len(b) < 3 || b[0] != '<' {
		return 0
	}
	_, e := parseDecimal(b, 1, 3)
	if e <= 1 || e >= len(b) || b[e] != '>' {
		return 0
	}
	return e + 1
}

// syslMarker reports whether line is one of journalctl's marker lines:
// `-- Logs begin at … --`, `-- Boot ID --`, `-- Reboot --`, `-- No entries --`.
func syslMarker(line []byte) bool {
	line = stripCR(line)
	return len(line) >= 6 && line[0] == '-' && line[1] == '-' && line[2] == ' ' &&
		line[len(line)-3] == ' ' && line[len(line)-2] == '-' && line[len(line)-1] == '-' &&
		line[3] != '-'
}

// Forms of syslog records.
const (
	syslFormBSD = iota + 1
	syslFormISO
	syslForm5424
	syslFormDmesgT
	syslFormDmesgISO
	syslFormMarker
)

// syslogStarts reports whether line begins a record: it starts with one of
// the stamps above (shape only) or is a journal marker. Raw dmesg lines
// start records too, so that each is rejected on its own.
func syslogStarts(line []byte) bool {
	var st syslStamp
	i := syslPRI(line)
	switch {
	case syslBSDStamp(line, i, &st) > 0, syslISOStamp(line, i, 'T', &st) > 0, syslDmesgT(line, &st) > 0:
		return true
	case i > 0 && len(line) > i+2 && line[i] == '1' && line[i+1] == ' ':
		return syslISOStamp(line, i+2, 'T', &st) > 0
	}
	return syslRawDmesg(line) || syslMarker(line)
}

// Syslog events.
const (
	syslEvNone = iota
	syslEvOOMInvoked
	syslEvOOMKill
	syslEvOOMReaped
	syslEvUnitOOMKilled
)

var syslEventNames = [...]string{
	syslEvNone:          "",
	syslEvOOMInvoked:    "oom_invoked",
	syslEvOOMKill:       "oom_kill",
	syslEvOOMReaped:     "oom_reaped",
	syslEvUnitOOMKilled: "unit_oom_killed",
}

// syslSpans is a parsed syslog record as byte ranges of it.
type syslSpans struct {
	st     syslStamp
	form   int
	host   span
	prog   span
	pid    int
	msg    span // to the end of the record, continuation lines included
	tagged bool // a program tag was found (or dmesg: the kernel)

	event      int
	victim     int
	comm, unit span
	anon, vm   int64
	memcgPID   int  // the pid named with unit by a summary line
	memcgOnly  bool // the line names a cgroup for the next kill line: memcgPID, unit
}

// syslScan parses rec's header and decodes its message.
func syslScan(rec []byte, s *syslSpans) error {
	line := stripCR(rec)
	if nl := bytes.IndexByte(rec, '\n'); nl >= 0 {
		line = stripCR(rec[:nl])
	}
	*s = syslSpans{}
	if syslMarker(line) {
		s.form, s.tagged = syslFormMarker, true
		return nil
	}
	if j := syslDmesgT(line, &s.st); j > 0 {
		s.form = syslFormDmesgT
		return syslKernelOnly(rec, line, j, s)
	}
	i := syslPRI(line)
	j := syslBSDStamp(line, i, &s.st)
	s.form = syslFormBSD
	if j < 0 {
		j = syslISOStamp(line, i, 'T', &s.st)
		s.form = syslFormISO
		if j > 0 && s.st.fracComa && i == 0 {
			if !s.st.zoned {
				return errSyslogStamp
			}
			s.form = syslFormDmesgISO
			return syslKernelOnly(rec, line, j, s)
		}
	}
	if j < 0 && i > 0 && len(line) > i+2 && line[i] == '1' && line[i+1] == ' ' {
		j = syslISOStamp(line, i+2, 'T', &s.st)
		if j > 0 {
			s.form = syslForm5424
			if !s.st.valid() {
				return errSyslogTime
			}
			return sysl5424(rec, line, j, s)
		}
	}
	if j < 0 {
		if syslRawDmesg(line) {
			return errSyslogRawDmesg
		}
		return errSyslogStamp
	}
	if !s.st.valid() || (s.form == syslFormISO && s.st.fracComa) {
		return errSyslogTime
	}
	if j >= len(line) || line[j] != ' ' {
		return errSyslogHost
	}
	j++
	// `--- last message repeated N times ---` without a host.
	if bytes.HasPrefix(line[j:], []byte("--- ")) {
		s.msg = span{j, len(rec)}
		return nil
	}
	h := j
	for h < len(line) && line[h] != ' ' {
		h++
	}
	if h == j {
		return errSyslogHost
	}
	s.host = span{j, h}
	if h == len(line) {
		s.msg = span{h, len(rec)}
		return nil
	}
	syslTag(rec, line, h+1, s)
	syslDecode(line, s, bytes.Equal(line[s.prog.i:s.prog.j], syslKernel))
	return nil
}

// syslKernelOnly fills s for a dmesg line whose stamp ends at line[j:].
func syslKernelOnly(rec, line []byte, j int, s *syslSpans) error {
	if !s.st.valid() {
		return errSyslogTime
	}
	if j < len(line) && line[j] == ' ' {
		j++
	}
	s.prog = span{}
	s.tagged = true
	s.msg = span{j, len(rec)}
	syslDecode(line, s, true)
	return nil
}

var syslKernel = []byte("kernel")

// syslTag reads `program[pid]: ` or `program: ` at line[t0:] and sets the
// message after it; without a tag the message starts at t0.
func syslTag(rec, line []byte, t0 int, s *syslSpans) {
	s.msg = span{t0, len(rec)}
	k := t0
	for k < len(line) && k < t0+128 && line[k] > ' ' && line[k] != ':' && line[k] != '[' && line[k] != 0x7f {
		k++
	}
	if k == t0 || k >= len(line) {
		return
	}
	pid, m := 0, k
	switch line[k] {
	case ':':
		m = k + 1
	case '[':
		v, e := parseDecimal(line, k+1, 10)
		if e <= k+1 || e+1 >= len(line) || line[e] != ']' || line[e+1] != ':' || int64(int(v)) != v {
			return
		}
		pid, m = int(v), e+2
	default:
		return
	}
	if m < len(line) && line[m] == ' ' {
		m++
	}
	s.prog, s.pid, s.tagged = span{t0, k}, pid, true
	s.msg = span{m, len(rec)}
	if bytes.Equal(line[t0:k], syslKernel) {
		syslSkipUptime(line, s)
	}
}

// syslSkipUptime drops a kernel message's own `[SECONDS.USEC] ` stamp, and a
// `[ T123]`/`[C1]` caller id after it, from s.msg.
func syslSkipUptime(line []byte, s *syslSpans) {
	_, e := syslUptime(line, s.msg.i)
	if e < 0 {
		return
	}
	if e < len(line) && line[e] == '[' {
		c := e + 1
		for c < len(line) && c < e+8 && line[c] == ' ' {
			c++
		}
		if c < len(line) && (line[c] == 'T' || line[c] == 'C') {
			_, x := parseDecimal(line, c+1, 10)
			if x > c+1 && x < len(line) && line[x] == ']' {
				e = x + 1
			}
		}
	}
	if e < len(line) && line[e] == ' ' {
		e++
	}
	s.msg.i = e
}

// sysl5424 reads the rest of an RFC 5424 header after the stamp at
// line[j:]: HOST APP PROCID MSGID SD [MSG], "-" for a nil value.
func sysl5424(rec, line []byte, j int, s *syslSpans) error {
	var f [4]span
	for n := range f {
		if j >= len(line) || line[j] != ' ' {
			return errSyslog5424
		}
		j++
		k := j
		for k < len(line) && line[k] != ' ' {
			k++
		}
		if k == j {
			return errSyslog5424
		}
		f[n] = span{j, k}
		j = k
	}
	if j >= len(line) || line[j] != ' ' {
		return errSyslog5424
	}
	j++
	// structured data: "-" or one or more [ID PARAM="VALUE" …], where a
	// VALUE escapes '"', '\' and ']' with '\'.
	switch {
	case j < len(line) && line[j] == '-':
		j++
	case j < len(line) && line[j] == '[':
		for j < len(line) && line[j] == '[' {
			q := false
			k := j + 1
			for ; k < len(line); k++ {
				c := line[k]
				if c == '\\' && q {
					k++
				} else if c == '"' {
					q = !q
				} else if c == ']' && !q {
					break
				}
			}
			if k >= len(line) {
				return errSyslog5424
			}
			j = k + 1
		}
	default:
		return errSyslog5424
	}
	if j < len(line) {
		if line[j] != ' ' {
			return errSyslog5424
		}
		j++
	}
	if bytes.HasPrefix(line[j:], []byte("\xef\xbb\xbf")) { // BOM
		j += 3
	}
	nilv := func(x span) span {
		if x.j-x.i == 1 && line[x.i] == '-' {
			return span{x.i, x.i}
		}
		return x
	}
	s.host, s.prog = nilv(f[0]), nilv(f[1])
	if v, e := parseDecimal(line, f[2].i, 10); e == f[2].j && e > f[2].i && int64(int(v)) == v {
		s.pid = int(v)
	}
	s.tagged = s.prog.i < s.prog.j
	s.msg = span{j, len(rec)}
	syslDecode(line, s, bytes.Equal(line[s.prog.i:s.prog.j], syslKernel))
	return nil
}

var (
	syslInvoked     = []byte(" invoked oom-killer: ")
	syslConstraint  = []byte("oom-kill:constraint=")
	syslTaskMemcg   = []byte(",task_memcg=")
	syslTaskComm    = []byte(",task=")
	syslTaskPID     = []byte(",pid=")
	syslTaskIn      = []byte("Task in ")
	syslKilledAsRes = []byte(" killed as a result of limit of ")
	syslKilled      = []byte("Killed process ")
	syslKill        = []byte("Kill process ")
	syslOutOfMemory = []byte("ut of memory")
	syslSacrifice   = []byte(" or sacrifice child")
	syslUID         = []byte(", UID ")
	syslReaped      = []byte("oom_reaper: reaped process ")
	syslTotalVM     = []byte("total-vm:")
	syslAnonRSS     = []byte("anon-rss:")
	syslUnitOOM     = []byte(": A process of this unit has been killed by the OOM killer")
	syslUnitFailed  = []byte(": Failed with result 'oom-kill'")
	syslAnchorOOM   = []byte("oom")
	syslAnchorProc  = []byte("process ")
	syslSystemd     = []byte("systemd")
)

// syslDecode decodes the OOM killer's messages of the first line of s.msg
// when kernel says the line is the kernel's, and systemd's OOM messages when
// the program is systemd.
func syslDecode(line []byte, s *syslSpans, kernel bool) {
	m0 := s.msg.i
	if m0 >= len(line) {
		return
	}
	m := line[m0:]
	if !kernel {
		if bytes.HasPrefix(line[s.prog.i:s.prog.j], syslSystemd) {
			syslDecodeSystemd(m, m0, s)
		}
		return
	}
	// Every message decoded below holds "oom" or "process ", or starts with
	// "Task in ": rule the others out cheaply.
	if !bytes.Contains(m, syslAnchorOOM) && !bytes.Contains(m, syslAnchorProc) && !bytes.HasPrefix(m, syslTaskIn) {
		return
	}
	switch {
	case bytes.HasPrefix(m, syslReaped):
		if pid, comm, _, ok := syslProcess(m, len(syslReaped)); ok {
			s.event, s.victim, s.comm = syslEvOOMReaped, pid, syslShift(comm, m0)
		}
		return
	case bytes.HasPrefix(m, syslConstraint):
		syslSummary(m, m0, s)
		return
	case bytes.HasPrefix(m, syslTaskIn):
		if x := bytes.Index(m, syslKilledAsRes); x > len(syslTaskIn) {
			s.unit = span{m0 + len(syslTaskIn), m0 + x}
			s.memcgOnly = true
		}
		return
	}
	if x := bytes.Index(m, syslInvoked); x > 0 && x <= 64 {
		s.event, s.comm = syslEvOOMInvoked, span{m0, m0 + x}
		return
	}
	for _, kill := range [...]struct {
		verb     []byte
		selected bool // "Kill process … or sacrifice child"
	}{{syslKilled, false}, {syslKill, true}} {
		x := bytes.Index(m, kill.verb)
		if x < 0 {
			continue
		}
		// "Killed process" alone (older kernels) or after "…out of memory…: ";
		// "Kill process" only after the latter.
		prefixed := x >= 2 && m[x-2] == ':' && m[x-1] == ' ' && bytes.Contains(m[:x], syslOutOfMemory)
		if !prefixed && (x > 0 || kill.selected) {
			continue
		}
		pid, comm, rest, ok := syslProcess(m, x+len(kill.verb))
		if !ok || (kill.selected && !bytes.Contains(m[rest:], syslSacrifice)) {
			continue
		}
		s.event, s.victim, s.comm = syslEvOOMKill, pid, syslShift(comm, m0)
		s.vm, _ = syslKB(m, rest, syslTotalVM)
		s.anon, _ = syslKB(m, rest, syslAnonRSS)
		return
	}
}

// syslShift moves s by d bytes.
func syslShift(s span, d int) span { return span{s.i + d, s.j + d} }

// syslDecodeSystemd decodes systemd's `UNIT: A process of this unit has
// been killed by the OOM killer.` and `UNIT: Failed with result
// 'oom-kill'.` in m, the message at m0.
func syslDecodeSystemd(m []byte, m0 int, s *syslSpans) {
	for _, suffix := range [...][]byte{syslUnitOOM, syslUnitFailed} {
		if x := bytes.Index(m, suffix); x > 0 && bytes.IndexByte(m[:x], ' ') < 0 {
			s.event, s.unit = syslEvUnitOOMKilled, span{m0, m0 + x}
			return
		}
	}
}

// syslProcess reads `N (comm)` (or RHEL 6's `N, UID U, (comm)`) at m[i:],
// N > 0. A comm has 1 to 15 bytes and may hold spaces and parentheses:
// it ends at the last ')' within 16 bytes that is followed by the end, ' ',
// ',' or '.'. It returns the index after ')'.
func syslProcess(m []byte, i int) (pid int, comm span, rest int, ok bool) {
	v, e := parseDecimal(m, i, 10)
	if e <= i || v == 0 || int64(int(v)) != v {
		return 0, span{}, 0, false
	}
	if bytes.HasPrefix(m[e:], syslUID) {
		_, u := parseDecimal(m, e+len(syslUID), 10)
		if u <= e+len(syslUID) || u >= len(m) || m[u] != ',' {
			return 0, span{}, 0, false
		}
		e = u + 1
	}
	if e+1 >= len(m) || m[e] != ' ' || m[e+1] != '(' {
		return 0, span{}, 0, false
	}
	c0 := e + 2
	end := -1
	for k := c0 + 1; k < len(m) && k <= c0+15; k++ { // comm: 15 bytes at most (TASK_COMM_LEN)
		if m[k] == ')' && (k+1 == len(m) || m[k+1] == ' ' || m[k+1] == ',' || m[k+1] == '.') {
			end = k
		}
	}
	if end < 0 {
		return 0, span{}, 0, false
	}
	return int(v), span{c0, end}, end + 1, true
}

// syslKB reads the number of `key NkB` in m[i:].
func syslKB(m []byte, i int, key []byte) (int64, bool) {
	x := bytes.Index(m[i:], key)
	if x < 0 {
		return 0, false
	}
	x += i + len(key)
	v, e := parseDecimal(m, x, 18)
	if e <= x || !bytes.HasPrefix(m[e:], []byte("kB")) {
		return 0, false
	}
	return v, true
}

// syslSummary reads the oom-kill summary line
// `oom-kill:constraint=C,nodemask=…[,oom_memcg=M],task_memcg=T,task=COMM,pid=N,uid=U`.
func syslSummary(m []byte, m0 int, s *syslSpans) {
	p := lastIndex(m, syslTaskPID)
	if p < 0 {
		return
	}
	pid, e := parseDecimal(m, p+len(syslTaskPID), 10)
	if e <= p+len(syslTaskPID) || (e < len(m) && m[e] != ',') || pid == 0 || int64(int(pid)) != pid {
		return
	}
	t := lastIndex(m[:p], syslTaskComm)
	if t < 0 || t+len(syslTaskComm) == p {
		return
	}
	s.victim, s.comm = int(pid), span{m0 + t + len(syslTaskComm), m0 + p}
	if u := bytes.Index(m[:t], syslTaskMemcg); u >= 0 {
		s.unit = span{m0 + u + len(syslTaskMemcg), m0 + t}
		s.memcgOnly, s.memcgPID = true, int(pid)
	}
}

// syslogParser is the Parser for KindSyslog. It carries the cgroup of an OOM
// summary line to the kill line after it: use one per file, in file order.
type syslogParser struct {
	loc     *time.Location
	ref     time.Time // zero: no year for BSD stamps
	refYear int

	memHost, memUnit string
	memPID           int
}

var _ Parser = (*syslogParser)(nil)

// NewSyslogParser returns the Parser of KindSyslog, as NewParser does, but
// with a reference time for stamps that carry no year (BSD syslog,
// journalctl -o short): pass the modification time of the file. Each such
// stamp is read in loc, in ref's year or, when that puts it more than a day
// after ref, the year before (the latest year, for Feb 29). With a zero ref
// (NewParser's choice) those stamps are rejected. loc must not be nil.
func NewSyslogParser(loc *time.Location, ref time.Time) (Parser, error) {
	if loc == nil {
		return nil, fmt.Errorf("cannot make %s parser: nil time zone (pass time.Local or the zone the log was written in)", KindSyslog)
	}
	p := &syslogParser{loc: loc, ref: ref}
	if !ref.IsZero() {
		p.refYear = ref.In(loc).Year()
	}
	return p, nil
}

// time returns the instant of s's stamp.
func (p *syslogParser) time(st *syslStamp) (time.Time, error) {
	if !st.noYear {
		return st.instant(p.loc), nil
	}
	if p.ref.IsZero() {
		return time.Time{}, errSyslogNoYear
	}
	limit := p.ref.Add(24 * time.Hour)
	for y := p.refYear; y > p.refYear-9; y-- {
		if !validDateTime(y, st.mon, st.d, st.hh, st.mm, st.ss) {
			continue
		}
		t := time.Date(y, st.mon, st.d, st.hh, st.mm, st.ss, st.nsec, p.loc)
		if !t.After(limit) {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errSyslogTime
}

func (p *syslogParser) Parse(rec []byte, ev *Event) error {
	var s syslSpans
	if err := syslScan(rec, &s); err != nil {
		return err
	}
	if s.form == syslFormMarker {
		return errSyslogMarker
	}
	t, err := p.time(&s.st)
	if err != nil {
		return err
	}
	text := string(rec)
	x := &Syslog{
		Host:      s.host.str(text),
		Program:   s.prog.str(text),
		PID:       s.pid,
		Message:   s.msg.str(text),
		Event:     syslEventNames[s.event],
		VictimPID: s.victim,
		Comm:      s.comm.str(text),
		AnonRSSKB: s.anon,
		TotalVMKB: s.vm,
		Unit:      s.unit.str(text),
	}
	if s.form == syslFormDmesgT || s.form == syslFormDmesgISO {
		x.Program = "kernel"
	}
	switch {
	case s.memcgOnly:
		p.memHost, p.memUnit, p.memPID = x.Host, x.Unit, s.memcgPID
	case s.event == syslEvOOMInvoked && p.memHost == x.Host:
		p.memHost, p.memUnit, p.memPID = "", "", 0 // a new OOM episode
	case s.event == syslEvOOMKill && x.Unit == "" && p.memUnit != "" && p.memHost == x.Host &&
		(p.memPID == 0 || p.memPID == x.VictimPID):
		x.Unit = p.memUnit
	}
	*ev = Event{
		Time:   t,
		Kind:   KindSyslog,
		Path:   ev.Path,
		Offset: ev.Offset,
		Text:   text,
		Syslog: x,
	}
	return nil
}

// syslogMatches reports whether l is a syslog record with a program tag (or
// a dmesg or journal line) that no other kind reads: HAProxy, for one,
// writes through syslog, and its lines are HAProxy's.
func syslogMatches(l []byte) bool {
	var s syslSpans
	if syslScan(l, &s) != nil || !s.tagged {
		return false
	}
	for k := KindUnknown + 1; k < numKinds; k++ {
		if k != KindSyslog && formats[k].matches != nil && formats[k].matches(l) {
			return false
		}
	}
	return true
}

func appendSyslogFields(dst []byte, e *Event) []byte {
	x := e.Syslog
	if x == nil {
		return dst
	}
	dst = appendStringField(dst, "host", x.Host)
	dst = appendStringField(dst, "program", x.Program)
	if x.PID != 0 {
		dst = appendIntField(dst, "pid", int64(x.PID))
	}
	dst = appendStringField(dst, "message", x.Message)
	dst = appendStringField(dst, "event", x.Event)
	if x.VictimPID != 0 {
		dst = appendIntField(dst, "victim_pid", int64(x.VictimPID))
	}
	dst = appendStringField(dst, "comm", x.Comm)
	if x.AnonRSSKB != 0 {
		dst = appendIntField(dst, "anon_rss_kb", x.AnonRSSKB)
	}
	if x.TotalVMKB != 0 {
		dst = appendIntField(dst, "total_vm_kb", x.TotalVMKB)
	}
	return appendStringField(dst, "unit", x.Unit)
}

func init() {
	register(KindSyslog, format{
		newParser: func(loc *time.Location, ref time.Time) Parser {
			p, _ := NewSyslogParser(loc, ref)
			return p
		},
		starts:       syslogStarts,
		matches:      syslogMatches,
		appendFields: appendSyslogFields,
	})
}
