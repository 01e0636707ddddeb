package fleet_test

import (
	"maps"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
)

// TestStatusCountsTheGatewayErrorsMerged: the Consumer's status counts, as
// watch's does, the requests with a gateway error status it committed,
// by status (502, 504 and 009, of every host), not the other statuses;
// the API serves them.
func TestStatusCountsTheGatewayErrorsMerged(t *testing.T) {
	ms := newMemStream()
	for host, n := range map[string]int{"web1": 1, "web2": 2} {
		st := openStore(t, host)
		commit(t, st, t0, 200, 5*n)
		commit(t, st, t0, 502, 3*n)
		commit(t, st, t0.Add(time.Second), 504, n)
		commit(t, st, t0.Add(time.Second), 9, 2*n)
		commit(t, st, t0.Add(2*time.Second), 500, 4*n)
		r := runPumpOf(t, host, st, ms)
		if err := r.await(t); err != nil {
			t.Fatal(err)
		}
		r.stop()
	}
	fst := openStore(t, "fleet")
	c, stop := consumeAll(t, ms, fst, 1)
	defer stop()
	want := map[int]int64{502: 9, 504: 3, 9: 6}
	if got := c.Status().GatewayErrors; !maps.Equal(got, want) {
		t.Errorf("the status counts the gateway errors %v, want %v", got, want)
	}
	var st struct {
		GatewayErrors map[int]int64 `json:"gateway_errors"`
	}
	serveAPI(t, c)("/api/v1/status", &st)
	if !maps.Equal(st.GatewayErrors, want) {
		t.Errorf("the API's status counts the gateway errors %v, want %v", st.GatewayErrors, want)
	}
	gateway := map[int]int64{} // what the fleet's store holds
	secs, err := fst.Seconds(t0, t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secs {
		for _, sc := range s.Status {
			if analyze.IsGateway(sc.Code) {
				gateway[sc.Code] += sc.Count
			}
		}
	}
	if !maps.Equal(gateway, want) {
		t.Errorf("the fleet's store holds the gateway errors %v, the status says %v", gateway, want)
	}
}
