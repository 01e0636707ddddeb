#!/usr/bin/env bash
# testdata/scenarios/backend-down/capture.sh [OUTDIR]
#
# nginx proxies /api/stock/ to `upstream backend { server 127.0.0.1:P1;
# server 127.0.0.1:P2; }` (two small HTTP backends: `php -S`). Mid-traffic
# both backends are stopped for ~15 s: nginx logs `connect() failed (111:
# Connection refused) while connecting to upstream`, marks the servers
# failed and then logs `no live upstreams while connecting to upstream`;
# clients get 502. The PHP pages (php-fpm) are not affected. Copies
# access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR (default:
# this directory). Exits 1 if the failure was not reproduced. ~65 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup backend-down "${1:-}"

RATE=6
SC_RATE=$RATE
P1=$(lc_free_port 19200)
P2=$(lc_free_port $((P1 + 1)))
lc_write_php_app
sc_write_extras
mkdir -p "$LC_PREFIX/backend"
cat >"$LC_PREFIX/backend/stock.php" <<'PHP'
<?php
// Stock service: GET /api/stock/SKU -> JSON.
$sku = (int)basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
usleep(5000);
header('Content-Type: application/json');
echo json_encode(['sku' => $sku, 'stock' => ($sku * 7) % 23, 'node' => $_SERVER['SERVER_PORT']]), "\n";
PHP
chmod -R a+rX "$LC_PREFIX/backend"

# start_backend PORT: `php -S` on 127.0.0.1:PORT, at most 120 s; pid in BACKEND_PID
start_backend() {
	lc_bg timeout 120 php -S "127.0.0.1:$1" "$LC_PREFIX/backend/stock.php" >>"$LC_PREFIX/logs/backend-$1.out" 2>&1
	BACKEND_PID=$LC_BG_LAST
	lc__wait_for 5 lc_tcp_open "127.0.0.1:$1" || lc_die "backend on port $1 did not start"
}

lc_write_fpm_conf pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8
lc_write_nginx_conf access_format=logcause "http_extra=    upstream backend {
        server 127.0.0.1:$P1;
        server 127.0.0.1:$P2;
    }" "server_extra=
        location /api/stock/ {
            proxy_pass http://backend;
            proxy_connect_timeout 5s;
            proxy_read_timeout 10s;
        }"
lc_start_fpm
start_backend "$P1"
B1=$BACKEND_PID
start_backend "$P2"
B2=$BACKEND_PID
lc_start_nginx
sc_smoke / /api/stock/3 /api/stock/7
SC_HEALTHY_EXTRA=(/api/stock/3 /api/stock/7 /api/stock/12 /api/stock/42 /api/stock/58)

sc_mark "healthy traffic starts ($RATE req/s for 60 s, in the background; 25 % to /api/stock/ via the upstream group)"
sc_start_clock
sc_load_bg healthy 60 $RATE 8
sc_sleep_until 17
sc_incident_begin "both backends stopped (SIGTERM to the two \`php -S\`, ports $P1 and $P2)"
lc_bg_stop "$B1"
lc_bg_stop "$B2"
lc_tcp_open "127.0.0.1:$P1" && lc_die "backend $P1 still listening"
sc_sleep_until 32
start_backend "$P1"
start_backend "$P2"
sc_incident_end "both backends started again and listening"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and the backends stopped"
sc_stop

N502=$(sc_status_count 502)
N502API=$(awk -F'\t' '$4 ~ /^\/api\/stock\// && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=10'
sc_expect "502 responses not on /api/stock/" $((N502 - N502API)) '=0'
sc_key error.log 'connect() failed (111: Connection refused) while connecting to upstream' '>=2'
N_REFUSED=$SC_N
sc_key error.log 'no live upstreams while connecting to upstream' '>=5'
N_NOLIVE=$SC_N
sc_key error.log 'upstream server temporarily disabled'
N_DISABLED=$SC_N
sc_key error.log '[error]'
sc_key error.log '[warn]'
sc_key error.log '[crit]' '=0'
sc_key php-fpm.log 'WARNING' '=0'
# nginx keeps a failed server out for fail_timeout (10 s) after its last failure
sc_check_windows 11

LAST_502=$(sc_last_bad 502)
read -r WB WE <<<"${SC_WIN[0]}"
TAIL=$(($(sc_epoch access.log "$LAST_502") - WE))
N200_TAIL=$(awk -F'\t' -v e="$WE" '$1 > e && $4 ~ /^\/api\/stock\// && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
N502_TAIL=$(awk -F'\t' -v e="$WE" '$1 > e && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
FIRST_REFUSED=$(grep -m1 'Connection refused' "$L/error.log")
UPS=$(grep -o 'upstream: "http://[^/"]*' "$L/error.log" | sed 's/^upstream: "//' | sort | uniq -c | sort -rn | awk '{printf "%s`%s` %d", (NR > 1 ? ", " : ""), $2, $1}')

SC_TITLE="all servers of a proxied upstream group down (502, connection refused, no live upstreams)"
SC_ABOUT="nginx proxies /api/stock/ to an \`upstream\` group of two HTTP backends (\`php -S\` on 127.0.0.1:$P1 and
:$P2). Both are stopped for ~15 s in the middle of normal traffic: connects are refused, nginx
marks both servers failed and answers 502 with \`no live upstreams\`. The PHP pages (php-fpm) keep
working."
SC_SETTINGS=(
	"upstream|\`upstream backend { server 127.0.0.1:$P1; server 127.0.0.1:$P2; }\` (defaults: \`max_fails=1 fail_timeout=10s\`)"
	"location|\`location /api/stock/ { proxy_pass http://backend; proxy_connect_timeout 5s; proxy_read_timeout 10s; }\`"
	"\`proxy_next_upstream\`|default (\`error timeout\`)"
	"backends|\`php -S 127.0.0.1:PORT stock.php\` (a JSON stock service), stopped with SIGTERM"
	"load|$RATE req/s for 60 s, ≤8 concurrent, 25 % to /api/stock/N, curl \`--max-time\` 10"
	"nginx \`error_log\` level|warn"
)
SC_NOTES="- Lines: $N_REFUSED \`connect() failed (111: Connection refused) while connecting to upstream\` (TCP: no
  peer in the message, it is in \`upstream: \"http://127.0.0.1:P/…\"\`), $N_DISABLED \`[warn] … upstream server
  temporarily disabled while connecting to upstream\`, and $N_NOLIVE \`no live upstreams while connecting to
  upstream\` — the majority: once both servers are marked failed nginx does not even try them.
  Host part of the \`upstream: \"…\"\` field over all lines: $UPS — for \`no live upstreams\` it is the
  group's name (\`http://backend/api/stock/N\`), not a server.
- The first refused connect of a request is retried on the other server (\`proxy_next_upstream error\`),
  so one 502 can have two \`Connection refused\` lines. First one:
  \`$FIRST_REFUSED\`
- nginx re-tries a failed server only after \`fail_timeout\` (10 s): during the outage, about every
  10 s a request gets a fresh \`Connection refused\` instead of \`no live upstreams\`. After the
  backends came back the 502s went on for ${TAIL} s ($N502_TAIL more 502s; the last one at \`$LAST_502\`),
  until the failed marks expired; then $N200_TAIL /api/stock/ requests were answered 200.
- php-fpm.log has nothing: the failing upstream is not PHP-FPM. The backends' own output is not
  part of the capture."
sc_finish
