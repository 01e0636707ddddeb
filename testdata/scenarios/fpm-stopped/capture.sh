#!/usr/bin/env bash
# testdata/scenarios/fpm-stopped/capture.sh [OUTDIR]
#
# php-fpm is stopped cleanly (SIGQUIT to its master, as `systemctl stop` or a
# package upgrade does) in the middle of normal traffic and started again
# ~15 s later. A clean stop removes the unix socket, so nginx logs
# `[crit] connect() to unix:… failed (2: No such file or directory)` and
# answers 502 until php-fpm is back. php-fpm.log shows `Finishing ...`,
# `exiting, bye-bye!` and later `fpm is running` / `ready to handle
# connections`. Copies access.log, error.log, php-fpm.log and CAPTURE.md into
# OUTDIR (default: this directory). Exits 1 if the failure was not
# reproduced. Takes about 55 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup fpm-stopped "${1:-}"

RATE=6
SC_RATE=$RATE
lc_write_php_app
sc_write_extras
lc_write_fpm_conf pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts ($RATE req/s for 50 s, in the background)"
sc_start_clock
sc_load_bg healthy 50 $RATE 8
sc_sleep_until 17
sc_incident_begin "SIGQUIT to the php-fpm master (pid $LC_FPM_PID): graceful stop"
lc_stop_fpm
sc_mark "php-fpm master gone, socket removed: $([ -e "$LC_FPM_SOCK" ] && echo 'socket still there (!)' || echo 'no socket file')"
sc_sleep_until 32
lc_start_fpm_again
sc_incident_end "php-fpm started again (pid $LC_FPM_PID), ready"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
sc_expect "502 responses" "$N502" '>=20'
sc_key error.log 'failed (2: No such file or directory) while connecting to upstream' '>=20'
N_ENOENT=$SC_N
sc_key error.log '[crit]' "=$N_ENOENT"
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream'
N_RESET=$SC_N
sc_key error.log 'upstream prematurely closed'
N_PREM=$SC_N
sc_key error.log '[error]'
N_ERR=$SC_N
sc_expect "502s without a matching error-log line ($N502 502s, $N_ENOENT crit + $N_ERR error lines)" $((N502 - N_ENOENT - N_ERR)) '=0'
sc_key php-fpm.log 'NOTICE: Finishing ...' '=2'
sc_key php-fpm.log 'NOTICE: exiting, bye-bye!' '=2'
sc_key php-fpm.log 'NOTICE: fpm is running, pid' '=2'
sc_key php-fpm.log 'NOTICE: ready to handle connections' '=2'
sc_key php-fpm.log 'WARNING'
sc_check_windows 2

BYE=$(grep -m1 'exiting, bye-bye!' "$L/php-fpm.log" | sc_stamp php-fpm.log)
READY2=$(grep 'ready to handle connections' "$L/php-fpm.log" | sed -n 2p | sc_stamp php-fpm.log)
FIRST_502=$(sc_first_bad 502)
LAST_502=$(sc_last_bad 502)
REL1=$(sc_rel "$(sc_epoch php-fpm.log "$BYE")" "$(sc_epoch access.log "$FIRST_502")")
REL2=$(sc_rel "$(sc_epoch php-fpm.log "$READY2")" "$(sc_epoch access.log "$LAST_502")")

SC_TITLE="php-fpm stopped cleanly mid-traffic, started again 15 s later (502, ENOENT)"
SC_ABOUT="The php-fpm master gets SIGQUIT (a graceful stop: children finish their request, the master removes
its unix socket and exits) while normal traffic goes on; it is started again ~15 s later. Meanwhile
nginx cannot find the socket and answers 502."
SC_SETTINGS=(
	"\`listen\`|unix socket \`…/run/php-fpm.sock\`, owner/group www-data, mode 0660"
	"\`pm\` / \`pm.max_children\`|dynamic / 5"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
	"stop / start|\`kill -QUIT <master pid>\`, then the same \`php-fpm8.2 --fpm-config …\` command"
	"load|$RATE req/s, ≤8 concurrent, curl \`--max-time\` 10, for 50 s"
)
if [ $((N_RESET + N_PREM)) -gt 0 ]; then
	RESET_NOTE="- The other $((N502 - N_ENOENT)) came at the moment of the stop: $N_RESET \`[error] … recv() failed (104: Connection reset
  by peer) while reading response header from upstream\` and $N_PREM \`upstream prematurely closed\`. Even a
  graceful SIGQUIT loses the requests that were waiting in the socket's listen queue when the
  master closed it: nginx had connected and sent the request, and was reset."
else
	RESET_NOTE="- All 502s are ENOENT in this run. (In another run one request sat in the socket's listen queue
  when the master closed it: even a graceful SIGQUIT then gives a 502 with \`[error] … recv()
  failed (104: Connection reset by peer) while reading response header from upstream\`.)"
fi
SC_NOTES="- $N_ENOENT of the $N502 502s have a \`[crit] … connect() to unix:…/php-fpm.sock failed (2: No such file or
  directory) while connecting to upstream\` line: **crit**, not error.
$RESET_NOTE
- php-fpm.log: \`Finishing ...\` and \`exiting, bye-bye!\` at $BYE; the first 502 came $REL1 it.
  \`fpm is running, pid N\` / \`ready to handle connections\` at $READY2; the last 502 was
  $REL2 that. The second \`Finishing ...\` / \`exiting, bye-bye!\` pair at the end of the file is the
  harness stopping php-fpm after the traffic, not part of the incident.
- A stop by SIGQUIT is graceful: php-fpm logs no WARNING and no line per child for it, only the
  two NOTICE lines."
sc_finish
