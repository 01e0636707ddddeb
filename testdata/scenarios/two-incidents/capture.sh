#!/usr/bin/env bash
# testdata/scenarios/two-incidents/capture.sh [OUTDIR]
#
# Two different incidents in one set of logs, with healthy traffic before,
# between and after them:
#   1. PHP-FPM worker exhaustion: a 10 s burst with many clients on
#      /slow.php (3 s) against a pool of 4 children and a backlog of 8:
#      `connect() to unix:… failed (11: Resource temporarily unavailable)`
#      502s and `server reached pm.max_children setting (4)`;
#   2. ~50 s after the first began: php-fpm stopped cleanly (SIGQUIT) and
#      started again 10 s later: `[crit] connect() to unix:… failed (2: No
#      such file or directory)` 502s, `Finishing ...` / `exiting, bye-bye!`,
#      then `ready to handle connections`.
# Copies access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR
# (default: this directory). Exits 1 if either incident was not reproduced.
# Takes about 95 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup two-incidents "${1:-}"

export LC_SLOW_SECONDS=3
TOTAL=103 # 25 s of healthy traffic after incident 2 (the check wants 15; restarting php-fpm takes a few)
T1=18      # incident 1 starts (the check wants 15 s of healthy traffic before)
T2=68      # incident 2 starts
STOPPED=10 # seconds php-fpm stays down
BURST_SECONDS=10
BURST_RATE=20
BURST_PAR=60
BURST_SLOW_PCT=40

lc_write_php_app
sc_write_extras
lc_write_fpm_conf pm=dynamic max_children=4 start_servers=3 min_spare=2 max_spare=4 backlog=8
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_pick_burst() {
	local ip=127.0.0.$((101 + RANDOM % 60))
	if [ $((RANDOM % 100)) -lt $BURST_SLOW_PCT ]; then
		echo "$ip 25 GET /slow.php"
	else
		# shellcheck disable=SC2046 # split on purpose: IP MAXTIME METHOD PATH
		set -- $(sc_pick_healthy)
		echo "$ip 25 $3 $4"
	fi
}

sc_mark "healthy traffic starts (5 req/s for $TOTAL s, in the background)"
sc_start_clock
sc_load_bg healthy $TOTAL 5 8
sc_sleep_until $T1
sc_incident_begin "1: burst of $BURST_RATE req/s for ${BURST_SECONDS} s from up to $BURST_PAR clients, $BURST_SLOW_PCT % on /slow.php (sleeps ${LC_SLOW_SECONDS} s)"
sc_load burst $BURST_SECONDS $BURST_RATE $BURST_PAR sc_pick_burst
sc_incident_end "1 ends: burst over, all its requests answered"
sc_sleep_until $T2
sc_incident_begin "2: SIGQUIT to the php-fpm master (pid $LC_FPM_PID): graceful stop"
lc_stop_fpm
sc_sleep_until $((T2 + STOPPED))
lc_start_fpm_again
sc_incident_end "2 ends: php-fpm started again (pid $LC_FPM_PID), ready"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

read -r AB AE <<<"${SC_WIN[0]}"
read -r BB BE <<<"${SC_WIN[1]}"
count_in() { # FROM TO STATUS
	awk -F'\t' -v b="$1" -v e="$2" -v s="$3" '$1 >= b - 1 && $1 <= e + 3 && $2 == s' "$LC_PREFIX/acc.tsv" | wc -l
}
N502=$(sc_status_count 502)
N502A=$(count_in "$AB" "$AE" 502)
N502B=$(count_in "$BB" "$BE" 502)
sc_expect "502 responses in incident 1" "$N502A" '>=20'
sc_expect "502 responses in incident 2" "$N502B" '>=15'
sc_key error.log 'failed (11: Resource temporarily unavailable) while connecting to upstream' '>=20'
N_EAGAIN=$SC_N
sc_key error.log 'failed (2: No such file or directory) while connecting to upstream' '>=15'
N_ENOENT=$SC_N
sc_key error.log 'recv() failed (104: Connection reset by peer)'
N_RESET=$SC_N
sc_key error.log 'upstream timed out'
sc_key php-fpm.log 'server reached pm.max_children setting (4)' '>=1'
sc_key php-fpm.log 'NOTICE: Finishing ...' '=2'
sc_key php-fpm.log 'NOTICE: exiting, bye-bye!' '=2'
sc_key php-fpm.log 'NOTICE: ready to handle connections' '=2'
sc_check_windows 3
# the error lines of each incident stay inside its own window
E_A_LAST=$(grep 'Resource temporarily unavailable' "$L/error.log" | tail -n 1 | cut -c1-19)
E_B_FIRST=$(grep -m1 'No such file or directory' "$L/error.log" | cut -c1-19)
[ "$(sc_epoch error.log "$E_A_LAST")" -le $((AE + 3)) ] || sc_fail "EAGAIN lines after incident 1 ended ($E_A_LAST)"
[ "$(sc_epoch error.log "$E_B_FIRST")" -ge $((BB - 1)) ] || sc_fail "ENOENT lines before incident 2 began ($E_B_FIRST)"
N200_BETWEEN=$(awk -F'\t' -v a="$AE" -v b="$BB" '$1 > a + 3 && $1 < b && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
GAP=$((BB - AE))
sc_expect "seconds of healthy traffic between the incidents" "$GAP" '>=15'
MAXCH=$(grep -m1 'max_children' "$L/php-fpm.log" | sc_stamp php-fpm.log)
N_FPM_BETWEEN=$(sc_stamp php-fpm.log <"$L/php-fpm.log" | TZ=$LC_TZ date -f - +%s | awk -v a="$AE" -v b="$BB" '$1 > a && $1 < b - 1' | wc -l)
BYE=$(grep -m1 'exiting, bye-bye!' "$L/php-fpm.log" | sc_stamp php-fpm.log)

SC_TITLE="two incidents: PHP-FPM worker exhaustion, then php-fpm stopped (502 EAGAIN, then 502 ENOENT)"
SC_ABOUT="One set of logs with two unrelated incidents and healthy traffic before, between and after them:

1. **worker exhaustion** — a ${BURST_SECONDS} s burst with many clients, $BURST_SLOW_PCT % on /slow.php (${LC_SLOW_SECONDS} s), against a pool of
   4 children with a backlog of 8: 502 with \`(11: Resource temporarily unavailable)\`;
2. **php-fpm stopped** — $((BB - AB)) s after the first began, php-fpm is stopped cleanly (SIGQUIT) and started
   again ${STOPPED} s later: 502 with \`[crit] … (2: No such file or directory)\`.

An analyzer should report two incidents with different root causes."
SC_SETTINGS=(
	"\`pm\` / \`pm.max_children\`|dynamic / **4** (start 3, spare 2–4)"
	"\`listen\`|unix socket, \`listen.backlog\` **8**"
	"\`fastcgi_read_timeout\`|30s"
	"/slow.php|\`sleep(${LC_SLOW_SECONDS})\`"
	"incident 1 load|$BURST_RATE req/s for ${BURST_SECONDS} s, ≤$BURST_PAR concurrent (127.0.0.101–160), $BURST_SLOW_PCT % /slow.php, curl \`--max-time\` 25"
	"incident 2|\`kill -QUIT <master>\`, ${STOPPED} s later the same \`php-fpm8.2 --fpm-config …\` command"
	"healthy load|5 req/s for $TOTAL s, ≤8 concurrent, curl \`--max-time\` 10, throughout"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- Incident 1: $N502A 502s, $N_EAGAIN \`(11: Resource temporarily unavailable)\` lines; \`server reached
  pm.max_children setting (4)\` at $MAXCH. Incident 2: $N502B 502s, $N_ENOENT \`[crit] … (2: No such file or
  directory)\` lines; \`Finishing ...\` / \`exiting, bye-bye!\` at $BYE. $N_RESET \`recv() failed (104…)\` line(s): a
  request queued on the socket when the master closed it (see fpm-stopped).
- Between the incidents: ${GAP} s, $N200_BETWEEN responses, all 200 (checked: no failed response outside the two
  windows). php-fpm.log has $N_FPM_BETWEEN line(s) in that time: php-fpm logs nothing when an exhaustion
  episode ends, only the access log shows the recovery.
- The max_children warning is logged once for incident 1; php-fpm's restart in incident 2 resets
  nothing visible in the log apart from \`fpm is running\` / \`ready to handle connections\`. The last
  \`Finishing ...\` / \`exiting, bye-bye!\` pair is the harness stopping php-fpm after the traffic."
sc_finish
