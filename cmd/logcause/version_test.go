package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestVersionSaysWhereItCameFrom(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if code != exitOK || len(lines) != 4 || !strings.HasPrefix(lines[0], "logcause ") ||
		!strings.HasPrefix(lines[1], "commit  ") || !strings.HasPrefix(lines[2], "built   ") ||
		lines[3] != "go      "+runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// The package's man pages: one per command, the completion commands
// that cobra adds included, the hidden ones not.
func TestManWritesAPagePerCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	if code, _, errs := runCmd(t, "man", dir); code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, page := range []string{"logcause.1.gz", "logcause-watch.1.gz", "logcause-config-example.1.gz", "logcause-completion-bash.1.gz", "logcause-version.1.gz"} {
		if fi, err := os.Stat(filepath.Join(dir, page)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", page, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "logcause-man.1.gz")); err == nil {
		t.Error("the hidden man command has a man page")
	}
	if code, _, errs := runCmd(t, "man"); code != exitRuntime || !strings.Contains(errs, "accepts 1 arg(s)") {
		t.Errorf("man without DIR: exit %d: %s", code, errs)
	}
}
