#!/usr/bin/env bash
# testdata/scenarios/db-unresponsive/capture.sh [OUTDIR]
#
# The database stops answering: mariadbd is frozen with SIGSTOP for 12 s
# (what an I/O stall or a hung host looks like from PHP), then resumed
# with SIGCONT. The product page opens a PDO connection per request with
# PHP's default timeouts: each one waits in the connection handshake
# (MariaDB's socket still accepts, nobody answers), the 4 FPM workers are
# all held, the socket's backlog fills and nginx answers 502 (EAGAIN).
# MariaDB itself logs nothing. The pool has the FPM slow log on
# (request_slowlog_timeout = 2s): its traces are the witness.
# The logs are laid out as a server's /var/log (nginx/, mysql/,
# php8.2-fpm.log, php8.2-fpm.slow.log, and unrelated dpkg.log,
# apt/history.log, wtmp). Takes about 40 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup db-unresponsive "${1:-}"
SC_LAYOUT=varlog
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
FREEZE=12

lc_write_php_app
sc_write_extras
sc_shop_db
sc_start_small_pool 2s
sc_smoke / /product.php?id=3

sc_mark "healthy traffic starts (5 req/s for 34 s, in the background)"
sc_start_clock
sc_load_bg healthy 34 5 16
sc_sleep_until 9
sc_incident_begin "mariadbd (pid $LC_MARIADB_PID) frozen with SIGSTOP"
kill -STOP "$LC_MARIADB_PID"
sc_snapshot_config
sc_sleep_until $((9 + FREEZE))
kill -CONT "$LC_MARIADB_PID"
sc_incident_end "mariadbd resumed with SIGCONT after $FREEZE s"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx, php-fpm and mariadbd stopped"
sc_stop

sc_check_held_pool '__construct() '
N_CONNECT=$N_HOLD
N_SLOW=$(grep -c "executing too slow" "$L/php-fpm.log")
sc_key mysql-error.log '[ERROR]' '=0'
sc_key mysql-slow.log '# Query_time:'
sc_check_windows 3

SC_TITLE="the database stops answering (mariadbd frozen with SIGSTOP): PHP waits in the connection handshake, the pool runs out (502, EAGAIN)"
SC_ABOUT="mariadbd is frozen with SIGSTOP for $FREEZE s under normal traffic, then resumed. Its unix socket
still accepts connections (the kernel queues them) but nothing answers: \`new PDO(...)\` waits for the
server's greeting, with PHP's default timeouts (default_socket_timeout 60 s). Every product page holds
a worker; with 4 workers and a backlog of 8 nginx answers 502 (EAGAIN). MariaDB logs nothing; the
FPM slow log (request_slowlog_timeout = 2s) shows where the requests waited."
SC_SETTINGS=(
	"MariaDB|\`$MARIADB_V\`, unix socket only, \`long_query_time\` 1"
	"freeze|\`kill -STOP\` on mariadbd for $FREEZE s, then \`kill -CONT\`"
	"lib/db.php|\`new PDO('mysql:unix_socket=…')\`, no \`PDO::ATTR_TIMEOUT\`, one connection per request"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**"
	"\`listen.backlog\`|8"
	"\`request_slowlog_timeout\` / \`slowlog\`|**2s** / /var/log/php8.2-fpm.slow.log in the capture"
	"\`fastcgi_read_timeout\`|30s"
	"healthy load|5 req/s, curl \`--max-time\` 25"
)
SC_NOTES="- Laid out as a server's /var/log: \`var/log/nginx/{access,error}.log\`, \`var/log/php8.2-fpm.log\`,
  \`var/log/php8.2-fpm.slow.log\`, \`var/log/mysql/{error,mariadb-slow}.log\`, and files that are no log of the stack:
  \`dpkg.log\` and \`apt/history.log\` (the last lines of the capturing machine's own, or lines in their format),
  and a binary \`wtmp\` (three utmp records written by the script).
- $N_TRACES slow-log traces, $N_CONNECT of them with a \`__construct()\` frame (PDO's constructor); php-fpm.log
  has $N_SLOW \`executing too slow\` warnings. MariaDB's error log has no line about the freeze."
sc_finish
