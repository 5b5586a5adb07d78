#!/usr/bin/env bash
# Seed 003: generated CSV event files, one file per batch, running counts per
# event type in complete mode; exact console output for every batch. Expected
# counts are computed from the files with awk; row order is Spark's hash
# partition order (logout 11, login 47, purchase 64, view 93).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$EDDY" gen events --out data/input --files 6 --rows 10 --interval 0 --seed 3 --quiet || bad "gen events failed"
# Fixed modification times so the order of batches is known.
i=0
for f in $(ls data/input | sort -V); do i=$((i+1)); touch -d "@$((1700000000 + i))" "data/input/$f"; done
sed "s/header = true,/header = true, maxFilesPerTrigger = 1,/" "$ROOT/examples/events.sql" > events1.sql
grep -q "maxFilesPerTrigger = 1" events1.sql && ok || bad "could not set maxFilesPerTrigger"
"$EDDY" run events1.sql --available-now --no-ui --log-level warn > out.txt 2> err.txt \
  && ok || { bad "eddy run exited $?"; cat err.txt; }
: > want.txt
# Files in the order eddy takes them: oldest modification time first.
batch=0
for f in $(ls data/input | sort -V); do
  cat "data/input/$f" >> seen.csv
  for e in logout login purchase view; do
    n=$(awk -F, -v e="$e" '$3 == e { c++ } END { print c + 0 }' seen.csv)
    [ "$n" -gt 0 ] && printf '%s\t%s\n' "$e" "$n"
  done | console_table "$batch" event count >> want.txt
  batch=$((batch+1))
done
[ "$batch" -eq 6 ] && ok || bad "expected 6 files"
check_same "running event counts, one batch per file" want.txt out.txt
finish
