#!/usr/bin/env bash
# testdata/scenarios/request-terminated/capture.sh [OUTDIR]
#
# php-fpm kills workers that run too long: request_terminate_timeout = 2s,
# /slow.php sleeps 5 s, nginx would wait 30 s. Three clients request
# /slow.php in a loop for ~15 s while normal traffic goes on. php-fpm logs
# `execution timed out (…), terminating` and `exited on signal 15 (SIGTERM)`
# for each, nginx `recv() failed (104: Connection reset by peer) while
# reading response header from upstream` and answers 502. Copies
# access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR (default:
# this directory). Exits 1 if the failure was not reproduced. ~55 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup request-terminated "${1:-}"

export LC_SLOW_SECONDS=5
TERMINATE=2s
SLOW_CLIENTS=3
lc_write_php_app
sc_write_extras
lc_write_fpm_conf pm=dynamic max_children=8 start_servers=3 min_spare=2 max_spare=5 backlog=16 \
	terminate_timeout=$TERMINATE
lc_write_nginx_conf read_timeout=30s
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 50 s, in the background)"
sc_start_clock
sc_load_bg healthy 50 5 8
sc_sleep_until 17
sc_incident_begin "$SLOW_CLIENTS clients start requesting /slow.php (sleeps ${LC_SLOW_SECONDS} s) in a loop, 0.5 s pause"
sc_clients slow $SLOW_CLIENTS 15 GET /slow.php 10 0.5
sc_incident_end "the slow clients stop (their last requests have been answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
N499=$(sc_status_count 499)
N504=$(sc_status_count 504)
N502SLOW=$(awk -F'\t' '$4 == "/slow.php" && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=8'
sc_expect "502 responses not on /slow.php" $((N502 - N502SLOW)) '=0'
sc_key php-fpm.log 'execution timed out' '>=8'
N_TIMEDOUT=$SC_N
sc_key php-fpm.log 'terminating' "=$N_TIMEDOUT"
sc_key php-fpm.log 'exited on signal 15 (SIGTERM)' '>=8'
N_SIGTERM=$SC_N
sc_key php-fpm.log 'started'
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream' '>=1'
N_RESET=$SC_N
sc_key error.log 'upstream prematurely closed'
N_PREM=$SC_N
sc_key error.log '[error]'
N_ERR=$SC_N
sc_expect "502s without a matching error-log line" $((N502 - N_ERR)) '<=0'
sc_check_windows 3

EX_TO=$(grep -m1 'execution timed out' "$L/php-fpm.log")
EX_SIG=$(grep -m1 'exited on signal 15' "$L/php-fpm.log")
DUR=$(grep -o 'execution timed out ([0-9.]* sec)' "$L/php-fpm.log" | grep -o '[0-9.]*' | sort -n | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /')
SC_TITLE="php-fpm request_terminate_timeout kills slow requests (502, SIGTERM, connection reset)"
SC_ABOUT="/slow.php sleeps ${LC_SLOW_SECONDS} s but the pool has \`request_terminate_timeout = $TERMINATE\`: php-fpm's master
kills the worker with SIGTERM after ~2 s, nginx's connection to it is reset and the client gets a
502. Only that page fails; the rest of the traffic is unaffected."
SC_SETTINGS=(
	"\`request_terminate_timeout\`|**$TERMINATE**"
	"\`listen\`|unix socket, \`listen.backlog\` 16"
	"\`pm\` / \`pm.max_children\`|dynamic / 8 (start 3, spare 2–5)"
	"\`fastcgi_read_timeout\`|30s"
	"/slow.php|\`sleep(${LC_SLOW_SECONDS})\`"
	"incident load|$SLOW_CLIENTS clients (127.0.0.101–103) looping on /slow.php, 0.5 s pause, curl \`--max-time\` 10"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- For each killed request php-fpm writes two WARNINGs in the same second,
  \`[pool www] child N, script '…/slow.php' (request: \"GET /slow.php\") execution timed out (X sec), terminating\`
  and \`[pool www] child N exited on signal 15 (SIGTERM) after X seconds from start\`, then a NOTICE
  \`child M started\` for the replacement. The run time in \`execution timed out (X sec)\` went from
  $DUR s: the master checks the timeout on a timer, not at exactly 2 s.
- nginx: $N_RESET \`recv() failed (104: Connection reset by peer) while reading response header from upstream\`
  and $N_PREM \`upstream prematurely closed connection\` for $N502 502s — a SIGTERMed worker shows as a reset,
  as the catalog's §10 says. Terminations: $N_TIMEDOUT, 502: $N502, 499: $N499, 504: $N504.
- The sleeping worker does not get to run PHP's shutdown code: nothing from PHP in php-fpm.log
  or in nginx's error log (no \`FastCGI sent in stderr\`)."
sc_finish
