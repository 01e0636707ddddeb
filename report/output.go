package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/logcause/logcause/analyze"
)

// RenderFunc writes an analysis in one format.
type RenderFunc func(io.Writer, analyze.Result) error

// Renderer returns the renderer of format (text, json, markdown or html); text
// is laid out in width columns.
func Renderer(format string, width int) (RenderFunc, error) {
	switch format {
	case "text":
		return func(w io.Writer, res analyze.Result) error { return Text(w, res, width) }, nil
	case "json":
		return JSON, nil
	case "markdown":
		return Markdown, nil
	case "html":
		return HTML, nil
	}
	return nil, fmt.Errorf("invalid --format %q: use text, json, markdown or html", format)
}

// WriteFile writes the report of res to the file path, whole or not at
// all: to a temporary file in its directory, renamed over it once
// written. A reader of path sees the report before or after, never half
// of it.
func WriteFile(path string, res analyze.Result, render RenderFunc) error {
	var b bytes.Buffer
	if err := render(&b, res); err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("cannot write the report to %s: %w", path, err) }
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(f.Name()) // once renamed, there is none
	_, err = f.Write(b.Bytes())
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// Output is where and how a command writes a report: in Format (text,
// json, markdown or html) to File, whole or not at all (WriteFile), or,
// when File is "", to the command's output.
type Output struct{ Format, File string }

// Renderer is the renderer of o's format; text is laid out in the width of
// stdout (WidthFor) when the report goes there, else in DefaultWidth.
func (o Output) Renderer(stdout io.Writer) (RenderFunc, error) {
	width := DefaultWidth
	if o.File == "" {
		width = WidthFor(stdout)
	}
	return Renderer(o.Format, width)
}

// Write writes the report of res to File, or else stdout, and says where
// it went ("in FILE", "above").
func (o Output) Write(stdout io.Writer, res analyze.Result, render RenderFunc) (where string, err error) {
	if o.File == "" {
		return "above", render(stdout, res)
	}
	if err := WriteFile(o.File, res, render); err != nil {
		return "", err
	}
	return "in " + o.File, nil
}
