package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreCommandsNeedAStore: stats and prune only read (or prune) a
// store: on a directory that holds none, or none at all, they say so and
// create nothing.
func TestStoreCommandsNeedAStore(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope")
	for _, cmd := range [][]string{{"store", "stats"}, {"store", "prune", "--keep-days", "3"}} {
		for _, dir := range []string{empty, missing} {
			t.Run(strings.Join(cmd, " ")+" "+filepath.Base(dir), func(t *testing.T) {
				code, out, errs := runCmd(t, append(cmd, "--store", dir)...)
				if code != exitRuntime || !strings.Contains(errs, "cannot open the store in "+dir+": no logcause store") ||
					!strings.Contains(errs, "give --store the directory where `logcause analyze --store` or `logcause watch` keeps one") {
					t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
				}
				if entries, err := os.ReadDir(empty); err != nil || len(entries) != 0 {
					t.Errorf("%s holds %v (%v): a store was created", empty, entries, err)
				}
				if _, err := os.Stat(missing); !os.IsNotExist(err) {
					t.Errorf("%s was created (%v)", missing, err)
				}
			})
		}
	}
}
