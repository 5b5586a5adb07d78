#!/usr/bin/env bash
# Seed 000: generated vote files, examples/votes.sql, exact console output.
# Expected counts come from the files themselves (grep), and the row order
# is Spark's: hash partition of the key (Donald Trump -> 4, Kamala Harris ->
# 5, Jill Stein -> 63 of 200).
source "$(dirname "$0")/lib.sh"
cd "$WORK"
"$EDDY" gen votes --out vote_stream --ticks 1 --interval 0 --seed 11 --quiet || bad "gen votes failed"
nfiles=$(ls vote_stream | wc -l)
[ "$nfiles" -eq 50 ] && ok || bad "expected 50 vote files, got $nfiles"
"$EDDY" run "$ROOT/examples/votes.sql" --available-now --no-ui --log-level warn > out.txt 2> err.txt \
  && ok || { bad "eddy run exited $?"; cat err.txt; }
for c in "Donald Trump" "Kamala Harris" "Jill Stein"; do
  printf '%s\t%s\n' "$c" "$(cat vote_stream/* | grep -c "\"candidate\": *\"$c\"")"
done | console_table 0 candidate count > want.txt
check_same "votes per candidate" want.txt out.txt
finish
