package progress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/logcause/logcause/pipeline"
)

var _ pipeline.Progress = (*Bar)(nil)

func TestBarDrawsFilesAndBytes(t *testing.T) {
	var b bytes.Buffer
	p := NewBar(&b, 0)
	p.Start(2<<20, 2)
	p.File("/var/log/nginx/access.log.2.gz", 1)
	p.Add(1 << 20)
	p.Finish()
	for _, want := range []string{"[1/2] access.log.2.gz", "MB"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("bar output lacks %q: %q", want, b.String())
		}
	}
}
