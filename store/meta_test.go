package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestMeta: a value put is read back after a reopen, survives a prune of
// every day, and cannot replace the schema.
func TestMeta(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Meta("report/nightly"); ok || err != nil {
		t.Fatalf("before any put: %v %v", ok, err)
	}
	if err := s.PutMeta("report/nightly", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta("report/nightly", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMeta("schema", []byte("0")); err == nil {
		t.Error("PutMeta replaced the schema")
	}
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	fill(t, s, []time.Time{day}, 10)
	if n, err := s.Prune(context.Background(), 1, day.AddDate(0, 0, 5)); n != 1 || err != nil {
		t.Fatalf("prune: %d %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(dir); err != nil { // the schema is intact
		t.Fatal(err)
	}
	defer s.Close()
	if v, ok, err := s.Meta("report/nightly"); string(v) != "two" || !ok || err != nil {
		t.Errorf("after a reopen: %q %v %v", v, ok, err)
	}
}
