package pipeline

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logcause/logcause/bench/loggen"
	"github.com/logcause/logcause/ingest"
	"github.com/logcause/logcause/patterns"
	"github.com/logcause/logcause/store"
)

// realisticLogs writes, in a new directory, bench/loggen's outage day
// (access log with its 502s and 504s, the error log, php-fpm's log), a
// second access log with malformed and overlong lines among its requests,
// error and php-fpm logs with multi-line and malformed records among the
// outage's,
// a gzipped access log, a MySQL slow log (multi-line records) and an
// access log of JSON lines with upstreams.
func realisticLogs(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	create := func(name string) *os.File {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	o := loggen.Outage{Access: loggen.Access{Seed: 5, Bytes: 3 << 20}, Errors: 4000}
	if _, err := o.Write(create("access.log"), create("error.log"), create("php-fpm.log")); err != nil {
		t.Fatal(err)
	}
	var shop bytes.Buffer
	if _, err := (loggen.Access{Seed: 6, Bytes: 2 << 20, Clients: 50000}).Write(&shop); err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(shop.String(), "\n")
	var mixed strings.Builder
	for i, l := range lines {
		mixed.WriteString(l)
		switch {
		case i > 200 && i%997 == 0:
			mixed.WriteString("garbage \x1b[31m that is no request\n")
		case i > 200 && i%4001 == 0:
			mixed.WriteString(strings.Repeat("x", 9000) + "\n") // cut at MaxLine, and malformed
		}
	}
	if _, err := create("shop-access.log").WriteString(mixed.String()); err != nil {
		t.Fatal(err)
	}
	// salt writes to a new file the lines of the outage's log from, each
	// followed by what after returns for its index.
	salt := func(from, to string, after func(i int) string) {
		b, err := os.ReadFile(filepath.Join(dir, from))
		if err != nil {
			t.Fatal(err)
		}
		var out strings.Builder
		for i, l := range strings.SplitAfter(string(b), "\n") {
			out.WriteString(l + after(i))
		}
		if _, err := create(to).WriteString(out.String()); err != nil {
			t.Fatal(err)
		}
	}
	// An error log with multi-line records (a FastCGI stderr message's
	// continuation lines) and malformed ones among the outage's.
	salt("error.log", "shop-error.log", func(i int) string {
		switch {
		case i%500 == 499:
			return "PHP message: PHP Warning:  Undefined variable $x in /var/www/index.php on line 3\n#0 {main}\n"
		case i%701 == 700:
			return "2026/11/23 03:00:00 [nosuchlevel] 12#12: that is no error line\n"
		}
		return ""
	})
	// And php-fpm's log, with a stack's continuation lines and records
	// that are none of php-fpm's.
	salt("php-fpm.log", "shop-php-fpm.log", func(i int) string {
		switch {
		case i%300 == 299:
			return "  #0 /var/www/index.php(3): sleep()\n"
		case i%401 == 400:
			return "[23-Nov-2026 03:00:00] \n[99-Nov-2026 03:00:00] NOTICE: no such day\n"
		}
		return ""
	})
	gz := gzip.NewWriter(create("archive-access.log.gz")) // past the read-ahead's 16 blocks: lent ones are filled again
	if _, err := (loggen.Access{Seed: 7, Bytes: 6 << 20}).Write(gz); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := (loggen.Slow{Seed: 8, Queries: 3000}).Write(create("mysql-slow.log")); err != nil {
		t.Fatal(err)
	}
	// JSON lines naming their upstreams: lists of attempts, sockets, none,
	// and more addresses in one second than a rollup keeps.
	rng := rand.New(rand.NewPCG(9, 9))
	ups := []string{"10.0.0.1:9000", "unix:/run/php/php8.2-fpm.sock", "10.0.0.2:80, 10.0.0.3:80", "10.0.0.4:80 : 10.0.0.5:80", "-", ""}
	var api strings.Builder
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("", 3600))
	for i := range 40000 {
		up := ups[rng.IntN(len(ups))]
		if i%5000 < 60 {
			up = fmt.Sprintf("10.1.%d.%d:8080", i%7, i%50) // a burst of many addresses
		}
		status := []int{200, 200, 200, 200, 304, 404, 499, 502, 504}[rng.IntN(9)]
		fmt.Fprintf(&api, `{"time_iso8601":"%s","remote_addr":"10.9.%d.%d","request":"GET /api/v1/items/%d HTTP/1.1","status":%d,"body_bytes_sent":%d,"upstream_addr":"%s"}`+"\n",
			start.Add(time.Duration(i)*90*time.Millisecond).Format(time.RFC3339), i%13, i%251, rng.IntN(1000), status, rng.IntN(5000), up)
	}
	if _, err := create("api-access.log").WriteString(api.String()); err != nil {
		t.Fatal(err)
	}
	return dir
}

// storeBytes is every key and value a store holds, in key order.
func storeBytes(t *testing.T, st *store.Store) []string {
	t.Helper()
	var out []string
	if err := st.Each(func(k, v []byte) error { out = append(out, fmt.Sprintf("%q=%q", k, v)); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestParallelLoadStoresWhatOneWorkerDoes: a load whose access and error
// logs are parsed by several workers leaves a store byte for byte equal to that of
// a load line by line (Workers 1: Step.Record, as the daemon follows) —
// rollups, kept records, unparsed counts and samples, marks — on
// realistic logs of several formats, malformed lines, a gzipped log and a
// multi-line one; and then a second load of the same files adds nothing.
// Read ahead as far as a big log is, and as little as a block: the
// reader waits for the sink, and the blocks go round their pool.
func TestParallelLoadStoresWhatOneWorkerDoes(t *testing.T) {
	dir := realisticLogs(t)
	opts := Options{Limits: ingest.Limits{MaxLine: 8192, MaxRecord: 256 << 10}}
	loadWith := func(workers int) (*store.Store, Result) {
		st := openStore(t)
		o := opts
		o.Workers = workers
		if workers == 3 {
			o.readAhead = 1
		}
		res, err := Load(context.Background(), []string{dir}, st.NewWriter(), o)
		if err != nil {
			t.Fatal(err)
		}
		return st, res
	}
	one, oneRes := loadWith(1)
	want := storeBytes(t, one)
	var unparsed, cut int64
	for _, s := range oneRes.Sources {
		unparsed += s.Unparsed
		cut += s.Cut
	}
	if len(oneRes.Sources) != 9 || unparsed < 10 || cut == 0 || len(want) < 1000 {
		t.Fatalf("the logs are not what the test needs: %d sources, %d unparsed, %d cut, %d keys", len(oneRes.Sources), unparsed, cut, len(want))
	}
	for _, workers := range []int{2, 3, 8} {
		st, res := loadWith(workers)
		got := storeBytes(t, st)
		if res.Records != oneRes.Records || len(got) != len(want) {
			t.Fatalf("%d workers: %d records, %d keys; one worker: %d records, %d keys", workers, res.Records, len(got), oneRes.Records, len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d workers: key %d differs:\n%.400s\none worker:\n%.400s", workers, i, got[i], want[i])
			}
		}
		again, err := Load(context.Background(), []string{dir}, st.NewWriter(), Options{Limits: opts.Limits, Workers: workers})
		if err != nil || again.Records != 0 {
			t.Errorf("%d workers, a second load: %d records, %v", workers, again.Records, err)
		}
	}
}

// sinkFailing is a store writer whose n-th event fails: the load must stop
// there, its workers with it (TestMain checks no goroutine is left).
type sinkFailing struct {
	*store.Writer
	n int
}

var errSinkDown = errors.New("sink down")

func (s *sinkFailing) Event(ev *patterns.Event) error {
	if s.n--; s.n == 0 {
		return errSinkDown
	}
	return s.Writer.Event(ev)
}

// Preparer fails the n-th event as Event does, when the load hands the
// events prepared (a slow log's, see ahead).
func (s *sinkFailing) Preparer() func([]*patterns.Event) func() error {
	prepare := s.Writer.Preparer()
	return func(evs []*patterns.Event) func() error {
		take := prepare(evs)
		return func() error {
			if s.n <= 0 || s.n > len(evs) { // failed already, or not yet
				s.n -= len(evs)
				return take()
			}
			err := prepare(evs[:s.n-1])() // those before the n-th
			s.n = 0
			return cmp.Or(err, errSinkDown)
		}
	}
}

// TestParallelLoadStopsOnASinkError: a sink that fails in the middle of a
// parallel load stops it, and the next load completes what was written up
// to the last checkpoint into what one load holds.
func TestParallelLoadStopsOnASinkError(t *testing.T) {
	dir := realisticLogs(t)
	whole := openStore(t)
	load(t, whole.NewWriter(), dir)
	want := dumpStore(t, whole)
	for _, n := range []int{1, 500, 2500} {
		st := openStore(t)
		_, err := Load(context.Background(), []string{dir}, &sinkFailing{Writer: st.NewWriter(), n: n}, Options{Limits: ingest.DefaultLimits, Workers: 4})
		if !errors.Is(err, errSinkDown) {
			t.Fatalf("event %d fails: %v", n, err)
		}
		load(t, st.NewWriter(), dir)
		sameAs(t, fmt.Sprintf("event %d failed, then a load", n), dumpStore(t, st), want)
	}
}
