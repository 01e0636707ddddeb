package chart

import (
	"bytes"
	"encoding/xml"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/analyze"
)

var t0 = time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)

// minute is a minute of traffic by the second, 10 requests a second, with
// an incident of 502s from 0:20 to 0:30 and the evidence of two logs.
func minute() analyze.Result {
	s := analyze.Series{Start: t0, Step: 1, Requests: make([]int64, 60), Gateway: map[string][]int64{"502": make([]int64, 60), "504": make([]int64, 60)}}
	for i := range s.Requests {
		s.Requests[i] = 10
		if i >= 20 && i < 30 {
			s.Gateway["502"][i] = 8
		}
	}
	s.Gateway["504"][50] = 1
	ev := func(src string, at, off int) analyze.Evidence {
		return analyze.Evidence{Source: src, Path: "/var/log/" + src, Offset: int64(off), Time: t0.Add(time.Duration(at) * time.Second), Text: "x"}
	}
	return analyze.Result{
		Range:  analyze.TimeRange{Start: t0, End: t0.Add(59 * time.Second)},
		Series: s,
		Incidents: []analyze.Incident{{
			Start: t0.Add(20 * time.Second), End: t0.Add(30 * time.Second), Title: "502s on /<script>\x1b]0;x\x07\xff&",
			Causes: []analyze.Cause{{Evidence: []analyze.Evidence{ev("fpm_error", 20, 0), ev("nginx_error", 21, 0), ev("nginx_error", 25, 300)}}},
		}},
	}
}

// day is a day by the minute with three incidents.
func day() analyze.Result {
	n := 1440
	s := analyze.Series{Start: t0, Step: 60, Requests: make([]int64, n), Gateway: map[string][]int64{"502": make([]int64, n)}}
	res := analyze.Result{Series: s}
	for i := range n {
		s.Requests[i] = int64(1000 + i%300)
		if i%480 == 100 {
			s.Gateway["502"][i] = 400
			res.Incidents = append(res.Incidents, analyze.Incident{Start: t0.Add(time.Duration(i) * time.Minute), End: t0.Add(time.Duration(i+1) * time.Minute),
				Causes: []analyze.Cause{{Evidence: []analyze.Evidence{{Source: "nginx_error", Time: t0.Add(time.Duration(i) * time.Minute)}}}}})
		}
	}
	return res
}

func TestSVG(t *testing.T) {
	var b bytes.Buffer
	if err := SVG(&b, minute()); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, whose elements are counted.
	count := map[string]int{}
	d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v\n%s", err, b.Bytes())
		}
		if se, ok := tok.(xml.StartElement); ok {
			for _, a := range se.Attr {
				if a.Name.Local == "class" {
					count[a.Value]++
				}
			}
		}
	}
	if count["lc-incident"] != 3 { // the legend's swatch, the shading, its number
		t.Errorf("%d incident shapes, want the legend's, the shading and its number", count["lc-incident"])
	}
	// Each log its colour, whatever the order of the evidence: nginx's error
	// log the first, php-fpm's the second.
	if count["lc-src0"] != 2+1 || count["lc-src1"] != 1+1 {
		t.Errorf("evidence marks and lane labels: nginx_error %d, fpm_error %d; want 2+1 and 1+1", count["lc-src0"], count["lc-src1"])
	}
	if count["lc-s502"] != 2 || count["lc-s504"] != 2 { // legend and bars
		t.Errorf("502: %d shapes, 504: %d; want a legend and a path each", count["lc-s502"], count["lc-s504"])
	}
	if !strings.Contains(b.String(), "&lt;script&gt;") || strings.Contains(b.String(), "<script") {
		t.Error("the incident's title is not escaped in the chart's description")
	}
}

// TestFits requires every label inside the chart, at both widths, with
// every status and several logs in the legend and lanes (a label's width
// estimated at 7 pixels a character, as basicfont draws it).
func TestFits(t *testing.T) {
	res := minute()
	res.Series.Gateway["009"] = make([]int64, 60)
	for _, src := range []string{"mysql_slow", "mysql_error", "kernel"} {
		c := &res.Incidents[0].Causes[0]
		c.Evidence = append(c.Evidence, analyze.Evidence{Source: src, Time: t0.Add(22 * time.Second)})
	}
	for _, width := range []int{Width, NarrowWidth} {
		l := plan(res, width)
		for _, lb := range l.labels {
			w := 7 * float64(len([]rune(lb.text)))
			x0 := map[anchor]float64{start: lb.x, middle: lb.x - w/2, end: lb.x - w}[lb.anchor]
			if x0 < 0 || x0+w > float64(width) {
				t.Errorf("width %d: %q spans %.0f to %.0f", width, lb.text, x0, x0+w)
			}
		}
		for _, r := range append(l.rects, l.over...) {
			if r.x < 0 || r.x+r.w > float64(width)+0.01 {
				t.Errorf("width %d: a %s rectangle spans %.1f to %.1f", width, r.role, r.x, r.x+r.w)
			}
		}
	}
}

func TestPNG(t *testing.T) {
	var b bytes.Buffer
	if err := PNG(&b, minute()); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	l := plan(minute(), Width)
	if img.Bounds() != image.Rect(0, 0, Width, int(l.height)) {
		t.Fatalf("bounds %v, want %d × %d", img.Bounds(), Width, int(l.height))
	}
	plotW := float64(Width - left - right)
	at := func(sec float64, y float64) (r, g, b uint32) {
		r, g, b, _ = img.At(int(left+plotW*sec/60), int(y)).RGBA()
		return r >> 8, g >> 8, b >> 8
	}
	// Above the bars of the gateway errors' panel (8 of its 10): shaded
	// during the incident, white outside.
	y := float64(top) + panelH + panelGap + 5
	if r, g, b := at(25.5, y); !(r > 240 && g < 235 && b < 235) {
		t.Errorf("inside the incident, rgb(%d,%d,%d): want a light red shade", r, g, b)
	}
	if r, g, b := at(10.5, y); r != 255 || g != 255 || b != 255 {
		t.Errorf("outside the incident, rgb(%d,%d,%d): want white", r, g, b)
	}
	// The 504 bar, at the bottom of that panel.
	y = float64(top) + 2*panelH + panelGap - 3
	if r, g, b := at(50.2, y); r != 0xf0 || g != 0x8c || b != 0 {
		t.Errorf("the 504 bar, rgb(%d,%d,%d): want the 504 orange", r, g, b)
	}
}

// TestBounded lays out every kind of range without a panic: none, a day by
// the minute, an incident outside the series.
func TestBounded(t *testing.T) {
	odd := minute()
	odd.Incidents[0].Start, odd.Incidents[0].End = t0.Add(-time.Hour), t0.Add(-time.Hour+time.Second)
	for name, res := range map[string]analyze.Result{"none": {}, "day": day(), "outside": odd} {
		narrow := func(w io.Writer, res analyze.Result) error { return SVGWidth(w, res, NarrowWidth) }
		for _, draw := range []func(io.Writer, analyze.Result) error{SVG, narrow, PNG} {
			if err := draw(io.Discard, res); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	var b bytes.Buffer
	if err := SVG(&b, day()); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 200_000 {
		t.Errorf("a day's chart is %d bytes of SVG: the bars should be few paths", b.Len())
	}
}

func BenchmarkSVG(b *testing.B) {
	for name, res := range map[string]analyze.Result{"minute": minute(), "day": day()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := SVG(io.Discard, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkPNG(b *testing.B) {
	for name, res := range map[string]analyze.Result{"minute": minute(), "day": day()} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := PNG(io.Discard, res); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
