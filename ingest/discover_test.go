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
	files, _, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range files {
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

	named, _, err := Discover([]string{filepath.Join(dir, "nginx/error.log")})
	if err != nil || len(named) != 1 || !named[0].Named {
		t.Errorf("named file: %v, %v", named, err)
	}
}

func TestDiscoverErrors(t *testing.T) {
	_, _, err := Discover([]string{t.TempDir()})
	if !errors.Is(err, ErrNoFiles) {
		t.Errorf("empty directory: err = %v, want ErrNoFiles", err)
	}
	_, _, err = Discover([]string{filepath.Join(t.TempDir(), "nope")})
	if err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing path: err = %v", err)
	}
}

func TestDiscoverReadsAFileOnce(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "access.log")
	os.WriteFile(p, []byte("x\n"), 0o644)
	os.Symlink(p, filepath.Join(dir, "current.log"))
	files, _, err := Discover([]string{p, dir, filepath.Join(dir, "current.log")})
	if err != nil || len(files) != 1 || files[0].Path != p || !files[0].Named {
		t.Fatalf("files %+v, %v; want access.log once, as named", files, err)
	}
}
