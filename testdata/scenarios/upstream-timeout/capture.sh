#!/usr/bin/env bash
# testdata/scenarios/upstream-timeout/capture.sh [OUTDIR]
#
# nginx gives up on a slow PHP page: php-fpm listens on TCP 127.0.0.1:PORT,
# nginx has fastcgi_read_timeout 2s, /slow.php sleeps 5 s. Three clients
# request /slow.php in a loop for ~15 s (the pool has room for them: no
# worker exhaustion) while normal traffic goes on: each of their requests is a
# 504 with `upstream timed out (110: Connection timed out) while reading
# response header from upstream`. Healthy traffic before and after.
# Copies access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR
# (default: this directory). Exits 1 if the failure was not reproduced.
# Takes about 60 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup upstream-timeout "${1:-}"

export LC_SLOW_SECONDS=5
READ_TIMEOUT=2s
FPM_PORT=$(lc_free_port 19100)
MAX_CHILDREN=10
SLOW_CLIENTS=3

lc_write_php_app
sc_write_extras
lc_write_fpm_conf "listen=127.0.0.1:$FPM_PORT" pm=dynamic max_children=$MAX_CHILDREN start_servers=4 \
	min_spare=2 max_spare=6 backlog=64
lc_write_nginx_conf read_timeout=$READ_TIMEOUT access_format=logcause
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 52 s, in the background)"
sc_start_clock
sc_load_bg healthy 52 5 8
sc_sleep_until 17
sc_incident_begin "$SLOW_CLIENTS clients start requesting /slow.php (sleeps ${LC_SLOW_SECONDS} s) in a loop, 1 s pause between requests"
sc_clients slow $SLOW_CLIENTS 15 GET /slow.php 10 1
sc_incident_end "the slow clients stop (their last requests have been answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N504=$(sc_status_count 504)
N502=$(sc_status_count 502)
N499=$(sc_status_count 499)
NSLOW200=$(awk -F'\t' '$4 == "/slow.php" && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
N504SLOW=$(awk -F'\t' '$4 == "/slow.php" && $2 == 504' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "504 responses" "$N504" '>=10'
sc_expect "504 responses not on /slow.php" $((N504 - N504SLOW)) '=0'
sc_expect "502 responses" "$N502" '=0'
sc_key error.log 'upstream timed out (110: Connection timed out) while reading response header from upstream' ">=$N504"
N_TIMEDOUT=$SC_N
sc_key error.log '[error]' "=$N_TIMEDOUT"
sc_key error.log '[crit]' '=0'
sc_key php-fpm.log 'max_children' '=0'
sc_key php-fpm.log 'WARNING'
sc_check_windows 3

FIRST_ERR=$(grep -m1 'upstream timed out' "$L/error.log" | cut -c1-19)
FIRST_504=$(sc_first_bad 504)
REL=$(sc_rel "$(sc_epoch access.log "$FIRST_504")" "$(sc_epoch error.log "$FIRST_ERR")")
SC_TITLE="nginx read timeout on a slow PHP page (504)"
SC_ABOUT="php-fpm listens on TCP and has free workers, but /slow.php takes ${LC_SLOW_SECONDS} s and nginx waits only
\`fastcgi_read_timeout $READ_TIMEOUT\` for the response header: every request to it ends in a 504 after
2 s. Only that page fails; the rest of the traffic is unaffected."
SC_SETTINGS=(
	"\`listen\`|\`127.0.0.1:$FPM_PORT\` (TCP), \`listen.backlog\` 64"
	"\`fastcgi_pass\`|\`127.0.0.1:$FPM_PORT\`"
	"\`pm\` / \`pm.max_children\`|dynamic / $MAX_CHILDREN (start 4, spare 2–6)"
	"\`request_terminate_timeout\`|0 (off)"
	"\`fastcgi_connect_timeout\` / \`send\` / \`read\`|5s / 30s / **$READ_TIMEOUT**"
	"/slow.php|\`sleep(${LC_SLOW_SECONDS})\`"
	"incident load|$SLOW_CLIENTS clients (127.0.0.101–103) looping on /slow.php, 1 s pause, curl \`--max-time\` 10"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- One error line per 504 ($N_TIMEDOUT lines, $N504 504s), each \`[error] … upstream timed out (110:
  Connection timed out) while reading response header from upstream\` with \`upstream:
  \"fastcgi://127.0.0.1:$FPM_PORT\"\`. First 504 \`$FIRST_504\`, first error line \`$FIRST_ERR\` ($REL the first 504).
- php-fpm logs nothing about it: the worker keeps sleeping after nginx has closed the connection
  and finishes the script ${LC_SLOW_SECONDS} s later as if nothing happened (its output goes nowhere). So each
  timed-out request holds a worker for ${LC_SLOW_SECONDS} s, not 2 s; with $SLOW_CLIENTS clients that stayed well
  under pm.max_children ($MAX_CHILDREN), so no max_children warning (checked: 0).
- /slow.php answered 200 $NSLOW200 times (not at all, as expected) and 504 $N504SLOW times; 499: $N499."
sc_finish
