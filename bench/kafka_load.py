#!/usr/bin/env python3
"""bench/kafka's producer and consumer side, around kcat (no Kafka client
library needed). Compact JSON votes, 5 candidates round-robin:
  kafka_load.py fill N            N votes without "t" on stdout, as fast as possible
  kafka_load.py pace RATE SECS MAX
                                  votes on stdout with "t" = send time (unix us),
                                  RATE per second ("max": as fast as the pipe
                                  takes them) for SECS seconds or MAX messages,
                                  whichever comes first; written in chunks of
                                  at most 1 ms worth (1000 lines for "max"),
                                  flushed per chunk, each chunk stamped when it
                                  is written; "SENT FIRST_US LAST_US" on stderr
  kafka_load.py stamp KCAT_ARG... runs kcat with these arguments and prints each
                                  line it prints prefixed "ARRIVAL_US<TAB>", as
                                  soon as it is read (unix us); SIGTERM/SIGINT
                                  end kcat, then this
"""
import signal, subprocess, sys, time

CANDIDATES = ["Harris", "Trump", "Stein", "Oliver", "West"]
STATES = ["CA", "TX", "FL", "NY", "PA", "IL", "OH", "GA"]


def vote(i, t=None):
    s = '{"id":%d,"state":"%s","candidate":"%s"' % (i, STATES[i % 8], CANDIDATES[i % 5])
    return s + (',"t":%d}\n' % t if t is not None else '}\n')


def fill(n):
    out = sys.stdout
    for lo in range(0, n, 10000):
        out.write(''.join(vote(i) for i in range(lo, min(n, lo + 10000))))
    out.flush()


def pace(rate, secs, limit):
    out = sys.stdout
    sent = 0
    first = last = 0
    start = time.monotonic()
    while sent < limit:
        now = time.monotonic()
        if now - start >= secs:
            break
        due = limit if rate is None else min(limit, int(rate * (now - start)) + 1)
        if rate is None:
            due = min(due, sent + 1000)
        if due <= sent:
            time.sleep(0.0002)
            continue
        t = int(time.time() * 1e6)
        out.write(''.join(vote(i, t) for i in range(sent, due)))
        out.flush()
        if not first:
            first = t
        last = t
        sent = due
    out.close()
    sys.stderr.write('%d %d %d\n' % (sent, first, last))


def stamp(args):
    kcat = subprocess.Popen(['kcat'] + args, stdout=subprocess.PIPE)

    def stop(signum, frame):
        kcat.terminate()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    inp, out = kcat.stdout, sys.stdout.buffer
    for line in iter(inp.readline, b''):
        out.write(b'%d\t' % int(time.time() * 1e6) + line)
        out.flush()
    kcat.wait()


if __name__ == '__main__':
    cmd = sys.argv[1] if len(sys.argv) > 1 else ''
    if cmd == 'fill':
        fill(int(sys.argv[2]))
    elif cmd == 'pace':
        r = sys.argv[2]
        pace(None if r == 'max' else float(r), float(sys.argv[3]), int(sys.argv[4]))
    elif cmd == 'stamp':
        stamp(sys.argv[2:])
    else:
        sys.exit(__doc__)
