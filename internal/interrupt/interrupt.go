// Package interrupt answers one question: how does a command stop when it
// is asked to? The first SIGINT or SIGTERM cancels the command's context,
// so that it stops within the block it reads and its deferred cleanup runs;
// a second one ends the process at once, after removing the command's
// scratch directories. Exit codes follow the shell's: 128 + the signal.
package interrupt

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
	ExitInterrupted = 128 + int(syscall.SIGINT)  // 130
	ExitBrokenPipe  = 128 + int(syscall.SIGPIPE) // 141: nobody reads the output any more
	ExitTerminated  = 128 + int(syscall.SIGTERM) // 143
)

// Stopped is the cause of a context that a signal ended.
type Stopped struct{ Sig syscall.Signal }

func (s Stopped) Error() string { return "stopped by " + Name(s.Sig) }

// ExitCode is the exit status of a command the signal stopped.
func (s Stopped) ExitCode() int { return 128 + int(s.Sig) }

// Name names a signal as people know it.
func Name(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	}
	return sig.String()
}

// Run runs fn with a context that the first SIGINT or SIGTERM
// cancels, its cause a Stopped: the command stops within the block it
// reads, its deferred cleanup runs (a temporary store is removed) and run
// exits 130 or 143. A second signal ends the process at once, with the
// same code, after removing the directories in scratch.
//
// A write to a closed standard output (`logcause analyze | head -1`)
// fails with EPIPE instead of killing the process before its cleanup.
func Run(stderr io.Writer, fn func(ctx context.Context, scratch *Scratch) int) int {
	signal.Ignore(syscall.SIGPIPE)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	scratch := &Scratch{dirs: map[string]bool{}}
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
				fmt.Fprintf(stderr, "logcause: stopping on %s (a second one stops at once)\n", Name(sig))
				cancel(Stopped{sig})
				continue
			}
			scratch.RemoveAll()
			fmt.Fprintf(stderr, "logcause: stopped at once on a second %s\n", Name(sig))
			os.Exit(Stopped{sig}.ExitCode())
		}
	}()
	return fn(ctx, scratch)
}

// Scratch is the temporary directories of a command: its deferred
// cleanup removes them, and so does a forced exit, which skips that
// cleanup. A nil *Scratch keeps nothing.
type Scratch struct {
	mu   sync.Mutex
	dirs map[string]bool
}

// Add registers dir, and returns the func that forgets it once the
// command removed it.
func (s *Scratch) Add(dir string) (forget func()) {
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

// RemoveAll removes every registered directory.
func (s *Scratch) RemoveAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for dir := range s.dirs {
		os.RemoveAll(dir)
	}
}
