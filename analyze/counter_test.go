package analyze

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
)

// plainTop is the top list of a plain map of counts: what a counter must
// give while it is exact.
func plainTop(m map[string]int64) []ValueCount {
	out := make([]ValueCount, 0, len(m))
	for v, n := range m {
		if v != "" {
			out = append(out, ValueCount{v, n})
		}
	}
	slices.SortFunc(out, func(a, b ValueCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out[:min(len(out), maxTop)]
}

// Up to maxDistinct distinct values a counter counts as a map does, the
// ties in value order, and says nothing is approximate.
func TestCounterIsExactUpToItsLimit(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, distinct := range []int{1, 12, 1000, maxDistinct} {
		c, want := newCounter(maxDistinct), map[string]int64{}
		add := func(s string) {
			c.add(s)
			want[s]++
		}
		add("") // a field the log did not carry
		for i := range 5 * distinct {
			// Skewed: a few values take most adds, ties among the others.
			v := rng.IntN(distinct)
			if i%3 == 0 {
				v = rng.IntN(min(distinct, 4))
			}
			add("10.0." + strconv.Itoa(v/256) + "." + strconv.Itoa(v%256))
		}
		for v := range distinct { // every value at least once
			add("10.0." + strconv.Itoa(v/256) + "." + strconv.Itoa(v%256))
		}
		got, approx := c.top(ListClients)
		if approx != nil {
			t.Errorf("%d distinct values: approximate %+v, want exact", distinct, *approx)
		}
		if w := plainTop(want); !slices.Equal(got, w) {
			t.Errorf("%d distinct values: top %v, want %v", distinct, got, w)
		}
	}
	// Ties: the count first, then the value.
	c := newCounter(maxDistinct)
	for _, s := range []string{"b", "c", "a", "c", "d", "a", "e"} {
		c.add(s)
	}
	got, _ := c.top(ListPaths)
	want := []ValueCount{{"a", 2}, {"c", 2}, {"b", 1}, {"d", 1}, {"e", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("ties: %v, want %v", got, want)
	}
}

// Past its limit a counter holds limit values, each count at least the
// value's and at most over (≤ the least count, m) more; a value it does
// not hold occurred at most m times, and m is at most adds/limit. Checked
// against the true counts of every value, on a skewed stream.
func TestCounterPastItsLimitBoundsItsCounts(t *testing.T) {
	const limit, adds = 50, 20_000
	rng := rand.New(rand.NewPCG(3, 4))
	c, truth := newCounter(limit), map[string]int64{}
	for range adds {
		var s string
		switch r := rng.IntN(10); {
		case r < 2:
			s = "heavy"
		case r < 4:
			s = "v" + strconv.Itoa(rng.IntN(20)) // 20 values with 1% each
		default:
			s = "v" + strconv.Itoa(20+rng.IntN(5000)) // the long tail
		}
		c.add(s)
		truth[s]++
	}
	if len(c.all) != limit || len(c.idx) != limit {
		t.Fatalf("holds %d tallies and %d keys, want %d", len(c.all), len(c.idx), limit)
	}
	m := c.all[0].count
	if m > adds/limit {
		t.Errorf("least count %d, want at most adds/limit = %d", m, adds/limit)
	}
	held := map[string]bool{}
	for i, tl := range c.all {
		held[tl.value] = true
		if c.idx[tl.value] != tl || tl.pos != i {
			t.Fatalf("tally %q at %d: its index or place is wrong", tl.value, i)
		}
		if tl.count < m {
			t.Fatalf("tally %q counts %d, under the root's %d: not a heap", tl.value, tl.count, m)
		}
		if n := truth[tl.value]; tl.count < n || tl.count-tl.over > n || tl.over > m {
			t.Errorf("%q: count %d over %d, true %d, least %d", tl.value, tl.count, tl.over, n, m)
		}
	}
	for v, n := range truth {
		if !held[v] && n > m {
			t.Errorf("%q occurred %d times, more than the least count %d, and is not held", v, n, m)
		}
	}
	got, approx := c.top(ListPaths)
	if approx == nil || approx.Error != m || approx.DistinctMoreThan != limit || approx.List != ListPaths {
		t.Fatalf("approx %+v, want paths past %d with error %d", approx, limit, m)
	}
	if len(got) == 0 || got[0].Value != "heavy" {
		t.Fatalf("top %v: want heavy first", got)
	}
	for _, vc := range got {
		if n := truth[vc.Value]; n <= m || vc.Count < n || vc.Count > n+m {
			t.Errorf("listed %q (%d): true count %d, want above %d and within %d below", vc.Value, vc.Count, n, m, m)
		}
	}
	if !slices.IsSortedFunc(got, func(a, b ValueCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	}) {
		t.Errorf("top %v is not by count, then value", got)
	}
}

// One client sending 30% of the gateway errors amid 1,000,000 one-off
// addresses comes first, its count within the bound; the one-offs, whose
// counts are the summary's, are not listed.
func TestCounterFindsTheHeavyClientAmidAMillion(t *testing.T) {
	const oneOffs = 1_000_000
	c := newCounter(maxDistinct)
	heavy := int64(0)
	for i := range oneOffs {
		c.add(clientAddr(i))
		if i%7 < 3 { // 3 of 10 adds
			c.add("198.51.100.7")
			heavy++
		}
	}
	adds := oneOffs + heavy
	got, approx := c.top(ListClients)
	if approx == nil {
		t.Fatal("exact past 1,000,000 distinct values")
	}
	if approx.Error > adds/maxDistinct {
		t.Errorf("error %d, want at most %d", approx.Error, adds/maxDistinct)
	}
	if len(got) != 1 || got[0].Value != "198.51.100.7" || got[0].Count < heavy || got[0].Count > heavy+approx.Error {
		t.Errorf("top %v, want only 198.51.100.7 with %d (+ at most %d)", got, heavy, approx.Error)
	}
	t.Logf("heavy: %d true, %d counted, error bound %d", heavy, got[0].Count, approx.Error)
}

// clientAddr is the i-th of 16 M distinct IPv4 addresses.
func clientAddr(i int) string {
	return "10." + strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255)
}

// What a counter holds does not grow with the distinct values it is fed.
func TestCounterHeldStaysFlat(t *testing.T) {
	held := func(distinct int) uint64 {
		before := liveHeap()
		c := newCounter(maxDistinct)
		for i := range distinct {
			c.add(fmt.Sprintf("/search/%08d/item-%016x", i, uint64(i)*2654435761)) // all as long
		}
		grown := liveHeap() - min(before, liveHeap())
		if len(c.all) != maxDistinct {
			t.Fatalf("%d distinct values: %d tallies", distinct, len(c.all))
		}
		runtime.KeepAlive(c)
		return grown
	}
	wantFlat(t, "distinct values", held, 100_000, 2_000_000, 0.1, 4<<20)
}

func BenchmarkCounterAddPastLimit(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	addrs := make([]string, 1<<16)
	size := 0
	for i := range addrs {
		if i%4 == 0 {
			addrs[i] = "198.51.100." + strconv.Itoa(rng.IntN(8)) // a few busy clients
		} else {
			addrs[i] = strconv.Itoa(1+rng.IntN(223)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(rng.IntN(256)) + "." + strconv.Itoa(rng.IntN(256))
		}
		size += len(addrs[i])
	}
	c := newCounter(maxDistinct)
	for i := range 4 * maxDistinct {
		c.add(clientAddr(i))
	}
	b.SetBytes(int64(size / len(addrs)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.add(addrs[i&(len(addrs)-1)])
	}
}
