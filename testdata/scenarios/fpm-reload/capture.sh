#!/usr/bin/env bash
# testdata/scenarios/fpm-reload/capture.sh [OUTDIR]
#
# A graceful reload of php-fpm during traffic (SIGUSR2 to the master: what
# `systemctl reload php8.2-fpm` and many deploys do), with slow requests in
# flight (a report page that waits ~3 s on a back-office service) and php-fpm's default process_control_timeout = 0: the master
# does not wait for its children, the in-flight requests are cut and nginx
# logs `recv() failed (104: Connection reset by peer)` — the line a crashed
# worker gives — and answers 502. php-fpm logs the reload, and no child
# `exited on signal`. The socket survives (no connect errors). The pool has
# the FPM slow log on (request_slowlog_timeout = 2s). Takes about 35 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup fpm-reload "${1:-}"
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
SC_HEALTHY_EXTRA=(/report.php)

lc_write_php_app
sc_write_extras
# The report page waits ~3 s on a back-office service (a blocking read:
# a reload's SIGQUIT does not end it, unlike sleep(), which it interrupts).
BACKOFFICE_PORT=$(lc_free_port 18700)
mkdir -p "$LC_PREFIX/backoffice"
cat >"$LC_PREFIX/backoffice/index.php" <<'PHP'
<?php
usleep(3000000); // building the report
header('Content-Type: application/json');
echo json_encode(['orders' => 1234]), "\n";
PHP
cat >"$LC_PREFIX/www/report.php" <<PHP
<?php
// The daily report: asks the back-office service, which takes ~3 s.
\$r = json_decode(file_get_contents('http://127.0.0.1:$BACKOFFICE_PORT/report'), true);
header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>Report</title><p>', (int)(\$r['orders'] ?? 0), " orders</p>\n";
PHP
chmod -R a+rX "$LC_PREFIX/www" "$LC_PREFIX/backoffice"
sc_fpm_slowlog 2s
lc_write_fpm_conf pm=dynamic max_children=32 start_servers=16 min_spare=8 max_spare=24 backlog=64 \
	global_extra="process_control_timeout = 0" extra="$SC_SLOWLOG"
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
lc_log "starting the back-office service (php -S, 16 workers) on 127.0.0.1:$BACKOFFICE_PORT"
PHP_CLI_SERVER_WORKERS=16 php -S "127.0.0.1:$BACKOFFICE_PORT" -t "$LC_PREFIX/backoffice" "$LC_PREFIX/backoffice/index.php" >"$LC_PREFIX/logs/backoffice.out" 2>&1 &
LC_BG_PIDS+=("$!")
lc__wait_for 10 lc_tcp_open "127.0.0.1:$BACKOFFICE_PORT" || lc_die "the back-office service did not start"
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 34 s, 25 % on /report.php (3 s), in the background)"
sc_start_clock
sc_load_bg healthy 34 5 16
sc_sleep_until 4
sc_clients_bg reports 8 14 GET /report.php 25 0.1
sc_sleep_until 12
sc_incident_begin "php-fpm master (pid $LC_FPM_PID) gets SIGUSR2 (reload) with slow requests in flight"
kill -USR2 "$LC_FPM_PID"
sc_fpm_ready_again() { tail -n 3 "$LC_PREFIX/logs/php-fpm.log" | grep -q 'ready to handle connections'; }
lc__wait_for 10 sc_fpm_ready_again || lc_warn "php-fpm did not say it was ready again"
sc_incident_end "php-fpm ready again (same master pid)"
sc_wait "$SC_BG2"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped"
sc_stop

N502=$(sc_status_count 502)
sc_expect "502 responses" "$N502" '>=5'
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream' '>=5'
sc_key error.log 'connect() to' '=0'
sc_key php-fpm.log 'Reloading in progress' '=1'
sc_key php-fpm.log 'reloading: execvp' '=1'
sc_key php-fpm.log 'exited on signal'
N_EXITED=$SC_N
sc_key php-fpm.log 'ready to handle connections' '=2'
sc_key php-fpm-slow.log 'pid '
sc_check_windows 3

SC_TITLE="php-fpm reloaded (SIGUSR2) with slow requests in flight and process_control_timeout = 0: the requests are cut (502, connection reset)"
SC_ABOUT="A graceful reload of php-fpm (\`kill -USR2\` on the master; \`systemctl reload php8.2-fpm\` does the same)
while /report.php requests (3 s, waiting on a back-office service) are in flight. With \`process_control_timeout = 0\` (php-fpm's default) the
master does not wait for its children: their requests are cut, nginx sees the connection reset and
answers 502 — the same nginx line as a crashed worker. The socket survives the reload: no connect error."
SC_SETTINGS=(
	"reload|\`kill -USR2\` on the php-fpm master, once"
	"\`process_control_timeout\`|**0** (written out; php-fpm's default)"
	"/report.php|\`file_get_contents()\` of a back-office service (\`php -S\`, 16 workers) that answers in 3 s; 25 % of the healthy traffic, and 8 clients looping on it"
	"\`pm\` / \`pm.max_children\`|dynamic / 32, \`listen.backlog\` 64"
	"\`request_slowlog_timeout\`|**2s**"
)
SC_NOTES="- php-fpm.log has $N_EXITED \`exited on signal\` line(s): a reload is not a crash, and its log says so.
- The slow page waits in a blocking read (\`file_get_contents()\`), not in \`sleep()\`: the reload's SIGQUIT
  interrupts a sleep, the script then races php-fpm's SIGTERM and often answers in time (1 to 11 cut
  requests seen over runs); a read is restarted, and every request in flight is cut."
sc_finish
