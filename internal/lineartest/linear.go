// Package lineartest checks, in tests, that work grows linearly with the
// size of its input: the parsers and configuration readers must not take
// quadratic time on hostile input.
package lineartest

import (
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Linear work, checked without a clock bound.
//
// A parser that rescans its input (a bytes.Index from every candidate
// position, a LastIndex per field) does its quadratic work in the standard
// library's scanning loops, which allocate nothing and which no counter in
// this package sees, and the machines the tests run on have no hardware
// instruction counter (perf_event_open finds no "cpu" PMU on them). What is
// left to measure is the CPU time of the thread that does the work. It is
// never compared with a bound, which a slow or loaded machine breaks and
// which a quadratic parser meets on small inputs, but with itself: per
// byte, at sizes a factor of 8 apart. Linear work costs the same per byte
// at every size, quadratic work 8 times more at each step, so a quadratic
// parser fails at the first size where its quadratic term shows, and a
// slow machine slows every size alike. Thread CPU time does not count the
// time the thread waits for a core, the load of a busy CI machine.

// linearGrowth is how much more CPU time per byte a size may take than the
// size 8 times smaller: linear work takes as much (the caches make little
// difference: the scans stream), quadratic work 8 times more once its
// quadratic term leads.
const linearGrowth = 4

// linearSlack absorbs the clock's granularity and a cache refill in the
// smallest measurements.
const linearSlack = 20 * time.Microsecond

// minLinearSize bounds the smallest input measured: the sizes go down from
// top by factors of 8 to the last one at least this large. Small sizes
// make a quadratic parser fail fast; below, fixed costs per call hide the
// growth.
const minLinearSize = 4 << 10

// A size is run several times and its least time counts: noise (an
// interrupt, a GC assist, and above all the first run of a size, which
// takes fresh memory from the system and costs up to 4 times more for its
// page faults) only adds time. Each size but top is run linearReps times,
// or fewer as fit in top/8 bytes, 4 times at least; top once, as more runs
// would only lower its time. While a size grows too much it is run again,
// linearTries times in all before it fails: a quadratic parser takes long
// for each run.
const (
	linearReps  = 8
	linearTries = 3
)

// Filled returns a func that makes prefix followed by unit repeated until
// the result is at least size bytes.
func Filled(prefix, unit string) func(size int) []byte {
	return func(size int) []byte {
		b := make([]byte, 0, size+len(unit))
		b = append(b, prefix...)
		for len(b) < size {
			b = append(b, unit...)
		}
		return b
	}
}

// Want fails t unless the CPU time of work(input(size)) grows
// about linearly with size, up to size top. It measures the sizes top,
// top/8, top/64, ... down to minLinearSize, smallest first, and compares
// each size's CPU time per byte with the size before. It stops at the
// first size that grows too much, before the larger ones, which a
// quadratic parser would take minutes on.
func Want(t *testing.T, top int, input func(size int) []byte, work func(rec []byte)) {
	t.Helper()
	sizes := []int{top}
	for sizes[0]/8 >= minLinearSize {
		sizes = append([]int{sizes[0] / 8}, sizes...)
	}
	runtime.LockOSThread() // threadCPU is this goroutine's only while locked
	defer runtime.UnlockOSThread()
	var (
		prev float64 // CPU time per byte at the size before, in ns
		log  strings.Builder
	)
	for i, size := range sizes {
		rec := input(size)
		reps := max(4, min(linearReps, top/8/size))
		if size == top {
			reps = 1
		}
		allowed := time.Duration(linearGrowth*prev*float64(len(rec))) + linearSlack
		best := time.Duration(math.MaxInt64)
		for run := 1; ; run++ {
			runtime.GC() // no assist for the garbage of the run before
			start := threadCPU()
			work(rec)
			best = min(best, threadCPU()-start)
			ok := i == 0 || best <= allowed
			if ok && run >= reps || !ok && run >= linearTries {
				fmt.Fprintf(&log, "\n%9d bytes: %v, %.3f ns per byte, least of %d runs", len(rec), best, float64(best)/float64(len(rec)), run)
				break
			}
		}
		per := float64(best) / float64(len(rec))
		if i > 0 && best > allowed {
			t.Fatalf("more than linear work: %d bytes cost %.1f times more CPU time per byte than %d bytes:%s",
				len(rec), per/prev, sizes[i-1], log.String())
		}
		prev = per
	}
}
