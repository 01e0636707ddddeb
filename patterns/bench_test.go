package patterns

import (
	"testing"
	"time"
	"unsafe"
)

// benchLines runs fn over lines round-robin and reports throughput in
// bytes/s (b.SetBytes: mean line length) and lines/s.
func benchLines(b *testing.B, lines [][]byte, fn func([]byte)) {
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fn(lines[i])
		if i++; i == len(lines) {
			i = 0
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// shopLines are the 1000 lines of the real shop access log.
func shopLines(b *testing.B) [][]byte {
	return physicalLines(readCorpus(b, lnavShopAccess))
}

// upstreamErrorLines are the table's nginx error records about upstreams.
func upstreamErrorLines() [][]byte {
	var lines [][]byte
	for _, tc := range nginxErrorCases[:11] {
		lines = append(lines, []byte(tc.rec))
	}
	return lines
}

func fpmLines() [][]byte {
	var lines [][]byte
	for _, tc := range fpmCases {
		if tc.want != nil {
			lines = append(lines, []byte(tc.rec))
		}
	}
	return lines
}

func BenchmarkParseCombined(b *testing.B) {
	var a AccessLine
	benchLines(b, shopLines(b), func(l []byte) {
		if err := ParseCombined(l, &a); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParseAccessEvent(b *testing.B) {
	p, _ := NewParser(KindNginxAccess, time.UTC)
	var ev Event
	benchLines(b, shopLines(b), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParseNginxError(b *testing.B) {
	p, _ := NewParser(KindNginxError, time.UTC)
	var ev Event
	benchLines(b, upstreamErrorLines(), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseNginxErrorSpans is the error-log scanner without building
// the Event (no allocation): the cost Detect pays per line.
func BenchmarkParseNginxErrorSpans(b *testing.B) {
	var s nginxErrorSpans
	benchLines(b, upstreamErrorLines(), func(l []byte) {
		if err := parseNginxError(l, time.UTC, &s); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParseFPMError(b *testing.B) {
	loc := time.FixedZone("x", 3600)
	p, _ := NewParser(KindFPMError, loc)
	var ev Event
	benchLines(b, fpmLines(), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// outageErrorLines are 64 records of the outage benchmark's error.log (every
// 5611th line: upstream time-outs, resets, refused and missing sockets, open()
// of missing files; with and without referrer), ~355 bytes each.
func outageErrorLines(b *testing.B) [][]byte {
	return physicalLines(readCorpus(b, "testdata/outage-error.log"))
}

// outageFPMLines are 65 records of the outage benchmark's php-fpm.log (every
// 3781st line: children started and exited, slow and timed-out scripts).
func outageFPMLines(b *testing.B) [][]byte {
	return physicalLines(readCorpus(b, "testdata/outage-php-fpm.log"))
}

// BenchmarkParseNginxErrorOutage is the Event parser over the error records
// of an outage, the lines that a batch run over such logs reads by the
// hundred thousand.
func BenchmarkParseNginxErrorOutage(b *testing.B) {
	p, _ := NewParser(KindNginxError, time.UTC)
	var ev Event
	benchLines(b, outageErrorLines(b), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkParseNginxErrorOutageSpans is the scanner alone over the same lines.
func BenchmarkParseNginxErrorOutageSpans(b *testing.B) {
	var s nginxErrorSpans
	benchLines(b, outageErrorLines(b), func(l []byte) {
		if err := parseNginxError(l, time.UTC, &s); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkParseFPMErrorOutage(b *testing.B) {
	p, _ := NewParser(KindFPMError, time.UTC)
	var ev Event
	benchLines(b, outageFPMLines(b), func(l []byte) {
		if err := p.Parse(l, &ev); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	sample := shopLines(b)[:64]
	b.ReportAllocs()
	for b.Loop() {
		if Detect(sample) != KindNginxAccess {
			b.Fatal("not detected")
		}
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	p, _ := NewParser(KindNginxError, time.UTC)
	var ev Event
	if err := p.Parse([]byte(nginxErrorCases[0].rec), &ev); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = ev.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkParseNginxErrorOutageInto is BenchmarkParseNginxErrorOutage
// parsed as a batch load does (ParserInto): into the caller's event and
// fields, the text the record's bytes. No allocation.
func BenchmarkParseNginxErrorOutageInto(b *testing.B) {
	benchParseInto(b, KindNginxError, outageErrorLines(b))
}

// BenchmarkParseFPMErrorOutageInto is BenchmarkParseFPMErrorOutage parsed
// into the caller's event and fields.
func BenchmarkParseFPMErrorOutageInto(b *testing.B) {
	benchParseInto(b, KindFPMError, outageFPMLines(b))
}

// benchParseInto parses lines of kind as a batch load does (ParserInto).
func benchParseInto(b *testing.B, kind Kind, lines [][]byte) {
	p, _ := NewParser(kind, time.UTC)
	into := p.(ParserInto)
	var (
		ev     Event
		fields FieldSets
	)
	benchLines(b, lines, func(l []byte) {
		if err := into.ParseInto(l, unsafe.String(unsafe.SliceData(l), len(l)), &ev, &fields); err != nil {
			b.Fatal(err)
		}
	})
}
