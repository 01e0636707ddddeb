#!/usr/bin/env bash
# testdata/scenarios/worker-crash/capture.sh [OUTDIR]
#
# php-fpm workers crash while serving requests: three clients request
# /slow.php (sleeps 4 s) in a loop and, every 2.5 s for ~15 s, the busy pool
# children (the master's children, found with ps, that are not waiting in
# accept()) get SIGSEGV, as a crashing PHP extension would. php-fpm logs
# `exited on signal 11 (SIGSEGV)`, nginx a connection reset, the client a
# 502. Normal traffic goes on before, during and after. Copies access.log,
# error.log, php-fpm.log and CAPTURE.md into OUTDIR (default: this
# directory). Exits 1 if the failure was not reproduced. Takes about 55 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup worker-crash "${1:-}"

export LC_SLOW_SECONDS=4
SLOW_CLIENTS=3
ROUNDS=6
lc_write_php_app
sc_write_extras
lc_write_fpm_conf pm=dynamic max_children=8 start_servers=3 min_spare=2 max_spare=5 backlog=16
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 50 s, in the background)"
sc_start_clock
sc_load_bg healthy 50 5 8
sc_sleep_until 17
sc_incident_begin "$SLOW_CLIENTS clients start requesting /slow.php (sleeps ${LC_SLOW_SECONDS} s) in a loop"
sc_clients_bg slow $SLOW_CLIENTS 16 GET /slow.php 10 0.3
KILLED=0
for ((r = 1; r <= ROUNDS; r++)); do
	sc_sleep_until $((17 + r * 5 / 2))
	busy=$(lc_fpm_busy_children | tr '\n' ' ')
	if [ -n "$busy" ]; then
		# shellcheck disable=SC2086
		kill -SEGV $busy 2>/dev/null
		KILLED=$((KILLED + $(wc -w <<<"$busy")))
		sc_mark "kill -SEGV to the busy children: $busy"
	else
		sc_mark "no busy child to kill"
	fi
done
sc_wait "$SC_BG2"
sc_incident_end "the slow clients stop (their last requests have been answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
N499=$(sc_status_count 499)
N502SLOW=$(awk -F'\t' '$4 == "/slow.php" && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
NSLOW200=$(awk -F'\t' '$4 == "/slow.php" && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=8'
sc_key php-fpm.log 'exited on signal 11 (SIGSEGV' '>=8'
N_SEGV=$SC_N
sc_key php-fpm.log 'exited on signal 11 (SIGSEGV - core dumped)'
N_CORE=$SC_N
sc_key php-fpm.log 'started'
sc_key php-fpm.log 'failed processes threshold' '=0'
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream'
N_RESET=$SC_N
sc_key error.log 'upstream prematurely closed'
N_PREM=$SC_N
sc_key error.log '[error]' '>=8'
N_ERR=$SC_N
sc_expect "502s without a matching error-log line" $((N502 - N_ERR)) '<=0'
sc_check_windows 3

EX_SEGV=$(grep -m1 'exited on signal 11' "$L/php-fpm.log" | sed 's/^\[[^]]*\] //')
SC_TITLE="php-fpm workers crash with SIGSEGV while serving requests (502)"
SC_ABOUT="While three clients keep /slow.php busy, the pool children that are serving a request get SIGSEGV
every 2.5 s (${ROUNDS} rounds, $KILLED kills) — what a crashing extension does. Each crash loses the
request the child was serving: nginx's connection is reset and the client gets a 502. php-fpm
respawns the children."
SC_SETTINGS=(
	"\`listen\`|unix socket, \`listen.backlog\` 16"
	"\`pm\` / \`pm.max_children\`|dynamic / 8 (start 3, spare 2–5)"
	"\`emergency_restart_threshold\`|0 (default: off)"
	"core dumps|\`ulimit -c 0\` for php-fpm (as on most servers)"
	"/slow.php|\`sleep(${LC_SLOW_SECONDS})\`"
	"crash|\`kill -SEGV\` on the master's children whose kernel wait channel is not the idle accept() wait, every 2.5 s"
	"incident load|$SLOW_CLIENTS clients (127.0.0.101–103) looping on /slow.php, 0.3 s pause, curl \`--max-time\` 10"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- php-fpm writes one WARNING per crash, \`$EX_SEGV\`
  ($N_SEGV lines, $N_CORE of them \`- core dumped\`), then \`child N started\` (NOTICE) for the
  replacement. Nothing else: no PHP error, no stack.
- nginx: $N_RESET \`recv() failed (104: Connection reset by peer) while reading response header from
  upstream\` and $N_PREM \`upstream prematurely closed connection\` for $N502 502s ($N502SLOW on /slow.php,
  $((N502 - N502SLOW)) on other pages: a fast page's child can be busy at the moment of a kill); 499: $N499.
  /slow.php answered 200 $NSLOW200 times$([ "$NSLOW200" -gt 0 ] && echo " (requests that started after a kill round and ended
  before the next)").
- The crash is indistinguishable, on nginx's side, from a request_terminate_timeout kill; only
  php-fpm.log tells them apart (signal 11 vs \`execution timed out\` + signal 15)."
sc_finish
