#!/usr/bin/env bash
# testdata/scenarios/row-lock-waits/capture.sh [OUTDIR]
#
# Row-lock waits hold the PHP workers: a session opens a transaction,
# updates the stock row of a best-seller and then sits idle in it for
# 12 s (a job that forgot to commit, a transaction held across a slow
# call). Every checkout updates the same row and waits on its lock
# (InnoDB's innodb_lock_wait_timeout, 50 s by default); the 4 FPM workers
# are held, the socket's backlog fills and nginx answers 502 (EAGAIN).
# Row-lock waits count as query time: the checkouts reach MariaDB's slow
# log (Query_time ≈ the wait, Lock_time ≈ 0) once the lock is released.
# The pool has the FPM slow log on (request_slowlog_timeout = 2s).
# Takes about 40 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup row-lock-waits "${1:-}"
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
SC_HEALTHY_EXTRA=(/checkout.php)
HOLD=12

lc_write_php_app
sc_write_extras
sc_shop_db
cat >"$LC_PREFIX/www/checkout.php" <<'PHP'
<?php
// Checkout: takes one item of the best-seller off the stock.
require __DIR__ . '/lib/db.php';
$st = db()->prepare('UPDATE stock SET qty = qty - 1 WHERE sku = ?');
$st->execute([42]);
header('Content-Type: application/json');
echo json_encode(['ordered' => 42]), "\n";
PHP
chmod a+r "$LC_PREFIX/www/checkout.php"
sc_start_small_pool 2s
sc_smoke / /product.php?id=3 /checkout.php

# holder: BEGIN; UPDATE the row; idle in the transaction; ROLLBACK
sc_hold_row() {
	{
		echo "BEGIN; UPDATE stock SET qty = qty - 1 WHERE sku = 42;"
		sleep "$HOLD"
		echo "ROLLBACK;"
	} | lc_mysql shop
}

sc_mark "healthy traffic starts (5 req/s for 34 s, 25 % on /checkout.php, in the background)"
sc_start_clock
sc_load_bg healthy 34 5 16
sc_sleep_until 9
sc_incident_begin "a session updates stock row sku=42 and stays idle in its transaction for $HOLD s"
lc_bg sc_hold_row
HOLDER=$LC_BG_LAST
sc_snapshot_config
sc_wait "$HOLDER"
sc_incident_end "the session rolls back: the lock is released"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and mariadbd stopped"
sc_stop

sc_check_held_pool 'execute() '
N_EXEC=$N_HOLD
sc_key mysql-slow.log 'UPDATE stock SET qty = qty - 1 WHERE sku' '>=4'
N_SLOWUPD=$SC_N
sc_key mysql-error.log '[ERROR]' '=0'
sc_check_windows 3
QT=$(grep -o '^# Query_time: [0-9.]*  Lock_time: [0-9.]*' "$L/mysql-slow.log" | sort -k3 -n | tail -n 1)

SC_TITLE="row-lock waits: checkouts queue on one stock row held by an idle transaction, the pool runs out (502, EAGAIN)"
SC_ABOUT="A session updates the best-seller's stock row and stays idle in its transaction for $HOLD s. Each
checkout (\`UPDATE stock … WHERE sku = 42\`, 25 % of the traffic) waits on that row's lock; the 4 workers
are held and nginx answers 502 (EAGAIN). When the session rolls back, the waiting updates finish and
reach the slow log: a row-lock wait counts as query time."
SC_SETTINGS=(
	"MariaDB|\`$MARIADB_V\`, \`long_query_time\` 1, \`innodb_lock_wait_timeout\` default (50)"
	"holder|\`BEGIN; UPDATE stock SET qty = qty - 1 WHERE sku = 42;\` then idle $HOLD s, \`ROLLBACK\`"
	"/checkout.php|PDO \`UPDATE stock SET qty = qty - 1 WHERE sku = ?\`"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**, \`listen.backlog\` 8"
	"\`request_slowlog_timeout\`|**2s**"
)
SC_NOTES="- $N_TRACES slow-log traces, $N_EXEC in \`execute()\`; $N_SLOWUPD checkout updates in MariaDB's slow log,
  the longest \`$QT\`: the wait is query time, not lock time.
- The holder session logs nothing: it is idle in its transaction, running no query."
sc_finish
