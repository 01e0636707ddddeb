//go:build soak

package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/api"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

var (
	soakDuration = flag.Duration("soak.duration", 2*time.Minute, "how long the soak writes traffic")
	soakRate     = flag.Int("soak.rate", 2000, "access-log lines written per second, all files together")

	// TestLiveOutage's (outage_soak_test.go).
	outageDuration = flag.Duration("outage.duration", 90*time.Second, "how long the live outage lasts")
	outageRate     = flag.Int("outage.rate", 1000, "gateway errors (502s with their error line) written per second")
	outageBase     = flag.Int("outage.base", 100, "requests still served (static files, status 200-202) per second meanwhile")
	outageInterval = flag.Duration("outage.interval", 10*time.Second, "watch's --interval (its default: 10s)")
)

// The soak's schedule, besides its duration.
const (
	soakTick       = 100 * time.Millisecond // the writer's pacing
	soakBurst      = 3 * time.Second        // an injected incident: 502s and their error lines
	soakBurstRate  = 40                     // 502 lines a second during a burst
	soakBurstEvery = 45 * time.Second       // more than the analysis's 30 s merge gap after the burst
	soakResolve    = 10 * time.Second       // watch's --resolve-after
	soakRSSGrowth  = 1.3                    // the last quarter's RSS peak over the second quarter's, at most
)

// TestSoak runs the real `logcause watch` under traffic for -soak.duration
// (two minutes by default; an hour: -soak.duration 1h -timeout 2h) at
// -soak.rate access-log lines a second across several nginx access logs,
// each file's requests with a status of its own (200 + its number) so that
// the store's per-second counts say which file lost or repeated a line,
// and when. Meanwhile: every few minutes (a twentieth of the run, 10 s at
// least) every log is rotated as logrotate does with delaycompress,
// alternately by rename and create and by copytruncate (the previous .1
// gzipped to .2.gz); new logs appear in the watched directory; incidents
// are injected (bursts of 502s with matching nginx error-log lines,
// every 45 s); at a third of the run watch is SIGKILLed just after it
// announced an incident, and started again; at half of it a SIGHUP reloads
// a config that adds a source, whose log then appears. At the end the
// writing stops, the test waits for the daemon to say (its status API)
// that it read every log to its end and resolved every incident, and
// stops it with SIGTERM. Then:
//
//   - the store's requests, per second and status, equal the lines
//     written: none lost, none counted twice;
//   - every error-log line written is in the store once (by its number);
//   - each log's committed position is its size;
//   - each injected incident was announced open once and resolved once
//     (watch --format json), none again after the restart, and no other;
//   - each process's RSS is flat: the peak of its last quarter is at most
//     1.3 times that of its second quarter.
//
// The writer's pacing is a load generator: no check depends on how long
// anything took; waits for the daemon are bounded only against a hang.
func TestSoak(t *testing.T) {
	d := *soakDuration
	s := newSoak(t, d)
	s.run()
	s.check()
}

// soakLog is a log the soak writes: its live path, the file open on it,
// and the status of its requests.
type soakLog struct {
	path   string
	f      *os.File
	code   int // of its requests; 0: the error log
	reopen bool
}

type soak struct {
	t        *testing.T
	d        time.Duration
	bin, dir string
	logs     string // the watched directory
	logs2    string // the source the reload adds
	storeDir string
	cfg      string
	sd       *systemd
	interval string // watch's --interval
	rate     int    // access-log lines of the logs' own status written per second
	errMsg   string // the nginx error line's message of a failed request
	rssFlat  bool   // check that each process's RSS stays flat
	verbose  bool   // watch --verbose: its debug messages too

	access     []*soakLog
	errLog     *soakLog
	seq        int64                   // the last line number written
	written    map[int64]map[int]int64 // unix second → status → lines
	errs       int64                   // error-log lines written, numbered 1..errs
	lines      int64                   // access-log lines written
	bursts     []soakBurstAt           // injected incidents
	actions    []string                // what happened when, for the failure messages
	rotated    int                     // rotation rounds
	w          *soakWatch              // the running daemon
	prevEvents []soakEvent             // the events of the processes that ended
	rss        [][]soakSample          // per process
	cpu        []time.Duration         // per process, at its end
	procs      int
	stderrOf   [][]string // per process
}

type soakBurstAt struct{ from, to time.Time }

type soakSample struct {
	at         time.Duration // since the process started
	rss        int64
	cpu        time.Duration // CPU time used so far
	anon, file int64         // RssAnon (the heap, stacks, Badger's allocations) and RssFile (Badger's mapped tables and value log)
}

type soakEvent struct {
	proc       int
	at         time.Time // when it was read
	event      string
	start, end time.Time
}

func (e soakEvent) String() string {
	return fmt.Sprintf("%s watch %d: %s %s–%s", e.at.UTC().Format("15:04:05.000"), e.proc, e.event, e.start.UTC().Format("15:04:05"), e.end.UTC().Format("15:04:05"))
}

func newSoak(t *testing.T, d time.Duration) *soak {
	dir := t.TempDir()
	s := &soak{t: t, d: d, dir: dir, logs: filepath.Join(dir, "logs"), logs2: filepath.Join(dir, "logs2"),
		storeDir: filepath.Join(dir, "store"), cfg: filepath.Join(dir, "logcause.yaml"),
		written: map[int64]map[int]int64{}, interval: "2s", rate: *soakRate, rssFlat: true,
		errMsg: "connect() to unix:/run/php/php8.2-fpm.sock failed (111: Connection refused) while connecting to upstream"}
	s.bin = filepath.Join(dir, "logcause")
	if out, err := exec.Command("go", "build", "-o", s.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, out)
	}
	for _, p := range []string{s.logs, s.logs2, filepath.Join(dir, "root")} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte("http {\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	watchConfig(t, s.cfg, s.logs)
	s.sd = listenNotify(t)
	for range 3 {
		s.addAccess(s.logs)
	}
	s.errLog = &soakLog{path: filepath.Join(s.logs, "error.log")}
	s.open(s.errLog)
	t.Cleanup(func() {
		for _, l := range append(slices.Clone(s.access), s.errLog) {
			l.f.Close()
		}
		if t.Failed() {
			s.explain()
		}
	})
	return s
}

func (s *soak) addAccess(dir string) {
	l := &soakLog{path: filepath.Join(dir, fmt.Sprintf("site%d.access.log", len(s.access))), code: 200 + len(s.access)}
	s.open(l)
	s.access = append(s.access, l)
	s.logf("%s appears (status %d)", l.path, l.code)
}

func (s *soak) open(l *soakLog) {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		s.t.Fatal(err)
	}
	l.f, l.reopen = f, false
}

// logf notes what happened, with the time since the start.
func (s *soak) logf(format string, args ...any) {
	s.actions = append(s.actions, time.Now().UTC().Format("15:04:05.000 ")+fmt.Sprintf(format, args...))
}

// run writes the traffic and drives the daemon, for s.d.
func (s *soak) run() {
	s.start()
	rotateEvery := max(s.d/20, 10*time.Second)
	killAt, hupAt := s.d/3, s.d/2
	newAt := []time.Duration{s.d / 5, s.d * 3 / 4}
	killed, hupped := false, false
	nextRotate, nextBurst := rotateEvery, 10*time.Second
	var burst *soakBurstAt
	ticker := time.NewTicker(soakTick)
	defer ticker.Stop()
	t0 := time.Now()
	var burstDone int64
	for {
		now := <-ticker.C
		el := now.Sub(t0)
		if el >= s.d {
			break
		}
		s.w.sample()
		// Incidents: 502s on the first log, each with its error line.
		if burst == nil && el >= nextBurst && el+soakBurst+time.Second < s.d {
			s.bursts = append(s.bursts, soakBurstAt{from: now.Truncate(time.Second)})
			burst, burstDone = &s.bursts[len(s.bursts)-1], 0
			s.logf("incident %d starts", len(s.bursts))
			nextBurst += soakBurstEvery
		}
		if burst != nil {
			due := min(int64(now.Sub(burst.from).Seconds()*soakBurstRate), soakBurstRate*int64(soakBurst/time.Second))
			for ; burstDone < due; burstDone++ {
				s.writeError(now)
			}
			if burstDone == soakBurstRate*int64(soakBurst/time.Second) {
				burst.to = now
				s.logf("incident %d ends", len(s.bursts))
				burst = nil
			}
		}
		s.writeAccess(el, now)
		for _, l := range append(slices.Clone(s.access), s.errLog) {
			if l.reopen { // nginx reopened its logs after a rotation by rename
				l.f.Close()
				s.open(l)
			}
		}
		if el >= nextRotate {
			s.rotate()
			nextRotate += rotateEvery
		}
		if len(newAt) > 0 && el >= newAt[0] {
			newAt = newAt[1:]
			s.addAccess(s.logs)
		}
		// The kill comes while an incident is open: announced, not resolved.
		if !killed && el >= killAt && s.announced(len(s.bursts)) && !s.resolved(len(s.bursts)) {
			killed = true
			s.kill()
		}
		if !hupped && el >= hupAt {
			hupped = true
			s.reload()
		}
	}
	s.logf("writing stops: %d access lines, %d error lines", s.lines, s.errs)
	s.awaitCaughtUp()
	s.stop()
}

// writeAccess writes the access lines due at el, spread over the logs.
func (s *soak) writeAccess(el time.Duration, now time.Time) {
	due := int64(math.Round(el.Seconds()*float64(s.rate))) - s.lines
	stamp := now.UTC().Format("02/Jan/2006:15:04:05 -0700")
	for i := range due {
		s.writeRequest(s.access[int(s.lines+i)%len(s.access)], stamp, now, "GET /page.php?id=%d", 0)
	}
	s.lines += due
}

// writeRequest writes one numbered request to l, with its status (l's
// unless code says otherwise).
func (s *soak) writeRequest(l *soakLog, stamp string, now time.Time, uri string, code int) int64 {
	s.seq++
	if code == 0 {
		code = l.code
	}
	line := fmt.Sprintf("10.0.%d.%d - - [%s] \"%s HTTP/1.1\" %d 512 \"-\" \"soak/1\"\n",
		s.seq%256, s.seq/256%256, stamp, fmt.Sprintf(uri, s.seq), code)
	if _, err := l.f.WriteString(line); err != nil {
		s.t.Fatal(err)
	}
	sec := now.Unix()
	if s.written[sec] == nil {
		s.written[sec] = map[int]int64{}
	}
	s.written[sec][code]++
	return s.seq
}

// writeError writes a failed request: its error line (numbered) and its
// 502 in the first access log.
func (s *soak) writeError(now time.Time) {
	s.errs++
	n := s.errs
	line := fmt.Sprintf("%s [error] 1234#1234: *%d %s, client: 10.0.0.1, server: shop, request: \"GET /cart.php?soak-err=%d HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"shop\"\n",
		now.UTC().Format("2006/01/02 15:04:05"), n, s.errMsg, n)
	if _, err := s.errLog.f.WriteString(line); err != nil {
		s.t.Fatal(err)
	}
	s.writeRequest(s.access[0], now.UTC().Format("02/Jan/2006:15:04:05 -0700"), now, "GET /cart.php?soak-err="+strconv.FormatInt(n, 10)+"&n=%d", 502)
}

// rotate rotates every log as logrotate does with delaycompress:
// .2.gz is dropped, .1 gzipped to .2.gz, the live log becomes .1 — by
// rename (nginx reopens it at the next tick, writing this tick's lines to
// the renamed file) or by copytruncate, in turns.
func (s *soak) rotate() {
	s.rotated++
	for i, l := range append(slices.Clone(s.access), s.errLog) {
		one, two := l.path+".1", l.path+".2.gz"
		if err := os.Remove(two); err != nil && !os.IsNotExist(err) {
			s.t.Fatal(err)
		}
		if _, err := os.Stat(one); err == nil {
			gzipFile(s.t, one, two)
		}
		if (s.rotated+i)%2 == 0 {
			if err := os.Rename(l.path, one); err != nil {
				s.t.Fatal(err)
			}
			l.reopen = true
			s.logf("rotation %d: %s renamed, created again", s.rotated, filepath.Base(l.path))
			continue
		}
		copyLog(s.t, l.path, one)
		if err := l.f.Truncate(0); err != nil {
			s.t.Fatal(err)
		}
		s.logf("rotation %d: %s copytruncated", s.rotated, filepath.Base(l.path))
	}
}

func gzipFile(t *testing.T, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(from); err != nil {
		t.Fatal(err)
	}
}

func copyLog(t *testing.T, from, to string) {
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// announced says whether incident n (from 1) was announced open.
func (s *soak) announced(n int) bool { return s.said("open", n) }

// resolved says whether incident n (from 1) was announced resolved.
func (s *soak) resolved(n int) bool { return s.said("resolve", n) }

func (s *soak) said(event string, n int) bool {
	if n == 0 {
		return false
	}
	for _, e := range s.w.seen() {
		if e.event == event && s.burstOf(e) == n-1 {
			return true
		}
	}
	return false
}

// burstOf returns the injected incident e's incident is, or -1.
func (s *soak) burstOf(e soakEvent) int {
	for i, b := range s.bursts {
		to := b.to
		if to.IsZero() {
			to = b.from.Add(soakBurst)
		}
		if !e.start.Before(b.from.Add(-time.Second)) && !e.start.After(to.Add(time.Second)) {
			return i
		}
	}
	return -1
}

// soakWatch is one process of logcause watch.
type soakWatch struct {
	s       *soak
	proc    int
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{}
	err     error
	mu      sync.Mutex
	events  []soakEvent
	stderr  []string
	news    chan struct{} // a line was logged (stderr), without waiting for the reader of it
}

// told wakes await: a line was logged.
func (w *soakWatch) told() {
	select {
	case w.news <- struct{}{}:
	default: // it will read every line since its last look anyway
	}
}

func (s *soak) start() {
	s.procs++
	w := &soakWatch{s: s, proc: s.procs, exited: make(chan struct{}), news: make(chan struct{}, 1)}
	w.cmd = exec.Command(s.bin, "watch", "--config", s.cfg, "--store", s.storeDir, "--tz", "UTC",
		"--from-start", "--format", "json", "--interval", s.interval, "--resolve-after", soakResolve.String(),
		"--nginx-conf", filepath.Join(s.dir, "nginx.conf"), "--config-root", filepath.Join(s.dir, "root"),
		"--listen", "127.0.0.1:0")
	if s.verbose {
		w.cmd.Args = append(w.cmd.Args, "--verbose")
	}
	// The watchdog's pings, from the daemon's committing loop, are what
	// awaitCaughtUp waits on between two looks at its status.
	w.cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+s.sd.path, "WATCHDOG_USEC=400000")
	stdout, err := w.cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	stderr, err := w.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	w.started = time.Now()
	s.rss = append(s.rss, nil)
	var readers sync.WaitGroup
	readers.Add(2)
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var ev struct {
				Event    string `json:"event"`
				Incident struct {
					Start time.Time `json:"start"`
					End   time.Time `json:"end"`
				} `json:"incident"`
			}
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				w.mu.Lock()
				w.stderr = append(w.stderr, "stdout, not an event: "+sc.Text())
				w.mu.Unlock()
				continue
			}
			w.mu.Lock()
			w.events = append(w.events, soakEvent{proc: w.proc, at: time.Now(), event: ev.Event, start: ev.Incident.Start, end: ev.Incident.End})
			w.mu.Unlock()
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		defer readers.Done()
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			w.mu.Lock()
			w.stderr = append(w.stderr, sc.Text())
			w.mu.Unlock()
			w.told()
		}
		io.Copy(io.Discard, stderr) // past a line too long: the daemon must not block on its log
	}()
	go func() {
		readers.Wait()
		w.err = w.cmd.Wait()
		close(w.exited)
	}()
	s.t.Cleanup(func() {
		select {
		case <-w.exited:
		default:
			// On a failure, SIGQUIT: the Go runtime writes every
			// goroutine's stack to the log before it exits (a daemon
			// stuck shows where).
			sig := os.Signal(syscall.SIGKILL)
			if s.t.Failed() {
				sig = syscall.SIGQUIT
			}
			w.cmd.Process.Signal(sig)
			<-w.exited
		}
	})
	s.w = w
	s.sd.expect("READY=1")
	s.logf("watch %d started (pid %d)", w.proc, w.cmd.Process.Pid)
}

func (w *soakWatch) seen() []soakEvent {
	w.mu.Lock()
	defer w.mu.Unlock()
	var all []soakEvent
	all = append(all, w.s.prevEvents...)
	return append(all, w.events...)
}

// sample notes the daemon's RSS.
func (w *soakWatch) sample() {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", w.cmd.Process.Pid))
	if err != nil {
		return // exiting
	}
	cpu, err := w.cpuSoFar()
	if err != nil {
		return // exiting
	}
	if kb := procField(data, "VmRSS"); kb > 0 {
		w.s.rss[w.proc-1] = append(w.s.rss[w.proc-1], soakSample{
			at: time.Since(w.started), rss: kb << 10, cpu: cpu,
			anon: procField(data, "RssAnon") << 10, file: procField(data, "RssFile") << 10,
		})
	}
}

// cpuTime returns the CPU time the daemon used (utime+stime of
// /proc/PID/stat, in clock ticks of 10 ms).
func (w *soakWatch) cpuTime() time.Duration {
	cpu, err := w.cpuSoFar()
	if err != nil {
		w.s.t.Fatal(err)
	}
	return cpu
}

// cpuSoFar is cpuTime, or an error once the process is gone.
func (w *soakWatch) cpuSoFar() (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", w.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond, nil
}

// ended keeps what the process said once it exited.
func (s *soak) ended(w *soakWatch) {
	<-w.exited
	w.mu.Lock()
	defer w.mu.Unlock()
	s.prevEvents = append(s.prevEvents, w.events...)
	w.events = nil
	s.stderrOf = append(s.stderrOf, w.stderr)
}

// kill SIGKILLs the daemon and starts it again.
func (s *soak) kill() {
	w := s.w
	s.cpu = append(s.cpu, w.cpuTime())
	if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatal(err)
	}
	s.ended(w)
	s.logf("watch %d SIGKILLed, with incident %d announced", w.proc, len(s.bursts))
	s.start()
}

// reload adds the second source to the config and sends SIGHUP; once the
// daemon said it reloaded, a log appears there.
func (s *soak) reload() {
	watchConfig(s.t, s.cfg, s.logs, s.logs2)
	if err := s.w.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		s.t.Fatal(err)
	}
	s.logf("SIGHUP: source %s added", s.logs2)
	s.w.await(`msg="reloaded the config" sources_added=[` + s.logs2 + `]`)
	s.addAccess(s.logs2)
}

// await waits for a line of the daemon's log that holds want.
func (w *soakWatch) await(want string) {
	hung := time.After(safetyBound) // a hang guard, not a pace
	for i := 0; ; {
		w.mu.Lock()
		lines := w.stderr[i:]
		i = len(w.stderr)
		w.mu.Unlock()
		for _, l := range lines {
			if strings.Contains(l, want) {
				return
			}
		}
		select {
		case <-w.news:
		case <-w.exited:
			w.s.t.Fatalf("watch exited (%v) before it logged %q", w.err, want)
		case <-hung:
			w.s.t.Fatalf("watch did not log %q", want)
		}
	}
}

// awaitCaughtUp waits until the daemon says it committed every log to its
// end and resolved every injected incident.
func (s *soak) awaitCaughtUp() {
	c, err := api.Find(s.storeDir)
	if err != nil {
		s.t.Fatal(err)
	}
	defer c.Close()
	hung := time.After(safetyBound) // a hang guard, not a pace
	var st daemon.Status
	for {
		s.w.sample()
		st, err = c.Status(context.Background())
		if err == nil && s.caughtUp(st) {
			break
		}
		// Look again once the daemon's committing loop turned: its next
		// watchdog ping (or any other notification).
		select {
		case <-s.sd.msgs:
		case <-s.w.exited:
			s.t.Fatalf("watch exited: %v", s.w.err)
		case <-hung:
			s.t.Fatalf("watch did not catch up (status %+v, err %v); events %+v", st, err, s.w.seen())
		}
	}
	s.logf("watch caught up: %d commits", st.Commits)
}

func (s *soak) caughtUp(st daemon.Status) bool {
	files := map[string]daemon.FileStatus{}
	for _, f := range st.Files {
		files[f.Path] = f
	}
	// Behind counts all of the file at the path when the daemon still
	// reads another (a rotated one, or a copytruncate's copy).
	for _, l := range append(slices.Clone(s.access), s.errLog) {
		if f, ok := files[l.path]; !ok || f.Behind != 0 {
			return false
		}
	}
	resolved := map[int]bool{}
	for _, e := range s.w.seen() {
		if e.event == "resolve" {
			resolved[s.burstOf(e)] = true
		}
	}
	for i := range s.bursts {
		if !resolved[i] {
			return false
		}
	}
	return true
}

// stop stops the daemon with SIGTERM, as systemd does.
func (s *soak) stop() {
	w := s.w
	s.cpu = append(s.cpu, w.cpuTime())
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-w.exited:
	case <-time.After(safetyBound):
		s.t.Fatal("watch still running after SIGTERM")
	}
	s.ended(w)
	if w.err != nil {
		s.t.Fatalf("watch stopped by SIGTERM: %v\n%s", w.err, strings.Join(w.stderr, "\n"))
	}
	s.logf("watch %d stopped", w.proc)
}

// check compares the store and what watch said with what was written.
func (s *soak) check() {
	t := s.t
	t.Logf("soak of %s: %d access lines (%.0f/s), %d error lines, %d rotation rounds, %d incidents, %d processes",
		s.d, s.lines, float64(s.lines)/s.d.Seconds(), s.errs, s.rotated, len(s.bursts), s.procs)
	fail := t.Errorf

	st, err := store.Open(s.storeDir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// Requests, per second and status (a status per log).
	got := storedSeconds(t, st)
	var total int64
	for _, sec := range slices.Sorted(maps.Keys(mergeKeys(got, s.written))) {
		for _, code := range slices.Sorted(maps.Keys(mergeKeys(got[sec], s.written[sec]))) {
			g, w := got[sec][code], s.written[sec][code]
			total += g
			if g != w {
				fail("%s, status %d (%s): the store counts %d requests, %d were written",
					time.Unix(sec, 0).UTC().Format("15:04:05"), code, s.logOf(code), g, w)
			}
		}
	}
	t.Logf("the store counts %d requests; %d were written", total, s.lines+s.errs)

	// Error lines, by number.
	seen := map[int64]int{}
	if err := st.Events(time.Unix(0, 0), time.Now().Add(time.Hour), func(ev *patterns.Event) error {
		if ev.Kind != patterns.KindNginxError {
			return nil
		}
		_, rest, ok := strings.Cut(ev.Text, "soak-err=")
		if !ok {
			fail("an error event not written: %q", ev.Text)
			return nil
		}
		n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest, ' ')], 10, 64)
		seen[n]++
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for n := int64(1); n <= s.errs; n++ {
		if seen[n] != 1 {
			fail("error line %d is in the store %d times", n, seen[n])
		}
	}
	if len(seen) > int(s.errs) {
		fail("the store holds %d error lines, %d were written", len(seen), s.errs)
	}

	// Positions.
	saved, err := st.Positions()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range append(slices.Clone(s.access), s.errLog) {
		var pos ingest.Position
		if err := json.Unmarshal(saved[l.path], &pos); err != nil {
			fail("position of %s: %v", l.path, err)
			continue
		}
		// At the end of the live file; or of its copy, when nothing was
		// written to it since a copytruncate.
		live, at := fileSize(t, l.path, pos.ID.Inode)
		if at < 0 && live == 0 {
			_, at = fileSize(t, l.path+".1", pos.ID.Inode)
		}
		if pos.Offset != at {
			fail("%s: committed position %d of inode %d, the file there has %d bytes (-1: another inode)", l.path, pos.Offset, pos.ID.Inode, at)
		}
	}

	// Incidents: one open and one resolve each, whatever the process.
	opens, resolves := make([]int, len(s.bursts)), make([]int, len(s.bursts))
	for _, e := range s.prevEvents {
		i := s.burstOf(e)
		if i < 0 {
			fail("watch %d announced an incident not injected: %s %s–%s", e.proc, e.event, e.start, e.end)
			continue
		}
		switch e.event {
		case "open":
			opens[i]++
		case "resolve":
			resolves[i]++
		}
	}
	for i := range s.bursts {
		if opens[i] != 1 || resolves[i] != 1 {
			fail("incident %d (%s): opened %d times, resolved %d times, want once each", i+1, s.bursts[i].from.Format("15:04:05"), opens[i], resolves[i])
		}
	}

	// RSS, per process.
	for i, samples := range s.rss {
		if len(samples) < 8 {
			fail("watch %d: %d RSS samples", i+1, len(samples))
			continue
		}
		q := len(samples) / 4
		peak := func(ss []soakSample, of func(soakSample) int64) int64 {
			var m int64
			for _, x := range ss {
				m = max(m, of(x))
			}
			return m
		}
		rss := func(x soakSample) int64 { return x.rss }
		second, last := peak(samples[q:2*q], rss), peak(samples[len(samples)-q:], rss)
		t.Logf("watch %d: %d RSS samples over %s, peak of its second quarter %.1f MB, of its last %.1f MB, CPU %s (%.1f%% of a core)",
			i+1, len(samples), samples[len(samples)-1].at.Round(time.Second), float64(second)/(1<<20), float64(last)/(1<<20),
			s.cpu[i], 100*s.cpu[i].Seconds()/samples[len(samples)-1].at.Seconds())
		for k := range 4 { // where it went: anonymous memory or mapped files
			part := samples[k*q : (k+1)*q]
			t.Logf("watch %d, quarter %d: peak RSS %.1f MB, RssAnon %.1f MB, RssFile %.1f MB", i+1, k+1,
				float64(peak(part, rss))/(1<<20), float64(peak(part, func(x soakSample) int64 { return x.anon }))/(1<<20),
				float64(peak(part, func(x soakSample) int64 { return x.file }))/(1<<20))
		}
		if s.rssFlat && float64(last) > soakRSSGrowth*float64(second) {
			fail("watch %d's RSS grew: %.1f MB at most in its last quarter, %.1f MB in its second", i+1, float64(last)/(1<<20), float64(second)/(1<<20))
		}
	}
}

// fileSize returns the size of the file at path, and again if its inode
// is ino (-1 otherwise).
func fileSize(t *testing.T, path string, ino uint64) (size, ofIno int64) {
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Sys().(*syscall.Stat_t).Ino != ino {
		return fi.Size(), -1
	}
	return fi.Size(), fi.Size()
}

// explain logs what happened, for a failure.
func (s *soak) explain() {
	var events []string
	for _, e := range s.prevEvents {
		events = append(events, e.String())
	}
	// The running watch's, or the last one's: the cleanup that stopped it
	// runs before this one, and ended was not called for it.
	if s.w != nil && len(s.stderrOf) < s.procs {
		for _, e := range s.w.seen()[len(s.prevEvents):] {
			events = append(events, e.String())
		}
		s.w.mu.Lock()
		s.stderrOf = append(s.stderrOf, slices.Clone(s.w.stderr))
		s.w.mu.Unlock()
	}
	s.t.Logf("what the soak did:\n%s", strings.Join(s.actions, "\n"))
	s.t.Logf("what watch announced:\n%s", strings.Join(events, "\n"))
	for i, e := range s.stderrOf {
		s.t.Logf("watch %d's log (%d lines), its last 300:\n%s", i+1, len(e), strings.Join(e[max(0, len(e)-300):], "\n"))
		// The whole log, goroutine stacks included, outlives the test's
		// directory.
		if f, err := os.CreateTemp("", fmt.Sprintf("logcause-soak-watch%d-*.log", i+1)); err == nil {
			f.WriteString(strings.Join(e, "\n") + "\n")
			f.Close()
			s.t.Logf("watch %d's whole log: %s", i+1, f.Name())
		}
	}
}

// logOf names the log whose requests have the status code.
func (s *soak) logOf(code int) string {
	for _, l := range s.access {
		if l.code == code {
			return filepath.Base(l.path)
		}
	}
	if code == 502 {
		return "the injected incidents, " + filepath.Base(s.access[0].path)
	}
	return "no log"
}

// mergeKeys returns the keys of both maps, in order.
func mergeKeys[K int | int64, V any](a, b map[K]V) map[K]bool {
	keys := map[K]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	return keys
}
