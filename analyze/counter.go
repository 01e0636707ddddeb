package analyze

import (
	"cmp"
	"slices"
	"strings"
)

// maxDistinct is how many distinct values a counter of an incident's top
// list counts exactly: no scenario, test or benchmark comes near it (a
// day's 2,000,000 clients make a few thousand gateway errors at most per
// incident). Past it the counter keeps a summary of that many values.
const maxDistinct = 10_000

// A counter counts the values of a field for a top list: paths, client
// addresses and Host headers are the attacker's to choose, and an outage
// driven by a million distinct addresses would otherwise hold a million
// counts per list, for each incident explained.
//
// Up to limit distinct values it counts them exactly. Past that it is a
// Space-Saving summary of limit tallies: a value not held takes the place
// of the one with the fewest counts, m, and starts at m+1, with over = m
// (how much its count may exceed the truth). So every count held is at
// least its value's true count and at most over ≤ m more, a value not held
// occurred at most m times, and m ≤ adds/limit: a value with more than a
// limit-th of the adds is always held. The tallies then form a min-heap by
// count (pos, each tally's place), so an add costs O(log limit).
//
// Its keys are copies: the events explain reads may be lent (bareReader).
type counter struct {
	limit   int
	idx     map[string]*valueTally
	all     []*valueTally // in the order first counted; a min-heap by count once heaped
	heaped  bool          // past limit distinct values: counts are estimates
	evicted int           // tallies replaced since idx was last made anew
	last    *valueTally   // the tally add counted last: the same value again is counted without hashing it
}

// valueTally is one value's count in a counter.
type valueTally struct {
	value string
	count int64
	over  int64 // how much count may exceed the value's true count
	pos   int   // in counter.all
}

func newCounter(limit int) *counter {
	return &counter{limit: limit, idx: map[string]*valueTally{}}
}

// add counts s once; empty values (a field the log did not carry) are
// not counted: no top list shows them.
func (c *counter) add(s string) {
	if s == "" {
		return
	}
	t := c.last
	if t == nil || t.value != s {
		t = c.idx[s]
	}
	if t != nil {
		c.last = t
		t.count++
		if c.heaped {
			c.down(t.pos)
		}
		return
	}
	if len(c.all) < c.limit {
		t := &valueTally{value: strings.Clone(s), count: 1, pos: len(c.all)}
		c.all = append(c.all, t)
		c.idx[t.value] = t
		return
	}
	if !c.heaped {
		c.heaped = true
		for i := len(c.all)/2 - 1; i >= 0; i-- {
			c.down(i)
		}
	}
	t = c.all[0] // the fewest counts
	delete(c.idx, t.value)
	t.value, t.over = strings.Clone(s), t.count
	t.count++
	c.idx[t.value] = t
	c.down(0)
	// A map that deletes as much as it adds keeps growing: made anew
	// every limit replacements, it holds limit keys and their spare room.
	if c.evicted++; c.evicted >= c.limit {
		idx := make(map[string]*valueTally, len(c.all))
		for _, t := range c.all {
			idx[t.value] = t
		}
		c.idx, c.evicted = idx, 0
	}
}

// down moves the tally at i down the heap to its place.
func (c *counter) down(i int) {
	a := c.all
	for {
		l := 2*i + 1
		if l >= len(a) {
			return
		}
		j := l
		if r := l + 1; r < len(a) && a[r].count < a[l].count {
			j = r
		}
		if a[i].count <= a[j].count {
			return
		}
		a[i], a[j] = a[j], a[i]
		a[i].pos, a[j].pos = i, j
		i = j
	}
}

// top returns the most frequent values, most frequent first (then by
// value), at most maxTop; and, when the counter went past its limit,
// what those counts are worth (nil while exact). Past the limit it lists
// only the values that surely occurred more than m times (count − over >
// m), more than any value it does not hold: the others' counts are mostly
// the summary's, not theirs.
func (c *counter) top(list string) ([]ValueCount, *TopApprox) {
	var (
		out    = make([]ValueCount, 0, len(c.all))
		approx *TopApprox
	)
	if c.heaped {
		m := c.all[0].count
		approx = &TopApprox{List: list, DistinctMoreThan: c.limit, Error: m}
		for _, t := range c.all {
			if t.count-t.over > m {
				out = append(out, ValueCount{t.value, t.count})
			}
		}
	} else {
		for _, t := range c.all {
			out = append(out, ValueCount{t.value, t.count})
		}
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	n := min(len(out), maxTop)
	return append(make([]ValueCount, 0, n), out[:n]...), approx // not out's array: as long as the counter
}
