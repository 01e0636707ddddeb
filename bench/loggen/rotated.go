package loggen

import (
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultDays is the days of a Rotated set unless told otherwise: what
// Debian's nginx logrotate keeps (daily, rotate 14, compress,
// delaycompress): access.log, access.log.1 and access.log.2.gz …
// access.log.14.gz.
const DefaultDays = 15

// Rotated is Days days of a site's access log as logrotate leaves them in
// /var/log/nginx: access.log the newest day, access.log.1 the day before,
// access.log.2.gz … the older ones gzip-compressed. Each day is a day of
// Access traffic with its own seed, derived from Seed, and its share of
// Bytes (Bytes / Days), so the whole set holds as many lines as one
// access log of Bytes.
type Rotated struct {
	Access     // Seed, Bytes (the whole set's), Clients; Start: the newest day's first second
	Days   int // days, one file each (default DefaultDays)
}

func (r Rotated) defaults() Rotated {
	r.Access = r.Access.defaults()
	if r.Days <= 0 {
		r.Days = DefaultDays
	}
	return r
}

// Files returns the set's file names, newest day first: access.log,
// access.log.1, access.log.2.gz, …
func (r Rotated) Files() []string {
	r = r.defaults()
	out := make([]string, r.Days)
	for d := range out {
		out[d] = rotatedName(d)
	}
	return out
}

func rotatedName(day int) string {
	switch day {
	case 0:
		return AccessFile
	case 1:
		return AccessFile + ".1"
	}
	return AccessFile + "." + strconv.Itoa(day) + ".gz"
}

// Day returns the Access of day d, 0 the newest: it starts d days before
// Start, with a seed of its own.
func (r Rotated) Day(d int) Access {
	r = r.defaults()
	a := r.Access
	a.Seed = daySeed(r.Seed, d)
	a.Bytes = r.Bytes / int64(r.Days)
	a.Start = r.Start.Add(-time.Duration(d) * 24 * time.Hour)
	return a
}

// daySeed derives a day's seed from the set's: SplitMix64's finalizer of
// the seed and the day, so that no two days (nor a day and the set's
// other logs, seeded seed, seed+1, …) draw the same traffic.
func daySeed(seed uint64, d int) uint64 {
	z := seed + uint64(d+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// WriteDay writes day d's file as it lies on disk: the log, gzip-compressed
// for d ≥ 2 (compress/gzip at its default level, no name, zero mtime, so
// that the same seed gives the same bytes). Stats.Bytes and Lines are the
// log's; Disk the bytes written to w.
func (r Rotated) WriteDay(d int, w io.Writer) (Stats, error) {
	disk := &countWriter{w: w}
	if d < 2 {
		st, err := r.Day(d).Write(disk)
		st.Disk = disk.n
		return st, err
	}
	zw := gzip.NewWriter(disk) // a zero Header: no name, mtime 0
	st, err := r.Day(d).Write(zw)
	err = errors.Join(err, zw.Close())
	st.Disk = disk.n
	return st, err
}

// WriteDir writes the set's files into dir (created if needed), oldest
// first as logrotate would have, and returns each file's Stats, newest
// first, and the whole set's. Other files of the series in dir (left by a
// set of more days) are removed first: they would be read with it.
func (r Rotated) WriteDir(dir string) (files []Stats, total Stats, err error) {
	r = r.defaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, total, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := removeOthers(dir, r.Files()); err != nil {
		return nil, total, err
	}
	files = make([]Stats, r.Days)
	for d := r.Days - 1; d >= 0; d-- {
		name := rotatedName(d)
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return nil, total, fmt.Errorf("cannot create %s: %w", name, err)
		}
		st, err := r.WriteDay(d, f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, total, fmt.Errorf("cannot write %s: %w (is the disk full?)", name, err)
		}
		files[d] = st
		total.Bytes += st.Bytes
		total.Lines += st.Lines
		total.GatewayErrors += st.GatewayErrors
		total.Disk += st.Disk
	}
	return files, total, nil
}

// removeOthers removes the files of dir named access.log… that are not
// in keep.
func removeOthers(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("cannot list %s: %w", dir, err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), AccessFile) && !slices.Contains(keep, e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("cannot remove %s, left by another set: %w (remove it by hand)", e.Name(), err)
			}
		}
	}
	return nil
}

// countWriter counts the bytes written through it.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
