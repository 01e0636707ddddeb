# shellcheck shell=bash
# testdata/scenarios/common.sh -- shared by testdata/scenarios/*/capture.sh.
#
# Each scenario script induces one failure on a real nginx + php-fpm (+ MariaDB)
# stack run from a private prefix on 127.0.0.1 (testdata/harness/lib.sh), with
# healthy traffic before and after, checks from the logs that the failure was
# reproduced, and copies the logs plus a CAPTURE.md into OUTDIR.
#
# Flow of a scenario script:
#
#     . "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
#     sc_setup NAME "${1:-}"          # prefix, packages, port, TZ=Europe/Paris
#     lc_write_php_app; sc_write_extras; lc_write_fpm_conf ...; lc_write_nginx_conf ...
#     lc_start_fpm; lc_start_nginx; sc_smoke
#     sc_load_bg all 50 5 8            # healthy traffic in the background ...
#     sleep 17; sc_incident_begin "what"; ...; sc_incident_end "what"
#     sc_wait "$SC_BG"
#     sc_stop                          # daemons stopped, access log parsed
#     sc_key error.log 'upstream timed out' '>=5'   # counts + expectations
#     sc_check_windows 2
#     sc_finish                        # exit 1 if not reproduced; else copy + CAPTURE.md
#
# Everything is bounded: paced loads have a fixed number of requests, every
# curl has --max-time, every loop a count.

SC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../harness/lib.sh
. "$SC_DIR/../harness/lib.sh"

SC_NAME=""
SC_TITLE=""
SC_ABOUT=""
SC_NOTES=""
SC_SETTINGS=()     # "setting|value" rows of the Key settings table
SC_TL=()           # "time|event" rows of the timeline
SC_WIN=()          # "begin end" epochs of the incident windows
SC_WIN_B=""
SC_KEYS=()         # "file|pattern|count|first|last" rows
SC_EXAMPLES=()     # "file|line"
SC_FAILS=()
SC_FILES=(access.log error.log php-fpm.log)
SC_LOADS=()        # names of load files under $LC_PREFIX/load
SC_HEALTHY_EXTRA=() # extra paths mixed into healthy traffic (25 % of requests)
SC_HEALTHY_MAXTIME=10
SC_RATE=5            # healthy requests per second (for CAPTURE.md)
SC_MAX_BYTES=300000
SC_USES_MARIADB=0
SC_T0=""
SC_MARGIN=15         # seconds of healthy traffic wanted before the first and after the last failure
SC_ACCESS_JSON=0     # 1: the access log is nginx's `json` log_format (lc_write_nginx_conf access_format=json)
SC_LAYOUT=flat       # varlog: sc_finish lays the logs out as a server's /var/log (sc__varlog_path)

# sc_setup NAME [OUTDIR]
sc_setup() {
	SC_NAME=$1
	OUTDIR=${2:-$SC_DIR/$SC_NAME}
	[ -n "$OUTDIR" ] || OUTDIR=$SC_DIR/$SC_NAME
	mkdir -p "$OUTDIR" || lc_die "cannot create $OUTDIR"
	OUTDIR=$(cd "$OUTDIR" && pwd)
	export LC_TZ=${LC_TZ:-Europe/Paris}
	LC_PORT=${LC_PORT:-18480}
	SC_T0=$(date +%s)
	lc_init "lc-$SC_NAME"
	lc_ensure_packages
	lc_pick_port
	export LC_PORT
	export -f lc_request lc_url
	# no core files from crashed workers (worker-crash), in this shell's children
	ulimit -c 0 2>/dev/null || true
}

# sc_write_extras: static files nginx serves itself (part of healthy traffic).
sc_write_extras() {
	local www=$LC_PREFIX/www
	mkdir -p "$www/static"
	printf 'User-agent: *\nDisallow: /api/\n' >"$www/robots.txt"
	printf 'body{font-family:sans-serif}h1{color:#333}\n' >"$www/static/app.css"
	chmod -R a+rX "$www"
}

# sc_smoke PATH...: every PATH (default /) answers 200, then the access log is
# emptied (nginx has it open O_APPEND and keeps writing to it).
sc_smoke() {
	local p code
	[ $# -gt 0 ] || set -- /
	for p in "$@"; do
		code=$(curl -s -o /dev/null --max-time 5 -H "Host: ${LC_HOST:-shop.example.test}" -w '%{http_code}' "$(lc_url "$p")")
		[ "$code" = 200 ] || lc_die "stack not answering (HTTP $code for GET $p); see $LC_PREFIX/logs"
	done
	: >"$LC_PREFIX/logs/access.log"
}

# ---------------------------------------------------------------------------
# load

SC_PRODUCTS=(3 7 12 15 21 42 58 64 77 103)
SC_WORDS=(shoes jacket lamp mug desk chair socks kettle)

# sc_pick_healthy: one "IP MAXTIME METHOD PATH" line of normal shop traffic.
sc_pick_healthy() {
	local ip=127.0.0.$((11 + RANDOM % 20)) r=$((RANDOM % 100)) path method=GET
	if [ ${#SC_HEALTHY_EXTRA[@]} -gt 0 ] && [ $((RANDOM % 100)) -lt 25 ]; then
		path=${SC_HEALTHY_EXTRA[RANDOM % ${#SC_HEALTHY_EXTRA[@]}]}
	elif [ $r -lt 22 ]; then
		path=/
	elif [ $r -lt 55 ]; then
		path="/product.php?id=${SC_PRODUCTS[RANDOM % ${#SC_PRODUCTS[@]}]}"
	elif [ $r -lt 68 ]; then
		path=/api/cart.php
	elif [ $r -lt 76 ]; then
		path=/api/cart.php method=POST
	elif [ $r -lt 92 ]; then
		path="/search.php?q=${SC_WORDS[RANDOM % ${#SC_WORDS[@]}]}"
	elif [ $r -lt 96 ]; then
		path=/static/app.css
	else
		path=/robots.txt
	fi
	echo "$ip $SC_HEALTHY_MAXTIME $method $path"
}

# sc_paced PICK SECONDS RATE: SECONDS*RATE lines of PICK, RATE per second.
sc_paced() {
	local pick=$1 secs=$2 rate=$3 n i start now target
	n=$((secs * rate))
	start=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		target=$((start + i * 1000000 / rate))
		now=${EPOCHREALTIME/./}
		[ "$target" -gt "$now" ] && sleep "$(printf '%d.%06d' $(((target - now) / 1000000)) $(((target - now) % 1000000)))"
		"$pick"
	done
}

sc__pipeline() {
	sc_paced "$5" "$2" "$3" | xargs -P "$4" -L 1 bash -c 'lc_request "$@"' _ >>"$LC_PREFIX/load/$1.txt"
}

sc__addload() {
	local n
	for n in "${SC_LOADS[@]}"; do [ "$n" = "$1" ] && return 0; done
	SC_LOADS+=("$1")
}

# sc_load NAME SECONDS RATE PARALLEL [PICK]: paced load, in the foreground.
sc_load() {
	sc__addload "$1"
	lc_log "load $1: ${2}s at ${3} req/s, up to $4 concurrent"
	lc_run sc__pipeline "$1" "$2" "$3" "$4" "${5:-sc_pick_healthy}" || lc_die "load $1 failed"
}

# sc_load_bg NAME SECONDS RATE PARALLEL [PICK]: same in the background; its
# pid is in SC_BG (wait for it with sc_wait).
sc_load_bg() {
	sc__addload "$1"
	lc_log "background load $1: ${2}s at ${3} req/s, up to $4 concurrent"
	lc_bg sc__pipeline "$1" "$2" "$3" "$4" "${5:-sc_pick_healthy}"
	SC_BG=$LC_BG_LAST
}

# sc_wait PID: wait for a background helper and forget it.
sc_wait() {
	local pid=$1 p keep=()
	wait "$pid"
	for p in "${LC_BG_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	LC_BG_PIDS=("${keep[@]}")
}

# one client: requests PATH one after the other until UNTIL (epoch), at most
# MAXN requests, PAUSE seconds between them.
sc__client() {
	local ip=$1 maxt=$2 method=$3 path=$4 until=$5 maxn=$6 pause=$7 i
	for ((i = 0; i < maxn; i++)); do
		[ "$(date +%s)" -lt "$until" ] || break
		lc_request "$ip" "$maxt" "$method" "$path"
		sleep "$pause"
	done
}
sc__clients() {
	local name=$1 n=$2 secs=$3 method=$4 path=$5 maxt=$6 pause=$7 until k pids=()
	until=$(($(date +%s) + secs))
	for ((k = 0; k < n; k++)); do
		sc__client "127.0.0.$((101 + k))" "$maxt" "$method" "$path" "$until" $((secs * 20)) "$pause" >>"$LC_PREFIX/load/$name.txt" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# sc_clients NAME N SECONDS METHOD PATH MAXTIME [PAUSE]: N clients
# (127.0.0.101...) each sending METHOD PATH in a loop for SECONDS, in the
# foreground. A request still running at the end is waited for (MAXTIME).
sc_clients() {
	sc__addload "$1"
	lc_log "load $1: $2 clients looping on $4 $5 for ${3}s"
	lc_run sc__clients "$1" "$2" "$3" "$4" "$5" "$6" "${7:-0.2}" || lc_die "load $1 failed"
}

# sc_clients_bg: same as sc_clients, in the background (pid in SC_BG2).
sc_clients_bg() {
	sc__addload "$1"
	lc_log "background load $1: $2 clients looping on $4 $5 for ${3}s"
	lc_bg sc__clients "$1" "$2" "$3" "$4" "$5" "$6" "${7:-0.2}"
	SC_BG2=$LC_BG_LAST
}

# ---------------------------------------------------------------------------
# timeline

sc_now() { TZ=$LC_TZ date '+%H:%M:%S'; }

# sc_mark WHAT: a timeline row (Europe/Paris time).
sc_mark() {
	SC_TL+=("$(sc_now)|$1")
	lc_log "== $1"
}
sc_incident_begin() {
	SC_WIN_B=$(date +%s)
	sc_mark "**incident**: $1"
}
sc_incident_end() {
	SC_WIN+=("$SC_WIN_B $(date +%s)")
	sc_mark "$1"
}

# sc_sleep_until SECONDS: sleep until SECONDS after the first load started
# (SC_LOAD_T0, set by sc_start_clock).
sc_start_clock() { SC_LOAD_T0=${EPOCHREALTIME/./}; }
sc_sleep_until() {
	local target=$((SC_LOAD_T0 + $1 * 1000000)) now=${EPOCHREALTIME/./}
	[ "$target" -gt "$now" ] && sleep "$(printf '%d.%06d' $(((target - now) / 1000000)) $(((target - now) % 1000000)))"
	return 0
}

# ---------------------------------------------------------------------------
# results

# sc_stop: versions, stop everything, parse the access log into
# $LC_PREFIX/acc.tsv ("epoch status method path ip" per line).
sc_stop() {
	sleep 1
	NGINX_V=$(lc_nginx_version)
	FPM_V=$(lc_fpm_version)
	[ "$SC_USES_MARIADB" = 1 ] && MARIADB_V=$(lc_mariadb_version)
	lc_stop_all
	L=$LC_PREFIX/logs
	local f
	for f in "${SC_FILES[@]}"; do
		[ -f "$L/$f" ] || lc_die "$f was not written"
	done
	if [ "$SC_ACCESS_JSON" = 1 ]; then
		# the json log_format: "time", "remote_addr", "request", "status" in that order
		sed -E 's/^\{"time":"([^"]*)","remote_addr":"([^"]*)","request":"([^ "]*) ([^ "]*)[^"]*","status":([0-9]+).*/\1\t\5\t\3\t\4\t\2/' "$L/access.log" >"$LC_PREFIX/acc.raw"
		cut -f1 "$LC_PREFIX/acc.raw" | date -f - +%s >"$LC_PREFIX/acc.epoch" || lc_die "cannot parse access log times"
		cut -f2- "$LC_PREFIX/acc.raw" | paste "$LC_PREFIX/acc.epoch" - >"$LC_PREFIX/acc.tsv"
		N_TOTAL=$(wc -l <"$L/access.log")
		return 0
	fi
	# combined-like lines: [$time_local], or a leading $msec (access_format=msec)
	awk -F'"' '{ split($3, a, " "); split($1, b, " "); split($2, r, " "); ip = b[1]
		if (match($1, /\[[^]]*\]/)) t = substr($1, RSTART + 1, RLENGTH - 2); else { t = "@" b[1]; ip = b[2] }
		print t "\t" a[1] "\t" r[1] "\t" r[2] "\t" ip }' "$L/access.log" >"$LC_PREFIX/acc.raw"
	cut -f1 "$LC_PREFIX/acc.raw" | sed 's#/# #g; s#:# #' | date -f - +%s >"$LC_PREFIX/acc.epoch" ||
		lc_die "cannot parse access log times"
	cut -f2- "$LC_PREFIX/acc.raw" | paste "$LC_PREFIX/acc.epoch" - >"$LC_PREFIX/acc.tsv"
	N_TOTAL=$(wc -l <"$L/access.log")
}

# sc_status_count STATUS
sc_status_count() { awk -F'\t' -v s="$1" '$2 == s {n++} END {print n + 0}' "$LC_PREFIX/acc.tsv"; }
# sc_bad_count: failed responses: 5xx, 499, and the 0xx nginx logs for an HTTP/0.9 reply (009)
sc_bad_count() { awk -F'\t' '$2 >= 500 || $2 == 499 || $2 < 100 {n++} END {print n + 0}' "$LC_PREFIX/acc.tsv"; }

# sc_stamp FILE: the time stamp of each line on stdin, for that log's format.
sc_stamp() {
	case $1 in
	access.log)
		if [ "$SC_ACCESS_JSON" = 1 ]; then sed -n 's/^{"time":"\([^"]*\)".*/\1/p'; else sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p'; fi ;;
	php-fpm-slow.log) sed -n 's/^\[\([^]]*\)\]  \[pool.*/\1/p' ;;
	error.log | mysql-error.log) cut -c1-19 ;;
	php-fpm.log) sed -n 's/^\[\([^]]*\)\].*/\1/p' ;;
	*) sed 's/.*/-/' ;;
	esac
}

# sc_epoch FILE STAMP: epoch seconds of a stamp written in FILE's format.
sc_epoch() {
	case $1 in
	access.log)
		if [ "$SC_ACCESS_JSON" = 1 ]; then date -d "$2" +%s; else date -d "$(sed 's#/# #g; s#:# #' <<<"$2")" +%s; fi ;;
	*) TZ=$LC_TZ date -d "$2" +%s ;;
	esac
}

# sc_key FILE PATTERN [CHECK] [fixed|regex]: count the lines of FILE holding
# PATTERN (a fixed string unless regex), note first/last stamp and an example
# line; CHECK is ">=N", "=N" or "<=N" (failure if not met). Sets SC_N.
sc_key() {
	local file=$1 pat=$2 check=${3:-} kind=${4:-fixed} g=-F n first="" last="" ex
	[ "$kind" = regex ] && g=-E
	[ -f "$L/$file" ] || lc_die "sc_key: no $file"
	n=$(grep -c $g -- "$pat" "$L/$file")
	if [ "$n" -gt 0 ]; then
		ex=$(grep -m1 $g -- "$pat" "$L/$file")
		first=$(sc_stamp "$file" <<<"$ex")
		last=$(grep $g -- "$pat" "$L/$file" | tail -n 1 | sc_stamp "$file")
		SC_EXAMPLES+=("$file|$ex")
	fi
	SC_KEYS+=("$file|$pat|$n|$first|$last")
	SC_N=$n
	case $check in
	"") ;;
	">="*) [ "$n" -ge "${check#>=}" ] || sc_fail "$file: $n lines with \`$pat\` (want $check)" ;;
	"<="*) [ "$n" -le "${check#<=}" ] || sc_fail "$file: $n lines with \`$pat\` (want $check)" ;;
	"="*) [ "$n" -eq "${check#=}" ] || sc_fail "$file: $n lines with \`$pat\` (want $check)" ;;
	*) lc_die "sc_key: bad check $check" ;;
	esac
}

sc_fail() { SC_FAILS+=("$1"); }

# sc_expect LABEL VALUE CHECK: e.g. sc_expect "status 502" "$N502" '>=10'
sc_expect() {
	local label=$1 v=$2 check=$3
	case $check in
	">="*) [ "$v" -ge "${check#>=}" ] ;;
	"<="*) [ "$v" -le "${check#<=}" ] ;;
	"="*) [ "$v" -eq "${check#=}" ] ;;
	esac || sc_fail "$label is $v (want $check)"
}

# sc_check_windows GRACE: every failed response (5xx/499/0xx) lies inside an incident window
# (from its begin - 1 s to its end + GRACE s), and there are >= 15 s of
# traffic before the first and after the last bad response.
sc_check_windows() {
	local grace=${1:-2} w b e out first last t0 t1
	local spec=""
	for w in "${SC_WIN[@]}"; do
		read -r b e <<<"$w"
		spec+="$((b - 1)):$((e + grace)) "
	done
	out=$(awk -F'\t' -v spec="$spec" 'BEGIN { n = split(spec, w, " ") }
		$2 >= 500 || $2 == 499 || $2 < 100 { ok = 0; for (i = 1; i <= n; i++) { split(w[i], be, ":"); if ($1 >= be[1] && $1 <= be[2]) ok = 1 }
			if (!ok) { bad++; if (bad <= 3) ex = ex " [" $2 " " $3 " " $4 "]" } }
		END { print bad + 0, ex }' "$LC_PREFIX/acc.tsv")
	[ "${out%% *}" = 0 ] || sc_fail "${out%% *} bad responses outside the incident windows:${out#* }"
	[ "$(sc_bad_count)" -gt 0 ] || return 0
	t0=$(head -n 1 "$LC_PREFIX/acc.tsv" | cut -f1)
	t1=$(tail -n 1 "$LC_PREFIX/acc.tsv" | cut -f1)
	first=$(awk -F'\t' '$2 >= 500 || $2 == 499 || $2 < 100 {print $1; exit}' "$LC_PREFIX/acc.tsv")
	last=$(awk -F'\t' '$2 >= 500 || $2 == 499 || $2 < 100 {l = $1} END {print l}' "$LC_PREFIX/acc.tsv")
	HEALTHY_BEFORE=$((first - t0))
	HEALTHY_AFTER=$((t1 - last))
	[ "$HEALTHY_BEFORE" -ge "$SC_MARGIN" ] || sc_fail "only ${HEALTHY_BEFORE}s of traffic before the first bad response"
	[ "$HEALTHY_AFTER" -ge "$SC_MARGIN" ] || sc_fail "only ${HEALTHY_AFTER}s of traffic after the last bad response"
}

# sc_first_bad / sc_last_bad [STATUS]: access-log stamp of the first/last
# response with STATUS (default: any 5xx, 499 or 0xx).
sc_first_bad() {
	awk -F'\t' -v s="${1:-}" '(s == "" && ($2 >= 500 || $2 == 499 || $2 < 100)) || $2 == s {print $1; exit}' "$LC_PREFIX/acc.raw"
}
sc_last_bad() {
	awk -F'\t' -v s="${1:-}" '(s == "" && ($2 >= 500 || $2 == 499 || $2 < 100)) || $2 == s {l = $1} END {print l}' "$LC_PREFIX/acc.raw"
}

# sc_delta EPOCH_A EPOCH_B: "N s before|after" wording of B relative to A.
sc_rel() {
	local d=$(($2 - $1))
	if [ "$d" -lt 0 ]; then
		echo "$((-d)) s before"
	elif [ "$d" -eq 0 ]; then
		echo "in the same second as"
	else
		echo "$d s after"
	fi
}

# sc_codes FILE: "200=95 502=3" from lc_request output lines. When curl exits
# non-zero lc_request prints curl's own "-w" line and then a "000 - …" line;
# the second one is skipped so each request counts once.
sc_codes() {
	awk '$2 != "-" {c[$1]++} END {for (k in c) printf "%s=%d ", k, c[k]}' "$1" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//'
}

sc__md_escape_code() { sed 's/`/\\`/g' <<<"$1"; }

# sc_finish: exit 1 (nothing copied) if any check failed; else copy the logs
# and write CAPTURE.md.
# sc_snapshot_config: keep the configs as they are now (during the incident)
# for config/, instead of those of the end of the run.
sc_snapshot_config() {
	SC_CONFIG_DIR=$LC_PREFIX/config-snapshot
	lc_copy_config "$SC_CONFIG_DIR" || lc_die "cannot snapshot the configs"
}

sc_finish() {
	local f m total=0 sz
	for f in "${SC_FILES[@]}"; do
		sz=$(stat -c %s "$L/$f")
		total=$((total + sz))
	done
	[ "$total" -le "$SC_MAX_BYTES" ] || sc_fail "logs are $total bytes (want <= $SC_MAX_BYTES)"
	if [ ${#SC_FAILS[@]} -gt 0 ]; then
		for m in "${SC_FAILS[@]}"; do lc_warn "$m"; done
		lc_die "$SC_NAME: failure NOT reproduced as expected; nothing copied to $OUTDIR (logs are in $L)"
	fi
	local dest
	for f in "${SC_FILES[@]}"; do
		dest=$OUTDIR/$(sc__dest "$f")
		{ mkdir -p "$(dirname "$dest")" && cp "$L/$f" "$dest" && chmod 644 "$dest"; } || lc_die "cannot copy $f to $dest"
	done
	[ "$SC_LAYOUT" = varlog ] && { sc__write_unrelated "$OUTDIR/var/log" || lc_die "cannot write the unrelated /var/log files"; }
	if [ -n "${SC_CONFIG_DIR:-}" ]; then # a snapshot taken during the incident (sc_snapshot_config)
		rm -rf "$OUTDIR/config" && cp -r "$SC_CONFIG_DIR" "$OUTDIR/config" || lc_die "cannot copy the configs to $OUTDIR/config"
	else
		lc_copy_config "$OUTDIR/config" || lc_die "cannot copy the configs to $OUTDIR/config"
	fi
	sc__write_capture >"$OUTDIR/CAPTURE.md" || lc_die "cannot write $OUTDIR/CAPTURE.md"
	lc_log "$SC_NAME: statuses: $(cut -f2 "$LC_PREFIX/acc.tsv" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
	lc_log "$SC_NAME: wrote $OUTDIR/{$(
		IFS=,
		echo "${SC_FILES[*]}"
	),CAPTURE.md,config/} in $(($(date +%s) - SC_T0)) s"
}

# sc_fpm_slowlog TIMEOUT: sets SC_SLOWLOG to the pool lines that turn
# PHP-FPM's slow log on (request_slowlog_timeout = TIMEOUT, slowlog in the
# logs), for lc_write_fpm_conf extra="$SC_SLOWLOG"; the slow log joins
# SC_FILES.
sc_fpm_slowlog() {
	SC_FILES+=(php-fpm-slow.log)
	SC_SLOWLOG=$(printf 'slowlog = %s\nrequest_slowlog_timeout = %s' "$LC_PREFIX/logs/php-fpm-slow.log" "$1")
}

# sc_start_small_pool SLOWLOG_TIMEOUT [EXTRA_POOL_LINES] [NGINX_KEY=VALUE...]:
# the stack of the scenarios about what held the workers: a pool of 4
# (pm = dynamic, start 3, spare 2-4, listen.backlog 8) with the FPM slow
# log on (sc_fpm_slowlog), and nginx; both started.
sc_start_small_pool() {
	local timeout=$1 extra=${2:-}
	shift 2 2>/dev/null || shift $#
	sc_fpm_slowlog "$timeout"
	lc_write_fpm_conf pm=dynamic max_children=4 start_servers=3 min_spare=2 max_spare=4 backlog=8 extra="$SC_SLOWLOG${extra:+
$extra}"
	lc_write_nginx_conf "$@"
	lc_start_fpm
	lc_start_nginx
}

# sc_write_product_page DB_PHP: the shop's product page, reading the
# products table with PDO through db() of DB_PHP (a path under www/).
sc_write_product_page() {
	cat >"$LC_PREFIX/www/product.php" <<PHP
<?php
require __DIR__ . '$1';
PHP
	cat >>"$LC_PREFIX/www/product.php" <<'PHP'
$id = isset($_GET['id']) ? (int)$_GET['id'] : 0;
$st = db()->prepare('SELECT id, name, price FROM products WHERE id = ?');
$st->execute([$id]);
$p = $st->fetch(PDO::FETCH_ASSOC);
if (!$p) {
    http_response_code(404);
    echo "no such product\n";
    return;
}
header('Content-Type: text/html; charset=utf-8');
printf("<!doctype html><title>%s</title><h1>%s</h1><p>Price: %.2f EUR</p>\n",
    htmlspecialchars($p['name']), htmlspecialchars($p['name']), $p['price']);
PHP
}

# sc_check_held_pool FRAME [MIN]: the checks of a pool that something held:
# >= 5 502s answered with EAGAIN, php-fpm's max_children warning, >= 4
# `executing too slow` warnings, and >= MIN (default 4) slow-log traces
# with FRAME (e.g. "execute() ") among >= 4. Sets N_HOLD (traces with
# FRAME) and N_TRACES.
sc_check_held_pool() {
	sc_expect "502 responses" "$(sc_status_count 502)" '>=5'
	sc_key error.log 'failed (11: Resource temporarily unavailable) while connecting to upstream' '>=5'
	sc_key php-fpm.log 'server reached pm.max_children setting (4)' '>=1'
	sc_key php-fpm.log 'executing too slow' '>=4'
	sc_key php-fpm-slow.log "$1" ">=${2:-4}"
	N_HOLD=$SC_N
	sc_key php-fpm-slow.log 'pid ' '>=4'
	N_TRACES=$SC_N
}

# sc__dest FILE: where a captured log goes under OUTDIR: FILE itself, or
# with SC_LAYOUT=varlog where Debian's packages write it.
sc__dest() {
	if [ "$SC_LAYOUT" != varlog ]; then
		echo "$1"
		return
	fi
	case $1 in
	access.log | error.log) echo "var/log/nginx/$1" ;;
	php-fpm.log) echo var/log/php8.2-fpm.log ;;
	php-fpm-slow.log) echo var/log/php8.2-fpm.slow.log ;;
	mysql-slow.log) echo var/log/mysql/mariadb-slow.log ;;
	mysql-error.log) echo var/log/mysql/error.log ;;
	*) echo "var/log/$1" ;;
	esac
}

# sc__write_unrelated DIR: what else a server's /var/log holds, that is no
# log of the stack: dpkg.log and apt/history.log (this machine's own, their
# last lines, when it has them; else lines in their format about the
# packages the capture runs), and a binary wtmp (utmp records of
# 384 bytes, as glibc writes them on x86_64: a boot, a login, a logout).
sc__write_unrelated() {
	local d=$1 now
	now=$(date +%s)
	mkdir -p "$d/apt" || return 1
	if [ -s /var/log/dpkg.log ]; then
		tail -n 30 /var/log/dpkg.log >"$d/dpkg.log"
	else
		printf '%s status installed nginx:amd64 1.22.1-9\n%s status installed php8.2-fpm:amd64 8.2.36-1~deb12u1\n' \
			"$(date -d @$((now - 3600)) '+%F %T')" "$(date -d @$((now - 3590)) '+%F %T')" >"$d/dpkg.log"
	fi
	if [ -s /var/log/apt/history.log ]; then
		tail -n 12 /var/log/apt/history.log >"$d/apt/history.log"
	else
		printf '\nStart-Date: %s\nCommandline: apt-get install -y nginx php8.2-fpm\nInstall: nginx:amd64 (1.22.1-9), php8.2-fpm:amd64 (8.2.36-1~deb12u1)\nEnd-Date: %s\n' \
			"$(date -d @$((now - 3600)) '+%F  %T')" "$(date -d @$((now - 3580)) '+%F  %T')" >"$d/apt/history.log"
	fi
	# struct utmp: type (int16 + 2 pad), pid, line[32], id[4], user[32],
	# host[256], exit (2 x int16), session, tv_sec, tv_usec, addr_v6[4],
	# 20 unused bytes.
	php -r '
		$now = (int)$argv[1];
		$rec = function ($type, $pid, $line, $id, $user, $host, $t) {
			return pack("sx2la32a4a32a256ssllla16x20", $type, $pid, $line, $id, $user, $host, 0, 0, 0, $t, 0, "");
		};
		echo $rec(2, 0, "~", "~~", "reboot", "6.1.0-28-amd64", $now - 86400),
			$rec(7, 4242, "pts/0", "ts/0", "deploy", "203.0.113.7", $now - 1800),
			$rec(8, 4242, "pts/0", "ts/0", "", "", $now - 1200);
	' "$now" >"$d/wtmp" || return 1
	[ "$(stat -c %s "$d/wtmp")" = $((3 * 384)) ] || return 1
	chmod 644 "$d/dpkg.log" "$d/apt/history.log" "$d/wtmp"
}

sc__write_capture() {
	local row k v e f p n a b s
	cat <<EOF
# Scenario \`$SC_NAME\`: $SC_TITLE

Real logs written by a real nginx and php-fpm$([ "$SC_USES_MARIADB" = 1 ] && echo " and MariaDB"), not hand-made. Regenerate with
\`bash testdata/scenarios/$SC_NAME/capture.sh [OUTDIR]\` (as root the first time: it
installs the Debian packages it needs); every count below is computed from the
captured logs by that script, which exits 1 without copying anything when the
failure was not reproduced.

$SC_ABOUT

## Environment

- captured: $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($(TZ=$LC_TZ date '+%Y-%m-%d %H:%M:%S %Z'))
- OS: Debian $(cat /etc/debian_version 2>/dev/null || echo unknown), kernel $(uname -r)
- nginx: $NGINX_V (\`nginx -v\`)
- php-fpm: $FPM_V
EOF
	[ "$SC_USES_MARIADB" = 1 ] && echo "- MariaDB: $MARIADB_V"
	cat <<EOF
- TZ of the daemons: \`$LC_TZ\` (the access log has a UTC offset; nginx's error log, php-fpm's log$([ "$SC_USES_MARIADB" = 1 ] && echo " and MariaDB's logs") are zoneless local time)
- nginx listens on 127.0.0.1:$LC_PORT, \`server_name shop.example.test\`, runs its workers as \`$LC_RUN_USER\`; paths under a temp prefix (\`/tmp/lc-$SC_NAME.*\`, different on every run)
- files: $(
		for f in "${SC_FILES[@]}"; do printf '`%s` (%s bytes) ' "$f" "$(stat -c %s "$L/$f")"; done
	)
- \`config/\`: the configs the daemons ran with$([ -n "${SC_CONFIG_DIR:-}" ] && echo ' during the incident'), laid out as on a Debian server (\`logcause analyze --config-root config\`); the paths in them are the run's temp prefix

## Key settings

| setting | value |
|---|---|
EOF
	for row in "${SC_SETTINGS[@]}"; do
		k=${row%%|*}
		v=${row#*|}
		echo "| $k | $v |"
	done
	cat <<EOF

## Timeline ($LC_TZ, $(TZ=$LC_TZ date '+%Y-%m-%d'))

| time | event |
|---|---|
EOF
	for row in "${SC_TL[@]}"; do
		echo "| ${row%%|*} | ${row#*|} |"
	done
	cat <<EOF

Healthy traffic: $SC_RATE req/s from 127.0.0.11–30 (/, /product.php, /api/cart.php GET/POST,
/search.php, two static files$([ ${#SC_HEALTHY_EXTRA[@]} -gt 0 ] && printf ', and %s' "${SC_HEALTHY_EXTRA[*]}")); incident clients use 127.0.0.101 and up.

## Counts (computed from the captured logs)

| status | count |
|---|---|
EOF
	cut -f2 "$LC_PREFIX/acc.tsv" | sort | uniq -c | while read -r n s; do echo "| $s | $n |"; done
	echo "| **all** (access.log lines) | $N_TOTAL |"
	if [ "$(sc_bad_count)" -gt 0 ]; then
		echo
		echo "First failed response (5xx, 499 or 0xx) \`$(sc_first_bad)\`, last \`$(sc_last_bad)\`; ${HEALTHY_BEFORE:-?} s of traffic before the first and ${HEALTHY_AFTER:-?} s after the last."
		echo
		echo "Failed responses by status and path: $(awk -F'\t' '$2 >= 500 || $2 == 499 || $2 < 100 {sub(/\?.*/, "", $4); c[$2 " " $4]++} END {for (k in c) print c[k] "\t" k}' "$LC_PREFIX/acc.tsv" | sort -rn | awk -F'\t' '{printf "%s`%s` %s", (NR > 1 ? ", " : ""), $2, $1}')."
	fi
	cat <<EOF

| file | lines containing | count | first | last |
|---|---|---|---|---|
EOF
	for row in "${SC_KEYS[@]}"; do
		IFS='|' read -r f p n a b <<<"$row"
		echo "| $f | \`$(sc__md_escape_code "$p")\` | $n | ${a:--} | ${b:--} |"
	done
	echo
	echo "Line counts: $(for f in "${SC_FILES[@]}"; do printf '%s %s; ' "$f" "$(wc -l <"$L/$f")"; done | sed 's/; $//')."
	echo
	echo "Client side per load (HTTP code=count as curl saw it, 000 = no HTTP answer):"
	for n in "${SC_LOADS[@]}"; do
		[ -f "$LC_PREFIX/load/$n.txt" ] && echo "- $n: $(sc_codes "$LC_PREFIX/load/$n.txt")"
	done
	if [ ${#SC_EXAMPLES[@]} -gt 0 ]; then
		echo
		echo "## Example lines (first of each kind)"
		echo
		local seen=""
		for row in "${SC_EXAMPLES[@]}"; do
			f=${row%%|*}
			e=${row#*|}
			case $seen in *"<$e>"*) continue ;; esac
			seen+="<$e>"
			echo "$f:"
			echo
			echo '```'
			echo "$e"
			echo '```'
			echo
		done
	fi
	if [ -n "$SC_NOTES" ]; then
		echo "## Notes"
		echo
		echo "$SC_NOTES"
	fi
}

# ---------------------------------------------------------------------------
# the shop's database (db-unresponsive, row-lock-waits, metadata-lock)

# sc_shop_db [MARIADB_CONF_KEY=VALUE...]: MariaDB with the shop's schema
# (products, stock), an `app` user, and the PHP side: www/lib/db.php (PDO
# on the unix socket, one connection per request, no timeouts: PHP's
# defaults) and a product page that reads the database.
sc_shop_db() {
	SC_USES_MARIADB=1
	SC_FILES+=(mysql-slow.log mysql-error.log)
	lc_ensure_mariadb
	lc_write_mariadb_conf long_query_time=1 slow_query_log=1 max_connections=50 "$@"
	lc_start_mariadb
	lc_mysql <<'SQL' || lc_die "cannot create the shop database"
CREATE DATABASE shop;
CREATE USER 'app'@'localhost' IDENTIFIED BY 'app-secret';
GRANT SELECT, INSERT, UPDATE, DELETE ON shop.* TO 'app'@'localhost';
USE shop;
CREATE TABLE products (id INT PRIMARY KEY, name VARCHAR(64) NOT NULL, price DECIMAL(10,2) NOT NULL) ENGINE=InnoDB;
INSERT INTO products SELECT seq, CONCAT('Product ', seq), 9.99 + seq FROM seq_1_to_200;
CREATE TABLE stock (sku INT PRIMARY KEY, qty INT NOT NULL) ENGINE=InnoDB;
INSERT INTO stock SELECT seq, 1000000 FROM seq_1_to_200;
SQL
	mkdir -p "$LC_PREFIX/www/lib"
	cat >"$LC_PREFIX/www/lib/db.php" <<PHP
<?php
// The shop's database connection: PDO on MariaDB's unix socket, opened
// once per request, with PHP's default timeouts.
function db()
{
    static \$pdo = null;
    if (\$pdo === null) {
        \$dsn = 'mysql:unix_socket=$LC_MARIADB_SOCK;dbname=shop;charset=utf8mb4';
        \$pdo = new PDO(\$dsn, 'app', 'app-secret', [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    }
    return \$pdo;
}
PHP
	sc_write_product_page /lib/db.php
	chmod -R a+rX "$LC_PREFIX/www"
}
