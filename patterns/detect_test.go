package patterns

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// sampleLines returns the first n physical lines of b, as Detect gets them.
func sampleLines(b []byte, n int) [][]byte {
	lines := physicalLines(b)
	if len(lines) > n {
		lines = lines[:n]
	}
	return lines
}

func textLines(s string) [][]byte { return physicalLines([]byte(s)) }

// validRecords joins the records of a table that parse.
func validNginxErrorRecords() string {
	var b strings.Builder
	for _, tc := range nginxErrorCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

func validFPMRecords() string {
	var b strings.Builder
	for _, tc := range fpmCases {
		if tc.want != nil {
			b.WriteString(tc.rec + "\n")
		}
	}
	return b.String()
}

func TestDetectCorpus(t *testing.T) {
	for _, tc := range []struct {
		path string
		want Kind
	}{
		{filebeatNginxError, KindNginxError},
		{filebeatNginxAccess, KindNginxAccess},
		{lnavDir + "logfile_access_log.0", KindNginxAccess},
		{lnavDir + "logfile_access_log.1", KindNginxAccess},
		{lnavDir + "logfile_bad_access_log.0", KindNginxAccess}, // 2 of 3 lines parse
		{lnavShopAccess, KindNginxAccess},
		{lnavDir + "logfile_mysql_slow.0", KindMySQLSlow},
		{lnavDir + "logfile_syslog.0", KindSyslog},
		{lnavDir + "logfile_syslog_with_access_log.0", KindSyslog}, // access lines wrapped in syslog: a syslog file
	} {
		t.Run(tc.path[len(corpusDir)+1:], func(t *testing.T) {
			if got := Detect(sampleLines(readCorpus(t, tc.path), 64)); got != tc.want {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	junk := make([]byte, 64<<10)
	for i := range junk {
		junk[i] = byte(rng.Uint32())
	}
	stack := "2026/11/23 14:03:21 [error] 1#1: *5 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  Uncaught Exception: boom in /var/www/a.php:3\n" +
		strings.Repeat("#0 /var/www/a.php(3): f()\n", 30) + "  thrown in /var/www/a.php on line 3\" while reading response header from upstream, client: 1.2.3.4, server: _\n"
	accessAfterError := "2026/11/23 14:03:21 [error] 1#1: *5 upstream timed out (110: Connection timed out) while connecting to upstream, client: 1.2.3.4, server: _\n" +
		strings.Repeat(accessCases[0].line+"\n", 5)
	for _, tc := range []struct {
		name  string
		lines [][]byte
		want  Kind
	}{
		{"nil", nil, KindUnknown},
		{"empty lines", [][]byte{{}, {}, []byte(" \t\r")}, KindUnknown},
		{"binary junk", sampleLines(junk, 64), KindUnknown},
		{"binary junk in one line", [][]byte{junk}, KindUnknown},
		{"nginx error table", textLines(validNginxErrorRecords()), KindNginxError},
		{"fpm table", textLines(validFPMRecords()), KindFPMError},
		{"one error record with a long stack trace", textLines(stack), KindNginxError},
		{"access lines after an error line", textLines(accessAfterError), KindNginxAccess},
		{"fpm slow log", textLines("\n[23-Nov-2026 14:02:10]  [pool www] pid 12345\nscript_filename = /var/www/html/index.php\n[0x00007f2d286c2790] curl_exec() /var/www/html/lib/http.php:42\n[0x00007f2d286c2420] fetch() /var/www/html/index.php:7\n"), KindFPMSlow},
		{"mysql 8 error log", textLines("2020-08-06T14:25:02.835618Z 0 [Note] [MY-012487] [InnoDB] DDL log recovery : begin\n2020-08-06T14:25:02.936146Z 0 [Warning] [MY-010068] [Server] CA certificate /var/mysql/sslinfo/cacert.pem is self signed.\n"), KindMySQLError},
		{"half access half junk", [][]byte{[]byte(accessCases[0].line), []byte("junk"), []byte(accessCases[1].line), []byte("junk")}, KindUnknown},
		{"access with blank lines", [][]byte{[]byte(accessCases[0].line), {}, {}, {}, []byte(accessCases[1].line), []byte("junk")}, KindNginxAccess},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Detect(tc.lines); got != tc.want {
				t.Errorf("Detect = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestDetectAllocs(t *testing.T) {
	lines := textLines(validNginxErrorRecords() + validFPMRecords())
	for _, tc := range accessCases {
		lines = append(lines, []byte(tc.line))
	}
	if n := testing.AllocsPerRun(20, func() { Detect(lines) }); n != 0 {
		t.Errorf("Detect allocates %v times, want 0", n)
	}
}
