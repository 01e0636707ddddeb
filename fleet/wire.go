// Package fleet answers one question: what does a site's fleet of hosts
// say together? Each `logcause watch` publishes, through a Publisher (NATS
// JetStream: jetstream.go), what the fleet needs of its store: the
// per-second request counts, the records it keeps in full (error-log
// records, gateway-error access lines, slow queries) and its incidents
// (Pump). `logcause fleet` consumes a site's subjects into a store of its
// own, the hosts merged into one timeline (Consumer), and analyzes it: one
// incident per burst of gateway errors, naming the hosts and their shares,
// shared when several hosts failed at once for a cause they share
// (Explain).
//
// Subjects are logcause.<site>.<host>.<kind>; a message's Nats-Msg-Id
// names what it holds (the host, and its records' identities or its seconds'
// range and counts), so that a message sent again is stored once.
package fleet

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/patterns"
)

// The kinds of message, the last token of their subject.
const (
	KindSeconds  = "seconds"  // a batch of per-second counts to add (encodeSeconds: columns of varints; an older Pump's JSON, wireSeconds), compressed with zstd
	KindRecords  = "records"  // a batch of records the host keeps in full (wireRecords, JSON compressed with zstd and recordsDict)
	KindIncident = "incident" // one of the host's incidents opened, updated or resolved (wireIncident)
	KindClock    = "clock"    // a host's heartbeat: its clock, when it had nothing else to publish (wireClock)
)

// SubjectPrefix is the first token of every subject.
const SubjectPrefix = "logcause"

// Subject is where host of site publishes messages of kind.
func Subject(site, host, kind string) string {
	return SubjectPrefix + "." + site + "." + host + "." + kind
}

// parseSubject returns the host and kind of a subject of Subject. A host
// is checked as the publisher's config checks it: NATS allows ':' and
// more in a token, which would let one host's records pass for another's
// (the fleet's store names a record's path "host:path").
func parseSubject(s string) (host, kind string, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 || parts[0] != SubjectPrefix || !config.ValidToken(parts[2]) {
		return "", "", false
	}
	return parts[2], parts[3], true
}

// Message is one message to publish: its subject, its de-duplication ID
// (the same ID within the stream's duplicate window is stored once) and
// its body.
type Message struct {
	Subject string
	ID      string
	Data    []byte
}

// wireSecond is one second's counts to add: by status, and by upstream and
// status (the part of the status counts an upstream answered).
type wireSecond struct {
	T int64                    `json:"t"`
	S map[int]int64            `json:"s"`
	U map[string]map[int]int64 `json:"u,omitempty"`
}

// wireSeconds is a batch of seconds in JSON: the form of a Pump of an
// older version, still read (decodeSeconds).
type wireSeconds struct {
	Seconds []wireSecond `json:"seconds"`
}

// secondsColumns is the first byte of a batch of seconds in columns (one
// in JSON begins with '{').
const secondsColumns = 1

// maxBatchSeconds bounds the seconds of a batch read (a Pump sends 60).
const maxBatchSeconds = 3600

// encodeSeconds writes a batch of seconds in columns, varints: a quiet
// host's 30 s of counts are ~75 bytes compressed (~200 in JSON, one
// object a second; ~115 in JSON columns). After secondsColumns: the
// number of seconds n; the seconds, the first in Unix seconds, each next
// one as its distance from the one before (signed); the statuses, each
// its code and the n counts of it (0: none); the upstreams, each its
// address and its statuses alike. Codes and addresses in order: the same
// batch is the same bytes (its message the same ID).
func encodeSeconds(batch []wireSecond) []byte {
	codes, addrs := map[int]bool{}, map[string]map[int]bool{}
	for _, s := range batch {
		for code := range s.S {
			codes[code] = true
		}
		for addr, m := range s.U {
			if addrs[addr] == nil {
				addrs[addr] = map[int]bool{}
			}
			for code := range m {
				addrs[addr][code] = true
			}
		}
	}
	b := binary.AppendUvarint([]byte{secondsColumns}, uint64(len(batch)))
	prev := int64(0)
	for _, s := range batch {
		b, prev = binary.AppendVarint(b, s.T-prev), s.T
	}
	column := func(b []byte, codes map[int]bool, count func(s wireSecond, code int) int64) []byte {
		b = binary.AppendUvarint(b, uint64(len(codes)))
		for _, code := range slices.Sorted(maps.Keys(codes)) {
			b = binary.AppendUvarint(b, uint64(code))
			for _, s := range batch {
				b = binary.AppendUvarint(b, uint64(count(s, code)))
			}
		}
		return b
	}
	b = column(b, codes, func(s wireSecond, code int) int64 { return s.S[code] })
	b = binary.AppendUvarint(b, uint64(len(addrs)))
	for _, addr := range slices.Sorted(maps.Keys(addrs)) {
		b = binary.AppendUvarint(b, uint64(len(addr)))
		b = append(b, addr...)
		b = column(b, addrs[addr], func(s wireSecond, code int) int64 { return s.U[addr][code] })
	}
	return b
}

// decodeSeconds reads a batch of seconds, in columns (encodeSeconds) or
// in JSON (wireSeconds). What a count says is not checked here (addSecond
// does): only that the batch is whole.
func decodeSeconds(b []byte) ([]wireSecond, error) {
	if len(b) > 0 && b[0] == '{' {
		var ws wireSeconds
		err := json.Unmarshal(b, &ws)
		return ws.Seconds, err
	}
	if len(b) == 0 || b[0] != secondsColumns {
		return nil, errors.New("not a batch of seconds")
	}
	r := &varints{b: b[1:]}
	n := r.count(maxBatchSeconds)
	out := make([]wireSecond, n)
	t := int64(0)
	for i := range out {
		t += r.varint()
		out[i] = wireSecond{T: t, S: map[int]int64{}}
	}
	columns := func(set func(i, code int, n int64)) {
		for k := r.count(len(r.b)); k > 0 && r.err == nil; k-- {
			code := r.count(999)
			if len(r.b) < n {
				r.err = errShort
			}
			for i := 0; i < n && r.err == nil; i++ {
				if v := r.requests(); v > 0 {
					set(i, code, v)
				}
			}
		}
	}
	columns(func(i, code int, v int64) { out[i].S[code] = v })
	for k := r.count(len(r.b)); k > 0 && r.err == nil; k-- {
		l := r.count(len(r.b))
		addr := string(r.b[:l])
		r.b = r.b[l:]
		columns(func(i, code int, v int64) {
			if out[i].U == nil {
				out[i].U = map[string]map[int]int64{}
			}
			if out[i].U[addr] == nil {
				out[i].U[addr] = map[int]int64{}
			}
			out[i].U[addr][code] = v
		})
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = errors.New("bytes after the batch")
	}
	if r.err != nil {
		return nil, fmt.Errorf("cannot read a batch of seconds: %w", r.err)
	}
	return out, nil
}

var errShort = errors.New("cut short")

// varints reads varints from b, the first error kept (then each reads 0).
type varints struct {
	b   []byte
	err error
}

func (r *varints) varint() int64 { return next(r, binary.Varint) }

func (r *varints) uvarint() uint64 { return next(r, binary.Uvarint) }

// next reads a varint of r with decode (binary.Varint, binary.Uvarint).
func next[T int64 | uint64](r *varints, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, k := decode(r.b)
	if k <= 0 {
		r.err = errShort
		return 0
	}
	r.b = r.b[k:]
	return v
}

// count reads a number of things, a length or a code: at most limit.
func (r *varints) count(limit int) int {
	v := r.uvarint()
	if v > uint64(limit) && r.err == nil {
		r.err = fmt.Errorf("%d past its bound %d", v, limit)
	}
	if r.err != nil {
		return 0
	}
	return int(v)
}

// requests reads a second's count of requests: one past maxSecondCount
// reads as maxSecondCount+1, for addSecond to refuse and say.
func (r *varints) requests() int64 {
	return int64(min(r.uvarint(), maxSecondCount+1))
}

// wireRecords is a batch of records.
type wireRecords struct {
	Records []*patterns.Event `json:"records"`
}

// wireIncident is one of a host's incident events.
type wireIncident struct {
	Event    string           `json:"event"` // opened, updated, resolved
	Incident analyze.Incident `json:"incident"`
}

// recordID names a record by what the store names it by: its instant,
// kind, offset and text (a hash of it stands for the file's identity: the
// same bytes read again are the same record, the renamed and the new file
// at one path differ by their text).
func recordID(host string, ev *patterns.Event) string {
	h := fnv.New64a()
	h.Write([]byte(ev.Text))
	return host + ".r." + strconv.FormatInt(ev.Time.UnixNano(), 36) + "." + strconv.Itoa(int(ev.Kind)) + "." +
		strconv.FormatInt(ev.Offset, 36) + "." + strconv.FormatUint(h.Sum64(), 36)
}

// secondsID names a batch of seconds by its content (which holds its
// seconds) and the totals they reach (the same growth of a second twice
// differs by them): sent again unchanged, it is stored once.
func secondsID(host string, data []byte, totals [][]byte) string {
	h := fnv.New64a()
	h.Write(data)
	for _, t := range totals {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(t))))
		h.Write(t)
	}
	return host + ".s." + strconv.FormatUint(h.Sum64(), 36)
}

// incidentID names a host's incident event by its start, the event, and
// the gateway errors it counts (analyze.IsGateway, whatever their code):
// an incident that grew is another message.
func incidentID(host, event string, inc analyze.Incident) string {
	var n int64
	for key, c := range inc.Status {
		if code, err := strconv.Atoi(key); err == nil && analyze.IsGateway(code) { // "009" is 9
			n += c
		}
	}
	b := binary.BigEndian.AppendUint64(nil, uint64(inc.Start.UnixNano()))
	return fmt.Sprintf("%s.i.%x.%s.%d", host, b, event, n)
}

// recordsID names a batch of records by their IDs (recordID): sent
// again, the same batch is stored once.
func recordsID(host string, ids []string) string {
	h := fnv.New64a()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return host + ".r." + strconv.Itoa(len(ids)) + "." + strconv.FormatUint(h.Sum64(), 36)
}

// unixTime is a wire second's instant.
func unixTime(t int64) time.Time { return time.Unix(t, 0).UTC() }

// wireClock is a host's heartbeat: its clock, in Unix seconds.
type wireClock struct {
	T int64 `json:"t"`
}

// clockID names a host's heartbeat by its instant.
func clockID(host string, t int64) string { return host + ".c." + strconv.FormatInt(t, 36) }
