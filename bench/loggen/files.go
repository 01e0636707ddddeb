package loggen

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Set is the benchmark's set of files, written under one directory by
// WriteSet: what `go run ./bench/gen` writes and `go run ./bench/run`
// measures.
type Set struct {
	Seed    uint64 `json:"seed"`
	Bytes   int64  `json:"bytes"`   // each access log's size
	Errors  int64  `json:"errors"`  // gateway errors in the outage log
	Queries int    `json:"queries"` // entries of each slow log
	Days    int    `json:"days"`    // days of the rotated access logs (0: DefaultDays)
}

// The files of a Set, relative to its directory.
const (
	AccessFile      = "access.log"       // ~5,000 client addresses
	ClientsFile     = "access-2m.log"    // ~2,000,000 client addresses
	OutageDir       = "outage"           // access.log, error.log and php-fpm.log of a day with incidents
	RotatedDir      = "rotated"          // Days days of access logs as logrotate leaves them (Rotated): access.log, access.log.1, access.log.2.gz, …
	MySQLSlowFile   = "mysql8-slow.log"  // MySQL 8.0 slow log
	MariaSlowFile   = "mariadb-slow.log" // MariaDB 10.11 slow log
	ManifestFile    = "manifest.json"    // the Set and the Stats of each file, written last
	HighCardinality = 2_000_000
)

// DefaultErrors is the outage log's gateway errors for an access log of
// the given size: 320,000 per GB (≥ 300 k at 1 GB, the bar), so
// that a smaller set keeps the same share of failed requests.
func DefaultErrors(bytes int64) int64 { return 320_000 * bytes / 1_000_000_000 }

// Manifest is what WriteSet wrote: the Set and each file's Stats, by path
// relative to the directory.
type Manifest struct {
	Set   Set              `json:"set"`
	Files map[string]Stats `json:"files"`
}

// ReadManifest reads dir's manifest; an error when there is none.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, err
	}
	return m, json.Unmarshal(b, &m)
}

// WriteSet writes the set's files under dir (created if needed), then its
// manifest. say is told of each file when written.
func WriteSet(dir string, s Set, say func(path string, st Stats)) (Manifest, error) {
	m := Manifest{Set: s, Files: map[string]Stats{}}
	if err := os.MkdirAll(filepath.Join(dir, OutageDir), 0o755); err != nil {
		return m, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	os.Remove(filepath.Join(dir, ManifestFile)) // a manifest names complete files only
	one := func(name string, write func(w *os.File) (Stats, error)) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("cannot create %s: %w (is the disk full?)", name, err)
		}
		st, err := write(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("cannot write %s: %w (is the disk full?)", name, err)
		}
		m.Files[name] = st
		if say != nil {
			say(name, st)
		}
		return nil
	}
	steps := []struct {
		name  string
		write func(*os.File) (Stats, error)
	}{
		{AccessFile, func(f *os.File) (Stats, error) {
			return Access{Seed: s.Seed, Bytes: s.Bytes}.Write(f)
		}},
		{ClientsFile, func(f *os.File) (Stats, error) {
			return Access{Seed: s.Seed + 1, Bytes: s.Bytes, Clients: HighCardinality}.Write(f)
		}},
		{MySQLSlowFile, func(f *os.File) (Stats, error) {
			return Slow{Seed: s.Seed + 3, Queries: s.Queries, Dialect: MySQL8}.Write(f)
		}},
		{MariaSlowFile, func(f *os.File) (Stats, error) {
			return Slow{Seed: s.Seed + 4, Queries: s.Queries, Dialect: MariaDB}.Write(f)
		}},
	}
	for _, st := range steps {
		if err := one(st.name, st.write); err != nil {
			return m, err
		}
	}
	if err := writeOutage(dir, s, &m, say); err != nil {
		return m, err
	}
	if err := writeRotated(dir, s, &m, say); err != nil {
		return m, err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return m, fmt.Errorf("cannot write the manifest: %w", err)
	}
	return m, nil
}

// writeOutage writes the outage directory's three logs.
func writeOutage(dir string, s Set, m *Manifest, say func(string, Stats)) error {
	var files [3]*os.File
	names := [3]string{"access.log", "error.log", "php-fpm.log"}
	for i, n := range names {
		f, err := os.Create(filepath.Join(dir, OutageDir, n))
		if err != nil {
			return fmt.Errorf("cannot create %s: %w", n, err)
		}
		defer f.Close()
		files[i] = f
	}
	st, err := Outage{Access: Access{Seed: s.Seed + 2, Bytes: s.Bytes}, Errors: s.Errors}.Write(files[0], files[1], files[2])
	for _, f := range files {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("cannot write the outage logs: %w (is the disk full?)", err)
	}
	m.Files[filepath.Join(OutageDir, "access.log")] = st
	if say != nil {
		say(OutageDir, st)
	}
	return nil
}

// writeRotated writes the rotated directory: its files' Stats under their
// paths, the whole set's under RotatedDir.
func writeRotated(dir string, s Set, m *Manifest, say func(string, Stats)) error {
	rot := Rotated{Access: Access{Seed: s.Seed, Bytes: s.Bytes}, Days: s.Days} // each day's seed is derived from it
	files, total, err := rot.WriteDir(filepath.Join(dir, RotatedDir))
	if err != nil {
		return err
	}
	for d, name := range rot.Files() {
		m.Files[filepath.Join(RotatedDir, name)] = files[d]
	}
	m.Files[RotatedDir] = total
	if say != nil {
		say(RotatedDir, total)
	}
	return nil
}

// ParseSize reads a size as 1GB, 250MB, 100MiB or a number of bytes
// (decimal units: 1GB is 10^9 bytes).
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"G", 1e9}, {"M", 1e6}, {"K", 1e3}, {"B", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("cannot read the size %q: give it as 1GB, 250MB or a number of bytes", s)
	}
	return int64(n * float64(mult)), nil
}
