package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// Exit codes of a command that a signal stopped: 128 + the signal's
// number, as a shell reports a process the signal killed.
const (
	exitInterrupted = 128 + int(syscall.SIGINT)  // 130
	exitBrokenPipe  = 128 + int(syscall.SIGPIPE) // 141: nobody reads the output any more
	exitTerminated  = 128 + int(syscall.SIGTERM) // 143
)

// stopSignal is the cause of a context that a signal ended.
type stopSignal struct{ sig syscall.Signal }

func (s stopSignal) Error() string { return "stopped by " + signalName(s.sig) }

func (s stopSignal) exitCode() int { return 128 + int(s.sig) }

func signalName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// interruptible runs fn with a context that the first SIGINT or SIGTERM
// cancels, its cause a stopSignal: the command stops within the block it
// reads, its deferred cleanup runs (a temporary store is removed) and run
// exits 130 or 143. A second signal ends the process at once, with the
// same code, after removing the directories in scratch.
//
// A write to a closed standard output (`logcause analyze | head -1`)
// fails with EPIPE instead of killing the process before its cleanup.
func interruptible(stderr io.Writer, fn func(ctx context.Context, scratch *scratchDirs) int) int {
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	scratch := &scratchDirs{dirs: map[string]bool{}}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for n := 0; ; n++ {
			var sig syscall.Signal
			select {
			case s := <-sigs:
				sig = s.(syscall.Signal)
			case <-done:
				return
			}
			if n == 0 {
				fmt.Fprintf(stderr, "logcause: stopping on %s (a second one stops at once)\n", signalName(sig))
				cancel(stopSignal{sig})
				continue
			}
			scratch.removeAll()
			fmt.Fprintf(stderr, "logcause: stopped at once on a second %s\n", signalName(sig))
			os.Exit(stopSignal{sig}.exitCode())
		}
	}()
	return fn(ctx, scratch)
}

// scratchDirs are the temporary directories of a command: its deferred
// cleanup removes them, and so does a forced exit, which skips that
// cleanup. A nil *scratchDirs keeps nothing.
type scratchDirs struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// add registers dir, and returns the func that forgets it once the
// command removed it.
func (s *scratchDirs) add(dir string) (forget func()) {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dirs[dir] = true
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		delete(s.dirs, dir)
	}
}

func (s *scratchDirs) removeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for dir := range s.dirs {
		os.RemoveAll(dir)
	}
}
