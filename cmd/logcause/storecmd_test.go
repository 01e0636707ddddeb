package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestStoreCommandsNeedAStore: stats and prune only read (or prune) a
// store: on a directory that holds none, or none at all, they say so and
// create nothing.
func TestStoreCommandsNeedAStore(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope")
	for _, cmd := range [][]string{{"store", "stats"}, {"store", "prune", "--keep-days", "3"}} {
		for _, dir := range []string{empty, missing} {
			t.Run(strings.Join(cmd, " ")+" "+filepath.Base(dir), func(t *testing.T) {
				code, out, errs := runCmd(t, append(cmd, "--store", dir)...)
				if code != exitRuntime || !strings.Contains(errs, "cannot open the store in "+dir+": no logcause store") ||
					!strings.Contains(errs, "give --store the directory where `logcause analyze --store` or `logcause watch` keeps one") {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
				}
				if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
					t.Errorf("%s holds %v (%v): a store was created", empty, entries, err)
				}
				if _, err := os.Stat(missing); !os.IsNotExist(err) {
					t.Errorf("%s was created (%v)", missing, err)
				}
			})
		}
	}
}

// TestLockMessageNamesTheHolder: a command on a store that another
// process holds is told which process (its PID and command) and what to
// do; a holder killed leaves a file that blocks nothing.
func TestLockMessageNamesTheHolder(t *testing.T) {
	logs, st := t.TempDir(), filepath.Join(t.TempDir(), "store")
	writeLogs(t, logs)
	if code, _, errs := runCmd(t, "analyze", "--store", st, logs); code != exitOK {
		t.Fatalf("analyze: exit %d %s", code, errs)
	}
	holder := startChild(t, "hold", t.TempDir(), st)
	holder.expect(holder.out, "held")
	want := fmt.Sprintf("logcause: cannot open the store in %s: store is locked by another process: process %d (%s %s) holds it, since ",
		st, holder.cmd.Process.Pid, os.Args[0], st)
	for _, args := range [][]string{{"store", "stats"}, {"store", "prune"}, {"analyze", logs}} {
		code, _, errs := runCmd(t, append(args, "--store", st)...)
		if code != exitRuntime || !strings.HasPrefix(errs, want) || !strings.HasSuffix(errs, "; stop it, or give this command another --store\n") {
			t.Errorf("%s: exit %d, stderr %q; want it to start %q", args, code, errs, want)
		}
	}
	holder.stdin.Close()
	if code, _, errs := holder.wait(); code != exitOK {
		t.Fatalf("holder: exit %d %q", code, errs)
	}
	if code, _, errs := runCmd(t, "store", "stats", "--store", st); code != exitOK {
		t.Errorf("once the holder ended: exit %d %s", code, errs)
	}

	killed := startChild(t, "hold", t.TempDir(), st)
	killed.expect(killed.out, "held")
	killed.signal(syscall.SIGKILL)
	killed.end()
	if _, err := os.Stat(filepath.Join(st, "logcause.pid")); err != nil {
		t.Fatalf("the killed holder left no file to test with: %v", err)
	}
	if code, _, errs := runCmd(t, "store", "stats", "--store", st); code != exitOK {
		t.Errorf("after the holder was killed: exit %d %s", code, errs)
	}
}
