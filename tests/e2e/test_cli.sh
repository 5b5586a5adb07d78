#!/usr/bin/env bash
# The command line of SPEC §1: exit statuses, suggestions, explain, errors
# that name what is wrong.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
expect_status() { # want, then command
  local want=$1; shift
  "$@" > out.txt 2> err.txt; local got=$?
  [ "$got" -eq "$want" ] && ok || { bad "'$*' exited $got, expected $want"; cat err.txt; }
}
expect_status 2 "$EDDY"
expect_status 0 "$EDDY" version
grep -q '^eddy ' out.txt && ok || bad "version output"
expect_status 2 "$EDDY" rnu x.sql
grep -q "did you mean 'run'" err.txt && ok || bad "no suggestion for 'rnu'"
expect_status 2 "$EDDY" run "$ROOT/examples/votes.sql" --chekpoint d
grep -q "did you mean '--checkpoint'" err.txt && ok || bad "no suggestion for --chekpoint"
expect_status 2 "$EDDY" run "$ROOT/examples/votes.sql" --log-level loud
expect_status 2 "$EDDY" run does-not-exist.sql
# A missing source path is an error at start that names it.
expect_status 1 "$EDDY" run "$ROOT/examples/votes.sql" --available-now --no-ui
grep -q "vote_stream" err.txt && ok || bad "missing path not named: $(cat err.txt)"
# explain
expect_status 0 "$EDDY" explain "$ROOT/examples/events.sql"
grep -q "== Logical Plan ==" out.txt && grep -q "== Physical Plan ==" out.txt && ok || bad "explain sections"
grep -q "Aggregate \[event" out.txt && ok || bad "explain shows no aggregate: $(cat out.txt)"
grep -q "columns \[event\]" out.txt && ok || bad "explain does not show the pruned columns"
# SQL error: file:line:col, the line, a caret; exit 2 before anything runs.
printf 'CREATE SOURCE s (a INT) WITH (format = %s, path = %s);\nCREATE SINK k WITH (format = %s)\n  AS SELECT b FROM s;\n' \
  "'csv'" "'.'" "'console'" > bad.sql
expect_status 2 "$EDDY" run bad.sql --available-now
head -1 err.txt | grep -q "^bad.sql:3:13: error: " && ok || bad "error position: $(cat err.txt)"
# Variable substitution in option values (Spark's ${var}): from -D, from a
# SET earlier in the file, from the environment; $${ is a literal ${; an
# unknown variable is an error at the option, with the nearest name.
mkdir -p vin && printf '{"a":"x"}\n{"a":"y"}\n' > vin/1.json
cat > vars.sql <<'SQL'
SET first = 'v';
CREATE SOURCE s (a STRING) WITH (format = 'json', path = '${first}${env:EDDY_TEST_SUFFIX}');
CREATE SINK o WITH (format = 'console', numRows = '${rows}') AS SELECT a FROM s;
SQL
EDDY_TEST_SUFFIX=in expect_status 0 "$EDDY" run vars.sql --available-now --no-ui -D rows=1
grep -q "only showing top 1 row" out.txt && grep -q '|  x|' out.txt && ok || bad "substituted run: $(cat out.txt err.txt)"
EDDY_TEST_SUFFIX=in expect_status 2 "$EDDY" run vars.sql --available-now --no-ui -D rowz=1
head -1 err.txt | grep -qF "vars.sql:3:41: error: option 'numRows': unknown variable 'rows'" && ok || bad "unknown variable: $(cat err.txt)"
grep -qF "did you mean 'rowz'?" err.txt && ok || bad "no nearest variable: $(cat err.txt)"
expect_status 2 "$EDDY" run vars.sql --available-now --no-ui -D rows=1
grep -qF "the environment variable 'EDDY_TEST_SUFFIX' is not set" err.txt && ok || bad "unset env: $(cat err.txt)"
finish
