#!/usr/bin/env bash
# `eddy gen accel` (seed 002) and `eddy gen stocks` (seed 004) through the
# command line: file names and layout, determinism, value invariants, late
# rows, option errors; eddy reading what they write; the two examples
# explained; the two demos started and stopped with SIGINT.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
expect_status() { # want, then command
  local want=$1; shift
  "$@" > out.txt 2> err.txt; local got=$?
  [ "$got" -eq "$want" ] && ok || { bad "'$*' exited $got, expected $want"; head -5 err.txt; }
}
T0='2024-11-05 14:00:00'

# ---- accel ----
expect_status 0 "$EDDY" gen accel --out accel_stream --pids 2 --ticks 3 --rows 40 --interval 0 \
  --seed 5 --start "$T0" --quiet
want=$(for t in 000000 000001 000002; do for p in BK7610 BU4707; do echo "accel_${p}_$t.csv"; done; done | sort)
[ "$(ls -A accel_stream | sort)" = "$want" ] && ok || bad "accel file names: $(ls -A accel_stream)"
hdr_ok=1; rows_ok=1
for f in accel_stream/*.csv; do
  [ "$(head -1 "$f")" = "pid,time,x,y,z" ] || hdr_ok=0
  [ "$(tail -n +2 "$f" | wc -l)" -eq 40 ] || rows_ok=0
done
[ $hdr_ok -eq 1 ] && ok || bad "accel header"
[ $rows_ok -eq 1 ] && ok || bad "accel: 40 rows per file expected"
n=$(cat accel_stream/*.csv | grep -v '^pid,' |
    grep -cvE '^(BK7610|BU4707),2024-11-05 14:00:0[0-9]\.[0-9]{3},-?[0-9]+\.[0-9]{4},-?[0-9]+\.[0-9]{4},-?[0-9]+\.[0-9]{4}$')
[ "$n" -eq 0 ] && ok || bad "accel: $n rows not shaped pid,yyyy-MM-dd HH:mm:ss.SSS,x,y,z"
# 40 Hz: tick 2 of BK7610 starts 2 * 40 * 25 ms = 2 s after the start
sed -n 2p accel_stream/accel_BK7610_000002.csv | grep -q '^BK7610,2024-11-05 14:00:02\.00[0-4],' \
  && ok || bad "accel: tick 2 starts at $(sed -n 2p accel_stream/accel_BK7610_000002.csv)"
# in time order within a participant (no late rows asked for)
for p in BK7610 BU4707; do
  cat accel_stream/accel_${p}_*.csv | grep -v '^pid' | cut -d, -f2 | sort -c 2>/dev/null \
    && ok || bad "accel $p: times out of order without --late-fraction"
done
# gravity on y: every y between -1.6 and -0.4 g
awk -F, 'FNR > 1 && ($4 < -1.6 || $4 > -0.4) { bad++ } END { exit bad > 0 }' accel_stream/*.csv \
  && ok || bad "accel: y outside [-1.6, -0.4] g"
# same seed, same bytes; another seed, other bytes
"$EDDY" gen accel --out accel_again --pids 2 --ticks 3 --rows 40 --interval 0 --seed 5 --start "$T0" --quiet
diff -r accel_stream accel_again > /dev/null && ok || bad "accel: same seed gave different files"
"$EDDY" gen accel --out accel_other --pids 2 --ticks 3 --rows 40 --interval 0 --seed 6 --start "$T0" --quiet
diff -r accel_stream accel_other > /dev/null && bad "accel: another seed gave the same files" || ok
# defaults: 3 participants, 200 rows
expect_status 0 "$EDDY" gen accel --out accel_default --ticks 1 --interval 0 --quiet
[ "$(ls accel_default | wc -l)" -eq 3 ] && ok || bad "accel: default is 3 participants"
[ "$(tail -n +2 accel_default/accel_CC6740_000000.csv | wc -l)" -eq 200 ] && ok || bad "accel: default is 200 rows"
# the progress line names the tick
expect_status 0 "$EDDY" gen accel --out accel_loud --ticks 1 --interval 0 --pids 1 --rows 5
grep -q "gen accel: tick 0: 1 files, 5 rows" err.txt && ok || bad "accel progress line: $(cat err.txt)"

# eddy reads it: the default timestampFormat parses every time
cat > read_accel.sql <<'SQL'
CREATE SOURCE accel (pid STRING, time TIMESTAMP, x DOUBLE, y DOUBLE, z DOUBLE)
  WITH (format = 'csv', path = 'accel_stream', header = true);
CREATE SINK per_pid WITH (format = 'console', outputMode = 'complete', truncate = false)
  AS SELECT pid, count(time) AS times, min(time) AS first, max(time) AS last
     FROM accel GROUP BY pid ORDER BY pid;
SQL
expect_status 0 "$EDDY" run read_accel.sql --available-now --no-ui --log-level warn
# (Spark prints a fraction only when it is not zero; truncate = false aligns left)
grep -qE '^\|BK7610\|120  \|2024-11-05 14:00:00(\.00[1-4])? *\|2024-11-05 14:00:02\.97[5-9] *\|$' out.txt \
  && ok || { bad "eddy reading accel files:"; cat out.txt; }

# late rows: about 20% of the rows behind an earlier one
expect_status 0 "$EDDY" gen accel --out accel_late --pids 1 --ticks 2 --rows 1000 --interval 0 \
  --late-fraction 0.2 --max-lateness 30s --start "$T0" --quiet
late=$(cat accel_late/accel_BK7610_00000{0,1}.csv | grep -v '^pid' | cut -d, -f2 |
       awk 'NR > 1 && $0 < max { n++ } $0 > max { max = $0 } END { print n + 0 }')
[ "$late" -ge 320 ] && [ "$late" -le 480 ] && ok || bad "accel: $late of 2000 rows late, expected about 400"
first=$(cat accel_late/*.csv | grep -v '^pid' | cut -d, -f2 | sort | head -1)
[[ "$first" > "2024-11-05 13:59:29.999" ]] && ok || bad "accel: a row moved back more than 30 s ($first)"

# ---- stocks ----
# Friday 2024-01-05: then Monday 8th .. Friday 12th, Monday 15th
expect_status 0 "$EDDY" gen stocks --out stock_stream --ticks 7 --interval 0 --seed 5 \
  --start '2024-01-05 09:00:00' --quiet
want=$(printf 'stocks_%06d_%s.csv\n' 0 2024-01-05 1 2024-01-08 2 2024-01-09 3 2024-01-10 \
       4 2024-01-11 5 2024-01-12 6 2024-01-15)
[ "$(ls -A stock_stream | sort)" = "$want" ] && ok || bad "stocks file names: $(ls -A stock_stream)"
bad_rows=$(for f in stock_stream/*.csv; do
  d=${f##*_}; d=${d%.csv}
  awk -F, -v d="$d" '
    NR == 1 { if ($0 != "date,symbol,open,high,low,close,volume") print "header: " $0; next }
    { n++
      if ($1 != d) print "date " $1 " in file of " d
      if ($2 !~ /^[0-9][0-9][0-9][0-9][0-9][0-9]$/) print "symbol " $2
      if ($4 < $3 || $4 < $6) print "high below open/close: " $0
      if ($5 > $3 || $5 > $6 || $5 < 1) print "low above open/close: " $0
      if ($7 < 1) print "volume: " $0 }
    END { if (n != 10) print FILENAME ": " n " rows" }' "$f"
done)
[ -z "$bad_rows" ] && ok || { bad "stocks rows:"; echo "$bad_rows" | head -5; }
[ "$(cut -d, -f2 stock_stream/stocks_000000_2024-01-05.csv | tail -n +2 | sort -u | wc -l)" -eq 10 ] \
  && ok || bad "stocks: 10 distinct symbols per file"
grep -q '^2024-01-05,005930,' stock_stream/stocks_000000_2024-01-05.csv && ok || bad "stocks: no Samsung Electronics (005930)"
"$EDDY" gen stocks --out stock_again --ticks 7 --interval 0 --seed 5 --start '2024-01-05 09:00:00' --quiet
diff -r stock_stream stock_again > /dev/null && ok || bad "stocks: same seed gave different files"
# late rows: dates moved back up to 3 days, prices unchanged
expect_status 0 "$EDDY" gen stocks --out stock_late --ticks 7 --interval 0 --seed 5 \
  --start '2024-01-05 09:00:00' --late-fraction 0.5 --max-lateness '3 days' --quiet
moved=$(for f in stock_late/*.csv; do d=${f##*_}; d=${d%.csv}; tail -n +2 "$f" | awk -F, -v d="$d" '$1 < d' ; done | wc -l)
[ "$moved" -ge 20 ] && [ "$moved" -le 50 ] && ok || bad "stocks: $moved of 70 rows moved back, expected about 35"
diff <(cat stock_stream/*.csv | cut -d, -f2-) <(cat stock_late/*.csv | cut -d, -f2-) > /dev/null \
  && ok || bad "stocks: late rows changed prices"
newer=$(for f in stock_late/*.csv; do d=${f##*_}; d=${d%.csv}; tail -n +2 "$f" | awk -F, -v d="$d" '$1 > d'; done | wc -l)
[ "$newer" -eq 0 ] && ok || bad "stocks: $newer rows moved forward"

# eddy reads it: big_moves of examples/stocks.sql, partitioned by symbol
sed '/^-- Weekly bars/,$d' "$ROOT/examples/stocks.sql" > big_moves.sql
grep -q "CREATE SINK big_moves" big_moves.sql && ! grep -q "CREATE SINK weekly" big_moves.sql \
  && ok || bad "could not cut the weekly query out of examples/stocks.sql"
expect_status 0 "$EDDY" run big_moves.sql --available-now --no-ui --log-level warn
want=$(cat stock_stream/*.csv | awk -F, 'NR > 1 && $1 != "date" { c = $6 - $3; if (c < 0) c = -c; if (c / $3 >= 0.02) print $2 "," $1 }' | sort)
got=$(for d in stock_out/big_moves/symbol=*; do s=${d##*=}; cat "$d"/part-* 2>/dev/null | grep -v '^date,' | cut -d, -f1 | sed "s/^/$s,/"; done | sort)
[ -n "$want" ] && [ "$want" = "$got" ] && ok || bad "big_moves partitions: want [$want] got [$got]"

# ---- errors ----
expect_status 2 "$EDDY" gen accel --out x --pid 3
grep -q "unknown option '--pid' (did you mean '--pids'?)" err.txt && ok || bad "--pid: $(cat err.txt)"
expect_status 2 "$EDDY" gen stocks --out x --pids 2
grep -q "option '--pids' applies to 'eddy gen accel' only" err.txt && ok || bad "--pids for stocks: $(cat err.txt)"
expect_status 2 "$EDDY" gen stocks --out x --rows 2
grep -q "'eddy gen events' and 'eddy gen accel'" err.txt && ok || bad "--rows for stocks: $(cat err.txt)"
expect_status 2 "$EDDY" gen accel --out x --pids 14
grep -q "from 1 to 13" err.txt && ok || bad "--pids 14: $(cat err.txt)"
expect_status 2 "$EDDY" gen accel --out x --rows 0
expect_status 2 "$EDDY" gen stocks --out x --ticks -1
expect_status 2 "$EDDY" gen stcoks --out x
grep -q "did you mean 'stocks'" err.txt && ok || bad "gen stcoks: $(cat err.txt)"
expect_status 2 "$EDDY" gen accel --out x --late-fraction 0.2
grep -q -- "--max-lateness" err.txt && ok || bad "late fraction without lateness: $(cat err.txt)"
expect_status 2 "$EDDY" gen stocks --out x --late-fraction 2 --max-lateness 1d
expect_status 2 "$EDDY" gen stocks --out x --max-lateness soon
expect_status 2 "$EDDY" gen accel --out x --max-latenes 3s
grep -q "did you mean '--max-lateness'" err.txt && ok || bad "--max-latenes: $(cat err.txt)"
[ ! -e x ] && ok || bad "a refused command created its output folder"
expect_status 0 "$EDDY" gen --help
grep -q "gen accel" out.txt && grep -q "gen stocks" out.txt && ok || bad "gen --help lists accel and stocks"
expect_status 2 "$EDDY" demo stokcs
grep -q "did you mean 'stocks'" err.txt && ok || bad "demo stokcs: $(cat err.txt)"

# votes and events honour --late-fraction as well
expect_status 0 "$EDDY" gen events --out ev_late --files 1 --rows 400 --interval 0 \
  --late-fraction 0.3 --max-lateness 1s --start "$T0" --quiet
late=$(tail -n +2 ev_late/event_batch_0.csv | cut -d, -f1 | awk 'NR > 1 && $0 < max { n++ } $0 > max { max = $0 } END { print n + 0 }')
[ "$late" -ge 80 ] && [ "$late" -le 160 ] && ok || bad "events: $late of 400 rows late, expected about 120"
expect_status 0 "$EDDY" gen votes --out votes_late --ticks 1 --sample 0.0001 --interval 0 \
  --late-fraction 0.3 --max-lateness 60s --start "$T0" --quiet
early=$(cat votes_late/*.json | grep -c '"timestamp": "2024-11-05 13:5')
[ "$early" -ge 5000 ] && [ "$early" -le 10000 ] && ok || bad "votes: $early rows before the start, expected about 7600"

# ---- the examples (need window() in the binder) ----
expect_status 0 "$EDDY" explain "$ROOT/examples/accelerometer.sql"
grep -q "== Query: accel_tumbling" out.txt && grep -q "== Query: accel_sliding" out.txt \
  && ok || bad "explain accelerometer.sql: $(head -3 out.txt)"
expect_status 0 "$EDDY" explain "$ROOT/examples/stocks.sql"
grep -q "== Query: big_moves" out.txt && grep -q "== Query: weekly" out.txt \
  && ok || bad "explain stocks.sql: $(head -3 out.txt)"

# ---- the examples run on generated data ----
# accel: 6 ticks of 5 s from 14:00:00, so the largest time is 14:00:29.97x,
# the final watermark 14:00:19.97x, and the windows ending by 14:00:15 are
# written: 3 tumbling windows of 200 samples per participant; sliding ones
# start at 13:59:55 (200 samples, half in the data), then hold 400.
mkdir full_accel && cd full_accel
"$EDDY" gen accel --out accel_stream --ticks 6 --interval 0 --start "$T0" --quiet
expect_status 0 "$EDDY" run "$ROOT/examples/accelerometer.sql" --available-now --no-ui --log-level warn
cat accel_out/tumbling/part-* 2>/dev/null | grep -v '^pid,' | cut -d, -f1,2,3,7 | sort > tumbling.txt
for p in BK7610 BU4707 CC6740; do for w in 00 05 10; do
  e=$(printf '%02d' $((10#$w + 5)))
  echo "$p,2024-11-05T14:00:$w.000Z,2024-11-05T14:00:$e.000Z,200"
done; done > want_tumbling.txt
check_same "accelerometer.sql: tumbling windows" want_tumbling.txt tumbling.txt
cat accel_out/sliding/part-* 2>/dev/null | grep '^BK7610,' | cut -d, -f2,7 | sort > sliding.txt
printf '%s\n' 2024-11-05T13:59:55.000Z,200 2024-11-05T14:00:00.000Z,400 2024-11-05T14:00:05.000Z,400 > want_sliding.txt
check_same "accelerometer.sql: sliding windows of BK7610" want_sliding.txt sliding.txt
cd "$WORK"
# stocks: three weeks from Monday 2024-01-01; the last date (Friday 19th)
# puts the watermark at the 16th, so weeks 1 and 2 are written, 5 days each,
# with the volumes summed from the files.
mkdir full_stocks && cd full_stocks
"$EDDY" gen stocks --out stock_stream --ticks 15 --interval 0 --start '2024-01-01 00:00:00' --quiet
expect_status 0 "$EDDY" run "$ROOT/examples/stocks.sql" --available-now --no-ui --log-level warn
got=$(cat stock_out/weekly/symbol=005930/part-* 2>/dev/null | grep -v '^week_start' | cut -d, -f1,6,7 | sort)
want=$(for wk in 01:05 08:12; do
  from=2024-01-${wk%:*}; to=2024-01-${wk#*:}
  v=$(cat stock_stream/*.csv | awk -F, -v a="$from" -v b="$to" '$2 == "005930" && $1 >= a && $1 <= b { s += $7 } END { print s }')
  echo "${from}T00:00:00.000Z,$v,5"
done)
[ "$got" = "$want" ] && ok || bad "stocks.sql weekly 005930: want [$want] got [$got]"
[ "$(ls -d stock_out/weekly/symbol=* 2>/dev/null | wc -l)" -eq 10 ] && ok || bad "stocks.sql: 10 symbol partitions expected"
[ -d stock_out/big_moves ] && ok || bad "stocks.sql: no big_moves output"
cd "$WORK"

# ---- the demos: start, let a few batches run, SIGINT, clean exit ----
for demo in accel stocks; do
  "$EDDY" demo $demo > demo_out.txt 2> demo_err.txt &
  pid=$!
  for _ in $(seq 1 150); do grep -q "Batch: 1" demo_out.txt 2>/dev/null && break; sleep 0.1; done
  kill -INT "$pid" 2>/dev/null
  wait "$pid"; status=$?
  dir=$(grep -o '/tmp/eddy-demo-'$demo'-[A-Za-z0-9]*' demo_err.txt | head -1)
  [ "$status" -eq 0 ] && ok || { bad "demo $demo exited $status"; tail -3 demo_err.txt; }
  grep -q "Batch: 1" demo_out.txt && ok || bad "demo $demo printed no second batch"
  [ -n "$dir" ] && [ -n "$(ls "$dir"/*_stream 2>/dev/null)" ] && ok || bad "demo $demo wrote no input files"
  [ -n "$dir" ] && rm -rf "$dir"
done
finish
