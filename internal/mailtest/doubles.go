// Package mailtest (tests only) holds what the e-mail tests share: stand-ins
// for the HTML and chart renderers while package report has none, and a
// real SMTP server (mailpit) started on loopback.
package mailtest

import (
	"html/template"
	"image"
	"image/color"
	"image/png"
	"io"

	"github.com/logcause/logcause/analyze"
)

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>logcause report</title></head>
<body>
{{range .Incidents}}<h2>{{.Title}}</h2><p>Root cause: {{.RootCause}}</p>
{{range .Causes}}{{range .Evidence}}<pre>{{.Text}}</pre>{{end}}{{end}}{{end}}
</body></html>
`))

// HTML is a stand-in for report.HTML: a page with each incident's title,
// root cause and evidence, escaped by html/template.
func HTML(w io.Writer, res analyze.Result) error { return page.Execute(w, res) }

// ChartPNG is a stand-in for report.ChartPNG: one bar per incident, as
// wide as the image over the incident count.
func ChartPNG(w io.Writer, res analyze.Result) error {
	img := image.NewRGBA(image.Rect(0, 0, 120, 40))
	n := max(len(res.Incidents), 1)
	for i := range res.Incidents {
		for x := i * 120 / n; x < (i+1)*120/n-2; x++ {
			for y := 10; y < 40; y++ {
				img.Set(x, y, color.RGBA{R: 200, A: 255})
			}
		}
	}
	return png.Encode(w, img)
}
