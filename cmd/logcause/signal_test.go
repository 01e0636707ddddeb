package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logcause/logcause/internal/interrupt"
	"github.com/logcause/logcause/store"
)

// childEnv, set to a mode, makes the test binary logcause itself
// (childMain): the tests below drive it in a child process, and signal it.
const childEnv = "LOGCAUSE_TEST_CHILD"

// childMain runs logcause as main does, on the tests' machine (testEnv),
// with a hook that says "inside" on stdout once the command is in the
// middle of its work, and waits there until a signal stopped it (its
// context is done), so that the test signals it there and nowhere else:
//
//   - pause-load: in the middle of the first file analyze loads; at the
//     end of the load it says "read X of Y" (bytes);
//   - pause-output: at the first write of the output (parse: 64 KiB of it,
//     in the middle of the file); the output is counted, not shown, and at
//     the end it says "wrote N" (bytes);
//   - pause-clock: when the command reads the clock (store prune, the store
//     open), which says 2026-11-25 12:00 UTC;
//   - stuck: as pause-load, but never goes on (a stop that hangs);
//   - plain: no hook;
//   - commits: says "committed PATH" on stdout after each commit of
//     watch's daemon;
//   - hold: opens the store in args[0] for writing, says "held", and
//     closes it when stdin ends.
func childMain(mode string, args []string) int {
	if mode == "hold" {
		st, err := store.Open(args[0])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return exitRuntime
		}
		fmt.Println("held")
		io.Copy(io.Discard, os.Stdin)
		if err := st.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return exitRuntime
		}
		return exitOK
	}
	return interrupt.Run(os.Stderr, func(ctx context.Context, scratch *interrupt.Scratch) int {
		e := testEnv()
		e.stdout, e.stderr, e.scratch = os.Stdout, os.Stderr, scratch
		pause := func() {
			fmt.Println("inside")
			<-ctx.Done()
		}
		var out *countingWriter
		switch mode {
		case "pause-load":
			e.progress = &pausingProgress{pause: pause}
		case "stuck":
			e.progress = &pausingProgress{pause: func() {
				fmt.Println("inside")
				select {}
			}}
		case "pause-output":
			out = &countingWriter{pause: pause}
			e.stdout = out
		case "pause-clock":
			paused := false
			e.now = func() time.Time {
				if !paused {
					paused = true
					pause()
				}
				return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
			}
		case "plain":
		case "commits":
			e.onCommit = func(path string) { fmt.Println("committed", path) }
		default:
			fmt.Fprintf(os.Stderr, "unknown %s %q\n", childEnv, mode)
			return exitUsage
		}
		code := run(ctx, args, e)
		if out != nil {
			fmt.Printf("wrote %d\n", out.n)
		}
		return code
	})
}

// pausingProgress pauses the first time it is told of bytes read: in the
// middle of the first file, after 16384 records.
type pausingProgress struct {
	pause        func()
	total, added int64
	paused       bool
}

func (p *pausingProgress) Start(total int64, _ int) { p.total = total }
func (p *pausingProgress) File(string, int)         {}
func (p *pausingProgress) Finish()                  { fmt.Printf("read %d of %d\n", p.added, p.total) }
func (p *pausingProgress) Add(n int64) {
	p.added += n
	if !p.paused {
		p.paused = true
		p.pause()
	}
}

// countingWriter counts what is written to it, and pauses at the first
// write.
type countingWriter struct {
	pause  func()
	n      int64
	paused bool
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if !w.paused {
		w.paused = true
		w.pause()
	}
	w.n += int64(len(b))
	return len(b), nil
}

// child is logcause in a child process (childMain).
type child struct {
	t        *testing.T
	cmd      *exec.Cmd
	stdin    io.WriteCloser
	out, err chan string // the lines of stdout and stderr; closed at their end
}

// startChild starts logcause in mode with args, its temporary files in
// tmp.
func startChild(t *testing.T, mode, tmp string, args ...string) *child {
	t.Helper()
	return startChildEnv(t, mode, tmp, nil, args...)
}

// startChildEnv is startChild with more variables in the child's
// environment.
func startChildEnv(t *testing.T, mode, tmp string, env []string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(append(os.Environ(), childEnv+"="+mode, "TMPDIR="+tmp), env...)
	c := &child{t: t, cmd: cmd, out: make(chan string, 1024), err: make(chan string, 1024)}
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
		if t.Failed() {
			c.logUnread()
		}
	})
	lines := func(r io.Reader, to chan<- string) {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			to <- sc.Text()
		}
		close(to)
	}
	go lines(stdout, c.out)
	go lines(stderr, c.err)
	return c
}

// logUnread logs what the child wrote on stderr that no expect read: on a
// failure, what the child was doing (a start that never told READY=1 once
// failed so, under a load of ~8, with nothing else to go on).
func (c *child) logUnread() {
	for {
		select {
		case l, ok := <-c.err:
			if !ok {
				return
			}
			c.t.Logf("child's stderr: %s", l)
		default:
			return
		}
	}
}

// safetyBound bounds the waits for a child that hangs; it paces nothing.
const safetyBound = 2 * time.Minute

// expect waits for a line holding want on the child's stream from.
func (c *child) expect(from <-chan string, want string) {
	c.t.Helper()
	c.expectLine(from, want)
}

// expectLine waits for a line holding want on the child's stream from,
// and returns it.
func (c *child) expectLine(from <-chan string, want string) string {
	c.t.Helper()
	timeout := time.After(safetyBound)
	for {
		select {
		case line, ok := <-from:
			if !ok {
				c.t.Fatalf("the child ended without saying %q", want)
			}
			if strings.Contains(line, want) {
				return line
			}
		case <-timeout:
			c.t.Fatalf("the child did not say %q", want)
		}
	}
}

func (c *child) signal(sig syscall.Signal) {
	c.t.Helper()
	if err := c.cmd.Process.Signal(sig); err != nil {
		c.t.Fatal(err)
	}
}

// wait waits for the child's end, and returns its exit code and the rest
// of its stdout and stderr.
func (c *child) wait() (code int, stdout, stderr []string) {
	c.t.Helper()
	stdout, stderr = c.end()
	return exitCodeOf(c.t, c.cmd), stdout, stderr
}

// end reads the rest of the child's stdout and stderr, and waits for its
// end.
func (c *child) end() (stdout, stderr []string) {
	c.t.Helper()
	timeout := time.After(safetyBound)
	for out, errs := c.out, c.err; out != nil || errs != nil; {
		select {
		case line, ok := <-out:
			if !ok {
				out = nil
				continue
			}
			stdout = append(stdout, line)
		case line, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			stderr = append(stderr, line)
		case <-timeout:
			c.t.Fatalf("the child has not ended (stdout %q, stderr %q)", stdout, stderr)
		}
	}
	c.cmd.Wait()
	return stdout, stderr
}

func exitCodeOf(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		t.Fatalf("the child was killed by %v, without its cleanup", ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// noTemporaryStore fails if a temporary store is left in dir.
func noTemporaryStore(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, "logcause-store-*")); len(left) > 0 {
		t.Errorf("temporary store left behind: %v", left)
	}
}

// writeBigAccessLog writes an access log of n requests, one a
// millisecond, gzipped when the name ends in .gz, and returns its path.
func writeBigAccessLog(t *testing.T, dir, name string, n int) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(name, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriter(w)
	t0 := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC)
	for i := range n {
		status := 200
		if i%97 == 0 {
			status = 502
		}
		fmt.Fprintf(bw, "10.0.%d.%d - - [%s] \"GET /p.php?i=%d HTTP/1.1\" %d %d \"-\" \"curl/7.88.1\"\n",
			i%251, i%241, t0.Add(time.Duration(i)*time.Millisecond).Format("02/Jan/2006:15:04:05 -0700"), i, status, i*7919%10007)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

const bigLog = 120000 // requests: progress is told every 16384 records

// TestSignalStopsAnalyzeInsideAFile: SIGINT or SIGTERM in the middle of a
// large file, plain or gzipped, stops analyze there: exit 130 or 143, no
// report, the temporary store removed, one line on stderr.
func TestSignalStopsAnalyzeInsideAFile(t *testing.T) {
	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
	}{
		{"access.log", syscall.SIGINT, interrupt.ExitInterrupted},
		{"access.log.gz", syscall.SIGTERM, interrupt.ExitTerminated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs, tmp := t.TempDir(), t.TempDir()
			writeBigAccessLog(t, logs, tc.name, bigLog)
			c := startChild(t, "pause-load", tmp, "analyze", logs)
			c.expect(c.out, "inside")
			c.signal(tc.sig)
			code, stdout, stderr := c.wait()
			if code != tc.code {
				t.Errorf("exit %d, want %d (stdout %q, stderr %q)", code, tc.code, stdout, stderr)
			}
			var read, total int64
			if len(stdout) != 1 || func() bool { _, err := fmt.Sscanf(stdout[0], "read %d of %d", &read, &total); return err != nil }() {
				t.Fatalf("stdout %q: want only the bytes read, and no report", stdout)
			}
			if read >= total {
				t.Errorf("read %d of %d bytes: the file was read to its end", read, total)
			}
			want := "logcause: stopping on " + interrupt.Name(tc.sig) + " (a second one stops at once)"
			if len(stderr) != 1 || stderr[0] != want {
				t.Errorf("stderr %q, want %q alone", stderr, want)
			}
			noTemporaryStore(t, tmp)
		})
	}
}

// TestSignalStopsParseInsideAFile: parse stops in the middle of the first
// file, and reads no other.
func TestSignalStopsParseInsideAFile(t *testing.T) {
	logs := t.TempDir()
	first := writeBigAccessLog(t, logs, "access.log", bigLog)
	second := writeBigAccessLog(t, logs, "other-access.log", 1000)
	code, whole, _ := runCmd(t, "parse", "--tz", "UTC", first)
	if code != exitOK {
		t.Fatalf("parse of the whole file: exit %d", code)
	}
	c := startChild(t, "pause-output", t.TempDir(), "parse", "--tz", "UTC", first, second)
	c.expect(c.out, "inside")
	c.signal(syscall.SIGINT)
	code, stdout, stderr := c.wait()
	if code != interrupt.ExitInterrupted || len(stderr) != 1 {
		t.Errorf("exit %d, stderr %q; want %d and the stop said", code, stderr, interrupt.ExitInterrupted)
	}
	var wrote int
	if len(stdout) != 1 || func() bool { _, err := fmt.Sscanf(stdout[0], "wrote %d", &wrote); return err != nil }() {
		t.Fatalf("stdout %q", stdout)
	}
	if wrote >= len(whole)/2 { // stopped within the block of input in hand: a few hundred KiB
		t.Errorf("wrote %d bytes; the first file alone gives %d", wrote, len(whole))
	}
}

// TestSignalStopsStorePrune: a prune stopped before it drops anything
// keeps every day.
func TestSignalStopsStorePrune(t *testing.T) {
	logs, st := t.TempDir(), filepath.Join(t.TempDir(), "store")
	writeLogs(t, logs) // 2026-11-23: a 2-day retention on the 25th drops it
	if code, _, errs := runCmd(t, "analyze", "--store", st, logs); code != exitOK {
		t.Fatalf("analyze: exit %d %s", code, errs)
	}
	c := startChild(t, "pause-clock", t.TempDir(), "store", "prune", "--store", st, "--keep-days", "2")
	c.expect(c.out, "inside")
	c.signal(syscall.SIGTERM)
	code, stdout, stderr := c.wait()
	if code != interrupt.ExitTerminated || len(stdout) != 0 || len(stderr) != 1 {
		t.Errorf("exit %d, stdout %q, stderr %q; want %d, nothing dropped, the stop said", code, stdout, stderr, interrupt.ExitTerminated)
	}
	_, out, _ := runCmd(t, "store", "stats", "--store", st, "--format", "json")
	var stats struct{ Days int }
	if err := json.Unmarshal([]byte(out), &stats); err != nil || stats.Days != 1 {
		t.Errorf("after the stopped prune: %q, %v; want the day kept", out, err)
	}
}

// TestSecondSignalStopsAtOnce: when the stop hangs, a second signal ends
// the process, and the temporary store is removed all the same.
func TestSecondSignalStopsAtOnce(t *testing.T) {
	logs, tmp := t.TempDir(), t.TempDir()
	writeBigAccessLog(t, logs, "access.log", bigLog)
	c := startChild(t, "stuck", tmp, "analyze", logs)
	c.expect(c.out, "inside")
	c.signal(syscall.SIGINT)
	c.expect(c.err, "logcause: stopping on SIGINT (a second one stops at once)")
	c.signal(syscall.SIGINT)
	code, _, stderr := c.wait()
	if code != interrupt.ExitInterrupted || strings.Join(stderr, "\n") != "logcause: stopped at once on a second SIGINT" {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	noTemporaryStore(t, tmp)
}

// TestClosedOutputLeavesNoStore: `logcause analyze … | head -1`: the
// output closed, logcause ends quietly with 141 (a process SIGPIPE kills
// reports the same), its temporary store removed; parse reads no further.
func TestClosedOutputLeavesNoStore(t *testing.T) {
	for _, args := range [][]string{
		{"analyze", "../../testdata/demo"},
		{"analyze", "--format", "json", "../../testdata/demo"},
		{"parse", "../../testdata/demo/access.log", "../../testdata/demo/error.log"},
	} {
		t.Run(strings.Join(args[:len(args)-1], " "), func(t *testing.T) {
			tmp := t.TempDir()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			r.Close() // closed before logcause writes a byte: every write fails
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), childEnv+"=plain", "TMPDIR="+tmp)
			var stderr strings.Builder
			cmd.Stdout, cmd.Stderr = w, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			done := make(chan struct{})
			go func() { cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(safetyBound):
				cmd.Process.Kill()
				t.Fatal("logcause did not end")
			}
			if code := exitCodeOf(t, cmd); code != interrupt.ExitBrokenPipe || stderr.Len() != 0 {
				t.Errorf("exit %d, stderr %q; want %d, quietly", code, stderr.String(), interrupt.ExitBrokenPipe)
			}
			noTemporaryStore(t, tmp)
		})
	}
}
