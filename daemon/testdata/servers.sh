#!/usr/bin/env bash
# daemon/testdata/servers.sh -- a real nginx and php-fpm on loopback for the
# daemon's real-server tests (testdata/harness/lib.sh: private prefix, stopped
# by PID). /index.php answers 200; /down.php is passed to a PHP-FPM socket
# nobody listens on: a 502, as when php-fpm is stopped, at once.
# Prints "READY <logs dir> <port>" and keeps the servers until stdin closes.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../testdata/harness/lib.sh"
lc_init logcause-daemon
lc_ensure_packages
lc_pick_port
lc_write_php_app
lc_write_fpm_conf
lc_write_nginx_conf error_level=error "server_extra=        location = /down.php {
            fastcgi_pass unix:$LC_PREFIX/run/stopped-fpm.sock;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
        }"
lc_start_fpm
lc_start_nginx
echo "READY $LC_PREFIX/logs $LC_PORT"
read -r _ || true
