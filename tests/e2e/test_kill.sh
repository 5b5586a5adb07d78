#!/usr/bin/env bash
# The kill test (issue 4): input files keep arriving while eddy is killed
# with SIGKILL at random moments and restarted, many times, plus crashes at
# chosen write, fsync and rename calls (EDDY_FAULT=OP:N:kill: inside
# checkpoint writes and sink writes), each followed by a restart. Then the
# producer stops and one --available-now run drains the input. Afterwards:
#   - the CSV copy's visible part files hold every produced row exactly once;
#   - the 10 s tumbling window sink (append, watermark 10 s) holds exactly the
#     windows whose end <= max event time - 10 s, each once, with the right
#     count and sum;
#   - no temporary file is visible to readers, every restart succeeded, and a
#     further run changes nothing.
# File i holds 4 events in [10 i s, 10 i + 10 s) and files are taken in that
# order, so no row is ever late whatever the batch boundaries are.
# EDDY_KILL_ROUNDS (default 12) random kills (a quarter of them clean
# SIGTERM stops); CI runs more.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export TZ=UTC
ROUNDS=${EDDY_KILL_ROUNDS:-12}
PRODUCER=
trap '[ -n "$PRODUCER" ] && kill "$PRODUCER" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
T0=$(date +%s)

BASE=1704067200 # 2024-01-01 00:00:00 UTC, a multiple of 10 s
MTIME0=$(( $(date +%s) - 100000 ))
mkdir in
# Writes file i atomically (hidden name, then rename), with mtime MTIME0 + i
# so that files are taken in order.
produce() {
  local i=0 j
  while [ ! -e stop ]; do
    {
      echo "id,ts,k,v"
      for j in 0 1 2 3; do
        printf '%d,%(%Y-%m-%d %H:%M:%S)T,k%d,%d\n' $((i * 4 + j)) $((BASE + 10 * i + 3 * j)) \
          $((j % 2)) $(( (i * 7 + j * 13) % 50 ))
      done
    } > in/.next.tmp
    touch -d "@$((MTIME0 + i))" in/.next.tmp
    mv in/.next.tmp "in/f$(printf %06d $i).csv"
    i=$((i + 1))
    sleep 0.08
  done
}

cat > p.sql <<'SQL'
CREATE SOURCE s (id BIGINT, ts TIMESTAMP, k STRING, v INT,
                 WATERMARK FOR ts AS ts - INTERVAL 10 SECONDS)
  WITH (format = 'csv', path = 'in', header = true, maxFilesPerTrigger = 1);
CREATE SINK copy WITH (format = 'csv', path = 'out_copy')
  AS SELECT id, ts, k, v FROM s;
CREATE SINK windows WITH (format = 'csv', path = 'out_win', outputMode = 'append')
  AS SELECT window.start AS ws, window.end AS we, count(*) AS n, sum(v) AS total
     FROM s GROUP BY window(ts, '10 seconds');
SQL

RUN=0
# A run's stderr is kept as err.N, for the failure messages.
eddy_bg() { RUN=$((RUN + 1)); "$EDDY" run p.sql --checkpoint ck --no-ui --log-level info "$@" > /dev/null 2> "err.$RUN" & }
show_err() { sed 's/^/    /' "err.$RUN" | tail -5; }

produce &
PRODUCER=$!
sleep 0.3

# msleep MS
msleep() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

# A round: run eddy live, SIGKILL it after 50-600 ms. Every fourth round
# stops it cleanly instead (SIGTERM after 300-600 ms, once it is surely
# running: it finishes and commits the running batch and exits 0), so that
# clean stops mix with crashes.
kill_round() {
  eddy_bg
  local pid=$! st
  if [ $(($1 % 4)) -eq 3 ]; then
    msleep $((300 + RANDOM % 301))
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    { wait "$pid"; } 2>/dev/null
    st=$?
    [ "$st" -eq 0 ] && ok || { bad "SIGTERM round (run $RUN): exit status $st, expected a clean stop (0) within 10 s"; show_err; }
    return
  fi
  msleep $((50 + RANDOM % 551))
  kill -KILL "$pid" 2>/dev/null
  { wait "$pid"; } 2>/dev/null
  st=$?
  # 137: our SIGKILL. Anything else: eddy stopped by itself, which a live
  # query does not do (e.g. it refused its checkpoint).
  [ "$st" -eq 137 ] && ok || { bad "random kill round (run $RUN): eddy exited by itself with $st"; show_err; }
}
# A crash at the Nth call of OP, in a live run (killed after 3 s if the Nth
# call never comes), then a clean --available-now restart that must succeed.
fault_round() {
  RUN=$((RUN + 1))
  { EDDY_FAULT=$1:kill timeout -s KILL 3 "$EDDY" run p.sql --checkpoint ck --no-ui --log-level warn \
      > /dev/null 2> "err.$RUN"; } 2>/dev/null
  local st=$?
  [ "$st" -eq 137 ] && ok || { bad "EDDY_FAULT=$1:kill (run $RUN): exit status $st, expected 137"; show_err; }
  if grep -q "EDDY_FAULT: killing the process at ${1%%:*} #${1#*:}\$" "err.$RUN"; then FIRED=$((FIRED + 1)); fi
  eddy_bg --available-now
  wait $!
  st=$?
  [ "$st" -eq 0 ] && ok || { bad "restart after EDDY_FAULT=$1:kill (run $RUN): exit status $st"; show_err; }
}

FIRED=0
NS=(1 2 3 4 6 9 14 20 30 45 70)
r=0
for n in "${NS[@]}"; do
  for op in rename fsync write; do
    fault_round "$op:$n"
  done
  # Random kills in between, ROUNDS in all.
  for _ in 1 2; do [ "$r" -lt "$ROUNDS" ] && { kill_round "$r"; r=$((r + 1)); }; done
done
while [ "$r" -lt "$ROUNDS" ]; do kill_round "$r"; r=$((r + 1)); done
[ "$FIRED" -ge $(( ${#NS[@]} * 3 / 2 )) ] && ok || bad "only $FIRED of $(( ${#NS[@]} * 3 )) injected crashes fired"
# Some crashes must have hit between a batch's offsets and its commit.
RERUNS=$(grep -l "re-running it with its logged input" err.* | wc -l)
[ "$RERUNS" -ge 1 ] && ok || bad "no restart re-ran an uncommitted batch: the crashes never landed inside a batch"

touch stop
wait "$PRODUCER"
PRODUCER=
nfiles=$(ls in | wc -l)
eddy_bg --available-now
wait $!
st=$?
[ "$st" -eq 0 ] && ok || { bad "final drain run: exit status $st"; show_err; }

# Expected rows, from the input files: the copy's line for each, and per
# 10 s window its count and sum, kept when end <= max event time - 10 s.
# (ts is 2024-01-DD HH:MM:SS; seconds since BASE computed by hand.)
awk -F, 'FNR > 1 { sub(/ /, "T", $2); print $1 "," $2 ".000Z," $3 "," $4 }' in/*.csv | sort > want_copy.txt
awk -F, '
  function fmt(s) { return sprintf("2024-01-%02dT%02d:%02d:%02d.000Z", 1 + int(s / 86400),
                                   int(s % 86400 / 3600), int(s % 3600 / 60), s % 60) }
  FNR > 1 {
    split($2, d, /[- :]/)
    s = (d[3] - 1) * 86400 + d[4] * 3600 + d[5] * 60 + d[6]
    w = s - s % 10; n[w]++; t[w] += $4; if (s > max) max = s
  }
  END { for (w in n) if (w + 10 <= max - 10) print fmt(w) "," fmt(w + 10) "," n[w] "," t[w] }' \
  in/*.csv | sort > want_win.txt
visible() { find "$1" -type f ! -path '*/[._]*' | sed "s|^$1/||"; }
rows() { visible "$1" | sed "s|^|$1/|" | xargs -r cat | sort; }
rows out_copy > got_copy.txt
rows out_win > got_win.txt

nrows=$(wc -l < want_copy.txt)
[ "$nrows" -ge 200 ] && ok || bad "only $nrows rows produced; the test needs more to mean anything"
cut -d, -f1 want_copy.txt | sort > want_ids.txt
cut -d, -f1 got_copy.txt | sort > got_ids.txt
dups=$(uniq -d got_ids.txt | wc -l)
missing=$(comm -23 want_ids.txt <(sort -u got_ids.txt) | wc -l)
extra=$(comm -13 want_ids.txt <(sort -u got_ids.txt) | wc -l)
[ "$dups" -eq 0 ] && ok || bad "copy: $dups ids written more than once, e.g. $(uniq -d got_ids.txt | head -5 | tr '\n' ' ')"
[ "$missing" -eq 0 ] && ok || bad "copy: $missing ids missing, e.g. $(comm -23 want_ids.txt <(sort -u got_ids.txt) | head -5 | tr '\n' ' ')"
[ "$extra" -eq 0 ] && ok || bad "copy: $extra ids never produced, e.g. $(comm -13 want_ids.txt <(sort -u got_ids.txt) | head -5 | tr '\n' ' ')"
check_same "copy: every produced row exactly once" want_copy.txt got_copy.txt
wdups=$(cut -d, -f1 got_win.txt | uniq -d | wc -l)
[ "$wdups" -eq 0 ] && ok || bad "windows: $wdups windows written more than once, e.g. $(cut -d, -f1 got_win.txt | uniq -d | head -3 | tr '\n' ' ')"
check_same "windows: exactly the closed windows, each once, right count and sum" want_win.txt got_win.txt

# Readers see part files only: no temporary file under a visible name.
odd=$( { visible out_copy; visible out_win; } | grep -Ev '^part-[0-9]{5}-[0-9]{5}\.csv$')
[ -z "$odd" ] && ok || bad "visible files other than part files: $(echo "$odd" | head -5 | tr '\n' ' ')"
[ -z "$(find in -name '*.tmp' ! -name '.*')" ] && ok || bad "visible temporary files in the input"

# Recovered and drained: another run changes nothing.
before=$(find out_copy out_win -type f ! -path '*/[._]*' | sort | xargs md5sum)
eddy_bg --available-now
wait $!
st=$?
after=$(find out_copy out_win -type f ! -path '*/[._]*' | sort | xargs md5sum)
[ "$st" -eq 0 ] && [ "$before" = "$after" ] && ok || { bad "a run after the drain (status $st) changed the sinks"; show_err; }

echo "kill test: $ROUNDS random kill/stop rounds, $FIRED injected crashes, $RUN eddy runs ($RERUNS re-ran a batch), $nfiles files, $nrows rows, $(wc -l < got_win.txt) windows, $(( $(date +%s) - T0 )) s"
finish
