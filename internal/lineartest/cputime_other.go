//go:build !linux

package lineartest

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the process has used: per thread, only
// Linux tells. The tests of the package do not run in parallel, so it is
// the test's, and the garbage collector's.
func threadCPU() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		panic(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
