package fleet

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
	"github.com/logcause/logcause/config"
)

// counted is a requestCounter that keeps what it was given.
type counted map[string]int64

func (c counted) Requests(_ time.Time, status int, upstream []byte, n int64) error {
	c[string(upstream)+" "+strconv.Itoa(status)] += n
	return nil
}

// TestAddSecondRefusesCountsOutOfBounds: a second's counts come from
// another machine. A huge count (the consumer once added requests one at
// a time: 9e18 froze it), a negative one or a status out of range is left
// out and said; the counts within bounds are added whole, at once.
func TestAddSecondRefusesCountsOutOfBounds(t *testing.T) {
	c := counted{}
	ok := addSecond(c, wireSecond{T: 1, S: map[int]int64{200: 5, 502: 9e18, 503: -4, 1000: 1},
		U: map[string]map[int]int64{"10.0.0.1:9000": {200: 2, 502: 1}}})
	if ok {
		t.Error("counts out of bounds were not said")
	}
	if want := (counted{" 200": 3, "10.0.0.1:9000 200": 2}); !maps.Equal(c, want) {
		t.Errorf("added %v, want %v", c, want)
	}
	c = counted{}
	if !addSecond(c, wireSecond{T: 1, S: map[int]int64{502: maxSecondCount}, U: map[string]map[int]int64{"u": {502: 7}}}) {
		t.Error("counts within bounds refused")
	}
	if want := (counted{" 502": maxSecondCount - 7, "u 502": 7}); !maps.Equal(c, want) {
		t.Errorf("added %v", c)
	}
}

// TestParseSubjectChecksTheHost: a host is one token as the publisher's
// config allows; NATS lets ':' through, which would make "web1:x"'s
// records pass for web1's.
func TestParseSubjectChecksTheHost(t *testing.T) {
	for subject, want := range map[string]bool{
		"logcause.shop.web1.seconds":     true,
		"logcause.shop.web1:x.seconds":   false,
		"logcause.shop.web\x1b1.records": false,
		"logcause.shop..records":         false,
		"logcause.shop.web1":             false,
	} {
		if _, _, ok := parseSubject(subject); ok != want {
			t.Errorf("parseSubject(%q): ok %t, want %t", subject, ok, want)
		}
	}
}

// TestSiteAndHostAreTokens: `logcause fleet --site '*'` would subscribe
// to every site and merge them; a machine without a host name would
// publish on "logcause.site..seconds", which every publish fails. Both
// are refused before anything connects.
func TestSiteAndHostAreTokens(t *testing.T) {
	nats := config.NATS{URL: "nats://127.0.0.1:1"}
	for _, site := range []string{"*", ">", "shop.eu", ""} {
		err := Follow(context.Background(), nil, Following{Fleet: config.Fleet{NATS: nats}, Site: site, Format: "text"})
		if !errors.As(err, new(config.UsageError)) {
			t.Errorf("site %q: err %v, want a usage error", site, err)
		}
	}
	_, err := StartPublishing(config.Fleet{NATS: nats, Site: "shop"}, "", nil)
	if err == nil || !strings.Contains(err.Error(), "give fleet.host") {
		t.Errorf("no host name: err %v", err)
	}
}

// TestIncidentIDGrowsWithEveryGatewayError: an incident's event is named
// by the gateway errors it counts, whatever their code (502, 504, and the
// 009 of a request the upstream never answered), so that an incident
// that grew is another message, not a duplicate the stream drops; other
// statuses do not change it.
func TestIncidentIDGrowsWithEveryGatewayError(t *testing.T) {
	start := time.Date(2026, 12, 6, 4, 22, 7, 0, time.UTC)
	id := func(status map[string]int64) string {
		return incidentID("web1", "updated", analyze.Incident{Start: start, Status: status})
	}
	for name, c := range map[string]struct{ before, after map[string]int64 }{
		"009 only":  {map[string]int64{"009": 3}, map[string]int64{"009": 4}},
		"502":       {map[string]int64{"502": 3}, map[string]int64{"502": 4}},
		"504":       {map[string]int64{"504": 3}, map[string]int64{"504": 4}},
		"009 added": {map[string]int64{"502": 3}, map[string]int64{"502": 3, "009": 1}},
	} {
		if id(c.before) == id(c.after) {
			t.Errorf("%s: %v and %v have the same ID %s", name, c.before, c.after, id(c.before))
		}
	}
	if a, b := id(map[string]int64{"502": 3}), id(map[string]int64{"502": 3, "500": 7, "503": 2}); a != b {
		t.Errorf("statuses that are not gateway errors changed the ID: %s, %s", a, b)
	}
}
