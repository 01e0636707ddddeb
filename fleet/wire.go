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
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/patterns"
)

// The kinds of message, the last token of their subject.
const (
	KindSeconds  = "seconds"  // a batch of per-second counts to add (wireSeconds, JSON compressed with zstd)
	KindRecords  = "records"  // a batch of records the host keeps in full (wireRecords, JSON compressed with zstd)
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

// wireSeconds is a batch of seconds.
type wireSeconds struct {
	Seconds []wireSecond `json:"seconds"`
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

// secondsID names a batch of seconds by its range, its content and the
// totals they reach (the same growth of a second twice differs by them):
// sent again unchanged, it is stored once.
func secondsID(host string, data []byte, totals [][]byte, first, last int64) string {
	h := fnv.New64a()
	h.Write(data)
	for _, t := range totals {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(t))))
		h.Write(t)
	}
	return host + ".s." + strconv.FormatInt(first, 36) + "." + strconv.FormatInt(last, 36) + "." + strconv.FormatUint(h.Sum64(), 36)
}

// incidentID names a host's incident event by its start, the event, and
// the gateway errors it counts.
func incidentID(host, event string, inc analyze.Incident) string {
	var n int64
	for code, c := range inc.Status {
		if code == "502" || code == "504" {
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
