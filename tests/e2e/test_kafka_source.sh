#!/usr/bin/env bash
# The Kafka source against the mock broker: startingOffsets (earliest,
# latest, per-partition JSON), maxOffsetsPerTrigger as Spark splits it,
# valueFormat json/csv/raw with exact metadata columns, an aggregation's
# exact counts, SIGKILL and restart from the checkpoint with every message
# exactly once in a csv sink, the broker down and up again, availableNow,
# subscribePattern picking up a new topic, data aged out of the log before it
# was read (failOnDataLoss true and false), and refused or misspelt options.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
cd "$WORK"

wait_for() { # pattern file seconds
  for _ in $(seq 1 $(($3 * 10))); do grep -q -- "$1" "$2" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
wait_lines() { # file n seconds: until the file has at least n lines
  for _ in $(seq 1 $(($3 * 10))); do [ "$(cat "$1" 2>/dev/null | wc -l)" -ge "$2" ] && return 0; sleep 0.1; done
  return 1
}
# Sum and list of numInputRows in a progress file.
input_rows() { grep -o '"numInputRows":[0-9]*' "$1" | sed -n '1~2p' | cut -d: -f2 | paste -sd' '; }
# The cells of a console table's rows, "|"-separated, blanks removed.
cells() { grep "^|" "$1" | tr -d " " | grep -v "^|$2|" ; }
run_now() { # sql-file out-file [args]: an availableNow run, 20 s at most
  local sql=$1 out=$2
  shift 2
  timeout 20 "$EDDY" run "$sql" --no-ui --available-now "$@" > "$out" 2> "$out.err"
}
src() { # NAME TOPIC-OPTION EXTRA-OPTIONS [COLUMNS]
  printf "CREATE SOURCE %s %s WITH (format = 'kafka', 'kafka.bootstrap.servers' = '%s', %s%s);\n" \
    "$1" "${4:-}" "$KAFKA_BOOTSTRAP" "$2" "${3:+, $3}"
}

kafka_start one:1 two:2 agg:3 kill:2 down:1 avail:1 pat_a:1 loss:1 || { bad "mock broker"; finish; exit 1; }
B=$KAFKA_BOOTSTRAP

# ---- earliest, json, metadata columns (exact values) ----------------------------
{ printf 'k1:{"x":1,"y":"one"}\nk2:{"x":2,"y":"two"}\n' | kafka_produce one : -p 0 &&
  printf '{"x":3,\n "y":"three"}' | kafka_produce one '' -p 0 -D '@@' &&   # no key; a line break
  printf 'k4:not json\n' | kafka_produce one : -p 0; } || bad "produce one"
{ src s "subscribe = 'one'" "startingOffsets = 'earliest'" "(x INT, y STRING)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x, y, _key, _topic, _partition, _offset, _timestamp IS NOT NULL AS ts FROM s;"
} > meta.sql
run_now meta.sql meta.out && ok || { bad "earliest run"; cat meta.out.err; }
cat > want <<'EOF'
|1|one|k1|one|0|0|true|
|2|two|k2|one|0|1|true|
|3|three|NULL|one|0|2|true|
|NULL|NULL|k4|one|0|3|true|
EOF
cells meta.out x > got
check_same "json values and metadata columns" want got
# SELECT * leaves the metadata columns out.
{ src s "subscribe = 'one'" "startingOffsets = 'earliest'" "(x INT, y STRING)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT * FROM s WHERE _offset < 2;"
} > star.sql
run_now star.sql star.out && grep -q '^|  x|  y|$' star.out && [ "$(cells star.out x | wc -l)" -eq 2 ] \
  && ok || { bad "SELECT * without metadata columns"; cat star.out star.out.err; }

# ---- valueFormat raw and csv ------------------------------------------------------
{ src s "subscribe = 'one'" "startingOffsets = 'earliest', valueFormat = 'raw'"
  echo "CREATE SINK o WITH (format = 'console', truncate = false) AS SELECT key, value, topic, partition, offset FROM s WHERE offset < 2;"
} > raw.sql
run_now raw.sql raw.out || bad "raw run"
printf '|k1|{"x":1,"y":"one"}|one|0|0|\n|k2|{"x":2,"y":"two"}|one|0|1|\n' > want
cells raw.out key > got
check_same "valueFormat raw" want got
printf 'a:1,alpha\nb:2,"beta, quoted"\nc:oops,gamma\n' | kafka_produce two : -p 1 || bad "produce two"
{ src s "subscribe = 'two'" "startingOffsets = 'earliest', valueFormat = 'csv', mode = 'DROPMALFORMED'" "(n INT, name STRING)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT n, name, _key, _partition, _offset FROM s;"
} > csv.sql
run_now csv.sql csv.out || { bad "csv run"; cat csv.out.err; }
printf '|1|alpha|a|1|0|\n|2|beta,quoted|b|1|1|\n' > want
cells csv.out n > got
check_same "valueFormat csv (DROPMALFORMED drops offset 2)" want got

# ---- startingOffsets as per-partition JSON -----------------------------------------
seq 1 5 | sed 's/.*/{"x":&}/' | kafka_produce two '' -p 0 || bad "produce two/0"
{ src s "subscribe = 'two'" "startingOffsets = '{\"two\":{\"0\":3,\"1\":-2}}', valueFormat = 'raw'"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT partition, offset FROM s;"
} > json.sql
run_now json.sql json.out || { bad "json offsets run"; cat json.out.err; }
cells json.out partition | sort > got
printf '|0|3|\n|0|4|\n|1|0|\n|1|1|\n|1|2|\n' > want
check_same "startingOffsets JSON: partition 0 from 3, partition 1 from earliest" want got
{ src s "subscribe = 'two'" "startingOffsets = '{\"two\":{\"0\":3}}'" "(x INT)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x FROM s;"
} > json2.sql
run_now json2.sql json2.out; st=$?
[ "$st" -ne 0 ] && grep -q "must give every partition.*two-0, two-1" json2.out.err && ok ||
  { bad "startingOffsets JSON missing a partition (status $st)"; cat json2.out.err; }

# ---- maxOffsetsPerTrigger, split as Spark's rateLimit ----------------------------------
# agg: partition 0 gets 10 messages, partition 1 gets 5: a limit of 6 gives
# 4 + 2, then 4 + 2, then the last 2 + 1.
for p in 0 1; do
  n=$((p == 0 ? 10 : 5))
  for i in $(seq 1 $n); do echo "{\"c\":\"cand$(( (i + p) % 3 ))\",\"p\":$p}"; done | kafka_produce agg '' -p $p || bad "produce agg"
done
{ src s "subscribe = 'agg'" "startingOffsets = 'earliest', maxOffsetsPerTrigger = 6" "(c STRING, p INT)"
  echo "CREATE SINK o WITH (format = 'console', outputMode = 'complete') AS SELECT c, count(*) AS n FROM s GROUP BY c ORDER BY c;"
} > rate.sql
run_now rate.sql rate.out --progress rate.jsonl || { bad "rate run"; cat rate.out.err; }
[ "$(input_rows rate.jsonl)" = "6 6 3" ] && ok || bad "batch sizes: got '$(input_rows rate.jsonl)', want '6 6 3'"
grep -q '"description":"KafkaV2\[Subscribe\[agg\]\]"' rate.jsonl && ok || bad "progress description"
grep -q '"endOffset":{"agg":{"0":4,"1":2,"2":0}}' rate.jsonl && ok || bad "batch 0's end offset"
# The aggregation's last table equals the counts of what was produced.
for p in 0 1; do n=$((p == 0 ? 10 : 5)); for i in $(seq 1 $n); do echo "cand$(( (i + p) % 3 ))"; done; done |
  sort | uniq -c | awk '{printf "|%s|%s|\n", $2, $1}' > want
sed -n '/^Batch: 2$/,$p' rate.out > last.out
cells last.out c > got
check_same "aggregated counts" want got

# ---- startingOffsets latest: what was there before the start is skipped -----------------
{ src s "subscribe = 'one'" "" "(x INT, y STRING)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x, _offset FROM s;"
} > latest.sql
"$EDDY" run latest.sql --no-ui > latest.out 2> latest.err &
pid=$!
wait_for "starting from offsets" latest.err 10 || bad "latest: no start"
echo '{"x":42}' | kafka_produce one '' -p 0
wait_for "Batch: 0" latest.out 10 && ok || bad "latest: the new message was not read"
kill -INT $pid; wait $pid
printf '|42|4|\n' > want
cells latest.out x > got
check_same "startingOffsets latest" want got

# ---- SIGKILL mid-run, restart: every message exactly once --------------------------------
for p in 0 1; do seq $((p * 1000 + 1)) $((p * 1000 + 400)) | sed 's/.*/{"id":&}/' | kafka_produce kill '' -p $p; done
{ src s "subscribe = 'kill'" "startingOffsets = 'earliest', maxOffsetsPerTrigger = 40" "(id INT)"
  echo "CREATE SINK o WITH (format = 'csv', path = 'kout', checkpointLocation = 'kck', trigger = '100 milliseconds') AS SELECT id, _partition, _offset FROM s;"
} > kill.sql
# First, crashes at fixed points (SIGKILL before the 9th durable rename of
# each run): batches logged but not committed run again with their range.
for _ in 1 2 3; do
  ( EDDY_FAULT=rename:9:kill "$EDDY" run kill.sql --no-ui > /dev/null 2>> killf.err ) 2> /dev/null
done
grep -q "re-running it with its logged input" killf.err && ok || { bad "kill: no batch re-run"; cat killf.err; }
"$EDDY" run kill.sql --no-ui --progress kill1.jsonl > kill1.out 2> kill1.err &
pid=$!
wait_lines kill1.jsonl 4 10 || bad "kill: no batches"
kill -KILL $pid; wait $pid 2>/dev/null
n1=$(wc -l < kill1.jsonl)
[ "$n1" -lt 20 ] && ok || bad "kill: the first run finished before the kill ($n1 batches)"
# More messages arrive while eddy is down.
seq 401 500 | sed 's/.*/{"id":&}/' | kafka_produce kill '' -p 0
run_now kill.sql kill2.out --progress kill2.jsonl || { bad "kill: restart failed"; cat kill2.out.err; }
grep -q "resuming from checkpoint" kill2.out.err && ok || bad "kill: no resume message"
cat kout/*.csv | cut -d, -f1 | grep -v '^id$' | sort -n > got
{ seq 1 500; seq 1001 1400; } | sort -n > want
check_same "kill: every message exactly once" want got

# ---- the broker down mid-run and back: nothing lost ---------------------------------------
seq 1 5 | sed 's/.*/{"x":&}/' | kafka_produce down
{ src s "subscribe = 'down'" "startingOffsets = 'earliest'" "(x INT)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x FROM s;"
} > down.sql
"$EDDY" run down.sql --no-ui > down.out 2> down.err &
pid=$!
wait_for "Batch: 0" down.out 10 || bad "down: batch 0"
kafka_cmd down 1 || bad "down 1"
sleep 2.5
kafka_cmd up 1 || bad "up 1"
seq 6 10 | sed 's/.*/{"x":&}/' | kafka_produce down
wait_for "Batch: 1" down.out 15 && ok || bad "down: no batch after the broker came back"
kill -INT $pid; wait $pid; st=$?
[ "$st" -eq 0 ] && ok || { bad "down: exit status $st"; cat down.err; }
# Whether a request failed while the broker was down (and was retried,
# with a warning) or just waited depends on timing; either way no error.
! grep -q "error:" down.err && ok || { bad "down: an error while the broker was down"; cat down.err; }
cells down.out x | tr -d '|' | sort -n > got
seq 1 10 > want
check_same "down: every message read once" want got
# Down for longer than kafkaConsumer.pollTimeoutMs: the query fails, saying why.
{ src s "subscribe = 'down'" "startingOffsets = 'latest', kafkaConsumer.pollTimeoutMs = 1500" "(x INT)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x FROM s;"
} > down2.sql
kafka_cmd down 1 || bad "down 1 again"
timeout 20 "$EDDY" run down2.sql --no-ui > down2.out 2> down2.err; st=$?
kafka_cmd up 1 || bad "up 1 again"
[ "$st" -ne 0 ] && grep -q "Kafka did not answer for 1500 ms (kafkaConsumer.pollTimeoutMs)" down2.err &&
  ok || { bad "down: expected a clear failure (status $st)"; cat down2.err; }

# ---- availableNow stops at the offsets present at start -----------------------------------
seq 1 5 | sed 's/.*/{"x":&}/' | kafka_produce avail
{ src s "subscribe = 'avail'" "startingOffsets = 'earliest', maxOffsetsPerTrigger = 1" "(x INT)"
  echo "CREATE SINK o WITH (format = 'console', trigger = '300 milliseconds') AS SELECT x FROM s;"
} > avail.sql
timeout 20 "$EDDY" run avail.sql --no-ui --available-now --progress avail.jsonl > avail.out 2> avail.err &
pid=$!
wait_lines avail.jsonl 1 10 || bad "availableNow: no batch"
seq 6 8 | sed 's/.*/{"x":&}/' | kafka_produce avail
wait $pid; st=$?
[ "$st" -eq 0 ] && ok || { bad "availableNow: exit status $st"; cat avail.err; }
[ "$(input_rows avail.jsonl)" = "1 1 1 1 1" ] && ok || bad "availableNow batches: '$(input_rows avail.jsonl)'"
cells avail.out x | tr -d '|' > got
seq 1 5 > want
check_same "availableNow: only the messages present at start" want got

# ---- subscribePattern picks up a topic created later ----------------------------------------
echo '{"x":1}' | kafka_produce pat_a
{ src s "subscribePattern = 'pat_.*'" "startingOffsets = 'earliest'" "(x INT)"
  echo "CREATE SINK o WITH (format = 'console') AS SELECT x, _topic FROM s;"
} > pat.sql
"$EDDY" run pat.sql --no-ui --progress pat.jsonl > pat.out 2> pat.err &
pid=$!
wait_for "Batch: 0" pat.out 10 || bad "pattern: batch 0"
kafka_cmd topic pat_b 1 || bad "topic pat_b"
kafka_cmd topic other 1 || bad "topic other"
echo '{"x":2}' | kafka_produce pat_b
echo '{"x":3}' | kafka_produce other
wait_for "Batch: 1" pat.out 10 && ok || bad "pattern: the new topic was not read"
kill -INT $pid; wait $pid
printf '|1|pat_a|\n|2|pat_b|\n' > want
cells pat.out x > got
check_same "subscribePattern: a topic created later" want got
grep -q '"description":"KafkaV2\[SubscribePattern\[pat_.\*\]\]"' pat.jsonl && ok || bad "pattern description"

# ---- data aged out before it was read: failOnDataLoss ----------------------------------------
# The mock keeps about 5 MiB per partition and drops the oldest message sets
# beyond that, which is retention as far as a reader can tell: the
# partition's earliest offset moves past offsets the query has not read.
seq 1 10 | sed 's/.*/{"x":&}/' | kafka_produce loss '' || bad "produce loss"
loss_sql() { # extra-options
  { src s "subscribe = 'loss'" "startingOffsets = 'earliest'${1:+, $1}" "(x INT)"
    echo "CREATE SINK o WITH (format = 'json', path = 'loss_out') AS SELECT x FROM s;"
  } > loss.sql
}
loss_sql
run_now loss.sql loss.out --checkpoint loss_ck || { bad "loss: first run"; cat loss.out.err; }
pad=$(head -c 10000 /dev/zero | tr '\0' p)
seq 11 710 | sed "s/.*/{\"x\":&,\"pad\":\"$pad\"}/" | kafka_produce loss '' || bad "produce big"
lo=$(kcat -b "$B" -C -t loss -o beginning -c 1 -e -q -f '%o')
[ "${lo:-0}" -gt 10 ] && ok || bad "the mock kept offset 10 (earliest offset '$lo'): no data aged out"
run_now loss.sql loss.out --checkpoint loss_ck; st=$?
[ "$st" -eq 1 ] && grep -q "cannot fetch offset 10 of loss-0 (the earliest offset is now $lo)\. Some data may have been lost.*set the source option 'failOnDataLoss' to 'false'" loss.out.err &&
  ok || { bad "failOnDataLoss (default true): status $st"; sed 's/^/    /' loss.out.err; }
loss_sql "failOnDataLoss = 'false'"
run_now loss.sql loss.out --checkpoint loss_ck; st=$?
[ "$st" -eq 0 ] && grep -q "cannot fetch offset 10 of loss-0 (the earliest offset is now $lo)\. Some data may have been lost (failOnDataLoss is false: going on)" loss.out.err &&
  ok || { bad "failOnDataLoss = false: status $st"; sed 's/^/    /' loss.out.err; }
# What was read: offsets 0-9 (x 1-10) in the first run, then everything
# still in the log (x = offset + 1 from the earliest offset on), once each.
{ seq 1 10; seq $((lo + 1)) 710; } | sort -n > want
cat loss_out/*.json | sed 's/{"x":\([0-9]*\)}/\1/' | sort -n > got
check_same "failOnDataLoss = false: the rest of the log, nothing twice" want got

# ---- refused and misspelt options: exit 2, clear messages ----------------------------------
bad_opts() { # name extra-options expected-message
  { src s "subscribe = 'one'" "$2" "(x INT)"
    echo "CREATE SINK o WITH (format = 'console') AS SELECT x FROM s;"
  } > bad.sql
  timeout 20 "$EDDY" run bad.sql --no-ui > bad.out 2> bad.err; local st=$?
  if [ "$st" -eq 2 ] && grep -q -- "$3" bad.err; then ok; else bad "$1: status $st"; cat bad.err; fi
}
bad_opts "group.id" "'kafka.group.id' = 'g'" "Kafka option 'group.id' is not supported: the query tracks the offsets"
bad_opts "enable.auto.commit" "'kafka.enable.auto.commit' = 'true'" "Kafka option 'enable.auto.commit' is not supported"
bad_opts "startingOffset" "startingOffset = 'earliest'" "did you mean 'startingOffsets'"
bad_opts "unknown kafka.*" "'kafka.no.such' = '1'" "option 'kafka.no.such': No such configuration property"
bad_opts "two strategies" "assign = '{\"one\":[0]}'" "only one of the options 'subscribe', 'subscribePattern' or 'assign'"
bad_opts "valueFormat" "valueFormat = 'avro'" "option 'valueFormat': expected json, csv or raw, got 'avro'"
bad_opts "startingOffsets" "startingOffsets = 'first'" "option 'startingOffsets': expected 'earliest', 'latest' or JSON"
finish
