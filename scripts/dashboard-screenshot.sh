#!/usr/bin/env bash
# Makes docs/img/dashboard.png: runs `eddy demo votes` on a free port, waits
# until every query has shown a few batches, and takes a 1280 px wide
# screenshot of the dashboard with Debian's chromium (playwright-core from
# tests/browser). Usage: scripts/dashboard-screenshot.sh [EDDY] [PNG]
set -euo pipefail
cd "$(dirname "$0")/.."
eddy=${1:-build/eddy}
png=${2:-docs/img/dashboard.png}
scripts/install-deps.sh --test
err=$(mktemp)
"$eddy" demo votes --ui-port 0 > /dev/null 2> "$err" &
pid=$!
trap 'kill $pid 2> /dev/null; wait $pid 2> /dev/null; rm -f "$err"' EXIT
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://[^ ]*/' "$err" | head -1) && [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$err" >&2; echo "dashboard-screenshot: no dashboard URL" >&2; exit 1; }
(cd tests/browser && node screenshot.mjs "$url" "$OLDPWD/$png" 3)
