package analyze

import "sort"

// A list is the records of a signal (or of one half of a signal's,
// split), as analysis keeps them: a spike's nginx error lines and PHP-FPM
// terminated / too slow / SIGTERM-exit lines come in hundreds of
// thousands during an outage, and the rules read of them only
//
//   - how many there are (n, exact);
//   - their first records (x.first(), the state evidence: the first
//     e.max/3);
//   - the first record of each kind (kinds: records that share an Event,
//     and a PHP-FPM pool, have the same upstream, host, action, message
//     and pool): every question "the first record with property P", or
//     "the distinct upstreams, hosts and pools", of such properties — of
//     its first maxListKinds kinds (below);
//   - the longest duration of its PHP-FPM lines (the longest request
//     php-fpm terminated);
//   - a sample for the evidence (spread), at the positions it picks in
//     the whole list.
//
// A list keeps all its records up to headCap, then an evenly spaced
// sample of the rest (every stride-th, the stride doubling whenever
// sampleCap are held) and the last: what it holds does not grow with an
// incident. Below headCap+sampleCap records it holds them all, and
// answers everything as the whole list would. A whole list (whole) keeps
// every record: the lists the rules build of records already held
// (wholeList). A plain list is capped as the others, but its records share
// no kind (each an Event of its own: OOM kills, database restarts,
// traces), so it keeps no first of each kind; a counted list keeps no
// record, only their count: the rules read what aggregates (whole.go)
// computed of its records as they came (slow-log entries, traces).
//
// A list records the first maxListKinds kinds it meets (kinds, their
// first records; seen, the kinds), no more: a flood of lines the keeper
// could not share an Event for (each with its own message, past
// maxKinds) would make one kind per line. Past them, a
// record of a new kind is counted, and kept or sampled as any, but not
// among the firsts, and these answers may then differ from the whole
// list's, when what they look for first came past the cap:
//
//   - which upstreams and hosts the configuration is quoted for
//     (configured.nginxFor: nginx's timeouts, max_fails …), which PHP-FPM
//     pools (configured.pools), and whether the configuration is the
//     servers' at all (belongs: an upstream it serves);
//   - fpm_down's "no pool listens on" (firstFastCGI: the first FastCGI
//     upstream);
//   - worker_crash without a crashed child in php-fpm's log: whether
//     nginx saw an upstream close a connection prematurely
//     (closedPrematurely among the resets' firsts).
//
// The first record (firstAction) is always among them. Below
// maxListKinds kinds every answer is the whole list's.
type list struct {
	kept    []record
	at      []int // kept[i]'s position in the list
	n       int   // the records added, kept or not
	whole   bool  // every record is kept
	plain   bool  // no first of each kind: firsts is kept
	counted bool  // no record kept: n only
	stride  int   // past headCap, every stride-th record is sampled
	loose   bool  // the last of kept is the last record, off the stride
	kinds   []record
	seen    map[kindKey]struct{}
	lastKey kindKey // the kind addKind last met, in seen: an outage's records come alike by the thousand
	longest float64 // of its PHP-FPM records' durations
	gid     groupID // the group whose records it holds (collected's); 0: none, a list made whole
	parts   []part  // a join's: the groups of its records, one after the other
}

// groupID names the records of a signal, or of one half of them, as
// collected keeps them: 1 + 3×signal + (0 whole, 1 or 2 the half); 0 none.
type groupID uint16

func groupOf(s signal, half int) groupID { return groupID(1 + 3*int(s) + half + 1) }

// part is n records of a group, in a list.
type part struct {
	g groupID
	n int
}

// partsOf returns the groups of l's records, one after the other.
func (l list) partsOf() []part {
	if l.parts != nil {
		return l.parts
	}
	return []part{{l.gid, l.n}}
}

// exact returns the record at position p, if l kept it.
func (l list) exact(p int) (record, bool) {
	if i := sort.SearchInts(l.at, p); i < len(l.at) && l.at[i] == p {
		return l.kept[i], true
	}
	return record{}, false
}

// where returns the group of the record at position p, and its position
// there.
func (l list) where(p int) (groupID, int) {
	for _, pt := range l.partsOf() {
		if p < pt.n {
			return pt.g, p
		}
		p -= pt.n
	}
	return 0, 0
}

// kindKey is what the records of one kind share: their Event (shared by
// the nginx lines alike, and by the PHP-FPM lines alike but for their
// child and duration), and their pool.
type kindKey struct {
	ev   any
	pool string
}

// headCap is how many of a list's first records are kept: 4096, where no
// scenario or test list holds more than a few hundred (a scenario's
// incident is minutes of a few requests a second); sampleCap bounds the
// sample of those past it.
const (
	headCap   = 4096
	sampleCap = 1024
)

// maxListKinds is how many kinds a list records: as many as the nginx
// lineKinds the keeper registers an Event for (maxKinds), so that a list
// records every kind of the records that share those, as before the cap
// (PHP-FPM's kinds, of php-fpm's files, levels and pools, are a few); only
// the lines whose Events it did not register (keeper.unregistered) can
// make more.
const maxListKinds = maxKinds

// wholeList returns a list that keeps every record of recs.
func wholeList(recs []record) list {
	l := list{whole: true}
	for _, r := range recs {
		l.add(r)
	}
	return l
}

// add appends r.
func (l *list) add(r record) {
	i := l.n
	l.n++
	if l.counted {
		return
	}
	if r.FPM != nil {
		l.longest = max(l.longest, r.duration())
	}
	if !l.whole && !l.plain {
		l.addKind(r)
	}
	if l.whole || i < headCap {
		l.kept, l.at = append(l.kept, r), append(l.at, i)
		return
	}
	if l.loose {
		l.kept, l.at = l.kept[:len(l.kept)-1], l.at[:len(l.at)-1]
	}
	if l.stride == 0 {
		l.stride = 1
	}
	if (i-headCap)%l.stride == 0 && len(l.kept)-headCap == sampleCap {
		l.thin()
	}
	l.loose = (i-headCap)%l.stride != 0
	l.kept, l.at = append(l.kept, r), append(l.at, i)
}

// thin halves the sample: it keeps every other sampled record, and samples
// every other record it sampled.
func (l *list) thin() {
	w := headCap
	for j := headCap; j < len(l.kept); j++ {
		if (l.at[j]-headCap)%(2*l.stride) == 0 {
			l.kept[w], l.at[w] = l.kept[j], l.at[j]
			w++
		}
	}
	clear(l.kept[w:])
	l.kept, l.at = l.kept[:w], l.at[:w]
	l.stride *= 2
}

// kindOf returns the kind of r.
func kindOf(r record) kindKey {
	k := kindKey{ev: r.Event}
	if r.FPM != nil {
		k.pool = r.FPM.Pool
	}
	if r.Event == nil {
		k.ev = r.FPM
	}
	return k
}

// addKind records r's kind, if new and among the first maxListKinds.
func (l *list) addKind(r record) {
	if len(l.kinds) >= maxListKinds {
		return
	}
	k := kindOf(r)
	if l.seen != nil && k == l.lastKey {
		return
	}
	if _, ok := l.seen[k]; ok {
		l.lastKey = k
		return
	}
	if l.seen == nil {
		l.seen = map[kindKey]struct{}{}
	}
	l.seen[k] = struct{}{}
	l.kinds = append(l.kinds, r)
	l.lastKey = k
}

// firsts returns the first record of each kind, in their order: of a
// whole or plain list, its records (those kept).
func (l list) firsts() []record {
	if l.whole || l.plain {
		return l.kept
	}
	return l.kinds
}

// capped reports whether l left records out (a counted list keeps none,
// and is read through aggregates: never).
func (l list) capped() bool { return !l.counted && len(l.kept) < l.n }

// first returns the first record; the list must not be empty.
func (l list) first() record { return l.kept[0] }

// head returns the first k records at most (k ≤ headCap).
func (l list) head(k int) []record {
	return l.kept[:min(k, len(l.kept))]
}

// record returns the record at position p of the list, or, when it was
// not kept, the last kept before it.
func (l list) record(p int) record {
	i := sort.Search(len(l.at), func(i int) bool { return l.at[i] > p })
	return l.kept[max(i-1, 0)]
}

// join returns the records of lists, one list after the other. A single
// list that holds them all is returned as it is.
func join(lists ...list) list {
	var only list
	n := 0
	for _, l := range lists {
		if l.n > 0 {
			only = l
			n++
		}
	}
	if n <= 1 {
		return only
	}
	out := list{whole: true}
	seen := map[kindKey]struct{}{}
	for _, l := range lists {
		for i, r := range l.kept {
			out.kept, out.at = append(out.kept, r), append(out.at, out.n+l.at[i])
		}
		out.parts = append(out.parts, l.partsOf()...)
		out.n += l.n
		out.longest = max(out.longest, l.longest)
		out.whole = out.whole && l.whole
		for _, r := range l.firsts() {
			if k := kindOf(r); !has(seen, k) {
				seen[k] = struct{}{}
				out.kinds = append(out.kinds, r)
			}
		}
	}
	if out.whole {
		out.kinds = nil
	}
	return out
}

func has(m map[kindKey]struct{}, k kindKey) bool {
	_, ok := m[k]
	return ok
}
