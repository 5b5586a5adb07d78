#!/usr/bin/env bash
# Checkpoints end to end (SPEC §6, issue 4):
#  1. resume: a grouped aggregation and a file-sink copy stopped and restarted
#     with new files continue where they were (counts include the first run's
#     state, no file is read twice, batch ids and the query id continue, the
#     file sink holds each row once); the checkpoint's layout and envelope.
#  2. a windowed append aggregation run in four --available-now runs, files
#     added between them, gives exactly one uninterrupted run's rows (late
#     rows dropped the same way: the watermark survives restarts).
#  3. damaged checkpoint files are refused with exit 1 and a message naming
#     the file and what failed, and nothing is written to the sink.
#  4. an incompatible query change is refused naming the part that changed;
#     compatible changes (a WHERE on a stateless query, the trigger) resume.
#  5. a batch logged in offsets/ but not committed re-runs with exactly its
#     logged input, new files going to the next batch.
#  6. cleanSource = 'delete' removes a file only once its batch committed,
#     wherever a crash (EDDY_FAULT=rename:K:kill) interrupts the first batch.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
export TZ=UTC

# put DIR NAME MTIME TEXT: writes DIR/NAME atomically with the given mtime.
put() {
  mkdir -p "$1"
  printf '%s' "$4" > "$1/.$2.tmp" && touch -d "@$3" "$1/.$2.tmp" && mv "$1/.$2.tmp" "$1/$2"
}
# rows DIR: the rows of the visible part files below DIR, sorted.
rows() { find "$1" -type f -name 'part-*' ! -path '*/[._]*' -exec cat {} + 2>/dev/null | sort; }
# snap DIR...: every file below the dirs with its checksum (to prove nothing changed).
snap() { find "$@" -type f 2>/dev/null | sort | xargs -r md5sum; }
# last_table FILE: the rows of the last console table in FILE, spaces removed, sorted.
last_table() {
  awk '/^Batch: / { s = ""; hdr = 1; next }
       /^\|/ { if (hdr) { hdr = 0; next } gsub(/ /, ""); s = s $0 "\n" }
       END { printf "%s", s }' "$1" | sort
}
# run OUT ERR ARGS...: runs eddy, returns its status.
run() {
  local out=$1 err=$2
  shift 2
  "$EDDY" run "$@" --no-ui > "$out" 2> "$err"
}
# The checkpoint envelope, for crafting files: le64 N prints 8 bytes.
le64() { local i; for i in 0 1 2 3 4 5 6 7; do printf "\\x$(printf %02x $(( ($1 >> (8 * i)) & 255 )))"; done; }
# xxh64 FILE [SKIP]: XXH64 (seed 0) of FILE's bytes after the first SKIP.
xxh64() {
  local -a b
  read -r -a b <<< "$(tail -c +$(( ${2:-0} + 1 )) "$1" | od -An -v -tu1 | tr -s ' \n' '  ')"
  local n=${#b[@]} i=0 h v1 v2 v3 v4 k
  local P1=0x9E3779B185EBCA87 P2=0xC2B2AE3D27D4EB4F P3=0x165667B19E3779F9
  local P4=0x85EBCA77C2B2AE63 P5=0x27D4EB2F165667C5
  rotl() { echo $(( ($1 << $2) | (($1 >> (64 - $2)) & ((1 << $2) - 1)) )); }
  lane() { local j=$1 x=0 s; for s in 7 6 5 4 3 2 1 0; do x=$(( (x << 8) | b[j + s] )); done; echo $x; }
  rnd() { rotl $(( $1 + $2 * P2 )) 31; }
  if [ "$n" -ge 32 ]; then
    v1=$(( P1 + P2 )); v2=$P2; v3=0; v4=$(( -P1 ))
    while [ $((i + 32)) -le "$n" ]; do
      v1=$(( $(rnd $v1 $(lane $i)) * P1 )); v2=$(( $(rnd $v2 $(lane $((i + 8)))) * P1 ))
      v3=$(( $(rnd $v3 $(lane $((i + 16)))) * P1 )); v4=$(( $(rnd $v4 $(lane $((i + 24)))) * P1 ))
      i=$((i + 32))
    done
    h=$(( $(rotl $v1 1) + $(rotl $v2 7) + $(rotl $v3 12) + $(rotl $v4 18) ))
    for k in $v1 $v2 $v3 $v4; do h=$(( ((h ^ ($(rnd 0 $k) * P1)) * P1) + P4 )); done
  else
    h=$P5
  fi
  h=$(( h + n ))
  while [ $((i + 8)) -le "$n" ]; do
    h=$(( $(rotl $(( h ^ ($(rnd 0 $(lane $i)) * P1) )) 27) * P1 + P4 )); i=$((i + 8))
  done
  if [ $((i + 4)) -le "$n" ]; then
    k=$(( b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24 ))
    h=$(( $(rotl $(( h ^ (k * P1) )) 23) * P2 + P3 )); i=$((i + 4))
  fi
  while [ "$i" -lt "$n" ]; do h=$(( $(rotl $(( h ^ (b[i] * P5) )) 11) * P1 )); i=$((i + 1)); done
  h=$(( h ^ ((h >> 33) & ((1 << 31) - 1)) )); h=$(( h * P2 ))
  h=$(( h ^ ((h >> 29) & ((1 << 35) - 1)) )); h=$(( h * P3 ))
  h=$(( h ^ ((h >> 32) & ((1 << 32) - 1)) ))
  printf '%016x\n' "$h"
}
# ckpt_put FILE KIND PAYLOAD: a well-formed envelope (right length and
# checksum) around PAYLOAD.
ckpt_put() {
  printf '%s' "$3" > "$1.payload"
  local n h
  n=$(stat -c %s "$1.payload")
  h=$(xxh64 "$1.payload")
  { printf 'EDDYCKPT\x01\x00'; printf "\\x$(printf %02x "$2")\\x00"; printf '\x00\x00\x00\x00'
    le64 "$n"; le64 "0x$h"; cat "$1.payload"; } > "$1"
  rm -f "$1.payload"
}
# flip FILE [OFFSET]: inverts one byte (default: the middle of the payload).
flip() {
  local b off=${2:-$(( 32 + ($(stat -c %s "$1") - 32) / 2 ))}
  set -- "$1" "$off"
  b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
  printf "\\x$(printf %02x $(( b ^ 255 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
u16_at() { od -An -tu2 -j "$2" -N2 "$1" | tr -d ' '; }

# ---- 1. resume: aggregation + file sink -----------------------------------------
# File i (1..15): (a|b|c by i, v = i) and (a, 10 i); mtimes in file order.
mkres() { local i; for i in "$@"; do
  put in1 "r$(printf %02d "$i").csv" $((1700000000 + i)) "k,v
$(echo a b c | cut -d' ' -f$((i % 3 + 1))),$i
a,$((10 * i))
"; done; }
cat > p1.sql <<'SQL'
CREATE SOURCE s (k STRING, v INT)
  WITH (format = 'csv', path = 'in1', header = true, maxFilesPerTrigger = 1);
CREATE SINK totals WITH (format = 'console', outputMode = 'complete')
  AS SELECT k, count(*) AS n, sum(v) AS total FROM s GROUP BY k;
CREATE SINK copy WITH (format = 'csv', path = 'out1')
  AS SELECT k, v FROM s;
CREATE SINK jcopy WITH (format = 'json', path = 'out1j')
  AS SELECT k, v FROM s;
SQL
expected_totals() {
  awk -F, 'FNR > 1 { n[$1]++; s[$1] += $2 } END { for (k in n) printf "|%s|%d|%d|\n", k, n[k], s[k] }' in1/*.csv | sort
}
mkres $(seq 1 12)
run out1a.txt err1a.txt p1.sql --checkpoint ck1 --available-now --progress prog1a.jsonl
st=$?
[ "$st" -eq 0 ] && ok || { bad "resume: first run exit status $st"; cat err1a.txt; }
expected_totals > want.txt; last_table out1a.txt > got.txt
check_same "resume: totals after the first run" want.txt got.txt
[ "$(grep -c '^Batch:' out1a.txt)" -eq 12 ] && ok || bad "resume: first run should print 12 batches (maxFilesPerTrigger 1)"

# Layout and envelope (SPEC §6): metadata, offsets/N, commits/N, the source
# log compacted every 10 batches, the state's snapshot every 10 versions.
for f in metadata offsets/0 offsets/11 commits/0 commits/11 sources/0/9.compact state/0/9.snapshot \
         state/0/10.delta state/0/11.delta; do
  [ -f "ck1/totals/$f" ] && ok || bad "layout: ck1/totals/$f missing ($(cd ck1/totals && find . -type f | sort | tr '\n' ' '))"
done
[ -f ck1/copy/commits/11 ] && [ -f ck1/copy/sources/0/9.compact ] && ok || bad "layout: ck1/copy incomplete: $(cd ck1/copy && find . -type f | sort | tr '\n' ' ')"
f=ck1/totals/offsets/11
[ "$(head -c 8 "$f")" = EDDYCKPT ] && ok || bad "envelope: magic of $f"
[ "$(u16_at "$f" 8)" = 1 ] && ok || bad "envelope: format version of $f is $(u16_at "$f" 8), expected 1"
[ "$(u16_at "$f" 10)" = 2 ] && [ "$(u16_at ck1/totals/commits/11 10)" = 3 ] && [ "$(u16_at ck1/totals/metadata 10)" = 1 ] &&
  ok || bad "envelope: kinds (offsets 2, commits 3, metadata 1)"
[ "$(od -An -tu8 -j 16 -N8 "$f" | tr -d ' ')" -eq $(( $(stat -c %s "$f") - 32 )) ] && ok || bad "envelope: payload length of $f"
[ "$(xxh64 "$f" 32)" = "$(od -An -tx8 -j 24 -N8 "$f" | tr -d ' ')" ] && ok || bad "envelope: XXH64 of $f's payload"
tail -c +33 "$f" | jq -e '.batchId == 11 and (.source.files | length) == 1' > /dev/null && ok || bad "offsets/11 payload: $(tail -c +33 "$f")"

mkres 13 14 15
run out1b.txt err1b.txt p1.sql --checkpoint ck1 --available-now --progress prog1b.jsonl
st=$?
[ "$st" -eq 0 ] && ok || { bad "resume: second run exit status $st"; cat err1b.txt; }
grep -q "query 'totals': resuming from checkpoint 'ck1/totals' at batch 12" err1b.txt && ok ||
  bad "resume: no 'resuming from checkpoint' line: $(cat err1b.txt)"
expected_totals > want.txt; last_table out1b.txt > got.txt
check_same "resume: totals after the second run include the first run's state" want.txt got.txt
[ "$(grep '^Batch:' out1b.txt | tr '\n' ' ')" = "Batch: 12 Batch: 13 Batch: 14 " ] && ok ||
  bad "resume: second run's batches: $(grep '^Batch:' out1b.txt | tr '\n' ' ')"
for q in totals copy jcopy; do
  ids=$(jq -r "select(.name == \"$q\") | .batchId" prog1b.jsonl | tr '\n' ' ')
  [ "$ids" = "12 13 14 " ] && ok || bad "resume: progress batchIds of $q in the second run: '$ids'"
  n=$(jq -r "select(.name == \"$q\") | .numInputRows" prog1b.jsonl | awk '{ s += $1 } END { print s + 0 }')
  [ "$n" -eq 6 ] && ok || bad "resume: $q read $n rows in the second run, expected 6 (no file read twice)"
  id1=$(jq -r "select(.name == \"$q\") | .id" prog1a.jsonl | sort -u)
  id2=$(jq -r "select(.name == \"$q\") | .id" prog1b.jsonl | sort -u)
  r1=$(jq -r "select(.name == \"$q\") | .runId" prog1a.jsonl | sort -u)
  r2=$(jq -r "select(.name == \"$q\") | .runId" prog1b.jsonl | sort -u)
  [ -n "$id1" ] && [ "$id1" = "$id2" ] && [ "$r1" != "$r2" ] && ok ||
    bad "resume: $q should keep its id ($id1 / $id2) and get a new runId ($r1 / $r2)"
done
awk -F, 'FNR > 1' in1/*.csv | sort > want.txt; rows out1 > got.txt
check_same "resume: the csv sink holds every row once" want.txt got.txt
rows out1j | jq -r '"\(.k),\(.v)"' | sort > got.txt
check_same "resume: the json sink holds every row once" want.txt got.txt

# A third run with nothing new runs no batch and writes nothing.
before=$(snap out1 out1j)
run out1c.txt err1c.txt p1.sql --checkpoint ck1 --available-now --progress prog1c.jsonl
st=$?
[ "$st" -eq 0 ] && ok || { bad "resume: third run exit status $st"; cat err1c.txt; }
[ ! -s out1c.txt ] && [ ! -s prog1c.jsonl ] && ok || bad "resume: a run without new data ran batches: $(head -5 out1c.txt)"
[ "$(snap out1 out1j)" = "$before" ] && ok || bad "resume: a run without new data changed the file sinks"
# A file sink without a checkpoint is refused before anything runs.
run o.txt e.txt p1.sql --available-now
st=$?
[ "$st" -ne 0 ] && grep -q "needs a checkpoint" e.txt && [ ! -s o.txt ] && ok ||
  bad "a csv sink without a checkpoint should be refused (status $st): $(cat e.txt)"

# ---- 2. event-time state over several runs = one run -----------------------------
# Watermark 5 s, 10 s windows, one file per batch. Late rows (7, 10, 13) are
# late whatever the runs' boundaries, as long as the watermark is restored.
# Beside the windows, session windows and a streaming dedup (row 15 repeats
# row 9, two runs later) keep their state across the runs too.
wput() { put in2 "w$1.csv" $((1700000000 + $1)) "ts,k,v
$2"; }
wfile() {
  case $1 in
  1) wput 1 $'2024-01-01 00:00:01,a,1\n2024-01-01 00:00:04,b,2\n2024-01-01 00:00:12,a,3\n' ;;
  2) wput 2 $'2024-01-01 00:00:15,a,4\n2024-01-01 00:00:03,a,5\n' ;;
  3) wput 3 $'2024-01-01 00:00:22,b,6\n' ;;
  4) wput 4 $'2024-01-01 00:00:08,a,7\n2024-01-01 00:00:31,a,8\n' ;;
  5) wput 5 $'2024-01-01 00:00:35,b,9\n' ;;
  6) wput 6 $'2024-01-01 00:00:18,b,10\n2024-01-01 00:00:44,a,11\n2024-01-01 00:00:35,b,15\n' ;;
  7) wput 7 $'2024-01-01 00:00:47,a,12\n2024-01-01 00:00:29,a,13\n' ;;
  8) wput 8 $'2024-01-01 00:01:10,a,14\n' ;;
  esac
}
mkdir in2
cat > p2.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v INT, WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = 'in2', header = true, maxFilesPerTrigger = 1);
CREATE SINK w WITH (format = 'csv', path = 'out2', outputMode = 'append', checkpointLocation = 'ck2')
  AS SELECT window.start AS ws, window.end AS we, k, count(*) AS n, sum(v) AS total
     FROM s GROUP BY window(ts, '10 seconds'), k;
CREATE SINK sess WITH (format = 'csv', path = 'out2s', outputMode = 'append', checkpointLocation = 'ck2s')
  AS SELECT session_window.start AS ss, session_window.end AS se, k, count(*) AS n, sum(v) AS total
     FROM s GROUP BY session_window(ts, '5 seconds'), k;
CREATE SINK dedup WITH (format = 'csv', path = 'out2d', checkpointLocation = 'ck2d')
  AS SELECT DISTINCT k, ts FROM s;
SQL
: > prog2.jsonl
for files in "1 2 3" "4 5" "6 7" "8"; do
  for i in $files; do wfile "$i"; done
  run out2.txt err2.txt p2.sql --available-now --progress prog2.jsonl
  st=$?
  [ "$st" -eq 0 ] && ok || { bad "windows: run with files $files: exit status $st"; cat err2.txt; }
done
cat > want.txt <<'EOF'
2024-01-01T00:00:00.000Z,2024-01-01T00:00:10.000Z,a,2,6
2024-01-01T00:00:00.000Z,2024-01-01T00:00:10.000Z,b,1,2
2024-01-01T00:00:10.000Z,2024-01-01T00:00:20.000Z,a,2,7
2024-01-01T00:00:20.000Z,2024-01-01T00:00:30.000Z,b,1,6
2024-01-01T00:00:30.000Z,2024-01-01T00:00:40.000Z,a,1,8
2024-01-01T00:00:30.000Z,2024-01-01T00:00:40.000Z,b,2,24
2024-01-01T00:00:40.000Z,2024-01-01T00:00:50.000Z,a,2,23
EOF
rows out2 > got.txt
check_same "windows: four runs give the hand-computed windows" want.txt got.txt
dropped=$(jq -r 'select(.name == "w") | .stateOperators[0].numRowsDroppedByWatermark' prog2.jsonl | awk '{ s += $1 } END { print s + 0 }')
[ "$dropped" -eq 3 ] && ok || bad "windows: $dropped rows dropped by the watermark over the runs, expected 3"
sed "s/'\(out2[a-z]*\)'/'\1_ref'/; s/'\(ck2[a-z]*\)'/'\1_ref'/" p2.sql > p2ref.sql
run out2r.txt err2r.txt p2ref.sql --available-now --checkpoint ck2root
st=$?
[ "$st" -eq 0 ] && ok || { bad "windows: reference run exit status $st"; cat err2r.txt; }
# checkpointLocation wins over --checkpoint ROOT.
[ -f ck2_ref/metadata ] && [ ! -e ck2root/w ] && ok || bad "checkpointLocation should win over --checkpoint: $(find ck2_ref ck2root -maxdepth 2 2>&1 | head -5)"
rows out2_ref > ref.txt
check_same "windows: four runs = one uninterrupted run" ref.txt got.txt
for d in out2s out2d; do
  rows $d > got.txt; rows ${d}_ref > ref.txt
  [ -s ref.txt ] && ok || bad "$d: the reference run wrote nothing"
  check_same "$d: four runs = one uninterrupted run" ref.txt got.txt
done
[ "$(grep -c '^b,2024-01-01T00:00:35.000Z$' <(rows out2d))" -eq 1 ] && ok || bad "dedup: (b, 00:00:35) should be written once: $(rows out2d | tr '\n' ' ')"

# ---- 3. damaged checkpoint files --------------------------------------------------
# 11 files, one per batch: batches 0..10, so the source log has 9.compact and
# the state 9.snapshot, 10.delta. Then a 12th file that would close windows:
# a run that wrongly went ahead would write part files.
mkdir in3
for i in $(seq 1 11); do
  put in3 "c$(printf %02d "$i").csv" $((1700000000 + i)) "ts,k,v
2024-01-01 00:$(printf %02d $((i * 3))):00,k$((i % 2)),$i
"
done
cat > p3.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v INT, WATERMARK FOR ts AS ts - INTERVAL 1 MINUTE)
  WITH (format = 'csv', path = 'in3', header = true, maxFilesPerTrigger = 1);
CREATE SINK w WITH (format = 'csv', path = 'out3', outputMode = 'append')
  AS SELECT window.start AS ws, k, count(*) AS n, sum(v) AS total
     FROM s GROUP BY window(ts, '10 minutes'), k;
SQL
run out3.txt err3.txt p3.sql --checkpoint ck3 --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "corrupt: setup run exit status $st"; cat err3.txt; }
put in3 c12.csv 1700000012 $'ts,k,v\n2024-01-01 02:00:00,k0,12\n'
C=ck3/w
N=$(ls "$C/commits" | sort -n | tail -1)
[ "$N" -ge 10 ] && [ -f "$C/offsets/$N" ] && [ -f "$C/sources/0/9.compact" ] && [ -f "$C/state/0/9.snapshot" ] &&
  ok || bad "corrupt: setup checkpoint: last commit '$N', files $(cd "$C" && find . -type f | sort | tr '\n' ' ')"
S=$(ls "$C/state/0" | grep -E '^[0-9]+\.(delta|snapshot)$' | sort -n | awk -F. -v n="$N" '$1 <= n' | tail -1)
rm -rf pristine && mkdir pristine && cp -a in3 ck3 out3 pristine/
restore() { rm -rf in3 ck3 out3 && cp -a pristine/in3 pristine/ck3 pristine/out3 .; }

# Control: the undamaged copy resumes and writes the windows c12 closes.
restore
before=$(snap out3)
run o.txt e.txt p3.sql --checkpoint ck3 --available-now
st=$?
[ "$st" -eq 0 ] && [ "$(snap out3)" != "$before" ] && ok || { bad "corrupt: control run (status $st) should write new windows"; cat e.txt; }

# damage CASE FILE EXPECTED-TEXT...: after `restore` and the damage done by
# the caller, eddy must exit 1 naming FILE (as 'FILE', after "corrupt
# checkpoint file") and every EXPECTED-TEXT, and leave out3 as it was.
damaged() {
  local name=$1 file=$2 st t
  shift 2
  run o.txt e.txt p3.sql --checkpoint ck3 --available-now
  st=$?
  [ "$st" -eq 1 ] && ok || bad "corrupt/$name: exit status $st, expected 1 ($(head -3 e.txt))"
  if [ -n "$file" ]; then
    grep -qF "corrupt checkpoint file '$file': " e.txt && ok ||
      bad "corrupt/$name: stderr should say \"corrupt checkpoint file '$file': ...\"; got: $(cat e.txt)"
  fi
  for t in "$@"; do
    grep -qF -- "$t" e.txt && ok || bad "corrupt/$name: stderr lacks '$t'; got: $(cat e.txt)"
  done
  [ "$(snap out3)" = "$before" ] && ok || bad "corrupt/$name: the sink's directory changed: $(find out3 -newer pristine/out3 -type f)"
  [ -e in3/c12.csv ] && ok || bad "corrupt/$name: input file gone"
}
restore; truncate -s -3 "$C/offsets/$N"
damaged truncated-offsets "$C/offsets/$N" "truncated or torn"
restore; : > "$C/offsets/$N"
damaged empty-offsets "$C/offsets/$N" "too short"
restore; flip "$C/commits/$N"
damaged flipped-commit "$C/commits/$N" "checksum mismatch"
restore; flip "$C/commits/$N" 0
damaged bad-magic "$C/commits/$N" "bad magic"
restore; printf '\x02\x00' | dd of="$C/metadata" bs=1 seek=8 conv=notrunc status=none
damaged metadata-format-version "$C/metadata" "format version 2"
restore; cp "$C/commits/$N" "$C/offsets/$N"
damaged wrong-kind "$C/offsets/$N" "kind 3"
restore; flip "$C/state/0/$S"
damaged flipped-state "$C/state/0/$S" "checksum mismatch"
restore; flip "$C/state/0/9.snapshot"
damaged flipped-snapshot "$C/state/0/9.snapshot" "checksum mismatch"
restore; flip "$C/sources/0/9.compact"
damaged flipped-source-log "$C/sources/0/9.compact" "checksum mismatch"
# Well-formed envelopes around bad payloads: the JSON checks.
restore; ckpt_put "$C/offsets/$N" 2 '{"batchId": 3, "source": '
damaged bad-json "$C/offsets/$N" "not valid JSON"
restore; ckpt_put "$C/commits/$N" 3 '{"nextBatchWatermarkMs": "soon", "maxEventTimeMs": null}'
damaged bad-field "$C/commits/$N" "nextBatchWatermarkMs"
restore; cp "$C/offsets/$((N - 1))" "$C/offsets/$N"
damaged offsets-of-another-batch "$C/offsets/$N" "batchId $((N - 1))"
# A missing commit: offsets/N is there but neither commits/N nor commits/N-1.
restore; rm "$C/commits/$N" "$C/commits/$((N - 1))"
damaged missing-commit "" "offsets/$N exists but commits/$((N - 1)) is missing" "$C"
restore; rm "$C/metadata"
damaged missing-metadata "" "'metadata' is missing" "$C"
# The check of the crafted envelope itself: ckpt_put of the real payload is
# accepted (so the cases above fail for their payload, not the envelope).
restore; ckpt_put "$C/commits/$N" 3 "$(tail -c +33 "$C/commits/$N")"
run o.txt e.txt p3.sql --checkpoint ck3 --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "corrupt: a re-enveloped valid commit was refused (status $st)"; cat e.txt; }

# ---- 4. incompatible and compatible changes ---------------------------------------
mkdir in4 in4b
put in4 a.csv 1700000001 $'ts,k,v\n2024-01-01 00:00:01,a,1\n2024-01-01 00:00:02,b,2\n'
put in4b a.csv 1700000001 $'ts,k,v\n2024-01-01 00:00:01,a,1\n'
base4() { # output mode, select list, group by, path
  cat <<SQL
CREATE SOURCE s (ts TIMESTAMP, k STRING, v INT, WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = '${4:-in4}', header = true);
CREATE SINK agg WITH (format = 'console', outputMode = '$1')
  AS SELECT $2 FROM s GROUP BY $3;
SQL
}
base4 update "k, count(*) AS n" k > q.sql
run o.txt e.txt q.sql --checkpoint ck4 --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "changes: first run exit status $st"; cat e.txt; }
meta_before=$(snap ck4)
refused() { # name part
  run o.txt e.txt q2.sql --checkpoint ck4 --available-now
  local st=$?
  [ "$st" -eq 1 ] && ok || bad "changes/$1: exit status $st, expected 1 ($(cat e.txt))"
  grep -qE "checkpoint 'ck4/agg' was written by a different query: the $2 changed \(checkpoint: .+, query: .+\)" e.txt &&
    ok || bad "changes/$1: expected 'the $2 changed (checkpoint: X, query: Y)'; got: $(cat e.txt)"
  [ ! -s o.txt ] && ok || bad "changes/$1: a refused query ran a batch"
}
base4 update "v, count(*) AS n" v > q2.sql; refused grouping-key "grouping keys"
base4 update "k, sum(v) AS n" k > q2.sql; refused aggregate "aggregates"
base4 complete "k, count(*) AS n" k > q2.sql; refused output-mode "output mode"
base4 update "k, count(*) AS n" k in4b > q2.sql; refused source-path "source"
[ "$(snap ck4)" = "$meta_before" ] && ok || bad "changes: a refused run modified the checkpoint"
# After the refusals the original query still resumes, its count continuing.
put in4 b.csv 1700000002 $'ts,k,v\n2024-01-01 00:00:03,a,3\n'
run o.txt e.txt q.sql --checkpoint ck4 --available-now
st=$?
[ "$st" -eq 0 ] && grep -q '^|  a|  2|$' o.txt && ok || { bad "changes: the original query should resume after refusals (status $st)"; cat o.txt e.txt; }

# The window and the stateful operator.
base4 append "window.start AS ws, count(*) AS n" "window(ts, '10 seconds')" > q.sql
run o.txt e.txt q.sql --checkpoint ck4w --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "changes: windowed first run exit status $st"; cat e.txt; }
base4 append "window.start AS ws, count(*) AS n" "window(ts, '20 seconds')" > q2.sql
run o.txt e.txt q2.sql --checkpoint ck4w --available-now; st=$?
[ "$st" -eq 1 ] && grep -qE "checkpoint 'ck4w/agg' was written by a different query: the window changed \(checkpoint: .+, query: .+\)" e.txt &&
  ok || bad "changes/window: status $st, got: $(cat e.txt)"
cat > q.sql <<'SQL'
CREATE SOURCE s (ts TIMESTAMP, k STRING, v INT, WATERMARK FOR ts AS ts - INTERVAL 5 SECONDS)
  WITH (format = 'csv', path = 'in4', header = true);
CREATE SINK agg WITH (format = 'console', outputMode = 'append') AS SELECT k, v FROM s;
SQL
run o.txt e.txt q.sql --checkpoint ck4s --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "changes: stateless first run exit status $st"; cat e.txt; }
base4 append "window.start AS ws, count(*) AS n" "window(ts, '10 seconds')" > q2.sql
run o.txt e.txt q2.sql --checkpoint ck4s --available-now; st=$?
[ "$st" -eq 1 ] && grep -qE "checkpoint 'ck4s/agg' was written by a different query: the stateful operator changed \(checkpoint: .+, query: .+\)" e.txt &&
  ok || bad "changes/stateful-operator: status $st, got: $(cat e.txt)"

# Compatible: a WHERE added to a stateless query.
mkdir in4c
put in4c a.csv 1700000001 $'k,v\na,1\nb,2\n'
cat > c.sql <<'SQL'
CREATE SOURCE s (k STRING, v INT) WITH (format = 'csv', path = 'in4c', header = true);
CREATE SINK copy WITH (format = 'csv', path = 'out4c') AS SELECT k, v FROM s;
SQL
run o.txt e.txt c.sql --checkpoint ck4c --available-now
st=$?
[ "$st" -eq 0 ] && ok || { bad "compatible: first run exit status $st"; cat e.txt; }
sed -i 's/FROM s;/FROM s WHERE v > 2;/' c.sql
put in4c b.csv 1700000002 $'k,v\nc,3\nd,1\n'
run o.txt e.txt c.sql --checkpoint ck4c --available-now
st=$?
[ "$st" -eq 0 ] && grep -q "resuming from checkpoint 'ck4c/copy' at batch 1" e.txt && ok ||
  { bad "compatible: a WHERE on a stateless query should resume (status $st)"; cat e.txt; }
printf 'a,1\nb,2\nc,3\n' > want.txt; rows out4c > got.txt
check_same "compatible: stateless query with a new WHERE" want.txt got.txt
# Compatible: another trigger ('once', then 'availableNow' from the WITH options).
cat > t.sql <<'SQL'
CREATE SOURCE s (k STRING, v INT) WITH (format = 'csv', path = 'in4t', header = true);
CREATE SINK agg WITH (format = 'console', outputMode = 'complete', trigger = 'once')
  AS SELECT k, count(*) AS n FROM s GROUP BY k;
SQL
put in4t a.csv 1700000001 $'k,v\na,1\na,2\n'
run o.txt e.txt t.sql --checkpoint ck4t
st=$?
[ "$st" -eq 0 ] && grep -q '^|  a|  2|$' o.txt && ok || { bad "compatible: trigger once run (status $st)"; cat o.txt e.txt; }
sed -i "s/trigger = 'once'/trigger = 'availableNow'/" t.sql
put in4t b.csv 1700000002 $'k,v\na,3\n'
run o.txt e.txt t.sql --checkpoint ck4t
st=$?
[ "$st" -eq 0 ] && grep -q '^Batch: 1$' o.txt && grep -q '^|  a|  3|$' o.txt && ok ||
  { bad "compatible: another trigger should resume with the state (status $st)"; cat o.txt e.txt; }

# ---- 5. a batch logged but not committed re-runs with exactly its input ------------
mkdir in6
put in6 a.csv 1700000001 $'k,v\na,1\nb,2\na,3\n'
cat > p6.sql <<'SQL'
CREATE SOURCE s (k STRING, v INT) WITH (format = 'csv', path = 'in6', header = true);
CREATE SINK agg WITH (format = 'console', outputMode = 'complete')
  AS SELECT k, count(*) AS n, sum(v) AS total FROM s GROUP BY k;
SQL
cp -a in6 in6.count
sed 's/in6/in6.count/' p6.sql > p6count.sql
EDDY_FAULT=count "$EDDY" run p6count.sql --checkpoint ck6count --available-now --no-ui > o.txt 2> e.txt
R6=$(sed -n 's/^eddy: fault counts: .*rename=\([0-9]*\).*/\1/p' e.txt)
# The last rename of the run is commits/0's: crash just before it.
{ EDDY_FAULT=rename:${R6:-1}:kill "$EDDY" run p6.sql --checkpoint ck6 --available-now --no-ui > o.txt 2> e.txt; } 2>/dev/null
st=$?
[ "$st" -eq 137 ] && [ -f ck6/agg/offsets/0 ] && [ ! -e ck6/agg/commits/0 ] && ok ||
  bad "re-run: the crash before commits/0 (rename ${R6:-?}) did not happen as planned (status $st)"
put in6 b.csv 1700000002 $'k,v\na,10\nc,20\n'
run o.txt e.txt p6.sql --checkpoint ck6 --available-now --progress prog6.jsonl
st=$?
[ "$st" -eq 0 ] && grep -q "query 'agg': resuming from checkpoint 'ck6/agg' at batch 0 (re-running it with its logged input)" e.txt &&
  ok || { bad "re-run: restart (status $st) should say it re-runs batch 0"; cat e.txt; }
[ "$(jq -r '"\(.batchId):\(.numInputRows)"' prog6.jsonl | tr '\n' ' ')" = "0:3 1:2 " ] && ok ||
  bad "re-run: batches:rows should be '0:3 1:2 ' (batch 0 with only its logged file), got '$(jq -r '"\(.batchId):\(.numInputRows)"' prog6.jsonl | tr '\n' ' ')'"
printf '|a|3|14|\n|b|1|2|\n|c|1|20|\n' > want.txt; last_table o.txt > got.txt
check_same "re-run: totals count the re-run batch once" want.txt got.txt

# ---- 6. cleanSource = 'delete' only after the commit ------------------------------
cat > p5.sql <<'SQL'
CREATE SOURCE s (k STRING, v INT) WITH (format = 'csv', path = 'in5', header = true, cleanSource = 'delete');
CREATE SINK c WITH (format = 'csv', path = 'out5') AS SELECT k, v FROM s;
SQL
fresh5() { rm -rf in5 ck5 out5; put in5 f1.csv 1700000001 $'k,v\na,1\nb,2\nc,3\n'; }
fresh5
EDDY_FAULT=count "$EDDY" run p5.sql --checkpoint ck5 --available-now --no-ui > o.txt 2> e.txt
st=$?
counts=$(sed -n 's/^eddy: fault counts: //p' e.txt)
R=$(echo "$counts" | sed -n 's/.*rename=\([0-9]*\).*/\1/p')
F=$(echo "$counts" | sed -n 's/.*fsync=\([0-9]*\).*/\1/p')
[ "$st" -eq 0 ] && [ "${R:-0}" -ge 3 ] && [ ! -e in5/f1.csv ] && ok ||
  bad "cleanSource: counting run (status $st, counts '$counts', input $(ls in5))"
printf 'a,1\nb,2\nc,3\n' > want.txt
crash5() { # fault: crash inside the first (and only) batch, then restart
  fresh5
  { EDDY_FAULT=$1 "$EDDY" run p5.sql --checkpoint ck5 --available-now --no-ui > o.txt 2> e.txt; } 2>/dev/null
  local st=$?
  [ "$st" -eq 137 ] && ok || { bad "cleanSource/$1: expected death by SIGKILL (137), got $st"; cat e.txt; }
  [ -e in5/f1.csv ] && ok || bad "cleanSource/$1: the input was deleted before its batch committed"
  run o.txt e.txt p5.sql --checkpoint ck5 --available-now
  st=$?
  [ "$st" -eq 0 ] && ok || { bad "cleanSource/$1: restart exit status $st"; cat e.txt; }
  [ ! -e in5/f1.csv ] && ok || bad "cleanSource/$1: the input was not deleted after the restart committed it"
  rows out5 > got.txt
  check_same "cleanSource/$1: rows after crash + restart" want.txt got.txt
}
for k in $(seq 1 "${R:-0}"); do crash5 "rename:$k:kill"; done
# The last fsync comes after the commit's rename: the commit is in place,
# the delete is not done yet; the restart deletes without re-reading.
fresh5
{ EDDY_FAULT=fsync:${F:-1}:kill "$EDDY" run p5.sql --checkpoint ck5 --available-now --no-ui > o.txt 2> e.txt; } 2>/dev/null
st=$?
if [ "$st" -eq 137 ]; then
  ok
  run o.txt e.txt p5.sql --checkpoint ck5 --available-now
  st=$?
  [ "$st" -eq 0 ] && [ ! -e in5/f1.csv ] && ok || { bad "cleanSource/fsync:$F: restart (status $st) should delete the input"; cat e.txt; }
  rows out5 > got.txt
  check_same "cleanSource/fsync:$F:kill: rows after restart" want.txt got.txt
else
  bad "cleanSource/fsync:${F:-?}:kill: expected 137, got $st"
fi
finish
