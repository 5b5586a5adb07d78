#!/usr/bin/env bash
# The web UI's HTTP API (docs/HTTP.md, SPEC §7) against running pipelines:
#   A. one run with eight queries (console and memory sinks; complete,
#      update and append; bar, donut, line and table charts): /api/v1/queries,
#      /result and /progress compared whole with jq against hand-computed
#      values, the event stream (result and progress events for a new file,
#      final STOPPED statuses on SIGTERM), the read-only and no-file rules,
#      the embedded assets;
#   B. a query that fails at run time (a FAILFAST source meets a malformed
#      record): the stream gets status FAILED with the exception, then ends,
#      and eddy exits 1;
#   C. limits: 32 event streams and a 503 for the 33rd; a client that never
#      reads does not slow the batches; result views cap at 1000 rows;
#   D. ports and hosts: a busy port, all ports busy, bad --ui-host and
#      --ui-port, --no-ui.
# Every server binds 127.0.0.1 with --ui-port 0 (the URL comes from eddy's
# "web UI at" line); every background process is stopped by the EXIT trap.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
T0=$(date +%s)

BG=() # background processes still to stop
cleanup() {
  local p _
  for p in "${BG[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${BG[@]}"; do
    for _ in $(seq 1 30); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
forget() { local p keep=(); for p in "${BG[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; BG=("${keep[@]}"); }
# reap PID: waits for a background process; its exit status goes to ST.
reap() { wait "$1" 2>/dev/null; ST=$?; forget "$1"; }

pass() { echo "ok: $1"; ok; }
check() { # NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@"; then pass "$name"; else bad "$name"; fi
}
# check_jq NAME FILE FILTER WANT: the filter's value on FILE's JSON equals
# the JSON value WANT (whole values, not substrings).
check_jq() {
  if jq -e --argjson want "$4" "($3) == \$want" "$2" > /dev/null 2>&1; then pass "$1"
  else bad "$1"; echo "    got:  $(jq -c "$3" "$2" 2>&1 | head -c 800)"; echo "    want: $(jq -c . <<< "$4" 2>&1)"; fi
}
# until_ok SECONDS COMMAND...: retries the command every 0.1 s.
until_ok() { local n=$(($1 * 10)) _; shift; for _ in $(seq 1 "$n"); do "$@" && return 0; sleep 0.1; done; return 1; }
# put DIR NAME < content: a new input file, written hidden then renamed.
put() { cat > "$1/.$2.tmp" && mv "$1/.$2.tmp" "$1/$2"; }

CURL=(curl -s --noproxy '*' --max-time 5)
# start_eddy TAG SQL ARGS...: eddy run in the background (stdout TAG.out,
# stderr TAG.err); sets PID and URL ("http://127.0.0.1:PORT/") once it logs
# its web UI line.
start_eddy() {
  local tag=$1 sql=$2 _; shift 2
  "$EDDY" run "$sql" --ui-port 0 "$@" > "$tag.out" 2> "$tag.err" &
  PID=$!; BG+=("$PID"); URL=
  for _ in $(seq 1 100); do
    URL=$(sed -n 's|^eddy: info: web UI at \(http://127\.0\.0\.1:[0-9]*/\)$|\1|p' "$tag.err")
    [ -n "$URL" ] && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "    eddy did not start its web UI: $(head -c 600 "$tag.err")"
  return 1
}
# fetch PATH FILE [curl args]: GET $URL PATH into FILE, prints the status code.
fetch() { local p=$1 f=$2; shift 2; "${CURL[@]}" --path-as-is -o "$f" -w '%{http_code}' "$@" "${URL%/}$p"; }
# header FILE NAME: a header's value from a curl -D dump.
header() { tr -d '\r' < "$1" | sed -n "s/^$2: //Ip" | head -1; }
queries() { "${CURL[@]}" "${URL}api/v1/queries"; }
batch_of() { queries | jq -e --arg q "$1" '.queries[] | select(.name == $q) | .batchId'; }
batch_ge() { local b; b=$(batch_of "$1") && [ "$b" -ge "$2" ]; }
# sse FILE: the complete events of an event-stream dump, one JSON a line:
# {"event": E, "data": D} (D must be one line of JSON).
sse() {
  awk '/^event: /{ ev = substr($0, 8); next }
       /^data: /{ data = substr($0, 7); next }
       /^$/{ if (ev != "") print "{\"event\":\"" ev "\",\"data\":" data "}"; ev = ""; data = "" }' "$1"
}
has_event() { # FILE JQ_CONDITION: some event of the dump satisfies it
  [ -n "$(sse "$1" | jq -c "select($2)" 2>/dev/null | head -1)" ]
}
jqt() { jq -e "$@" > /dev/null 2>&1; }
gone() { ! kill -0 "$1" 2>/dev/null; }
HAVE_PY=0; command -v python3 > /dev/null && HAVE_PY=1
HAVE_SS=0; command -v ss > /dev/null && HAVE_SS=1

CSP="default-src 'self'; style-src 'self'; img-src 'self' data:"
XSS='<img src=x onerror=alert(1)>'

# ==== A. results, progress, charts, events, paths ===========================
mkdir in in2
cat > a.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, name STRING, city STRING, v INT, big BIGINT, d DOUBLE,
                 x STRING, ok BOOLEAN, day DATE,
                 WATERMARK FOR ts AS ts - INTERVAL 10 SECONDS)
  WITH (format = 'json', path = 'in');
CREATE SOURCE tiny (k STRING, i INT)
  WITH (format = 'json', path = 'in2', maxFilesPerTrigger = 1);
CREATE SINK by_name WITH (format = 'console', outputMode = 'complete')
  AS SELECT name, count(*) AS count FROM s GROUP BY name;
CREATE SINK cities WITH (format = 'memory', outputMode = 'complete', chart = 'donut')
  AS SELECT city, sum(v) AS total FROM s GROUP BY city;
CREATE SINK upd WITH (format = 'memory', outputMode = 'update')
  AS SELECT name, count(*) AS n, max(v) AS maxv FROM s GROUP BY name;
CREATE SINK win WITH (format = 'memory', outputMode = 'append')
  AS SELECT window(ts, '10 seconds') AS window, count(*) AS n
     FROM s GROUP BY window(ts, '10 seconds');
CREATE SINK per_city WITH (format = 'memory', outputMode = 'complete')
  AS SELECT window.start AS window_start, city, sum(v) AS total
     FROM s GROUP BY window(ts, '10 seconds'), city;
CREATE SINK pairs WITH (format = 'memory', outputMode = 'complete')
  AS SELECT name, city, count(*) AS n FROM s GROUP BY name, city;
CREATE SINK proj WITH (format = 'memory')
  AS SELECT ts, name, v, big, d, CAST(x AS DOUBLE) AS x, ok, day FROM s;
CREATE SINK many WITH (format = 'memory') AS SELECT k, i FROM tiny;
SQL
# 105 one-row files for `many`, one batch each (maxFilesPerTrigger = 1),
# taken in order (distinct modification times): more than the 100 reports
# /progress keeps.
for i in $(seq 1 105); do
  f=in2/t$(printf %03d "$i").json
  printf '{"k":"x","i":%d}\n' "$i" > "$f"
  touch -d "@$((1700000000 + i))" "$f"
done
S_QUERIES='["by_name","cities","upd","win","per_city","pairs","proj"]'

if start_eddy A a.sql --progress prog.jsonl; then
  A_PID=$PID
  # -- before the first batch of s
  queries > q0.json
  check_jq "queries: names, status, modes, sinks, charts" q0.json \
    '[.queries[] | {name, status, exception, outputMode, sink, chart}]' '[
    {"name":"by_name","status":"ACTIVE","exception":null,"outputMode":"complete","sink":"console",
     "chart":{"type":"bar","label":"name","values":["count"]}},
    {"name":"cities","status":"ACTIVE","exception":null,"outputMode":"complete","sink":"memory",
     "chart":{"type":"donut","label":"city","values":["total"]}},
    {"name":"upd","status":"ACTIVE","exception":null,"outputMode":"update","sink":"memory",
     "chart":{"type":"bar","label":"name","values":["n","maxv"]}},
    {"name":"win","status":"ACTIVE","exception":null,"outputMode":"append","sink":"memory",
     "chart":{"type":"line","x":"window","series":null,"values":["n"]}},
    {"name":"per_city","status":"ACTIVE","exception":null,"outputMode":"complete","sink":"memory",
     "chart":{"type":"line","x":"window_start","series":"city","values":["total"]}},
    {"name":"pairs","status":"ACTIVE","exception":null,"outputMode":"complete","sink":"memory",
     "chart":{"type":"table"}},
    {"name":"proj","status":"ACTIVE","exception":null,"outputMode":"append","sink":"memory",
     "chart":{"type":"table"}},
    {"name":"many","status":"ACTIVE","exception":null,"outputMode":"append","sink":"memory",
     "chart":{"type":"bar","label":"k","values":["i"]}}]'
  UUID='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  check_jq "queries: id and runId are distinct UUIDs" q0.json \
    "[.queries[] | .id, .runId | test(\"$UUID\")] as \$u | [.queries[] | .id, .runId] | (unique | length) == 16 and (\$u | all)" true
  check_jq "queries: batchId -1 and lastProgress null before the first batch" q0.json \
    "[.queries[] | select(.name as \$n | $S_QUERIES | index(\$n)) | [.batchId, .lastProgress]] | unique" '[[-1,null]]'
  "${CURL[@]}" "${URL}api/v1/queries/by_name/result" > r0.json
  check_jq "result before the first batch" r0.json . '{"name":"by_name","batchId":-1,
    "columns":["name","count"],"types":["string","bigint"],"rows":[],"totalRows":0,"truncated":false}'
  "${CURL[@]}" "${URL}api/v1/queries/by_name/progress" > p0.json
  check_jq "progress before the first batch" p0.json . '[]'
  if [ "$HAVE_SS" = 1 ]; then
    port=${URL##*:}; port=${port%/}
    ss -ltnpH 2>/dev/null | grep "pid=$A_PID," | awk '{ print $4 }' > listen.txt
    echo "127.0.0.1:$port" > want_listen.txt
    check_same "eddy listens on 127.0.0.1:$port only" want_listen.txt listen.txt
  fi

  # -- batch 0 of s
  put in a.json <<EOF
{"ts":"2024-01-01 00:00:01","name":"alice","city":"Paris","v":1,"big":10000000000,"d":1.5,"x":"NaN","ok":true,"day":"2024-01-01"}
{"ts":"2024-01-01 00:00:02","name":"bob","city":"Oslo","v":2,"big":null,"d":null,"x":"Infinity","ok":false,"day":"2024-02-29"}
{"ts":"2024-01-01 00:00:03","name":"$XSS","city":"Paris","v":3,"big":-1,"d":2.25,"x":"-Infinity","ok":null,"day":null}
{"ts":"2024-01-01 00:00:15","name":"alice","city":null,"v":4,"big":0,"d":-0.5,"x":null,"ok":true,"day":"2024-01-02"}
EOF
  check "batch 0 of every query of s" until_ok 10 batch_ge proj 0
  until_ok 5 batch_ge by_name 0; until_ok 5 batch_ge upd 0
  "${CURL[@]}" "${URL}api/v1/queries/proj/result" > r1.json
  check_jq "append result: cell types (numbers, NaN/Infinity, null, booleans, dates, timestamps)" r1.json . "{
    \"name\":\"proj\",\"batchId\":0,
    \"columns\":[\"ts\",\"name\",\"v\",\"big\",\"d\",\"x\",\"ok\",\"day\"],
    \"types\":[\"timestamp\",\"string\",\"int\",\"bigint\",\"double\",\"double\",\"boolean\",\"date\"],
    \"rows\":[[\"2024-01-01 00:00:01\",\"alice\",1,10000000000,1.5,\"NaN\",true,\"2024-01-01\"],
              [\"2024-01-01 00:00:02\",\"bob\",2,null,null,\"Infinity\",false,\"2024-02-29\"],
              [\"2024-01-01 00:00:03\",$(jq -n --arg s "$XSS" '$s'),3,-1,2.25,\"-Infinity\",null,null],
              [\"2024-01-01 00:00:15\",\"alice\",4,0,-0.5,null,true,\"2024-01-02\"]],
    \"totalRows\":4,\"truncated\":false}"
  "${CURL[@]}" "${URL}api/v1/queries/upd/result" > u0.json
  check_jq "update result after batch 0" u0.json '.rows | sort' \
    "[[$(jq -n --arg s "$XSS" '$s'),1,3],[\"alice\",2,4],[\"bob\",1,2]]"

  # -- batch 1 of s (and, for win, the no-data batch 2 that closes [0, 10))
  put in b.json <<'EOF'
{"ts":"2024-01-01 00:00:25.5","name":"bob","city":"Oslo","v":5,"big":5,"d":1e300,"x":"0.25","ok":false,"day":"2024-03-01"}
{"ts":"2024-01-01 00:00:26","name":"carol","city":"Rome","v":6,"big":6,"d":0,"x":"1","ok":true,"day":"2024-03-02"}
EOF
  check "batch 1 of every query of s, batch 2 of win" until_ok 10 batch_ge win 2
  for q in by_name cities upd per_city pairs proj; do until_ok 5 batch_ge $q 1 || bad "batch 1 of $q"; done
  XS=$(jq -n --arg s "$XSS" '$s')
  "${CURL[@]}" -D h_by_name.txt "${URL}api/v1/queries/by_name/result" > by_name.json
  check_jq "complete result: the whole object (rows sorted)" by_name.json '.rows |= sort' "{
    \"name\":\"by_name\",\"batchId\":1,\"columns\":[\"name\",\"count\"],\"types\":[\"string\",\"bigint\"],
    \"rows\":[[$XS,1],[\"alice\",2],[\"bob\",2],[\"carol\",1]],\"totalRows\":4,\"truncated\":false}"
  check "the <img> value is a plain JSON string in the body" grep -qF "[\"$XSS\",1]" by_name.json
  check "result Content-Type is application/json" [ "$(header h_by_name.txt Content-Type)" = application/json ]
  check "result X-Content-Type-Options: nosniff" [ "$(header h_by_name.txt X-Content-Type-Options)" = nosniff ]
  check "result Content-Security-Policy as documented" [ "$(header h_by_name.txt Content-Security-Policy)" = "$CSP" ]
  "${CURL[@]}" "${URL}api/v1/queries/cities/result" > cities.json
  check_jq "donut query's result" cities.json '[.batchId, (.rows | sort), .totalRows]' \
    '[1, [[null,4],["Oslo",7],["Paris",4],["Rome",6]], 4]'
  "${CURL[@]}" "${URL}api/v1/queries/upd/result" > upd.json
  check_jq "update result: upserted, each key once with its new values" upd.json \
    '[.batchId, .columns, (.rows | sort), .totalRows, .truncated]' \
    "[1, [\"name\",\"n\",\"maxv\"], [[$XS,1,3],[\"alice\",2,4],[\"bob\",2,5],[\"carol\",1,6]], 4, false]"
  "${CURL[@]}" "${URL}api/v1/queries/win/result" > win.json
  check_jq "append window result: {start, end} cells, closed window only" win.json . '{
    "name":"win","batchId":2,"columns":["window","n"],
    "types":["struct<start:timestamp,end:timestamp>","bigint"],
    "rows":[[{"start":"2024-01-01 00:00:00","end":"2024-01-01 00:00:10"},3]],
    "totalRows":1,"truncated":false}'
  "${CURL[@]}" "${URL}api/v1/queries/per_city/result" > per_city.json
  check_jq "line-chart query's result (window start, city, sum)" per_city.json '[.types, (.rows | sort)]' '[
    ["timestamp","string","bigint"],
    [["2024-01-01 00:00:00","Oslo",2],["2024-01-01 00:00:00","Paris",4],
     ["2024-01-01 00:00:10",null,4],
     ["2024-01-01 00:00:20","Oslo",5],["2024-01-01 00:00:20","Rome",6]]]'
  "${CURL[@]}" "${URL}api/v1/queries/pairs/result" > pairs.json
  check_jq "two-label query's result" pairs.json '[.batchId, (.rows | sort)]' \
    "[1, [[$XS,\"Paris\",1],[\"alice\",null,1],[\"alice\",\"Paris\",1],[\"bob\",\"Oslo\",2],[\"carol\",\"Rome\",1]]]"
  "${CURL[@]}" "${URL}api/v1/queries/proj/result" > proj.json
  # A fraction of a second: Spark's "…:25.5" or the "[.SSSSSS]" of
  # docs/HTTP.md, "…:25.500000"; both are accepted.
  check_jq "append result keeps rows in order across batches" proj.json \
    '[.batchId, [.rows[] | [(.[0] | sub("\\.500000$"; ".5")), .[1], .[2]]], .totalRows]' \
    "[1, [[\"2024-01-01 00:00:01\",\"alice\",1],[\"2024-01-01 00:00:02\",\"bob\",2],
          [\"2024-01-01 00:00:03\",$XS,3],[\"2024-01-01 00:00:15\",\"alice\",4],
          [\"2024-01-01 00:00:25.5\",\"bob\",5],[\"2024-01-01 00:00:26\",\"carol\",6]], 6]"
  check_jq "a double of 1e300 and 0 are JSON numbers" proj.json '[.rows[4][4], .rows[5][4]]' '[1e300, 0]'
  # batchId agrees between /api/v1/queries, /result and lastProgress.
  queries > q1.json
  check_jq "queries: batchId of each query" q1.json '[.queries[] | select(.name != "many") | [.name, .batchId]]' \
    '[["by_name",1],["cities",1],["upd",1],["win",2],["per_city",1],["pairs",1],["proj",1]]'
  check_jq "queries: lastProgress is the batch's report" q1.json \
    '[.queries[] | select(.name != "many") | .lastProgress.batchId == .batchId and .lastProgress.name == .name
      and .lastProgress.id == .id and .lastProgress.runId == .runId] | all' true
  "${CURL[@]}" "${URL}api/v1/queries/win/progress" > win_p.json
  check_jq "win progress: batch ids and input rows" win_p.json '[.[] | [.batchId, .numInputRows]]' '[[0,4],[1,2],[2,0]]'
  check_jq "lastProgress equals the last /progress entry" q1.json \
    '.queries[] | select(.name == "win") | .lastProgress' "$(jq -c '.[-1]' win_p.json)"

  # -- /progress keeps the last 100 reports, as written to --progress
  check "many: all 105 batches ran" until_ok 10 batch_ge many 104
  "${CURL[@]}" "${URL}api/v1/queries/many/progress" > many_p.json
  check_jq "progress: the last 100 reports, batch ids 5..104, one row each" many_p.json \
    '[length, [.[].batchId] == [range(5; 105)], ([.[].numInputRows] | unique)]' '[100, true, [1]]'
  jq -c 'select(.name == "many")' prog.jsonl | tail -n 100 | jq -s . > many_file.json
  if jq -e --slurpfile want many_file.json '. == $want[0]' many_p.json > /dev/null; then
    pass "progress: exactly the objects written to --progress"
  else bad "progress: not the objects written to --progress"; fi
  "${CURL[@]}" "${URL}api/v1/queries/many/result" > many_r.json
  check_jq "append result over 105 batches, oldest first" many_r.json '[.batchId, .rows, .totalRows, .truncated]' \
    "[104, $(jq -nc '[range(1; 106) | ["x", .]]'), 105, false]"

  # -- paths: nothing maps to a file
  for p in /../../etc/passwd /%2e%2e/%2e%2e/etc/passwd /..%2f..%2fetc%2fpasswd //etc/passwd \
           /api/v1/queries/..%2f..%2fetc/result /index.html/../../etc/passwd /web/app.js \
           /CMakeLists.txt /web/index.html /%2fetc%2fpasswd /api/v1/../../../etc/passwd \
           /api/v1/queries/by_name/../../../../etc/passwd /.git/config /app.js/ /nope; do
    code=$(fetch "$p" body.txt -D hdr.txt)
    if [ "$code" = 404 ] && ! grep -q 'root:\|cmake_minimum_required\|\[core\]' body.txt \
       && jq -e '.error | type == "string"' body.txt > /dev/null 2>&1 \
       && [ "$(header hdr.txt Content-Type)" = application/json ]; then pass "GET $p: 404 JSON error"
    else bad "GET $p: $code $(head -c 200 body.txt)"; fi
  done
  code=$(fetch /api/v1/queries/nope/result body.txt)
  check "unknown query's result: 404 naming it" eval '[ "$code" = 404 ] && jq -e ".error | contains(\"nope\")" body.txt > /dev/null'
  code=$(fetch /api/v1/queries/nope/progress body.txt)
  check "unknown query's progress: 404 naming it" eval '[ "$code" = 404 ] && jq -e ".error | contains(\"nope\")" body.txt > /dev/null'
  code=$(fetch /api/v1/queries/by_name/sql body.txt)
  check "unknown endpoint of a query: 404" [ "$code" = 404 ]

  # -- read-only
  for m in POST PUT DELETE PATCH; do
    for p in / /api/v1/queries /api/v1/queries/by_name/result /api/v1/events; do
      code=$(fetch "$p" body.txt -D hdr.txt -X "$m" -d '{}')
      if [ "$code" = 405 ] && [ "$(header hdr.txt Allow)" = "GET, HEAD" ] \
         && jq -e '.error | type == "string"' body.txt > /dev/null 2>&1; then pass "$m $p: 405, Allow: GET, HEAD"
      else bad "$m $p: $code, Allow '$(header hdr.txt Allow)'"; fi
    done
  done
  code=$("${CURL[@]}" -I -o hdr.txt -w '%{http_code}' "${URL}api/v1/queries")
  check "HEAD /api/v1/queries: 200 application/json" eval '[ "$code" = 200 ] && [ "$(header hdr.txt Content-Type)" = application/json ]'
  # A state-changing POST with a form content type is refused too.
  code=$(fetch /api/v1/queries/by_name/result body.txt -X POST -H 'Content-Type: application/x-www-form-urlencoded' -d 'stop=1')
  check "form POST: 405" [ "$code" = 405 ]
  check "the run is untouched by the refused requests" batch_ge by_name 1
  # A name that is not UTF-8 once decoded (%FF) is a 404, not a crash.
  code=$(fetch '/api/v1/queries/%FF/result' body.txt)
  check "a non-UTF-8 query name: 404 with a JSON error (got $code)" \
    eval '[ "$code" = 404 ] && jq -e ".error | type == \"string\"" body.txt > /dev/null'
  check "eddy is still running after the non-UTF-8 name" kill -0 "$A_PID"
  # DNS rebinding: a page served from another name gets nothing.
  code=$(fetch /api/v1/queries body.txt -H 'Host: evil.example:80')
  check "Host: evil.example is refused with 403 (got $code)" [ "$code" = 403 ]
  code=$(fetch /api/v1/queries body.txt -H "Host: localhost:${URL##*:}")
  check "Host: localhost is served (got $code)" [ "$code" = 200 ]

  # -- the dashboard and its assets, byte for byte
  for a in "/|index.html|text/html; charset=utf-8" "/app.js|app.js|text/javascript; charset=utf-8" \
           "/style.css|style.css|text/css; charset=utf-8" \
           "/chart.umd.js|node_modules/chart.js/dist/chart.umd.js|text/javascript; charset=utf-8"; do
    IFS='|' read -r p f t <<< "$a"
    code=$(fetch "$p" asset.bin -D hdr.txt)
    if [ "$code" = 200 ] && [ "$(header hdr.txt Content-Type)" = "$t" ] && cmp -s asset.bin "$ROOT/web/$f" \
       && [ "$(header hdr.txt Content-Security-Policy)" = "$CSP" ] \
       && [ "$(header hdr.txt X-Content-Type-Options)" = nosniff ]; then pass "GET $p: 200 $t, web/$f byte for byte"
    else bad "GET $p: $code '$(header hdr.txt Content-Type)', same as web/$f: $(cmp -s asset.bin "$ROOT/web/$f" && echo yes || echo no)"; fi
  done
  fetch /app.js asset.bin > /dev/null
  check "app.js inserts no HTML (no innerHTML, insertAdjacentHTML, document.write)" \
    bash -c "! grep -qE 'innerHTML|outerHTML|insertAdjacentHTML|document\\.write' asset.bin"

  # -- the event stream: a new file brings result and progress events
  "${CURL[@]}" -N --max-time 60 -D sse_a.h "${URL}api/v1/events" > sse_a.txt &
  SSE_A=$!; BG+=("$SSE_A")
  check "event stream opens" until_ok 5 grep -q '^retry:' sse_a.txt
  check "event stream Content-Type" [ "$(header sse_a.h Content-Type)" = "text/event-stream; charset=utf-8" ]
  check "event stream Content-Security-Policy" [ "$(header sse_a.h Content-Security-Policy)" = "$CSP" ]
  put in c.json <<'EOF'
{"ts":"2024-01-01 00:00:35","name":"dave","city":"Oslo","v":7,"big":7,"d":7,"x":"7","ok":true,"day":"2024-03-03"}
EOF
  check "result event for by_name's batch 2 within 5 s" \
    until_ok 5 has_event sse_a.txt '.event == "result" and .data.name == "by_name" and .data.batchId == 2'
  check "progress event for by_name's batch 2 within 5 s" \
    until_ok 5 has_event sse_a.txt '.event == "progress" and .data.name == "by_name" and .data.progress.batchId == 2'
  check "result event for upd's batch 2 within 5 s" \
    until_ok 5 has_event sse_a.txt '.event == "result" and .data.name == "upd" and .data.batchId == 2'
  sse sse_a.txt | jq -s . > ev_a.json
  check_jq "result event: the new counts" ev_a.json \
    '[.[] | select(.event == "result" and .data.name == "by_name")][-1].data | .rows |= sort' "{\"name\":\"by_name\",\"batchId\":2,\"columns\":[\"name\",\"count\"],\"types\":[\"string\",\"bigint\"],
      \"rows\":[[$XS,1],[\"alice\",2],[\"bob\",2],[\"carol\",1],[\"dave\",1]],\"totalRows\":5,\"truncated\":false}"
  check_jq "progress event for by_name's batch 2 with its input rows" ev_a.json \
    '[.[] | select(.event == "progress" and .data.name == "by_name") | .data.progress | [.name, .batchId, .numInputRows]]' \
    '[["by_name", 2, 1]]'
  check "window closed by the watermark arrives as a result event" \
    until_ok 5 has_event sse_a.txt '.event == "result" and .data.name == "win" and .data.batchId == 4'
  sse sse_a.txt | jq -s . > ev_a.json
  check_jq "win result event: both closed windows, in order" ev_a.json \
    '[.[] | select(.event == "result" and .data.name == "win")][-1].data | [.batchId, .rows]' '[4, [[{"start":"2024-01-01 00:00:00","end":"2024-01-01 00:00:10"},3],
                              [{"start":"2024-01-01 00:00:10","end":"2024-01-01 00:00:20"},1]]]'
  check_jq "upd result event: dave added, others kept" ev_a.json \
    '[.[] | select(.event == "result" and .data.name == "upd")][-1].data | [.batchId, (.rows | sort)]' "[2, [[$XS,1,3],[\"alice\",2,4],[\"bob\",2,5],[\"carol\",1,6],[\"dave\",1,7]]]"
  "${CURL[@]}" "${URL}api/v1/queries/by_name/progress" > byn_p.json
  check_jq "by_name progress: increasing batch ids, rows as written" byn_p.json '[.[] | [.batchId, .numInputRows]]' '[[0,4],[1,2],[2,1]]'

  # -- SIGTERM: final STOPPED statuses, then the stream ends; exit 0
  t=$(date +%s%N)
  kill -TERM "$A_PID"
  check "event stream ends by itself after SIGTERM" until_ok 5 gone "$SSE_A"
  reap "$A_PID"; st=$ST
  ms=$(( ($(date +%s%N) - t) / 1000000 ))
  check "eddy exits 0 after SIGTERM (status $st)" [ "$st" = 0 ]
  check "eddy stops within 3 s of SIGTERM (${ms} ms)" [ "$ms" -lt 3000 ]
  reap "$SSE_A"
  sse sse_a.txt | jq -s . > ev_a.json
  check_jq "final status events: every query STOPPED" ev_a.json \
    '[.[] | select(.event == "status") | .data] | sort_by(.name)' '[
    {"name":"by_name","status":"STOPPED","exception":null},{"name":"cities","status":"STOPPED","exception":null},
    {"name":"many","status":"STOPPED","exception":null},{"name":"pairs","status":"STOPPED","exception":null},
    {"name":"per_city","status":"STOPPED","exception":null},{"name":"proj","status":"STOPPED","exception":null},
    {"name":"upd","status":"STOPPED","exception":null},{"name":"win","status":"STOPPED","exception":null}]'
  check_jq "the stream's last event is a status" ev_a.json '.[-1].event' '"status"'
else
  bad "run A did not start"
fi

# ==== B. a query fails at run time =========================================
mkdir inb inb2
cat > b.sql <<'SQL'
CREATE SOURCE b (a STRING, n INT) WITH (format = 'json', path = 'inb', mode = 'FAILFAST');
CREATE SOURCE b2 (a STRING) WITH (format = 'json', path = 'inb2');
CREATE SINK strict WITH (format = 'memory') AS SELECT a, n FROM b;
CREATE SINK calm WITH (format = 'console', outputMode = 'complete')
  AS SELECT a, count(*) AS n FROM b2 GROUP BY a;
SQL
if start_eddy B b.sql; then
  B_PID=$PID
  printf '{"a":"fine","n":1}\n' | put inb ok.json
  check "failing run: batch 0 of strict" until_ok 10 batch_ge strict 0
  queries > qb.json
  check_jq "failing run: ACTIVE with no exception before the failure" qb.json \
    '[.queries[] | [.name, .status, .exception]]' '[["strict","ACTIVE",null],["calm","ACTIVE",null]]'
  "${CURL[@]}" -N --max-time 30 "${URL}api/v1/events" > sse_b.txt &
  SSE_B=$!; BG+=("$SSE_B")
  until_ok 5 grep -q '^retry:' sse_b.txt || bad "failing run: event stream did not open"
  t=$(date +%s%N)
  printf '{"a":"fine","n":2}\n{"a":\n' | put inb bad.json
  check "failing run: the event stream ends by itself" until_ok 10 gone "$SSE_B"
  check "failing run: eddy exits" until_ok 5 gone "$B_PID"
  reap "$B_PID"; st=$ST
  ms=$(( ($(date +%s%N) - t) / 1000000 ))
  check "failing run: exit status 1 (got $st)" [ "$st" = 1 ]
  check "failing run: over within 3 s of the bad file (${ms} ms)" [ "$ms" -lt 3000 ]
  reap "$SSE_B"
  sse sse_b.txt | jq -s . > ev_b.json
  check_jq "failing run: strict FAILED with the exception, calm STOPPED" ev_b.json \
    '[.[] | select(.event == "status") | .data | [.name, .status, (.exception | type)]] | sort' \
    '[["calm","STOPPED","null"],["strict","FAILED","string"]]'
  exc=$(jq -r '[.[] | select(.event == "status" and .data.status == "FAILED")][0].data.exception // ""' ev_b.json)
  check "failing run: the exception names the file and line ('$exc')" grep -qF 'inb/bad.json:2' <<< "$exc"
  check "failing run: the exception is the error line eddy prints" eval '[ -n "$exc" ] && grep -qxF -- "eddy: error: $exc" B.err'
  check_jq "failing run: the FAILED status is the stream's last word for strict" ev_b.json \
    '[.[] | select(.data.name == "strict")][-1] | [.event, .data.status]' '["status","FAILED"]'
else
  bad "run B did not start"
fi

# ==== C. limits: 32 streams, a stalled client, 1000-row views ==============
mkdir inc
cat > c.sql <<'SQL'
CREATE SOURCE c (name STRING, v INT) WITH (format = 'json', path = 'inc');
CREATE SINK top WITH (format = 'memory', outputMode = 'complete')
  AS SELECT name, count(*) AS n FROM c GROUP BY name;
CREATE SINK recent WITH (format = 'memory') AS SELECT name, v FROM c;
SQL
# big K: 1000 rows, names of 300 characters, v = 10000 K + i.
big() {
  awk -v k="$1" 'BEGIN { pad = sprintf("%300s", ""); gsub(/ /, "x", pad)
    for (i = 0; i < 1000; i++) printf "{\"name\":\"f%d-%04d-%s\",\"v\":%d}\n", k, i, pad, k * 10000 + i }'
}
if start_eddy C c.sql; then
  C_PID=$PID
  printf '{"name":"first","v":0}\n' | put inc c0.json
  until_ok 10 batch_ge top 0 || bad "limits run: batch 0"
  S=()
  for i in $(seq 1 32); do
    "${CURL[@]}" -N --max-time 60 "${URL}api/v1/events" > "stream$i.txt" &
    S+=($!); BG+=($!)
  done
  all_open() { [ "$(grep -l '^retry:' stream*.txt 2>/dev/null | wc -l)" -eq 32 ]; }
  check "32 event streams open" until_ok 10 all_open
  code=$(fetch /api/v1/events body.txt --max-time 3)
  check "the 33rd event stream gets 503 (got $code)" [ "$code" = 503 ]
  check "the 503 has a JSON error" jqt '.error | type == "string"' body.txt
  code=$(fetch /api/v1/queries body.txt)
  check "the API still answers with 32 streams open" [ "$code" = 200 ]
  for p in "${S[@]}"; do kill "$p" 2>/dev/null; reap "$p"; done
  printf '{"name":"second","v":0}\n' | put inc c1.json
  until_ok 10 batch_ge top 1 || bad "limits run: batch 1"
  new_stream() { [ "$(fetch /api/v1/events body.txt --max-time 1)" = 200 ]; }
  check "closed streams free their slots" until_ok 5 new_stream
  # Again with no batch to wake the streams: each notices its client left
  # within a second (not at the next event or keep-alive).
  rm -f stream*.txt
  sleep 2 # new_stream's own probe (closed after 1 s) leaves within a second
  S=()
  for i in $(seq 1 32); do
    "${CURL[@]}" -N --max-time 60 "${URL}api/v1/events" > "stream$i.txt" &
    S+=($!); BG+=($!)
  done
  check "32 event streams open again" until_ok 10 all_open
  for p in "${S[@]}"; do kill "$p" 2>/dev/null; reap "$p"; done
  check "closed streams free their slots with no new batch" until_ok 3 new_stream

  if [ "$HAVE_PY" = 1 ]; then
    # A client that sends its request and never reads (a 2 KB receive buffer).
    cat > stall.py <<'EOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % s.getsockname()[1])
time.sleep(60)
EOF
    port=${URL##*:}; port=${port%/}
    python3 stall.py "$port" stall.port & STALL=$!; BG+=("$STALL")
    until_ok 5 [ -s stall.port ] || bad "stalled client did not connect"
    "${CURL[@]}" -N --max-time 60 "${URL}api/v1/events" > sse_c.txt &
    SSE_C=$!; BG+=("$SSE_C")
    until_ok 5 grep -q '^retry:' sse_c.txt
    slow=0
    for k in 1 2 3 4 5 6 7 8; do
      big "$k" | put inc "big$k.json"
      until_ok 5 batch_ge top $((k + 1)) || slow=1
    done
    check "8 big batches complete while a client is stalled" [ "$slow" = 0 ]
    "${CURL[@]}" "${URL}api/v1/queries/top/progress" > top_p.json
    check_jq "progress while stalled: every batch, rows as written" top_p.json '[.[] | [.batchId, .numInputRows]]' \
      '[[0,1],[1,1],[2,1000],[3,1000],[4,1000],[5,1000],[6,1000],[7,1000],[8,1000],[9,1000]]'
    if [ "$HAVE_SS" = 1 ]; then
      sport=$(head -1 stall.port)
      q=$(ss -tnH "( sport = :$port and dport = :$sport )" 2>/dev/null | awk '{ print $3 }' | head -1)
      check "the stalled client really is stalled (${q:-?} bytes queued)" [ "${q:-0}" -gt 500000 ]
      # More than 1 MiB unread: the server drops it (closes its end).
      stall_state() { ss -tnH "( sport = :$port and dport = :$sport )" 2>/dev/null | awk '{ print $1 }' | head -1; }
      check "the stalled client is dropped by the server ($(stall_state))" \
        until_ok 10 eval '[ "$(stall_state)" != ESTAB ]'
    fi
    check "a reading client gets the last result while another is stalled" \
      until_ok 5 has_event sse_c.txt '.event == "result" and .data.name == "top" and .data.batchId == 9'
  fi
  # Views keep at most 1000 rows. Each query plans its own batches (two
  # files that land together may be one batch of recent's), so wait for
  # recent's rows, not for a batch id.
  recent_done() {
    [ "$("${CURL[@]}" "${URL}api/v1/queries/recent/result" | jq .totalRows)" = 8002 ]
  }
  until_ok 10 recent_done || bad "limits run: recent's 8002 rows"
  "${CURL[@]}" "${URL}api/v1/queries/recent/result" > recent.json
  big 8 | jq -c '[.name, .v]' | jq -s . > want_recent.json
  if jq -e --slurpfile want want_recent.json '.rows == $want[0] and .totalRows == 8002 and .truncated == true' recent.json > /dev/null; then
    pass "append view: the last 1000 rows, in order, totalRows 8002, truncated"
  else bad "append view: $(jq -c '[.batchId, .totalRows, .truncated, (.rows | length), .rows[0][1], .rows[-1][1]]' recent.json)"; fi
  "${CURL[@]}" "${URL}api/v1/queries/top/result" > top.json
  check_jq "complete view: 1000 of 8002 rows, truncated" top.json \
    '[.batchId, (.rows | length), .totalRows, .truncated, ([.rows[][1]] | unique)]' '[9, 1000, 8002, true, [1]]'
  # SIGTERM with the stalled client still connected.
  t=$(date +%s%N)
  kill -TERM "$C_PID"
  check "limits run: eddy stops with a stalled client connected" until_ok 8 gone "$C_PID"
  reap "$C_PID"; st=$ST
  ms=$(( ($(date +%s%N) - t) / 1000000 ))
  check "limits run: exit 0 (got $st)" [ "$st" = 0 ]
  check "limits run: stopped within 5 s despite the stalled client (${ms} ms)" [ "$ms" -lt 5000 ]
  if [ "$HAVE_PY" = 1 ]; then
    check "limits run: the reading client's stream ends" until_ok 5 gone "$SSE_C"
    reap "$SSE_C"
    kill "$STALL" 2>/dev/null; reap "$STALL"
    sse sse_c.txt | jq -s . > ev_c.json
    check_jq "limits run: STOPPED statuses" ev_c.json '[.[] | select(.event == "status") | .data] | sort_by(.name)' \
      '[{"name":"recent","status":"STOPPED","exception":null},{"name":"top","status":"STOPPED","exception":null}]'
  fi
else
  bad "run C did not start"
fi

# ==== D. ports and hosts ===================================================
mkdir ind intext
cat > d.sql <<'SQL'
CREATE SOURCE d (a STRING) WITH (format = 'json', path = 'ind');
CREATE SOURCE t WITH (format = 'text', path = 'intext');
CREATE SINK echo WITH (format = 'console') AS SELECT a FROM d;
CREATE SINK `a/b` WITH (format = 'memory') AS SELECT a FROM d;
CREATE SINK raw WITH (format = 'memory') AS SELECT value FROM t;
SQL
printf '{"a":"one"}\n' | put ind d0.json
# Not UTF-8 (each bad byte becomes U+FFFD), a NUL, a euro sign.
printf 'ok\n\xff\xfeA\xc3\n\xe2\x82\xac\x00z\n' | put intext t0.txt
if [ "$HAVE_PY" = 1 ]; then
  # hold.py N FILE: listens on N consecutive ports of 127.0.0.1 whose next
  # one is free, writes the first to FILE, then sleeps.
  cat > hold.py <<'EOF'
import socket, sys, time
n = int(sys.argv[1])
while True:
    t = socket.socket(); t.bind(("127.0.0.1", 0)); base = t.getsockname()[1]; t.close()
    if base + n > 65535:
        continue
    held = []
    try:
        for i in range(n + 1):
            s = socket.socket(); s.bind(("127.0.0.1", base + i)); held.append(s)
    except OSError:
        for s in held: s.close()
        continue
    held.pop().close()
    for s in held: s.listen(1)
    break
with open(sys.argv[2], "w") as f:
    f.write("%d\n" % base)
time.sleep(60)
EOF
  python3 hold.py 1 hold1.port & H1=$!; BG+=("$H1")
  if until_ok 5 [ -s hold1.port ]; then
    P=$(head -1 hold1.port)
    "$EDDY" run d.sql --ui-port "$P" > D1.out 2> D1.err &
    D1=$!; BG+=("$D1")
    check "busy port $P: eddy takes $((P + 1))" until_ok 5 grep -qx "eddy: info: web UI at http://127.0.0.1:$((P + 1))/" D1.err
    check "busy port: a warning names both ports" grep -qx "eddy: warn: web UI: port $P is in use; using $((P + 1))" D1.err
    URL="http://127.0.0.1:$((P + 1))/"
    check "busy port: the API answers on $((P + 1))" until_ok 5 batch_ge echo 0
    until_ok 5 batch_ge raw 0
    "${CURL[@]}" "${URL}api/v1/queries/raw/result" > raw.json
    check_jq "bytes that are not UTF-8 come back as U+FFFD, a NUL as \\u0000" raw.json .rows \
      '[["ok"],["\ufffd\ufffdA\ufffd"],["\u20ac\u0000z"]]'
    code=$(fetch /api/v1/queries/a%2Fb/result body.txt)
    check "a query named 'a/b' is reachable as a%2Fb, as the dashboard asks (got $code $(head -c 80 body.txt))" \
      jqt '.name == "a/b" and .rows == [["one"]]' body.txt
    kill -TERM "$D1"; reap "$D1"; st=$ST
    check "busy port: exit 0 (got $st)" [ "$st" = 0 ]
  else bad "could not hold a port"; fi
  kill "$H1" 2>/dev/null; reap "$H1"
  python3 hold.py 17 hold17.port & H17=$!; BG+=("$H17")
  if until_ok 5 [ -s hold17.port ]; then
    P=$(head -1 hold17.port)
    timeout 10 "$EDDY" run d.sql --ui-port "$P" > D2.out 2> D2.err; st=$?
    check "ports $P..$((P + 16)) busy: exit 1 (got $st)" [ "$st" = 1 ]
    check "ports busy: the message names the range" grep -q "ports $P to $((P + 16)) on 127.0.0.1 are all in use" D2.err
  else bad "could not hold 17 ports"; fi
  kill "$H17" 2>/dev/null; reap "$H17"
fi

# Usage errors: exit 2, a clear message, and nothing created.
cat > d2.sql <<'SQL'
CREATE SOURCE d (a STRING) WITH (format = 'json', path = 'ind');
CREATE SINK files WITH (format = 'csv', path = 'out_d', checkpointLocation = 'ck_d') AS SELECT a FROM d;
SQL
timeout 10 "$EDDY" run d2.sql --ui-host not-an-ip > D3.out 2> D3.err; st=$?
check "--ui-host not-an-ip: exit 2 (got $st)" [ "$st" = 2 ]
check "--ui-host not-an-ip: the message names it" grep -q "ui-host.*'not-an-ip'" D3.err
check "--ui-host not-an-ip: nothing created (no sink or checkpoint directory)" eval '[ ! -e out_d ] && [ ! -e ck_d ]'
timeout 10 "$EDDY" run d2.sql --ui-port 70000 > D4.out 2> D4.err; st=$?
check "--ui-port 70000: exit 2 (got $st)" [ "$st" = 2 ]
check "--ui-port 70000: the message names it" grep -q "ui-port.*'70000'" D4.err
rm -rf out_d ck_d

# --no-ui: no server at all.
"$EDDY" run d.sql --no-ui > D5.out 2> D5.err &
D5=$!; BG+=("$D5")
check "--no-ui: the run works" until_ok 10 grep -q 'Batch: 0' D5.out
check "--no-ui: no 'web UI at' line" bash -c "! grep -q 'web UI at' D5.err"
socks=$(find "/proc/$D5/fd" -lname 'socket:*' 2>/dev/null | wc -l)
check "--no-ui: no socket open ($socks)" [ "$socks" -eq 0 ]
if [ "$HAVE_SS" = 1 ]; then
  check "--no-ui: nothing listening" bash -c "! ss -ltnpH 2>/dev/null | grep -q 'pid=$D5,'"
fi
kill -TERM "$D5"; reap "$D5"; st=$ST
check "--no-ui: exit 0 after SIGTERM (got $st)" [ "$st" = 0 ]

# Sanitizer builds: no report from any of the runs.
reports=$(grep -l 'Sanitizer\|runtime error:' ./*.err 2>/dev/null)
check "no sanitizer report in any run's stderr ${reports}" [ -z "$reports" ]
echo "run time: $(( $(date +%s) - T0 )) s"
finish
