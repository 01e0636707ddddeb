#!/usr/bin/env bash
# testdata/demo/capture.sh [OUTDIR]
#
# Captures REAL logs of a PHP-FPM worker exhaustion incident from a real
# nginx + php-fpm stack (Debian packages), running in a private temp prefix on
# 127.0.0.1, and writes to OUTDIR (default: this script's directory):
#
#   access.log    nginx access log, default "combined" format
#   error.log     nginx error log, level warn
#   php-fpm.log   php-fpm master log, log_level notice
#   CAPTURE.md    how/when it was captured, settings, timeline, counts
#
# Timeline: ~20 s healthy traffic -> ~15 s incident (many concurrent clients,
# a good share on /slow.php which sleeps 3 s, pool has only 4 children and a
# backlog of 8, so nginx gets EAGAIN on the unix socket and answers 502) ->
# in-flight requests drain -> ~20 s healthy traffic again.
#
# The daemons run with TZ=Europe/Paris: the access log carries +0100/+0200,
# nginx's error log and php-fpm's log are Paris local time without a zone.
#
# Exits non-zero, with a message, if the incident was not reproduced.
# Needs root the first time (apt-get installs nginx-light, php8.2-fpm, curl,
# tzdata if missing). Takes about 75 seconds.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "$HERE/../harness/lib.sh"

OUTDIR=${1:-$HERE}
mkdir -p "$OUTDIR" || lc_die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

# ---- settings --------------------------------------------------------------
export LC_TZ=${LC_TZ:-Europe/Paris}
LC_PORT=${LC_PORT:-18480}
export LC_SLOW_SECONDS=3

# Overridable from the environment (CAPTURE.md always reports what was used).
FPM_PM=${FPM_PM:-dynamic} # static never logs the max_children warning
FPM_MAX_CHILDREN=${FPM_MAX_CHILDREN:-4}
FPM_START=${FPM_START:-3}
FPM_MIN_SPARE=${FPM_MIN_SPARE:-2}
FPM_MAX_SPARE=${FPM_MAX_SPARE:-4}
FPM_BACKLOG=${FPM_BACKLOG:-8}
NGX_CONNECT_TIMEOUT=${NGX_CONNECT_TIMEOUT:-5s}
NGX_SEND_TIMEOUT=${NGX_SEND_TIMEOUT:-30s}
NGX_READ_TIMEOUT=${NGX_READ_TIMEOUT:-30s}

HEALTHY_SECONDS=${HEALTHY_SECONDS:-20} # each healthy phase
HEALTHY_RATE=${HEALTHY_RATE:-5}        # requests per second
HEALTHY_PAR=8                          # max concurrent clients
INCIDENT_SECONDS=${INCIDENT_SECONDS:-15}
INCIDENT_RATE=${INCIDENT_RATE:-20}
INCIDENT_PAR=60
INCIDENT_SLOW_PCT=${INCIDENT_SLOW_PCT:-40} # share of incident requests going to /slow.php
CLIENT_MAX_TIME=25                         # curl --max-time; queue waits stay well below it

# ---- load helpers ------------------------------------------------------------
PRODUCTS=(3 7 12 15 21 42 58 64 77 103)
WORDS=(shoes jacket lamp mug desk chair socks kettle)

# pick_request PHASE: one "IP MAXTIME METHOD PATH" line.
pick_request() {
	local phase=$1 r ip path method=GET
	if [ "$phase" = incident ]; then
		ip=127.0.0.$((11 + RANDOM % 80))
	else
		ip=127.0.0.$((11 + RANDOM % 20))
	fi
	r=$((RANDOM % 100))
	if [ "$phase" = incident ] && [ $r -lt "$INCIDENT_SLOW_PCT" ]; then
		path=/slow.php
	elif [ "$phase" != incident ] && [ $r -lt 4 ]; then
		path=/slow.php # a few reports in normal traffic too
	else
		r=$((RANDOM % 100))
		if [ $r -lt 25 ]; then
			path=/
		elif [ $r -lt 60 ]; then
			path="/product.php?id=${PRODUCTS[RANDOM % ${#PRODUCTS[@]}]}"
		elif [ $r -lt 85 ]; then
			path=/api/cart.php
			[ $((RANDOM % 4)) -eq 0 ] && method=POST
		else
			path="/search.php?q=${WORDS[RANDOM % ${#WORDS[@]}]}"
		fi
	fi
	echo "$ip $CLIENT_MAX_TIME $method $path"
}

# paced PHASE SECONDS RATE: print SECONDS*RATE request lines, RATE per second.
paced() {
	local phase=$1 secs=$2 rate=$3 n i start now target
	n=$((secs * rate))
	start=${EPOCHREALTIME/./}
	for ((i = 0; i < n; i++)); do
		target=$((start + i * 1000000 / rate))
		now=${EPOCHREALTIME/./}
		if [ "$target" -gt "$now" ]; then
			sleep "$(printf '0.%06d' $((target - now)))"
		fi
		pick_request "$phase"
	done
}

# run_phase NAME SECONDS RATE PARALLEL: paced requests through xargs -P; the
# client-side result of every request goes to $LC_PREFIX/load/NAME.txt.
export -f lc_request lc_url
export LC_PORT
load_pipeline() {
	paced "$1" "$2" "$3" |
		xargs -P "$4" -L 1 bash -c 'lc_request "$@"' _ >"$LC_PREFIX/load/$1.txt"
}
run_phase() {
	local name=$1 secs=$2 rate=$3 par=$4
	lc_log "phase $name: ${secs}s at ${rate} req/s, up to $par concurrent clients"
	lc_run load_pipeline "$name" "$secs" "$rate" "$par" || lc_die "load phase $name failed"
	lc_log "phase $name done: $(codes_summary "$LC_PREFIX/load/$name.txt")"
}

# codes_summary FILE: "200=95 502=3" from lc_request output lines.
codes_summary() {
	awk '{c[$1]++} END {for (k in c) printf "%s=%d ", k, c[k]}' "$1" | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/^ *//; s/ *$//'
}

# ---- run ---------------------------------------------------------------------
lc_init logcause-capture
lc_ensure_packages
lc_pick_port

lc_write_php_app
lc_write_fpm_conf "pm=$FPM_PM" "max_children=$FPM_MAX_CHILDREN" "start_servers=$FPM_START" \
	"min_spare=$FPM_MIN_SPARE" "max_spare=$FPM_MAX_SPARE" "backlog=$FPM_BACKLOG" log_level=notice
lc_write_nginx_conf error_level=warn "connect_timeout=$NGX_CONNECT_TIMEOUT" \
	"send_timeout=$NGX_SEND_TIMEOUT" "read_timeout=$NGX_READ_TIMEOUT"
lc_start_fpm
lc_start_nginx
export LC_PORT

# smoke test: the stack answers 200 before we start
code=$(curl -s -o /dev/null --max-time 5 -H 'Host: shop.example.test' -w '%{http_code}' "$(lc_url /)")
[ "$code" = 200 ] || lc_die "stack not answering (HTTP $code for GET /); see $LC_PREFIX/logs"
: >"$LC_PREFIX/logs/access.log" # drop the smoke-test line (nginx opened it O_APPEND, keeps writing to it)

stamp() { TZ=$LC_TZ date '+%Y-%m-%d %H:%M:%S %Z'; }
T0=$(stamp)
run_phase healthy-before "$HEALTHY_SECONDS" "$HEALTHY_RATE" "$HEALTHY_PAR"
T1=$(stamp)
run_phase incident "$INCIDENT_SECONDS" "$INCIDENT_RATE" "$INCIDENT_PAR"
T2=$(stamp) # incident load ended and all its requests have completed
sleep 2
T3=$(stamp)
run_phase healthy-after "$HEALTHY_SECONDS" "$HEALTHY_RATE" "$HEALTHY_PAR"
T4=$(stamp)
sleep 1

NGINX_V=$(lc_nginx_version)
FPM_V=$(lc_fpm_version)
lc_stop_all

# ---- results -------------------------------------------------------------------
L=$LC_PREFIX/logs
for f in access.log error.log php-fpm.log; do
	[ -f "$L/$f" ] || lc_die "$f was not written"
done

# status counts (combined: the status follows the quoted request line)
status_count() { awk -F'"' -v s="$1" '{split($3, a, " "); if (a[1] == s) n++} END {print n + 0}' "$L/access.log"; }
N_TOTAL=$(wc -l <"$L/access.log")
N200=$(status_count 200)
N502=$(status_count 502)
N504=$(status_count 504)
N499=$(status_count 499)
N_EAGAIN=$(grep -c 'Resource temporarily unavailable' "$L/error.log")
N_TIMEDOUT=$(grep -c 'upstream timed out' "$L/error.log")
N_ERRLINES=$(wc -l <"$L/error.log")
N_MAXCH=$(grep -c 'max_children' "$L/php-fpm.log")
N_BUSY=$(grep -c 'seems busy' "$L/php-fpm.log")

# times: access log "23/Nov/2026:23:15:02 +0100", fpm "[23-Nov-2026 23:15:02]",
# nginx error "2026/11/23 23:15:02"
acc_epoch() { date -d "$(sed 's#/# #g; s#:# #' <<<"$1")" +%s; }
local_epoch() { TZ=$LC_TZ date -d "$1" +%s; }
time_of_status() { # first|last STATUS -> "[time]" field of the access log
	awk -F'"' -v s="$2" -v w="$1" '{split($3, a, " "); if (a[1] == s) { match($1, /\[[^]]*\]/); t = substr($1, RSTART + 1, RLENGTH - 2); if (w == "first" && !f) { f = t }; l = t }} END {print (w == "first") ? f : l}' "$L/access.log"
}
FIRST502=$(time_of_status first 502)
LAST502=$(time_of_status last 502)
FIRST200=$(time_of_status first 200)
LAST200=$(time_of_status last 200)
MAXCH_LINE=$(grep -m1 'max_children' "$L/php-fpm.log" || true)
EAGAIN_LINE=$(grep -m1 'Resource temporarily unavailable' "$L/error.log" || true)
FIRST_ERR_TIME=$(grep -m1 'Resource temporarily unavailable' "$L/error.log" | cut -c1-19)
MAXCH_TIME=$(sed -n 's/^\[\([0-9]*\)-\([A-Za-z]*\)-\([0-9]*\) \([0-9:]*\)\].*/\1 \2 \3 \4/p' <<<"$MAXCH_LINE")

fail=()
[ "$N502" -ge 10 ] || fail+=("only $N502 responses with status 502 in access.log (want >= 10)")
[ "$N_EAGAIN" -ge 1 ] || fail+=("no '(11: Resource temporarily unavailable)' line in nginx error.log")
[ "$N_MAXCH" -ge 1 ] || fail+=("no 'server reached pm.max_children setting' line in php-fpm.log")
for ph in healthy-before healthy-after; do
	bad=$(awk '$1 != 200' "$LC_PREFIX/load/$ph.txt" | wc -l)
	[ "$bad" -eq 0 ] || fail+=("$bad non-200 responses during phase $ph ($(codes_summary "$LC_PREFIX/load/$ph.txt"))")
done

DELTA_MAXCH=""
if [ -n "$FIRST502" ] && [ -n "$MAXCH_TIME" ]; then
	DELTA_MAXCH=$(($(local_epoch "$MAXCH_TIME") - $(acc_epoch "$FIRST502")))
fi
N200_BEFORE=0 N200_AFTER=0
if [ -n "$FIRST502" ]; then
	e1=$(acc_epoch "$FIRST502") e2=$(acc_epoch "$LAST502")
	read -r N200_BEFORE N200_AFTER < <(awk -F'"' '{split($3, a, " "); if (a[1] == 200) { match($1, /\[[^]]*\]/); print substr($1, RSTART + 1, RLENGTH - 2) }}' "$L/access.log" |
		sed 's#/# #g; s#:# #' | while read -r t; do date -d "$t" +%s; done |
		awk -v a="$e1" -v b="$e2" '$1 < a {x++} $1 > b {y++} END {print x + 0, y + 0}')
	[ "$N200_BEFORE" -ge 20 ] || fail+=("only $N200_BEFORE 200s before the first 502")
	[ "$N200_AFTER" -ge 20 ] || fail+=("only $N200_AFTER 200s after the last 502")
fi

MAXCH_REL="?"
if [ -n "$DELTA_MAXCH" ]; then
	if [ "$DELTA_MAXCH" -lt 0 ]; then
		MAXCH_REL="$((-DELTA_MAXCH)) s before the first 502"
	elif [ "$DELTA_MAXCH" -eq 0 ]; then
		MAXCH_REL="in the same second as the first 502"
	else
		MAXCH_REL="$DELTA_MAXCH s after the first 502"
	fi
fi

if [ ${#fail[@]} -gt 0 ]; then
	for m in "${fail[@]}"; do lc_warn "$m"; done
	lc_die "incident NOT reproduced as expected; nothing copied to $OUTDIR (logs are in $L)"
fi

for f in access.log error.log php-fpm.log; do
	{ cp "$L/$f" "$OUTDIR/$f" && chmod 644 "$OUTDIR/$f"; } || lc_die "cannot copy $f to $OUTDIR"
done

cat >"$OUTDIR/CAPTURE.md" <<EOF
# Demo capture: PHP-FPM worker exhaustion (real nginx + php-fpm)

Real logs written by a real nginx and php-fpm, not hand-made. Regenerate with
\`bash testdata/demo/capture.sh [OUTDIR]\` (as root the first time: it installs
the Debian packages it needs); the counts below are computed by that script.

## Environment

- captured: $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($(TZ=$LC_TZ date '+%Y-%m-%d %H:%M:%S %Z'))
- OS: Debian $(cat /etc/debian_version 2>/dev/null || echo unknown), kernel $(uname -r)
- nginx: $NGINX_V (\`nginx -v\`)
- php-fpm: $FPM_V
- TZ of nginx and php-fpm: \`$LC_TZ\` (access log has a UTC offset; nginx error log and php-fpm log are zoneless local time)
- listen: 127.0.0.1:$LC_PORT, \`server_name shop.example.test\`, \`fastcgi_pass unix:…/run/php-fpm.sock\` (a temp dir)

## Key settings

| setting | value |
|---|---|
| \`pm\` | $FPM_PM |
| \`pm.max_children\` | $FPM_MAX_CHILDREN |
| \`pm.start_servers\` / \`min_spare\` / \`max_spare\` | $FPM_START / $FPM_MIN_SPARE / $FPM_MAX_SPARE |
| \`listen.backlog\` | $FPM_BACKLOG |
| \`catch_workers_output\` | yes |
| php-fpm \`log_level\` | notice |
| \`request_terminate_timeout\` | 0 (off) |
| nginx \`error_log\` level | warn |
| nginx \`access_log\` format | combined |
| \`fastcgi_connect_timeout\` / \`send\` / \`read\` | $NGX_CONNECT_TIMEOUT / $NGX_SEND_TIMEOUT / $NGX_READ_TIMEOUT |
| /slow.php | sleeps ${LC_SLOW_SECONDS} s (slow dependency) |
| client \`curl --max-time\` | ${CLIENT_MAX_TIME} s |

## Timeline (Europe/Paris)

| from | phase | load |
|---|---|---|
| $T0 | healthy | ${HEALTHY_SECONDS} s, ${HEALTHY_RATE} req/s, ≤${HEALTHY_PAR} concurrent; /, /product.php, /api/cart.php (GET/POST), /search.php, ~4 % /slow.php |
| $T1 | incident | ${INCIDENT_SECONDS} s, ${INCIDENT_RATE} req/s, ≤${INCIDENT_PAR} concurrent; ${INCIDENT_SLOW_PCT} % /slow.php, rest the normal pages |
| $T2 | drain | incident requests all answered; 2 s pause |
| $T3 | healthy (recovered) | same as the first phase |
| $T4 | end | nginx and php-fpm stopped (SIGQUIT) |

Client addresses are 127.0.0.11–127.0.0.90 (loopback source addresses).

## Counts (computed from the captured logs)

| what | count |
|---|---|
| access.log lines | $N_TOTAL |
| status 200 | $N200 |
| status 502 | $N502 |
| status 504 | $N504 |
| status 499 | $N499 |
| 200s before the first 502 / after the last 502 | $N200_BEFORE / $N200_AFTER |
| error.log lines | $N_ERRLINES |
| error.log \`Resource temporarily unavailable\` | $N_EAGAIN |
| error.log \`upstream timed out\` | $N_TIMEDOUT |
| php-fpm.log \`max_children\` | $N_MAXCH |
| php-fpm.log \`seems busy\` | $N_BUSY |

Client side per phase (HTTP code=count, 000 = curl error):
- healthy-before: $(codes_summary "$LC_PREFIX/load/healthy-before.txt")
- incident: $(codes_summary "$LC_PREFIX/load/incident.txt")
- healthy-after: $(codes_summary "$LC_PREFIX/load/healthy-after.txt")

Times: first 200 \`$FIRST200\`, first 502 \`$FIRST502\`, last 502 \`$LAST502\`,
last 200 \`$LAST200\`; first EAGAIN error line \`$FIRST_ERR_TIME\`;
max_children warning \`$(grep -o "^\[[^]]*\]" <<<"$MAXCH_LINE")\`, i.e. $MAXCH_REL (access-log times
are when the response was logged; php-fpm checks its pool once per second).

The socket path in error.log is the capture's temp dir; it changes on every run.

First EAGAIN line in error.log:

\`\`\`
$EAGAIN_LINE
\`\`\`

max_children line in php-fpm.log:

\`\`\`
$MAXCH_LINE
\`\`\`
EOF

lc_log "counts: 200=$N200 502=$N502 504=$N504 499=$N499 EAGAIN=$N_EAGAIN max_children=$N_MAXCH (max_children warning $MAXCH_REL)"
lc_log "wrote $OUTDIR/{access.log,error.log,php-fpm.log,CAPTURE.md}"
