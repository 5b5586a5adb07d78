#!/usr/bin/env bash
# Seed 001 end to end against the mock broker: `eddy gen votes --kafka`
# produces a fixed stream of votes to votes_topic; examples/voting_kafka.sql
# (as shipped, bootstrap from -D) runs with --available-now; the two
# aggregated topics, read back with kcat, must hold for every candidate and
# every state a last message whose count equals the count over the same
# votes written as files (same --seed); a second run over more votes goes on
# from the checkpoint (the counts grow, nothing is counted twice). Then
# `eddy demo kafka` runs for a few seconds: console batches, messages on both
# topics, the dashboard's API, a clean stop on SIGINT.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/kafka_lib.sh"
cd "$WORK"
START='2024-11-05 14:00:00'
gen() { # TICK_FIRST... : gen votes with fixed options, extra args appended
  timeout 60 "$EDDY" gen votes --seed 7 --start "$START" --interval 0 --sample 0.00002 --quiet "$@"
}
# want 'GLOB' FIELD: "value<TAB>count" over the JSON files, sorted
want() { cat $1 | jq -r ".$2" | sort | uniq -c | awk '{ c = $1; $1 = ""; sub(/^ /, ""); print $0 "\t" c }' | sort; }
# got TOPIC FIELD: the last count per key in the topic, sorted
got() {
  kafka_consume "$1" > "$1.jsonl"
  jq -r "[.$2, .total_votes] | @tsv" "$1.jsonl" | awk -F'\t' '{ last[$1] = $2 } END { for (k in last) print k "\t" last[k] }' | sort
}

kafka_start votes_topic:3 aggregated_votes_per_candidate aggregated_turnout_by_location
gen --kafka "$KAFKA_BOOTSTRAP" --topic votes_topic --ticks 1 && ok || bad "gen votes --kafka"
gen --out files --ticks 1 > /dev/null && ok || bad "gen votes --out"
n=$(cat files/*.json | wc -l)
[ "$n" -gt 3000 ] && ok || bad "only $n votes generated"

cp "$ROOT/examples/voting_kafka.sql" .
"$EDDY" run voting_kafka.sql --available-now --no-ui -D bootstrap="$KAFKA_BOOTSTRAP" \
  > run1.out 2> run1.err && ok || { bad "first run"; tail -5 run1.err; }
want 'files/*.json' candidate > want_c.txt
want 'files/*.json' state > want_s.txt
got aggregated_votes_per_candidate candidate > got_c.txt
got aggregated_turnout_by_location state > got_s.txt
cmp -s want_c.txt got_c.txt && ok || { bad "votes per candidate differ"; diff want_c.txt got_c.txt | head; }
cmp -s want_s.txt got_s.txt && ok || { bad "turnout per state differs"; diff want_s.txt got_s.txt | head -5; }
[ "$(wc -l < got_s.txt)" -eq 50 ] && ok || bad "not 50 states: $(wc -l < got_s.txt)"

# More votes; the second run resumes from the checkpoints.
gen --kafka "$KAFKA_BOOTSTRAP" --topic votes_topic --ticks 2 --start '2024-11-05 14:10:00' && ok \
  || bad "gen votes --kafka, second"
gen --out files2 --ticks 2 --start '2024-11-05 14:10:00' > /dev/null  # its ticks restart at 0
"$EDDY" run voting_kafka.sql --available-now --no-ui -D bootstrap="$KAFKA_BOOTSTRAP" \
  > run2.out 2> run2.err && ok || { bad "second run"; tail -5 run2.err; }
grep -q "resuming from checkpoint" run2.err && ok || bad "the second run did not resume: $(head -3 run2.err)"
want 'files/*.json files2/*.json' candidate > want_c.txt
got aggregated_votes_per_candidate candidate > got_c.txt
cmp -s want_c.txt got_c.txt && ok || { bad "votes per candidate after the second run"; diff want_c.txt got_c.txt | head; }
want 'files/*.json files2/*.json' state > want_s.txt
got aggregated_turnout_by_location state > got_s.txt
cmp -s want_s.txt got_s.txt && ok || { bad "turnout after the second run"; diff want_s.txt got_s.txt | head -5; }
kafka_stop

# eddy demo kafka: everything in one command.
"$EDDY" demo kafka --ui-port 0 > demo.out 2> demo.err &
pid=$!
for _ in $(seq 1 150); do grep -q "^Batch: 1$" demo.out 2> /dev/null && break; sleep 0.1; done
grep -q "^Batch: 1$" demo.out && ok || { bad "demo kafka printed no second batch"; tail -5 demo.err; }
bs=$(grep -o 'bootstrap servers [^ ]*' demo.err | awk '{ print $3 }')
url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' demo.err | head -1)
n=$(timeout 10 kcat -b "$bs" -C -t aggregated_votes_per_candidate -e -q 2> /dev/null | wc -l)
[ "$n" -ge 3 ] && ok || bad "demo kafka: $n messages on aggregated_votes_per_candidate"
n=$(timeout 10 kcat -b "$bs" -C -t aggregated_turnout_by_location -e -q 2> /dev/null | wc -l)
[ "$n" -ge 50 ] && ok || bad "demo kafka: $n messages on aggregated_turnout_by_location"
q=$(curl -s --max-time 5 "${url}api/v1/queries" | jq -r '[.queries[].name] | join(",")')
[ "$q" = "aggregated_votes_per_candidate,aggregated_turnout_by_location,votes_per_candidate,votes_per_age_group,turnout_by_state" ] \
  && ok || bad "demo kafka: queries '$q'"
kill -INT $pid; wait $pid; st=$?
[ "$st" -eq 0 ] && ok || { bad "demo kafka exited $st"; tail -5 demo.err; }
finish
