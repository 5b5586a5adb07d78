# Helpers for end-to-end tests against the mock Kafka broker (build/kafka-mock,
# tools/kafka_mock.c). Source after lib.sh:
#
#   source "$(dirname "$0")/lib.sh"
#   source "$(dirname "$0")/kafka_lib.sh"
#   kafka_start --brokers 2 votes_topic:3 out_topic   # sets KAFKA_BOOTSTRAP, KAFKA_PID
#   printf 'k1:v1\nk2:v2\n' | kafka_produce votes_topic :
#   kafka_consume out_topic -f '%k %s\n' > got.txt
#   kafka_cmd down 1 ; kafka_cmd up 1
#   kafka_stop                                         # or let the EXIT trap do it
#
# The mock reads commands from a FIFO that this shell keeps open on a file
# descriptor (so it never sees end of input) and answers on a second FIFO read
# with a timeout, so a hung mock fails a test instead of blocking it. The mock
# is stopped by kafka_stop, by the EXIT trap that kafka_start chains in front
# of the one already set (lib.sh's, or the test's own), and — should this
# shell be SIGKILLed — by a watchdog that notices the shell is gone. A test
# that sets its own EXIT trap after kafka_start should use `on_exit CMD`,
# which keeps the traps already registered. Call these functions directly,
# never inside $(...): they set variables of this shell.
#
# Environment: KAFKA_MOCK (the binary; default: kafka-mock beside $EDDY),
# KAFKA_TIMEOUT (seconds for kcat runs and command answers; default 15).

KAFKA_MOCK=${KAFKA_MOCK:-$(dirname "$EDDY")/kafka-mock}
KAFKA_TIMEOUT=${KAFKA_TIMEOUT:-15}
KAFKA_BOOTSTRAP=
KAFKA_PID=
KAFKA_DIR=
_KAFKA_IN_FD=
_KAFKA_OUT_FD=
_KAFKA_WATCHDOG=
KAFKA_ANSWER=

# on_exit CMD: runs CMD when the shell exits, before the EXIT trap already
# set (so "stop the broker" runs before lib.sh's "rm -rf $WORK"). INT, TERM
# and HUP without a trap of their own are turned into an exit so the EXIT
# trap runs on a ctest timeout or Ctrl-C too.
on_exit() {
  local prev
  eval "local -a _t=($(trap -p EXIT))"
  prev=${_t[2]:-}
  if [ -n "$prev" ]; then
    trap "$1; $prev" EXIT
  else
    trap "$1" EXIT
  fi
  [ -n "$(trap -p INT)" ] || trap 'exit 130' INT
  [ -n "$(trap -p TERM)" ] || trap 'exit 143' TERM
  [ -n "$(trap -p HUP)" ] || trap 'exit 129' HUP
}

# kafka_start [--brokers N] TOPIC[:PARTITIONS]...: starts the mock broker,
# waits for its bootstrap line (KAFKA_TIMEOUT s) and sets KAFKA_BOOTSTRAP
# and KAFKA_PID. Returns 1 (with the mock's stderr) when it does not start.
kafka_start() {
  local args=() a
  if [ -n "$KAFKA_PID" ]; then echo "kafka_start: a mock broker is already running" >&2; return 1; fi
  if [ ! -x "$KAFKA_MOCK" ]; then echo "kafka_start: no mock broker at $KAFKA_MOCK" >&2; return 1; fi
  while [ $# -gt 0 ]; do
    case $1 in
      --brokers) args+=(--brokers "$2"); shift 2 ;;
      *) args+=(--topic "$1"); shift ;;
    esac
  done
  KAFKA_DIR=$(mktemp -d "${WORK:-${TMPDIR:-/tmp}}/kafka.XXXXXX") || return 1
  mkfifo "$KAFKA_DIR/in" "$KAFKA_DIR/out" || return 1
  # Read-write opens never block on a FIFO; these fds keep both ends alive.
  exec {_KAFKA_IN_FD}<>"$KAFKA_DIR/in" {_KAFKA_OUT_FD}<>"$KAFKA_DIR/out"
  "$KAFKA_MOCK" "${args[@]}" < "$KAFKA_DIR/in" > "$KAFKA_DIR/out" 2> "$KAFKA_DIR/err" \
    {_KAFKA_IN_FD}>&- {_KAFKA_OUT_FD}>&- &
  KAFKA_PID=$!
  local shell_pid=$$ mock_pid=$KAFKA_PID
  ( exec {_KAFKA_IN_FD}>&- {_KAFKA_OUT_FD}>&-; trap '' INT
    while kill -0 "$shell_pid" 2>/dev/null && kill -0 "$mock_pid" 2>/dev/null; do sleep 1; done
    kill -TERM "$mock_pid" 2>/dev/null ) < /dev/null > /dev/null 2>&1 &
  _KAFKA_WATCHDOG=$!
  on_exit kafka_cleanup
  if ! read -r -t "$KAFKA_TIMEOUT" -u "$_KAFKA_OUT_FD" KAFKA_BOOTSTRAP || [ -z "$KAFKA_BOOTSTRAP" ]; then
    echo "kafka_start: the mock broker did not start:" >&2
    sed 's/^/    /' "$KAFKA_DIR/err" >&2
    kafka_stop
    return 1
  fi
  export KAFKA_BOOTSTRAP
}

# kafka_cmd WORD...: sends one command (down ID, up ID, topic NAME P, quit)
# and waits up to KAFKA_TIMEOUT s for its answer, left in KAFKA_ANSWER.
# Returns 0 for "ok", 1 for "error: ..." (printed on stderr unless the
# caller expects it), 2 when no answer came.
kafka_cmd() {
  KAFKA_ANSWER=
  [ -n "$KAFKA_PID" ] || { echo "kafka_cmd: no mock broker running" >&2; return 2; }
  echo "$*" >&"$_KAFKA_IN_FD"
  if ! read -r -t "$KAFKA_TIMEOUT" -u "$_KAFKA_OUT_FD" KAFKA_ANSWER; then
    echo "kafka_cmd: no answer to '$*' within ${KAFKA_TIMEOUT}s" >&2
    return 2
  fi
  [ "$KAFKA_ANSWER" = ok ] && return 0
  [ -n "${KAFKA_QUIET_ERRORS:-}" ] || echo "kafka_cmd: '$*': $KAFKA_ANSWER" >&2
  return 1
}

# kafka_produce TOPIC [KEY_DELIM [KCAT_ARG...]] < LINES: one message per input
# line (split into key and value at the first KEY_DELIM when given and not
# empty). Fails when a message is not delivered within KAFKA_TIMEOUT s.
kafka_produce() {
  local topic=$1 delim=${2:-} ms=$((KAFKA_TIMEOUT * 1000)) k=()
  shift; [ $# -gt 0 ] && shift
  [ -n "$delim" ] && k=(-K "$delim")
  timeout "$((KAFKA_TIMEOUT + 5))" kcat -b "$KAFKA_BOOTSTRAP" -P -t "$topic" "${k[@]}" \
    -X message.timeout.ms="$ms" -X socket.timeout.ms="$ms" "$@"
}

# kafka_consume TOPIC [KCAT_ARG...]: every message of the topic from the
# beginning of each partition to its current end, one per line on stdout
# (payload only unless -f/-J is given). Fails after KAFKA_TIMEOUT s.
kafka_consume() {
  local topic=$1
  shift
  timeout "$KAFKA_TIMEOUT" kcat -b "$KAFKA_BOOTSTRAP" -C -t "$topic" -o beginning -e -q "$@"
}

# kafka_stop: SIGTERM to the mock, waits up to 5 s (then SIGKILL), closes the
# FIFOs. Returns the mock's exit status (0 after a clean shutdown).
kafka_stop() {
  local st=0 _
  if [ -n "$KAFKA_PID" ]; then
    kill -TERM "$KAFKA_PID" 2>/dev/null
    for _ in $(seq 1 50); do kill -0 "$KAFKA_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$KAFKA_PID" 2>/dev/null || true  # usually gone already (set -e callers)
    wait "$KAFKA_PID" 2>/dev/null; st=$?
  fi
  if [ -n "$_KAFKA_WATCHDOG" ]; then
    kill "$_KAFKA_WATCHDOG" 2>/dev/null; wait "$_KAFKA_WATCHDOG" 2>/dev/null
  fi
  [ -n "$_KAFKA_IN_FD" ] && exec {_KAFKA_IN_FD}>&-
  [ -n "$_KAFKA_OUT_FD" ] && exec {_KAFKA_OUT_FD}>&-
  KAFKA_PID= _KAFKA_WATCHDOG= _KAFKA_IN_FD= _KAFKA_OUT_FD= KAFKA_BOOTSTRAP=
  return "$st"
}

# The EXIT trap's part: stops a mock still running, quietly.
kafka_cleanup() { kafka_stop > /dev/null 2>&1; return 0; }
