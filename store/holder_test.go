package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// deadPID is the id of a process that has ended.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func writeHolderOf(t *testing.T, dir string, pid int) {
	t.Helper()
	b, _ := json.Marshal(holder{PID: pid, Command: "logcause watch --store " + dir, Since: time.Date(2026, 11, 23, 14, 0, 0, 0, time.UTC)})
	if err := os.WriteFile(filepath.Join(dir, holderFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLockedStoreNamesItsHolder: a second opener is told which process
// holds the store, and what to do; the holder file goes with the holder.
func TestLockedStoreNamesItsHolder(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir)
	if !errors.Is(err, ErrLocked) ||
		!strings.Contains(err.Error(), fmt.Sprintf("cannot open the store in %s: store is locked by another process: process %d (%s", dir, os.Getpid(), os.Args[0])) ||
		!strings.HasSuffix(err.Error(), "; stop it, or give this command another --store") {
		t.Errorf("second Open: %v", err)
	}
	// A holder file that names a process that no longer runs is not quoted.
	dead := deadPID(t)
	writeHolderOf(t, dir, dead)
	if _, err = Open(dir); !errors.Is(err, ErrLocked) || strings.Contains(err.Error(), fmt.Sprint(dead)) || !strings.Contains(err.Error(), "stop it, or give this command another --store") {
		t.Errorf("Open with a stale holder file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, holderFile)); !os.IsNotExist(err) {
		t.Errorf("the holder file outlived its store's Close: %v", err)
	}
}

// TestStaleHolderFileDoesNotBlock: the holder file of a process killed
// while it held the store blocks nothing; the next holder writes its own.
func TestStaleHolderFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	writeHolderOf(t, dir, deadPID(t))
	s, err = Open(dir)
	if err != nil {
		t.Fatalf("a stale holder file blocked the store: %v", err)
	}
	defer s.Close()
	var h holder
	b, _ := os.ReadFile(filepath.Join(dir, holderFile))
	if err := json.Unmarshal(b, &h); err != nil || h.PID != os.Getpid() {
		t.Errorf("holder file %s (%v): want this process", b, err)
	}
}
