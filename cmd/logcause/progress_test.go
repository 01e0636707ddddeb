package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBarDrawsFilesAndBytes(t *testing.T) {
	var b bytes.Buffer
	p := &barProgress{w: &b}
	p.Start(2<<20, 2)
	p.File("/var/log/nginx/access.log.2.gz", 1)
	p.Add(1 << 20)
	p.Finish()
	for _, want := range []string{"[1/2] access.log.2.gz", "MB"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("bar output lacks %q: %q", want, b.String())
		}
	}
	if progressFor(&b) != nil {
		t.Error("a progress bar for a writer that is not a terminal")
	}
}
