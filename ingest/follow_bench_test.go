package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// idleFiles writes n log files of 1000 lines each.
func idleFiles(b *testing.B, n int) []string {
	b.Helper()
	dir := b.TempDir()
	var lines strings.Builder
	for i := 1; i <= 1000; i++ {
		lines.WriteString(lineText(i) + "\n")
	}
	var paths []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("site%d.access.log", i))
		if err := os.WriteFile(p, []byte(lines.String()), 0o644); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// BenchmarkFollowIdleRound measures what one waker round costs a follower
// whose file does not change: the checks it makes (fstat, head and
// before-offset re-reads, stat of the path). One op is one round of each of
// 10 followers.
func BenchmarkFollowIdleRound(b *testing.B) {
	paths := idleFiles(b, 10)
	var fs []*Follower
	for _, p := range paths {
		f := NewFollower(p, Position{}, FollowConfig{Waker: roundWaker{}})
		defer f.Close()
		for { // read the file to its end
			if _, err := f.Next(context.Background()); errors.Is(err, errRound) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
		fs = append(fs, f)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range fs {
			if _, err := f.Next(context.Background()); !errors.Is(err, errRound) {
				b.Fatalf("an idle round returned %v", err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fs)), "ns/file-round")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkFollowIdle10Files follows 10 idle files for 2 seconds with the
// real waker (a 250 ms ticker each) and reports the CPU time the process
// used per second; "waker-only" is the same 10 tickers with no follower,
// the floor. Run it with -benchtime=1x.
func BenchmarkFollowIdle10Files(b *testing.B) {
	for _, follow := range []bool{false, true} {
		b.Run(map[bool]string{false: "waker-only", true: "follow"}[follow], func(b *testing.B) {
			paths := idleFiles(b, 10)
			for b.Loop() {
				idleRun(b, paths, follow)
			}
		})
	}
}

func idleRun(b *testing.B, paths []string, follow bool) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		rounds int64
		ready  = make(chan struct{}, len(paths))
		stop   = make(chan struct{})
	)
	for _, p := range paths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := NewTickWaker(250 * time.Millisecond)
			defer w.Stop()
			if !follow {
				ready <- struct{}{}
				for w.Wait(ctx) == nil {
					mu.Lock()
					rounds++
					mu.Unlock()
				}
				return
			}
			f := NewFollower(p, Position{}, FollowConfig{Waker: w})
			defer f.Close()
			first := true
			for {
				_, err := f.Next(ctx)
				if first {
					first = false
					ready <- struct{}{}
				}
				if err != nil {
					mu.Lock()
					rounds += f.Stats().Rounds
					mu.Unlock()
					return
				}
			}
		}()
	}
	for range paths { // every file read to its end: idle from here
		<-ready
	}
	start, cpu0 := time.Now(), cpuTime()
	go func() {
		<-time.After(2 * time.Second)
		close(stop)
	}()
	<-stop
	cancel()
	wg.Wait()
	wall, cpu := time.Since(start), cpuTime()-cpu0
	b.ReportMetric(float64(cpu.Microseconds())/wall.Seconds(), "cpu-µs/s")
	b.ReportMetric(float64(rounds)/wall.Seconds(), "rounds/s")
}
