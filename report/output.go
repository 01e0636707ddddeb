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
