package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/logcause/logcause/analyze"
)

// TestEventJSONLines: --format json prints one line per event, each the
// event's name and the incident as the JSON report has it.
func TestEventJSONLines(t *testing.T) {
	inc := sample().Incidents[0]
	inc.Title += "\nsecond line\x1b[2J"
	var out bytes.Buffer
	for _, ev := range []string{EventOpen, EventUpdate, EventResolve} {
		if err := Event(&out, "json", ev, inc, 100); err != nil {
			t.Fatal(err)
		}
	}
	var report bytes.Buffer
	if err := JSON(&report, analyze.Result{Incidents: []analyze.Incident{inc}}); err != nil {
		t.Fatal(err)
	}
	var want struct {
		Incidents []json.RawMessage `json:"incidents"`
	}
	if err := json.Unmarshal(report.Bytes(), &want); err != nil {
		t.Fatal(err)
	}
	var compact bytes.Buffer
	json.Compact(&compact, want.Incidents[0])
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<20)
	var events []string
	for sc.Scan() {
		var line struct {
			Event    string          `json:"event"`
			Incident json.RawMessage `json:"incident"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not a JSON line: %v: %s", err, sc.Bytes())
		}
		events = append(events, line.Event)
		if !bytes.Equal(line.Incident, compact.Bytes()) {
			t.Errorf("%s: the incident differs from the JSON report's:\n%s\n%s", line.Event, line.Incident, compact.Bytes())
		}
	}
	if strings.Join(events, ",") != "open,update,resolve" {
		t.Errorf("events %v", events)
	}
}

// TestEventText: --format text prints what happened, then the incident's
// section of the terminal report, log text stripped of control sequences.
func TestEventText(t *testing.T) {
	res := sample()
	inc := res.Incidents[0]
	var section, out bytes.Buffer
	p := &printer{w: &section, width: 100}
	p.incident(1, res, inc)
	for _, ev := range []string{EventOpen, EventUpdate, EventResolve} {
		out.Reset()
		if err := Event(&out, "text", ev, inc, 100); err != nil {
			t.Fatal(err)
		}
		first, rest, _ := strings.Cut(out.String(), "\n")
		want := map[string]string{EventOpen: "logcause: incident opened", EventUpdate: "logcause: incident updated",
			EventResolve: "logcause: incident resolved: quiet since 13:01:00 UTC; its final report"}[ev]
		if first != want {
			t.Errorf("%s: first line %q, want %q", ev, first, want)
		}
		if rest != section.String()+"\n" {
			t.Errorf("%s: not the report's section:\n%s", ev, rest)
		}
		if strings.Contains(out.String(), "\x1b") {
			t.Errorf("%s: a control sequence printed", ev)
		}
	}
	if err := Event(&out, "yaml", EventOpen, inc, 100); err == nil {
		t.Error("an unknown format printed")
	}
}
