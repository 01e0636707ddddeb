package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/logcause/logcause/patterns"
)

// fill writes n error events and n requests per day for the given days.
func fill(t *testing.T, s *Store, days []time.Time, n int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, day := range days {
		w := s.NewWriter()
		for i := range n {
			at := day.Add(time.Duration(i) * 86400 * time.Second / time.Duration(n))
			w.Request(at, 200, nil)
			w.Event(&patterns.Event{Time: at, Kind: patterns.KindNginxError, Path: "/var/log/nginx/error.log", Offset: int64(i),
				Text:  fmt.Sprintf("%s [error] connect() failed (111: Connection refused) while connecting to upstream %x", at.Format(time.DateTime), rng.Uint64()),
				Error: &patterns.NginxError{Level: "error", Errno: 111, Message: strings.Repeat("x", rng.IntN(100))}})
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}

// Retention frees the disk, in a batch store and in watch's quiet store,
// which runs no compaction workers.
func TestPruneDropsOldDaysAndFreesDisk(t *testing.T) {
	for name, openStore := range map[string]func(string) (*Store, error){"Open": Open, "OpenQuiet": OpenQuiet} {
		t.Run(name, func(t *testing.T) {
			s, err := openStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			testPrune(t, s)
		})
	}
}

func testPrune(t *testing.T, s *Store) {
	d1 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	days := []time.Time{d1, d1.AddDate(0, 0, 1), d1.AddDate(0, 0, 2)}
	fill(t, s, days, 40000)
	if err := s.db.Flatten(1); err != nil { // settle into tables, as a long-running store is
		t.Fatal(err)
	}
	before, _ := s.DiskUsage()
	st, err := s.Stats()
	if err != nil || st.Days != 3 || st.Events["nginx_error"] != 120000 || st.Requests != 120000 {
		t.Fatalf("stats before: %+v %v", st, err)
	}

	now := days[2].Add(13 * time.Hour)
	dropped, err := s.Prune(context.Background(), 1, now)
	if err != nil || dropped != 2 {
		t.Fatalf("Prune: %d days, %v", dropped, err)
	}
	first, _, _, _ := s.Range()
	if first.Before(days[2]) {
		t.Errorf("data from %s survived a 1-day retention at %s", first, now)
	}
	st, _ = s.Stats()
	if st.Days != 1 || st.Events["nginx_error"] != 40000 || st.Requests != 40000 {
		t.Errorf("stats after: days %d, events %v, requests %d", st.Days, st.Events, st.Requests)
	}
	after, _ := s.DiskUsage()
	t.Logf("disk: %d KiB before, %d KiB after", before>>10, after>>10)
	if after > before*3/4 {
		t.Errorf("pruning 2 of 3 days freed too little: %d → %d bytes", before, after)
	}
	if n, err := s.Prune(context.Background(), 1, now); n != 0 || err != nil {
		t.Errorf("second prune: %d, %v", n, err)
	}
	if _, err := s.Prune(context.Background(), 0, now); err == nil {
		t.Error("a retention of 0 days was accepted")
	}
}

func TestSchemaMismatchIsRefused(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.db.Update(func(txn *badger.Txn) error { return txn.Set(schemaKey, []byte("1")) })
	s.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "schema 1") || !strings.Contains(err.Error(), "rebuild the store") {
		t.Fatalf("err = %v", err)
	}
}

// TestPruneStopsWhenTheContextIsDone: a prune stopped (`store prune`
// interrupted, watch stopping) drops nothing it had not dropped yet.
func TestPruneStopsWhenTheContextIsDone(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d1 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fill(t, s, []time.Time{d1, d1.AddDate(0, 0, 1)}, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n, err := s.Prune(ctx, 1, d1.AddDate(0, 0, 1))
	if n != 0 || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "stopped before") {
		t.Fatalf("Prune with its context done: %d days dropped, err %v", n, err)
	}
	if st, err := s.Stats(); err != nil || st.Days != 2 {
		t.Errorf("after a stopped prune: %d days, %v; want both kept", st.Days, err)
	}
}

// TestPruneDirAndStatsOf: the store commands' entry points open an
// existing store only, count it, prune it and close it.
func TestPruneDirAndStatsOf(t *testing.T) {
	dir := t.TempDir() + "/store"
	if _, err := StatsOf(dir); !errors.Is(err, ErrNoStore) {
		t.Errorf("stats of no store: %v", err)
	}
	if _, _, _, err := PruneDir(context.Background(), dir, 1, time.Now()); !errors.Is(err, ErrNoStore) {
		t.Errorf("prune of no store: %v", err)
	}
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	d1 := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	fill(t, s, []time.Time{d1, d1.AddDate(0, 0, 1)}, 100)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := StatsOf(dir); err != nil || st.Days != 2 || st.Requests != 200 {
		t.Errorf("stats: %+v %v", st, err)
	}
	days, before, after, err := PruneDir(context.Background(), dir, 1, d1.AddDate(0, 0, 1).Add(time.Hour))
	if err != nil || days != 1 || before <= 0 || after <= 0 {
		t.Errorf("prune: %d days, %d → %d bytes, %v", days, before, after, err)
	}
	if st, err := StatsOf(dir); err != nil || st.Days != 1 || st.Requests != 100 {
		t.Errorf("stats after the prune: %+v %v", st, err)
	}
}
