package ingest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/logcause/logcause/internal/testarchive"
)

// records reads what r delivers, with the Position after each record.
func records(t *testing.T, r *Reader) ([]rec, []Position) {
	t.Helper()
	var out []rec
	var pos []Position
	err := r.Records(startsWithDigit, func(b []byte, off int64) error {
		out = append(out, rec{string(b), off})
		pos = append(pos, r.Position())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, pos
}

// numbered is n records of about 100 bytes, every third one with a
// continuation line, from first on.
func numbered(first, n int) string {
	var b strings.Builder
	for i := first; i < first+n; i++ {
		fmt.Fprintf(&b, "%d record %s\n", i, strings.Repeat("x", 90))
		if i%3 == 0 {
			fmt.Fprintf(&b, "  continued %d\n\n", i)
		}
	}
	return b.String()
}

func TestPositionIsJustAfterTheRecordHanded(t *testing.T) {
	data := numbered(1, 40)
	p := write(t, "a.log", []byte(data))
	r, err := Open(p, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	r.Sample(25) // replayed lines carry their positions too
	recs, pos := records(t, r)
	if len(recs) != 40 {
		t.Fatalf("%d records", len(recs))
	}
	for i := range recs {
		end := int64(len(data))
		if i+1 < len(recs) {
			end = recs[i+1].off
		}
		if pos[i].Offset != end {
			t.Fatalf("record %d at %d: position %d, want %d (the next record's offset)", i, recs[i].off, pos[i].Offset, end)
		}
		w := window{}
		w.push([]byte(data[:end]))
		if pos[i].Before != w.hash() {
			t.Fatalf("record %d: Before is not the hash of the bytes before %d", i, end)
		}
	}
	if last := r.Position(); last.Offset != int64(len(data)) || last.ID.HeadLen != HeadSize || last.ID.HeadHash != fnv(fnvOffset, []byte(data[:HeadSize])) {
		t.Errorf("after Records: %+v, want the end and the head of %d bytes", last, HeadSize)
	}
}

// TestOpenAtResumesAfterAnyRecord: from the position after every record
// of a file, of its archives and of a copy with lines appended, a read
// delivers exactly the records that follow, at their offsets.
func TestOpenAtResumesAfterAnyRecord(t *testing.T) {
	data := numbered(1, 30)
	more := numbered(31, 5)
	dir := t.TempDir()
	plain := filepath.Join(dir, "a.log")
	os.WriteFile(plain, []byte(data), 0o644)
	r, _ := Open(plain, DefaultLimits)
	all, pos := records(t, r)
	r.Close()
	files := map[string][]byte{
		"a.log.1":    []byte(data + more), // renamed, then written to
		"a.log.2.gz": gz(t, []byte(data+more)),
		"a.log.zst":  zst(t, []byte(data+more)),
		"a.log.xz":   testarchive.XZ(t, []byte(data+more)),
		"a.log.bz2":  testarchive.Bzip2(t, []byte(data+more)),
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		os.WriteFile(p, b, 0o644)
		r, _ := Open(p, DefaultLimits)
		whole, _ := records(t, r)
		r.Close()
		for i, from := range pos {
			r, resumed, err := OpenAt(context.Background(), p, DefaultLimits, from)
			if err != nil || !resumed {
				t.Fatalf("%s after record %d: resumed %v, %v", name, i, resumed, err)
			}
			got, _ := records(t, r)
			r.Close()
			want := whole[i+1:]
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%s after record %d:\n got %v\nwant %v", name, i, got, want)
			}
		}
	}
	if len(all) != 30 {
		t.Fatalf("%d records", len(all))
	}
}

// TestOpenAtReadsAnotherContentFromTheStart: a file truncated, refilled
// with other bytes (the same head, other bytes before the offset), or
// another file, is read whole.
func TestOpenAtReadsAnotherContentFromTheStart(t *testing.T) {
	data := numbered(1, 30)
	p := write(t, "a.log", []byte(data))
	r, _ := Open(p, DefaultLimits)
	_, pos := records(t, r)
	r.Close()
	from := pos[20]
	refilled := data[:from.Offset-10] + "0123456789" + data[from.Offset:]
	for name, content := range map[string][]byte{
		"truncated":        []byte(data[:from.Offset-1]),
		"refilled":         []byte(refilled),
		"refilled archive": gz(t, []byte(refilled)),
		"other head":       []byte("0" + data[1:]),
		"empty":            nil,
	} {
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		r, resumed, err := OpenAt(context.Background(), p, DefaultLimits, from)
		if err != nil || resumed {
			t.Fatalf("%s: resumed %v, %v", name, resumed, err)
		}
		got, _ := records(t, r)
		r.Close()
		if len(content) > 0 && (len(got) == 0 || got[0].off != 0) {
			t.Errorf("%s: read %v, want from the start", name, got)
		}
	}
}

func TestPositionOfAReadErrorIsAfterTheLastRecord(t *testing.T) {
	data := numbered(1, 2000)
	z := gz(t, []byte(data))
	p := write(t, "a.log.gz", z[:len(z)/2])
	r, _ := Open(p, DefaultLimits)
	defer r.Close()
	var last rec
	err := r.Records(startsWithDigit, func(b []byte, off int64) error { last = rec{string(b), off}; return nil })
	if err == nil {
		t.Fatal("a truncated archive read without error")
	}
	end := last.off + int64(len(last.text)) + 1
	if strings.HasSuffix(last.text, fmt.Sprint("continued ", strings.Fields(last.text)[0])) {
		end++ // the blank line after a continued record
	}
	if got := r.Position().Offset; got != end || !strings.HasPrefix(data[end:], strings.Fields(data[end:])[0]+" record") {
		t.Errorf("position %d after a read error, want %d, just after the last record handed", got, end)
	}
}

func TestReadHead(t *testing.T) {
	data := numbered(1, 30)
	for name, b := range map[string][]byte{"a.log": []byte(data), "a.log.gz": gz(t, []byte(data))} {
		h, err := ReadHead(write(t, name, b))
		if err != nil {
			t.Fatal(err)
		}
		if h.Compressed != strings.HasSuffix(name, ".gz") || h.ID.HeadLen != HeadSize || h.ID.HeadHash != fnv(fnvOffset, []byte(data[:HeadSize])) {
			t.Errorf("%s: %+v", name, h.ID)
		}
		young := Identity{HeadLen: 300, HeadHash: fnv(fnvOffset, []byte(data[:300]))}
		if !h.Begins(h.ID) || !h.Begins(young) || h.Begins(Identity{HeadLen: 300, HeadHash: young.HeadHash + 1}) {
			t.Errorf("%s: Begins does not compare the head", name)
		}
	}
	short, err := ReadHead(write(t, "short.log", []byte("1 short\n")))
	if err != nil || short.ID.HeadLen != 8 || short.Begins(Identity{HeadLen: 9}) {
		t.Errorf("short file: %+v %v", short.ID, err)
	}
	if _, err := ReadHead(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
