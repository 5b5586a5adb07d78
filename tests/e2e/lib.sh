# Shared helpers for the end-to-end tests: each test sources this file, gets
# the eddy binary as $EDDY and a fresh scratch directory as $WORK (removed on
# exit), and ends with `finish`, which prints "N passed, N failed".
set -u
EDDY=${1:?usage: test.sh path/to/eddy}
EDDY=$(cd "$(dirname "$EDDY")" && pwd)/$(basename "$EDDY")
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
PASS=0
FAIL=0

ok() { PASS=$((PASS+1)); }
bad() { echo "FAIL: $*"; FAIL=$((FAIL+1)); }

# check NAME EXPECTED_FILE ACTUAL_FILE
check_same() {
  if diff -u "$2" "$3" > "$WORK/.diff"; then ok; else bad "$1 (- expected, + actual)"; sed 's/^/    /' "$WORK/.diff" | head -60; fi
}

# Spark's console table for "label<TAB>count" lines (in the given order):
# right-aligned cells, column width max(3, header, cells).
console_table() { # batch header1 header2 < rows
  awk -F'\t' -v batch="$1" -v h1="$2" -v h2="$3" '
    { k[NR] = $1; v[NR] = $2 }
    END {
      w1 = length(h1); w2 = length(h2); if (w1 < 3) w1 = 3; if (w2 < 3) w2 = 3
      for (i = 1; i <= NR; i++) { if (length(k[i]) > w1) w1 = length(k[i]); if (length(v[i]) > w2) w2 = length(v[i]) }
      sep = "+"; for (i = 0; i < w1; i++) sep = sep "-"; sep = sep "+"; for (i = 0; i < w2; i++) sep = sep "-"; sep = sep "+"
      print "-------------------------------------------"; print "Batch: " batch; print "-------------------------------------------"
      print sep; printf "|%" w1 "s|%" w2 "s|\n", h1, h2; print sep
      for (i = 1; i <= NR; i++) printf "|%" w1 "s|%" w2 "s|\n", k[i], v[i]
      print sep; print ""
    }'
}

finish() {
  echo "$PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ]
}
