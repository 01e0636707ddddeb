package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/logcause/logcause/analyze"
)

// palette is the colour of each role, on a white background.
var palette = map[role]color.RGBA{
	roleRequests: {0x9a, 0xa5, 0xb8, 0xff},
	"s502":       {0xd6, 0x28, 0x28, 0xff},
	"s504":       {0xf0, 0x8c, 0x00, 0xff},
	"s009":       {0x7b, 0x2c, 0xbf, 0xff},
	roleIncident: {0xd6, 0x28, 0x28, 0xff},
	roleAxis:     {0x6b, 0x72, 0x80, 0xff},
	roleGrid:     {0xe3, 0xe6, 0xeb, 0xff},
	roleText:     {0x1f, 0x29, 0x37, 0xff},
	roleMuted:    {0x6b, 0x72, 0x80, 0xff},
	roleFrame:    {0xff, 0xff, 0xff, 0xff},
	"src0":       {0x1d, 0x4e, 0xd8, 0xff},
	"src1":       {0x05, 0x96, 0x69, 0xff},
	"src2":       {0xb4, 0x53, 0x09, 0xff},
	"src3":       {0x93, 0x33, 0xea, 0xff},
	"src4":       {0x08, 0x91, 0xb2, 0xff},
	"src5":       {0xbe, 0x12, 0x3c, 0xff},
}

// PNG writes the chart of res as a PNG image, Width pixels wide, on
// white: the chart SVG draws, for where SVG is not shown (mail clients).
// Its text is in the fixed 7×13 font of golang.org/x/image/font/basicfont.
func PNG(w io.Writer, res analyze.Result) error {
	l := plan(res, Width)
	img := image.NewRGBA(image.Rect(0, 0, Width, int(math.Ceil(l.height))))
	draw.Draw(img, img.Bounds(), image.NewUniform(palette[roleFrame]), image.Point{}, draw.Src)
	for _, r := range l.rects {
		fill(img, r)
	}
	for _, bs := range l.bars {
		for i := range bs.to {
			if bs.to[i] <= bs.from[i] {
				continue
			}
			x := bs.x0 + float64(i)*bs.step
			y1 := bs.baseline - float64(bs.to[i])*bs.scale
			fill(img, rect{x: x, y: y1, w: max(bs.step*0.86, 1), h: float64(bs.to[i]-bs.from[i]) * bs.scale, role: bs.role})
		}
	}
	for _, r := range l.over {
		fill(img, r)
	}
	for _, t := range l.labels {
		d := font.Drawer{Dst: img, Src: image.NewUniform(palette[t.role]), Face: basicfont.Face7x13}
		x := fixed.Int26_6(t.x * 64)
		switch t.anchor {
		case middle:
			x -= d.MeasureString(t.text) / 2
		case end:
			x -= d.MeasureString(t.text)
		}
		d.Dot = fixed.Point26_6{X: x, Y: fixed.Int26_6((t.y - 1) * 64)}
		d.DrawString(t.text)
		if t.bold { // the font has no bold: drawn twice, a pixel apart
			d.Dot = fixed.Point26_6{X: x + 64, Y: fixed.Int26_6((t.y - 1) * 64)}
			d.DrawString(t.text)
		}
	}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("cannot write the chart as PNG: %w", err)
	}
	return nil
}

// fill paints r, at least a pixel wide and high, blended by its opacity.
func fill(img *image.RGBA, r rect) {
	x0, y0 := int(math.Round(r.x)), int(math.Round(r.y))
	x1, y1 := max(int(math.Round(r.x+r.w)), x0+1), max(int(math.Round(r.y+r.h)), y0+1)
	c := palette[r.role]
	if r.opacity > 0 {
		a := r.opacity
		c = color.RGBA{uint8(float64(c.R) * a), uint8(float64(c.G) * a), uint8(float64(c.B) * a), uint8(255 * a)}
	}
	draw.Draw(img, image.Rect(x0, y0, x1, y1), image.NewUniform(c), image.Point{}, draw.Over)
}
