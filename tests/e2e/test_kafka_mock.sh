#!/usr/bin/env bash
# The mock Kafka broker (build/kafka-mock, tools/kafka_mock.c) and the test
# helpers in kafka_lib.sh, checked with kcat as the client, then
# `eddy gen votes --kafka` against it:
#   A. topics and partitions as asked; keyed messages produced with kcat come
#      back exactly (one partition: in order; three: as a set, spread over
#      the partitions, each key on one partition);
#   B. `eddy gen votes --kafka` writes the very bytes the file generator
#      writes for the same options, one message per record, keyed by state,
#      each state on one partition in file order; a missing topic, an
#      unreachable broker and a broker lost mid-run fail with exit 1 naming
#      the broker error; option clashes exit 2;
#   C. `down 1` makes metadata and produce fail, `up 1` makes them work again;
#   D. commands: bad ones answer "error: ...", `topic` creates one;
#   E. process contract: end of stdin keeps it running, SIGTERM, SIGINT and
#      `quit` exit 0, several brokers, usage errors exit 2.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
cd "$WORK"
T0=$(date +%s)
KAFKA_TIMEOUT=10
check() { # NAME COMMAND...: passes when the command succeeds
  local name=$1; shift
  if "$@"; then ok; else bad "$name"; fi
}
# partitions TOPIC: partition count of a topic from the broker's metadata
# (all topics asked for: asking for one by name would auto-create it)
partitions() {
  timeout 10 kcat -b "$KAFKA_BOOTSTRAP" -L -J |
    jq -r --arg t "$1" '.topics[] | select(.topic == $t and .error == null) | .partitions | length'
}

# ---- A. topics, produce and consume --------------------------------------
kafka_start plain multi:3 || { bad "kafka_start"; finish; exit 1; }
[[ $KAFKA_BOOTSTRAP =~ ^127\.0\.0\.1:[0-9]+$ ]] && ok || bad "bootstrap '$KAFKA_BOOTSTRAP'"
check "plain has 1 partition" [ "$(partitions plain)" = 1 ]
check "multi has 3 partitions" [ "$(partitions multi)" = 3 ]
check "trap chains lib.sh's cleanup" grep -q 'kafka_cleanup; rm -rf' <<< "$(trap -p EXIT)"

seq 1 200 | sed 's/^/line-/' > plain.txt
check "produce to plain" kafka_produce plain < plain.txt
kafka_consume plain > got_plain.txt
check_same "plain topic read back in order" plain.txt got_plain.txt

for i in $(seq 1 300); do echo "key$((i % 20)):value $i"; done > multi.txt
check "produce keyed to multi" kafka_produce multi : < multi.txt
kafka_consume multi -J > multi.jsonl
jq -r '"\(.key):\(.payload)"' multi.jsonl | sort > got_multi.txt
sort multi.txt > want_multi.txt
check_same "multi topic read back exactly" want_multi.txt got_multi.txt
n=$(jq -r .partition multi.jsonl | sort -u | wc -l)
[ "$n" = 3 ] && ok || bad "20 keys should spread over 3 partitions, got $n"
n=$(jq -r '"\(.key)\t\(.partition)"' multi.jsonl | sort -u | cut -f1 | uniq -d | wc -l)
[ "$n" = 0 ] && ok || bad "$n keys on more than one partition"
# per key, the order of production is kept
jq -r '"\(.key):\(.payload)"' multi.jsonl | sort -s -t: -k1,1 > got_order.txt
sort -s -t: -k1,1 multi.txt > want_order.txt
check_same "per-key order" want_order.txt got_order.txt
printf 'explicit\n' | kafka_produce multi "" -p 2 && ok || bad "produce to partition 2"
check "message on partition 2" grep -qx explicit <(kafka_consume multi -p 2)

# ---- B. eddy gen votes --kafka --------------------------------------------
GEN=(--ticks 1 --sample 0.0001 --seed 7 --start '2024-11-05 12:00:00' --quiet)
kafka_cmd topic votes_topic 3 && ok || bad "create votes_topic"
timeout 30 "$EDDY" gen votes --kafka "$KAFKA_BOOTSTRAP" "${GEN[@]}" > gen.out 2> gen.err \
  && ok || { bad "gen votes --kafka failed"; cat gen.err; }
check "gen --quiet prints nothing" [ ! -s gen.out ] && [ ! -s gen.err ]
timeout 30 "$EDDY" gen votes --out files "${GEN[@]}" || bad "gen votes --out failed"
# "state<TAB>record" for every record; a stable sort by state keeps the
# order of each state's records: the file's order, the partition's order.
cat files/*.json | awk -F'"state": "' '{ split($2, a, "\""); print a[1] "\t" $0 }' |
  sort -s -t$'\t' -k1,1 > want_votes.txt
kafka_consume votes_topic -J > votes.jsonl
jq -r '"\(.key)\t\(.payload)"' votes.jsonl | sort -s -t$'\t' -k1,1 > got_votes.txt
n=$(wc -l < want_votes.txt)
[ "$n" -gt 20000 ] && ok || bad "the file generator wrote only $n records"
check_same "gen votes --kafka: same records as the files, keyed by state" \
  want_votes.txt got_votes.txt
n=$(jq -r 'select(.key != (.payload | fromjson).state) | .offset' votes.jsonl | wc -l)
[ "$n" = 0 ] && ok || bad "$n messages whose key is not their state"
n=$(jq -r '"\(.key)\t\(.partition)"' votes.jsonl | sort -u | cut -f1 | uniq -d | wc -l)
[ "$n" = 0 ] && ok || bad "$n states on more than one partition"
n=$(jq -r .partition votes.jsonl | sort -u | wc -l)
[ "$n" = 3 ] && ok || bad "votes on $n of 3 partitions"
# progress line per tick
timeout 30 "$EDDY" gen votes --kafka "$KAFKA_BOOTSTRAP" --topic plain --ticks 2 --interval 0 \
  --sample 0.00001 2> prog.err && ok || bad "gen votes --topic plain"
check "a progress line per tick" [ "$(grep -c '^gen votes: tick [01]: 50 states, [0-9]* messages to plain$' prog.err)" = 2 ]

# failures
timeout 30 "$EDDY" gen votes --kafka "$KAFKA_BOOTSTRAP" --topic missing --ticks 1 --sample 0.00001 \
  2> missing.err; st=$?
[ "$st" = 1 ] && grep -q "topic 'missing': the topic does not exist" missing.err && ok \
  || { bad "missing topic: status $st"; cat missing.err; }
check "a missing topic is not auto-created" [ -z "$(partitions missing)" ]
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
s0=$(date +%s)
timeout 30 "$EDDY" gen votes --kafka "127.0.0.1:$port" --ticks 1 --sample 0.00001 --kafka-timeout 1s \
  2> unreach.err; st=$?
[ "$st" = 1 ] && grep -q "Connection refused" unreach.err && ok \
  || { bad "unreachable broker: status $st"; cat unreach.err; }
[ $(($(date +%s) - s0)) -le 5 ] && ok || bad "unreachable broker took $(($(date +%s) - s0)) s"
for bad_args in "--out=x --topic t" "--kafka-timeout 2s --out x" "--kafka=" \
                "--kafka x --kafka-timeout 0"; do
  # shellcheck disable=SC2086
  timeout 10 "$EDDY" gen votes --ticks 1 --sample 0.00001 $bad_args 2> usage.err < /dev/null
  st=$?
  [ "$st" = 2 ] && ok || bad "gen votes $bad_args: status $st, want 2"
done
check "no output directory made by a refused command" [ ! -e x ]
timeout 30 "$EDDY" gen votes --kafka "$KAFKA_BOOTSTRAP" --out x 2> usage.err; st=$?
[ "$st" = 2 ] && grep -q -- "--out and --kafka exclude each other" usage.err && ok \
  || bad "--out with --kafka: status $st"
timeout 30 "$EDDY" gen events --kafka "$KAFKA_BOOTSTRAP" 2> usage.err; st=$?
[ "$st" = 2 ] && grep -q "applies to 'eddy gen votes' only" usage.err && ok \
  || bad "gen events --kafka: status $st"
timeout 30 "$EDDY" gen votes --kafak "$KAFKA_BOOTSTRAP" 2> usage.err; st=$?
[ "$st" = 2 ] && grep -q "did you mean '--kafka'" usage.err && ok || bad "--kafak: status $st"

# ---- C. down / up ----------------------------------------------------------
# the broker lost in the middle of a run: the running tick fails
timeout 30 "$EDDY" gen votes --kafka "$KAFKA_BOOTSTRAP" --topic plain --ticks 3 --interval 1s \
  --sample 0.00001 --kafka-timeout 1s > /dev/null 2> midrun.err &
gen=$!
sleep 0.4
kafka_cmd down 1 && ok || bad "down 1: $KAFKA_ANSWER"
if timeout 10 kcat -b "$KAFKA_BOOTSTRAP" -L -m 2 > /dev/null 2>&1; then
  bad "kcat fetched metadata while the broker was down"; else ok; fi
if echo lost | KAFKA_TIMEOUT=2 kafka_produce plain 2> /dev/null; then
  bad "kcat produced while the broker was down"; else ok; fi
wait "$gen"; st=$?
[ "$st" = 1 ] && grep -q "delivery failed: Local: Message timed out" midrun.err && ok \
  || { bad "broker down mid-run: status $st"; cat midrun.err; }
kafka_cmd up 1 && ok || bad "up 1: $KAFKA_ANSWER"
check "kcat fetches metadata again" eval "timeout 10 kcat -b \"\$KAFKA_BOOTSTRAP\" -L -m 5 > /dev/null"
check "kcat produces again" kafka_produce plain <<< "after-up"
check "the message produced after up is there" grep -qx after-up <(kafka_consume plain)
kafka_consume plain > plain_after.txt
if grep -qx lost plain_after.txt; then bad "a message produced while down arrived"; else ok; fi
n=$(wc -l < plain_after.txt)
[ "$n" -ge 202 ] && ok || bad "plain has $n messages after the run, want >= 202"

# ---- D. commands -----------------------------------------------------------
KAFKA_QUIET_ERRORS=1
expect_error() { # PATTERN COMMAND...: the mock answers "error: ..." matching PATTERN
  local pat=$1; shift
  kafka_cmd "$@"; local st=$?
  if [ "$st" = 1 ] && [[ $KAFKA_ANSWER == "error: "* ]] && grep -q -- "$pat" <<< "$KAFKA_ANSWER"; then ok
  else bad "'$*' answered '$KAFKA_ANSWER' (status $st), want error matching '$pat'"; fi
}
expect_error "unknown command 'bogus'" bogus
expect_error "did you mean 'down'" dwon 1
expect_error "no broker '2'" down 2
expect_error "no broker '0'" up 0
expect_error "no broker 'x'" down x
expect_error "usage: up ID" up
expect_error "bad topic name" topic 'a/b' 1
expect_error "bad partition count" topic fresh 0
expect_error "already exists" topic plain 2
expect_error "usage: topic NAME PARTITIONS" topic fresh
expect_error "empty command" ""
expect_error "quit takes no argument" quit now
kafka_cmd topic fresh 4 && ok || bad "topic fresh 4: $KAFKA_ANSWER"
check "fresh has 4 partitions" [ "$(partitions fresh)" = 4 ]
unset KAFKA_QUIET_ERRORS
kafka_cmd quit && ok || bad "quit: $KAFKA_ANSWER"
for _ in $(seq 1 50); do kill -0 "$KAFKA_PID" 2>/dev/null || break; sleep 0.1; done
kafka_stop; st=$?
[ "$st" = 0 ] && ok || bad "quit: exit status $st"
grep -v '^$' "$KAFKA_DIR/err" > mock.err
check "the mock wrote nothing on stderr" [ ! -s mock.err ]

# ---- E. process contract ---------------------------------------------------
MOCK=$KAFKA_MOCK
# end of stdin keeps it running; three brokers; SIGTERM exits 0
"$MOCK" --brokers 3 --topic t:2 < /dev/null > m3.out 2> m3.err &
m3=$!
for _ in $(seq 1 50); do [ -s m3.out ] && break; sleep 0.1; done
bs=$(head -1 m3.out)
[[ $bs =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] && ok \
  || bad "three brokers: bootstrap '$bs'"
sleep 0.3
check "end of stdin keeps it running" kill -0 "$m3"
n=$(timeout 10 kcat -b "$bs" -L -J | jq '.brokers | length')
[ "$n" = 3 ] && ok || bad "kcat sees $n brokers, want 3"
check "one bootstrap line only" [ "$(wc -l < m3.out)" = 1 ]
kill -TERM "$m3"; wait "$m3"; st=$?
[ "$st" = 0 ] && ok || bad "SIGTERM: exit status $st"
# SIGINT exits 0
"$MOCK" < /dev/null > m1.out 2> /dev/null &
m1=$!
for _ in $(seq 1 50); do [ -s m1.out ] && break; sleep 0.1; done
kill -INT "$m1"; wait "$m1"; st=$?
[ "$st" = 0 ] && ok || bad "SIGINT: exit status $st"
# usage errors
usage() { # EXPECTED_PATTERN ARGS...
  local pat=$1; shift
  timeout 10 "$MOCK" "$@" < /dev/null > usage.out 2> usage.err; local st=$?
  if [ "$st" = 2 ] && grep -q -- "$pat" usage.err && [ ! -s usage.out ]; then ok
  else bad "kafka-mock $*: status $st, stderr: $(head -1 usage.err)"; fi
}
usage "did you mean '--topic'" --topics a
usage "did you mean '--brokers'" --broker 2
usage "wants 1..16" --brokers 0
usage "wants 1..16" --brokers two
usage "needs a value" --brokers
usage "bad partition count" --topic a:0
usage "bad topic name" --topic 'a b'
usage "already exists" --topic a --topic a:2
timeout 10 "$MOCK" --help > help.out; st=$?
[ "$st" = 0 ] && grep -q "down ID | up ID" help.out && ok || bad "--help: status $st"

echo "($(($(date +%s) - T0)) s)"
finish
