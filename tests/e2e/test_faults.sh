#!/usr/bin/env bash
# Fault injection (issue 4): the Nth write, fsync or rename of the I/O layer
# fails (EDDY_FAULT=OP:N:EIO|ENOSPC), or the Nth allocation fails
# (EDDY_FAIL_ALLOC=N). For a spread of N (first, last, and between), eddy
# must exit 1 with a clear message (the query, the path, the errno's text;
# "out of memory" for the allocator), and a restart without the fault must
# recover with nothing lost and nothing doubled: the final outputs equal an
# uninterrupted reference run's exactly.
# The pipeline: a file source (12 files, one per batch, one late row), a
# windowed aggregation with state in append mode to a CSV sink, and a
# stateless CSV copy; one checkpoint root for both.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
T0=$(date +%s)

mkdir in0
for i in $(seq 1 12); do
  {
    echo ts,k,v
    for j in 0 1 2; do
      printf '2024-01-01 00:%02d:%02d,k%d,%d\n' $((i * 2)) $((j * 17)) $((j % 2)) $((i * 10 + j))
    done
    # Late once the watermark (max - 30 s) has passed 00:01:00.
    [ "$i" -eq 6 ] && echo "2024-01-01 00:00:01,k0,99"
  } > "in0/f$(printf %02d "$i").csv"
  touch -d "@$((1700000000 + i))" "in0/f$(printf %02d "$i").csv"
done
cat > p.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v INT, WATERMARK FOR ts AS ts - INTERVAL 30 SECONDS)
  WITH (format = 'csv', path = 'in', header = true, maxFilesPerTrigger = 1);
CREATE SINK agg WITH (format = 'csv', path = 'out_agg', outputMode = 'append')
  AS SELECT window.start AS ws, k, count(*) AS n, sum(v) AS total
     FROM s GROUP BY window(ts, '1 minute'), k;
CREATE SINK copy WITH (format = 'csv', path = 'out_copy') AS SELECT ts, k, v FROM s;
SQL
fresh() { rm -rf in ck out_agg out_copy && cp -a in0 in; }
eddy_run() { "$EDDY" run p.sql --checkpoint ck --available-now --no-ui --log-level warn > out.txt 2> err.txt; }
# The visible part files' rows of both sinks, sorted, labelled by sink.
outputs() {
  local d
  for d in out_agg out_copy; do
    find "$d" -type f -name 'part-*' ! -path '*/[._]*' -exec cat {} + 2>/dev/null | sort | sed "s|^|$d: |"
  done
}

# Reference: one clean run, and how many calls of each kind it makes.
fresh
EDDY_FAULT=count eddy_run
st=$?
[ "$st" -eq 0 ] && ok || { bad "reference run exit status $st"; cat err.txt; }
outputs > ref.txt
counts=$(sed -n 's/^eddy: fault counts: //p' err.txt)
count_of() { echo "$counts" | sed -n "s/.*$1=\([0-9]*\).*/\1/p"; }
W=$(count_of write); F=$(count_of fsync); R=$(count_of rename)
[ "${W:-0}" -gt 20 ] && [ "${F:-0}" -gt 20 ] && [ "${R:-0}" -gt 20 ] && ok || bad "fault counts of the reference run: '$counts'"
# The hand-computed expectation: 36 rows copied (the late one too, the copy
# is stateless), 1-minute windows of 00:02..00:22 (the one of 00:24 stays
# open: the watermark ends at 00:24:04), the late row dropped.
[ "$(grep -c '^out_copy: ' ref.txt)" -eq 37 ] && ok || bad "reference copy rows: $(grep -c '^out_copy: ' ref.txt)"
awk -F, 'FNR > 1 && $1 >= "2024-01-01 00:02" && $1 < "2024-01-01 00:24" {
           w = substr($1, 1, 16); n[w "," $2]++; s[w "," $2] += $3 }
         END { for (g in n) { split(g, a, ","); sub(/ /, "T", a[1]); print "out_agg: " a[1] ":00.000Z," a[2] "," n[g] "," s[g] } }' \
  in0/*.csv | sort > want_agg.txt
grep '^out_agg: ' ref.txt > got_agg.txt
check_same "reference window rows" want_agg.txt got_agg.txt

# spread TOTAL: the first three, the last two, and every tenth between.
spread() { { printf '%s\n' 1 2 3; for i in $(seq 1 9); do echo $(($1 * i / 10)); done; echo $(($1 - 1)) "$1"; } | awk '$1 >= 1 && !seen[$1]++'; }

# recover NAME: a restart without faults exits 0 and the outputs equal the
# reference's.
recover() {
  eddy_run
  local st=$?
  [ "$st" -eq 0 ] && ok || { bad "$1: restart exit status $st"; sed 's/^/    /' err.txt | head -5; }
  outputs > got.txt
  check_same "$1: outputs after the restart" ref.txt got.txt
}

# ---- EDDY_FAULT: the Nth write / fsync / rename fails -------------------------
k=0
for op in write fsync rename; do
  case $op in write) total=$W ;; fsync) total=$F ;; rename) total=$R ;; esac
  for n in $(spread "$total"); do
    k=$((k + 1))
    if [ $((k % 2)) -eq 0 ]; then action=ENOSPC text="No space left on device"; else action=EIO text="Input/output error"; fi
    name="EDDY_FAULT=$op:$n:$action"
    fresh
    EDDY_FAULT=$op:$n:$action eddy_run
    st=$?
    grep -q "^eddy: EDDY_FAULT: $op #$n fails with" err.txt && ok || bad "$name: the fault was not injected: $(cat err.txt)"
    [ "$st" -eq 1 ] && ok || bad "$name: exit status $st, expected 1"
    # The error line: the query, a path in the checkpoint or a sink, the errno text.
    msg=$(grep '^eddy: error: ' err.txt)
    echo "$msg" | grep -qE "query '(agg|copy)'" && ok || bad "$name: message does not name the query: '$msg'"
    echo "$msg" | grep -qE "(^|[ '])(ck/(agg|copy)|out_agg|out_copy)(/[^ ']*)?" && ok || bad "$name: message does not name a path: '$msg'"
    echo "$msg" | grep -qF "$text" && ok || bad "$name: message lacks '$text': '$msg'"
    echo "$msg" >> messages.txt
    recover "$name"
  done
done

# The spread reached both the checkpoints' files and the sinks' files. (Which
# file the Nth call writes depends on how the two queries' threads interleave,
# so finer categories are not asserted.)
for what in "'ck/agg/" "'ck/copy/" "'out_agg/" "'out_copy/" "'ck/agg/metadata'\|'ck/agg/.metadata.tmp'\|'ck/copy/.metadata.tmp'\|'ck/copy/metadata'"; do
  grep -q "$what" messages.txt && ok || bad "no injected fault hit a file matching $what; messages: $(sort -u messages.txt | head -20)"
done

# ---- EDDY_FAIL_ALLOC: the Nth allocation fails ----------------------------------
# How many allocations a run makes: the smallest power of two P that a run
# survives; the runs at P / 2 and below fail.
P=64
while :; do
  fresh
  EDDY_FAIL_ALLOC=$P eddy_run
  [ $? -eq 0 ] && break
  P=$((P * 2))
  [ "$P" -gt 100000000 ] && { bad "EDDY_FAIL_ALLOC: every run up to $P failed"; break; }
done
# Closer to the end: bisect the last failing N between P/2 and P.
lo=$((P / 2)) hi=$P
for _ in 1 2 3 4 5 6; do
  mid=$(( (lo + hi) / 2 ))
  fresh
  EDDY_FAIL_ALLOC=$mid eddy_run
  if [ $? -eq 0 ]; then hi=$mid; else lo=$mid; fi
done
# The count moves a little between runs (the two query threads interleave
# their allocations), so the spread stops at 90% of it: every N must fail.
for n in $(printf '%s\n' 1 2 3 10 50 $(spread $((lo * 9 / 10))) | awk '!seen[$1]++'); do
  name="EDDY_FAIL_ALLOC=$n"
  fresh
  EDDY_FAIL_ALLOC=$n eddy_run
  st=$?
  [ "$st" -eq 1 ] && ok || bad "$name: exit status $st, expected 1 ($(tail -2 err.txt))"
  grep -q "out of memory.*injected" err.txt && ok || bad "$name: no 'out of memory ... injected' message: $(tail -3 err.txt)"
  recover "$name"
done
echo "fault test: write=$W fsync=$F rename=$R calls per run, about $lo allocations, $(( $(date +%s) - T0 )) s"
finish
