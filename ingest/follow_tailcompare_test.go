//go:build tailcompare

package ingest

// The rotation cases of the follow matrix run against github.com/nxadm/tail
// v1.4.11 (inotify and poll mode) and against the Follower, side by side on
// the same file written by the same real writer process, in real time
// (nxadm/tail keeps its own time: no manual waker here). It measures, it
// does not gate: nxadm/tail's results vary from run to run.
//
//	go test -tags tailcompare -run TestTailCompare -v -count=1 ./ingest
//
// FOLLOW_COMPARE_RUNS sets the runs per scenario (default 3).

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nxadm/tail"
)

// tailed is what one tailer delivered during one run.
type tailed struct {
	mu    sync.Mutex
	lines []string
}

func (d *tailed) add(s string) {
	d.mu.Lock()
	d.lines = append(d.lines, s)
	d.mu.Unlock()
}

func (d *tailed) has(s string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.lines) > 0 && d.lines[len(d.lines)-1] == s
}

// score compares what a tailer delivered with lines 1..n: lines never
// delivered, lines delivered more than once, and lines that are no line
// of the writer (a read from the middle of a refilled file).
func score(lines []string, n int) (lost, dup, bogus int, lostRanges string) {
	seen := make([]int, n+1)
	for _, l := range lines {
		k, err := strconv.Atoi(strings.SplitN(l, " ", 2)[0])
		if err != nil || k < 1 || k > n || l != lineText(k) {
			bogus++
			continue
		}
		seen[k]++
	}
	var ranges []string
	for k := 1; k <= n; k++ {
		switch {
		case seen[k] == 0:
			lost++
			j := k
			for j+1 <= n && seen[j+1] == 0 {
				j++
			}
			ranges = append(ranges, fmt.Sprintf("%d-%d", k, j))
			lost += j - k
			k = j
		case seen[k] > 1:
			dup += seen[k] - 1
		}
	}
	if len(ranges) > 4 {
		ranges = append(ranges[:4], "…")
	}
	return lost, dup, bogus, strings.Join(ranges, ",")
}

// finalRounds is how many waker rounds the Follower gets once the file is
// final: as many as the 3 s it used to get at 250 ms, far more than closing
// a rotated file (QuietRounds, 2) and switching take. Rounds, not time: a
// slow machine needs no more of them.
const finalRounds = 12

func TestTailCompare(t *testing.T) {
	runs := 3
	if s := os.Getenv("FOLLOW_COMPARE_RUNS"); s != "" {
		runs, _ = strconv.Atoi(s)
	}
	total := map[string]int{"create": 800, "copytruncate-smaller": 700, "copytruncate-same": 1000, "copytruncate-larger": 1400}
	tailers := []string{"nxadm/tail inotify", "nxadm/tail poll", "ingest.Follower 250ms"}
	var report []string
	for _, scenario := range []string{"create", "copytruncate-smaller", "copytruncate-same", "copytruncate-larger"} {
		n := total[scenario]
		for run := 1; run <= runs; run++ {
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			got := make([]*tailed, len(tailers))
			for i := range got {
				got[i] = &tailed{}
			}
			var stops []func()
			for i, poll := range []bool{false, true} {
				tl, err := tail.TailFile(path, tail.Config{Follow: true, ReOpen: true, Poll: poll, CompleteLines: true,
					Location: &tail.SeekInfo{Whence: io.SeekStart}, Logger: tail.DiscardingLogger})
				if err != nil {
					t.Fatal(err)
				}
				go func() {
					for l := range tl.Lines {
						if l.Err == nil {
							got[i].add(l.Text)
						}
					}
				}()
				stops = append(stops, func() { tl.Stop(); tl.Cleanup() })
			}
			// The Follower wakes every 250 ms while the writer writes, as
			// nxadm/tail polls; once the file is final, on rounds handed
			// out one by one (finalRounds).
			ctx, cancel := context.WithCancel(context.Background())
			tick := NewTickWaker(250 * time.Millisecond)
			final := make(chan struct{})   // closed when the writer has exited
			waiting := make(chan struct{}) // the Follower waits for a round
			round := make(chan struct{})   // a round handed out
			w := WakerFunc(func(ctx context.Context) error {
				select {
				case <-final:
				default:
					return tick.Wait(ctx)
				}
				select {
				case waiting <- struct{}{}:
				case <-ctx.Done():
					return ctx.Err()
				}
				select {
				case <-round:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			f := NewFollower(path, Position{}, FollowConfig{Waker: w})
			done := make(chan struct{})
			go func() {
				defer close(done)
				for {
					b, err := f.Next(ctx)
					if err != nil {
						return
					}
					for _, r := range b.Records {
						got[2].add(string(r.Text))
					}
				}
			}()
			stops = append(stops, func() { cancel(); <-done; tick.Stop(); f.Close() })

			cmd, _, out := helperProcess(t, "paced", "FOLLOW_PATH="+path, "FOLLOW_SCENARIO="+scenario)
			for out.Scan() {
			}
			if err := cmd.Wait(); err != nil {
				t.Fatalf("writer: %v", err)
			}
			close(final)
			for r := 0; r <= finalRounds; r++ { // then waiting once more: all is delivered
				select {
				case <-waiting:
				case <-done:
					t.Fatal("the Follower stopped")
				}
				if r < finalRounds {
					round <- struct{}{}
				}
			}
			// nxadm/tail keeps its own time and may never deliver the last
			// line: it gets up to 3 s of it. This measures nxadm/tail only.
			last := lineText(n)
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				if got[0].has(last) && got[1].has(last) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			for _, stop := range stops {
				stop()
			}
			for i, name := range tailers {
				lost, dup, bogus, where := score(got[i].lines, n)
				row := fmt.Sprintf("| %s | %d | %s | %d/%d lost | %d dup | %d bogus | %s |", scenario, run, name, lost, n, dup, bogus, where)
				report = append(report, row)
				if strings.HasPrefix(name, "ingest") && lost+dup+bogus > 0 {
					t.Errorf("the Follower failed: %s", row)
				}
			}
		}
	}
	t.Log("\n| scenario | run | tailer | lost | duplicated | bogus | lost lines |\n|---|---|---|---|---|---|---|\n" + strings.Join(report, "\n"))
}
