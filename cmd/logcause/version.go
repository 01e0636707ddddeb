package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/logcause/logcause/internal/buildinfo"
	"github.com/logcause/logcause/internal/manpage"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use: "version", Args: cobra.NoArgs,
		Short:   "Print the version of logcause, its commit, build date and Go version",
		Example: "  logcause version",
		RunE: func(c *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(c.OutOrStdout(), buildinfo.Get())
			return err
		},
	}
}

// newManCmd writes the man pages of the whole tree (make deb, make release).
func newManCmd() *cobra.Command {
	return &cobra.Command{Use: "man DIR", Short: "Write the man pages, gzipped, into DIR", Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			bi := buildinfo.Get()
			date, _ := bi.Time() // unknown: cobra's (SOURCE_DATE_EPOCH, else now)
			_, err := manpage.Write(c.Root(), args[0], manpage.Header{Source: "logcause " + bi.Version, Date: date})
			return err
		},
	}
}
