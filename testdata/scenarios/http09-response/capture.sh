#!/usr/bin/env bash
# testdata/scenarios/http09-response/capture.sh [OUTDIR]
#
# The invalid-response scenario in INVALID_MODE=smtp: for ~15 s a daemon that
# talks SMTP takes the port nginx proxies /legacy/ to. nginx logs `upstream
# sent no valid HTTP/1.0 header while reading response header from upstream`
# and passes the greeting on as an HTTP/0.9 response: access-log status 009,
# not 502. logcause counts 009 as a gateway error (analyze.isGateway).
# Copies access.log, error.log, php-fpm.log and CAPTURE.md into OUTDIR
# (default: this directory). Exits 1 if the failure was not reproduced.
# Takes about 60 s.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SC_SCENARIO=http09-response INVALID_MODE=smtp exec bash "$here/../invalid-response/capture.sh" "${1:-$here}"
