#!/usr/bin/env bash
# The dashboard in a real browser (Debian's chromium, driven by
# tests/browser/dashboard.mjs through playwright-core): eddy runs four queries
# over vote files with --ui-port 0; the page must show each result as a table
# and as the chart the query asks for (bar, donut, line, none), with the
# counts of the input files; more files must update tables and charts
# without a reload; a candidate named '<img src=x onerror=alert(1)>' must
# show as text, and a bigint beyond 2^53 with every digit; after SIGTERM the page keeps the last state under a banner
# and eddy exits 0. EDDY_SCREENSHOT=path keeps the screenshot of the live page
# (1280 px wide, full page); EDDY_STOPPED_SCREENSHOT=path the one after stop.
source "$(dirname "$0")/lib.sh"
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
BROWSER_DIR="$ROOT/tests/browser"
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# No silent skip: the test set-up installs chromium and playwright-core.
missing=
[ -x "$CHROMIUM" ] || missing="$missing $CHROMIUM (apt-get install chromium)"
command -v node > /dev/null || missing="$missing node (apt-get install nodejs)"
[ -f "$BROWSER_DIR/node_modules/playwright-core/package.json" ] ||
  missing="$missing $BROWSER_DIR/node_modules/playwright-core (npm ci --prefix tests/browser)"
if [ -n "$missing" ]; then
  bad "cannot run the browser test, missing:$missing"
  finish; exit 1
fi

cd "$WORK"
mkdir in
# votes from the generator, one run per minute of event time, renamed so that
# runs do not collide; moved in with rename(2), so eddy sees whole files
add_votes() { # seed start-time
  "$EDDY" gen votes --out "stage$1" --ticks 1 --interval 0 --sample 0.00001 \
    --seed "$1" --start "$2" --quiet || return 1
  for f in "stage$1"/*.json; do mv "$f" "in/s$1_$(basename "$f")"; done
  rmdir "stage$1"
}
for m in 0 1 2 3; do add_votes $((m + 1)) "2024-11-05 18:0$m:00" || bad "eddy gen votes failed"; done
cat > in/.write_ins.json <<'JSON'
{"vote_id": "w-1", "timestamp": "2024-11-05 18:02:30", "state": "Nowhere", "age_group": "65+", "candidate": "<img src=x onerror=alert(1)>"}
{"vote_id": "w-2", "timestamp": "2024-11-05 18:03:10", "state": "Ohio", "age_group": "18-24", "candidate": null}
JSON
mv in/.write_ins.json in/write_ins.json

cat > add.sh <<SH
set -e
cd "$WORK"
$(declare -f add_votes)
EDDY="$EDDY"
add_votes 5 "2024-11-05 18:04:00"
add_votes 6 "2024-11-05 18:05:00"
printf '%s\n' '{"vote_id": "w-3", "timestamp": "2024-11-05 18:05:59", "state": "Texas", "age_group": "25-34", "candidate": "Mickey Mouse"}' > in/.w3
mv in/.w3 in/write_ins_2.json
SH

cat > pipeline.sql <<'SQL'
CREATE SOURCE votes (
  vote_id STRING, timestamp TIMESTAMP, state STRING, age_group STRING, candidate STRING,
  WATERMARK FOR timestamp AS timestamp - INTERVAL 10 MINUTES
) WITH (format = 'json', path = 'in');

CREATE SINK votes_per_candidate
  WITH (format = 'memory', outputMode = 'complete')
  AS SELECT candidate, count(*) AS count FROM votes GROUP BY candidate;

CREATE SINK votes_per_age_group
  WITH (format = 'memory', outputMode = 'complete', chart = 'donut')
  AS SELECT age_group, count(*) AS count FROM votes GROUP BY age_group;

CREATE SINK votes_per_minute
  WITH (format = 'memory', outputMode = 'complete', trigger = '500 milliseconds')
  AS SELECT window(timestamp, '1 minute') AS window, candidate, count(*) AS count
     FROM votes GROUP BY window(timestamp, '1 minute'), candidate;

CREATE SINK write_ins
  WITH (format = 'memory', outputMode = 'append')
  AS SELECT vote_id, state, candidate, length(vote_id) + 9007199254740990 AS big FROM votes
     WHERE candidate NOT IN ('Donald Trump', 'Kamala Harris', 'Jill Stein');
SQL

"$EDDY" run pipeline.sql --ui-port 0 --log-level info > out.txt 2> err.txt &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(grep -o 'web UI at http://[^ ]*/' err.txt 2>/dev/null | head -1 | sed 's/^web UI at //')
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  bad "no 'web UI at' line from eddy run --ui-port 0"; sed 's/^/    /' err.txt | head -20
  finish; exit 1
fi
ok
echo "dashboard at $url"

shot=${EDDY_SCREENSHOT:-$WORK/dashboard.png}
stopped_shot=()
[ -n "${EDDY_STOPPED_SCREENSHOT:-}" ] && stopped_shot=(--stopped-screenshot "$EDDY_STOPPED_SCREENSHOT")
timeout -k 5 60 node "$BROWSER_DIR/dashboard.mjs" --url "$url" --input "$WORK/in" \
  --add "bash $WORK/add.sh" --screenshot "$shot" --eddy-pid "$pid" "${stopped_shot[@]}" \
  --chromium "$CHROMIUM" --timeout 55 > browser.txt 2>&1
node_status=$?
grep -v '^ok: ' browser.txt | sed 's/^/    /'
line=$(grep -E '^browser checks: [0-9]+ passed, [0-9]+ failed$' browser.txt | tail -1)
if [ -n "$line" ]; then
  set -- $line
  PASS=$((PASS + $3)); FAIL=$((FAIL + $5))
  [ "$node_status" -eq 0 ] || [ "$5" -gt 0 ] || bad "dashboard.mjs exited with $node_status"
else
  bad "dashboard.mjs did not finish (status $node_status)"
fi

# the browser script sent SIGTERM; if it did not get that far, do it here
kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  bad "eddy still running 10 s after SIGTERM"
else
  wait "$pid"; status=$?
  pid=
  [ "$status" -eq 0 ] && ok || { bad "eddy exited $status after SIGTERM"; sed 's/^/    /' err.txt | tail -20; }
fi
[ -s "$shot" ] && ok || bad "no screenshot at $shot"
finish
