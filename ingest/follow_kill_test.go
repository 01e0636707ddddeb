package ingest

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The follower itself is killed with SIGKILL at random moments while a
// writer writes and rotates (create mode with late reopen, and
// copytruncate, alternately). The follower runs in a child process and
// commits each batch atomically (lines and position in one file, written
// to a temporary name and renamed, as a store transaction would); each
// restart resumes from the last commit. At the end the committed lines,
// in commit order, must be exactly the writer's sequence.
func TestFollowSurvivesSIGKILL(t *testing.T) {
	const (
		lines    = 12000
		every    = 1500 // lines between rotations: 7 rotations
		maxKills = 30
	)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FOLLOW_KILL_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (FOLLOW_KILL_SEED=%d replays the kill schedule)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	logs, commits := filepath.Join(dir, "logs"), filepath.Join(dir, "commits")
	os.Mkdir(logs, 0o755)
	os.Mkdir(commits, 0o755)
	path := filepath.Join(logs, "access.log")
	// The log exists before the writer starts, and commit 1 is its end (it
	// is empty, tail -n 0): every run, the first one too however late it
	// starts, resumes from a position in a file. With no commit it would
	// start from the zero Position, "the file at the path now", which after
	// the first rotation no longer holds the first lines.
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	start, err := EndPosition(path)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(commitFile{Seq: 1, Position: start})
	if err := os.WriteFile(commitName(commits, 1), data, 0o644); err != nil {
		t.Fatal(err)
	}

	wcmd, _, wout := helperProcess(t, "rotator", "FOLLOW_PATH="+path, fmt.Sprint("FOLLOW_N=", lines),
		fmt.Sprint("FOLLOW_EVERY=", every), fmt.Sprint("FOLLOW_SEED=", seed))
	writerDone := make(chan error, 1)
	go func() {
		for wout.Scan() {
		}
		writerDone <- wcmd.Wait()
	}()

	deadline := time.Now().Add(30 * time.Second)
	var runs, kills, killedAtStart int
	for {
		if time.Now().After(deadline) {
			t.Fatalf("not done after %d runs", runs)
		}
		runs++
		cmd, _, out := helperProcess(t, "follower", "FOLLOW_PATH="+path, "FOLLOW_COMMITS="+commits, fmt.Sprint("FOLLOW_N=", lines))
		// When to kill: before it even starts, after it started, or after
		// k commits; the kill lands wherever the child is by then.
		killAfter := -1 // let it finish
		if kills < maxKills {
			killAfter = rng.IntN(12) - 2
			if killAfter == -1 {
				killAfter = 0 // right after "started"
			}
		}
		if killAfter == -2 {
			killedAtStart++
			cmd.Process.Signal(syscall.SIGKILL)
		}
		commitsSeen, killed := 0, killAfter == -2
		for !killed && out.Scan() {
			switch line := out.Text(); {
			case line == "started":
			case strings.HasPrefix(line, "c "):
				commitsSeen++
			}
			if killAfter >= 0 && commitsSeen >= killAfter {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
		err := cmd.Wait()
		if killed {
			kills++
			continue
		}
		if err != nil {
			t.Fatalf("follower run %d: %v", runs, err)
		}
		break // delivered the last line
	}
	select {
	case err := <-writerDone:
		if err != nil {
			t.Fatalf("writer: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("writer not done")
	}

	cs, err := loadCommits(commits)
	if err != nil {
		t.Fatal(err)
	}
	var (
		all                  []string
		resumed, rotated     int
		truncated, recovered int
	)
	for i, c := range cs {
		if c.Seq != i+1 {
			t.Fatalf("commit %d has seq %d", i+1, c.Seq)
		}
		all = append(all, c.Lines...)
		for _, n := range c.Notices {
			switch {
			case strings.HasPrefix(n, "gap"), strings.HasPrefix(n, "forced"):
				t.Errorf("commit %d: %s", c.Seq, n)
			case strings.HasPrefix(n, "resumed"):
				resumed++
			case strings.HasPrefix(n, "rotated"):
				rotated++
			case strings.HasPrefix(n, "truncated"):
				truncated++
				if strings.Contains(n, "from the copy") {
					recovered++
				}
			}
		}
	}
	sameLines(t, all, seq(1, lines))
	rotatedFiles, _ := filepath.Glob(path + ".*")
	t.Logf("%d follower runs, %d SIGKILLs (%d before start), %d commits, %d lines exactly once; "+
		"%d rotated files; notices: %d resumed from a sibling or copy, %d rotations, %d truncations (%d read the unread rest from the copy)",
		runs, kills, killedAtStart, len(cs), len(all), len(rotatedFiles), resumed, rotated, truncated, recovered)
}
