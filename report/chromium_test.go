//go:build realserver

package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/logcause/logcause/analyze"
)

// screenshotPath is the screenshot the README shows; -update rewrites it.
const screenshotPath = "../docs/report-html.png"

// browser starts Debian's chromium headless (installed by .ci/run) with a
// profile of its own, and collects what its console says: messages of
// level error or warning, exceptions, and the log entries (a blocked
// resource, a Content-Security-Policy violation).
func browser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	exe, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("chromium is not installed (apt-get install -y chromium; .ci/run does): %v", err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1200),
	}
	// go test's -timeout bounds a browser that hangs.
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)

	// The console's messages, read as they come by a goroutine that the
	// returned func stops and waits for.
	cctx, stop := context.WithCancel(bctx)
	t.Cleanup(stop)
	messages := chromedp.Console(cctx)
	var console []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleWarning || m.IsException() {
				console = append(console, m.String()+" "+m.URL)
			}
		}
	}()
	return bctx, func() []string {
		stop()
		<-done
		return console
	}
}

// demoPage writes the HTML report of the demo (its analysis as the real
// pipeline made it: testdata/demo/report.json) to a file and returns its
// file:// URL.
func demoPage(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../testdata/demo/report.json")
	if err != nil {
		t.Fatal(err)
	}
	var res analyze.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "demo.html")
	if err := WriteFile(p, res, HTML); err != nil {
		t.Fatal(err)
	}
	return "file://" + p
}

// box is where an element was laid out, in CSS pixels of the page.
type box struct{ x, y, w, h float64 }

func boxes(ctx context.Context, sel string) ([]box, error) {
	nodes, err := chromedp.Run(ctx, chromedp.Nodes(chromedp.CSSAll(sel), chromedp.AtLeast(0)))
	if err != nil {
		return nil, err
	}
	var out []box
	for _, n := range nodes {
		r, err := chromedp.Call(ctx, dom.GetBoxModel, dom.GetBoxModelParams{NodeID: n.NodeID})
		if err != nil {
			return nil, fmt.Errorf("%s is not laid out (hidden?): %w", sel, err)
		}
		q := r.Model.Border
		out = append(out, box{x: q[0], y: q[1], w: q[2] - q[0], h: q[5] - q[1]})
	}
	return out, nil
}

// TestHTMLInChromium opens the demo's HTML report in a real headless
// Chromium: the chart and the incident's card laid out and visible in the
// first screen, the chart's 502 bars painted, no console error (a script,
// a blocked resource, a CSP violation); dark in the system's dark mode,
// white when printed; and, narrowed to a phone's width, nothing wider than
// the screen. It keeps a screenshot (-update writes it
// to docs/report-html.png for the README).
func TestHTMLInChromium(t *testing.T) {
	ctx, console := browser(t)
	url := demoPage(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("article.card"))); err != nil {
		t.Fatalf("cannot open %s: %v", url, err)
	}

	charts, err := boxes(ctx, "svg.lc-chart-960")
	if err != nil || len(charts) != 1 {
		t.Fatalf("chart: %v %v, want one laid out", charts, err)
	}
	if _, err := boxes(ctx, "svg.lc-chart-400"); err == nil {
		t.Error("the phone's chart is laid out on a wide screen too")
	}
	cards, err := boxes(ctx, "article.card")
	if err != nil || len(cards) != 1 {
		t.Fatalf("cards: %v %v, want the demo's one", cards, err)
	}
	c := charts[0]
	if c.w < 800 || c.h < 150 || c.y > 600 {
		t.Errorf("the chart is laid out at %+v: want it wide, tall enough, and in the first screen", c)
	}
	if cards[0].h < 300 || cards[0].y > 1200 {
		t.Errorf("the card is laid out at %+v: want it started in the first screen", cards[0])
	}

	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	// The 502 bars (#d62828) and the requests' (#9aa5b8) are painted in the
	// chart's box; elsewhere, the page is no blank.
	red, grey := 0, 0
	colours := map[[3]uint32]bool{}
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y += 2 {
		for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x += 2 {
			r, g, b, _ := img.At(x, y).RGBA()
			r, g, b = r>>8, g>>8, b>>8
			colours[[3]uint32{r, g, b}] = true
			if in(image.Pt(x, y), c) {
				switch {
				case near(r, 0xd6) && near(g, 0x28) && near(b, 0x28):
					red++
				case near(r, 0x9a) && near(g, 0xa5) && near(b, 0xb8):
					grey++
				}
			}
		}
	}
	if red < 200 || grey < 100 {
		t.Errorf("in the chart's box %d red (502) and %d grey (requests) samples: the bars are not painted", red, grey)
	}
	if len(colours) < 50 {
		t.Errorf("the screenshot has %d colours: blank?", len(colours))
	}
	keep := filepath.Join(t.TempDir(), "report-html.png")
	if *update {
		keep = screenshotPath
	}
	if err := os.WriteFile(keep, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", keep)

	// The system's dark mode: a dark page, and the chart's text light on it.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	dark, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if p := os.Getenv("LOGCAUSE_DARK_SHOT"); p != "" {
		os.WriteFile(p, dark, 0o644) // to look at it
	}
	img, err = png.Decode(bytes.NewReader(dark))
	if err != nil {
		t.Fatal(err)
	}
	if l := luma(img, 4, 4); l > 60 {
		t.Errorf("in dark mode the page's background has luma %d: want dark", l)
	}
	if l := luma(img, int(c.x+c.w)-4, int(c.y)+4); l > 60 {
		t.Errorf("in dark mode the chart's background has luma %d: want dark", l)
	}
	// Printed, even from a dark screen: black on white, the chart kept.
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print",
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}}); err != nil {
		t.Fatal(err)
	}
	printed, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if img, err = png.Decode(bytes.NewReader(printed)); err != nil {
		t.Fatal(err)
	}
	if l := luma(img, 4, 4); l < 250 {
		t.Errorf("printed, the page's background has luma %d: want white", l)
	}
	if charts, err := boxes(ctx, "svg.lc-chart-960"); err != nil || len(charts) != 1 {
		t.Errorf("printed, the chart: %v %v", charts, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
		t.Fatal(err)
	}

	// A phone: 390 CSS pixels wide, nothing laid out wider.
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride,
		emulation.SetDeviceMetricsOverrideParams{Width: 390, Height: 844, DeviceScaleFactor: 3, Mobile: true}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("article.card"))); err != nil {
		t.Fatal(err)
	}
	for _, sel := range []string{"main", "svg.lc-chart-400", "article.card", "pre"} {
		bs, err := boxes(ctx, sel)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.x < 0 || b.x+b.w > 390.5 {
				t.Errorf("on a phone, %s is laid out at %+v: wider than the 390 px screen", sel, b)
			}
		}
	}
	if phone, err := boxes(ctx, "svg.lc-chart-400"); err != nil || phone[0].w < 330 {
		t.Errorf("on a phone, the chart for it is laid out at %v (%v): want it across the screen", phone, err)
	}
	if _, err := boxes(ctx, "svg.lc-chart-960"); err == nil {
		t.Error("on a phone, the wide chart is laid out too")
	}
	if p := os.Getenv("LOGCAUSE_PHONE_SHOT"); p != "" { // to look at it
		phone, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(p, phone, 0o644)
	}

	if msgs := console(); len(msgs) > 0 {
		t.Errorf("the console says:\n%s", strings.Join(msgs, "\n"))
	}
}

func in(p image.Point, b box) bool {
	return float64(p.X) >= b.x && float64(p.X) < b.x+b.w && float64(p.Y) >= b.y && float64(p.Y) < b.y+b.h
}

// luma is the brightness, 0 to 255, of the pixel at x, y.
func luma(img image.Image, x, y int) uint32 {
	r, g, b, _ := img.At(x, y).RGBA()
	return (299*(r>>8) + 587*(g>>8) + 114*(b>>8)) / 1000
}

func near(v, want uint32) bool { return v+6 >= want && v <= want+6 }
