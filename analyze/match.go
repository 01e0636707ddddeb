package analyze

import (
	"maps"
	"slices"
	"time"
)

// MatchIncident finds, among the incidents known by their start, the one
// inc is: the one of the same start, else the first whose window overlaps
// inc's (a late line may move an incident's start). window gives a known
// incident's first start and latest end.
func MatchIncident[T any](known map[time.Time]T, inc Incident, window func(T) (start, end time.Time)) (T, bool) {
	if t, ok := known[inc.Start]; ok {
		return t, true
	}
	for _, k := range slices.SortedFunc(maps.Keys(known), time.Time.Compare) {
		t := known[k]
		if start, end := window(t); !inc.Start.After(end) && !inc.End.Before(start) {
			return t, true
		}
	}
	var zero T
	return zero, false
}
