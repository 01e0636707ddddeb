// Package timeline holds the values the store keeps and analysis reads,
// second by second: request counts by status and upstream, the gaps where a
// followed log may have lost lines, and what each ingested file held. It
// links nothing: analyze and report read these values without the store's
// database.
package timeline

import (
	"math"
	"time"
)

// StatusCount is how many requests of one second had one status.
type StatusCount struct {
	Code  int
	Count int64
}

// Counts is a set of request counts by status, ordered by code.
type Counts []StatusCount

// Requests returns the number of requests counted.
func (c Counts) Requests() int64 {
	var n int64
	for _, s := range c {
		n += s.Count
	}
	return n
}

// Count returns the number of requests with the given status.
func (c Counts) Count(code int) int64 {
	for _, s := range c {
		if s.Code == code {
			return s.Count
		}
	}
	return 0
}

// UpstreamCount is the requests of one second that one upstream answered
// (the last address of the access log's $upstream_addr), by status.
type UpstreamCount struct {
	Addr   string
	Status Counts
}

// Second is the rollup of one second of access-log lines.
type Second struct {
	Time      time.Time       // UTC, whole second
	Status    Counts          // every request, by status
	Upstreams []UpstreamCount // the requests passed to an upstream, by its address; ordered by address
}

// Requests returns the number of requests in the second.
func (s Second) Requests() int64 { return s.Status.Requests() }

// Count returns the number of requests with the given status.
func (s Second) Count(code int) int64 { return s.Status.Count(code) }

// OtherUpstreams is the address under which a second's requests to
// upstreams past the first few it names are counted: $upstream_addr may
// hold variables' values (proxy_pass http://$host).
const OtherUpstreams = "(other upstreams)"

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

// Source describes one ingested file.
type Source struct {
	Path     string   `json:"path"`
	Format   string   `json:"format"`
	Records  int64    `json:"records"`
	Unparsed int64    `json:"unparsed"`
	TZ       string   `json:"tz"`
	Samples  []string `json:"unparsed_samples,omitempty"` // a few unparsed records, for the report
	Cut      int64    `json:"cut,omitempty"`              // lines or records cut to the size limits
	Error    string   `json:"error,omitempty"`            // why reading stopped early, if it did
}

// Stats describes what a store holds.
type Stats struct {
	Dir       string           `json:"dir"`
	DiskBytes int64            `json:"disk_bytes"`
	First     time.Time        `json:"first"`
	Last      time.Time        `json:"last"`
	Days      int              `json:"days"`
	Requests  int64            `json:"requests"` // access-log requests counted in rollups
	Seconds   int64            `json:"seconds"`  // seconds with a rollup
	Events    map[string]int64 `json:"events"`   // records kept in full, by format
	Sources   []Source         `json:"sources"`
}

// SlowClass is what the store keeps of the slow-log entries of one query
// class in one bucket of time, added up as the log is read: the slow-query
// digest merges the buckets of its range instead of reading every entry
// back. Times are in microseconds, as the slow logs write them.
type SlowClass struct {
	QueryID      string
	Count        int64
	QueryMicros  int64 // the sum of the query times
	LockMicros   int64 // the sum of the lock times
	RowsSent     int64
	RowsExamined int64
	First, Last  time.Time
	Times        []int64 // every entry's query time, in the order read
	WorstTime    float64 // the longest query time, in seconds as logged
	// Worst refers to the entry with the longest query time, the first of
	// equals in time order; opaque: the store's.
	Worst []byte
}

// Micros is a time in seconds as a whole number of microseconds (the slow
// logs write six decimals), clamped to what an int64 holds.
func Micros(sec float64) int64 {
	us := math.Round(sec * 1e6)
	switch {
	case us != us: // NaN
		return 0
	case us >= math.MaxInt64:
		return math.MaxInt64
	case us <= math.MinInt64:
		return math.MinInt64
	}
	return int64(us)
}

// Add adds o's count, sums and span to c's; not its worst entry, nor its
// times.
func (c *SlowClass) Add(o *SlowClass) {
	if c.Count == 0 || o.First.Before(c.First) {
		c.First = o.First
	}
	if c.Count == 0 || o.Last.After(c.Last) {
		c.Last = o.Last
	}
	c.Count += o.Count
	c.QueryMicros += o.QueryMicros
	c.LockMicros += o.LockMicros
	c.RowsSent += o.RowsSent
	c.RowsExamined += o.RowsExamined
}

// Later returns the later of two times (b when they are equal).
func Later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Earlier returns the earlier of two times (b when they are equal).
func Earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
