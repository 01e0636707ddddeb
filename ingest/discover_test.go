package ingest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"nginx/access.log", "nginx/error.log", "php8.2-fpm.log", ".hidden/x.log", "nginx/.swap"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), []byte("x\n"), 0o644)
	}
	os.Symlink(filepath.Join(dir, "php8.2-fpm.log"), filepath.Join(dir, "link.log"))
	found, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found.Files {
		rel, _ := filepath.Rel(dir, f.Path)
		got = append(got, rel)
		if f.Named {
			t.Errorf("%s found by walking is marked Named", rel)
		}
	}
	want := "link.log nginx/access.log nginx/error.log"
	if strings.Join(got, " ") != want {
		t.Errorf("files = %v, want %s", got, want)
	}

	named, err := Discover([]string{filepath.Join(dir, "nginx/error.log")})
	if err != nil || len(named.Files) != 1 || !named.Files[0].Named {
		t.Errorf("named file: %v, %v", named, err)
	}
}

func TestDiscoverErrors(t *testing.T) {
	_, err := Discover([]string{t.TempDir()})
	if !errors.Is(err, ErrNoFiles) {
		t.Errorf("empty directory: err = %v, want ErrNoFiles", err)
	}
	_, err = Discover([]string{filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing path: err = %v", err)
	}
}

func TestDiscoverReadsAFileOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "access.log")
	os.WriteFile(p, []byte("x\n"), 0o644)
	os.Symlink(p, filepath.Join(dir, "current.log"))
	found, err := Discover([]string{p, dir, filepath.Join(dir, "current.log")})
	if err != nil || len(found.Files) != 1 || found.Files[0].Path != p || !found.Files[0].Named {
		t.Fatalf("files %+v, %v; want access.log once, as named", found.Files, err)
	}
	// Named after its directory: still named.
	found, err = Discover([]string{dir, p})
	if err != nil || len(found.Files) != 1 || found.Files[0].Path != p || !found.Files[0].Named {
		t.Fatalf("files %+v, %v; want access.log once, as named", found.Files, err)
	}
}

// TestDiscoverKeepsGoing: a path that does not exist, or a pattern that
// matches nothing, is a problem; the other paths are still walked, and a
// pattern that matches stands for its files.
func TestDiscoverKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"access.log", "php8.2-fpm.log", "php8.2-fpm.log.1"} {
		os.WriteFile(filepath.Join(dir, name), []byte("x\n"), 0o644)
	}
	missing := filepath.Join(dir, "nope")
	unmatched := filepath.Join(dir, "php8.1-fpm.log*")
	found, err := Discover([]string{missing, filepath.Join(dir, "php8.2-fpm.log*"), unmatched, filepath.Join(dir, "access.log")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range found.Files {
		got = append(got, filepath.Base(f.Path))
		if !f.Named {
			t.Errorf("%s, matched by a pattern the user gave, is not marked Named", f.Path)
		}
	}
	if strings.Join(got, " ") != "access.log php8.2-fpm.log php8.2-fpm.log.1" {
		t.Errorf("files %v", got)
	}
	want := []string{
		"cannot read " + missing + ": no such file or directory; check the path",
		"cannot read " + unmatched + ": no file matches this pattern; check the path",
	}
	if len(found.Problems) != len(want) {
		t.Fatalf("problems %v, want %q", found.Problems, want)
	}
	for i, p := range found.Problems {
		if p.Error() != want[i] {
			t.Errorf("problem %q, want %q", p, want[i])
		}
	}

	// Nothing found: the problems are the error.
	found, err = Discover([]string{missing, unmatched})
	if err == nil || !strings.Contains(err.Error(), want[0]) || !strings.Contains(err.Error(), want[1]) || len(found.Problems) != 2 {
		t.Errorf("only missing paths: err %v, problems %v", err, found.Problems)
	}
}

// TestDiscoverFollowsSymlinksNamed: a symlink the user names is followed,
// to a directory or a file, and the files keep the name the user gave;
// symlinks to directories met while walking are not followed (a link to
// its own parent would loop), and are skipped with the reason.
func TestDiscoverFollowsSymlinksNamed(t *testing.T) {
	logs := t.TempDir()
	os.MkdirAll(filepath.Join(logs, "nginx"), 0o755)
	os.WriteFile(filepath.Join(logs, "nginx", "access.log"), []byte("x\n"), 0o644)
	os.Symlink(logs, filepath.Join(logs, "nginx", "loop"))
	links := t.TempDir()
	dirLink, fileLink := filepath.Join(links, "logs"), filepath.Join(links, "access.log")
	os.Symlink(logs, dirLink)
	os.Symlink(filepath.Join(logs, "nginx", "access.log"), fileLink)

	for _, tc := range []struct {
		path string
		want string
	}{
		{dirLink, filepath.Join(dirLink, "nginx", "access.log")},
		{fileLink, fileLink},
	} {
		found, err := Discover([]string{tc.path})
		if err != nil {
			t.Fatalf("%s: %v", tc.path, err)
		}
		if len(found.Files) != 1 || found.Files[0].Path != tc.want || len(found.Problems) != 0 {
			t.Errorf("%s: files %+v, problems %v; want %s", tc.path, found.Files, found.Problems, tc.want)
		}
	}
	found, _ := Discover([]string{dirLink})
	want := Skipped{filepath.Join(dirLink, "nginx", "loop"), "a symlink to a directory: not followed while walking (name it to read it)"}
	if len(found.Skipped) != 1 || found.Skipped[0] != want {
		t.Errorf("skipped %+v, want %+v", found.Skipped, want)
	}
}
