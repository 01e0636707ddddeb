package pipeline

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

// zoneEvidence is what the logs read so far tell about the zone of the
// stamps that carry none: the UTC offsets of the access logs' stamps, their
// failed requests (which the error logs name), and the offset inferred for
// an earlier zoneless log of the server.
type zoneEvidence struct {
	offsets    map[int]int64 // access-log stamps by UTC offset
	requests   *requestIndex
	server     *inferred // inferred for serverFrom
	serverFrom string
}

func newZoneEvidence() *zoneEvidence {
	return &zoneEvidence{offsets: map[int]int64{}, requests: newRequestIndex()}
}

// add counts access-log stamps by UTC offset, read by an earlier load.
func (z *zoneEvidence) add(offsets map[int]int64) {
	for off, n := range offsets {
		z.offsets[off] += n
	}
}

// zoneFor returns the zone to read f's zoneless stamps in, and the label
// that tells why: the zone of its source, else opts.Zone, else the one
// chosen with what the logs read before it tell (choose), which may read
// f until ctx is done. Load and WriteJSON read every file in this zone (a
// file Load resumes, in the zone it learned for it before: see mark).
func (z *zoneEvidence) zoneFor(ctx context.Context, f File, opts Options) (*time.Location, string) {
	if zone := cmp.Or(f.Zone, opts.Zone); zone != nil {
		return zone, ZoneLabel(zone)
	}
	return z.choose(ctx, f, opts.Limits)
}

// choose returns the zone to read a zoneless log in when none is
// configured, and the label that tells the report why. The access logs'
// offset is assumed; a log that names requests (nginx's error log,
// php-fpm's) is lined up with the access logs' failed requests, and the
// offset that puts them together wins (the error log may come from a
// container or a host in another zone, or the access log may log $msec
// only). A log without such evidence takes the offset inferred for the
// server's error log, else the assumed one.
func (z *zoneEvidence) choose(ctx context.Context, d File, limits ingest.Limits) (*time.Location, string) {
	off, ok := commonOffset(z.offsets)
	if !ok {
		return time.Local, ZoneLabel(time.Local) + " (local zone of this machine; set --tz to the server's)"
	}
	assumed := inferred{Offset: off}.Zone()
	learned := formatOffset(off) + " (learned from the access log)"
	if d.Format.namesRequests() && z.requests.Len() > 0 {
		inf, found, err := inferOffset(ctx, d, limits, z.requests, off, maxInferenceRecords)
		if err != nil && ctx.Err() == nil {
			slog.Warn("cannot line the log up with the access log to check its time zone", "path", d.Path, "err", err)
		}
		switch {
		case found && inf.Offset == off:
			z.server, z.serverFrom = &inf, d.Path
			return assumed, fmt.Sprintf("%s (learned from the access log; %d of %d failed requests named in this log match it)", formatOffset(off), inf.Matched, inf.Seen)
		case found:
			z.server, z.serverFrom = &inf, d.Path
			return inf.Zone(), fmt.Sprintf("%s (inferred: %d of %d failed requests named in this log match the access log's at this offset; the access log's stamps say %s)",
				formatOffset(inf.Offset), inf.Matched, inf.Seen, formatOffset(off))
		case inf.Seen > 0:
			learned = fmt.Sprintf("%s (learned from the access log; the %d requests named in this log that the access log has agree on no offset)", formatOffset(off), inf.Seen)
		}
	}
	if z.server != nil && z.server.Offset != off {
		return z.server.Zone(), fmt.Sprintf("%s (inferred for %s, on the same server)", formatOffset(z.server.Offset), z.serverFrom)
	}
	return assumed, learned
}

// commonOffset is the most common UTC offset of the access logs' stamps.
func commonOffset(offsets map[int]int64) (int, bool) {
	best, bestN := 0, int64(0)
	for off, n := range offsets {
		if n > bestN || (n == bestN && off < best) {
			best, bestN = off, n
		}
	}
	return best, bestN > 0
}

// The reading of a log for inference stops at enoughSightings of the
// requests the access logs' failed ones include (offsetVotes.Observe), or
// after maxInferenceRecords records. An error log may open with hours of
// requests that did not fail (404s, 403s), which cannot vote: they were
// counted as sightings, so that a day whose first 2,000 named requests
// were 404s was read in the assumed offset, whatever its own. The bound
// is what a log that names too few failed requests costs (a healthy day's
// error log is read to its end, up to it): ~17 MB of nginx error lines,
// ~40 ms of parsing, once per zoneless file.
const (
	enoughSightings     = 2000
	maxInferenceRecords = 50_000
)

var errEnough = errors.New("enough sightings")

// inferOffset reads d with its stamps taken as UTC, and votes with the
// requests it names for the offset that lines them up with the access
// logs' (offsetVotes); assumed is theirs. It reads up to maxRecords
// records (maxInferenceRecords).
func inferOffset(ctx context.Context, d File, limits ingest.Limits, x *requestIndex, assumed, maxRecords int) (inferred, bool, error) {
	v := x.Votes(assumed)
	p, err := d.Format.Parser(time.UTC, modTime(d.Path))
	if err != nil {
		return inferred{}, false, err
	}
	r, err := ingest.OpenContext(ctx, d.Path, limits)
	if err != nil {
		return inferred{}, false, err
	}
	defer r.Close()
	observed, records := 0, 0
	err = r.Records(d.Format.StartsRecord, func(rec []byte, _ int64) error {
		if records++; records > maxRecords {
			return errEnough
		}
		var ev patterns.Event
		if p.Parse(rec, &ev) != nil {
			return nil
		}
		if s, ok := sightingOf(&ev); ok && v.Observe(s) {
			if observed++; observed >= enoughSightings {
				return errEnough
			}
		}
		return nil
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	inf, ok := v.Result()
	return inf, ok, err
}

// sightingOf is the request an error-log record is about, if it names one.
func sightingOf(ev *patterns.Event) (sighting, bool) {
	switch {
	case ev.Error != nil && ev.Error.Request != "" && ev.Error.Client != "":
		req := ev.Error.Request
		if i := strings.LastIndexByte(req, ' '); i > 0 && strings.HasPrefix(req[i+1:], "HTTP/") {
			req = req[:i] // the access log's method and URI, without the protocol
		}
		return sighting{Client: ev.Error.Client, Request: req, Time: ev.Time}, true
	case ev.FPM != nil && ev.FPM.Request != "":
		return sighting{Request: ev.FPM.Request, Time: ev.Time}, true
	}
	return sighting{}, false
}
