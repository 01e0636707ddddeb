package daemon

import (
	"fmt"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
)

// tracker keeps, for one follower, the mark (pipeline.Held) of the file it
// reads when the store holds that file from its start: the mark goes on
// with each commit, so that a batch load after the daemon reads only what
// the daemon did not. It is conservative: a file followed from its end
// (the first start without --from-start), or anything the follower
// reports but a rotation, a new file or a position found again in a
// rotated sibling (truncation, a gap, a forced switch, a deletion) stops
// the marks until the next file read from its start: a batch load may
// count again what the daemon read of such a file.
type tracker struct {
	held *pipeline.Held
	now  func() time.Time
	ok   bool            // the store holds the file of pos from its start to pos
	key  string          // its mark; "" until the file is known
	pos  ingest.Position // zero ID: the next file is read from its start
	// resumed: the follower began in a rotated sibling; a file it then
	// switches to may be read on from where the one left ended (a copy),
	// not from its start.
	resumed bool
}

// fromStart makes the next file read (from its start) the tracked one.
func (t *tracker) fromStart() { t.ok, t.key, t.pos = true, "", ingest.Position{} }

// marks returns the positions to record, by mark key, once fb is
// committed.
func (t *tracker) marks(fb *ingest.Batch) map[string]ingest.Position {
	out := map[string]ingest.Position{}
	var left ingest.Identity // the file a rotation left, if any
	for _, n := range fb.Notices {
		switch n.Kind {
		case ingest.NoticeRotated:
			ours := t.pos.ID.SameInode(n.ID) || (t.pos.ID.IsZero() && len(fb.Records) > 0 && fb.ID.SameInode(n.ID))
			if t.ok && ours {
				out[t.keyFor(n.ID)] = n.End
			}
			left = n.ID
			if t.ok && ours || !t.resumed {
				t.fromStart() // the next file's start is held: it is read, or it is the content just left
			} else {
				t.ok = false
			}
		case ingest.NoticeCreated:
			t.fromStart()
		case ingest.NoticeResumed: // the position, found in a rotated sibling or a copy
			t.resumed = true
			if !t.pos.ID.IsZero() && n.Offset == t.pos.Offset {
				t.pos.ID = n.ID
			} else {
				t.ok = false
			}
		default:
			t.ok = false
		}
	}
	if !t.ok || len(fb.Records) == 0 || (!left.IsZero() && fb.ID.SameInode(left)) {
		return out // nothing read, or the records of the file left: in its End
	}
	if !t.pos.ID.IsZero() && !t.pos.ID.SameInode(fb.ID) || !fb.Position.ID.SameInode(fb.ID) {
		t.ok = false // another file, or the position left it without a rotation
		return out
	}
	out[t.keyFor(fb.ID)] = fb.Position
	t.pos = fb.Position
	return out
}

// keyFor returns the key of the tracked file's mark, new when the file is
// read for the first time.
func (t *tracker) keyFor(id ingest.Identity) string {
	if t.key == "" {
		t.key = fmt.Sprintf("w.%x.%x.%x", id.Dev, id.Inode, t.now().UnixNano())
	}
	return t.key
}
