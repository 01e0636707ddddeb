#!/usr/bin/env bash
# testdata/scenarios/load-alone/capture.sh [OUTDIR]
#
# Exhaustion by load alone: a burst of traffic (a campaign mail) on a page
# that takes ~1.3 s of its own work (rendering, no database, no outbound
# call), more than 4 workers can serve: the socket's backlog fills and
# nginx answers 502 (EAGAIN). The FPM slow log (request_slowlog_timeout =
# 1s) shows the requests in the scripts' own code: nothing held them.
# Takes about 35 s.
set -uo pipefail
# shellcheck source=../common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
sc_setup load-alone "${1:-}"
SC_MARGIN=8
SC_HEALTHY_MAXTIME=25
INCIDENT_RATE=12

lc_write_php_app
sc_write_extras
cat >"$LC_PREFIX/www/landing.php" <<'PHP'
<?php
// The campaign's landing page: renders the offers (its own work, ~1.3 s).
function render_offers($n)
{
    $html = '';
    for ($i = 0; $i < $n; $i++) {
        $html .= '<li>' . md5("offer $i") . '</li>';
        usleep(13000); // templating
    }
    return $html;
}
header('Content-Type: text/html; charset=utf-8');
echo '<!doctype html><title>Offers</title><ul>', render_offers(100), "</ul>\n";
PHP
chmod a+r "$LC_PREFIX/www/landing.php"
sc_start_small_pool 1s
sc_smoke / /landing.php

sc_pick_landing() {
	echo "127.0.0.$((101 + RANDOM % 60)) 25 GET /landing.php?utm_campaign=winter"
}

sc_mark "healthy traffic starts (5 req/s for 32 s, in the background)"
sc_start_clock
sc_load_bg healthy 32 5 16
sc_sleep_until 9
sc_incident_begin "campaign burst: $INCIDENT_RATE req/s on /landing.php (~1.3 s each) for 10 s"
sc_load campaign 10 $INCIDENT_RATE 60 sc_pick_landing
sc_incident_end "campaign burst ends (all its requests answered)"
sc_wait "$SC_BG"
sc_mark "healthy traffic ends; nginx and php-fpm stopped"
sc_stop

sc_check_held_pool 'render_offers() '
N_RENDER=$N_HOLD
sc_check_windows 3

SC_TITLE="exhaustion by load alone: a burst on a page that takes ~1.3 s of its own work, the pool runs out (502, EAGAIN)"
SC_ABOUT="A campaign sends $INCIDENT_RATE req/s for 10 s to /landing.php, which renders for ~1.3 s (its own code: no
database, no outbound call). 4 workers serve ~3 of them a second: the socket's backlog fills and nginx
answers 502 (EAGAIN). The FPM slow log shows the requests in the page's own code."
SC_SETTINGS=(
	"/landing.php|\`render_offers(100)\`: md5 + \`usleep(13000)\` per offer, ~1.3 s"
	"incident load|$INCIDENT_RATE req/s for 10 s from 127.0.0.101–160"
	"\`pm\` / \`pm.max_children\`|dynamic / **4**, \`listen.backlog\` 8"
	"\`request_slowlog_timeout\`|**1s**"
)
SC_NOTES="- $N_TRACES slow-log traces, $N_RENDER with the page's \`render_offers()\` frame."
sc_finish
