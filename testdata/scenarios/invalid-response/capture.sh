#!/usr/bin/env bash
# testdata/scenarios/invalid-response/capture.sh [OUTDIR]
#
# nginx proxies /legacy/ to 127.0.0.1:PL with `proxy_pass http://…`; normally
# a small HTTP app (`php -S`) listens there. Mid-traffic, for ~15 s, the port
# is taken by something that does not speak HTTP, then the HTTP app is back.
# INVALID_MODE chooses what (default tls):
#   tls   a TLS-only server (`openssl s_server`, self-signed certificate): the
#         app "moved to HTTPS" but nginx still proxies with http://. OpenSSL
#         drops the plain-text request without a byte: nginx logs `upstream
#         prematurely closed connection while reading response header from
#         upstream` and answers 502.
#   smtp  a daemon that talks like an SMTP server (`220 … ESMTP` greeting,
#         `221 … Goodbye`, close): nginx logs `upstream sent no valid HTTP/1.0
#         header while reading response header from upstream`, treats the
#         reply as HTTP/0.9 and passes it through -- access-log status 009,
#         NOT 502.
# Copies access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR
# (default: this directory). Exits 1 if the failure was not reproduced.
# Takes about 60 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup "${SC_SCENARIO:-invalid-response}" "${1:-}" # http09-response runs this script in smtp mode

MODE=${INVALID_MODE:-tls}
case $MODE in tls | smtp) ;; *) lc_die "INVALID_MODE must be tls or smtp" ;; esac
if [ "$MODE" = tls ] && ! command -v openssl >/dev/null 2>&1; then
	lc_is_root || lc_die "openssl missing; run as root (or install it)"
	lc__apt_update_once
	lc__apt_install openssl || lc_die "cannot install openssl"
fi

PL=$(lc_free_port 19250)
lc_write_php_app
sc_write_extras
mkdir -p "$LC_PREFIX/legacy"
cat >"$LC_PREFIX/legacy/app.php" <<'PHP'
<?php
// Legacy order-status app: GET /legacy/order/N -> HTML.
$n = (int)basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
usleep(5000);
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html><title>Order $n</title><p>Order $n: shipped</p>\n";
PHP
# A non-HTTP daemon for INVALID_MODE=smtp: a bounded loop (deadline and count).
cat >"$LC_PREFIX/legacy/smtp.php" <<'PHP'
<?php
// usage: php smtp.php PORT SECONDS
[, $port, $secs] = $argv;
$srv = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
if (!$srv) { fwrite(STDERR, "listen: $errstr\n"); exit(1); }
$end = time() + (int)$secs;
for ($n = 0; $n < 10000 && time() < $end; ) {
    $c = @stream_socket_accept($srv, 1);
    if (!$c) { continue; }
    $n++;
    stream_set_timeout($c, 2);
    // what an SMTP server says to an HTTP client
    fwrite($c, "220 mail.shop.example.test ESMTP Postfix (Debian/GNU)\r\n");
    fgets($c, 8192);
    fwrite($c, "221 2.7.0 Error: I can break rules, too. Goodbye.\r\n");
    fclose($c);
}
PHP
if [ "$MODE" = tls ]; then
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=legacy.shop.example.test \
		-keyout "$LC_PREFIX/legacy/key.pem" -out "$LC_PREFIX/legacy/cert.pem" >/dev/null 2>&1 ||
		lc_die "cannot make a self-signed certificate"
fi
chmod -R a+rX "$LC_PREFIX/legacy"

# run_on_port WHAT: stop what listens on PL (if we started it), start WHAT there.
CUR_PID=""
run_on_port() {
	[ -n "$CUR_PID" ] && lc_bg_stop "$CUR_PID"
	case $1 in
	app) lc_bg timeout 150 php -S "127.0.0.1:$PL" "$LC_PREFIX/legacy/app.php" >>"$LC_PREFIX/logs/legacy.out" 2>&1 ;;
	tls) lc_bg timeout 60 openssl s_server -accept "127.0.0.1:$PL" -cert "$LC_PREFIX/legacy/cert.pem" \
		-key "$LC_PREFIX/legacy/key.pem" -www -quiet >>"$LC_PREFIX/logs/legacy.out" 2>&1 ;;
	smtp) lc_bg timeout 60 php "$LC_PREFIX/legacy/smtp.php" "$PL" 60 >>"$LC_PREFIX/logs/legacy.out" 2>&1 ;;
	esac
	CUR_PID=$LC_BG_LAST
	lc__wait_for 5 lc_tcp_open "127.0.0.1:$PL" || lc_die "nothing listening on $PL after starting $1"
}

lc_write_fpm_conf pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8
lc_write_nginx_conf "server_extra=
        location /legacy/ {
            proxy_pass http://127.0.0.1:$PL;
            proxy_connect_timeout 5s;
            proxy_read_timeout 10s;
        }"
lc_start_fpm
run_on_port app
lc_start_nginx
sc_smoke / /legacy/order/1001
SC_HEALTHY_EXTRA=(/legacy/order/1001 /legacy/order/1002 /legacy/order/1017 /legacy/order/1042)

case $MODE in
tls) WHAT="the legacy app is moved to HTTPS only: a TLS server (\`openssl s_server\`) takes port $PL; nginx still proxies with http://" ;;
smtp) WHAT="port $PL is taken by a daemon speaking SMTP instead of the legacy app" ;;
esac
sc_mark "healthy traffic starts (5 req/s for 52 s, in the background; 25 % to /legacy/ via proxy_pass)"
sc_start_clock
sc_load_bg healthy 52 5 8
sc_sleep_until 17
sc_incident_begin "$WHAT"
run_on_port "$MODE"
sc_sleep_until 32
run_on_port app
sc_incident_end "the plain-HTTP legacy app is back on port $PL"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and the legacy app stopped"
sc_stop

N009=$(sc_status_count 009)
N502=$(sc_status_count 502)
N_BAD_OTHER=$(awk -F'\t' '($2 >= 500 || $2 < 100) && $4 !~ /^\/legacy\//' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "failed responses outside /legacy/" "$N_BAD_OTHER" '=0'
if [ "$MODE" = tls ]; then
	sc_expect "502 responses" "$N502" '>=10'
	sc_key error.log 'upstream prematurely closed connection while reading response header from upstream' '>=10'
	N_PREM=$SC_N
	sc_key error.log 'upstream sent no valid HTTP/1.0 header' '=0'
else
	sc_expect "009 responses" "$N009" '>=10'
	sc_key error.log 'upstream sent no valid HTTP/1.0 header while reading response header from upstream' "=$N009"
	N_NOVALID=$SC_N
	sc_key error.log 'upstream prematurely closed connection while reading response header from upstream'
fi
sc_key error.log 'recv() failed (104: Connection reset by peer) while reading response header from upstream' '<=5'
N_RESET=$SC_N
sc_key error.log 'connect() failed (111: Connection refused)' '<=3'
N_REFUSED=$SC_N
sc_key error.log '[error]'
N_ERR=$SC_N
sc_key error.log '[crit]' '=0'
sc_key php-fpm.log 'WARNING' '=0'
sc_check_windows 2
N_FAIL=$(sc_bad_count)

if [ $((N_RESET + N_REFUSED)) -gt 0 ]; then
	SWITCH_NOTE="- Swapping what listens on the port is not clean under traffic: a request queued on the old
  listener when it is stopped is reset (\`recv() failed (104: Connection reset by peer) while reading
  response header from upstream\`, $N_RESET here) and one landing in the gap before the new listener is up
  gets \`connect() failed (111: Connection refused)\` ($N_REFUSED here); both are 502s at the edges of the incident."
else
	SWITCH_NOTE="- The swaps of what listens on the port were clean in this run. They need not be: a request
  queued on the old listener when it is stopped gets \`recv() failed (104: Connection reset by peer)\`
  (seen in other runs), one landing in the gap \`connect() failed (111: Connection refused)\`."
fi
if [ "$MODE" = tls ]; then
	MODE_NOTE="- OpenSSL reads nginx's plain-text request, finds no TLS record and closes the connection without
  sending anything (not even an alert): $N_PREM \`upstream prematurely closed connection while reading response
  header from upstream\` lines, $N502 502s, all on /legacy/. The message is the same as for a backend that
  crashes mid-request; the \`upstream: \"http://127.0.0.1:$PL/…\"\` field and the timing (every request, at
  once, $N_ERR error lines in all) are what set it apart.
- **Garbage that is not silence gives no 502 at all.** With \`INVALID_MODE=smtp\` the same script puts a
  daemon on the port that answers with text (an SMTP greeting). nginx 1.22's proxy module then logs
  \`upstream sent no valid HTTP/1.0 header while reading response header from upstream\` and serves the
  daemon's bytes as an **HTTP/0.9** response: the access log status is **009** (earlier runs: 14–19 of them in ~12 s
  of traffic, body 106 bytes = the two SMTP lines), curl gets no status (000). A 502/504-only
  analysis misses that incident. The default mode is tls so that this capture has 502s."
else
	MODE_NOTE="- **No 502 for garbage.** nginx 1.22's proxy module logs \`[error] … upstream sent no valid HTTP/1.0
  header while reading response header from upstream\` ($N_NOVALID lines) and serves the upstream's bytes as an
  **HTTP/0.9** response: access-log status **009** ($N009 lines, $N502 502s), the SMTP lines as the body, curl
  gets no status (000). A 502/504-only analysis misses this incident entirely."
fi

SC_TITLE="proxied upstream does not speak HTTP ($([ "$MODE" = tls ] && echo '502, upstream prematurely closed connection' || echo '009, upstream sent no valid HTTP/1.0 header'))"
SC_ABOUT="nginx proxies /legacy/ to a small HTTP app on 127.0.0.1:$PL with \`proxy_pass http://…\`. For ~15 s
something else answers on that port: $WHAT. Every /legacy/ request fails ($N_FAIL failed responses);
the PHP pages (php-fpm) are not affected. Capture mode: \`INVALID_MODE=$MODE\`."
SC_SETTINGS=(
	"location|\`location /legacy/ { proxy_pass http://127.0.0.1:$PL; proxy_connect_timeout 5s; proxy_read_timeout 10s; }\`"
	"healthy backend|\`php -S 127.0.0.1:$PL app.php\`"
	"incident backend|$([ "$MODE" = tls ] && echo "\`openssl s_server -accept 127.0.0.1:$PL -cert … -key … -www -quiet\` ($(openssl version 2>/dev/null | cut -d' ' -f1-2), self-signed RSA 2048 certificate)" || echo "PHP CLI loop: greeting \`220 mail.shop.example.test ESMTP Postfix (Debian/GNU)\`, reads a line, \`221 2.7.0 Error: I can break rules, too. Goodbye.\`, close")"
	"load|5 req/s for 52 s, ≤8 concurrent, 25 % to /legacy/order/N, curl \`--max-time\` 10"
	"nginx \`error_log\` level|warn"
)
SC_NOTES="$MODE_NOTE
$SWITCH_NOTE
- php-fpm.log has nothing: the failing upstream is not PHP-FPM."
sc_finish
