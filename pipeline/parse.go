package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/timeline"
)

// WriteJSON writes every record of the files at paths, in the order given,
// as one JSON object per line (`logcause parse`). Their formats and the
// zone of their zoneless stamps are those Load reads them in: the
// configured source's, or opts'; without a zone, the offset of the access
// logs among paths (checked against the requests an error log names), else
// this machine's. zoneUsed hears which zone and why (the label of the
// report's Sources table) for each file whose stamps may carry none, before
// its records are written.
//
// Records that do not parse are counted in the error, never dropped
// silently; a file that cannot be read does not stop the others. Once ctx
// is done, or the output fails, it reads no further. The output is
// buffered: out is written 64 KiB at a time, and what is left once it
// stops.
func WriteJSON(ctx context.Context, out io.Writer, paths []string, opts Options, zoneUsed func(path, label string)) error {
	buf := bufio.NewWriterSize(out, 64<<10)
	err := writeJSON(ctx, buf, paths, opts, zoneUsed)
	if ferr := buf.Flush(); ferr != nil {
		return outputError{ferr}
	}
	return err
}

func writeJSON(ctx context.Context, out io.Writer, paths []string, opts Options, zoneUsed func(path, label string)) error {
	var (
		files    []File
		problems []error
	)
	for _, path := range paths {
		f, err := detect(ingest.File{Path: path, Named: true}, opts)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		files = append(files, f)
	}
	zones, labels := zonesOf(ctx, files, opts)
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !f.Format.stampsCarryZone() {
			zoneUsed(f.Path, labels[i])
		}
		err := writeFileJSON(ctx, out, f, zones[i], opts.Limits)
		var failed outputError
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &failed):
			return err // nobody reads the rest
		case err != nil:
			problems = append(problems, err)
		}
	}
	return errors.Join(problems...)
}

// outputError is a write of WriteJSON's output that failed.
type outputError struct{ err error }

func (e outputError) Error() string { return "cannot write the output: " + e.err.Error() }
func (e outputError) Unwrap() error { return e.err }

// zonesOf chooses the zone of each file as Load does, in Load's order: the
// access logs first, read for what they tell of the server's zone (their
// offsets, their failed requests) when another file needs it.
func zonesOf(ctx context.Context, files []File, opts Options) ([]*time.Location, []string) {
	zones, labels := make([]*time.Location, len(files)), make([]string, len(files))
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return readOrder(files[a]) - readOrder(files[b]) })
	learn := slices.ContainsFunc(files, func(f File) bool {
		return !f.Format.stampsCarryZone() && f.Zone == nil && opts.Zone == nil
	})
	evidence := newZoneEvidence()
	for _, i := range order {
		zones[i], labels[i] = evidence.zoneFor(ctx, files[i], opts)
		if learn && files[i].Format.stampsCarryZone() {
			// What cannot be read here is reported when the file is written.
			_ = gatherZones(ctx, files[i], zones[i], labels[i], opts.Limits, evidence)
		}
	}
	return zones, labels
}

// gatherZones reads an access log through the Step that Load reads it
// with, keeping nothing but what it tells of the zone.
func gatherZones(ctx context.Context, f File, zone *time.Location, label string, limits ingest.Limits, evidence *zoneEvidence) error {
	step, err := NewStep(f, zone, label, timeline.Source{}, discard{})
	if err != nil {
		return err
	}
	step.zones = evidence
	r, err := ingest.OpenContext(ctx, f.Path, limits)
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Records(f.Format.StartsRecord, func(rec []byte, off int64) error {
		return step.Record(f.Path, rec, off)
	})
}

// discard is a Sink that keeps nothing.
type discard struct{}

func (discard) Request(time.Time, int, []byte) error { return nil }
func (discard) Event(*patterns.Event) error          { return nil }

// writeFileJSON writes the records of f, reading zoneless stamps in zone,
// until ctx is done.
func writeFileJSON(ctx context.Context, out io.Writer, f File, zone *time.Location, limits ingest.Limits) error {
	p, err := f.Format.Parser(zone, modTime(f.Path))
	if err != nil {
		return err
	}
	r, err := ingest.OpenContext(ctx, f.Path, limits)
	if err != nil {
		return err
	}
	defer r.Close()
	var (
		buf               []byte
		records, unparsed int64 // counted as Step counts them
	)
	err = r.Records(f.Format.StartsRecord, func(rec []byte, off int64) error {
		var ev patterns.Event
		if err := p.Parse(rec, &ev); err != nil {
			if !errors.Is(err, patterns.ErrNoEvent) {
				records++
				unparsed++
			}
			return nil
		}
		records++
		ev.Path, ev.Offset = f.Path, off
		buf = ev.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		if _, err := out.Write(buf); err != nil {
			return outputError{err}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if unparsed > 0 {
		return fmt.Errorf("%s: %d of %d records did not parse as %s", f.Path, unparsed, records, f.Format.Kind)
	}
	return nil
}
