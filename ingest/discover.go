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

// Found is what Discover found under the paths it was given.
type Found struct {
	Files []File
	// Skipped are passed over on purpose: sockets, pipes and devices met
	// while walking, and symlinks met while walking that lead to a
	// directory or to nothing.
	Skipped []Skipped
	// Problems are what could not be read: a path that does not exist, a
	// pattern that matches nothing, a directory that cannot be listed, a
	// named file that is not a regular file. Each error names its path and
	// says what to do.
	Problems []error
}

// ErrNoFiles is returned by Discover when the paths hold no file at all.
var ErrNoFiles = errors.New("no log files found")

// Discover returns the regular files named by paths, walking directories
// recursively, in lexical order, each once (by device and inode: a file
// reached by two paths or through a symlink is read once). A symlink given
// as a path is followed, to a file or a directory; symlinks met while
// walking are followed to regular files only, never into directories, so
// a walk cannot loop. A path that does not exist but holds a pattern
// (`*`, `?`, `[`: the shell passes one that matches nothing as it is)
// stands for the files it matches. Hidden files and directories (".name")
// met while walking are skipped silently.
//
// Nothing that cannot be read stops the others: it is returned in
// Problems. err is set only when no file was found at all: it joins the
// problems, or else wraps ErrNoFiles.
func Discover(paths []string) (Found, error) {
	d := discovery{seen: map[[2]uint64]int{}}
	for _, p := range paths {
		d.path(p, true)
	}
	if len(d.found.Files) == 0 {
		if len(d.found.Problems) > 0 {
			return d.found, errors.Join(d.found.Problems...)
		}
		return d.found, fmt.Errorf("%w in %s: point logcause at the directory or files holding the nginx, PHP-FPM and MySQL logs (e.g. /var/log)", ErrNoFiles, strings.Join(paths, ", "))
	}
	sort.SliceStable(d.found.Files, func(i, j int) bool { return d.found.Files[i].Path < d.found.Files[j].Path })
	return d.found, nil
}

// discovery is one run of Discover.
type discovery struct {
	found Found
	seen  map[[2]uint64]int // device and inode → index in found.Files: a file named twice is read once
}

func (d *discovery) problem(err error) { d.found.Problems = append(d.found.Problems, err) }

// add adds f, unless it was found already; then, if the user names it,
// it is marked Named.
func (d *discovery) add(f File) {
	if st, err := os.Stat(f.Path); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			id := [2]uint64{uint64(sys.Dev), sys.Ino}
			if i, ok := d.seen[id]; ok {
				d.found.Files[i].Named = d.found.Files[i].Named || f.Named
				return
			}
			d.seen[id] = len(d.found.Files)
		}
	}
	d.found.Files = append(d.found.Files, f)
}

// path adds what the user named: a file, a directory to walk, or (glob)
// a pattern standing for them.
func (d *discovery) path(p string, glob bool) {
	st, err := os.Stat(p) // a symlink the user names is followed
	if err != nil {
		d.missing(p, err, glob)
		return
	}
	switch {
	case st.Mode().IsRegular():
		d.add(File{Path: p, Named: true})
	case st.IsDir():
		d.walk(p)
	default:
		d.problem(notRegular(p, st.Mode()))
	}
}

// missing reports a path that cannot be reached, or reads the files its
// pattern matches.
func (d *discovery) missing(p string, err error, glob bool) {
	if !errors.Is(err, fs.ErrNotExist) {
		d.problem(fmt.Errorf("cannot read %s: %w%s", p, err, permissionHint(err)))
		return
	}
	if glob && strings.ContainsAny(p, `*?[`) {
		matches, gerr := filepath.Glob(p)
		if gerr == nil && len(matches) == 0 {
			d.problem(fmt.Errorf("cannot read %s: no file matches this pattern; check the path", p))
			return
		}
		for _, m := range matches {
			d.path(m, false)
		}
		if gerr == nil {
			return
		}
	}
	if target, lerr := os.Readlink(p); lerr == nil {
		d.problem(fmt.Errorf("cannot read %s: it is a symlink to %s, which does not exist; check the link", p, target))
		return
	}
	d.problem(fmt.Errorf("cannot read %s: no such file or directory; check the path", p))
}

// walk adds the regular files under the directory root.
func (d *discovery) walk(root string) {
	start := root
	if st, err := os.Lstat(root); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		// The user named a symlink to a directory: a trailing slash makes
		// the walk start in the directory it leads to, with paths under
		// the name the user gave.
		start = root + string(filepath.Separator)
	}
	err := filepath.WalkDir(start, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			d.problem(fmt.Errorf("cannot read %s: %w%s", path, err, permissionHint(err)))
			if e != nil && e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if path != start && strings.HasPrefix(e.Name(), ".") {
			if e.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if e.IsDir() {
			return nil
		}
		if !e.Type().IsRegular() {
			// Follow symlinks to regular files; skip the rest without
			// opening them: a pipe would block.
			st, err := os.Stat(path)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				d.found.Skipped = append(d.found.Skipped, Skipped{path, "a symlink to nothing"})
				return nil
			case err != nil:
				d.problem(fmt.Errorf("cannot read %s: %w%s", path, err, permissionHint(err)))
				return nil
			case st.IsDir():
				d.found.Skipped = append(d.found.Skipped, Skipped{path, "a symlink to a directory: not followed while walking (name it to read it)"})
				return nil
			case !st.Mode().IsRegular():
				d.found.Skipped = append(d.found.Skipped, Skipped{path, kindOf(st.Mode()) + ", not a regular file"})
				return nil
			}
		}
		d.add(File{Path: path})
		return nil
	})
	if err != nil {
		d.problem(fmt.Errorf("cannot walk %s: %w", root, err))
	}
}

// notRegular refuses a path that is not a regular file.
func notRegular(path string, m fs.FileMode) error {
	return fmt.Errorf("cannot read %s: it is %s, not a regular file; give logcause the log files, or the directories that hold them", path, kindOf(m))
}

// kindOf names what a file that is not a regular one is.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "not a regular file (" + m.String() + ")"
}
