package main

import (
	"github.com/spf13/cobra"

	"github.com/logcause/logcause/pipeline"
)

func newParseCmd(e env) *cobra.Command {
	var in inputFlags
	c := &cobra.Command{
		Use:   "parse [--format FORMAT] FILE...",
		Short: "Print every record of log files as one JSON object per line",
		Long: `parse reads log files (gzip included) and prints one JSON object per
record: "time" (RFC 3339, UTC), "format", "path", "offset" and the record's
fields, named after the nginx variables for nginx logs. Records that do not
parse are counted on stderr, never dropped silently. Stamps without a zone
are read as analyze reads them; stderr says in which zone, and why.

Exit status: 0 when every record parsed, 1 otherwise, 2 for a usage error,
130 or 143 when SIGINT or SIGTERM stopped it.`,
		Example: `  # What does logcause read in this error log? (With the access log, its
  # stamps are read in the access log's offset, as analyze reads them.)
  logcause parse /var/log/nginx/error.log /var/log/nginx/access.log | head

  # Only the 502s of an access log, with jq
  logcause parse /var/log/nginx/access.log | jq 'select(.status == 502)'

  # Force a file's format; check a grok definition of your own format
  logcause parse --format nginx_error --tz Europe/Paris error.log.1
  logcause parse --grok lb.grok /var/log/lb/access.log`,
		Args: atLeastOneArg("file"),
		RunE: func(c *cobra.Command, args []string) error {
			opts, _, err := in.options(e)
			if err != nil {
				return err
			}
			zoneUsed := func(path, label string) {
				c.PrintErrf("logcause: %s: stamps without a zone read in %s\n", path, label)
			}
			return pipeline.WriteJSON(c.Context(), c.OutOrStdout(), args, opts, zoneUsed)
		},
	}
	in.register(c, "format", " (default: as analyze, the offset of the access logs given with them, else Local)")
	return c
}
