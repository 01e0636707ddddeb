#!/usr/bin/env bash
# testdata/scenarios/header-too-big/capture.sh [OUTDIR]
#
# One PHP page sends ~6 KB of response headers (tracking cookies) while nginx
# has `fastcgi_buffer_size 4k; fastcgi_buffers 4 4k;`: nginx logs `upstream
# sent too big header while reading response header from upstream` and
# answers 502 on that page only; php-fpm sees nothing wrong. Two clients
# request the page in a loop for ~15 s while normal traffic goes on. Copies
# access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR (default:
# this directory). Exits 1 if the failure was not reproduced. Takes ~55 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup header-too-big "${1:-}"

COOKIES=6
COOKIE_BYTES=1000
lc_write_php_app
sc_write_extras
cat >"$LC_PREFIX/www/promo.php" <<PHP
<?php
// Campaign landing page: a marketing plug-in sets $COOKIES tracking cookies of
// ~$COOKIE_BYTES bytes each (~$((COOKIES * COOKIE_BYTES / 1000)) KB of response headers).
for (\$i = 1; \$i <= $COOKIES; \$i++) {
    setcookie("trk_seg\$i", str_repeat(substr(md5("seg\$i"), 0, 20), $COOKIE_BYTES / 20), time() + 86400, '/');
}
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html><title>Black Friday</title><h1>-40 % on everything</h1>\n";
PHP
chmod a+r "$LC_PREFIX/www/promo.php"
lc_write_fpm_conf pm=dynamic max_children=6 start_servers=2 min_spare=1 max_spare=3 backlog=16
lc_write_nginx_conf access_format=msec fastcgi_buffer_size=4k "fastcgi_buffers=4 4k"
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3
# size of the headers the page sends, measured on PHP's built-in server (10 s max)
MEASURE_PORT=$(lc_free_port 19300)
timeout 10 php -S "127.0.0.1:$MEASURE_PORT" -t "$LC_PREFIX/www" >/dev/null 2>&1 &
MEASURE_PID=$!
lc__wait_for 5 lc_tcp_open "127.0.0.1:$MEASURE_PORT"
HDR_BYTES=$(curl -s --max-time 5 -D - -o /dev/null "http://127.0.0.1:$MEASURE_PORT/promo.php" | wc -c)
kill "$MEASURE_PID" 2>/dev/null
wait "$MEASURE_PID" 2>/dev/null
[ "${HDR_BYTES:-0}" -gt 0 ] || HDR_BYTES=""
[ -n "$HDR_BYTES" ] || HDR_BYTES="~$((COOKIES * COOKIE_BYTES))"

sc_mark "healthy traffic starts (5 req/s for 50 s, in the background)"
sc_start_clock
sc_load_bg healthy 50 5 8
sc_sleep_until 17
sc_incident_begin "a campaign goes live: 2 clients request /promo.php in a loop (1 s pause)"
sc_clients promo 2 15 GET /promo.php 10 1
sc_incident_end "campaign traffic stops"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped (SIGQUIT)"
sc_stop

N502=$(sc_status_count 502)
N502PROMO=$(awk -F'\t' '$4 == "/promo.php" && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
NPROMO=$(awk -F'\t' '$4 == "/promo.php"' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=10'
sc_expect "502 responses not on /promo.php" $((N502 - N502PROMO)) '=0'
sc_expect "/promo.php requests that did not fail" $((NPROMO - N502PROMO)) '=0'
sc_key error.log 'upstream sent too big header while reading response header from upstream' "=$N502"
sc_key error.log '[error]' "=$N502"
sc_key php-fpm.log 'WARNING' '=0'
sc_check_windows 2

SC_TITLE="response headers bigger than fastcgi_buffer_size (502 on one page)"
SC_ABOUT="/promo.php sets $COOKIES cookies of ~$COOKIE_BYTES bytes ($HDR_BYTES bytes of response header as PHP's built-in server sends them); nginx
reads FastCGI response headers into one \`fastcgi_buffer_size\` buffer (4k here) and gives up with a
502. Every request to that page fails, every other page works."
SC_SETTINGS=(
	"access log|\`log_format msec\` (the harness's \`access_format=msec\`): combined with \`\$msec\` (epoch) in place of \`[\$time_local]\`, so the log carries no zone; logcause reads it with the \`log_format\` of \`config/etc/nginx/nginx.conf\` and infers the error log's zone from the requests both logs name"
	"\`fastcgi_buffer_size\` / \`fastcgi_buffers\`|**4k** / **4 4k**"
	"/promo.php|$COOKIES × \`setcookie()\` with a ~$COOKIE_BYTES-byte value, then a small HTML body"
	"\`listen\`|unix socket, \`listen.backlog\` 16"
	"\`pm\` / \`pm.max_children\`|dynamic / 6"
	"incident load|2 clients (127.0.0.101–102) looping on /promo.php, 1 s pause, curl \`--max-time\` 10"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- Exactly one \`[error] … upstream sent too big header while reading response header from upstream\`
  per 502 ($N502), all on /promo.php; nothing else in nginx's error log.
- php-fpm.log has nothing about it (the script ran to the end; nginx discarded its output): the
  cause is visible only in nginx's error log.
- The access log cannot tell this 502 from any other: same status, nginx's usual error page."
sc_finish
