#!/usr/bin/env bash
# testdata/scenarios/fpm-killed/capture.sh [OUTDIR]
#
# The php-fpm master and all its children are SIGKILLed at once (what the OOM
# killer, or `kill -9`, does) in the middle of normal traffic; php-fpm is
# started again ~15 s later. Nobody removes the unix socket, so nginx finds a
# stale socket file nobody listens on: `[error] connect() to unix:… failed
# (111: Connection refused)` and 502 until php-fpm is back. php-fpm.log has
# no `Finishing ...` / `exiting` for the kill: only the restart's
# `fpm is running` / `ready to handle connections`. Copies access.log,
# error.log, php-fpm.log and CAPTURE.md into OUTDIR (default: this
# directory). Exits 1 if the failure was not reproduced. Takes about 55 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup fpm-killed "${1:-}"

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
KIDS=$(lc_fpm_children | wc -l)
sc_incident_begin "SIGKILL to the php-fpm master (pid $LC_FPM_PID) and its $KIDS children at once"
lc_kill_fpm KILL
sc_mark "php-fpm gone; socket file: $([ -S "$LC_FPM_SOCK" ] && echo 'still there (stale)' || echo 'gone (!)')"
sc_sleep_until 32
lc_start_fpm_again
sc_incident_end "php-fpm started again (pid $LC_FPM_PID), ready"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
sc_expect "502 responses" "$N502" '>=20'
sc_key error.log 'failed (111: Connection refused) while connecting to upstream' '>=20'
N_REFUSED=$SC_N
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream'
N_RESET=$SC_N
sc_key error.log 'upstream prematurely closed'
N_PREM=$SC_N
sc_key error.log 'No such file or directory' '=0'
sc_key error.log '[crit]' '=0'
sc_key error.log '[error]'
N_ERR=$SC_N
sc_expect "502s without a matching error-log line ($N502 502s, $N_ERR error lines)" $((N502 - N_ERR)) '=0'
sc_key php-fpm.log 'NOTICE: fpm is running, pid' '=2'
sc_key php-fpm.log 'NOTICE: ready to handle connections' '=2'
sc_key php-fpm.log 'NOTICE: Finishing ...' '=1'
sc_key php-fpm.log 'NOTICE: exiting, bye-bye!' '=1'
sc_key php-fpm.log 'WARNING'
sc_key php-fpm.log 'ERROR'
sc_check_windows 2

READY2=$(grep 'ready to handle connections' "$L/php-fpm.log" | sed -n 2p | sc_stamp php-fpm.log)
FIRST_502=$(sc_first_bad 502)
LAST_502=$(sc_last_bad 502)
REL2=$(sc_rel "$(sc_epoch php-fpm.log "$READY2")" "$(sc_epoch access.log "$LAST_502")")
if [ $((N_RESET + N_PREM)) -gt 0 ]; then
	INFLIGHT_NOTE="- $((N_RESET + N_PREM)) request(s) were in a worker when it was killed: \`recv() failed (104: Connection reset by
  peer) while reading response header from upstream\` ($N_RESET) / \`upstream prematurely closed connection\` ($N_PREM)."
else
	INFLIGHT_NOTE="- No request was inside a worker at the instant of the kill in this run (the pages take 10–30 ms),
  so every 502 is a refused connect; a request caught in a worker shows as \`recv() failed (104:
  Connection reset by peer) while reading response header from upstream\`."
fi

SC_TITLE="php-fpm master and children SIGKILLed (as the OOM killer would), restarted 15 s later (502, ECONNREFUSED)"
SC_ABOUT="The php-fpm master and all its children are killed with SIGKILL at the same moment while normal
traffic goes on; php-fpm is started again ~15 s later. A killed master cannot remove its unix socket:
the stale socket file stays, connects to it are refused, nginx answers 502."
SC_SETTINGS=(
	"\`listen\`|unix socket \`…/run/php-fpm.sock\`, owner/group www-data, mode 0660"
	"\`pm\` / \`pm.max_children\`|dynamic / 5"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
	"kill / start|\`kill -KILL <master> <children…>\` (one kill(1) call), then the same \`php-fpm8.2 --fpm-config …\` command"
	"load|$RATE req/s, ≤8 concurrent, curl \`--max-time\` 10, for 50 s"
)
SC_NOTES="- $N_REFUSED \`[error] … connect() to unix:…/php-fpm.sock failed (111: Connection refused) while connecting
  to upstream\` lines for $N502 502s; no \`(2: No such file or directory)\`: the socket file survived the kill.
  On a unix socket the message names the peer (\`connect() to unix:… failed\`), unlike TCP.
$INFLIGHT_NOTE
- php-fpm.log says nothing at all about the kill: the master is dead, so no \`Finishing\`, no
  \`exiting\`, no \`child exited on signal 9\` (that line comes from the master, which died with its
  children). The only trace is a second \`fpm is running, pid N\` / \`ready to handle connections\`
  ($READY2) without a stop before it. The restart itself logged no complaint about the stale socket
  (php-fpm replaces it). The last 502 was $REL2 the restart.
- The \`Finishing ...\` / \`exiting, bye-bye!\` pair at the end of the file is the harness stopping
  php-fpm after the traffic.
- Only the master's SIGKILL matters to nginx: killing the children alone would have made the master
  log \`exited on signal 9 (SIGKILL)\` and respawn them (see worker-crash for the signal lines)."
sc_finish
