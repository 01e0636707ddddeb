#!/usr/bin/env bash
# testdata/scenarios/session-lock/capture.sh [OUTDIR]
#
# A session-lock pile-up: PHP's file sessions lock the session file from
# session_start() to the end of the request. One client (a page that
# polls its cart from many tabs) sends 8 concurrent requests with the
# same session id to /cart-total.php, which keeps the session open while
# it prices the cart (~1.5 s). The requests queue on the session's lock,
# each holding an FPM worker: the 4 workers are held, nginx answers 502
# (EAGAIN) to everyone else. The pool has the FPM slow log on
# (request_slowlog_timeout = 2s). Takes about 35 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup session-lock "${1:-}"
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
SID=7m2q9c4k1v0b3n8x5z6l
SESSION_CLIENTS=8
BURST=10

lc_write_php_app
sc_write_extras
mkdir -p "$LC_PREFIX/sessions"
lc_is_root && chown "$LC_RUN_USER" "$LC_PREFIX/sessions"
cat >"$LC_PREFIX/www/cart-total.php" <<'PHP'
<?php
// The cart's total: read the cart from the session, price it with the
// current promotions (slow), write the total back. The session stays open
// (and locked) the whole time.
session_start();
$cart = $_SESSION['cart'] ?? [42 => 1];
usleep(1500000); // pricing
$_SESSION['total'] = 9.99 * array_sum($cart);
header('Content-Type: application/json');
echo json_encode(['total' => $_SESSION['total']]), "\n";
PHP
chmod a+r "$LC_PREFIX/www/cart-total.php"
sc_start_small_pool 2s "php_admin_value[session.save_handler] = files
php_admin_value[session.save_path] = $LC_PREFIX/sessions"
sc_smoke / /product.php?id=3

# one browser's tabs: N loops of requests with the same session cookie
sc_session_tab() {
	local until=$1 i
	for ((i = 0; i < 40; i++)); do
		[ "$(date +%s)" -lt "$until" ] || break
		curl -s -o /dev/null --interface 127.0.0.77 --max-time 25 -b "PHPSESSID=$SID" \
			-A 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' \
			-H "Host: shop.example.test" -w "%{http_code} %{time_total} GET /cart-total.php\n" \
			"$(lc_url /cart-total.php)" || echo "000 - GET /cart-total.php"
	done
}
sc_session_tabs() {
	local until k pids=()
	until=$(($(date +%s) + BURST))
	for ((k = 0; k < SESSION_CLIENTS; k++)); do
		sc_session_tab "$until" >>"$LC_PREFIX/load/session.txt" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

sc_mark "healthy traffic starts (5 req/s for 38 s, in the background)"
sc_start_clock
sc_load_bg healthy 38 5 16
sc_sleep_until 9
sc_incident_begin "one browser (127.0.0.77, session $SID) sends $SESSION_CLIENTS concurrent requests to /cart-total.php in a loop for $BURST s"
sc__addload session
lc_run sc_session_tabs
sc_incident_end "the browser stops (its last requests answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped"
sc_stop

sc_check_held_pool 'session_start() ' 3
N_SESSION=$N_HOLD
sc_check_windows 3

SC_TITLE="a session-lock pile-up: one browser's concurrent requests queue on its PHP session, the pool runs out (502, EAGAIN)"
SC_ABOUT="PHP's file sessions hold an exclusive lock on the session file from \`session_start()\` until the
request ends. One browser sends $SESSION_CLIENTS concurrent requests with the same session id to a page
that keeps the session open for ~1.5 s: they run one at a time, the others wait in \`session_start()\`,
each holding a worker. With 4 workers, everyone else gets 502 (EAGAIN)."
SC_SETTINGS=(
	"sessions|\`session.save_handler = files\`, save path under the prefix"
	"/cart-total.php|\`session_start()\`, ~1.5 s of work, no \`session_write_close()\`"
	"incident client|127.0.0.77, cookie \`PHPSESSID=$SID\`, $SESSION_CLIENTS concurrent loops for $BURST s"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**, \`listen.backlog\` 8"
	"\`request_slowlog_timeout\`|**2s**"
)
SC_NOTES="- $N_TRACES slow-log traces, $N_SESSION waiting in \`session_start()\`; the others are the lock's holder
  at work (\`usleep()\`)."
sc_finish
