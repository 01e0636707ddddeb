// Package manpage writes the man pages of a cobra command tree, one per
// command, gzipped as Debian wants them (best compression, no name or
// time in the gzip header, so a rebuild gives the same bytes).
package manpage

import (
	"compress/gzip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Header is what each page's title line says besides its name.
type Header struct {
	Source string    // the program and its version: "logcause 1.2.0"
	Date   time.Time // the build's date (reproducible); zero: cobra's default (SOURCE_DATE_EPOCH, else now)
}

// Write writes DIR/<command-path>.1.gz for root and each of its available
// subcommands (not the hidden ones, nor help), and returns the files'
// names. It turns off cobra's "Auto generated" line, which dates the page,
// on the commands of root's tree.
func Write(root *cobra.Command, dir string, h Header) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the man page directory: %w", err)
	}
	var names []string
	var walk func(c *cobra.Command) error
	walk = func(c *cobra.Command) error {
		if !c.IsAvailableCommand() && c != root || c.IsAdditionalHelpTopicCommand() {
			return nil
		}
		c.DisableAutoGenTag = true
		name := strings.ReplaceAll(c.CommandPath(), " ", "-") + ".1.gz"
		if err := writePage(c, filepath.Join(dir, name), h); err != nil {
			return err
		}
		names = append(names, name)
		for _, sub := range c.Commands() {
			if err := walk(sub); err != nil {
				return err
			}
		}
		return nil
	}
	return names, walk(root)
}

func writePage(c *cobra.Command, path string, h Header) (err error) {
	header := &doc.GenManHeader{Section: "1", Source: h.Source, Manual: "logcause manual"} // GenMan fills it: one per page
	if !h.Date.IsZero() {
		header.Date = &h.Date
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the man page: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("cannot write the man page %s: %w", path, cerr)
		}
	}()
	z, err := gzip.NewWriterLevel(f, gzip.BestCompression) // no Name, no ModTime in the header
	if err != nil {
		return err
	}
	if err := doc.GenMan(c, header, z); err != nil {
		return fmt.Errorf("cannot write the man page of %q: %w", c.CommandPath(), err)
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("cannot write the man page %s: %w", path, err)
	}
	return nil
}
