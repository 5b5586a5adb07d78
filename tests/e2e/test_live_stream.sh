#!/usr/bin/env bash
# A live run with the default trigger: files arrive while eddy runs, each
# becomes a batch, SIGINT finishes the running batch and exits 0, and every
# batch wrote a progress report.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
mkdir in
cat > live.sql <<'SQL'
CREATE SOURCE ev (ts STRING, user_id INT, event STRING)
  WITH (format = 'csv', path = 'in', header = true);
CREATE SINK counts WITH (format = 'console', outputMode = 'complete')
  AS SELECT event, count(*) AS count FROM ev GROUP BY event;
SQL
put() { printf '%s' "$2" > "in/.$1.tmp" && mv "in/.$1.tmp" "in/$1"; }
wait_for() { # pattern file seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
"$EDDY" run live.sql --no-ui --progress prog.jsonl > out.txt 2> err.txt &
pid=$!
put a.csv $'ts,user_id,event\nt,1,login\nt,2,view\n'
wait_for "Batch: 0" out.txt 10 && ok || bad "batch 0 did not run"
put b.csv $'ts,user_id,event\nt,1,view\nt,3,view\nt,4,purchase\n'
wait_for "Batch: 1" out.txt 10 && ok || bad "batch 1 did not run"
sleep 0.3
kill -INT "$pid"
wait "$pid"; status=$?
[ "$status" -eq 0 ] && ok || { bad "exit status $status after SIGINT"; cat err.txt; }
{
  printf 'login\t1\nview\t1\n' | console_table 0 event count
  printf 'login\t1\npurchase\t1\nview\t3\n' | console_table 1 event count
} > want.txt
check_same "two live batches" want.txt out.txt
n=$(wc -l < prog.jsonl)
[ "$n" -eq 2 ] && ok || bad "expected 2 progress reports, got $n"
grep -q '"batchId":1' prog.jsonl && grep -q '"numInputRows":3' prog.jsonl && ok || bad "progress fields"
for f in id runId name timestamp inputRowsPerSecond processedRowsPerSecond durationMs \
         triggerExecution eventTime stateOperators numRowsTotal sources sink; do
  grep -q "\"$f\"" prog.jsonl || bad "progress report lacks $f"
done
ok
finish
