package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"time"

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
parse are counted on stderr, never dropped silently.

Exit status: 0 when every record parsed, 1 otherwise, 2 for a usage error.`,
		Example: `  # What does logcause read in this error log?
  logcause parse /var/log/nginx/error.log | head

  # Only the 502s of an access log, with jq
  logcause parse /var/log/nginx/access.log | jq 'select(.status == 502)'

  # Force the format of a file whose start is unusual
  logcause parse --format nginx_error --tz Europe/Paris error.log.1

  # Check a grok definition of your own format
  logcause parse --grok lb.grok /var/log/lb/access.log`,
		Args: atLeastOneArg("file"),
		RunE: func(c *cobra.Command, args []string) error {
			opts, _, err := in.options(e)
			if err != nil {
				return err
			}
			if opts.Zone == nil {
				opts.Zone = time.Local
			}
			w := &stickyWriter{w: c.OutOrStdout()}
			out := bufio.NewWriterSize(w, 64<<10)
			var problems []error
			for _, path := range args {
				err := pipeline.WriteJSON(c.Context(), out, path, opts)
				if w.err != nil {
					return fmt.Errorf("cannot write the output: %w", w.err) // nobody reads the rest
				}
				if err := c.Context().Err(); err != nil {
					return err
				}
				if err != nil {
					problems = append(problems, err)
				}
			}
			if err := out.Flush(); err != nil {
				return fmt.Errorf("cannot write the output: %w", err)
			}
			return errors.Join(problems...)
		},
	}
	in.register(c, "format", " (default Local)")
	return c
}

// stickyWriter remembers the first error of w: once the output fails (a
// closed pipe, a full disk), parse reads no further file.
type stickyWriter struct {
	w   io.Writer
	err error
}

func (s *stickyWriter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
