package ingest

// The real processes of the follow tests: the test binary re-executed with
// LOGCAUSE_FOLLOW_HELPER set runs one of them instead of the tests.
//
//	writer   writes numbered lines on commands read from stdin, one write(2)
//	         per line, to a file it keeps open in O_APPEND like nginx, and
//	         reopens the path on SIGUSR1 like nginx; it acknowledges every
//	         command with "ok" and every reopen with "reopened".
//	rotator  writes FOLLOW_N numbered lines at its own pace and rotates the
//	         file itself every FOLLOW_EVERY lines, alternating create mode
//	         (rename, create, keep writing to the renamed file for a while,
//	         reopen) and copytruncate; it keeps every rotated file.
//	paced    plays FOLLOW_SCENARIO in real time, for tailers that keep
//	         their own time (the nxadm/tail comparison): "create" or
//	         "copytruncate-smaller", "-same", "-larger".
//	follower follows FOLLOW_PATH from the last commit in FOLLOW_COMMITS and
//	         commits every batch (lines and position in one file, written to
//	         a temporary name and renamed) until it delivers line FOLLOW_N.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const helperEnv = "LOGCAUSE_FOLLOW_HELPER"

// lineText is the text of the writers' line n; every line is 32 bytes with
// its newline.
func lineText(n int) string { return fmt.Sprintf("%08d abcdefghijklmnopqrstuv", n) }

const lineSize = 32

// banner is a fixed head longer than HeadSize, written identically at the
// start of a file, so that only the bytes before the offset tell a refill
// from the original.
var banner = func() []string {
	var b []string
	for i := range 24 {
		b = append(b, fmt.Sprintf("# the same banner at the head of every file, line %02d", i))
	}
	return b
}()

func TestFollowHelper(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "":
		return // not a helper: nothing to do
	case "writer":
		helperWriter()
	case "rotator":
		helperRotator()
	case "follower":
		helperFollower()
	case "paced":
		helperPaced()
	}
	os.Exit(0)
}

func helperExit(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(3)
}

func openAppend(path string) *os.File {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		helperExit("writer: %v", err)
	}
	return f
}

func mustWrite(f *os.File, b []byte) {
	if _, err := f.Write(b); err != nil {
		helperExit("writer: %v", err)
	}
}

func helperWriter() {
	path := os.Getenv("FOLLOW_PATH")
	var (
		mu  sync.Mutex
		out sync.Mutex
		f   = openAppend(path)
		n   = 0
	)
	say := func(s string) {
		out.Lock()
		fmt.Fprintln(os.Stdout, s)
		out.Unlock()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		for range sig {
			mu.Lock()
			f.Close()
			f = openAppend(path)
			mu.Unlock()
			say("reopened")
		}
	}()
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		arg := 0
		if len(fields) > 1 {
			arg, _ = strconv.Atoi(fields[1])
		}
		mu.Lock()
		switch fields[0] {
		case "write":
			for range arg {
				n++
				mustWrite(f, []byte(lineText(n)+"\n"))
			}
		case "partial": // the start of the next line, no newline
			n++
			mustWrite(f, fmt.Appendf(nil, "%08d %s", n, fields[1]))
		case "finish": // the end of a partial line
			mustWrite(f, []byte(fields[1]+"\n"))
		case "long", "longpart": // a line of arg bytes (newline included for long)
			n++
			mustWrite(f, fmt.Appendf(nil, "%08d ", n))
			rest := arg - 9
			if fields[0] == "long" {
				rest--
			}
			writeXs(f, rest)
			if fields[0] == "long" {
				mustWrite(f, []byte("\n"))
			}
		case "longend":
			writeXs(f, arg)
			mustWrite(f, []byte("\n"))
		case "banner":
			mustWrite(f, []byte(strings.Join(banner, "\n")+"\n"))
		case "cont": // continuation lines of the last numbered line
			for i := range arg {
				mustWrite(f, fmt.Appendf(nil, "    at frame %08d-%d\n", n, i))
			}
		case "close":
			f.Close()
		case "exit":
			mu.Unlock()
			say("ok")
			return
		default:
			helperExit("writer: unknown command %q", fields[0])
		}
		mu.Unlock()
		say("ok")
	}
}

// writeXs writes n 'x' bytes in 64 KiB writes, like a writer that
// flushes its buffer as it goes.
func writeXs(f *os.File, n int) {
	chunk := []byte(strings.Repeat("x", 64<<10))
	for n > 0 {
		k := min(n, len(chunk))
		mustWrite(f, chunk[:k])
		n -= k
	}
}

func envInt(name string) int {
	n, err := strconv.Atoi(os.Getenv(name))
	if err != nil {
		helperExit("%s: %v", name, err)
	}
	return n
}

// shiftRotated renames path.k to path.k+1, oldest first, like logrotate.
func shiftRotated(path string) {
	k := 1
	for {
		if _, err := os.Lstat(fmt.Sprintf("%s.%d", path, k)); err != nil {
			break
		}
		k++
	}
	for ; k > 1; k-- {
		if err := os.Rename(fmt.Sprintf("%s.%d", path, k-1), fmt.Sprintf("%s.%d", path, k)); err != nil {
			helperExit("rotator: %v", err)
		}
	}
}

func copyFile(src, dst string) {
	data, err := os.ReadFile(src)
	if err != nil {
		helperExit("rotator: %v", err)
	}
	if err := os.WriteFile(dst, data, 0o644); err != nil {
		helperExit("rotator: %v", err)
	}
}

func helperRotator() {
	path := os.Getenv("FOLLOW_PATH")
	n, every := envInt("FOLLOW_N"), envInt("FOLLOW_EVERY")
	rng := rand.New(rand.NewPCG(uint64(envInt("FOLLOW_SEED")), 1))
	f := openAppend(path)
	pace := func(i int) {
		if i%20 == 0 {
			time.Sleep(time.Duration(100+rng.IntN(500)) * time.Microsecond)
		}
	}
	rot := 0
	for i := 1; i <= n; i++ {
		mustWrite(f, []byte(lineText(i)+"\n"))
		pace(i)
		if i%every != 0 || i == n {
			continue
		}
		rot++
		shiftRotated(path)
		if rot%2 == 1 {
			// create: rename, create the new file, and go on writing to the
			// renamed one for a while, as nginx does until USR1.
			if err := os.Rename(path, path+".1"); err != nil {
				helperExit("rotator: %v", err)
			}
			nf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				helperExit("rotator: %v", err)
			}
			nf.Close()
			for d := 1 + rng.IntN(60); d > 0 && i < n; d-- {
				i++
				mustWrite(f, []byte(lineText(i)+"\n"))
				pace(i)
			}
			f.Close()
			f = openAppend(path)
		} else {
			copyFile(path, path+".1")
			if err := os.Truncate(path, 0); err != nil {
				helperExit("rotator: %v", err)
			}
		}
	}
	f.Close()
	fmt.Println("done")
}

// commitFile is what the follower commits after each batch, atomically:
// the lines delivered and the position after them.
type commitFile struct {
	Seq      int
	Position Position
	Lines    []string
	Notices  []string
}

func commitName(dir string, seq int) string {
	return filepath.Join(dir, fmt.Sprintf("commit-%08d.json", seq))
}

// loadCommits returns the committed files, in order.
func loadCommits(dir string) ([]commitFile, error) {
	names, err := filepath.Glob(filepath.Join(dir, "commit-*.json"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []commitFile
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var c commitFile
		if err := json.Unmarshal(data, &c); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func helperFollower() {
	path, dir := os.Getenv("FOLLOW_PATH"), os.Getenv("FOLLOW_COMMITS")
	last := lineText(envInt("FOLLOW_N"))
	commits, err := loadCommits(dir)
	if err != nil {
		helperExit("follower: %v", err)
	}
	var (
		seq  int
		from Position
	)
	if len(commits) > 0 {
		c := commits[len(commits)-1]
		seq, from = c.Seq, c.Position
		// The kill that ended the previous run landed after the commit
		// of the last line: nothing is left to deliver, and a follower
		// started now would wait for lines that never come.
		if len(c.Lines) > 0 && c.Lines[len(c.Lines)-1] == last {
			fmt.Println("started")
			return
		}
	}
	w := NewTickWaker(5 * time.Millisecond)
	defer w.Stop()
	f := NewFollower(path, from, FollowConfig{Waker: w, QuietRounds: 3, MaxBatch: 2 << 10})
	fmt.Println("started")
	for {
		b, err := f.Next(context.Background())
		if err != nil {
			helperExit("follower: %v", err)
		}
		seq++
		c := commitFile{Seq: seq, Position: b.Position}
		for _, r := range b.Records {
			c.Lines = append(c.Lines, string(r.Text))
		}
		for _, n := range b.Notices {
			c.Notices = append(c.Notices, n.String())
		}
		data, _ := json.Marshal(c)
		tmp := commitName(dir, seq) + ".tmp"
		if err := os.WriteFile(tmp, data, 0o644); err != nil {
			helperExit("follower: %v", err)
		}
		if err := os.Rename(tmp, commitName(dir, seq)); err != nil {
			helperExit("follower: %v", err)
		}
		fmt.Println("c", seq)
		if len(c.Lines) > 0 && c.Lines[len(c.Lines)-1] == last {
			return
		}
	}
}

// helperProcess starts the test binary as the helper mode with env.
func helperProcess(t testing.TB, mode string, env ...string) (*exec.Cmd, io.WriteCloser, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestFollowHelper$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode}, env...)...)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, in, bufio.NewScanner(out)
}

// testWriter drives a writer process.
type testWriter struct {
	t   testing.TB
	cmd *exec.Cmd
	in  io.WriteCloser
	out chan string
}

func startWriter(t testing.TB, path string) *testWriter {
	t.Helper()
	cmd, in, sc := helperProcess(t, "writer", "FOLLOW_PATH="+path)
	w := &testWriter{t: t, cmd: cmd, in: in, out: make(chan string, 16)}
	go func() {
		for sc.Scan() {
			w.out <- sc.Text()
		}
		close(w.out)
	}()
	t.Cleanup(func() {
		fmt.Fprintln(w.in, "exit")
		w.in.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	return w
}

func (w *testWriter) expect(want string) {
	w.t.Helper()
	select {
	case got, ok := <-w.out:
		if !ok || got != want {
			w.t.Fatalf("writer said %q (open %v), want %q", got, ok, want)
		}
	case <-time.After(10 * time.Second):
		w.t.Fatalf("writer: no %q within 10s", want)
	}
}

// do sends one command and waits until it is done.
func (w *testWriter) do(format string, args ...any) {
	w.t.Helper()
	if _, err := fmt.Fprintf(w.in, format+"\n", args...); err != nil {
		w.t.Fatal(err)
	}
	w.expect("ok")
}

// reopen signals the writer like nginx's USR1 and waits for the reopen.
func (w *testWriter) reopen() {
	w.t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		w.t.Fatal(err)
	}
	w.expect("reopened")
}

// errRound ends a round of the manual waker: Next returns it when the
// follower has nothing more to read and would wait.
var errRound = errors.New("end of round")

// roundWaker is the manual waker: every Wait ends the round, so the test
// steps the follower one waker round at a time.
type roundWaker struct{}

func (roundWaker) Wait(context.Context) error { return errRound }

// got is a record delivered, copied.
type got struct {
	text     string
	path     string
	id       Identity
	off, end int64
	cut      bool
	partial  bool
}

// stepper runs a Follower round by round and keeps what it delivered.
type stepper struct {
	t       testing.TB
	f       *Follower
	recs    []got
	notices []Notice
	pos     Position
	batches int
}

func newStepper(t testing.TB, path string, from Position, cfg FollowConfig) *stepper {
	cfg.Waker = roundWaker{}
	s := &stepper{t: t, f: NewFollower(path, from, cfg)}
	t.Cleanup(func() { s.f.Close() })
	return s
}

// round runs the follower until it waits, and returns the records of the
// round.
func (s *stepper) round() []got {
	s.t.Helper()
	first := len(s.recs)
	for range 100000 {
		b, err := s.f.Next(context.Background())
		if errors.Is(err, errRound) {
			return s.recs[first:]
		}
		if err != nil {
			s.t.Fatal(err)
		}
		s.take(b)
	}
	s.t.Fatal("the follower never waited")
	return nil
}

func (s *stepper) rounds(n int) []got {
	s.t.Helper()
	first := len(s.recs)
	for range n {
		s.round()
	}
	return s.recs[first:]
}

func (s *stepper) take(b *Batch) {
	s.t.Helper()
	s.batches++
	if len(b.Records) == 0 && len(b.Notices) == 0 {
		s.t.Fatalf("empty batch")
	}
	for i, r := range b.Records {
		if r.End <= r.Offset || (i > 0 && r.Offset < b.Records[i-1].End) {
			s.t.Fatalf("record %q: bad offsets %d-%d", r.Text, r.Offset, r.End)
		}
		s.recs = append(s.recs, got{string(r.Text), b.Path, b.ID, r.Offset, r.End, r.Cut, r.Partial})
	}
	if n := len(b.Records); n > 0 && b.Position.ID.SameInode(b.ID) && b.Position.Offset < b.Records[n-1].End {
		s.t.Fatalf("position %d before the end %d of the batch's last record", b.Position.Offset, b.Records[n-1].End)
	}
	s.notices = append(s.notices, b.Notices...)
	s.pos = b.Position
}

func (s *stepper) texts() []string {
	var out []string
	for _, r := range s.recs {
		out = append(out, r.text)
	}
	return out
}

func (s *stepper) noticeKinds() []NoticeKind {
	var out []NoticeKind
	for _, n := range s.notices {
		out = append(out, n.Kind)
	}
	return out
}

// seq returns the texts of lines from to to.
func seq(from, to int) []string {
	var out []string
	for n := from; n <= to; n++ {
		out = append(out, lineText(n))
	}
	return out
}

func cat(parts ...[]string) []string { return slices.Concat(parts...) }

// sameLines fails with the first difference between got and want.
func sameLines(t testing.TB, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Fatalf("line %d of %d (want %d): got %.60q, want %.60q", i, len(got), len(want), g, w)
		}
	}
}

// helperPaced plays a rotation scenario at a steady pace: a line every
// 250 µs, so the tailers under comparison see a live file.
func helperPaced() {
	path, scenario := os.Getenv("FOLLOW_PATH"), os.Getenv("FOLLOW_SCENARIO")
	f := openAppend(path)
	n := 0
	write := func(k int, paced bool) {
		for range k {
			n++
			mustWrite(f, []byte(lineText(n)+"\n"))
			if paced {
				time.Sleep(250 * time.Microsecond)
			}
		}
	}
	write(400, true)
	switch scenario {
	case "create":
		if err := os.Rename(path, path+".1"); err != nil {
			helperExit("paced: %v", err)
		}
		nf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			helperExit("paced: %v", err)
		}
		nf.Close()
		write(200, true) // to the renamed file, until the reopen
		f.Close()
		f = openAppend(path)
		write(200, true)
	case "copytruncate-smaller", "copytruncate-same", "copytruncate-larger":
		copyFile(path, path+".1")
		if err := os.Truncate(path, 0); err != nil {
			helperExit("paced: %v", err)
		}
		refill := map[string]int{"copytruncate-smaller": 100, "copytruncate-same": 400, "copytruncate-larger": 800}[scenario]
		write(refill, false) // at once, before the tailer's next look
		write(200, true)
	default:
		helperExit("paced: unknown scenario %q", scenario)
	}
	f.Close()
	fmt.Println("done")
}
