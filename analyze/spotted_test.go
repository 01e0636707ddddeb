package analyze

import (
	"reflect"
	"testing"
	"time"

	"github.com/logcause/logcause/patterns"
)

// eventsCounted is a Reader that counts the reads of events (explaining an
// incident reads them; reusing an explanation does not).
type eventsCounted struct {
	*fake
	reads int
}

func (e *eventsCounted) Events(from, to time.Time, fn func(*patterns.Event) error) error {
	e.reads++
	return e.fake.Events(from, to, fn)
}

// TestExplainReusesAnEarlierExplanationWithItsCountsMadeCurrent: Analyze
// is Spot then Explain; an earlier explanation given to Explain is not
// explained again (no event read), and is told with what the window's
// seconds tell now (span, requests, statuses, upstreams), the rest as it
// was explained.
func TestExplainReusesAnEarlierExplanationWithItsCountsMadeCurrent(t *testing.T) {
	f := &fake{}
	f.healthy(0, 120)
	f.fpm(49, "WARNING", maxChildren)
	outage := func(from, to int) {
		for s := from; s < to; s++ {
			f.access(s, 502, "/slow.php", 8)
			f.events[len(f.events)-1].Access.UpstreamAddr = "unix:/run/php/php8.2-fpm.sock"
			f.nginx(s, 8, 11, eagain, connecting, fpmSock)
		}
	}
	outage(50, 60)
	rng := TimeRange{t0, at(3600)}
	r := &eventsCounted{fake: f}
	sp, err := Spot(r, rng, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if ws := sp.Windows(); len(ws) != 1 || ws[0] != (Window{at(50), at(60), 80}) {
		t.Fatalf("windows %+v, want one of 80 gateway errors over 13:00:50–13:01:00", ws)
	}
	first, xs, err := sp.Explain(r, DefaultConfig, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := analyzeFake(t, f); !reflect.DeepEqual(first, want) {
		t.Errorf("Spot then Explain:\n%+v\nAnalyze:\n%+v", first, want)
	}
	if len(xs) != 1 || !reflect.DeepEqual(xs[0].Incident, first.Incidents[0]) || xs[0].Config != nil {
		t.Fatalf("explanations %+v", xs)
	}

	outage(60, 70) // grown: twice as many gateway errors
	sp, err = Spot(r, rng, DefaultConfig)
	if err != nil {
		t.Fatal(err)
	}
	if ws := sp.Windows(); len(ws) != 1 || ws[0].Gateway != 160 {
		t.Fatalf("windows %+v after the outage grew, want one of 160 gateway errors", ws)
	}
	reads := r.reads
	// What its top lists' counts were worth is the explanation's too.
	xs[0].Incident.TopApprox = []TopApprox{{List: ListClients, DistinctMoreThan: maxDistinct, Error: 3}}
	res, _, err := sp.Explain(r, DefaultConfig, []*Explanation{&xs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if r.reads != reads {
		t.Errorf("an explanation reused read the events %d times", r.reads-reads)
	}
	got, now, was := onlyIncident(t, res), onlyIncident(t, analyzeFake(t, f)), first.Incidents[0]
	if !got.Start.Equal(now.Start) || !got.End.Equal(now.End) || got.Requests != now.Requests ||
		!reflect.DeepEqual(got.Status, now.Status) || !reflect.DeepEqual(got.ByUpstream, now.ByUpstream) {
		t.Errorf("reused: %s–%s, %d requests, %v, %+v; an analysis now: %s–%s, %d requests, %v, %+v",
			got.Start, got.End, got.Requests, got.Status, got.ByUpstream, now.Start, now.End, now.Requests, now.Status, now.ByUpstream)
	}
	if got.Status["502"] != 160 || len(got.ByUpstream) != 1 || got.ByUpstream[0].GatewayErrors != 20 {
		t.Errorf("reused with %v, %+v", got.Status, got.ByUpstream)
	}
	if !reflect.DeepEqual(got.Causes, was.Causes) || !reflect.DeepEqual(got.TopPaths, was.TopPaths) || got.Title != was.Title {
		t.Errorf("reused: the explanation changed: %+v, want %+v", got.Causes, was.Causes)
	}
	if !reflect.DeepEqual(got.TopClients, was.TopClients) || !reflect.DeepEqual(got.TopApprox, xs[0].Incident.TopApprox) {
		t.Errorf("reused: top clients %v, %+v; want %v, %+v", got.TopClients, got.TopApprox, was.TopClients, xs[0].Incident.TopApprox)
	}
}
