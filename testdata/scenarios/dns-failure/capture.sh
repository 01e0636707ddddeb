#!/usr/bin/env bash
# testdata/scenarios/dns-failure/capture.sh [OUTDIR]
#
# nginx proxies /partner/ to `http://$partner_host:PB` (a variable: the name
# is resolved at run time by `resolver 127.0.0.1:PDNS valid=5s`). The
# resolver is a tiny DNS server (PHP CLI, UDP, 127.0.0.1) that answers
# partner-api.shop.example.test with 127.0.0.1. Mid-traffic the record
# disappears for ~15 s (the server answers NXDOMAIN): nginx logs
# `partner-api.shop.example.test could not be resolved (3: Host not found)`
# and answers 502. Copies access.log, error.log, php-fpm.log and CAPTURE.md
# into OUTDIR (default: this directory). Exits 1 if the failure was not
# reproduced. Takes about 60 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup dns-failure "${1:-}"

RATE=6
SC_RATE=$RATE
PARTNER=partner-api.shop.example.test
PB=$(lc_free_port 19270)
PDNS=$(lc_free_port 19280) # UDP; a free TCP port is a good enough hint
VALID=5s
lc_write_php_app
sc_write_extras
mkdir -p "$LC_PREFIX/partner"
cat >"$LC_PREFIX/partner/app.php" <<'PHP'
<?php
// Partner shipping-rate API: GET /partner/rates/ZIP -> JSON.
$zip = basename(parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH));
usleep(5000);
header('Content-Type: application/json');
echo json_encode(['zip' => $zip, 'rate' => 4.90, 'currency' => 'EUR']), "\n";
PHP
cat >"$LC_PREFIX/partner/dns.php" <<'PHP'
<?php
// A tiny authoritative DNS server for tests: answers every A query with
// 127.0.0.1 (TTL 5), AAAA with no data, or NXDOMAIN for everything while
// the mode file says "nxdomain". Bounded: SECONDS and a query count.
// usage: php dns.php PORT SECONDS MODEFILE
[, $port, $secs, $modefile] = $argv;
$sock = stream_socket_server("udp://127.0.0.1:$port", $errno, $errstr, STREAM_SERVER_BIND);
if (!$sock) { fwrite(STDERR, "bind: $errstr\n"); exit(1); }
$end = time() + (int)$secs;
for ($n = 0; $n < 100000 && time() < $end; ) {
    $r = [$sock];
    $w = $e = null;
    if (!stream_select($r, $w, $e, 1)) { continue; }
    $q = stream_socket_recvfrom($sock, 512, 0, $peer);
    if ($q === false || strlen($q) < 17) { continue; }
    $n++;
    $mode = trim((string)@file_get_contents($modefile));
    // the question: length-prefixed labels from offset 12 to a zero byte, then type and class
    $i = 12;
    while ($i < strlen($q) && ord($q[$i]) !== 0) { $i += ord($q[$i]) + 1; }
    if ($i + 5 > strlen($q)) { continue; }
    $qtype = unpack('n', substr($q, $i + 1, 2))[1];
    $rd = unpack('n', substr($q, 2, 2))[1] & 0x0100;
    $rcode = ($mode === 'nxdomain') ? 3 : 0;
    $answer = '';
    if ($rcode === 0 && $qtype === 1) {
        // name = pointer to the question's name, type A, class IN, TTL 5, 4 bytes
        $answer = pack('nnnNn', 0xC00C, 1, 1, 5, 4) . inet_pton('127.0.0.1');
    }
    $flags = 0x8000 | 0x0400 | $rd | 0x0080 | $rcode; // QR AA RD RA RCODE
    $resp = substr($q, 0, 2) . pack('nnnnn', $flags, 1, $answer === '' ? 0 : 1, 0, 0)
        . substr($q, 12, $i + 5 - 12) . $answer;
    stream_socket_sendto($sock, $resp, 0, $peer);
    fwrite(STDOUT, date('H:i:s') . " $peer type $qtype rcode $rcode\n");
}
PHP
chmod -R a+rX "$LC_PREFIX/partner"
MODEFILE=$LC_PREFIX/run/dns-mode
echo ok >"$MODEFILE"

lc_bg timeout 150 php -S "127.0.0.1:$PB" "$LC_PREFIX/partner/app.php" >>"$LC_PREFIX/logs/partner.out" 2>&1
lc__wait_for 5 lc_tcp_open "127.0.0.1:$PB" || lc_die "partner backend did not start"
lc_bg timeout 150 php "$LC_PREFIX/partner/dns.php" "$PDNS" 140 "$MODEFILE" >>"$LC_PREFIX/logs/dns.out" 2>&1
sleep 0.5

lc_write_fpm_conf pm=dynamic max_children=5 start_servers=2 min_spare=1 max_spare=3 backlog=8
lc_write_nginx_conf "server_extra=
        resolver 127.0.0.1:$PDNS valid=$VALID;
        resolver_timeout 3s;

        location /partner/ {
            set \$partner_host $PARTNER;
            proxy_pass http://\$partner_host:$PB;
            proxy_connect_timeout 5s;
            proxy_read_timeout 10s;
        }"
lc_start_fpm
lc_start_nginx
sc_smoke / /partner/rates/75001
SC_HEALTHY_EXTRA=(/partner/rates/75001 /partner/rates/69002 /partner/rates/13008 /partner/rates/33000)

sc_mark "healthy traffic starts ($RATE req/s for 55 s, in the background; 25 % to /partner/ via proxy_pass to \`\$partner_host\`)"
sc_start_clock
sc_load_bg healthy 55 $RATE 8
sc_sleep_until 17
sc_incident_begin "the DNS record of $PARTNER is deleted: the resolver answers NXDOMAIN"
echo nxdomain >"$MODEFILE"
sc_sleep_until 32
echo ok >"$MODEFILE"
sc_incident_end "the record is back (127.0.0.1, TTL 5)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm, the partner API and the DNS server stopped"
sc_stop

N502=$(sc_status_count 502)
N502P=$(awk -F'\t' '$4 ~ /^\/partner\// && $2 == 502' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=10'
sc_expect "502 responses not on /partner/" $((N502 - N502P)) '=0'
sc_key error.log "$PARTNER could not be resolved (3: Host not found)" "=$N502"
N_NX=$SC_N
sc_key error.log 'could not be resolved'
sc_key error.log '[error]' "=$N502"
sc_key error.log '[crit]' '=0'
sc_key php-fpm.log 'WARNING' '=0'
# allow for a negative answer cached for valid= (5 s)
sc_check_windows 6
LAST_502=$(sc_last_bad 502)
read -r WB WE <<<"${SC_WIN[0]}"
FIRST_502=$(sc_first_bad 502)
HEAD=$(($(sc_epoch access.log "$FIRST_502") - WB))
N_Q=$(wc -l <"$LC_PREFIX/logs/dns.out")
N_QNX=$(grep -c 'rcode 3' "$LC_PREFIX/logs/dns.out")

SC_TITLE="upstream host name cannot be resolved (502, could not be resolved)"
SC_ABOUT="nginx proxies /partner/ to a host name held in a variable, so it resolves it at run time with its own
\`resolver\`. The resolver is a tiny DNS server on 127.0.0.1 (PHP CLI, UDP) that normally answers
\`$PARTNER\` → 127.0.0.1. For ~15 s the record is gone (NXDOMAIN): every /partner/ request fails
with 502. The PHP pages are not affected."
SC_SETTINGS=(
	"resolver|\`resolver 127.0.0.1:$PDNS valid=$VALID; resolver_timeout 3s;\` (ipv6 lookups on: nginx asks A and AAAA)"
	"location|\`location /partner/ { set \$partner_host $PARTNER; proxy_pass http://\$partner_host:$PB; }\`"
	"DNS server|PHP CLI on udp 127.0.0.1:$PDNS: A → 127.0.0.1 TTL 5, AAAA → no data; during the incident every answer is NXDOMAIN (rcode 3)"
	"partner API|\`php -S 127.0.0.1:$PB app.php\`"
	"load|$RATE req/s for 55 s, ≤8 concurrent, 25 % to /partner/rates/ZIP, curl \`--max-time\` 10"
	"nginx \`error_log\` level|warn"
)
SC_NOTES="- One \`[error] … $PARTNER could not be resolved (3: Host not found)\` line per 502 ($N_NX lines, $N502
  502s). The line has \`client:\`, \`server:\`, \`request:\` and \`host:\` but **no \`upstream:\` field**: nginx
  never got as far as choosing a peer.
- Caching, as observed: positive answers are kept for \`valid=$VALID\` — the first 502 came ${HEAD} s after the
  record was deleted, and outside the incident the DNS server got only $((N_Q - N_QNX)) queries for ~40 s of traffic.
  Negative answers were **not** reused: the server answered NXDOMAIN $N_QNX times for $N502 failing requests
  (nginx asks A and AAAA for each), and the last 502 came $(sc_rel "$WE" "$(sc_epoch access.log "$LAST_502")") the record was back
  ($LAST_502).
- php-fpm.log has nothing: PHP is not involved."
sc_finish
