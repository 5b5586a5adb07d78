#!/usr/bin/env bash
# Event time end to end: progress reports carry the watermark, event-time
# statistics and late-row counts batch by batch; a live query emits a closed
# window in a no-data batch without waiting for new data; two queries with
# different processing-time triggers run side by side, each aligned to its
# own interval.
source "$(dirname "$0")/lib.sh"
cd "$WORK"

put() { printf '%s' "$2" > "in/.$1.tmp" && mv "in/.$1.tmp" "in/$1"; }
wait_for() { # pattern file seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

# --- 1. progress per batch (the golden window_append case, hand-computed) ---
mkdir in
put 1.csv $'ts,k,v\n2024-01-01 00:00:01,a,1\n2024-01-01 00:00:07,b,2\n2024-01-01 00:00:12,a,3\n'
touch -d @1700000001 in/1.csv
# 00:00:03 in batch 1 is not late (window end 10 > wm 7); 00:00:02 in batch 2
# is (end 10 <= wm 20).
put 2.csv $'ts,k,v\n2024-01-01 00:00:25,a,4\n2024-01-01 00:00:03,a,5\n2024-01-01 00:00:14,b,6\n'
touch -d @1700000002 in/2.csv
put 3.csv $'ts,k,v\n2024-01-01 00:00:41,a,7\n2024-01-01 00:00:02,a,8\n,a,9\n'
touch -d @1700000003 in/3.csv
cat > p.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v BIGINT,
                 WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = 'in', header = true, maxFilesPerTrigger = 1);
CREATE SINK w WITH (format = 'console', outputMode = 'append')
  AS SELECT window.start AS ws, k, count(*) AS c FROM s GROUP BY window(ts, '10 seconds'), k;
SQL
"$EDDY" run p.sql --available-now --no-ui --log-level error --progress prog.jsonl > out.txt 2> err.txt
status=$?
[ "$status" -eq 0 ] && ok || { bad "exit status $status"; cat err.txt; }
jq -r '[.batchId, .numInputRows, (.eventTime.min // "-"), (.eventTime.max // "-"),
        .eventTime.watermark, .stateOperators[0].numRowsTotal,
        .stateOperators[0].numRowsUpdated, .stateOperators[0].numRowsDroppedByWatermark,
        .sink.numOutputRows] | @tsv' prog.jsonl > got.tsv
# batch rows min max watermark total updated dropped out
#  0: wm 0; groups [0,10)a [0,10)b [10,20)a; max 12 -> wm 7
#  1: wm 7; +[20,30)a +[10,20)b, [0,10)a updated; max 25 -> wm 20
#  2: wm 20; 00:00:02 late (dropped 1), NULL ts ignored; [40,50)a new;
#     emits and drops the 4 windows ending <= 20; max 41 -> wm 36
#  3: no-data batch, wm 36: emits [20,30)a; [40,50)a stays
cat > want.tsv <<'EOF'
0	3	2024-01-01T00:00:01.000Z	2024-01-01T00:00:12.000Z	1970-01-01T00:00:00.000Z	3	3	0	0
1	3	2024-01-01T00:00:03.000Z	2024-01-01T00:00:25.000Z	2024-01-01T00:00:07.000Z	5	3	0	0
2	3	2024-01-01T00:00:02.000Z	2024-01-01T00:00:41.000Z	2024-01-01T00:00:20.000Z	2	1	1	4
3	0	-	-	2024-01-01T00:00:36.000Z	1	0	0	1
EOF
check_same "progress: watermark, event time, state rows, late rows" want.tsv got.tsv
jq -e '.eventTime.avg == "2024-01-01T00:00:06.666Z"' <(head -1 prog.jsonl) > /dev/null &&
  ok || bad "eventTime.avg of batch 0 (Spark truncates 6666.67 ms)"
jq -e '.stateOperators[0].numRowsRemoved == 4 and .stateOperators[0].memoryUsedBytes > 0' \
  <(sed -n 3p prog.jsonl) > /dev/null && ok || bad "numRowsRemoved / memoryUsedBytes of batch 2"

# Without a watermark, eventTime is empty, as in Spark.
cat > nowm.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v BIGINT) WITH (format = 'csv', path = 'in', header = true);
CREATE SINK c WITH (format = 'console', outputMode = 'complete') AS SELECT k, count(*) FROM s GROUP BY k;
SQL
"$EDDY" run nowm.sql --available-now --no-ui --log-level error --progress nowm.jsonl > /dev/null 2>&1
jq -e '.eventTime == {}' nowm.jsonl > /dev/null && ok || bad "eventTime should be {} without a watermark"

# --- 2. a live query closes a window with a no-data batch ----------------------
rm -rf in && mkdir in
cat > live.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = 'in', header = true);
CREATE SINK w WITH (format = 'console', outputMode = 'append')
  AS SELECT window.start AS ws, k, count(*) AS c FROM s GROUP BY window(ts, '10 seconds'), k;
SQL
"$EDDY" run live.sql --no-ui --log-level error --progress live.jsonl > live.txt 2> live.err &
pid=$!
put 1.csv $'ts,k\n2024-01-01 00:00:01,a\n2024-01-01 00:00:02,a\n'
wait_for '"batchId":0' live.jsonl 10 && ok || bad "live batch 0 did not run"
# Batch 1 moves the watermark to 00:00:15; no more files come, yet the
# [00:00, 00:10) window must come out in batch 2, a no-data batch.
put 2.csv $'ts,k\n2024-01-01 00:00:20,a\n'
wait_for '"batchId":2' live.jsonl 10 && ok || bad "no no-data batch after the watermark moved"
kill -INT "$pid"
wait "$pid"
jq -e 'select(.batchId == 2) | .numInputRows == 0 and .sink.numOutputRows == 1' live.jsonl \
  > /dev/null && ok || bad "batch 2 should be a no-data batch emitting one window"
grep -q '|2024-01-01 00:00:00|  a|  2|' live.txt && ok || bad "closed window not printed"
n=$(wc -l < live.jsonl)
[ "$n" -eq 3 ] && ok || bad "expected exactly 3 batches (no repeated no-data batches), got $n"

# --- 3. two queries, two processing-time triggers -----------------------------
rm -rf in && mkdir in
put 1.csv $'ts,k\n2024-01-01 00:00:01,a\n'
cat > two.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = 'in', header = true);
CREATE SINK every_second WITH (format = 'console', outputMode = 'update', trigger = '1 second')
  AS SELECT k, count(*) AS c FROM s GROUP BY k;
CREATE SINK every_two WITH (format = 'console', outputMode = 'update', trigger = '2 seconds')
  AS SELECT window.start AS ws, count(*) AS c FROM s GROUP BY window(ts, '10 seconds');
SQL
"$EDDY" run two.sql --no-ui --log-level error --progress two.jsonl > two.txt 2> two.err &
pid=$!
for i in 2 3 4 5 6; do
  sleep 0.7
  put "$i.csv" "ts,k
2024-01-01 00:00:0$i,a
"
done
sleep 1
kill -INT "$pid"
wait "$pid"; status=$?
[ "$status" -eq 0 ] && ok || { bad "two-trigger run exit status $status"; cat two.err; }
# After the first batch, which runs at once (Spark's ProcessingTimeExecutor),
# each batch starts on a multiple of its interval: the progress timestamp's
# sub-interval offset stays small (generous bound for a loaded machine).
off1=$(jq -r 'select(.name == "every_second" and .batchId > 0) | .timestamp' two.jsonl |
       awk -F'[:.Z]' '{ print $(NF-1) + 0 }' | sort -n | tail -1)
off2=$(jq -r 'select(.name == "every_two" and .batchId > 0) | .timestamp' two.jsonl |
       awk -F'[:.Z]' '{ s = $(NF-2) % 2; print s * 1000 + $(NF-1) }' | sort -n | tail -1)
n1=$(jq -r 'select(.name == "every_second") | .batchId' two.jsonl | wc -l)
n2=$(jq -r 'select(.name == "every_two") | .batchId' two.jsonl | wc -l)
[ "$n1" -ge 3 ] && [ "$n2" -ge 2 ] && ok || bad "batches: every_second $n1, every_two $n2"
[ "${off1:-999}" -lt 400 ] && ok || bad "1-second trigger not aligned: start offset ${off1:-?} ms"
[ "${off2:-9999}" -lt 400 ] && ok || bad "2-second trigger not aligned: start offset ${off2:-?} ms"
# Together they saw every row: the last update of each shows the total.
total=$(jq -r 'select(.name == "every_second") | .numInputRows' two.jsonl | awk '{ s += $1 } END { print s + 0 }')
[ "$total" -eq 6 ] && ok || bad "every_second read $total rows, expected 6"
finish
