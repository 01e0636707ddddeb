package ingest

import (
	"context"
	"errors"
	"os"
	"testing"
)

// scriptWaker wakes as its script says: early (a change noticed) or at the
// end of a round; with nothing left in the script it returns errIdle.
type scriptWaker struct {
	wakes []bool
	last  bool
}

var errIdle = errors.New("script done")

func (w *scriptWaker) Wait(ctx context.Context) error {
	if len(w.wakes) == 0 {
		return errIdle
	}
	w.last, w.wakes = w.wakes[0], w.wakes[1:]
	return nil
}

func (w *scriptWaker) Round() bool { return w.last }

// TestEarlyWakesAreNoRounds: a Rounder's early wakes make the Follower
// read at once, but do not count as the quiet rounds after which a rotated
// file is closed for good: a writer that has not reopened its log yet
// still has its QuietRounds of time.
func TestEarlyWakesAreNoRounds(t *testing.T) {
	p := logPath(t)
	write := func(path, text string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(text); err != nil {
			t.Fatal(err)
		}
	}
	write(p, "a\nb\n")
	w := &scriptWaker{}
	f := NewFollower(p, Position{}, FollowConfig{Waker: w})
	defer f.Close()
	ctx := context.Background()
	texts := func(b *Batch) (out []string) {
		for _, r := range b.Records {
			out = append(out, string(r.Text))
		}
		return out
	}
	if b, err := f.Next(ctx); err != nil || len(b.Records) != 2 {
		t.Fatalf("first batch: %v", err)
	}
	rename(t, p, p+".1")
	write(p, "new 1\n")
	w.wakes = []bool{false, false, false, false, false, false, false, false, false, false}
	if b, err := f.Next(ctx); err != errIdle {
		t.Fatalf("ten early wakes with nothing new in the old file: batch %v notices %v, err %v; want the old file kept open", texts(b), b.Notices, err)
	}
	if st := f.Stats(); st.Rounds != 0 || st.Rotations != 0 {
		t.Fatalf("early wakes counted as rounds: %+v", st)
	}
	// The writer still writes to the renamed file: read at the next wake.
	write(p+".1", "c\n")
	w.wakes = []bool{false}
	if b, err := f.Next(ctx); err != nil || len(b.Notices) != 0 || len(b.Records) != 1 || string(b.Records[0].Text) != "c" {
		t.Fatalf("after a write to the rotated file: %v, %v", err, b)
	}
	// Rounds (time) close it and go on with the new file.
	w.wakes = []bool{true, true, true}
	b, err := f.Next(ctx)
	if err != nil || len(b.Notices) != 1 || b.Notices[0].Kind != NoticeRotated {
		t.Fatalf("after quiet rounds: %v, %+v", err, b)
	}
	if b, err = f.Next(ctx); err != nil || len(b.Records) != 1 || string(b.Records[0].Text) != "new 1" {
		t.Fatalf("the new file: %v, %v", err, b)
	}
}
