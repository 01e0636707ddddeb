package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/logcause/logcause/config"
	"github.com/logcause/logcause/daemon"
	"github.com/logcause/logcause/internal/printable"
	"github.com/logcause/logcause/report"
)

// WriteStatus writes st as `logcause status` prints it, at now: the
// daemon, the files it follows (format, records and unparsed ones since it
// started, bytes not yet read), the incidents of its window, and the
// gateway errors it counted.
func WriteStatus(w io.Writer, st daemon.Status, now time.Time) error {
	state := "running"
	if !st.Running {
		state = "not following the logs"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "logcause watch: %s since %s (%s), store %s (%s)\n", state, stamp(st.Started), now.Sub(st.Started).Round(time.Second), printable.String(st.Store), report.Size(st.StoreBytes))
	if st.Err != "" {
		fmt.Fprintf(&b, "error: %s\n", printable.String(st.Err))
	}
	if st.LastCommit.IsZero() {
		fmt.Fprintf(&b, "no commit yet\n")
	} else {
		fmt.Fprintf(&b, "%d commits, the last at %s (%s ago)\n", st.Commits, stamp(st.LastCommit), now.Sub(st.LastCommit).Round(time.Second))
	}
	fmt.Fprintf(&b, "\n%d files followed:\n", len(st.Files))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprint(tw, "  PATH\tFORMAT\tRECORDS\tUNPARSED\tBEHIND\n")
	for _, f := range st.Files {
		behind := report.Size(f.Behind)
		if f.Size < 0 {
			behind = "no file"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", printable.String(f.Path), f.Format, f.Records, f.Unparsed, behind)
	}
	tw.Flush()
	var open []daemon.IncidentState
	for _, inc := range st.Incidents {
		if inc.Open() {
			open = append(open, inc)
		}
	}
	fmt.Fprintf(&b, "\n%d open incidents, %d in the recent window\n", len(open), len(st.Incidents))
	for _, inc := range st.Incidents {
		fmt.Fprintf(&b, "  %s  %s to %s  %s: %s\n", inc.State, stamp(inc.Start), inc.End.UTC().Format("15:04:05"), inc.RootCause, printable.String(inc.Title))
	}
	if len(st.GatewayErrors) > 0 {
		var parts []string
		for _, s := range slices.Sorted(maps.Keys(st.GatewayErrors)) {
			parts = append(parts, fmt.Sprintf("%s: %d", statusLabel(s), st.GatewayErrors[s]))
		}
		fmt.Fprintf(&b, "gateway errors since the start: %s\n", strings.Join(parts, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

// PrintStatus asks the daemon that holds the store in dir for its status
// (Find) and writes it in format: "text" (WriteStatus, at now) or "json"
// (as /api/v1/status gives it); another format is a config.UsageError.
func PrintStatus(ctx context.Context, w io.Writer, dir, format string, now time.Time) error {
	if format != "text" && format != "json" {
		return config.Usagef("invalid --format %q: use text or json", format)
	}
	c, err := Find(dir)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	return WriteStatus(w, st, now)
}
