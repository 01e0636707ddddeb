// Command gen writes the benchmark's logs: seeded and deterministic, the
// same bytes for the same -seed, -size, -errors and -queries.
//
//	go run ./bench/gen -out /var/tmp/logcause-bench -size 1GB
//
// It writes access.log (~5 k client addresses), access-2m.log (~2 M),
// outage/{access,error,php-fpm}.log (a day with gateway-error incidents),
// mysql8-slow.log and mariadb-slow.log, rotated/ (-days days of access log
// as logrotate leaves them: access.log, access.log.1, access.log.2.gz, …,
// -size in all), then manifest.json.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/logcause/logcause/bench/loggen"
)

func main() {
	out := flag.String("out", "bench-logs", "directory to write the logs in")
	seed := flag.Uint64("seed", 1, "the seed: the same seed and sizes give the same bytes")
	size := flag.String("size", "1GB", "size of each access log (1GB, 250MB, 100MB or bytes)")
	errs := flag.Int64("errors", -1, "gateway errors in the outage log (default: 320,000 per GB of -size)")
	queries := flag.Int("queries", 300_000, "entries of each slow query log")
	days := flag.Int("days", loggen.DefaultDays, "days of rotated/'s access logs (their bytes: -size in all)")
	flag.Parse()
	bytes, err := loggen.ParseSize(*size)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(2)
	}
	if *errs < 0 {
		*errs = loggen.DefaultErrors(bytes)
	}
	if *days < 1 {
		fmt.Fprintln(os.Stderr, "gen: -days must be at least 1")
		os.Exit(2)
	}
	set := loggen.Set{Seed: *seed, Bytes: bytes, Errors: *errs, Queries: *queries, Days: *days}
	_, err = loggen.WriteSet(*out, set, func(path string, st loggen.Stats) {
		fmt.Printf("%-18s %13d bytes %11d lines %8d gateway errors %8d records\n", path, st.Bytes, st.Lines, st.GatewayErrors, st.Records)
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
