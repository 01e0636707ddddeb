package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/pipeline"
	"github.com/logcause/logcause/timeline"
)

// Status is what a daemon is doing, at one instant: its API's
// /api/v1/status (a contract: fields are added, never renamed), what
// `logcause status` prints and what its metrics count. Counts are since
// the daemon started.
type Status struct {
	Started    time.Time    `json:"started"`
	Running    bool         `json:"running"`         // Run is following the logs
	Err        string       `json:"error,omitempty"` // why Run ended, or why the last commit failed
	Store      string       `json:"store"`           // the store's directory
	StoreBytes int64        `json:"store_bytes"`     // its size on disk
	Commits    int64        `json:"commits"`
	LastCommit time.Time    `json:"last_commit"` // zero: none yet
	Files      []FileStatus `json:"files"`
	// Incidents are those of the recent window that the daemon announced,
	// in time order, open or resolved.
	Incidents []IncidentState `json:"incidents"`
	// Opened counts the incidents opened, by the root cause they opened
	// with.
	Opened map[string]int64 `json:"opened"`
	// GatewayErrors counts the requests committed with a gateway error
	// status (502, 504, 009), by status.
	GatewayErrors map[int]int64 `json:"gateway_errors"`
}

// FileStatus is one followed log.
type FileStatus struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	Records  int64  `json:"records"`  // read and committed since the daemon started
	Unparsed int64  `json:"unparsed"` // of them, those that did not parse
	Offset   int64  `json:"offset"`   // the committed position in the file being read
	Size     int64  `json:"size"`     // of the file at Path now; -1: none there
	// Behind is what is written and not committed yet: Size past Offset,
	// or all of Size when the file at Path is another one (rotated, not
	// yet switched to).
	Behind int64 `json:"behind"`
}

// IncidentState is an incident and whether it is resolved.
type IncidentState struct {
	analyze.Incident
	State string `json:"state"` // "open" or "resolved"
}

// Open reports whether the incident is still open.
func (s IncidentState) Open() bool { return s.State == "open" }

// status keeps what Status returns; the committer and the followers
// update it, readers copy it.
type status struct {
	mu        sync.Mutex
	started   time.Time
	running   bool
	err       string
	commits   int64
	last      time.Time
	files     map[string]*fileStatus
	incidents map[time.Time]IncidentState
	opened    map[string]int64
	gateway   map[int]int64
}

type fileStatus struct {
	FileStatus
	id     ingest.Identity
	seen   timeline.Source // counts the store held at the last commit
	readTo time.Time       // the stamp of its newest request or event committed
	ended  bool            // its follower ended: what it holds is not read
}

func newStatus() *status {
	return &status{files: map[string]*fileStatus{}, incidents: map[time.Time]IncidentState{}, opened: map[string]int64{}, gateway: map[int]int64{}}
}

// run notes that Run started (at now), or ended with err.
func (s *status) run(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started, s.running = now, true
}

func (s *status) ended(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running = false
	if err != nil {
		s.err = err.Error()
	}
}

// follow notes that f is followed from pos, the store holding prior of it.
func (s *status) follow(f pipeline.File, pos ingest.Position, prior timeline.Source) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[f.Path] = &fileStatus{FileStatus: FileStatus{Path: f.Path, Format: f.Format.Kind.String(), Offset: pos.Offset}, id: pos.ID, seen: prior}
}

// unfollow notes that the follower of path ended.
func (s *status) unfollow(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f := s.files[path]; f != nil {
		f.ended = true
	}
}

// committed notes a batch committed at now, or the error of its commit.
func (s *status) committed(b batch, err error, now time.Time) {
	var pos ingest.Position
	if err == nil {
		err = json.Unmarshal(b.position, &pos)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = "cannot commit: " + err.Error()
		return
	}
	s.err = ""
	s.commits++
	s.last = now
	for _, r := range b.requests {
		if analyze.IsGateway(r.status) {
			s.gateway[r.status]++
		}
	}
	f := s.files[b.path]
	if f == nil {
		f = &fileStatus{FileStatus: FileStatus{Path: b.path}}
		s.files[b.path] = f
	}
	f.Format = b.source.Format
	f.Records += max(0, b.source.Records-f.seen.Records)
	f.Unparsed += max(0, b.source.Unparsed-f.seen.Unparsed)
	f.seen = b.source
	f.Offset, f.id = pos.Offset, pos.ID
	for _, r := range b.requests {
		if r.at.After(f.readTo) {
			f.readTo = r.at
		}
	}
	for _, ev := range b.events {
		if ev.Time.After(f.readTo) {
			f.readTo = ev.Time
		}
	}
}

// update notes what an analysis changed among the incidents, and forgets
// those that ended before horizon (the window's start), as the daemon does:
// without readers of Status they would pile up, one an incident.
func (s *status) update(u Update, horizon time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetLocked(horizon)
	for _, inc := range u.Opened {
		s.opened[string(inc.RootCause)]++
	}
	for _, inc := range slices.Concat(u.Opened, u.Updated) {
		s.incidents[inc.Start] = IncidentState{Incident: inc, State: "open"}
	}
	for _, inc := range u.Resolved {
		s.incidents[inc.Start] = IncidentState{Incident: inc, State: "resolved"}
	}
}

// Status returns what the daemon is doing now. It is safe to call from any
// goroutine, while Run runs or not; it stats the followed files and
// measures the store, and takes no lock the committer waits on meanwhile.
func (d *Daemon) Status() Status {
	s := d.status
	s.mu.Lock()
	st := Status{Started: s.started, Running: s.running, Err: s.err, Store: d.st.Dir(), Commits: s.commits, LastCommit: s.last,
		Opened: maps.Clone(s.opened), GatewayErrors: maps.Clone(s.gateway)}
	ids := map[string]ingest.Identity{}
	for _, f := range s.files {
		st.Files = append(st.Files, f.FileStatus)
		ids[f.Path] = f.id
	}
	s.forgetLocked(d.cfg.Now().Add(-d.cfg.Window))
	for _, inc := range s.incidents {
		st.Incidents = append(st.Incidents, inc)
	}
	s.mu.Unlock()

	slices.SortFunc(st.Files, func(a, b FileStatus) int { return strings.Compare(a.Path, b.Path) })
	slices.SortFunc(st.Incidents, func(a, b IncidentState) int { return a.Start.Compare(b.Start) })
	for i := range st.Files {
		st.Files[i].Size, st.Files[i].Behind = sizeBehind(st.Files[i].Path, st.Files[i].Offset, ids[st.Files[i].Path])
	}
	st.StoreBytes, _ = d.st.DiskUsage()
	return st
}

// Report analyzes the store's window [since, until) as `logcause report`
// does (pipeline.Report; zero ends: the store's), with the servers'
// configuration read now. It reads the store beside the committer, which
// it never holds up: Badger's reads take no lock its writes wait on.
func (d *Daemon) Report(ctx context.Context, since, until time.Time) (analyze.Result, error) {
	if err := ctx.Err(); err != nil {
		return analyze.Result{}, err
	}
	cfg := d.cfg.Analysis
	if d.cfg.Stack != nil {
		cfg.Stack = d.cfg.Stack()
	}
	return pipeline.Report(d.st, since, until, cfg)
}

// sizeBehind returns the size of the file at path (-1: none there) and
// what of it is not committed yet: past offset when it is the file of id,
// all of it otherwise.
func sizeBehind(path string, offset int64, id ingest.Identity) (size, behind int64) {
	fi, err := os.Stat(path)
	if err != nil {
		return -1, 0
	}
	if !id.IsZero() && sameInode(fi, id) {
		return fi.Size(), max(0, fi.Size()-offset)
	}
	return fi.Size(), fi.Size()
}

// readPast reports whether every followed log was read past t: records
// stamped t or later committed, or every line it holds (a log no longer
// followed — removed by a reload, unreadable — is not waited for; a last
// line without newline, still being written or left so by a writer that
// died, is not a line yet).
func (s *status) readPast(t time.Time) bool {
	s.mu.Lock()
	files := make([]fileStatus, 0, len(s.files))
	for _, f := range s.files {
		files = append(files, *f)
	}
	s.mu.Unlock()
	for _, f := range files {
		if !f.ended && f.readTo.Before(t) && lineUnread(f.Path, f.Offset, f.id) {
			return false
		}
	}
	return true
}

// lineUnread reports whether the file at path holds a whole line not
// committed yet (sizeBehind: past offset when it is the file of id,
// anywhere otherwise). A file that cannot be read holds none the daemon
// can read.
func lineUnread(path string, offset int64, id ingest.Identity) bool {
	size, behind := sizeBehind(path, offset, id)
	if behind <= 0 {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	buf := make([]byte, min(behind, 64<<10))
	n, err := f.ReadAt(buf, size-behind)
	if err != nil && !errors.Is(err, io.EOF) {
		return false
	}
	// More than a read's worth is more than a line being written.
	return bytes.IndexByte(buf[:n], '\n') >= 0 || behind > int64(len(buf))
}

// sameInode reports whether fi is the file of id (device and inode).
func sameInode(fi os.FileInfo, id ingest.Identity) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && uint64(st.Dev) == id.Dev && st.Ino == id.Inode
}

// forgetLocked forgets the incidents that ended before horizon: they left
// the window, as the daemon forgets them. s.mu is held.
func (s *status) forgetLocked(horizon time.Time) {
	for start, inc := range s.incidents {
		if inc.End.Before(horizon) {
			delete(s.incidents, start)
		}
	}
}
