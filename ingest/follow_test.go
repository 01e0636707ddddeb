package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The behaviour matrix of the Follower. Every case runs a real writer
// process (the test binary re-executed, see follow_helper_test.go) that
// writes numbered lines; the follower is stepped one waker round at a time
// with the manual waker, so each interleaving is the one the case names.
// Every case asserts the exact sequence of lines delivered.

func logPath(t *testing.T) string { return filepath.Join(t.TempDir(), "access.log") }

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

// copytruncate does what logrotate's copytruncate does: copy, then
// truncate in place.
func copytruncate(t *testing.T, path, dst string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if dst != "" {
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
}

func hasNotice(s *stepper, k NoticeKind) bool { return slices.Contains(s.noticeKinds(), k) }

// noLoss fails for every notice that says lines may be missing.
func noLoss(t *testing.T, notices []Notice) {
	t.Helper()
	for _, n := range notices {
		if n.Loss {
			t.Errorf("notice %v says lines were lost", n)
		}
	}
}

// Create-mode rotation: logrotate renames the file and creates a new one;
// the writer goes on writing to the renamed file until it is told to
// reopen (USR1). Nothing written to the old file may be lost, and the
// follower must not leave it before the new one receives data.
func TestFollowCreateRotation(t *testing.T) {
	p := logPath(t)
	w := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{})
	w.do("write 50")
	sameLines(t, texts(s.round()), seq(1, 50))
	ino := s.recs[0].id.Inode

	rename(t, p, p+".1")
	touch(t, p)
	w.do("write 20") // to the renamed file
	sameLines(t, texts(s.round()), seq(51, 70))
	s.rounds(3) // quiet, but the new file is empty: keep the old one
	w.do("write 10")
	sameLines(t, texts(s.round()), seq(71, 80))
	s.rounds(3)
	if hasNotice(s, NoticeRotated) {
		t.Fatal("switched to an empty new file while the writer had not reopened")
	}
	for _, r := range s.recs {
		if r.id.Inode != ino {
			t.Fatalf("line %q from inode %d, want the old file %d", r.text, r.id.Inode, ino)
		}
	}

	w.reopen() // USR1
	w.do("write 30")
	s.rounds(4)
	sameLines(t, s.texts(), seq(1, 110))
	if st := s.f.Stats(); st.Rotations != 1 || st.Lines != 110 || st.Bytes != 110*lineSize {
		t.Errorf("stats %+v", st)
	}
	if s.recs[len(s.recs)-1].id.Inode == ino {
		t.Error("the last lines do not come from the new file")
	}
	if s.pos.Offset != 30*lineSize || !s.pos.ID.SameInode(s.recs[len(s.recs)-1].id) {
		t.Errorf("position %+v", s.pos)
	}
}

func texts(rs []got) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.text)
	}
	return out
}

// copytruncate: logrotate copies the file to name.1 and truncates it; the
// writer (O_APPEND) refills it from 0. The follower had not read the last
// ten lines before the copy, and the refill reaches a smaller, the same or a
// larger size than the offset read before the follower looks again. The
// unread lines come from the copy; the refill is read from its start.
func TestFollowCopytruncate(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, refill int
		copy, banner  bool
	}{
		{"smaller", 40, 5, true, false},
		{"same size", 40, 50, true, false},
		{"larger", 40, 90, true, false},
		{"young file smaller", 6, 3, true, false},    // head shorter than HeadSize
		{"young file same size", 6, 16, true, false}, // same size, prefix hash differs
		{"young file larger", 6, 60, true, false},    // grows past HeadSize
		{"same head, same size", 30, 40, true, true}, // only the bytes before the offset differ
		{"same head, larger", 30, 90, true, true},    // same
		{"no copy: unread lines lost", 40, 90, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := logPath(t)
			w := startWriter(t, p)
			s := newStepper(t, p, Position{}, FollowConfig{})
			var want []string
			if tc.banner {
				w.do("banner")
				want = append(want, banner...)
			}
			w.do("write %d", tc.first)
			want = append(want, seq(1, tc.first)...)
			sameLines(t, texts(s.round()), want)
			w.do("write 10") // not read before the copy
			if tc.copy {
				want = append(want, seq(tc.first+1, tc.first+10)...)
			}
			copytruncate(t, p, map[bool]string{true: p + ".1"}[tc.copy])
			if tc.banner {
				w.do("banner")
				want = append(want, banner...)
			}
			w.do("write %d", tc.refill)
			want = append(want, seq(tc.first+11, tc.first+10+tc.refill)...)
			s.rounds(5)
			sameLines(t, s.texts(), want)
			st := s.f.Stats()
			if st.Truncations != 1 || !hasNotice(s, NoticeTruncated) {
				t.Errorf("truncation not reported: %+v %v", st, s.notices)
			}
			if tc.copy && st.Recovered != 1 {
				t.Errorf("copy not read: %+v", st)
			}
			for _, n := range s.notices {
				if n.Kind == NoticeTruncated && n.Loss == tc.copy {
					t.Errorf("notice %v: Loss = %v, but a copy was there: %v", n, n.Loss, tc.copy)
				}
			}
			if end := s.recs[len(s.recs)-1].end; s.pos.Offset != end {
				t.Errorf("position %d, want %d", s.pos.Offset, end)
			}
		})
	}
}

// A deleted file is drained (the writer still writes to it until it
// reopens) and closed for good after QuietRounds rounds; a file created at
// the path later, or while draining, is read from its start.
func TestFollowDelete(t *testing.T) {
	t.Run("no recreate", func(t *testing.T) {
		p := logPath(t)
		w := startWriter(t, p)
		s := newStepper(t, p, Position{}, FollowConfig{})
		w.do("write 20")
		s.round()
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		w.do("write 5") // to the deleted file
		w.do("partial unfinished")
		s.rounds(4)
		want := cat(seq(1, 25), []string{"00000026 unfinished"})
		sameLines(t, s.texts(), want)
		if last := s.recs[len(s.recs)-1]; !last.partial {
			t.Error("the last line of the deleted file is not marked partial")
		}
		st := s.f.Stats()
		if st.Deletions != 1 || st.PartialLines != 1 || !hasNotice(s, NoticeDeleted) {
			t.Errorf("deletion not reported: %+v %v", st, s.notices)
		}
		if !s.pos.ID.IsZero() || s.pos.Path != p {
			t.Errorf("position after deletion %+v, want the path with no identity", s.pos)
		}
		w.do("close")
		s.rounds(2)
		sameLines(t, s.texts(), want)
	})
	t.Run("recreate after close", func(t *testing.T) {
		p := logPath(t)
		w := startWriter(t, p)
		s := newStepper(t, p, Position{}, FollowConfig{})
		w.do("write 20")
		s.round()
		os.Remove(p)
		w.do("write 5")
		s.rounds(4)
		if !hasNotice(s, NoticeDeleted) {
			t.Fatalf("not closed: %v", s.notices)
		}
		w.reopen() // creates the file again
		w.do("write 15")
		s.rounds(2)
		sameLines(t, s.texts(), seq(1, 40))
		if !hasNotice(s, NoticeCreated) {
			t.Errorf("notices %v", s.notices)
		}
	})
	t.Run("recreate while draining", func(t *testing.T) {
		p := logPath(t)
		w := startWriter(t, p)
		s := newStepper(t, p, Position{}, FollowConfig{})
		w.do("write 20")
		s.round()
		os.Remove(p)
		w.do("write 5")
		s.round()
		w.reopen()
		w.do("write 15")
		s.rounds(4)
		sameLines(t, s.texts(), seq(1, 40))
		if st := s.f.Stats(); st.Rotations != 1 || st.Deletions != 1 {
			t.Errorf("stats %+v", st)
		}
	})
}

// The path is a symlink whose target changes (a release switch): the old
// target is drained, then the new one is read from its start.
func TestFollowSymlinkFlip(t *testing.T) {
	dir := t.TempDir()
	a, b, p := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "current.log")
	touch(t, a)
	if err := os.Symlink("a.log", p); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{})
	w.do("write 20")
	s.round()
	touch(t, b)
	if err := os.Symlink("b.log", p+".tmp"); err != nil {
		t.Fatal(err)
	}
	rename(t, p+".tmp", p) // atomic flip
	w.do("write 5")        // still to a.log
	s.rounds(3)
	w.reopen() // now b.log
	w.do("write 10")
	s.rounds(4)
	sameLines(t, s.texts(), seq(1, 35))
	if got := s.recs[0].path; got != a {
		t.Errorf("first lines from %s, want %s", got, a)
	}
	if got := s.recs[len(s.recs)-1].path; got != b {
		t.Errorf("last lines from %s, want %s", got, b)
	}
	if st := s.f.Stats(); st.Rotations != 1 {
		t.Errorf("stats %+v", st)
	}
}

// A last line without newline is not delivered until its newline arrives;
// it is delivered as it is only when its file is closed for good (here:
// rotated, drained and quiet), never on Close.
func TestFollowPartialLastLine(t *testing.T) {
	p := logPath(t)
	w := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{})
	w.do("write 5")
	w.do("partial half")
	s.rounds(3)
	sameLines(t, s.texts(), seq(1, 5))
	if s.pos.Offset != 5*lineSize {
		t.Fatalf("position %d inside the partial line", s.pos.Offset)
	}

	// Close is not "for good": a follower restarted from the position
	// reads the partial line once it is finished.
	saved := s.pos
	s.f.Close()
	s = newStepper(t, p, saved, FollowConfig{})
	s.round()
	if len(s.recs) != 0 {
		t.Fatalf("restart delivered %v", s.texts())
	}
	w.do("finish -done")
	w.do("write 1")
	s.round()
	sameLines(t, s.texts(), []string{"00000006 half-done", lineText(7)})

	w.do("partial tail")
	s.round()
	rename(t, p, p+".1")
	touch(t, p)
	w.reopen()
	w.do("write 3")
	s.rounds(4)
	sameLines(t, s.texts(), cat([]string{"00000006 half-done", lineText(7), "00000008 tail"}, seq(9, 11)))
	if r := s.recs[2]; !r.partial || r.off != 6*lineSize+19 || r.end != r.off+int64(len("00000008 tail")) {
		t.Errorf("partial line %+v", r)
	}
	if st := s.f.Stats(); st.PartialLines != 1 {
		t.Errorf("stats %+v", st)
	}
	// The rotation notice says where reading of the old file ended: a
	// read of it resumed there finds nothing more.
	for _, n := range s.notices {
		if n.Kind != NoticeRotated {
			continue
		}
		fi, _ := os.Stat(p + ".1")
		r, resumed, err := OpenAt(context.Background(), p+".1", DefaultLimits, n.End)
		if err != nil || !resumed || n.End.Offset != fi.Size() || !n.End.ID.SameInode(n.ID) {
			t.Fatalf("rotated away at %+v (resumed %v, %v); the file holds %d bytes", n.End, resumed, err, fi.Size())
		}
		r.Records(nil, func(b []byte, _ int64) error { t.Errorf("read again: %q", b); return nil })
		r.Close()
	}
}

// A 10 MB line is cut at MaxLine, counted, and costs the follower no more
// than its buffers: it is never held whole.
func TestFollowHugeLine(t *testing.T) {
	for _, split := range []bool{false, true} {
		name := map[bool]string{false: "written at once", true: "split across rounds"}[split]
		t.Run(name, func(t *testing.T) {
			p := logPath(t)
			w := startWriter(t, p)
			cfg := FollowConfig{Limits: Limits{MaxLine: 64 << 10, MaxRecord: 256 << 10}, MaxBatch: 4 << 10}
			s := newStepper(t, p, Position{}, cfg)
			const size = 10_000_000
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			w.do("write 3")
			if split {
				w.do("longpart %d", size/2)
				s.round()
				if len(s.recs) != 3 || s.pos.Offset != 3*lineSize {
					t.Fatalf("a line without its newline was delivered: %d records, position %d", len(s.recs), s.pos.Offset)
				}
				w.do("longend %d", size/2-1)
			} else {
				w.do("long %d", size)
			}
			w.do("write 3")
			s.rounds(2)
			runtime.ReadMemStats(&after)

			want := cat(seq(1, 3), []string{"00000004 " + strings.Repeat("x", cfg.Limits.MaxLine-9)}, seq(5, 7))
			sameLines(t, s.texts(), want)
			long := s.recs[3]
			if !long.cut || long.off != 3*lineSize || long.end != 3*lineSize+size {
				t.Errorf("long line %d-%d cut %v", long.off, long.end, long.cut)
			}
			st := s.f.Stats()
			if st.CutLines != 1 || st.Lines != 7 || st.Bytes != 6*lineSize+size {
				t.Errorf("stats %+v", st)
			}
			// Own buffers: the read buffer, at most MaxLine of the line,
			// the head buffer, and the batch's arena (MaxBatch plus one cut
			// record, at most doubled by append's growth): ~330 KiB here,
			// for a 10 MB line.
			bound := int64(followChunk + cfg.Limits.MaxLine + HeadSize + 2*(cfg.MaxBatch+cfg.Limits.MaxLine))
			if st.PeakBuffer > bound {
				t.Errorf("peak buffer %d bytes, bound %d", st.PeakBuffer, bound)
			}
			// Whole process, writer's pipes and test copies included.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
				t.Errorf("allocated %d bytes following a %d-byte line", alloc, size)
			}
			t.Logf("10 MB line: peak buffer %d bytes, allocated %d bytes", st.PeakBuffer, after.TotalAlloc-before.TotalAlloc)
		})
	}
}

// Multi-line records: a record ends when the next one starts, or after
// FlushRounds quiet rounds; the position stays at the start of a pending
// record, so a restart reads it again whole.
func TestFollowMultiLineRecords(t *testing.T) {
	p := logPath(t)
	w := startWriter(t, p)
	cfg := FollowConfig{StartsRecord: startsWithDigit}
	s := newStepper(t, p, Position{}, cfg)
	w.do("write 1")
	w.do("cont 2")
	w.do("write 1")
	w.do("cont 1")
	s.round()
	rec1 := lineText(1) + "\n    at frame 00000001-0\n    at frame 00000001-1"
	sameLines(t, s.texts(), []string{rec1})
	pending := s.pos
	if pending.Offset != lineSize+2*int64(len("    at frame 00000001-0\n")) {
		t.Fatalf("position %d is not the start of the pending record", pending.Offset)
	}

	// A restart from there reads the pending record again, whole.
	r := newStepper(t, p, pending, cfg)
	r.rounds(3)
	rec2 := lineText(2) + "\n    at frame 00000002-0"
	sameLines(t, r.texts(), []string{rec2})

	s.rounds(2) // FlushRounds quiet rounds deliver it
	sameLines(t, s.texts(), []string{rec1, rec2})
	if fi, _ := os.Stat(p); s.pos.Offset != fi.Size() {
		t.Errorf("position %d, file %d bytes", s.pos.Offset, fi.Size())
	}
}

// restartEnv is what a restart case works on while the follower is
// stopped: the path, its writer, and the lines the restart must deliver.
type restartEnv struct {
	t    *testing.T
	p    string
	w    *testWriter
	want []string
}

// newRestartEnv starts a writer at a new path and a follower of it.
func newRestartEnv(t *testing.T) (*restartEnv, *stepper) {
	e := &restartEnv{t: t, p: logPath(t)}
	e.w = startWriter(t, e.p)
	return e, newStepper(t, e.p, Position{}, FollowConfig{})
}

// Restart from a saved position: in the same file (seek), in a rotated
// sibling (drain it, then the newer files from their start), in a copy
// (copytruncate while stopped), or nowhere (a gap, reported).
func TestFollowRestart(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(e *restartEnv)
		notices []NoticeKind
		gaps    int64
	}{
		{"same file, appended", func(e *restartEnv) {
			e.w.do("write 10")
			e.want = seq(31, 40)
		}, nil, 0},
		{"rotated to name.1, writer still writing to it", func(e *restartEnv) {
			e.w.do("write 10")
			rename(e.t, e.p, e.p+".1")
			touch(e.t, e.p)
			e.w.do("write 5")
			e.w.reopen()
			e.w.do("write 20")
			e.want = seq(31, 65)
		}, []NoticeKind{NoticeResumed, NoticeRotated}, 0},
		{"rotated twice", func(e *restartEnv) {
			e.w.do("write 10")
			rename(e.t, e.p, e.p+".1")
			e.w.reopen()
			e.w.do("write 10")
			rename(e.t, e.p+".1", e.p+".2")
			rename(e.t, e.p, e.p+".1")
			e.w.reopen()
			e.w.do("write 10")
			e.want = seq(31, 60)
		}, []NoticeKind{NoticeResumed, NoticeRotated, NoticeRotated}, 0},
		{"dateext sibling", func(e *restartEnv) {
			e.w.do("write 10")
			rename(e.t, e.p, e.p+"-20261122")
			e.w.reopen()
			e.w.do("write 10")
			e.want = seq(31, 50)
		}, []NoticeKind{NoticeResumed, NoticeRotated}, 0},
		{"copytruncated while stopped", func(e *restartEnv) {
			e.w.do("write 10")
			copytruncate(e.t, e.p, e.p+".1")
			e.w.do("write 20")
			e.want = seq(31, 60)
		}, []NoticeKind{NoticeTruncated, NoticeResumed, NoticeRotated}, 0},
		{"truncated while stopped, no copy: gap", func(e *restartEnv) {
			e.w.do("write 10")
			copytruncate(e.t, e.p, "")
			e.w.do("write 20")
			e.want = seq(41, 60)
		}, []NoticeKind{NoticeTruncated, NoticeGap}, 1},
		{"rotated and compressed: gap", func(e *restartEnv) {
			e.w.do("write 10")
			rename(e.t, e.p, e.p+".1")
			e.w.reopen()
			e.w.do("write 10")
			data, _ := os.ReadFile(e.p + ".1")
			var b bytes.Buffer
			z := gzip.NewWriter(&b)
			z.Write(data)
			z.Close()
			os.WriteFile(e.p+".1.gz", b.Bytes(), 0o644)
			os.Remove(e.p + ".1")
			e.want = seq(41, 50)
		}, []NoticeKind{NoticeGap}, 1},
		{"deleted and recreated: gap", func(e *restartEnv) {
			os.Remove(e.p)
			e.w.reopen()
			e.w.do("write 10")
			e.want = seq(31, 40)
		}, []NoticeKind{NoticeGap}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, s := newRestartEnv(t)
			e.w.do("write 30")
			s.round()
			saved := s.pos
			s.f.Close()
			tc.change(e)
			r := newStepper(t, e.p, saved, FollowConfig{})
			r.rounds(8)
			sameLines(t, r.texts(), e.want)
			got := r.noticeKinds()
			if len(got) > 0 && got[0] == NoticeTruncated && !slices.Contains(tc.notices, NoticeTruncated) && r.notices[0].ID.SameInode(saved.ID) {
				got = got[1:] // a new file that reused the deleted one's inode number looks truncated: both are reported
			}
			if !slices.Equal(got, tc.notices) {
				t.Errorf("notices %v, want %v", r.notices, tc.notices)
			}
			if st := r.f.Stats(); st.Gaps != tc.gaps {
				t.Errorf("gaps %d, want %d", st.Gaps, tc.gaps)
			}
			for _, n := range r.notices { // a gap says lines may be lost; a resumption does not
				if want := n.Kind == NoticeGap; n.Loss != want {
					t.Errorf("notice %v: Loss = %v, want %v", n, n.Loss, want)
				}
			}
		})
	}
}

// EndPosition starts a follower after the last complete line: a fresh
// watch reads only what is written from then on.
func TestFollowFromEnd(t *testing.T) {
	p := logPath(t)
	w := startWriter(t, p)
	w.do("write 10")
	w.do("partial x")
	pos, err := EndPosition(p)
	if err != nil {
		t.Fatal(err)
	}
	if pos.Offset != 10*lineSize {
		t.Fatalf("end position %d", pos.Offset)
	}
	s := newStepper(t, p, pos, FollowConfig{})
	w.do("finish y")
	w.do("write 2")
	s.round()
	sameLines(t, s.texts(), []string{"00000011 xy", lineText(12), lineText(13)})
}

// cancelAfter is a context whose Err reports cancellation from its n-th
// call on: the cancellation lands in the middle of Next's loop.
type cancelAfter struct {
	context.Context
	n int
}

func (c *cancelAfter) Err() error {
	if c.n--; c.n <= 0 {
		return context.Canceled
	}
	return nil
}

// Next never drops records it has framed: an error met mid-batch (here a
// cancelled context) comes after the batch, and a caller that goes on gets
// every line once.
func TestFollowErrorKeepsFramedRecords(t *testing.T) {
	p := logPath(t)
	w := startWriter(t, p)
	w.do("write 5000") // 160 KB: three chunks
	s := newStepper(t, p, Position{}, FollowConfig{MaxBatch: 1 << 20, MaxRecords: 1 << 20})
	// Err is nil at the first two checks (before the first chunk is read,
	// and before it is framed), then cancelled (before the second chunk).
	b, err := s.f.Next(&cancelAfter{Context: context.Background(), n: 3})
	if err != nil || len(b.Records) == 0 || len(b.Records) == 5000 {
		t.Fatalf("got %v and batch %v, want the records of the first chunk and no error", err, b)
	}
	s.take(b)
	if _, err := s.f.Next(context.Background()); !errors.Is(err, context.Canceled) {
		t.Fatalf("the error was not returned by the next call: %v", err)
	}
	s.round()
	sameLines(t, s.texts(), seq(1, 5000))

	s.f.Close()
	if _, err := s.f.Next(context.Background()); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Next after Close: %v", err)
	}
}

// Restart after a symlink flip while stopped: the saved file is no sibling
// of the link, it is found at Position.Path (the target it was opened as).
func TestFollowRestartAfterSymlinkFlip(t *testing.T) {
	dir := t.TempDir()
	a, b, p := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log"), filepath.Join(dir, "current.log")
	touch(t, a)
	if err := os.Symlink("a.log", p); err != nil {
		t.Fatal(err)
	}
	w := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{})
	w.do("write 20")
	s.round()
	saved := s.pos
	s.f.Close()
	if saved.Path != a {
		t.Fatalf("position path %s, want the target %s", saved.Path, a)
	}
	w.do("write 5")
	touch(t, b)
	os.Symlink("b.log", p+".tmp")
	rename(t, p+".tmp", p)
	w.do("write 5") // still to a.log
	w.reopen()
	w.do("write 10")
	r := newStepper(t, p, saved, FollowConfig{})
	r.rounds(4)
	sameLines(t, r.texts(), seq(21, 40))
	if got := r.noticeKinds(); !slices.Equal(got, []NoticeKind{NoticeResumed, NoticeRotated}) {
		t.Errorf("notices %v", r.notices)
	}
}

// A rotated file still written after MaxDrainRounds while the new file
// fills is left behind: the switch is forced, and reported as a possible
// loss (later writes to the old file are not read).
func TestFollowForcedSwitchIsALoss(t *testing.T) {
	p := logPath(t)
	old := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{MaxDrainRounds: 3})
	old.do("write 10")
	s.round()
	rename(t, p, p+".1")
	touch(t, p)
	fresh := startWriter(t, p)
	fresh.do("write 5")
	for range 8 {
		old.do("write 1") // the old writer never reopens
		s.round()
	}
	var forced []Notice
	for _, n := range s.notices {
		if n.Kind == NoticeForced {
			forced = append(forced, n)
		}
	}
	if len(forced) != 1 || !forced[0].Loss {
		t.Fatalf("forced switches %+v in %v; want one, with Loss", forced, s.notices)
	}
	for _, n := range s.notices {
		if n.Kind != NoticeForced && n.Loss {
			t.Errorf("notice %v says lines were lost", n)
		}
	}
}

// follow50 starts a writer and a follower of a new path; 50 lines are
// written and read.
func follow50(t *testing.T) (string, *testWriter, *stepper) {
	t.Helper()
	p := logPath(t)
	w := startWriter(t, p)
	s := newStepper(t, p, Position{}, FollowConfig{})
	w.do("write 50")
	s.round()
	return p, w, s
}

// createRotated is follow50, then a rotation in create mode (the file
// renamed to name.1, a new empty file at the path) and 5 more lines
// written to the renamed file, read too: the follower drains the renamed
// file and has queued the new one, still empty.
func createRotated(t *testing.T) (string, *testWriter, *stepper) {
	t.Helper()
	p, w, s := follow50(t)
	rename(t, p, p+".1")
	touch(t, p)
	w.do("write 5")
	s.round()
	return p, w, s
}

// Restart from the Position handed out with a rotation, before any line of
// the new file was committed (a crash right after that commit): it names
// the new file at offset 0. The new file was queued while still empty, so
// its identity must be taken again at the switch: with a head of 0 bytes
// the position names no content, and a restart after a copytruncate took
// the refilled file for it and silently skipped what had moved to the copy
// (TestFollowSurvivesSIGKILL lost a whole rotation period that way).
func TestFollowRestartRightAfterRotation(t *testing.T) {
	for _, tc := range []struct {
		name    string
		change  func(e *restartEnv)
		notices []NoticeKind
	}{
		{"appended", func(e *restartEnv) {
			e.w.do("write 20")
			e.want = seq(56, 85)
		}, nil},
		{"copytruncated while stopped", func(e *restartEnv) {
			rename(e.t, e.p+".1", e.p+".2")
			copytruncate(e.t, e.p, e.p+".1")
			e.w.do("write 20")
			e.want = seq(56, 85)
		}, []NoticeKind{NoticeTruncated, NoticeResumed, NoticeRotated}},
		{"copytruncated while stopped, not refilled", func(e *restartEnv) {
			rename(e.t, e.p+".1", e.p+".2")
			copytruncate(e.t, e.p, e.p+".1")
			e.want = seq(56, 65)
		}, []NoticeKind{NoticeTruncated, NoticeResumed}}, // an empty file at the path: the copy is not left
		{"rotated again while stopped", func(e *restartEnv) {
			rename(e.t, e.p+".1", e.p+".2")
			rename(e.t, e.p, e.p+".1")
			e.w.reopen()
			e.w.do("write 20")
			e.want = seq(56, 85)
		}, []NoticeKind{NoticeResumed, NoticeRotated}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &restartEnv{t: t}
			var s *stepper
			e.p, e.w, s = createRotated(t)
			e.w.reopen()
			e.w.do("write 10") // lines 56-65, to the new file
			var saved Position
			for saved.ID.IsZero() {
				b, err := s.f.Next(context.Background())
				if errors.Is(err, errRound) {
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				s.take(b)
				if slices.ContainsFunc(b.Notices, func(n Notice) bool { return n.Kind == NoticeRotated }) {
					saved = b.Position
				}
			}
			s.f.Close()
			sameLines(t, s.texts(), seq(1, 55))
			if saved.Offset != 0 || saved.ID.HeadLen != 10*lineSize {
				t.Errorf("position handed out with the switch: %+v, want the new file at 0 with its 10 lines as head", saved)
			}
			tc.change(e)
			r := newStepper(t, e.p, saved, FollowConfig{})
			r.rounds(8)
			sameLines(t, r.texts(), e.want)
			if got := r.noticeKinds(); !slices.Equal(got, tc.notices) {
				t.Errorf("notices %v, want %v", r.notices, tc.notices)
			}
			noLoss(t, r.notices)
		})
	}
}

// A file queued behind a rotated one is copytruncated before the Follower
// leaves the rotated one: none of it was read, the position in it is 0,
// and its copy is recognised by the head the file had when it was queued.
func TestFollowQueuedFileCopytruncated(t *testing.T) {
	p, w, s := follow50(t)
	rename(t, p, p+".1")
	w.reopen()
	w.do("write 10") // lines 51-60, to the new file
	s.round()        // the old file is quiet for one round: the new one is queued
	if len(s.recs) != 50 || hasNotice(s, NoticeRotated) {
		t.Fatalf("switched already: %v", s.notices)
	}
	rename(t, p+".1", p+".2")
	copytruncate(t, p, p+".1")
	w.do("write 20")
	s.rounds(6)
	sameLines(t, s.texts(), seq(1, 80))
	if st := s.f.Stats(); st.Truncations != 1 || st.Recovered != 1 {
		t.Errorf("stats %+v, want one truncation, recovered from the copy", st)
	}
	noLoss(t, s.notices)
}

// Restart in the middle of a copytruncate of the file at the path, after
// the copy began and before the truncate: the saved position is in an
// older sibling, and the copy, complete or just created (empty), is newer
// than it, so both the copy and the file are queued. The copy's lines must
// come once: when the Follower leaves the copy, the file that still begins
// with all of it is read on from the copy's end; a file truncated by then
// finds as its copy the file just left, read on from where it was left.
func TestFollowRestartDuringCopytruncate(t *testing.T) {
	for _, tc := range []struct {
		name       string
		copied     bool // the copy is complete at the restart; else just created, filled after the first round
		readBefore int  // rounds the restarted follower runs before the truncate
	}{
		{"copied, truncated before the file is read", true, 1},
		{"copied, truncated after the file was read", true, 6},
		{"copy begun, truncated before the file is read", false, 1},
		{"copy begun, truncated after the file was read", false, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, w, s := createRotated(t)
			saved := s.pos // the end of the renamed file
			s.f.Close()
			sameLines(t, s.texts(), seq(1, 55))
			w.reopen()
			w.do("write 10") // lines 56-65, to the new file
			rename(t, p+".1", p+".2")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			copied := data
			if !tc.copied {
				copied = nil
			}
			if err := os.WriteFile(p+".1", copied, 0o644); err != nil {
				t.Fatal(err)
			}
			r := newStepper(t, p, saved, FollowConfig{})
			r.round()
			if !tc.copied {
				if err := os.WriteFile(p+".1", data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			r.rounds(tc.readBefore - 1)
			if err := os.Truncate(p, 0); err != nil {
				t.Fatal(err)
			}
			w.do("write 20")
			r.rounds(8)
			sameLines(t, r.texts(), seq(56, 85))
			noLoss(t, r.notices)
		})
	}
}
