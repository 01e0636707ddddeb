#!/usr/bin/env bash
# testdata/scenarios/healthy/capture.sh [OUTDIR]
#
# Baseline: 60 s of healthy shop traffic through a real nginx + php-fpm
# (Debian packages, private prefix, 127.0.0.1, TZ=Europe/Paris), no failure
# at all. Copies access.log, error.log, php-fpm.log and a CAPTURE.md into
# OUTDIR (default: this directory). Exits 1 if any 5xx/499 was answered or
# nginx logged an error. Takes about 65 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup healthy "${1:-}"

SECONDS_TOTAL=60
RATE=5

lc_write_php_app
sc_write_extras
lc_write_fpm_conf pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts"
sc_load healthy $SECONDS_TOTAL $RATE 8
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N5XX=$(awk -F'\t' '$2 >= 500' "$LC_PREFIX/acc.tsv" | wc -l)
N499=$(sc_status_count 499)
sc_expect "5xx responses" "$N5XX" '=0'
sc_expect "499 responses" "$N499" '=0'
sc_expect "access.log lines" "$N_TOTAL" ">=$((SECONDS_TOTAL * RATE - 5))"
sc_key error.log '[error]' '=0'
sc_key error.log '[crit]' '=0'
sc_key error.log '[warn]' '=0'
sc_key php-fpm.log 'WARNING' '=0'
sc_key php-fpm.log 'ready to handle connections' '=1'
T_FIRST=$(head -n 1 "$LC_PREFIX/acc.tsv" | cut -f1)
T_LAST=$(tail -n 1 "$LC_PREFIX/acc.tsv" | cut -f1)
sc_expect "seconds of traffic" $((T_LAST - T_FIRST)) '>=58'

SC_TITLE="healthy traffic only (no incident)"
SC_ABOUT="$((T_LAST - T_FIRST + 1)) s of normal traffic on a healthy stack: no 5xx and no 499 in the access
log, nothing in nginx's error log, and only start-up and shut-down notices in php-fpm's log.
A baseline: an analyzer must report no incident here."
SC_SETTINGS=(
	"\`pm\` / \`pm.max_children\`|dynamic / 5"
	"\`pm.start_servers\` / \`min_spare\` / \`max_spare\`|2 / 1 / 3"
	"\`listen\`|unix socket, \`listen.backlog\` 8"
	"php-fpm \`log_level\`|notice"
	"nginx \`error_log\` level|warn"
	"nginx \`access_log\` format|combined"
	"\`fastcgi_connect_timeout\` / \`send\` / \`read\`|5s / 30s / 30s"
	"load|${SECONDS_TOTAL} s at ${RATE} req/s, ≤8 concurrent, curl \`--max-time\` 10"
)
SC_NOTES="- nginx's error log is empty: at level \`warn\` a healthy nginx writes nothing. It is copied anyway
  (0 bytes) so a directory-level analysis sees the same file set as the other scenarios.
- php-fpm.log has $(wc -l <"$L/php-fpm.log") lines, all NOTICE: \`fpm is running, pid N\`, \`ready to handle connections\`,
  \`systemd monitor interval set to 10000ms\` (Debian builds php-fpm with systemd support; it logs
  this even when not started by systemd), and at the end \`Finishing ...\` / \`exiting, bye-bye!\`
  from the SIGQUIT that stopped it. A clean stop after the traffic, not an incident.
- The paced load is 5 req/s for 60 s, but the access log spans a little longer: the client side
  (one bash + curl per request on 2 shared cores) lags a bit behind the schedule."
sc_finish
