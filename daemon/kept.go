package daemon

import (
	"encoding/json"
	"fmt"
	"time"
)

// IncidentStore is where incident states are kept (*store.Store is one).
type IncidentStore interface {
	Incidents(from, to time.Time) ([][]byte, error)
	PutIncident(start time.Time, state []byte) error
}

// KeepIncident writes the state s of the incident that started at start
// to st, as KeptIncidents reads it back.
func KeepIncident(st IncidentStore, start time.Time, s any) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return st.PutIncident(start, v)
}

// KeptIncidents reads the incident states kept in st (each the JSON of an
// S, by the start life tells): the open ones, and the resolved ones of
// the last window before the latest end. watch's daemon and the fleet
// keep theirs so.
func KeptIncidents[S any](st IncidentStore, window time.Duration, life func(*S) (start, end time.Time, open bool)) (map[time.Time]*S, error) {
	recs, err := st.Incidents(time.Unix(0, 0), time.Unix(1<<40, 0))
	if err != nil {
		return nil, err
	}
	var states []*S
	var latest time.Time
	for _, v := range recs {
		s := new(S)
		if err := json.Unmarshal(v, s); err != nil {
			return nil, fmt.Errorf("corrupt incident state in the store: %w (remove the store to start afresh)", err)
		}
		states = append(states, s)
		if _, end, _ := life(s); end.After(latest) {
			latest = end
		}
	}
	out := map[time.Time]*S{}
	for _, s := range states {
		if start, end, open := life(s); open || !end.Before(latest.Add(-window)) {
			out[start] = s
		}
	}
	return out, nil
}
