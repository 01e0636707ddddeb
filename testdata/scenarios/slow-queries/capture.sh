#!/usr/bin/env bash
# testdata/scenarios/slow-queries/capture.sh [OUTDIR]
#
# Slow SQL exhausts the PHP-FPM pool: a real MariaDB (Debian's mariadb-server,
# its own datadir under the prefix, unix socket only, slow_query_log=1,
# long_query_time=1) behind the shop; /report.php runs a ~3 s query. Normal
# traffic, then ~15 s of many clients with 40 % of requests on /report.php:
# all 4 FPM workers wait on MariaDB, the socket's backlog fills, nginx gets
# EAGAIN and answers 502, php-fpm logs `server reached pm.max_children`, and
# the slow log fills with that query class. Then normal traffic again.
# Copies access.log, error.log, php-fpm.log, mysql-slow.log, mysql-error.log
# and CAPTURE.md into OUTDIR (default: this directory). Exits 1 if the
# failure was not reproduced. Takes about 60 s (plus the MariaDB packages
# the first time).
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup slow-queries "${1:-}"
SC_USES_MARIADB=1
SC_FILES=(access.log error.log php-fpm.log mysql-slow.log mysql-error.log)

ROWS=20000
PENDING_SLEEP=0.5 # per matching row; 6 matching rows -> ~3 s
INCIDENT_RATE=15
INCIDENT_PAR=60
INCIDENT_REPORT_PCT=40

lc_ensure_mariadb
lc_write_mariadb_conf long_query_time=1 slow_query_log=1 max_connections=50
lc_start_mariadb
lc_mysql <<SQL || lc_die "cannot create the shop database"
CREATE DATABASE shop;
CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-secret';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'localhost';
USE shop;
CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price DECIMAL(10,2) NOT NULL) ENGINE=InnoDB;
INSERT INTO products SELECT seq, CONCAT('Product ', seq), 9.99 + seq FROM seq_1_to_200;
CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  status VARCHAR(16) NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  created_at DATETIME NOT NULL
) ENGINE=InnoDB;
INSERT INTO orders
  SELECT seq, 1 + seq % 500,
         IF(seq % 3331 = 0, 'pending', ELT(1 + seq % 4, 'paid', 'shipped', 'delivered', 'refunded')),
         10 + (seq * 37) % 290, NOW() - INTERVAL (seq % 90) DAY
  FROM seq_1_to_$ROWS;
SQL
N_PENDING=$(lc_mysql -N shop -e "SELECT COUNT(*) FROM orders WHERE status = 'pending'")

lc_write_php_app
sc_write_extras
cat >"$LC_PREFIX/www/db.php" <<PHP
<?php
function db()
{
    static \$pdo = null;
    if (\$pdo === null) {
        \$pdo = new PDO('mysql:unix_socket=$LC_MARIADB_SOCK;dbname=shop;charset=utf8mb4', 'app', 'app-secret',
            [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    }
    return \$pdo;
}
PHP
sc_write_product_page /db.php
cat >"$LC_PREFIX/www/report.php" <<PHP
<?php
// "Pending orders by customer" back-office report. The status column has no
// index and each matching row waits on a slow function: ~3 s per call.
require __DIR__ . '/db.php';
\$rows = db()->query("SELECT o.customer_id, COUNT(*) AS n, SUM(o.total) AS revenue FROM orders o WHERE o.status = 'pending' AND SLEEP($PENDING_SLEEP) = 0 GROUP BY o.customer_id")->fetchAll(PDO::FETCH_ASSOC);
header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>Pending orders</title><p>', count(\$rows), " customers with pending orders</p>\n";
PHP
chmod -R a+rX "$LC_PREFIX/www"

lc_write_fpm_conf pm=dynamic max_children=4 start_servers=3 min_spare=2 max_spare=4 backlog=8
lc_write_nginx_conf
lc_start_fpm
lc_start_nginx
sc_smoke / /product.php?id=3
T_REPORT=$( { /usr/bin/time -f %e curl -s -o /dev/null --max-time 10 -H 'Host: shop.example.test' "$(lc_url /report.php)"; } 2>&1)
# the smoke-test report is in the slow log: start both MariaDB logs' "incident" part after it
: >"$LC_PREFIX/logs/access.log"

sc_pick_incident() {
	local ip=127.0.0.$((101 + RANDOM % 60))
	if [ $((RANDOM % 100)) -lt $INCIDENT_REPORT_PCT ]; then
		echo "$ip 25 GET /report.php"
	else
		# shellcheck disable=SC2046 # split on purpose: IP MAXTIME METHOD PATH
		set -- $(sc_pick_healthy)
		echo "$ip 25 $3 $4"
	fi
}

sc_mark "healthy traffic starts (5 req/s for 52 s, in the background)"
sc_start_clock
sc_load_bg healthy 52 5 8
sc_sleep_until 17
sc_incident_begin "month-end reporting: $INCIDENT_RATE req/s for 15 s from up to $INCIDENT_PAR clients, $INCIDENT_REPORT_PCT % on /report.php (a ~3 s query)"
sc_load incident 15 $INCIDENT_RATE $INCIDENT_PAR sc_pick_incident
sc_incident_end "incident load ends (all its requests answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and mariadbd stopped (mariadbd with SIGTERM)"
sc_stop

N502=$(sc_status_count 502)
N504=$(sc_status_count 504)
N499=$(sc_status_count 499)
NREPORT200=$(awk -F'\t' '$4 == "/report.php" && $2 == 200' "$LC_PREFIX/acc.tsv" | wc -l)
sc_expect "502 responses" "$N502" '>=10'
sc_key error.log 'connect() to unix:' 
sc_key error.log 'failed (11: Resource temporarily unavailable) while connecting to upstream' '>=10'
N_EAGAIN=$SC_N
sc_key error.log 'upstream timed out'
N_TIMEDOUT=$SC_N
sc_key php-fpm.log 'server reached pm.max_children setting (4)' '>=1'
sc_key php-fpm.log 'WARNING'
sc_key mysql-slow.log '# Query_time:' '>=8'
N_SLOW=$SC_N
sc_key mysql-slow.log "WHERE o.status = 'pending'" ">=$N_SLOW"
sc_key mysql-slow.log '# Time:'
N_TIMEHDR=$SC_N
sc_key mysql-error.log '[Note] /usr/sbin/mariadbd: ready for connections.' '=1'
sc_key mysql-error.log 'mariadbd: Shutdown complete' '=1'
sc_key mysql-error.log '[Warning]'
sc_key mysql-error.log '[ERROR]' '=0'
sc_check_windows 3

QT=$(grep -o '^# Query_time: [0-9.]*' "$L/mysql-slow.log" | awk '{print $3}' | sort -n | sed -n '1p;$p' | paste -sd' ' | sed 's/ / to /')
RE=$(grep -o 'Rows_examined: [0-9]*' "$L/mysql-slow.log" | sort -u | awk '{print $2}' | paste -sd, -)
MAXCH=$(grep -m1 'max_children' "$L/php-fpm.log" | sc_stamp php-fpm.log)
FIRST_502=$(sc_first_bad 502)
REL=$(sc_rel "$(sc_epoch access.log "$FIRST_502")" "$(sc_epoch php-fpm.log "$MAXCH")")
SLOW_TIMES=$(grep '^# Time:' "$L/mysql-slow.log" | sed 's/^# Time: //' | sed -n '1p;$p' | paste -sd'|' | sed 's/|/` … `/')

SC_TITLE="slow SQL queries exhaust the PHP-FPM pool (502, EAGAIN) — with MariaDB's slow log"
SC_ABOUT="A real MariaDB serves the shop. /report.php runs an aggregate over \`orders\` ($ROWS rows, no index on
\`status\`) whose matching rows each wait ${PENDING_SLEEP} s (\`SLEEP()\` stands in for a slow disk/lock): ~3 s
per call (${T_REPORT} s measured through nginx before the capture). Under a burst of traffic with many
reports, all ${FPM_MAX:-4} php-fpm workers sit waiting on MariaDB, the socket's backlog (8) fills up and nginx
answers 502; MariaDB's slow log fills with the report query."
SC_SETTINGS=(
	"MariaDB|\`$MARIADB_V\`, datadir under the prefix (mariadb-install-db), unix socket only (\`skip-networking\`), run as \`mysql\`"
	"\`slow_query_log\` / \`long_query_time\`|1 / **1** s (\`log_output = FILE\`, default \`log_slow_verbosity\`)"
	"\`max_connections\`|50"
	"/report.php|\`SELECT o.customer_id, COUNT(*) AS n, SUM(o.total) AS revenue FROM orders o WHERE o.status = 'pending' AND SLEEP($PENDING_SLEEP) = 0 GROUP BY o.customer_id\` ($N_PENDING pending rows)"
	"/product.php|PDO, \`SELECT id, name, price FROM products WHERE id = ?\` (primary key)"
	"\`pm\` / \`pm.max_children\`|dynamic / **4** (start 3, spare 2–4)"
	"\`listen\`|unix socket, \`listen.backlog\` **8**"
	"\`fastcgi_read_timeout\`|30s"
	"incident load|$INCIDENT_RATE req/s for 15 s, ≤$INCIDENT_PAR concurrent (127.0.0.101–160), $INCIDENT_REPORT_PCT % /report.php, curl \`--max-time\` 25"
	"php-fpm \`log_level\` / nginx \`error_log\` level|notice / warn"
)
SC_NOTES="- The chain is visible in three logs: nginx \`connect() to unix:… failed (11: Resource temporarily
  unavailable)\` ($N_EAGAIN) for the $N502 502s; php-fpm \`server reached pm.max_children setting (4)\` at
  $MAXCH, $REL the first 502 (\`$FIRST_502\`); MariaDB's slow log: $N_SLOW entries, all the report
  query, \`Query_time\` $QT s, \`Rows_examined\` $RE.
- 504: $N504, 499: $N499, upstream timeouts: $N_TIMEDOUT: over a unix socket the overflow is refused at once
  (EAGAIN), requests that got into the backlog waited but within the 30 s read timeout.
  /report.php still answered 200 $NREPORT200 times.
- MariaDB's slow-log stamps are local time without a zone, \`# Time: YYMMDD H:MM:SS\` with the hour
  **space-padded** (here \`$(grep -m1 '^# Time:' "$L/mysql-slow.log")\`; a one-digit hour gives two spaces), and
  \`# Time:\` is written only when the second changes: entries in the same second share one header
  ($N_TIMEHDR \`# Time:\` lines for $N_SLOW entries; first/last: \`$SLOW_TIMES\`). \`SET timestamp=N;\` carries
  epoch seconds. The slow log is written when a query ends, so an entry's time is the query's end.
- The slow log starts with its header (\`/usr/sbin/mariadbd, Version: … started with:\` …) and has one
  entry before the traffic: the smoke-test call of /report.php that measured its duration.
- mysql-error.log holds only MariaDB's start-up and shut-down (\`[Note]\` lines; \`ready for
  connections.\` followed by a \`Version: …\` line; \`Shutdown complete\`): slow queries are not errors,
  and the schema set-up (CREATE/INSERT) logs nothing there."
sc_finish
