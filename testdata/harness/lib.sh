# shellcheck shell=bash
# testdata/harness/lib.sh -- helpers for scripts that capture REAL logs from a
# real nginx + php-fpm stack running in a private temporary prefix.
#
# Source it from a bash script:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/../harness/lib.sh"
#     lc_init                      # installs the cleanup trap, creates $LC_PREFIX
#     lc_ensure_packages           # apt-get installs what is missing (root only)
#     lc_write_php_app / lc_write_nginx_conf / lc_write_fpm_conf
#     lc_start_fpm; lc_start_nginx # daemons, pids in $LC_PREFIX/run/
#     ... generate load against http://127.0.0.1:$LC_PORT ...
#     lc_stop_all                  # also done by the EXIT trap
#
# Rules this file keeps:
#   * nothing is written to /etc and no system service is started, stopped or
#     asked about (no systemctl, no service, no nginx -s): the daemons read
#     configs from $LC_PREFIX, write their pid, socket and logs there, and are
#     stopped by the pid they wrote;
#   * nginx listens on 127.0.0.1 only; load helpers only target 127.0.0.1;
#   * every loop is bounded (counts and --max-time / timeouts);
#   * the EXIT/INT/TERM trap stops whatever was started, even on failure.
#
# Tunables (environment, all optional):
#   LC_PORT        first port to try for nginx (default 18480; the next free one
#                  of 20 is used)
#   LC_TZ          TZ given to nginx and php-fpm (default: inherited)
#   LC_RUN_USER    user for nginx workers and the FPM pool when run as root
#                  (default www-data)
#   LC_KEEP_PREFIX 1 = do not delete $LC_PREFIX at exit (it is always kept when
#                  the script fails, so its logs can be read)
#   LC_QUIET       1 = less chatter on stderr

LC_PORT=${LC_PORT:-18480}
LC_TZ=${LC_TZ:-}
LC_RUN_USER=${LC_RUN_USER:-www-data}
LC_KEEP_PREFIX=${LC_KEEP_PREFIX:-0}
LC_QUIET=${LC_QUIET:-0}

LC_PREFIX=""          # private prefix dir, set by lc_init
LC_NGINX_PID=""       # pid of the nginx master we started
LC_FPM_PID=""         # pid of the php-fpm master we started
LC_BG_PIDS=()         # background helper processes we started (load generators)
LC_APT_UPDATED=0
LC_FAILED=0

lc_log() { [ "$LC_QUIET" = 1 ] || printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
lc_warn() { printf '[%s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
lc_die() {
	printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2
	LC_FAILED=1
	exit 1
}

lc_is_root() { [ "$(id -u)" -eq 0 ]; }

# ---------------------------------------------------------------------------
# setup / teardown

# lc_init [NAME]: create the private prefix and install the cleanup trap.
lc_init() {
	local name=${1:-logcause-harness}
	LC_PREFIX=$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX") || lc_die "mktemp failed"
	mkdir -p "$LC_PREFIX"/{conf,logs,run,www,tmp,load}
	# nginx workers and FPM children run as $LC_RUN_USER: they need to traverse
	# the prefix, read the docroot and write nginx's temp dirs.
	chmod 755 "$LC_PREFIX" "$LC_PREFIX"/{conf,logs,run,www,load}
	if lc_is_root && id "$LC_RUN_USER" >/dev/null 2>&1; then
		chown "$LC_RUN_USER" "$LC_PREFIX/tmp"
	else
		chmod 777 "$LC_PREFIX/tmp"
	fi
	# unix socket paths are limited to 107 bytes
	[ ${#LC_PREFIX} -lt 80 ] || lc_die "prefix path too long for a unix socket: $LC_PREFIX (set TMPDIR=/tmp)"
	trap 'lc__on_exit $?' EXIT
	trap 'lc_warn "interrupted"; exit 130' INT
	trap 'lc_warn "terminated"; exit 143' TERM
	lc_log "prefix: $LC_PREFIX"
}

lc__on_exit() {
	local rc=$1
	trap - EXIT INT TERM
	lc_stop_all
	if [ "$rc" -ne 0 ] || [ "$LC_FAILED" = 1 ]; then
		[ -n "$LC_PREFIX" ] && [ -d "$LC_PREFIX" ] && lc_warn "failed (exit $rc); work dir kept for inspection: $LC_PREFIX"
	elif [ "$LC_KEEP_PREFIX" = 1 ]; then
		lc_log "work dir kept: $LC_PREFIX"
	elif [ -n "$LC_PREFIX" ] && [ -d "$LC_PREFIX" ]; then
		rm -rf -- "$LC_PREFIX"
	fi
	exit "$rc"
}

# lc_stop_all: stop load generators, nginx, php-fpm (in that order). Idempotent.
lc_stop_all() {
	local p
	for p in "${LC_BG_PIDS[@]}"; do lc_kill_tree "$p"; done
	LC_BG_PIDS=()
	lc_stop_nginx
	lc_stop_fpm
	[ -z "$LC_MARIADB_PID" ] || lc_stop_mariadb # only if lc_start_mariadb was used
}

# ---------------------------------------------------------------------------
# packages

# lc_fpm_bin: path of the php-fpm binary (php-fpm8.2 preferred).
lc_fpm_bin() {
	local b
	for b in php-fpm8.2 php-fpm; do
		command -v "$b" 2>/dev/null && return 0
		[ -x "/usr/sbin/$b" ] && { echo "/usr/sbin/$b"; return 0; }
	done
	b=$(printf '%s\n' /usr/sbin/php-fpm[0-9]* | grep -v '\*' | sort -V | tail -n 1)
	[ -n "$b" ] && { echo "$b"; return 0; }
	return 1
}

lc_nginx_bin() {
	command -v nginx 2>/dev/null && return 0
	[ -x /usr/sbin/nginx ] && { echo /usr/sbin/nginx; return 0; }
	return 1
}

lc__apt_update_once() {
	[ "$LC_APT_UPDATED" = 1 ] && return 0
	lc_log "apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -qq >"${LC_PREFIX:-/tmp}/apt-update.out" 2>&1 ||
		{ cat "${LC_PREFIX:-/tmp}/apt-update.out" >&2; lc_die "apt-get update failed"; }
	LC_APT_UPDATED=1
}

# lc__apt_install PKG...: install without starting any service (a temporary
# policy-rc.d is used only if the system has none).
lc__apt_install() {
	local made_policy=0 rc
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\n# temporary, logcause harness: do not start services\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
		>"${LC_PREFIX:-/tmp}/apt-install.out" 2>&1
	rc=$?
	[ $rc -eq 0 ] || cat "${LC_PREFIX:-/tmp}/apt-install.out" >&2
	[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
	return $rc
}

# lc_ensure_packages: nginx (nginx-light, else nginx), php8.2-fpm (else
# php-fpm), curl, tzdata. Silent when everything is already there.
lc_ensure_packages() {
	local need=()
	lc_nginx_bin >/dev/null || need+=(nginx)
	lc_fpm_bin >/dev/null || need+=(fpm)
	command -v curl >/dev/null 2>&1 || need+=(curl)
	[ -e /usr/share/zoneinfo/Europe/Paris ] || need+=(tzdata)
	[ ${#need[@]} -eq 0 ] && return 0
	lc_is_root || lc_die "missing ${need[*]}; run as root (or install: nginx-light php8.2-fpm curl tzdata)"
	command -v apt-get >/dev/null 2>&1 || lc_die "missing ${need[*]} and no apt-get"
	lc__apt_update_once
	local n
	for n in "${need[@]}"; do
		case $n in
		nginx)
			lc_log "installing nginx-light"
			lc__apt_install nginx-light || lc__apt_install nginx || lc_die "cannot install nginx"
			;;
		fpm)
			lc_log "installing php8.2-fpm"
			lc__apt_install php8.2-fpm || lc__apt_install php-fpm || lc_die "cannot install php-fpm"
			;;
		curl | tzdata)
			lc_log "installing $n"
			lc__apt_install "$n" || lc_die "cannot install $n"
			;;
		esac
	done
	lc_nginx_bin >/dev/null || lc_die "nginx still missing after install"
	lc_fpm_bin >/dev/null || lc_die "php-fpm still missing after install"
}

lc_nginx_version() { "$(lc_nginx_bin)" -v 2>&1 | sed 's/^nginx version: //'; }
lc_fpm_version() { "$(lc_fpm_bin)" -v 2>/dev/null | head -n 1; }

# ---------------------------------------------------------------------------
# processes

lc_pid_alive() {
	local pid=$1 st
	[ -n "$pid" ] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# a zombie (not yet reaped by its new parent) counts as gone
	st=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# lc_wait_gone PID SECONDS: wait (bounded) until PID is gone.
lc_wait_gone() {
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 10; i++)); do
		lc_pid_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# lc_stop_pid NAME PID SIG [SECONDS]: send SIG, wait, escalate to TERM then KILL.
lc_stop_pid() {
	local name=$1 pid=$2 sig=$3 secs=${4:-10}
	lc_pid_alive "$pid" || return 0
	lc_log "stopping $name (pid $pid, SIG$sig)"
	kill -"$sig" "$pid" 2>/dev/null
	lc_wait_gone "$pid" "$secs" && return 0
	lc_warn "$name (pid $pid) still running after ${secs}s; SIGTERM"
	kill -TERM "$pid" 2>/dev/null
	lc_wait_gone "$pid" 5 && return 0
	lc_warn "$name (pid $pid) still running; SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	lc_wait_gone "$pid" 5 || lc_warn "$name (pid $pid) would not die"
}

# lc_children PID: direct children of PID.
lc_children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' '; }

# lc_kill_tree PID: SIGTERM PID and all its descendants (by pid only).
lc_kill_tree() {
	local pid=$1 c
	[ -n "$pid" ] || return 0
	for c in $(lc_children "$pid"); do lc_kill_tree "$c"; done
	kill -TERM "$pid" 2>/dev/null || true
}

# lc_bg CMD...: run CMD (a command or shell function) in the background and
# remember its pid for cleanup. Sets LC_BG_LAST.
lc_bg() {
	"$@" &
	LC_BG_LAST=$!
	LC_BG_PIDS+=("$LC_BG_LAST")
}

# lc_run CMD...: run CMD in the background and wait for it. Unlike a plain
# foreground command, the wait is cut short by INT/TERM, so the trap can stop
# CMD's whole process tree (load generators) and the daemons at once.
lc_run() {
	local pid rc p keep=()
	lc_bg "$@"
	pid=$LC_BG_LAST
	wait "$pid"
	rc=$?
	for p in "${LC_BG_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	LC_BG_PIDS=("${keep[@]}")
	return $rc
}

# lc_pick_port: set LC_PORT to the first port >= LC_PORT nobody listens on.
lc_pick_port() {
	local p=$LC_PORT i
	for ((i = 0; i < 20; i++, p++)); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			LC_PORT=$p
			return 0
		fi
	done
	lc_die "no free port in $LC_PORT..$((LC_PORT + 19)) on 127.0.0.1"
}

# ---------------------------------------------------------------------------
# configs

# lc_write_php_app: a small shop-like PHP app in $LC_PREFIX/www.
#   /index.php            home page (fast)
#   /product.php?id=N     product page (~20 ms)
#   /api/cart.php         JSON (~10 ms; GET or POST)
#   /search.php?q=W       search page (~30 ms)
#   /slow.php             report calling a slow dependency (sleeps LC_SLOW_SECONDS, default 3)
lc_write_php_app() {
	local www=$LC_PREFIX/www slow=${LC_SLOW_SECONDS:-3}
	mkdir -p "$www/api"
	cat >"$www/index.php" <<'EOF'
<?php
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html><title>Demo shop</title><h1>Demo shop</h1><ul>";
for ($i = 1; $i <= 5; $i++) {
    echo "<li><a href=\"/product.php?id=$i\">Product $i</a></li>";
}
echo "</ul>\n";
EOF
	cat >"$www/product.php" <<'EOF'
<?php
$id = isset($_GET['id']) ? (int)$_GET['id'] : 0;
if ($id <= 0) {
    http_response_code(404);
    echo "no such product\n";
    return;
}
usleep(20000); // catalogue lookup
header('Content-Type: text/html; charset=utf-8');
printf("<!doctype html><title>Product %d</title><h1>Product %d</h1><p>Price: %.2f EUR</p>\n",
    $id, $id, 9.99 + $id);
EOF
	cat >"$www/api/cart.php" <<'EOF'
<?php
usleep(10000); // session store
header('Content-Type: application/json');
$items = ($_SERVER['REQUEST_METHOD'] === 'POST') ? 1 : 0;
echo json_encode(['items' => $items, 'total' => 0]), "\n";
EOF
	cat >"$www/search.php" <<'EOF'
<?php
usleep(30000); // search index
$q = isset($_GET['q']) ? $_GET['q'] : '';
header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>Search</title><p>Results for ', htmlspecialchars($q), "</p>\n";
EOF
	cat >"$www/slow.php" <<EOF
<?php
// Simulates a page that waits on a slow dependency (e.g. a remote API):
// the FPM worker is busy but idle on CPU for ~${slow} s.
sleep($slow);
header('Content-Type: text/html; charset=utf-8');
echo "<!doctype html><title>Report</title><p>report ready</p>\n";
EOF
	chmod -R a+rX "$www"
}

# lc_write_fpm_conf [KEY=VALUE...]: write $LC_PREFIX/conf/php-fpm.conf.
# Keys (defaults): pm=dynamic max_children=4 start_servers=2 min_spare=1
# max_spare=3 backlog=8 log_level=notice terminate_timeout=0
# Optional keys (absent = the lines above are all that changes):
#   listen=ADDR        unix socket path or 127.0.0.1:PORT (default
#                      $LC_PREFIX/run/php-fpm.sock); sets $LC_FPM_LISTEN, which
#                      lc_write_nginx_conf and lc_start_fpm follow
#   listen_owner=U listen_group=G listen_mode=M
#                      socket ownership/mode (default, as root: the run user,
#                      its group, 0660)
#   extra=LINES        raw lines appended to the [www] pool
#   global_extra=LINES raw lines appended to the [global] section
#                      (e.g. process_control_timeout)
# The file can be rewritten and php-fpm started again (lc_start_fpm_again).
lc_write_fpm_conf() {
	local pm=dynamic max_children=4 start_servers=2 min_spare=1 max_spare=3
	local backlog=8 log_level=notice terminate_timeout=0 kv
	local listen="" listen_owner="" listen_group="" listen_mode="" extra="" global_extra=""
	for kv in "$@"; do
		case $kv in
		listen=*) listen=${kv#*=} ;;
		global_extra=*) global_extra=${kv#*=} ;;
		listen_owner=*) listen_owner=${kv#*=} ;;
		listen_group=*) listen_group=${kv#*=} ;;
		listen_mode=*) listen_mode=${kv#*=} ;;
		extra=*) extra=${kv#*=} ;;
		pm=*) pm=${kv#*=} ;;
		max_children=*) max_children=${kv#*=} ;;
		start_servers=*) start_servers=${kv#*=} ;;
		min_spare=*) min_spare=${kv#*=} ;;
		max_spare=*) max_spare=${kv#*=} ;;
		backlog=*) backlog=${kv#*=} ;;
		log_level=*) log_level=${kv#*=} ;;
		terminate_timeout=*) terminate_timeout=${kv#*=} ;;
		*) lc_die "lc_write_fpm_conf: unknown setting $kv" ;;
		esac
	done
	LC_FPM_SOCK=$LC_PREFIX/run/php-fpm.sock
	LC_FPM_PIDFILE=$LC_PREFIX/run/php-fpm.pid
	LC_FPM_CONF=$LC_PREFIX/conf/php-fpm.conf
	LC_FPM_LISTEN=${listen:-$LC_FPM_SOCK}
	local userlines=""
	if lc_is_root; then
		id "$LC_RUN_USER" >/dev/null 2>&1 || lc_die "user $LC_RUN_USER does not exist"
		userlines="user = $LC_RUN_USER
group = $(id -gn "$LC_RUN_USER")
listen.owner = ${listen_owner:-$LC_RUN_USER}
listen.group = ${listen_group:-$(id -gn "$LC_RUN_USER")}
listen.mode = ${listen_mode:-0660}"
	else
		[ -n "$listen_owner" ] && userlines+="listen.owner = $listen_owner"$'\n'
		[ -n "$listen_group" ] && userlines+="listen.group = $listen_group"$'\n'
		[ -n "$listen_mode" ] && userlines+="listen.mode = $listen_mode"
	fi
	cat >"$LC_FPM_CONF" <<EOF
; generated by testdata/harness/lib.sh
[global]
pid = $LC_FPM_PIDFILE
error_log = $LC_PREFIX/logs/php-fpm.log
log_level = $log_level
daemonize = yes${global_extra:+
$global_extra}

[www]
$userlines
listen = $LC_FPM_LISTEN
listen.backlog = $backlog
pm = $pm
pm.max_children = $max_children
pm.start_servers = $start_servers
pm.min_spare_servers = $min_spare
pm.max_spare_servers = $max_spare
pm.process_idle_timeout = 10s
request_terminate_timeout = $terminate_timeout
catch_workers_output = yes
decorate_workers_output = yes
clear_env = yes
php_admin_value[error_log] = /dev/stderr
php_admin_flag[log_errors] = on
php_admin_flag[display_errors] = off
EOF
	[ -n "$extra" ] && printf '%s\n' "$extra" >>"$LC_FPM_CONF"
	cat >"$LC_PREFIX/conf/php.ini" <<'EOF'
; generated by testdata/harness/lib.sh
expose_php = Off
max_execution_time = 30
memory_limit = 64M
EOF
	[ -n "$LC_TZ" ] && echo "date.timezone = $LC_TZ" >>"$LC_PREFIX/conf/php.ini"
	return 0
}

# lc_write_nginx_conf [KEY=VALUE...]: write $LC_PREFIX/conf/nginx.conf.
# Keys (defaults): error_level=warn access_format=combined connect_timeout=5s
# send_timeout=30s read_timeout=30s server_name=shop.example.test
# access_format=logcause logs the README's `logcause` log_format (combined
# plus $request_time, the $upstream_* times, status and address, $request_id);
# access_format=json logs `json`: one JSON object a line (escape=json,
# $time_iso8601, $status and the times as numbers, the upstream fields),
# the shape log shippers ask for.
# access_format=msec logs `msec`: combined with $msec (epoch, UTC) in place of
# [$time_local], a log with no zone of its own, readable with the config's
# log_format only.
# Optional keys (absent = not in the file):
#   fastcgi_pass=ADDR        default unix:$LC_FPM_SOCK, or $LC_FPM_LISTEN when
#                            that is host:port
#   fastcgi_buffer_size=SIZE fastcgi_buffers="N SIZE"
#   http_extra=TEXT          raw directives/blocks in http{} (e.g. upstream{})
#   server_extra=TEXT        raw directives/blocks in server{} (e.g. location{})
lc_write_nginx_conf() {
	local error_level=warn connect_timeout=5s send_timeout=30s read_timeout=30s
	local server_name=shop.example.test access_format=combined kv
	local fastcgi_pass="" fcgi_extra="" http_extra="" server_extra=""
	for kv in "$@"; do
		case $kv in
		fastcgi_pass=*) fastcgi_pass=${kv#*=} ;;
		fastcgi_buffer_size=*) fcgi_extra+="
            fastcgi_buffer_size ${kv#*=};" ;;
		fastcgi_buffers=*) fcgi_extra+="
            fastcgi_buffers ${kv#*=};" ;;
		http_extra=*) http_extra="
${kv#*=}" ;;
		server_extra=*) server_extra="
${kv#*=}" ;;
		error_level=*) error_level=${kv#*=} ;;
		connect_timeout=*) connect_timeout=${kv#*=} ;;
		send_timeout=*) send_timeout=${kv#*=} ;;
		read_timeout=*) read_timeout=${kv#*=} ;;
		server_name=*) server_name=${kv#*=} ;;
		access_format=*) access_format=${kv#*=} ;;
		*) lc_die "lc_write_nginx_conf: unknown setting $kv" ;;
		esac
	done
	case $access_format in combined | logcause | msec | json) ;; *) lc_die "lc_write_nginx_conf: access_format must be combined, logcause, msec or json" ;; esac
	[ -n "${LC_FPM_SOCK:-}" ] || lc_die "lc_write_nginx_conf: call lc_write_fpm_conf first"
	if [ -z "$fastcgi_pass" ]; then
		fastcgi_pass=unix:$LC_FPM_SOCK
		lc__fpm_listen_is_tcp && fastcgi_pass=$LC_FPM_LISTEN
	fi
	LC_NGINX_CONF=$LC_PREFIX/conf/nginx.conf
	LC_NGINX_PIDFILE=$LC_PREFIX/run/nginx.pid
	local userline="" tmp=$LC_PREFIX/tmp
	lc_is_root && userline="user $LC_RUN_USER;"
	# Only the temp paths of modules this build has (nginx-light lacks some).
	local temps="client_body_temp_path $tmp/client_body;
    fastcgi_temp_path $tmp/fastcgi;" v
	v=$("$(lc_nginx_bin)" -V 2>&1)
	grep -q -- '--without-http_proxy_module' <<<"$v" || temps+="
    proxy_temp_path $tmp/proxy;"
	grep -q -- '--without-http_uwsgi_module' <<<"$v" || temps+="
    uwsgi_temp_path $tmp/uwsgi;"
	grep -q -- '--without-http_scgi_module' <<<"$v" || temps+="
    scgi_temp_path $tmp/scgi;"
	cat >"$LC_NGINX_CONF" <<EOF
# generated by testdata/harness/lib.sh
$userline
worker_processes 1;
pid $LC_NGINX_PIDFILE;
error_log $LC_PREFIX/logs/error.log $error_level;
daemon on;

events {
    worker_connections 1024;
}

http {
    log_format logcause '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status \$body_bytes_sent '
                        '"\$http_referer" "\$http_user_agent" rt=\$request_time uct="\$upstream_connect_time" '
                        'uht="\$upstream_header_time" urt="\$upstream_response_time" us="\$upstream_status" ua="\$upstream_addr" rid=\$request_id';
    log_format json escape=json '{"time":"\$time_iso8601","remote_addr":"\$remote_addr","request":"\$request",'
                    '"status":\$status,"body_bytes_sent":\$body_bytes_sent,"request_time":\$request_time,'
                    '"upstream_addr":"\$upstream_addr","upstream_status":"\$upstream_status",'
                    '"upstream_response_time":"\$upstream_response_time","http_referer":"\$http_referer",'
                    '"http_user_agent":"\$http_user_agent","request_id":"\$request_id"}';
    log_format msec '\$msec \$remote_addr - \$remote_user "\$request" \$status \$body_bytes_sent "\$http_referer" "\$http_user_agent"';
    access_log $LC_PREFIX/logs/access.log $access_format;
    default_type text/plain;
    sendfile on;
    keepalive_timeout 15s;
    $temps$http_extra

    server {
        listen 127.0.0.1:$LC_PORT;
        server_name $server_name;
        root $LC_PREFIX/www;
        index index.php;$server_extra

        location / {
            try_files \$uri \$uri/ =404;
        }

        location ~ \.php\$ {
            try_files \$uri =404;
            fastcgi_pass $fastcgi_pass;
            fastcgi_connect_timeout $connect_timeout;
            fastcgi_send_timeout $send_timeout;
            fastcgi_read_timeout $read_timeout;$fcgi_extra
            fastcgi_index index.php;
            fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
            fastcgi_param QUERY_STRING    \$query_string;
            fastcgi_param REQUEST_METHOD  \$request_method;
            fastcgi_param CONTENT_TYPE    \$content_type;
            fastcgi_param CONTENT_LENGTH  \$content_length;
            fastcgi_param SCRIPT_NAME     \$fastcgi_script_name;
            fastcgi_param REQUEST_URI     \$request_uri;
            fastcgi_param DOCUMENT_URI    \$document_uri;
            fastcgi_param DOCUMENT_ROOT   \$document_root;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param REQUEST_SCHEME  \$scheme;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
            fastcgi_param SERVER_SOFTWARE nginx/\$nginx_version;
            fastcgi_param REMOTE_ADDR     \$remote_addr;
            fastcgi_param REMOTE_PORT     \$remote_port;
            fastcgi_param SERVER_ADDR     \$server_addr;
            fastcgi_param SERVER_PORT     \$server_port;
            fastcgi_param SERVER_NAME     \$server_name;
            fastcgi_param REDIRECT_STATUS 200;
        }
    }
}
EOF
}

# lc_copy_config DIR: copy the configs the daemons run with into DIR laid out
# as on a Debian server (DIR/etc/nginx/nginx.conf, DIR/etc/php/X.Y/fpm/php-fpm.conf,
# DIR/etc/mysql/my.cnf), for `logcause analyze --config-root DIR`.
lc_copy_config() {
	local root=$1 phpv
	phpv=$(lc_fpm_version | sed -n 's/^PHP \([0-9]*\.[0-9]*\).*/\1/p')
	rm -rf "$root"
	mkdir -p "$root/etc/nginx" "$root/etc/php/${phpv:-8.2}/fpm" || return 1
	cp "$LC_NGINX_CONF" "$root/etc/nginx/nginx.conf" || return 1
	cp "$LC_FPM_CONF" "$root/etc/php/${phpv:-8.2}/fpm/php-fpm.conf" || return 1
	if [ -n "${LC_MARIADB_CONF:-}" ]; then
		mkdir -p "$root/etc/mysql" && cp "$LC_MARIADB_CONF" "$root/etc/mysql/my.cnf" || return 1
	fi
	chmod -R a+rX "$root"
}

# ---------------------------------------------------------------------------
# daemons

# lc__env: the environment the daemons get (TZ only if LC_TZ is set).
lc__env() {
	if [ -n "$LC_TZ" ]; then env TZ="$LC_TZ" "$@"; else "$@"; fi
}

# lc__wait_for SECONDS TEST...: poll until TEST succeeds (bounded).
lc__wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

lc_start_fpm() {
	local bin
	bin=$(lc_fpm_bin) || lc_die "php-fpm not installed"
	[ -n "${LC_FPM_CONF:-}" ] || lc_die "lc_start_fpm: call lc_write_fpm_conf first"
	local rflag=()
	# -R (allow root) is only needed if the pool would run as root; with a pool
	# user set it is harmless but we keep root workers out of the picture.
	lc_is_root && ! id "$LC_RUN_USER" >/dev/null 2>&1 && rflag=(-R)
	"$bin" -tt --fpm-config "$LC_FPM_CONF" -c "$LC_PREFIX/conf/php.ini" "${rflag[@]}" \
		>"$LC_PREFIX/logs/php-fpm-test.out" 2>&1 ||
		{ cat "$LC_PREFIX/logs/php-fpm-test.out" >&2; lc_die "php-fpm config test failed"; }
	# The -tt run logs its own notices into the configured error_log; start the
	# real log fresh.
	rm -f "$LC_PREFIX/logs/php-fpm.log"
	lc_log "starting php-fpm ($bin)"
	lc__env "$bin" --fpm-config "$LC_FPM_CONF" --prefix "$LC_PREFIX" -c "$LC_PREFIX/conf/php.ini" "${rflag[@]}" \
		>"$LC_PREFIX/logs/php-fpm-start.out" 2>&1 ||
		{ cat "$LC_PREFIX/logs/php-fpm-start.out" "$LC_PREFIX/logs/php-fpm.log" >&2 2>/dev/null; lc_die "php-fpm failed to start"; }
	lc__wait_for 10 test -s "$LC_FPM_PIDFILE" || lc_die "php-fpm wrote no pid file"
	LC_FPM_PID=$(cat "$LC_FPM_PIDFILE")
	if lc__fpm_listen_is_tcp; then
		lc__wait_for 10 lc_tcp_open "$LC_FPM_LISTEN" || lc_die "php-fpm is not listening on $LC_FPM_LISTEN"
	else
		lc__wait_for 10 test -S "$LC_FPM_SOCK" || lc_die "php-fpm socket $LC_FPM_SOCK did not appear"
	fi
	lc_pid_alive "$LC_FPM_PID" || lc_die "php-fpm (pid $LC_FPM_PID) is not running"
	lc_log "php-fpm running, pid $LC_FPM_PID"
}

lc_start_nginx() {
	local bin
	bin=$(lc_nginx_bin) || lc_die "nginx not installed"
	[ -n "${LC_NGINX_CONF:-}" ] || lc_die "lc_start_nginx: call lc_write_nginx_conf first"
	# -e: the error log used before the config is read (else the compiled-in
	# /var/log/nginx/error.log would be opened).
	local early=$LC_PREFIX/logs/nginx-early.log
	"$bin" -t -q -p "$LC_PREFIX/" -e "$early" -c "$LC_NGINX_CONF" 2>"$LC_PREFIX/logs/nginx-test.out" ||
		{ cat "$LC_PREFIX/logs/nginx-test.out" >&2; lc_die "nginx config test failed"; }
	lc_log "starting nginx ($bin) on 127.0.0.1:$LC_PORT"
	lc__env "$bin" -p "$LC_PREFIX/" -e "$early" -c "$LC_NGINX_CONF" 2>"$LC_PREFIX/logs/nginx-start.out" ||
		{ cat "$LC_PREFIX/logs/nginx-start.out" >&2; lc_die "nginx failed to start"; }
	lc__wait_for 10 test -s "$LC_NGINX_PIDFILE" || lc_die "nginx wrote no pid file"
	LC_NGINX_PID=$(cat "$LC_NGINX_PIDFILE")
	lc_pid_alive "$LC_NGINX_PID" || lc_die "nginx (pid $LC_NGINX_PID) is not running"
	lc_log "nginx running, pid $LC_NGINX_PID"
}

# nginx: SIGQUIT = graceful shutdown (workers finish their requests).
lc_stop_nginx() {
	local pid=$LC_NGINX_PID
	[ -z "$pid" ] && [ -n "${LC_NGINX_PIDFILE:-}" ] && [ -s "$LC_NGINX_PIDFILE" ] && pid=$(cat "$LC_NGINX_PIDFILE")
	[ -n "$pid" ] && lc_stop_pid nginx "$pid" QUIT 15
	LC_NGINX_PID=""
}

# php-fpm: SIGQUIT = graceful (children finish their request), then TERM/KILL.
lc_stop_fpm() {
	local pid=$LC_FPM_PID
	[ -z "$pid" ] && [ -n "${LC_FPM_PIDFILE:-}" ] && [ -s "$LC_FPM_PIDFILE" ] && pid=$(cat "$LC_FPM_PIDFILE")
	[ -n "$pid" ] && lc_stop_pid php-fpm "$pid" QUIT 15
	LC_FPM_PID=""
}

# ---------------------------------------------------------------------------
# more process control (failure injection)

# lc__fpm_listen_is_tcp: true when the pool listens on host:port.
lc__fpm_listen_is_tcp() {
	case ${LC_FPM_LISTEN:-} in
	"" | /*) return 1 ;;
	*:*) return 0 ;;
	*) return 1 ;;
	esac
}

# lc_tcp_open HOST:PORT: true when something accepts TCP connections there.
lc_tcp_open() {
	local hp=$1
	(exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
}

# lc_free_port START [COUNT]: print the first port >= START (of COUNT, default
# 50) that nobody listens on and that is not LC_PORT. Does not change LC_PORT.
lc_free_port() {
	local p=$1 n=${2:-50} i
	for ((i = 0; i < n; i++, p++)); do
		[ "$p" = "$LC_PORT" ] && continue
		lc_tcp_open "127.0.0.1:$p" || { echo "$p"; return 0; }
	done
	lc_die "no free port in $1..$(($1 + n - 1)) on 127.0.0.1"
}

# lc_bg_stop PID [SIG]: stop one helper started with lc_bg (its whole tree,
# SIG default TERM), wait for it, and forget it.
lc_bg_stop() {
	local pid=$1 sig=${2:-TERM} p keep=() c
	for c in $(lc_children "$pid"); do kill -"$sig" "$c" 2>/dev/null; done
	kill -"$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	for p in "${LC_BG_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	LC_BG_PIDS=("${keep[@]}")
	return 0
}

# lc_fpm_children: pids of the pool children of the php-fpm we started.
lc_fpm_children() {
	[ -n "$LC_FPM_PID" ] || return 0
	lc_children "$LC_FPM_PID"
}

# lc_fpm_busy_children: the children that are serving a request right now.
# An idle child is blocked in accept() on the pool's socket (or polling it),
# so its kernel wait channel names an accept/poll wait; a busy one is anywhere
# else (sleeping in the script, reading, on CPU).
lc_fpm_busy_children() {
	local c w
	for c in $(lc_fpm_children); do
		w=$(cat "/proc/$c/wchan" 2>/dev/null) || continue
		case $w in
		*accept* | *skb_wait* | *skb_recv* | *wait_for_more* | *poll* | *select*) ;;
		*) echo "$c" ;;
		esac
	done
}

# lc_kill_fpm SIG: send SIG to the php-fpm master and to all its children at
# the same moment (KILL = what the OOM killer does to each of them), wait until
# the master is gone and forget it. The socket file stays when nobody removes
# it (SIGKILL), which is the point.
lc_kill_fpm() {
	local sig=$1 pid=$LC_FPM_PID kids
	[ -n "$pid" ] || return 0
	kids=$(lc_children "$pid")
	lc_log "sending SIG$sig to php-fpm master $pid and children $(echo $kids)"
	# shellcheck disable=SC2086
	kill -"$sig" "$pid" $kids 2>/dev/null
	lc_wait_gone "$pid" 10 || lc_warn "php-fpm master $pid still alive after SIG$sig"
	LC_FPM_PID=""
}

# lc_start_fpm_again: start php-fpm again (after lc_stop_fpm / lc_kill_fpm,
# possibly with a rewritten config). Unlike lc_start_fpm, php-fpm.log is
# kept (appended to) and no config test is run (it would write into the log).
lc_start_fpm_again() {
	local bin rflag=()
	bin=$(lc_fpm_bin) || lc_die "php-fpm not installed"
	[ -n "${LC_FPM_CONF:-}" ] || lc_die "lc_start_fpm_again: call lc_write_fpm_conf first"
	lc_is_root && ! id "$LC_RUN_USER" >/dev/null 2>&1 && rflag=(-R)
	[ -n "$LC_FPM_PID" ] && lc_pid_alive "$LC_FPM_PID" && lc_die "php-fpm (pid $LC_FPM_PID) is still running"
	rm -f "$LC_FPM_PIDFILE"
	lc_log "starting php-fpm again"
	# daemonize = yes: the command returns once the master is ready.
	lc__env "$bin" --fpm-config "$LC_FPM_CONF" --prefix "$LC_PREFIX" -c "$LC_PREFIX/conf/php.ini" "${rflag[@]}" \
		>>"$LC_PREFIX/logs/php-fpm-start.out" 2>&1 ||
		{ tail -n 5 "$LC_PREFIX/logs/php-fpm.log" >&2; lc_die "php-fpm failed to start again"; }
	lc__wait_for 10 test -s "$LC_FPM_PIDFILE" || lc_die "php-fpm wrote no pid file"
	LC_FPM_PID=$(cat "$LC_FPM_PIDFILE")
	if lc__fpm_listen_is_tcp; then
		lc__wait_for 10 lc_tcp_open "$LC_FPM_LISTEN" || lc_die "php-fpm is not listening on $LC_FPM_LISTEN"
	else
		lc__wait_for 10 test -S "$LC_FPM_SOCK" || lc_die "php-fpm socket $LC_FPM_SOCK did not appear"
	fi
	lc_pid_alive "$LC_FPM_PID" || lc_die "php-fpm (pid $LC_FPM_PID) is not running"
	lc_log "php-fpm running again, pid $LC_FPM_PID"
}

# ---------------------------------------------------------------------------
# MariaDB (optional; only scripts that call these need it)
#
#   lc_ensure_mariadb                  mariadb-server, mariadb-client, php8.2-mysql
#   lc_write_mariadb_conf [KEY=VALUE]  $LC_PREFIX/conf/my.cnf
#   lc_start_mariadb                   initialises the datadir the first time
#   lc_mysql [ARGS...]                 the mariadb client, as root, on the socket
#   lc_stop_mariadb                    SIGTERM (clean shutdown), also in lc_stop_all
# Everything lives under $LC_PREFIX: datadir $LC_PREFIX/mysql, socket
# $LC_PREFIX/run/mysqld/mysqld.sock, logs $LC_PREFIX/logs/mysql-{error,slow}.log.
# /etc/mysql is never read (--no-defaults / --defaults-file).

LC_MARIADB_PID=""

lc_mariadbd_bin() {
	local b
	for b in mariadbd mysqld; do
		command -v "$b" 2>/dev/null && return 0
		[ -x "/usr/sbin/$b" ] && { echo "/usr/sbin/$b"; return 0; }
	done
	return 1
}
lc_mariadb_version() { "$(lc_mariadbd_bin)" --version 2>/dev/null | sed 's/^[^ ]* *Ver //'; }

lc_ensure_mariadb() {
	local need=()
	lc_mariadbd_bin >/dev/null || need+=(mariadb-server)
	command -v mariadb-install-db >/dev/null 2>&1 || need+=(mariadb-server)
	command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
	php -m 2>/dev/null | grep -qx pdo_mysql || need+=(php8.2-mysql)
	"$(lc_fpm_bin)" -m 2>/dev/null | grep -qx pdo_mysql || need+=(php8.2-mysql)
	[ ${#need[@]} -eq 0 ] && return 0
	lc_is_root || lc_die "missing ${need[*]}; run as root (or install them)"
	lc__apt_update_once
	# shellcheck disable=SC2046
	set -- $(printf '%s\n' "${need[@]}" | sort -u)
	lc_log "installing $*"
	lc__apt_install "$@" || lc_die "cannot install $*"
	lc_mariadbd_bin >/dev/null || lc_die "mariadbd still missing after install"
}

# lc_write_mariadb_conf [KEY=VALUE...]: keys (defaults): port=0 (unix socket
# only; else 127.0.0.1:PORT) long_query_time=1 slow_query_log=1
# max_connections=50 extra=LINES (raw [mysqld] lines).
lc_write_mariadb_conf() {
	local port=0 long_query_time=1 slow_query_log=1 max_connections=50 extra="" kv
	for kv in "$@"; do
		case $kv in
		port=*) port=${kv#*=} ;;
		long_query_time=*) long_query_time=${kv#*=} ;;
		slow_query_log=*) slow_query_log=${kv#*=} ;;
		max_connections=*) max_connections=${kv#*=} ;;
		extra=*) extra=${kv#*=} ;;
		*) lc_die "lc_write_mariadb_conf: unknown setting $kv" ;;
		esac
	done
	LC_MARIADB_CONF=$LC_PREFIX/conf/my.cnf
	LC_MARIADB_DATADIR=$LC_PREFIX/mysql
	LC_MARIADB_SOCK=$LC_PREFIX/run/mysqld/mysqld.sock
	LC_MARIADB_PIDFILE=$LC_PREFIX/run/mysqld/mysqld.pid
	LC_MARIADB_USER=root
	id mysql >/dev/null 2>&1 && lc_is_root && LC_MARIADB_USER=mysql
	local net="skip-networking"
	[ "$port" != 0 ] && net="bind-address = 127.0.0.1
port = $port"
	cat >"$LC_MARIADB_CONF" <<EOF
# generated by testdata/harness/lib.sh
[mysqld]
user = $LC_MARIADB_USER
datadir = $LC_MARIADB_DATADIR
socket = $LC_MARIADB_SOCK
pid-file = $LC_MARIADB_PIDFILE
$net
log_error = $LC_PREFIX/logs/mysql-error.log
slow_query_log = $slow_query_log
slow_query_log_file = $LC_PREFIX/logs/mysql-slow.log
long_query_time = $long_query_time
log_output = FILE
max_connections = $max_connections
innodb_buffer_pool_size = 32M
innodb_log_file_size = 16M
performance_schema = OFF
$extra
EOF
	chmod 644 "$LC_MARIADB_CONF"
}

lc_mysql() {
	mariadb --no-defaults -S "$LC_MARIADB_SOCK" -uroot --connect-timeout=5 "$@"
}

lc_start_mariadb() {
	local bin
	bin=$(lc_mariadbd_bin) || lc_die "mariadbd not installed"
	[ -n "${LC_MARIADB_CONF:-}" ] || lc_die "lc_start_mariadb: call lc_write_mariadb_conf first"
	# mariadbd runs as $LC_MARIADB_USER: it owns its datadir, its run dir and
	# its two log files (created here), nothing else of the prefix.
	mkdir -p "$LC_MARIADB_DATADIR" "$(dirname "$LC_MARIADB_SOCK")"
	chmod 755 "$(dirname "$LC_MARIADB_SOCK")"
	touch "$LC_PREFIX/logs/mysql-error.log" "$LC_PREFIX/logs/mysql-slow.log"
	[ "$LC_MARIADB_USER" = root ] || chown "$LC_MARIADB_USER" "$LC_MARIADB_DATADIR" "$(dirname "$LC_MARIADB_SOCK")" \
		"$LC_PREFIX/logs/mysql-error.log" "$LC_PREFIX/logs/mysql-slow.log"
	if [ ! -d "$LC_MARIADB_DATADIR/mysql" ]; then
		lc_log "initialising a MariaDB datadir in $LC_MARIADB_DATADIR"
		mariadb-install-db --no-defaults --user="$LC_MARIADB_USER" --datadir="$LC_MARIADB_DATADIR" \
			--auth-root-authentication-method=socket --skip-test-db \
			>"$LC_PREFIX/logs/mariadb-install.out" 2>&1 ||
			{ tail -n 20 "$LC_PREFIX/logs/mariadb-install.out" >&2; lc_die "mariadb-install-db failed"; }
	fi
	lc_log "starting mariadbd ($bin)"
	# mariadbd does not daemonize: it runs in the background, we keep its pid
	# (a plain command, so $! is mariadbd itself: env execs it).
	env ${LC_TZ:+TZ="$LC_TZ"} "$bin" --defaults-file="$LC_MARIADB_CONF" >"$LC_PREFIX/logs/mariadbd.out" 2>&1 &
	LC_MARIADB_PID=$!
	lc__wait_for 30 lc_mysql -e 'SELECT 1' >/dev/null 2>&1 ||
		{ tail -n 20 "$LC_PREFIX/logs/mysql-error.log" >&2 2>/dev/null; lc_die "mariadbd did not come up"; }
	[ "$(cat "$LC_MARIADB_PIDFILE" 2>/dev/null)" = "$LC_MARIADB_PID" ] ||
		lc_warn "mariadbd pid file says $(cat "$LC_MARIADB_PIDFILE" 2>/dev/null), started pid $LC_MARIADB_PID"
	lc_log "mariadbd running, pid $LC_MARIADB_PID"
}

# mariadbd: SIGTERM = normal shutdown (it logs "Shutdown complete").
lc_stop_mariadb() {
	local pid=$LC_MARIADB_PID
	[ -n "$pid" ] && lc_stop_pid mariadbd "$pid" TERM 30
	[ -n "$pid" ] && wait "$pid" 2>/dev/null
	LC_MARIADB_PID=""
	return 0
}

# ---------------------------------------------------------------------------
# load (always 127.0.0.1, always bounded)

# lc_url PATH: full URL on the local nginx.
lc_url() { printf 'http://127.0.0.1:%s%s\n' "$LC_PORT" "$1"; }

# lc_request CLIENT_IP MAX_TIME METHOD PATH: one request, source address
# CLIENT_IP (any 127.0.0.0/8 address; the loopback accepts them all), prints
# "HTTP_CODE TIME_TOTAL METHOD PATH". Meant for xargs -P.
lc_request() {
	local ip=$1 maxt=$2 method=$3 path=$4 ua
	# one browser per client address, as real clients have
	case $((${ip##*.} % 4)) in
	0) ua='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36' ;;
	1) ua='Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1' ;;
	2) ua='Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0' ;;
	*) ua='Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15' ;;
	esac
	local extra=()
	case $method in
	GET) ;;
	POST) extra=(--data 'sku=42&qty=1') ;;
	*) extra=(-X "$method") ;;
	esac
	curl -s -o /dev/null --interface "$ip" --max-time "$maxt" -A "$ua" \
		-H "Host: ${LC_HOST:-shop.example.test}" "${extra[@]}" \
		-w "%{http_code} %{time_total} $method $path\n" "$(lc_url "$path")" || printf '000 - %s %s\n' "$method" "$path"
}
