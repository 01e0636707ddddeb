#!/usr/bin/env bash
# testdata/fpmslow/capture.sh [OUTDIR]
#
# Captures a REAL PHP-FPM slow log from a real nginx + php-fpm stack (Debian
# packages) running in a private temp prefix on 127.0.0.1, and writes to
# OUTDIR (default: this script's directory):
#
#   slow.log      the pool's slowlog (request_slowlog_timeout = 1s)
#   php-fpm.log   php-fpm's own log: an `executing too slow … logging` warning
#                 and the tracing notices for every traced request
#   CAPTURE.md    how/when it was captured, settings, requests, counts
#
# The app has three slow pages, each ~2 s, whose stacks cover the frame shapes
# of the slow log: nested user functions, a method call (Class->method), a
# static call (Class::method), a closure run by an internal function
# (array_map), an include whose top-level code sleeps and an eval
# ([INCLUDE_OR_EVAL]).
# A handful of requests is sent, some concurrently.
#
# php-fpm reads the stack of a slow worker with ptrace. Where ptrace is not
# permitted (containers without CAP_SYS_PTRACE) php-fpm logs
# `failed to ptrace(ATTACH) child N: Operation not permitted (1)` and the slow
# log gets only the entry header and `+++ dump failed` or nothing; the script
# still copies what was written and says so in CAPTURE.md.
#
# The daemons run with TZ=Europe/Paris: both logs are zoneless local time.
# Needs root the first time (apt-get installs nginx-light, php8.2-fpm, curl,
# tzdata if missing). Takes about 15 seconds.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../harness/lib.sh
. "$HERE/../harness/lib.sh"

OUTDIR=${1:-$HERE}
mkdir -p "$OUTDIR" || lc_die "cannot create $OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)

export LC_TZ=${LC_TZ:-Europe/Paris}
LC_PORT=${LC_PORT:-18480}
FPM_LOG_LEVEL=${FPM_LOG_LEVEL:-notice} # debug adds .ffffff to both logs' stamps
SLOWLOG_TIMEOUT=1s

# write_slow_app: the slow pages, in $LC_PREFIX/www next to the harness's app.
write_slow_app() {
	local www=$LC_PREFIX/www
	mkdir -p "$www/lib" "$www/api"
	cat >"$www/lib/Db.php" <<'EOF'
<?php
// A stand-in for a database layer whose query takes ~2 s.
class Db
{
    private $dsn;

    public function __construct($dsn)
    {
        $this->dsn = $dsn;
    }

    public function query($sql)
    {
        return $this->execute($sql, 2);
    }

    private function execute($sql, $seconds)
    {
        sleep($seconds); // the server is busy
        return [['id' => 1, 'sql' => $sql]];
    }
}
EOF
	cat >"$www/lib/warmup.php" <<'EOF'
<?php
// Included by report.php: its top-level code is slow (a cache warm-up).
usleep(300000);
sleep(2);
$warm = true;
EOF
	cat >"$www/report.php" <<'EOF'
<?php
require __DIR__ . '/lib/Db.php';

function loadOrders(Db $db, $day)
{
    return $db->query("SELECT * FROM orders WHERE day = '$day'");
}

function buildReport($day)
{
    $db = new Db('mysql:host=127.0.0.1;dbname=shop');
    $rows = loadOrders($db, $day);
    include __DIR__ . '/lib/warmup.php';
    return count($rows);
}

function renderPage()
{
    $n = buildReport(date('Y-m-d'));
    header('Content-Type: text/html; charset=utf-8');
    echo "<!doctype html><title>Report</title><p>$n orders</p>\n";
}

renderPage();
EOF
	cat >"$www/api/export.php" <<'EOF'
<?php
final class Exporter
{
    public static function run(array $ids)
    {
        return array_map(function ($id) {
            return self::fetchRemote($id);
        }, $ids);
    }

    private static function fetchRemote($id)
    {
        usleep(700000); // a slow remote API
        return ['id' => $id];
    }
}

header('Content-Type: application/json');
echo json_encode(Exporter::run([1, 2, 3])), "\n";
EOF
	cat >"$www/catalog.php" <<'EOF'
<?php
function warmCache()
{
    include __DIR__ . '/lib/warmup.php';
    return $warm;
}

function showCatalog()
{
    $ok = warmCache();
    echo $ok ? "catalog\n" : "cold\n";
}

showCatalog();
EOF
	cat >"$www/sleep.php" <<'EOF'
<?php
// Slow at the top level of the script: a single frame.
sleep(2);
echo "done\n";
EOF
	cat >"$www/eval.php" <<'EOF'
<?php
// A plugin system that evals stored code.
$code = 'usleep(200000); sleep(2); return 42;';
$v = eval($code);
echo "$v\n";
EOF
	chmod -R a+rX "$www"
}

lc_init logcause-fpmslow
lc_ensure_packages
lc_pick_port
lc_write_php_app
write_slow_app
lc_write_fpm_conf pm=static max_children=4 "log_level=$FPM_LOG_LEVEL"
# The pool section is the last of the file: append the slow-log settings to it.
cat >>"$LC_FPM_CONF" <<EOF
slowlog = $LC_PREFIX/logs/slow.log
request_slowlog_timeout = $SLOWLOG_TIMEOUT
request_slowlog_trace_depth = 20
EOF
lc_write_nginx_conf error_level=warn
lc_start_fpm
lc_start_nginx
export LC_PORT

code=$(curl -s -o /dev/null --max-time 5 -H 'Host: shop.example.test' -w '%{http_code}' "$(lc_url /)")
[ "$code" = 200 ] || lc_die "stack not answering (HTTP $code for GET /); see $LC_PREFIX/logs"

# requests: "IP MAXTIME METHOD PATH", as lc_request takes them
REQUESTS=(
	"127.0.0.21 20 GET /report.php"
	"127.0.0.22 20 GET /api/export.php"
	"127.0.0.23 20 GET /sleep.php"
	"127.0.0.24 20 GET /catalog.php"
	"127.0.0.25 20 POST /api/export.php"
	"127.0.0.26 20 GET /eval.php?plugin=7"
)
send_all() {
	# the first three together, then the last three together
	local r
	for r in "${REQUESTS[@]:0:3}"; do lc_request $r & done
	wait
	for r in "${REQUESTS[@]:3}"; do lc_request $r & done
	wait
}
export -f lc_request lc_url
lc_log "sending ${#REQUESTS[@]} slow requests"
lc_run send_all >"$LC_PREFIX/load/slow.txt" || lc_die "requests failed"
lc_log "responses: $(awk '{print $1}' "$LC_PREFIX/load/slow.txt" | sort | uniq -c | tr -s ' \n' ' ')"
sleep 1

NGINX_V=$(lc_nginx_version)
FPM_V=$(lc_fpm_version)
lc_stop_all

L=$LC_PREFIX/logs
[ -f "$L/php-fpm.log" ] || lc_die "php-fpm.log was not written"
[ -f "$L/slow.log" ] || : >"$L/slow.log" # ptrace refused before anything was written

N_TOO_SLOW=$(grep -c 'executing too slow' "$L/php-fpm.log")
N_ABOUT=$(grep -c 'about to trace' "$L/php-fpm.log")
N_FINISHED=$(grep -c 'finished trace of' "$L/php-fpm.log")
N_PTRACE_FAIL=$(grep -c 'failed to ptrace' "$L/php-fpm.log")
N_ENTRIES=$(grep -c '^\[[^]]*\]  \[pool ' "$L/slow.log")
N_FRAMES=$(grep -c '^\[0x[0-9a-f]*\] ' "$L/slow.log")
N_DUMP_FAILED=$(grep -c '^+++ dump failed' "$L/slow.log")
N_CLASS=$(grep -c "^\[0x[0-9a-f]*\] [^ ]*\(->\|::\)" "$L/slow.log")

[ "$N_TOO_SLOW" -ge 1 ] || lc_die "no 'executing too slow' line in php-fpm.log (see $L)"

for f in slow.log php-fpm.log; do
	{ cp "$L/$f" "$OUTDIR/$f" && chmod 644 "$OUTDIR/$f"; } || lc_die "cannot copy $f to $OUTDIR"
done

if [ "$N_PTRACE_FAIL" -gt 0 ]; then
	PTRACE="php-fpm could not ptrace its workers ($N_PTRACE_FAIL \`failed to ptrace\` lines): the slow log has no frames."
else
	PTRACE="ptrace worked: every traced request has its stack in slow.log."
fi

cat >"$OUTDIR/CAPTURE.md" <<EOF
# Capture: PHP-FPM slow log (real nginx + php-fpm)

Real logs written by a real php-fpm, not hand-made. Regenerate with
\`bash testdata/fpmslow/capture.sh [OUTDIR]\` (as root the first time: it
installs the Debian packages it needs); the counts below are computed by that
script. The paths in both logs are the capture's temp dir; they change on
every run.

## Environment

- captured: $(date -u '+%Y-%m-%d %H:%M:%S UTC') ($(TZ=$LC_TZ date '+%Y-%m-%d %H:%M:%S %Z'))
- OS: Debian $(cat /etc/debian_version 2>/dev/null || echo unknown), kernel $(uname -r)
- nginx: $NGINX_V; php-fpm: $FPM_V
- TZ of php-fpm: \`$LC_TZ\` (both logs are zoneless local time)
- running as: $(id -un) (ptrace needs CAP_SYS_PTRACE or the same uid as the workers)

## Settings

| setting | value |
|---|---|
| \`pm\` / \`pm.max_children\` | static / 4 |
| php-fpm \`log_level\` | $FPM_LOG_LEVEL |
| \`slowlog\` | \`…/logs/slow.log\` |
| \`request_slowlog_timeout\` | $SLOWLOG_TIMEOUT |
| \`request_slowlog_trace_depth\` | 20 |

## Requests

| client | method and path |
|---|---|
$(for r in "${REQUESTS[@]}"; do set -- $r; printf '| %s | `%s %s` |\n' "$1" "$3" "$4"; done)

- \`/report.php\`: \`renderPage()\` → \`buildReport()\` → \`loadOrders()\` → \`Db->query()\` →
  \`Db->execute()\` → \`sleep()\` (2 s), then \`include lib/warmup.php\`, whose top-level code sleeps
  2.3 s; php-fpm traces it once, in \`sleep()\` under \`Db->execute()\`.
- \`/catalog.php\`: \`showCatalog()\` → \`warmCache()\` → \`include lib/warmup.php\`, whose top-level
  code sleeps 2.3 s (an \`[INCLUDE_OR_EVAL]\` frame).
- \`/eval.php\`: \`eval()\` of code that sleeps (an \`[INCLUDE_OR_EVAL]\` frame; the file of the
  eval'd frames reads \`…/eval.php(4) : eval()'d code\`).
- \`/api/export.php\`: \`Exporter::run()\` → \`array_map()\` → \`{closure}()\` →
  \`Exporter::fetchRemote()\` → \`usleep()\` (0.7 s, three times).
- \`/sleep.php\`: \`sleep(2)\` at the top level of the script.

Client side (HTTP code, seconds, method, path):

\`\`\`
$(cat "$LC_PREFIX/load/slow.txt")
\`\`\`

## Counts (computed from the captured logs)

| what | count |
|---|---|
| php-fpm.log \`executing too slow\` | $N_TOO_SLOW |
| php-fpm.log \`about to trace\` / \`finished trace of\` | $N_ABOUT / $N_FINISHED |
| php-fpm.log \`failed to ptrace\` | $N_PTRACE_FAIL |
| slow.log entries (\`[date]  [pool …] pid N\`) | $N_ENTRIES |
| slow.log frames (\`[0x…] func() file:line\`) | $N_FRAMES |
| slow.log \`+++ dump failed\` | $N_DUMP_FAILED |
| slow.log frames whose function has a class (\`->\` or \`::\`) | $N_CLASS |

$PTRACE
EOF

lc_log "slow.log: $N_ENTRIES entries, $N_FRAMES frames; php-fpm.log: $N_TOO_SLOW 'executing too slow', $N_PTRACE_FAIL ptrace failures"
lc_log "wrote $OUTDIR/{slow.log,php-fpm.log,CAPTURE.md}"
