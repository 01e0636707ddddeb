package ingest

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// File is one file found by Discover.
type File struct {
	Path string
	// Named is true when the user named the file itself rather than a
	// directory holding it: a file the user named that cannot be read as a
	// log is an error, one met while walking a directory is only reported.
	Named bool
}

// Skipped is a file Discover passed over, with the reason.
type Skipped struct {
	Path   string
	Reason string
}

// ErrNoFiles is returned by Discover when the paths hold no file at all.
var ErrNoFiles = errors.New("no log files found")

// Discover returns the regular files named by paths, walking directories
// recursively, in lexical order, each once (by device and inode: a file
// reached by two paths or through a symlink is read once). Hidden files and directories (".name")
// met while walking are skipped, and so are files that cannot be read; they
// are returned as Skipped. A path that does not exist is an error.
func Discover(paths []string) ([]File, []Skipped, error) {
	var (
		files   []File
		skipped []Skipped
		seen    = map[[2]uint64]bool{} // device and inode: a file named twice is read once
	)
	add := func(f File) {
		if st, err := os.Stat(f.Path); err == nil {
			if sys, ok := st.Sys().(*syscall.Stat_t); ok {
				id := [2]uint64{uint64(sys.Dev), sys.Ino}
				if seen[id] {
					return
				}
				seen[id] = true
			}
		}
		files = append(files, f)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("cannot read %s: no such file or directory; check the path", p)
			}
			return nil, nil, fmt.Errorf("cannot read %s: %w%s", p, err, permissionHint(err))
		}
		if !st.IsDir() {
			add(File{Path: p, Named: true})
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				skipped = append(skipped, Skipped{path, fmt.Sprintf("cannot read: %v%s", err, permissionHint(err))})
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if !d.Type().IsRegular() {
				// Follow symlinks to regular files; skip sockets, pipes, devices.
				st, err := os.Stat(path)
				if err != nil || !st.Mode().IsRegular() {
					skipped = append(skipped, Skipped{path, "not a regular file"})
					return nil
				}
			}
			add(File{Path: path})
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("cannot walk %s: %w", p, err)
		}
	}
	if len(files) == 0 {
		return nil, skipped, fmt.Errorf("%w in %s: point logcause at the directory or files holding the nginx, PHP-FPM and MySQL logs (e.g. /var/log)", ErrNoFiles, strings.Join(paths, ", "))
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, skipped, nil
}
