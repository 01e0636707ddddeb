package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/logcause/logcause/analyze"
)

// The events of an incident's life, as `logcause watch` prints them.
const (
	EventOpen    = "open"
	EventUpdate  = "update"
	EventResolve = "resolve"
)

// EventFormats are the forms an event is printed in.
var EventFormats = []string{"text", "json"}

// Event writes what happened to an incident (EventOpen, EventUpdate,
// EventResolve) in format: "json", one line
// {"event": …, "incident": {… as in the JSON report …}} for piping; "text",
// a line that says it, then the incident's section of the terminal report,
// width columns wide.
func Event(w io.Writer, format, event string, inc analyze.Incident, width int) error {
	switch format {
	case "json":
		b, err := json.Marshal(struct {
			Event    string           `json:"event"`
			Incident analyze.Incident `json:"incident"`
		}{event, inc})
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", b)
		}
		if err != nil {
			return fmt.Errorf("cannot write the incident's event: %w", err)
		}
		return nil
	case "text":
		p := &printer{w: w, width: columns(width)}
		what := map[string]string{EventOpen: "opened", EventUpdate: "updated", EventResolve: "resolved: quiet since " + clock(inc.End) + " UTC; its final report"}[event]
		p.line(2, "logcause: incident %s", what)
		p.incident(1, analyze.Result{}, inc)
		p.f("\n")
		return p.err
	}
	return fmt.Errorf("cannot print an incident's event as %q: the formats are %v", format, EventFormats)
}

// Events prints, in format, the incidents that opened, changed and
// resolved, in that order: what watch prints of each analysis.
func Events(w io.Writer, format string, opened, updated, resolved []analyze.Incident, width int) error {
	for _, ev := range []struct {
		name string
		incs []analyze.Incident
	}{{EventOpen, opened}, {EventUpdate, updated}, {EventResolve, resolved}} {
		for _, inc := range ev.incs {
			if err := Event(w, format, ev.name, inc, width); err != nil {
				return err
			}
		}
	}
	return nil
}
