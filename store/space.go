package store

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrDiskFull is wrapped when the store's filesystem has too little room.
var ErrDiskFull = errors.New("not enough free disk space for the store")

// minFree is the free space the store's filesystem must keep. Badger maps
// its memtable logs and tables into memory as sparse files: when the disk
// fills under them, the process dies of SIGBUS instead of getting an error.
// So the store stops while there is still room for everything Badger may
// touch before the next check (two memtable logs of 2×16 MiB, a table
// flush and a value-log file of 2×64 MiB at most).
var minFree uint64 = 200 << 20

// checkSpace returns an error wrapping ErrDiskFull when dir's filesystem
// has less than minFree bytes available.
func checkSpace(dir string) error {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return fmt.Errorf("cannot check the free space for the store in %s: %w", dir, err)
	}
	free := st.Bavail * uint64(st.Bsize)
	if free < minFree {
		return fmt.Errorf("%w in %s: %d MiB free, the store needs at least %d MiB (Badger would crash on a full disk): free some space, or give --store a directory on another filesystem (a temporary store follows TMPDIR)",
			ErrDiskFull, dir, free>>20, minFree>>20)
	}
	return nil
}
