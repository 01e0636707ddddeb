package store

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOpenExistingCreatesNothing: a directory without a store, a missing
// one and a file are refused, untouched; a store is opened.
func TestOpenExistingCreatesNothing(t *testing.T) {
	empty := t.TempDir()
	missing := filepath.Join(t.TempDir(), "nope")
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, dir := range []string{empty, missing, file} {
		if s, err := OpenExisting(dir); !errors.Is(err, ErrNoStore) {
			if s != nil {
				s.Close()
			}
			t.Errorf("OpenExisting(%s): %v, want ErrNoStore", dir, err)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("files created in %s: %v", empty, entries)
	}
	if _, err := os.Stat(missing); !os.IsNotExist(err) {
		t.Errorf("%s was created", missing)
	}

	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = OpenExisting(dir)
	if err != nil {
		t.Fatalf("OpenExisting of a store: %v", err)
	}
	s.Close()
}
