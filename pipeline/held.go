package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"syscall"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/timeline"
)

// What a store holds of each file a batch load read: one mark per content,
// whatever its name, checkpointed with the counts it covers. A later load
// reads only what is new: the lines appended since, the files it never
// read. A file is recognised as the follower recognises one (ingest's
// Identity and Position): by its device and inode, or by its content — the
// head (the first KiB, decompressed for an archive) and the bytes just
// before the offset read — so that a log renamed by rotation, or
// compressed into an archive, is not counted twice, and one truncated or
// replaced is read from its start.

// mark is how far a batch load read one file's content.
type mark struct {
	// Pos is where reading stopped, in the (decompressed) content: its ID
	// names the file last read (device, inode) and its head.
	Pos ingest.Position `json:"pos"`
	// The file on disk when it was read. An archive read to its end (End)
	// that still has the same device, inode, size and modification time
	// is not opened again: archives do not change. Anything else is
	// checked against Pos, an archive by decompressing it up to the offset.
	Size       int64 `json:"size"`
	ModTime    int64 `json:"mtime"` // Unix nanoseconds
	Compressed bool  `json:"compressed,omitempty"`
	End        bool  `json:"end,omitempty"`
	// Zone is the UTC offset (seconds east) the file's zoneless stamps
	// were read in when it was learned from the access logs, TZ what the
	// report says of it: appended lines are read in the same zone.
	Zone *int   `json:"zone,omitempty"`
	TZ   string `json:"tz,omitempty"`
	// Offsets counts an access log's stamps by UTC offset: the evidence
	// for the zone of zoneless logs read with it, on a later load too.
	Offsets map[int]int64 `json:"offsets,omitempty"`
}

// ledger is what a sink holds of the files loaded into it, as a load
// goes: a mark written is seen by the files read after it (a log and the
// archive rotation made of it, both given, are read once).
type ledger struct {
	marks   map[string]*mark
	sources map[string]timeline.Source
	byInode map[[2]uint64][]string
	byHead  map[uint64][]string // marks whose head is HeadSize bytes long
	young   []string            // marks of files shorter than HeadSize when read
}

// newLedger reads what sink holds.
func newLedger(sink BatchSink) (*ledger, error) {
	marks, sources, err := sink.Held()
	if err != nil {
		return nil, err
	}
	return readLedger(marks, sources)
}

// readLedger decodes marks (by key) and sources.
func readLedger(marks map[string][]byte, sources []timeline.Source) (*ledger, error) {
	l := &ledger{marks: map[string]*mark{}, sources: map[string]timeline.Source{}, byInode: map[[2]uint64][]string{}, byHead: map[uint64][]string{}}
	for _, s := range sources {
		l.sources[s.Path] = s
	}
	for key, b := range marks {
		var m mark
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("cannot read what the store holds of a file (%q): %w (the store may be from another version of logcause: remove it and read the logs again)", key, err)
		}
		l.put(key, &m)
	}
	return l, nil
}

// put records (replaces) the mark of key.
func (l *ledger) put(key string, m *mark) {
	l.marks[key] = m
	add := func(keys []string) []string {
		if slices.Contains(keys, key) {
			return keys
		}
		return append(keys, key)
	}
	id := m.Pos.ID
	in := [2]uint64{id.Dev, id.Inode}
	l.byInode[in] = add(l.byInode[in])
	if id.HeadLen == ingest.HeadSize {
		l.byHead[id.HeadHash] = add(l.byHead[id.HeadHash])
	} else {
		l.young = add(l.young)
	}
}

// newKey returns a key for a content read for the first time.
func (l *ledger) newKey(fi os.FileInfo) string {
	dev, ino := fileID(fi)
	key := fmt.Sprintf("%x.%x.%x", dev, ino, fi.ModTime().UnixNano())
	for n := 1; l.marks[key] != nil; n++ {
		key = fmt.Sprintf("%x.%x.%x.%d", dev, ino, fi.ModTime().UnixNano(), n)
	}
	return key
}

func fileID(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

// find returns the keys of the marks that may hold the file at path, the
// one read furthest first, and whether the first holds all of it without
// a look inside (an archive unchanged since it was read to its end).
// Whether the others do is for ingest.OpenAt to check.
func (l *ledger) find(path string, fi os.FileInfo) (keys []string, whole bool, err error) {
	dev, ino := fileID(fi)
	same := l.byInode[[2]uint64{dev, ino}]
	for _, k := range same {
		m := l.marks[k]
		if m.Compressed && m.End && m.Size == fi.Size() && m.ModTime == fi.ModTime().UnixNano() && m.Pos.ID.Dev == dev && m.Pos.ID.Inode == ino {
			return []string{k}, true, nil
		}
	}
	if len(l.marks) == 0 {
		return nil, false, nil
	}
	head, err := ingest.ReadHead(path)
	if err != nil {
		return nil, false, err
	}
	for _, list := range [][]string{same, l.byHead[head.ID.HeadHash], l.young} {
		for _, k := range list {
			if m := l.marks[k]; m.Pos.Offset > 0 && head.Begins(m.Pos.ID) && !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.SortStableFunc(keys, func(a, b string) int {
		return cmp.Compare(l.marks[b].Pos.Offset, l.marks[a].Pos.Offset)
	})
	return keys, false, nil
}

// zoneOf returns the zone a mark says the file's zoneless stamps were
// read in, if it learned one.
func (m *mark) zoneOf() (*time.Location, string, bool) {
	if m == nil || m.Zone == nil {
		return nil, "", false
	}
	return inferred{Offset: *m.Zone}.Zone(), m.TZ, true
}

// offsets returns an access log's stamps by UTC offset, as far as m read.
func (m *mark) offsets() map[int]int64 {
	if m == nil {
		return nil
	}
	return m.Offsets
}

// Held is what a store holds of the files read into it (their marks), for
// a follower: it starts following a file where the store holds it to, and
// keeps the file's mark up to date in its commits, so that a batch load
// after it reads only what it did not. It is safe for concurrent use.
type Held struct{ l *ledger }

// ReadHeld reads the marks of a store (store.Store.Marks).
func ReadHeld(marks map[string][]byte) (*Held, error) {
	l, err := readLedger(marks, nil)
	return &Held{l}, err
}

// Start returns the position of the mark that holds the file at path
// furthest, the file's content checked up to there, and the mark's key;
// ok is false when none does (or there is no file at path).
func (h *Held) Start(ctx context.Context, path string, limits ingest.Limits) (key string, pos ingest.Position, ok bool, err error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", pos, false, nil
	}
	if err != nil {
		return "", pos, false, fmt.Errorf("cannot read %s: %w", path, err)
	}
	keys, _, err := h.l.find(path, fi)
	if err != nil {
		return "", pos, false, err
	}
	for _, k := range keys {
		r, ok, err := ingest.OpenAt(ctx, path, limits, h.l.marks[k].Pos)
		if err != nil {
			return "", pos, false, err
		}
		r.Close()
		if ok {
			return k, h.l.marks[k].Pos, true, nil
		}
	}
	return "", pos, false, nil
}

// KeyAt returns the key of the mark at pos, if there is one.
func (h *Held) KeyAt(pos ingest.Position) (string, bool) {
	for k, m := range h.l.marks {
		if m.Pos.ID == pos.ID && m.Pos.Offset == pos.Offset && m.Pos.Before == pos.Before {
			return k, true
		}
	}
	return "", false
}

// Mark returns the mark of key for a file the store holds from its start
// to pos, keeping what the mark said of the file's zone and stamps.
func (h *Held) Mark(key string, pos ingest.Position) ([]byte, error) {
	m := mark{Pos: pos}
	if old := h.l.marks[key]; old != nil {
		m.Zone, m.TZ, m.Offsets = old.Zone, old.TZ, old.Offsets
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("cannot encode how far %s was read: %w", pos.Path, err)
	}
	return b, nil
}
