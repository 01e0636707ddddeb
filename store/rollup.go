package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	"github.com/logcause/logcause/timeline"
)

// maxUpstreams bounds the upstreams one second's rollup names: $upstream_addr
// may hold variables' values (proxy_pass http://$host), so the rest are
// counted under timeline.OtherUpstreams.
const maxUpstreams = 32

// rollup is the request counts of one second being written.
type rollup struct {
	status map[int]int64
	up     map[string]map[int]int64
}

func newRollup() *rollup { return &rollup{status: make(map[int]int64, 4)} }

// add counts n requests of the given status answered by upstream
// ($upstream_addr as logged; empty or "-" when nginx answered itself).
func (r *rollup) add(status int, upstream []byte, n int64) {
	r.status[status] += n
	if addr := lastUpstream(upstream); len(addr) > 0 {
		r.addUpstream(status, addr, n)
	}
}

func (r *rollup) addUpstream(status int, addr []byte, n int64) {
	m := r.up[string(addr)]
	if m == nil {
		if r.up == nil {
			r.up = make(map[string]map[int]int64, 2)
		}
		name := string(addr)
		if len(r.up) >= maxUpstreams {
			name = timeline.OtherUpstreams
		}
		if m = r.up[name]; m == nil {
			m = make(map[int]int64, 2)
			r.up[name] = m
		}
	}
	m[status] += n
}

// merged returns a new rollup that holds the counts of r and o.
func (r *rollup) merged(o *rollup) *rollup {
	out := newRollup()
	for _, x := range []*rollup{r, o} {
		for c, n := range x.status {
			out.status[c] += n
		}
		for addr, m := range x.up {
			for c, n := range m {
				out.addUpstream(c, []byte(addr), n)
			}
		}
	}
	return out
}

// lastUpstream returns the address that gave the final answer in an
// $upstream_addr list ("10.0.0.1:80, 10.0.0.2:80 : unix:/run/php.sock"):
// the last one. "-" and "" (no upstream) give nil.
func lastUpstream(b []byte) []byte {
	if i := bytes.LastIndex(b, []byte(", ")); i >= 0 {
		b = b[i+2:]
	}
	if i := bytes.LastIndex(b, []byte(" : ")); i >= 0 {
		b = b[i+3:]
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return nil
	}
	return b
}

// encode writes the rollup as uvarints: the number of statuses and the
// (code, count) pairs ordered by code, then for each upstream, ordered by
// address, its length, its bytes, and its pairs the same way.
func (r *rollup) encode() []byte {
	b := appendCounts(make([]byte, 0, 16), r.status)
	addrs := make([]string, 0, len(r.up))
	for a := range r.up {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	for _, a := range addrs {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
		b = appendCounts(b, r.up[a])
	}
	return b
}

func appendCounts(b []byte, m map[int]int64) []byte {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	b = binary.AppendUvarint(b, uint64(len(codes)))
	for _, c := range codes {
		b = binary.AppendUvarint(b, uint64(c))
		b = binary.AppendUvarint(b, uint64(m[c]))
	}
	return b
}

var errCorruptRollup = errors.New("corrupt request rollup in the store (remove the store and ingest again)")

// decodeRollup decodes what encode wrote. It does not keep v.
func decodeRollup(v []byte) (*rollup, error) {
	r := newRollup()
	d := decoder{v: v}
	d.counts(r.status)
	for d.err == nil && len(d.v) > 0 {
		n := d.uvarint()
		if d.err != nil || n == 0 || n > uint64(len(d.v)) {
			return nil, errCorruptRollup
		}
		addr := string(d.v[:n])
		d.v = d.v[n:]
		if r.up == nil {
			r.up = map[string]map[int]int64{}
		}
		m := r.up[addr]
		if m == nil {
			m = make(map[int]int64, 2)
			r.up[addr] = m
		}
		d.counts(m)
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, nil
}

type decoder struct {
	v   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.v)
	if n <= 0 {
		d.err = errCorruptRollup
		return 0
	}
	d.v = d.v[n:]
	return x
}

// counts reads a count of pairs and the pairs into m.
func (d *decoder) counts(m map[int]int64) {
	n := d.uvarint()
	if n > uint64(len(d.v)) { // each pair takes at least two bytes
		d.err = errCorruptRollup
	}
	for i := uint64(0); i < n && d.err == nil; i++ {
		code, count := d.uvarint(), d.uvarint()
		m[int(code)] += int64(count)
	}
}

// decodeSecond decodes a stored rollup straight into a Second, without the
// maps of a rollup: analysis reads 86,400 of them for a day.
func decodeSecond(unix int64, v []byte) (timeline.Second, error) {
	d := decoder{v: v}
	sec := timeline.Second{Time: time.Unix(unix, 0).UTC(), Status: d.countList()}
	for d.err == nil && len(d.v) > 0 {
		n := d.uvarint()
		if d.err != nil || n == 0 || n > uint64(len(d.v)) {
			return timeline.Second{}, errCorruptRollup
		}
		addr := string(d.v[:n])
		d.v = d.v[n:]
		sec.Upstreams = append(sec.Upstreams, timeline.UpstreamCount{Addr: addr, Status: d.countList()})
	}
	if d.err != nil {
		return timeline.Second{}, d.err
	}
	if !slices.IsSortedFunc(sec.Upstreams, func(a, b timeline.UpstreamCount) int { return cmp.Compare(a.Addr, b.Addr) }) {
		slices.SortStableFunc(sec.Upstreams, func(a, b timeline.UpstreamCount) int { return cmp.Compare(a.Addr, b.Addr) })
	}
	ups := sec.Upstreams[:0]
	for _, u := range sec.Upstreams { // an address twice: a value encode did not write, but readable
		if n := len(ups); n > 0 && ups[n-1].Addr == u.Addr {
			both := append(ups[n-1].Status, u.Status...)
			slices.SortStableFunc(both, func(a, b timeline.StatusCount) int { return a.Code - b.Code })
			ups[n-1].Status = mergeCodes(both)
			continue
		}
		ups = append(ups, u)
	}
	sec.Upstreams = ups
	return sec, nil
}

// countList reads a count of pairs and the pairs, as timeline.Counts ordered by
// code (encode writes them so; a value that is not is put in order).
func (d *decoder) countList() timeline.Counts {
	n := d.uvarint()
	if n > uint64(len(d.v)) {
		d.err = errCorruptRollup
		return nil
	}
	out := make(timeline.Counts, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		code, count := d.uvarint(), d.uvarint()
		out = append(out, timeline.StatusCount{Code: int(code), Count: int64(count)})
	}
	if !slices.IsSortedFunc(out, func(a, b timeline.StatusCount) int { return a.Code - b.Code }) {
		slices.SortStableFunc(out, func(a, b timeline.StatusCount) int { return a.Code - b.Code })
	}
	return mergeCodes(out)
}

// mergeCodes adds up the counts of equal codes, in a sorted list.
func mergeCodes(c timeline.Counts) timeline.Counts {
	out := c[:0]
	for _, s := range c {
		if n := len(out); n > 0 && out[n-1].Code == s.Code {
			out[n-1].Count += s.Count
			continue
		}
		out = append(out, s)
	}
	return out
}

func sortedCounts(m map[int]int64) timeline.Counts {
	out := make(timeline.Counts, 0, len(m))
	for c, n := range m {
		out = append(out, timeline.StatusCount{Code: c, Count: n})
	}
	slices.SortFunc(out, func(a, b timeline.StatusCount) int { return a.Code - b.Code })
	return out
}
