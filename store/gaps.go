package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"
)

// Gap records that lines of a followed log may be missing: the follower
// found its saved position in no file, switched away from a file still
// being written, or saw a file truncated with no copy of its unread rest.
// Analysis reports the gaps near an incident: its evidence may be short.
type Gap struct {
	Time   time.Time `json:"time"`   // when the follower noticed, UTC
	Path   string    `json:"path"`   // the log concerned
	Offset int64     `json:"offset"` // where in it reading stopped
	Reason string    `json:"reason"`
}

// gapKey is unique per path, offset and instant.
func gapKey(g Gap) []byte {
	k := timeKey(prefixGap, g.Time)
	h := fnv.New32a()
	h.Write([]byte(g.Path))
	k = binary.BigEndian.AppendUint32(k, h.Sum32())
	return binary.BigEndian.AppendUint64(k, uint64(g.Offset))
}

// Gap records g with what the Writer holds: Commit writes it with the
// positions it explains.
func (w *Writer) Gap(g Gap) {
	g.Time = g.Time.UTC()
	w.gaps = append(w.gaps, g)
}

// Gaps returns the gaps noticed in [from, to), in time order.
func (s *Store) Gaps(from, to time.Time) ([]Gap, error) {
	var out []Gap
	err := s.scan(prefixGap, from, to, func(_, v []byte) error {
		var g Gap
		if err := json.Unmarshal(v, &g); err != nil {
			return fmt.Errorf("corrupt gap record in the store: %w (remove the store and ingest again)", err)
		}
		out = append(out, g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot read the gaps in %s: %w", s.dir, err)
	}
	return out, nil
}
