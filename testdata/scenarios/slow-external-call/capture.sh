#!/usr/bin/env bash
# testdata/scenarios/slow-external-call/capture.sh [OUTDIR]
#
# A slow outbound HTTP call holds the PHP workers: the shop's exchange-rate
# page and the product page fetch rates from a local HTTP service with file_get_contents()
# and PHP's default timeouts. The service is frozen (SIGSTOP) for 12 s: its
# socket still accepts connections, nothing answers. Each rates request
# holds a worker; the 4 workers are held, nginx answers 502 (EAGAIN).
# nginx writes its access log in a JSON log_format. The pool has the FPM
# slow log on (request_slowlog_timeout = 2s). Takes about 35 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup slow-external-call "${1:-}"
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
SC_ACCESS_JSON=1
SC_HEALTHY_EXTRA=(/rates.php)
FREEZE=12

lc_write_php_app
sc_write_extras
RATES_PORT=$(lc_free_port 18600)
mkdir -p "$LC_PREFIX/rates"
cat >"$LC_PREFIX/rates/index.php" <<'PHP'
<?php
header('Content-Type: application/json');
echo json_encode(['base' => 'EUR', 'USD' => 1.08, 'GBP' => 0.85]), "\n";
PHP
mkdir -p "$LC_PREFIX/www/lib"
cat >"$LC_PREFIX/www/lib/rates.php" <<PHP
<?php
// Today's exchange rates, from the rates service, with PHP's default
// timeouts (default_socket_timeout = 60).
function rates()
{
    return json_decode(file_get_contents('http://127.0.0.1:$RATES_PORT/rates'), true);
}
PHP
cat >"$LC_PREFIX/www/rates.php" <<'PHP'
<?php
require __DIR__ . '/lib/rates.php';
header('Content-Type: application/json');
echo json_encode(['USD' => 9.99 * (rates()['USD'] ?? 1)]), "\n";
PHP
cat >"$LC_PREFIX/www/product.php" <<'PHP'
<?php
// Product page, with the price in dollars too.
require __DIR__ . '/lib/rates.php';
$id = isset($_GET['id']) ? (int)$_GET['id'] : 0;
if ($id <= 0) {
    http_response_code(404);
    echo "no such product\n";
    return;
}
$eur = 9.99 + $id;
header('Content-Type: text/html; charset=utf-8');
printf("<!doctype html><title>Product %d</title><h1>Product %d</h1><p>Price: %.2f EUR (%.2f USD)</p>\n",
    $id, $id, $eur, $eur * (rates()['USD'] ?? 1));
PHP
chmod -R a+rX "$LC_PREFIX/www" "$LC_PREFIX/rates"
sc_start_small_pool 2s "" access_format=json
lc_log "starting the rates service (php -S) on 127.0.0.1:$RATES_PORT"
php -S "127.0.0.1:$RATES_PORT" -t "$LC_PREFIX/rates" "$LC_PREFIX/rates/index.php" >"$LC_PREFIX/logs/rates.out" 2>&1 &
RATES_PID=$!
LC_BG_PIDS+=("$RATES_PID")
lc__wait_for 10 lc_tcp_open "127.0.0.1:$RATES_PORT" || lc_die "the rates service did not start"
sc_smoke / /rates.php /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 34 s, 25 % on /rates.php, in the background)"
sc_start_clock
sc_load_bg healthy 34 5 16
sc_sleep_until 9
sc_incident_begin "the rates service (pid $RATES_PID) frozen with SIGSTOP: it accepts connections, answers nothing"
kill -STOP "$RATES_PID"
sc_snapshot_config
sc_sleep_until $((9 + FREEZE))
kill -CONT "$RATES_PID"
sc_incident_end "the rates service resumed with SIGCONT after $FREEZE s"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and the rates service stopped"
sc_stop

sc_check_held_pool 'file_get_contents() '
N_FGC=$N_HOLD
sc_check_windows 3

SC_TITLE="a slow outbound HTTP call: the rates service accepts and never answers, the pool runs out (502, EAGAIN) — JSON access log"
SC_ABOUT="The product page and /rates.php (together ~55 % of the traffic) fetch exchange rates over HTTP with
\`file_get_contents()\` (lib/rates.php) and PHP's default timeouts. The rates service (\`php -S\` on 127.0.0.1:$RATES_PORT) is frozen for $FREEZE s:
its socket accepts, nothing answers. The 4 workers wait in the call and nginx answers 502 (EAGAIN).
nginx logs in a JSON \`log_format\` (\`escape=json\`, \`\$time_iso8601\`, status and times as numbers)."
SC_SETTINGS=(
	"lib/rates.php|\`file_get_contents('http://127.0.0.1:$RATES_PORT/rates')\`, no stream timeout (\`default_socket_timeout\` 60); used by /product.php and /rates.php"
	"rates service|\`php -S\`, frozen with SIGSTOP for $FREEZE s"
	"access log|\`log_format json escape=json '{\"time\":\"\$time_iso8601\",…}'\`"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**, \`listen.backlog\` 8"
	"\`request_slowlog_timeout\`|**2s**"
)
SC_NOTES="- $N_TRACES slow-log traces, $N_FGC in \`file_get_contents()\`."
sc_finish
