package main

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
)

func newParseCmd() *cobra.Command {
	var format, tz string
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
  logcause parse --format nginx_error --tz Europe/Paris error.log.1`,
		Args: atLeastOneArg("file"),
		RunE: func(c *cobra.Command, args []string) error {
			opts := loadOptions{limits: ingest.DefaultLimits}
			var err error
			if opts.zone, err = parseZone(tz); err != nil {
				return err
			}
			if opts.zone == nil {
				opts.zone, _ = learnedZone(nil)
			}
			if format != "" {
				if opts.format, err = patterns.ParseKind(format); err != nil {
					return usageError{err}
				}
			}
			out := bufio.NewWriterSize(c.OutOrStdout(), 64<<10)
			var problems []error
			for _, path := range args {
				if err := parseFile(out, path, opts); err != nil {
					problems = append(problems, err)
				}
			}
			if err := out.Flush(); err != nil {
				return fmt.Errorf("cannot write the output: %w", err)
			}
			return errors.Join(problems...)
		},
	}
	c.Flags().StringVar(&format, "format", "", fmt.Sprintf("log `FORMAT` of the files instead of detecting it (%v)", patterns.Kinds()))
	c.Flags().StringVar(&tz, "tz", "", "`ZONE` of stamps without one: IANA name, offset (+01:00) or Local (default Local)")
	return c
}

func parseFile(out *bufio.Writer, path string, opts loadOptions) error {
	r, kind, err := open(ingest.File{Path: path, Named: true}, opts)
	if err != nil {
		return err
	}
	defer r.Close()
	p, err := patterns.NewParser(kind, opts.zone)
	if err != nil {
		return err
	}
	var (
		buf      []byte
		unparsed int64
	)
	starts := func(line []byte) bool { return patterns.StartsRecord(kind, line) }
	err = r.Records(starts, func(rec []byte, off int64) error {
		var ev patterns.Event
		if err := p.Parse(rec, &ev); err != nil {
			if !errors.Is(err, patterns.ErrNoEvent) {
				unparsed++
			}
			return nil
		}
		ev.Path, ev.Offset = path, off
		buf = ev.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		_, err := out.Write(buf)
		return err
	})
	if err != nil {
		return err
	}
	if unparsed > 0 {
		return fmt.Errorf("%s: %d of %d records did not parse as %s", path, unparsed, r.Stats().Records, kind)
	}
	return nil
}
