package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/store"
)

// The loaded case of issue #4: the real daemon follows 10 nginx access
// logs while 2,000 lines/s in total are appended to them.
const (
	watchFiles       = 10
	watchLinesPerSec = 2000
	watchTick        = 100 * time.Millisecond
	watchBacklog     = 1000             // lines in each log before watch starts (read with --from-start)
	watchInterval    = 10 * time.Second // watch's --interval; the idle measurement lasts as long: one analysis in it
	watchBound       = 30 * time.Second // the longest wait for the daemon at any step
)

// BenchmarkWatchTenFiles runs `logcause watch` as a child process on 10
// nginx access logs (combined format, 0.5% 5xx) and appends 2,000 lines/s
// in total to them, as nginx does: one O_APPEND write per line, 20 lines to
// each file every 100 ms (more after a late tick). One op is one second of
// traffic; for a minute:
//
//	go test -run '^$' -bench WatchTenFiles -benchtime 60x ./cmd/logcause
//
// Only the child is measured: %core is its CPU time (user+system, all
// threads) over the wall time of the ops, 100 being one core; %core-idle is
// the same over the --interval (10 s, so one analysis) once the writing
// stopped and the daemon caught up; peak-RSS-MB is its VmHWM over its whole
// life; lines/s is the rate actually written. The daemon serves its API
// on a free loopback port, unless LOGCAUSE_BENCH_LISTEN says another
// --listen (off: none). ns/op is the pacing, about
// 1 s, and says nothing of the daemon; so would allocations (the writer's),
// hence no ReportAllocs. GOGC and GOMEMLIMIT in the environment reach the
// daemon. On a machine shared with other work the figures are noisy,
// %core-idle most (one second of idle took 8 to 29 ms of CPU on 2 busy
// cores): run it on a quiet one. The daemon is built when the benchmark
// starts, the store check is this test's: edit the tree meanwhile and they
// may disagree (a store schema, say).
//
// The benchmark fails if the daemon lost or counted twice a line: once it
// is stopped (SIGTERM), the store must hold every line written, per status,
// and a committed position at the end of each log.
func BenchmarkWatchTenFiles(b *testing.B) {
	bin := buildLogcause(b)
	dir := b.TempDir()
	logDir, storeDir := filepath.Join(dir, "nginx"), filepath.Join(dir, "store")
	if err := os.Mkdir(logDir, 0o755); err != nil {
		b.Fatal(err)
	}
	// An nginx.conf of our own: the machine's, if any, could declare other
	// log formats.
	nginxConf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(nginxConf, []byte("http {\n}\n"), 0o644); err != nil {
		b.Fatal(err)
	}

	tw := newTrafficWriter(b, logDir, watchFiles)
	defer tw.close()
	backlogStart := time.Now().Add(-watchBacklog * time.Second * watchFiles / watchLinesPerSec)
	for i := range watchBacklog {
		at := backlogStart.Add(time.Duration(i) * time.Second * watchFiles / watchLinesPerSec)
		tw.writeRound(b, 1, at)
	}

	// The API serves on a free loopback port (LOGCAUSE_BENCH_LISTEN=off
	// measures the daemon without it), scraped by nobody.
	listen := cmp.Or(os.Getenv("LOGCAUSE_BENCH_LISTEN"), "127.0.0.1:0")
	d := startWatch(b, bin, "watch", "--store", storeDir, "--interval", watchInterval.String(),
		"--from-start", "--nginx-conf", nginxConf, "--listen", listen, logDir)
	d.awaitOpen(b, tw.paths)
	d.awaitRead(b, tw.bytes) // the backlog
	time.Sleep(time.Second)  // its commit, and the start's garbage

	// Every tick, the lines due since t0 are written, n to each file: on a
	// busy machine a late tick is caught up on, the rate holds.
	const perSec = watchLinesPerSec / watchFiles // to each file
	ticker := time.NewTicker(watchTick)
	cpu0, t0 := d.cpu(b), time.Now()
	lines0 := tw.lines
	var done, target int64 // per file
	for b.Loop() {
		for target += perSec; done < target; {
			now := <-ticker.C
			n := min(int64(math.Round(now.Sub(t0).Seconds()*perSec)), target) - done
			tw.writeRound(b, int(n), now)
			done += n
		}
	}
	// The daemon may be up to a waker round (250 ms) behind: reading that
	// tail is left out of %core, under 0.5% of the work at -benchtime 60x.
	cpu1, wall := d.cpu(b), time.Since(t0)
	ticker.Stop()
	b.ReportMetric(float64(tw.lines-lines0)/wall.Seconds(), "lines/s")
	b.ReportMetric(100*(cpu1-cpu0).Seconds()/wall.Seconds(), "%core")

	d.awaitRead(b, tw.bytes)
	time.Sleep(time.Second) // the last batches' commit
	cpu0, t0 = d.cpu(b), time.Now()
	time.Sleep(watchInterval)
	cpu1, wall = d.cpu(b), time.Since(t0)
	b.ReportMetric(100*(cpu1-cpu0).Seconds()/wall.Seconds(), "%core-idle")
	b.ReportMetric(float64(d.procStatus(b, "VmHWM"))/(1<<20), "peak-RSS-MB")

	d.stop(b)
	checkStore(b, storeDir, tw)
}

// buildLogcause builds this command into a temporary directory.
func buildLogcause(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "logcause")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("build: %v: %s", err, out)
	}
	return bin
}

// trafficWriter appends realistic combined-format lines to log files, one
// write per line like nginx, and counts what it wrote.
type trafficWriter struct {
	paths  []string
	files  []*os.File
	rngs   []*rand.Rand
	buf    []byte
	lines  int64
	bytes  int64
	status map[int]int64
}

func newTrafficWriter(b *testing.B, dir string, n int) *trafficWriter {
	b.Helper()
	tw := &trafficWriter{status: map[int]int64{}}
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("site%d.access.log", i))
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			b.Fatal(err)
		}
		tw.paths = append(tw.paths, p)
		tw.files = append(tw.files, f)
		tw.rngs = append(tw.rngs, rand.New(rand.NewPCG(uint64(i), 4)))
	}
	return tw
}

var liveAgents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"curl/7.88.1",
}

var livePages = []string{"/", "/index.php", "/product.php?id=%d", "/category.php?c=%d&page=2", "/cart.php", "/checkout.php",
	"/search.php?q=shoes+%d", "/wp-admin/admin-ajax.php", "/static/app.%d.js", "/images/p%d.webp"}

// writeRound appends n lines stamped at to each file.
func (tw *trafficWriter) writeRound(b *testing.B, n int, at time.Time) {
	stamp := at.Format("02/Jan/2006:15:04:05 -0700")
	for i, f := range tw.files {
		rng := tw.rngs[i]
		for range n {
			status := 200
			switch r := rng.IntN(1000); {
			case r < 5:
				status = []int{502, 502, 504, 500}[rng.IntN(4)]
			case r < 40:
				status = 404
			case r < 90:
				status = 304
			}
			page := livePages[rng.IntN(len(livePages))]
			if strings.Contains(page, "%d") {
				page = fmt.Sprintf(page, rng.IntN(500))
			}
			tw.buf = fmt.Appendf(tw.buf[:0], "10.%d.%d.%d - - [%s] \"GET %s HTTP/1.1\" %d %d \"https://shop.example.com/\" \"%s\"\n",
				rng.IntN(4), rng.IntN(256), rng.IntN(256), stamp, page, status, 200+rng.IntN(30000), liveAgents[rng.IntN(len(liveAgents))])
			if _, err := f.Write(tw.buf); err != nil {
				b.Fatal(err)
			}
			tw.lines++
			tw.bytes += int64(len(tw.buf))
			tw.status[status]++
		}
	}
}

func (tw *trafficWriter) close() {
	for _, f := range tw.files {
		f.Close()
	}
}

// daemon is a running logcause, in its own process group.
type watchProc struct {
	cmd    *exec.Cmd
	out    *cappedBuffer // stdout and stderr
	exited chan struct{}
	err    error // of Wait, once exited is closed
}

func startWatch(b *testing.B, bin string, args ...string) *watchProc {
	b.Helper()
	d := &watchProc{cmd: exec.Command(bin, args...), out: new(cappedBuffer), exited: make(chan struct{})}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out // the same writer: exec writes to it from one goroutine
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() {
		d.err = d.cmd.Wait()
		close(d.exited)
	}()
	b.Cleanup(func() { // when the benchmark failed before stop
		select {
		case <-d.exited:
		default:
			syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-d.exited
		}
	})
	return d
}

// cappedBuffer keeps the first MiB written to it: enough to tell what went
// wrong, and bounded however long the daemon runs. Read it once the
// daemon exited.
type cappedBuffer struct{ bytes.Buffer }

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if c.Len() < 1<<20 {
		c.Buffer.Write(p)
	}
	return len(p), nil
}

// alive fails the benchmark if the daemon exited.
func (d *watchProc) alive(b *testing.B) {
	b.Helper()
	select {
	case <-d.exited:
		b.Fatalf("logcause watch exited: %v\n%s", d.err, d.out)
	default:
	}
}

// await polls cond every 20 ms until it holds, for at most watchBound.
func (d *watchProc) await(b *testing.B, what string, cond func() bool) {
	b.Helper()
	deadline := time.Now().Add(watchBound)
	for !cond() {
		d.alive(b)
		if time.Now().After(deadline) {
			b.Fatalf("logcause watch: no %s after %s", what, watchBound)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// awaitOpen waits until the daemon has every path open: its followers
// started.
func (d *watchProc) awaitOpen(b *testing.B, paths []string) {
	b.Helper()
	fdDir := fmt.Sprintf("/proc/%d/fd", d.cmd.Process.Pid)
	d.await(b, "follower on every log", func() bool {
		open := map[string]bool{}
		ents, _ := os.ReadDir(fdDir)
		for _, e := range ents {
			if t, err := os.Readlink(filepath.Join(fdDir, e.Name())); err == nil {
				open[t] = true
			}
		}
		for _, p := range paths {
			if real, err := filepath.EvalSymlinks(p); err != nil || !open[real] {
				return false
			}
		}
		return true
	})
}

// awaitRead waits until the daemon has read at least n bytes (rchar, which
// also counts its other reads: a necessary condition for having read n
// bytes of logs, not a sufficient one; the store's check at the end is
// exact).
func (d *watchProc) awaitRead(b *testing.B, n int64) {
	b.Helper()
	d.await(b, fmt.Sprintf("read of %d bytes", n), func() bool {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", d.cmd.Process.Pid))
		if err != nil {
			return false
		}
		return procField(data, "rchar") >= n
	})
}

// cpu returns the CPU time the daemon used so far, all its threads, from
// its process CPU clock (nanoseconds, unlike /proc/PID/stat's ticks).
func (d *watchProc) cpu(b *testing.B) time.Duration {
	b.Helper()
	d.alive(b)
	const cpuclockSched = 2 // the process clock of clock_getcpuclockid(3)
	clock := (^d.cmd.Process.Pid)<<3 | cpuclockSched
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		b.Fatalf("cannot read the daemon's CPU clock: %v", e)
	}
	return time.Duration(ts.Nano())
}

// procStatus returns a field of /proc/PID/status in bytes.
func (d *watchProc) procStatus(b *testing.B, field string) int64 {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", d.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	kb := procField(data, field)
	if kb < 0 {
		b.Fatalf("no %s in /proc/PID/status", field)
	}
	return kb << 10
}

// procField returns the number after "name:" in a /proc file, or -1.
func procField(data []byte, name string) int64 {
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				if n, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return n
				}
			}
		}
	}
	return -1
}

// stop stops the daemon as systemd would (SIGTERM) and requires a clean exit.
func (d *watchProc) stop(b *testing.B) {
	b.Helper()
	d.alive(b)
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.Fatal(err)
	}
	select {
	case <-d.exited:
	case <-time.After(watchBound):
		b.Fatalf("logcause watch still running %s after SIGTERM", watchBound)
	}
	if d.err != nil {
		b.Fatalf("logcause watch: %v\n%s", d.err, d.out)
	}
}

// storedSeconds returns the requests a store counts, by unix second and
// status.
func storedSeconds(tb testing.TB, st *store.Store) map[int64]map[int]int64 {
	tb.Helper()
	got := map[int64]map[int]int64{}
	first, last, ok, err := st.Range()
	if err != nil || !ok {
		if err != nil {
			tb.Fatal(err)
		}
		return got
	}
	secs, err := st.Seconds(first, last.Add(time.Second))
	if err != nil {
		tb.Fatal(err)
	}
	for _, sec := range secs {
		for _, c := range sec.Status {
			if got[sec.Time.Unix()] == nil {
				got[sec.Time.Unix()] = map[int]int64{}
			}
			got[sec.Time.Unix()][c.Code] += c.Count
		}
	}
	return got
}

// checkStore fails the benchmark unless the store counts every line
// written, once, by status, and holds a position at the end of each log.
func checkStore(b *testing.B, dir string, tw *trafficWriter) {
	b.Helper()
	st, err := store.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	got := map[int]int64{}
	for _, codes := range storedSeconds(b, st) {
		for code, n := range codes {
			got[code] += n
		}
	}
	if !maps.Equal(got, tw.status) {
		var n int64
		for _, c := range got {
			n += c
		}
		b.Fatalf("the store counts %d requests, %d were written (lost or counted twice); by status: got %v, want %v", n, tw.lines, got, tw.status)
	}
	saved, err := st.Positions()
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range tw.paths {
		var pos ingest.Position
		if err := json.Unmarshal(saved[p], &pos); err != nil {
			b.Fatalf("position of %s: %v", p, err)
		}
		fi, err := os.Stat(p)
		if err != nil {
			b.Fatal(err)
		}
		if pos.Offset != fi.Size() {
			b.Fatalf("%s: committed position %d, the file has %d bytes", p, pos.Offset, fi.Size())
		}
	}
}
