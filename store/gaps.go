package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/logcause/logcause/timeline"
)

// gapKey is unique per path, offset and instant.
func gapKey(g timeline.Gap) []byte {
	k := timeKey(prefixGap, g.Time)
	h := fnv.New32a()
	h.Write([]byte(g.Path))
	k = binary.BigEndian.AppendUint32(k, h.Sum32())
	return binary.BigEndian.AppendUint64(k, uint64(g.Offset))
}

// Gap records g with what the Writer holds: Commit writes it with the
// positions it explains.
func (w *Writer) Gap(g timeline.Gap) {
	g.Time = g.Time.UTC()
	w.gaps = append(w.gaps, g)
}

// Gaps returns the gaps noticed in [from, to), in time order.
func (s *Store) Gaps(from, to time.Time) ([]timeline.Gap, error) {
	var out []timeline.Gap
	err := s.scan(prefixGap, from, to, nil, func(_, v []byte) error {
		var g timeline.Gap
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
