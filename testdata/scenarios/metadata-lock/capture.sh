#!/usr/bin/env bash
# testdata/scenarios/metadata-lock/capture.sh [OUTDIR]
#
# A metadata-lock pile-up: a session keeps a transaction open that read
# `products`, a deploy runs `ALTER TABLE products ADD COLUMN …`, which
# waits for that transaction's metadata lock, and every later query on
# `products` queues behind the ALTER ("Waiting for table metadata lock").
# The product pages hold the 4 FPM workers; nginx answers 502 (EAGAIN).
# Lock waits are left out of the long_query_time comparison: the waiting
# SELECTs never reach MariaDB's slow log, only PHP-FPM's slow log
# (request_slowlog_timeout = 2s) shows where they waited.
# The logs are laid out as a server's /var/log. Takes about 40 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup metadata-lock "${1:-}"
SC_LAYOUT=varlog
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
HOLD=13

lc_write_php_app
sc_write_extras
sc_shop_db
sc_start_small_pool 2s
sc_smoke / /product.php?id=3

# the open transaction that read products
sc_hold_mdl() {
	{
		echo "BEGIN; SELECT COUNT(*) FROM products;"
		sleep "$HOLD"
		echo "COMMIT;"
	} | lc_mysql shop >/dev/null
}
sc_alter() { lc_mysql shop -e "ALTER TABLE products ADD COLUMN note VARCHAR(32) NULL"; }

sc_mark "healthy traffic starts (5 req/s for 34 s, in the background)"
sc_start_clock
sc_load_bg healthy 34 5 16
sc_sleep_until 8
sc_mark "a session opens a transaction that reads products, and stays in it for $HOLD s"
lc_bg sc_hold_mdl
HOLDER=$LC_BG_LAST
sc_sleep_until 9
sc_incident_begin "a deploy runs ALTER TABLE products ADD COLUMN note …: it waits for the metadata lock, later queries on products queue behind it"
lc_bg sc_alter
ALTER=$LC_BG_LAST
sc_snapshot_config
sc_wait "$HOLDER"
sc_wait "$ALTER"
sc_incident_end "the transaction commits; the ALTER runs, the queued queries go through"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and mariadbd stopped"
sc_stop

sc_check_held_pool 'execute() '
N_EXEC=$N_HOLD
sc_key mysql-slow.log 'FROM products WHERE id' '=0'
sc_key mysql-slow.log 'ALTER TABLE'
N_ALTER=$SC_N
sc_key mysql-error.log '[ERROR]' '=0'
sc_check_windows 3

SC_TITLE="a metadata-lock pile-up behind ALTER TABLE: product pages wait in MariaDB, the slow log shows nothing (502, EAGAIN)"
SC_ABOUT="A session keeps a transaction open that read \`products\`; an \`ALTER TABLE products ADD COLUMN\` waits for
its metadata lock, and every product page's \`SELECT … FROM products\` queues behind the ALTER. The 4
workers are held, nginx answers 502 (EAGAIN). The waits are lock time, which MariaDB leaves out of the
\`long_query_time\` comparison: the slow log has none of the waiting SELECTs."
SC_SETTINGS=(
	"MariaDB|\`$MARIADB_V\`, \`long_query_time\` 1, \`lock_wait_timeout\` default (86400)"
	"holder|\`BEGIN; SELECT COUNT(*) FROM products;\`, idle $HOLD s, \`COMMIT\`"
	"deploy|\`ALTER TABLE products ADD COLUMN note VARCHAR(32) NULL\` 1 s later"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**, \`listen.backlog\` 8"
	"\`request_slowlog_timeout\`|**2s**"
)
SC_NOTES="- Laid out as a server's /var/log: \`var/log/nginx/{access,error}.log\`, \`var/log/php8.2-fpm.log\`,
  \`var/log/php8.2-fpm.slow.log\`, \`var/log/mysql/{error,mariadb-slow}.log\`, plus \`dpkg.log\`,
  \`apt/history.log\` and a binary \`wtmp\` (see db-unresponsive).
- $N_TRACES slow-log traces, $N_EXEC in \`execute()\` (the product page's SELECT); MariaDB's slow log has no
  product SELECT, and $N_ALTER line(s) with the ALTER."
sc_finish
