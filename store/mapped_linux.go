package store

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// pageOut asks the kernel to reclaim the pages of dir's Badger files
// mapped into this process: its tables (*.sst), and the write-ahead logs
// of its memtables (*.mem) and its value log (*.vlog), which Badger
// writes through a mapping and, but for a restart, never reads. Reclaim
// (MADV_PAGEOUT, Linux 5.4) unmaps the pages and drops them from the page
// cache, writing back what is dirty first; the next read of a page reads
// it from the file again. It is safe on any range: a mapping that was
// unmapped, and its addresses reused, since /proc/self/maps was read is
// reclaimed too, never discarded (the MADV_DONTNEED that drops pages at
// once would zero an anonymous one).
func pageOut(dir string) error {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return err
	}
	prefix := dir + string(os.PathSeparator)
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		// start-end perms offset dev inode path
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasPrefix(f[5], prefix) || !badgerFile(f[5]) {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		if _, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT); errno != 0 {
			return errno
		}
	}
	return sc.Err()
}

// badgerFile reports whether a file is one of those Badger maps.
func badgerFile(name string) bool {
	return strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".mem") || strings.HasSuffix(name, ".vlog")
}
