package daemon

import (
	"fmt"
	"testing"
	"time"

	"github.com/logcause/logcause/ingest"
)

// TestTrackerMarksOnlyWhatTheStoreHoldsFromTheStart: the daemon marks a
// file it reads from its start (and a file it leaves by rotation, up to
// where it left it), and stops marking at anything else the follower
// reports, until the next file read from its start: a mark never claims
// lines the store does not hold.
func TestTrackerMarksOnlyWhatTheStoreHoldsFromTheStart(t *testing.T) {
	id := func(ino uint64) ingest.Identity {
		return ingest.Identity{Dev: 1, Inode: ino, HeadLen: 10, HeadHash: ino}
	}
	at := func(ino uint64, off int64) ingest.Position { return ingest.Position{ID: id(ino), Offset: off} }
	records := []ingest.Record{{Text: []byte("a line")}}
	tr := &tracker{now: func() time.Time { return time.Unix(0, 7) }}
	tr.fromStart() // --from-start: the first file from its start
	for i, step := range []struct {
		batch ingest.Batch
		want  string // the marks, by the file's inode
	}{
		{ingest.Batch{ID: id(1), Records: records, Position: at(1, 100)}, "map[1:100]"},
		{ingest.Batch{ID: id(1), Records: records, Position: at(1, 120)}, "map[1:120]"},
		// Rotated: the last records of file 1, its end, then file 2 from its start.
		{ingest.Batch{ID: id(1), Records: records, Position: at(2, 0),
			Notices: []ingest.Notice{{Kind: ingest.NoticeRotated, ID: id(1), End: at(1, 150)}}}, "map[1:150]"},
		{ingest.Batch{ID: id(2), Records: records, Position: at(2, 50)}, "map[2:50]"},
		// Truncated: what follows is not known to be held from the start.
		{ingest.Batch{ID: id(2), Records: records, Position: at(2, 30),
			Notices: []ingest.Notice{{Kind: ingest.NoticeTruncated, ID: id(2)}}}, "map[]"},
		{ingest.Batch{ID: id(2), Records: records, Position: at(2, 60)}, "map[]"},
		// A rotation to a file read from its start marks again; not the file left.
		{ingest.Batch{ID: id(3), Records: records, Position: at(3, 10),
			Notices: []ingest.Notice{{Kind: ingest.NoticeRotated, ID: id(2), End: at(2, 60)}}}, "map[3:10]"},
		// Records of another file without a notice: stop.
		{ingest.Batch{ID: id(4), Records: records, Position: at(4, 10)}, "map[]"},
		// A new file at the path after a deletion is read from its start.
		{ingest.Batch{ID: id(5), Records: records, Position: at(5, 5),
			Notices: []ingest.Notice{{Kind: ingest.NoticeCreated, ID: id(5)}}}, "map[5:5]"},
	} {
		got := map[uint64]int64{}
		for key, pos := range tr.marks(&step.batch) {
			got[pos.ID.Inode] = pos.Offset
			if key == "" {
				t.Errorf("step %d: a mark without a key", i)
			}
		}
		if fmt.Sprint(got) != step.want {
			t.Errorf("step %d: marks %v, want %s", i, got, step.want)
		}
	}

	// A follower that began in a rotated sibling, the store not holding
	// it from its start, may read the next file on from where it left the
	// sibling (a copy of it): that file is not marked.
	tr = &tracker{now: func() time.Time { return time.Unix(0, 8) }}
	for i, b := range []ingest.Batch{
		{ID: id(6), Records: records, Position: at(6, 90), Notices: []ingest.Notice{{Kind: ingest.NoticeResumed, ID: id(6), Offset: 40}}},
		{ID: id(7), Records: records, Position: at(7, 120), Notices: []ingest.Notice{{Kind: ingest.NoticeRotated, ID: id(6), End: at(6, 90)}}},
	} {
		if m := tr.marks(&b); len(m) > 0 {
			t.Errorf("resumed in a sibling, batch %d: marks %v", i, m)
		}
	}
}
