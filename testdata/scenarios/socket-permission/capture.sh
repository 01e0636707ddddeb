#!/usr/bin/env bash
# testdata/scenarios/socket-permission/capture.sh [OUTDIR]
#
# php-fpm is restarted with a pool whose socket is `listen.owner = root`,
# `listen.group = root`, `listen.mode = 0600` while nginx's workers run as
# www-data: every connect is refused with `[crit] connect() to unix:… failed
# (13: Permission denied)` and nginx answers 502. ~15 s later the pool is
# fixed (owner/group www-data, mode 0660) and php-fpm restarted again. The
# restarts happen between load phases (a second without traffic), so the
# only errors are the permission ones. Copies access.log, error.log,
# php-fpm.log and CAPTURE.md into OUTDIR (default: this directory). Exits 1
# if the failure was not reproduced. Takes about 60 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup socket-permission "${1:-}"

RATE=5
POOL=(pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8)
lc_write_php_app
sc_write_extras
lc_write_fpm_conf "${POOL[@]}"
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3
GOOD_MODE=$(stat -c '%U:%G %a' "$LC_FPM_SOCK")

sc_mark "healthy traffic ($RATE req/s for 17 s); socket $GOOD_MODE"
sc_load before 17 $RATE 8
sc_incident_begin "php-fpm stopped (SIGQUIT) and restarted with listen.owner/group root, listen.mode 0600"
lc_stop_fpm
lc_write_fpm_conf "${POOL[@]}" listen_owner=root listen_group=root listen_mode=0600
lc_start_fpm_again
sc_snapshot_config # config/ shows the pool as it was during the incident
BAD_MODE=$(stat -c '%U:%G %a' "$LC_FPM_SOCK")
sc_mark "php-fpm up again (pid $LC_FPM_PID); socket now $BAD_MODE; traffic for 15 s"
sc_load incident 15 $RATE 8
sc_mark "pool fixed: php-fpm stopped (SIGQUIT) and restarted with listen.owner/group www-data, mode 0660"
lc_stop_fpm
lc_write_fpm_conf "${POOL[@]}"
lc_start_fpm_again
FIXED_MODE=$(stat -c '%U:%G %a' "$LC_FPM_SOCK")
sc_incident_end "php-fpm up again (pid $LC_FPM_PID); socket $FIXED_MODE; healthy traffic for 18 s"
sc_load after 18 $RATE 8
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
read -r WB WE <<<"${SC_WIN[0]}"
NSTATIC=$(awk -F'\t' -v b="$WB" -v e="$WE" '$1 >= b && $1 <= e && $4 ~ /^\/(robots\.txt|static\/)/ && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=30'
sc_key error.log 'failed (13: Permission denied) while connecting to upstream' "=$N502"
N_EACCES=$SC_N
sc_key error.log '[crit]' "=$N502"
sc_key error.log '[error]' '=0'
sc_key php-fpm.log 'NOTICE: Finishing ...' '=3'
sc_key php-fpm.log 'NOTICE: ready to handle connections' '=3'
sc_key php-fpm.log 'WARNING' '=0'
sc_key php-fpm.log 'ERROR' '=0'
sc_check_windows 2
[ "$BAD_MODE" = "root:root 600" ] || sc_fail "socket during the incident was $BAD_MODE, not root:root 600"

SC_TITLE="php-fpm socket not accessible to nginx's user (502, EACCES)"
SC_ABOUT="php-fpm is restarted with a pool that creates its unix socket as root:root mode 0600; nginx's workers
run as www-data and every connect fails with EACCES: all PHP pages answer 502, static files still
work. ~15 s later the pool is fixed and php-fpm restarted."
SC_SETTINGS=(
	"nginx \`user\`|www-data"
	"socket, healthy|\`listen.owner = www-data\`, \`listen.group = www-data\`, \`listen.mode = 0660\` → \`$GOOD_MODE\`"
	"socket, incident|\`listen.owner = root\`, \`listen.group = root\`, \`listen.mode = 0600\` → \`$BAD_MODE\`"
	"\`pm\` / \`pm.max_children\`|dynamic / 5"
	"restart|\`kill -QUIT <master>\`, rewrite the pool, same \`php-fpm8.2 --fpm-config …\` command"
	"load|$RATE req/s, ≤8 concurrent, curl \`--max-time\` 10, in three phases (17 s, 15 s, 18 s) with the restarts between them"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- $N_EACCES \`[crit] … connect() to unix:…/php-fpm.sock failed (13: Permission denied) while connecting to
  upstream\` lines, one per 502 ($N502). **crit**, like ENOENT; nothing at level error.
- php-fpm runs fine and logs nothing about the socket's owner or mode: its log shows only clean
  NOTICE start/stop lines (first start; stop + misconfigured start; stop + fixed start; the final
  \`Finishing ...\` is the harness stopping it). Nothing in php-fpm.log tells the bad restart from
  the good one; the cause is only in nginx's error log.
- Static files (served by nginx itself) kept answering 200 during the incident ($NSTATIC static-file
  200s in the incident window): only the PHP pages failed."
sc_finish
