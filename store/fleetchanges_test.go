package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// TestFleetChanges: a snapshot tells the seconds and records committed
// after a version, whatever their instants, with what was kept as
// published of a second; what was kept of the days before the store's
// first is pruned.
func TestFleetChanges(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	write := func(at time.Time, n int) {
		w := s.NewWriter()
		for range n {
			w.Request(at, 502, nil)
		}
		ev := nginxErrorAt("/var/log/nginx/error.log", 0, 1)
		ev.Time = at
		if err := w.Event(ev); err != nil {
			t.Fatal(err)
		}
		if err := w.Commit(nil); err != nil {
			t.Fatal(err)
		}
	}
	changes := func(since, upTo uint64) (secs map[int64][2]int64, recs int) {
		snap := s.FleetSnapshot()
		defer snap.Close()
		secs = map[int64][2]int64{}
		all := [2]time.Time{{}, day.Add(48 * time.Hour)}
		if err := snap.ChangedSeconds(all[0], all[1], since, upTo, func(now, pub timeline.Second, _ []byte) error {
			secs[now.Time.Unix()] = [2]int64{count(now), count(pub)}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := snap.ChangedEvents(all[0], all[1], nil, since, upTo, func([]byte, *patterns.Event) error { recs++; return nil }); err != nil {
			t.Fatal(err)
		}
		return secs, recs
	}
	write(day.Add(time.Hour), 2)
	snap := s.FleetSnapshot()
	v1 := snap.Version()
	snap.Close()
	write(day, 3) // an hour before: late
	if secs, recs := changes(v1, 1<<62); len(secs) != 1 || secs[day.Unix()] != [2]int64{3, 0} || recs != 1 {
		t.Errorf("after v1: seconds %v, %d records; want the late second (3, none published) and its record", secs, recs)
	}
	if secs, _ := changes(0, v1); len(secs) != 1 || secs[day.Add(time.Hour).Unix()] != [2]int64{2, 0} {
		t.Errorf("up to v1: seconds %v; want the first", secs)
	}
	snap = s.FleetSnapshot()
	var raw []byte
	if err := snap.ChangedSeconds(day, day.Add(time.Second), 0, 1<<62, func(_, _ timeline.Second, r []byte) error { raw = r; return nil }); err != nil {
		t.Fatal(err)
	}
	snap.Close()
	if err := s.PutFleetState(map[string][]byte{"fleet/x": []byte("y")}, map[int64][]byte{day.Unix(): raw}); err != nil {
		t.Fatal(err)
	}
	if secs, _ := changes(v1, 1<<62); secs[day.Unix()] != [2]int64{3, 3} {
		t.Errorf("after PutFleetState: %v; want 3 published", secs)
	}
	if err := s.PruneFleetPublished(day.Add(24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if secs, _ := changes(v1, 1<<62); secs[day.Unix()] != [2]int64{3, 0} {
		t.Errorf("after the prune: %v; want nothing kept as published", secs)
	}
}

func count(s timeline.Second) (n int64) {
	for _, c := range s.Status {
		n += c.Count
	}
	return n
}
