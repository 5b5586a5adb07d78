#!/usr/bin/env bash
# Event time against a reference model: eddy's windowed aggregations
# (tumbling, sliding, with start offsets), session windows and DISTINCT with
# a watermark, in append, update and complete mode, over out-of-order input
# with late rows and NULL times, compared batch by batch with
# tests/tools/spark_model.c, a row-at-a-time model of Spark's rules that
# shares no code with eddy.
#
# Two parts:
#  1. tests/e2e/model_cases/*.case: small cases whose expected output was
#     worked out by hand (the arithmetic is in each file). Both the model and
#     eddy must produce it.
#  2. Random cases: `spark_model gen SEED VARIANT` writes a case, `spark_model
#     run` its input files (one per micro-batch), pipeline and expectations.
#
# For each case eddy runs with --available-now (maxFilesPerTrigger = 1, files
# given increasing mtimes, as tests/golden/run does). Compared per batch: the
# console output in canonical form ("Batch N", "cols a|b|...", then the rows
# sorted, fields joined by |) and, from --progress, batchId,
# eventTime.watermark, stateOperators[0].numRowsDroppedByWatermark and
# stateOperators[0].numRowsTotal.
#
# Environment:
#   EDDY_MODEL_CASES=N   random cases (default 40; variant = case mod 13, so
#                        any 13 consecutive cases cover every variant)
#   EDDY_MODEL_SEED=S    seed of the first random case (default 1)
#   EDDY_MODEL_DROPS=groups  count numRowsDroppedByWatermark as Spark does
#                        (late groups after partial aggregation) instead of
#                        late (row, window) pairs; see spark_model.c
#   EDDY_MODEL_KEEP=DIR  where failing cases are kept (default
#                        ${TMPDIR:-/tmp}/eddy-model-failures)
#   EDDY_MODEL_ONLY=1    check the model against the hand cases only
#   EDDY_MODEL_CRASHES=N crash-recovery cases (default 26, two per variant)
# Reproduce one random case:
#   build/tools/spark_model gen SEED VARIANT > case.spec
#   build/tools/spark_model run case.spec DIR
source "$(dirname "$0")/lib.sh"
MODEL="$(dirname "$EDDY")/tools/spark_model"
CASES_DIR="$ROOT/tests/e2e/model_cases"
N=${EDDY_MODEL_CASES:-40}
SEED0=${EDDY_MODEL_SEED:-1}
DROPS=${EDDY_MODEL_DROPS:-pairs}
KEEP=${EDDY_MODEL_KEEP:-${TMPDIR:-/tmp}/eddy-model-failures}
MODEL_ONLY=${EDDY_MODEL_ONLY:-0}
NVARIANTS=13

if [ ! -x "$MODEL" ]; then bad "reference model not built: $MODEL"; finish; exit; fi
command -v jq > /dev/null || { bad "jq is not installed"; finish; exit; }

# Model output (expected.txt or a hand case's expect section) -> canonical.
canon_model() {
  awk '/^Batch / { b = $2; printf "%08d\t0\t%s\n", b, $0; next }
       /^cols /  { printf "%08d\t1\t%s\n", b, $0; next }
       NF        { printf "%08d\t2\t%s\n", b, $0 }' "$1" | LC_ALL=C sort | cut -f3-
}

# eddy's console output -> canonical: the first |...| line after "Batch: N"
# is the header, the others are rows; cells are trimmed (truncate = false
# pads on the right, truncation on the left). A batch printed again (re-run
# after a crash: the console sink is at-least-once) counts once, as printed
# last.
canon_console() {
  awk '/^Batch: [0-9]+$/ { b = $2; n_rows[b] = 0; header = 1; next }
       /^\|/ {
         n = split(substr($0, 2, length($0) - 2), f, "|"); s = ""
         for (i = 1; i <= n; i++) { gsub(/^ +| +$/, "", f[i]); s = s (i > 1 ? "|" : "") f[i] }
         if (header) { cols[b] = s; header = 0 } else rows[b, ++n_rows[b]] = s
       }
       END {
         for (b in n_rows) {
           printf "%08d\t0\tBatch %d\n", b, b
           if (b in cols) printf "%08d\t1\tcols %s\n", b, cols[b]
           for (i = 1; i <= n_rows[b]; i++) printf "%08d\t2\t%s\n", b, rows[b, i]
         }
       }' "$1" | LC_ALL=C sort | cut -f3-
}

# eddy's progress.jsonl -> "batchId watermark dropped total" per line (the
# last report of a batch that ran twice).
canon_progress() {
  jq -s -r 'group_by(.batchId) | map(last) | .[] | "\(.batchId) \(.eventTime.watermark) \(.stateOperators[0].numRowsDroppedByWatermark) \(.stateOperators[0].numRowsTotal)"' "$1" 2>&1
}

# keep_failure NAME DIR REASON DIFF_FILE: report, keep the directory.
keep_failure() {
  mkdir -p "$KEEP" && rm -rf "${KEEP:?}/$1" && cp -r "$2" "$KEEP/$1"
  bad "$1: $3 (case kept in $KEEP/$1)"
  [ -n "$4" ] && sed 's/^/    /' "$4" | head -30
}

# run_eddy NAME DIR [CRASH]: runs eddy on a case directory written by
# `spark_model run` and compares with its expected.txt /
# expected_progress.txt. With CRASH (an EDDY_FAULT value such as
# rename:7:kill), eddy first runs with a checkpoint and that crash point,
# then again on the same checkpoint without it: the two runs together must
# give exactly the uninterrupted answer.
run_eddy() {
  local name=$1 dir=$2 crash=${3:-} i=0 f status
  for f in $(ls "$dir/in" | sort); do
    i=$((i+1)); touch -d "@$((1700000000 + i))" "$dir/in/$f"
  done
  if [ -n "$crash" ]; then
    (cd "$dir" && EDDY_FAULT=$crash timeout 60 "$EDDY" run pipeline.sql --available-now \
        --no-ui --log-level error --checkpoint ck --progress progress.jsonl > out.txt 2> err.txt) \
        2> /dev/null # no "Killed" notice from bash
    status=$?
    if [ "$status" -ne 137 ] && [ "$status" -ne 0 ]; then
      keep_failure "$name" "$dir" "eddy exited $status with EDDY_FAULT=$crash" "$dir/err.txt"
      return
    fi
  fi
  (cd "$dir" && timeout 60 "$EDDY" run pipeline.sql --available-now --no-ui \
      --log-level error ${crash:+--checkpoint ck} --progress progress.jsonl >> out.txt 2> err.txt)
  status=$?
  if [ "$status" -ne 0 ]; then
    keep_failure "$name" "$dir" "eddy exited $status" "$dir/err.txt"; return
  fi
  canon_model "$dir/expected.txt" > "$dir/want.txt"
  canon_console "$dir/out.txt" > "$dir/got.txt"
  if ! diff -u "$dir/want.txt" "$dir/got.txt" > "$dir/console.diff"; then
    keep_failure "$name" "$dir" "console output differs (- model, + eddy)" "$dir/console.diff"; return
  fi
  [ -f "$dir/progress.jsonl" ] || : > "$dir/progress.jsonl"
  canon_progress "$dir/progress.jsonl" > "$dir/got_progress.txt"
  if ! diff -u "$dir/expected_progress.txt" "$dir/got_progress.txt" > "$dir/progress.diff"; then
    keep_failure "$name" "$dir" "progress differs (batch watermark dropped total; - model, + eddy)" \
      "$dir/progress.diff"; return
  fi
  ok
  echo "ok   $name ($(grep -c '^Batch ' "$dir/expected.txt") batches${crash:+, crashed at $crash})"
}

# 1. Hand-checked cases: the model must agree with the hand-written
#    expectations, then eddy with both.
for c in "$CASES_DIR"/*.case; do
  name=hand-$(basename "$c" .case)
  dir=$WORK/$name
  if ! "$MODEL" run "$c" "$dir" 2> "$WORK/model.err"; then
    bad "$name: the model rejected the case"; sed 's/^/    /' "$WORK/model.err"; continue
  fi
  sed -n '/^expect$/,/^progress$/p' "$c" | sed '1d;$d' > "$dir/hand.txt"
  sed -n '/^progress$/,$p' "$c" | sed '1d' | grep -v '^#' > "$dir/hand_progress.txt"
  canon_model "$dir/hand.txt" > "$dir/hand_canon.txt"
  canon_model "$dir/expected.txt" > "$dir/model_canon.txt"
  if ! diff -u "$dir/hand_canon.txt" "$dir/model_canon.txt" > "$dir/hand.diff" ||
     ! diff -u "$dir/hand_progress.txt" "$dir/expected_progress.txt" >> "$dir/hand.diff"; then
    keep_failure "$name" "$dir" "the model disagrees with the hand-checked answer (- hand, + model)" \
      "$dir/hand.diff"
    continue
  fi
  ok
  [ "$MODEL_ONLY" = 1 ] && { echo "ok   $name (model)"; continue; }
  run_eddy "$name" "$dir"
done

# 2. Random cases.
if [ "$MODEL_ONLY" != 1 ]; then
  for ((i = 0; i < N; i++)); do
    seed=$((SEED0 + i)); variant=$((i % NVARIANTS))
    vname=$("$MODEL" variants | awk -v v="$variant" '$1 == v { print $2 }')
    name=rand-$seed-${vname//\//-}
    dir=$WORK/$name
    mkdir -p "$dir"
    if ! "$MODEL" gen "$seed" "$variant" > "$dir/case.spec" ||
       ! "$MODEL" run "$dir/case.spec" "$dir" --drops "$DROPS" 2> "$WORK/model.err"; then
      bad "$name: the model failed"; sed 's/^/    /' "$WORK/model.err"; continue
    fi
    run_eddy "$name" "$dir"
  done
fi

# 3. Crash recovery: cases of every variant again, each killed at a
#    checkpoint or sink rename (spread over the batches) and restarted on
#    its checkpoint; the restarted run must finish with the model's answer.
CRASHES=${EDDY_MODEL_CRASHES:-26}
if [ "$MODEL_ONLY" != 1 ]; then
  for ((i = 0; i < CRASHES; i++)); do
    seed=$((SEED0 + 1000 + i)); variant=$((i % NVARIANTS))
    vname=$("$MODEL" variants | awk -v v="$variant" '$1 == v { print $2 }')
    name=crash-$seed-${vname//\//-}
    dir=$WORK/$name
    mkdir -p "$dir"
    if ! "$MODEL" gen "$seed" "$variant" > "$dir/case.spec" ||
       ! "$MODEL" run "$dir/case.spec" "$dir" --drops "$DROPS" 2> "$WORK/model.err"; then
      bad "$name: the model failed"; sed 's/^/    /' "$WORK/model.err"; continue
    fi
    # Three durable renames per batch at least (offsets, state, commit).
    nb=$(grep -c '^Batch ' "$dir/expected.txt")
    run_eddy "$name" "$dir" "rename:$((1 + (seed * 7919) % (3 * nb + 1))):kill"
  done
fi
finish
