package store

import (
	"encoding/binary"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/logcause/logcause/patterns"
)

// Key layout. Time-ordered keys start with their UTC day, so that a day of
// data is one key prefix, and retention drops whole prefixes (DropPrefix
// really frees the disk; TTLs would only hide keys until a compaction):
//
//	e | day (4) | unix nanos (8) | kind (1) | offset (8) | text hash (8) → event (see eventcodec.go, eventKey)
//	r | day (4) | unix seconds (8)                          → request rollup (by status, and by upstream and status): persistent stores
//	n | day (4) | unix seconds (8), a minute's first        → request rollups of a minute's seconds: temporary stores (minutes.go)
//	q | day (4) | unix seconds (8), a minute's first        → slow-query rollup: per query class, the digest's accumulators (slowrollup.go)
//	g | day (4) | unix nanos (8) | path hash (4) | offset (8) → JSON Gap
//	i | day (4) | unix nanos (8)                            → an incident's state (opaque: the daemon's)
//	s | path                                                → JSON Source
//	p | path                                                → follow position (opaque to the store)
//	f | key                                                 → how far a file was read (opaque to the store; see Writer.Checkpoint)
//	m | name                                                → metadata: the schema version (m|schema), and the values of PutMeta
//	                                                          (the daemon's report/<key>: the last run sent of each report)
//
// All numbers are big-endian, so keys sort by time.
const (
	prefixEvent    = 'e'
	prefixSecond   = 'r'
	prefixMinute   = 'n'
	prefixSlow     = 'q'
	prefixSource   = 's'
	prefixMeta     = 'm'
	prefixPos      = 'p'
	prefixMark     = 'f'
	prefixGap      = 'g'
	prefixIncident = 'i'

	timeKeyLen = 1 + 4 + 8
)

// The instants keys can hold: UnixNano covers 1970 to 2262.
var (
	minKeyTime = time.Unix(0, 0)
	maxKeyTime = time.Unix(0, 1<<63-1)
)

func dayOf(t time.Time) uint32 { return uint32(t.Unix() / 86400) }

// timeKey is the 13-byte head of a time-ordered key; out-of-range instants
// are clamped.
func timeKey(prefix byte, t time.Time) []byte {
	return appendTimeKey(make([]byte, 0, eventKeyLen), prefix, t)
}

// appendTimeKey appends the time key of t (timeKey) to b.
func appendTimeKey(b []byte, prefix byte, t time.Time) []byte {
	if t.Before(minKeyTime) {
		t = minKeyTime
	}
	if t.After(maxKeyTime) {
		t = maxKeyTime
	}
	v := t.UnixNano()
	if prefix == prefixSecond || prefix == prefixMinute || prefix == prefixSlow {
		v = t.Unix()
	}
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(append(b, prefix), dayOf(t)), uint64(v))
}

// keyTime decodes the instant of a time-ordered key.
func keyTime(k []byte) time.Time {
	v := int64(binary.BigEndian.Uint64(k[5:timeKeyLen]))
	if k[0] == prefixSecond || k[0] == prefixMinute || k[0] == prefixSlow {
		return time.Unix(v, 0).UTC()
	}
	return time.Unix(0, v).UTC()
}

// schemaVersion is the key layout this code reads and writes.
// 6: an event is keyed by a hash of its text, no longer of its path (5).
// 7: the slow-query rollups (q), which the digest reads instead of the
// entries: a store of schema 6 has none, and is refused (rebuild it);
// and the text hash of an event's key is xxHash.
const schemaVersion = "7"

var schemaKey = []byte{prefixMeta, 's', 'c', 'h', 'e', 'm', 'a'}

func secondKey(unix int64) []byte { return timeKey(prefixSecond, time.Unix(unix, 0)) }

// eventKeyLen is the length of an event's key.
const eventKeyLen = timeKeyLen + 1 + 8 + 8

// eventKey names a record by what it is, not by the name of the file it
// was read from: its instant, kind, offset and text (a 64-bit hash). The
// same bytes read again rewrite the same key — a store loaded twice, a
// batch re-read after a restart, a rotated file read again as error.log.1
// or as its archive. Two files at one path, the one renamed by rotation
// and the new one, whose records share an instant (nginx's error stamps
// are whole seconds) and an offset, differ by their text: both are kept
// (a path hash in the key lost the renamed file's lines). Records equal
// in all four are one record. A second's events of one kind come in the
// order of their offsets, a file's in its order. The hash is xxHash
// (FNV-1a before schema 7: it cost a tenth of the slow log's load).
func eventKey(ev *patterns.Event) []byte {
	return appendEventKey(make([]byte, 0, eventKeyLen), ev)
}

// appendEventKey appends ev's key (eventKey) to b.
func appendEventKey(b []byte, ev *patterns.Event) []byte {
	return appendEventKeyHash(b, ev, xxhash.Sum64String(ev.Text))
}

// appendEventKeyHash appends ev's key to b, with h for its text's hash.
func appendEventKeyHash(b []byte, ev *patterns.Event, h uint64) []byte {
	b = appendTimeKey(b, prefixEvent, ev.Time)
	b = append(b, byte(ev.Kind))
	b = binary.BigEndian.AppendUint64(b, uint64(ev.Offset))
	return binary.BigEndian.AppendUint64(b, h)
}

// dayPrefix is the prefix of every key of one kind and one day.
func dayPrefix(prefix byte, day uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{prefix}, day)
}
