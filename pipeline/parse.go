package pipeline

import (
	"errors"
	"fmt"
	"io"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// WriteJSON writes every record of the file at path as one JSON object per
// line (`logcause parse`), reading stamps without a zone in opts.Zone,
// which must be set.
// Records that do not parse are counted in the error, never dropped
// silently.
func WriteJSON(out io.Writer, path string, opts Options) error {
	r, format, err := Open(ingest.File{Path: path, Named: true}, opts)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := format.Parser(opts.Zone, modTime(path))
	if err != nil {
		return err
	}
	var (
		buf               []byte
		records, unparsed int64 // counted as Step counts them
	)
	err = r.Records(format.StartsRecord, func(rec []byte, off int64) error {
		var ev patterns.Event
		if err := p.Parse(rec, &ev); err != nil {
			if !errors.Is(err, patterns.ErrNoEvent) {
				records++
				unparsed++
			}
			return nil
		}
		records++
		ev.Path, ev.Offset = path, off
		buf = ev.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		_, err := out.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	if unparsed > 0 {
		return fmt.Errorf("%s: %d of %d records did not parse as %s", path, unparsed, records, format.Kind)
	}
	return nil
}
