// Package loggen writes the logs logcause is measured on: seeded and
// deterministic (the same options give the same bytes, on every machine and
// Go version, since math/rand/v2's PCG is specified), realistic enough that
// every tool compared has the work a real server's logs give it.
//
// Access writes a day of a busy shop's nginx access log (combined format);
// Rotated days of it as logrotate leaves them, the older ones gzipped;
// Outage the same day with gateway-error incidents and the nginx error log
// and php-fpm log lines that explain them; Slow a MySQL 8 or MariaDB slow
// query log of a few hundred query classes. It imports only the standard
// library, so benchmarks in any package can use it.
package loggen

import (
	"bufio"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// Stats is what a writer wrote.
type Stats struct {
	Bytes         int64 `json:"bytes"`
	Lines         int64 `json:"lines"`                    // physical lines (access log: requests)
	GatewayErrors int64 `json:"gateway_errors,omitempty"` // 502 and 504 responses in the access log
	Records       int64 `json:"records,omitempty"`        // error log and php-fpm log lines (Outage); queries (Slow)
	Disk          int64 `json:"disk_bytes,omitempty"`     // bytes on disk, when some were compressed (Rotated)
}

// Access describes a day of a busy shop's access log, in nginx's combined
// format: browsers, bots and API clients, a few hundred pages and static
// files, about 0.3% 5xx spread over the day, in time order.
type Access struct {
	Seed    uint64
	Bytes   int64     // the log stops at the first line that reaches Bytes
	Clients int       // distinct client addresses to draw from (default 5,000)
	Start   time.Time // first line's time, in its zone (default 2026-11-23 00:00 +01:00)
}

// DefaultStart is the first second of every generated log unless told
// otherwise: a day in the zone the access log's offsets name.
var DefaultStart = time.Date(2026, 11, 23, 0, 0, 0, 0, time.FixedZone("", 3600))

// meanAccessLine is the measured mean length of a base access line, used to
// spread the lines over a day.
const meanAccessLine = 236

// Write writes the log to w.
func (a Access) Write(w io.Writer) (Stats, error) {
	st, err := Outage{Access: a}.write(w, io.Discard, io.Discard)
	st.Records = 0 // the error log's lines went nowhere
	return st, err
}

func (a Access) defaults() Access {
	if a.Clients <= 0 {
		a.Clients = 5000
	}
	if a.Start.IsZero() {
		a.Start = DefaultStart
	}
	return a
}

// traffic draws the requests of a day.
type traffic struct {
	rng     *rand.Rand
	clients int
	hot     int // the busiest 1% of clients send a fifth of the requests
}

func newTraffic(seed uint64, clients int) *traffic {
	return &traffic{rng: rand.New(rand.NewPCG(seed, 0x6c6f6763)), clients: clients, hot: max(1, clients/100)}
}

// client returns a client's address index.
func (t *traffic) client() int {
	if t.rng.IntN(5) == 0 {
		return t.rng.IntN(t.hot)
	}
	return t.rng.IntN(t.clients)
}

// appendAddr appends the address of client i: distinct for i < 2^24-1
// (a multiplication by an odd number modulo 2^24 is a bijection), spread
// over 10.0.0.0/8.
func appendAddr(b []byte, i int) []byte {
	x := uint32(i+1) * 2654435761 & 0xffffff
	b = append(b, "10."...)
	b = strconv.AppendUint(b, uint64(x>>16), 10)
	b = append(b, '.')
	b = strconv.AppendUint(b, uint64(x>>8&0xff), 10)
	b = append(b, '.')
	return strconv.AppendUint(b, uint64(x&0xff), 10)
}

var agents = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.81 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
	"curl/7.88.1",
	"okhttp/4.12.0",
}

// agentWeights makes browsers common and tools rare (same order as agents).
var agentWeights = []int{30, 6, 10, 22, 14, 5, 4, 4, 2, 1, 1, 1}

var words = []string{"kettle", "jacket", "lamp", "chair", "mug", "sofa", "teapot", "boots", "scarf", "desk", "rug", "pillow", "blender", "toaster", "vase", "clock"}

var categories = []string{"kitchen", "living-room", "outdoor", "fashion", "office", "garden", "lighting", "bedroom"}

const site = "shop.example.com"

// request is one request's line parts.
type request struct {
	method, proto string
	uri           []byte
	status        int
	size          int
	referer       []byte
	agent         string
	php           bool // served by PHP-FPM (can fail with a gateway error)
}

func (t *traffic) pick(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	r := t.rng.IntN(total)
	for i, w := range weights {
		if r < w {
			return i
		}
		r -= w
	}
	return len(weights) - 1
}

// fixedPages are pages without parameters: the method, the path and the
// range of the body's size.
type fixedPage struct {
	method, path string
	size, spread int
}

var fixedPages = []fixedPage{{"POST", "/api/cart.php", 20, 400}, {"GET", "/", 31000, 4000}, {"POST", "/checkout.php", 2000, 6000}}

func (r *request) page(rng *rand.Rand, p fixedPage) {
	r.method = p.method
	r.uri = append(r.uri, p.path...)
	r.size = p.size + rng.IntN(p.spread)
}

// draw fills r with a request of the day's mix; uri and referer reuse
// their buffers.
func (t *traffic) draw(r *request) {
	rng := t.rng
	r.method, r.proto, r.php = "GET", "HTTP/1.1", true
	if rng.IntN(4) == 0 {
		r.proto = "HTTP/2.0"
	}
	r.uri = r.uri[:0]
	r.status, r.size = 200, 0
	switch k := rng.IntN(100); {
	case k < 30: // static files
		r.php = false
		switch rng.IntN(4) {
		case 0:
			r.uri = append(r.uri, "/static/css/app.3f9c2e.css"...)
			r.size = 48213
		case 1:
			r.uri = append(r.uri, "/static/js/app.81d0aa.js"...)
			r.size = 182344
		default:
			r.uri = append(r.uri, "/img/products/"...)
			r.uri = strconv.AppendInt(r.uri, int64(rng.IntN(5000)), 10)
			r.uri = append(r.uri, ".jpg"...)
			r.size = 20000 + rng.IntN(180000)
		}
		if rng.IntN(3) == 0 {
			r.status, r.size = 304, 0
		}
	case k < 55:
		r.uri = append(r.uri, "/product.php?id="...)
		r.uri = strconv.AppendInt(r.uri, int64(rng.IntN(5000)), 10)
		r.size = 9000 + rng.IntN(30000)
	case k < 65:
		r.uri = append(r.uri, "/category.php?slug="...)
		r.uri = append(r.uri, categories[rng.IntN(len(categories))]...)
		r.uri = append(r.uri, "&page="...)
		r.uri = strconv.AppendInt(r.uri, int64(1+rng.IntN(12)), 10)
		r.size = 15000 + rng.IntN(40000)
	case k < 72:
		r.uri = append(r.uri, "/search.php?q="...)
		r.uri = append(r.uri, words[rng.IntN(len(words))]...)
		if rng.IntN(3) == 0 {
			r.uri = append(r.uri, '+')
			r.uri = append(r.uri, words[rng.IntN(len(words))]...)
		}
		r.size = 8000 + rng.IntN(25000)
	case k < 80:
		r.page(rng, fixedPages[0])
	case k < 86:
		r.page(rng, fixedPages[1])
	case k < 89:
		r.page(rng, fixedPages[2])
	case k < 91:
		r.method = "POST"
		r.uri = append(r.uri, "/account/login.php"...)
		r.size = 0
		r.status = 302
	case k < 93:
		r.php = false
		r.uri = append(r.uri, "/robots.txt"...)
		r.size = 212
	case k < 95:
		r.php = false
		r.uri = append(r.uri, "/favicon.ico"...)
		r.size = 15086
	case k < 97: // scanners and dead links
		r.php = false
		r.uri = append(r.uri, []string{"/wp-login.php", "/.env", "/old-catalog/item.html", "/phpmyadmin/index.php"}[rng.IntN(4)]...)
		r.status, r.size = 404, 153
	default:
		r.method = "HEAD"
		r.uri = append(r.uri, "/"...)
		r.size = 0
	}
	if r.status == 200 && r.php {
		switch x := rng.IntN(1000); {
		case x < 3:
			r.status, r.size = []int{502, 504, 500}[rng.IntN(3)], 157
		case x < 5:
			r.status, r.size = 499, 0
		}
	}
	r.agent = agents[t.pick(agentWeights)]
	r.referer = r.referer[:0]
	switch rng.IntN(4) {
	case 0:
		r.referer = append(r.referer, '-')
	case 1:
		r.referer = append(r.referer, "https://www.google.com/"...)
	default:
		r.referer = append(r.referer, "https://"+site+"/product.php?id="...)
		r.referer = strconv.AppendInt(r.referer, int64(rng.IntN(5000)), 10)
	}
}

// appendAccess appends one combined-format line.
func appendAccess(b []byte, client int, stamp []byte, r *request) []byte {
	b = appendAddr(b, client)
	b = append(b, " - - ["...)
	b = append(b, stamp...)
	b = append(b, "] \""...)
	b = append(b, r.method...)
	b = append(b, ' ')
	b = append(b, r.uri...)
	b = append(b, ' ')
	b = append(b, r.proto...)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(r.status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.size), 10)
	b = append(b, " \""...)
	b = append(b, r.referer...)
	b = append(b, "\" \""...)
	b = append(b, r.agent...)
	return append(b, "\"\n"...)
}

// stamps formats a second's time stamps once for all its lines.
type stamps struct {
	sec                   int64
	access, nginxErr, fpm []byte
	loc                   *time.Location
	start                 time.Time
}

func (s *stamps) at(sec int64) {
	if sec == s.sec && s.access != nil {
		return
	}
	s.sec = sec
	t := s.start.Add(time.Duration(sec) * time.Second)
	s.access = t.AppendFormat(s.access[:0], "02/Jan/2006:15:04:05 -0700")
	s.nginxErr = t.AppendFormat(s.nginxErr[:0], "2006/01/02 15:04:05")
	s.fpm = t.AppendFormat(s.fpm[:0], "02-Jan-2006 15:04:05")
}

// counter counts what goes through a writer.
type counter struct {
	w     *bufio.Writer
	bytes int64
	lines int64
}

func newCounter(w io.Writer) *counter { return &counter{w: bufio.NewWriterSize(w, 1<<20)} }

func (c *counter) line(b []byte) {
	c.w.Write(b) // a write error stays in the bufio.Writer, returned by Flush
	c.bytes += int64(len(b))
	c.lines++
}
