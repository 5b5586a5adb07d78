/* `eddy gen`: parses the generator's command line into gen_options and runs
 * it until done or Ctrl+C. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/stop.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "gen/gen.h"

enum { FOR_VOTES = 1, FOR_EVENTS = 2, FOR_ACCEL = 4, FOR_STOCKS = 8, FOR_ALL = 15 };

enum opt_id {
    OPT_OUT, OPT_SEED, OPT_INTERVAL, OPT_START, OPT_QUIET, OPT_LATE_FRACTION,
    OPT_MAX_LATENESS, OPT_TICKS, OPT_SAMPLE, OPT_FILES, OPT_ROWS, OPT_PIDS, OPT_KAFKA,
    OPT_TOPIC, OPT_KAFKA_TIMEOUT, OPT_HELP,
};

static const struct gen_opt {
    const char *name;
    int kinds;   /* FOR_* mask: the generators that take it */
    int has_arg;
} opts[] = {
    [OPT_OUT] = {"--out", FOR_ALL, 1},
    [OPT_SEED] = {"--seed", FOR_ALL, 1},
    [OPT_INTERVAL] = {"--interval", FOR_ALL, 1},
    [OPT_START] = {"--start", FOR_ALL, 1},
    [OPT_QUIET] = {"--quiet", FOR_ALL, 0},
    [OPT_LATE_FRACTION] = {"--late-fraction", FOR_ALL, 1},
    [OPT_MAX_LATENESS] = {"--max-lateness", FOR_ALL, 1},
    [OPT_TICKS] = {"--ticks", FOR_VOTES | FOR_ACCEL | FOR_STOCKS, 1},
    [OPT_SAMPLE] = {"--sample", FOR_VOTES, 1},
    [OPT_FILES] = {"--files", FOR_EVENTS, 1},
    [OPT_ROWS] = {"--rows", FOR_EVENTS | FOR_ACCEL, 1},
    [OPT_PIDS] = {"--pids", FOR_ACCEL, 1},
    [OPT_KAFKA] = {"--kafka", FOR_VOTES, 1},
    [OPT_TOPIC] = {"--topic", FOR_VOTES, 1},
    [OPT_KAFKA_TIMEOUT] = {"--kafka-timeout", FOR_VOTES, 1},
    [OPT_HELP] = {"--help", FOR_ALL, 0},
};
#define NOPTS ((int)(sizeof opts / sizeof opts[0]))

/* Kind names in FOR_* bit order. */
static const char *const kinds[] = {"votes", "events", "accel", "stocks"};
#define NKINDS 4

static void usage(FILE *out)
{
    fputs("usage: eddy gen votes --out DIR [--ticks N] [--sample F] [common options]\n"
          "       eddy gen votes --kafka HOST:PORT[,...] [--topic T] [--ticks N] [--sample F]\n"
          "                      [common options]\n"
          "       eddy gen events --out DIR [--files N] [--rows N] [common options]\n"
          "       eddy gen accel --out DIR [--pids N] [--ticks N] [--rows N] [common options]\n"
          "       eddy gen stocks --out DIR [--ticks N] [common options]\n"
          "\n"
          "Writes a simulated input stream into DIR; every file is written to a\n"
          "hidden name and renamed. Same --seed and --start, same bytes.\n"
          "\n"
          "common options:\n"
          "  --out DIR            output directory (created if missing)\n"
          "  --seed N             random seed (42)\n"
          "  --interval D         pause between ticks/files: '5s', '500 ms', '0'\n"
          "                       (votes 5s, events 3s, accel 5s, stocks 1s; a bare\n"
          "                       number is seconds)\n"
          "  --start TS           event time of the first tick, 'yyyy-MM-dd HH:mm:ss'\n"
          "                       UTC (default: now; stocks use its date)\n"
          "  --late-fraction F    share of rows whose event time moves back (0)\n"
          "  --max-lateness D     how far back those rows go, uniform in (0, D],\n"
          "                       e.g. '30s', '3 days'\n"
          "  --quiet              no progress line per tick\n"
          "votes (seed 000): JSON lines vote_id,timestamp,state,age_group,candidate\n"
          "  --ticks N            ticks to write, 50 state files each (0 = until Ctrl+C)\n"
          "  --sample F           fraction of each state's voting-age population (0.005)\n"
          "  --kafka SERVERS      produce the records to Kafka instead of files (no --out):\n"
          "                       one JSON message per vote, keyed by state, idempotent\n"
          "                       producer, each tick flushed; 0.005 is ~1.3M messages a\n"
          "                       tick, so use --sample 0.0001 or less on kafka-mock\n"
          "  --topic T            the topic, which must exist (votes_topic)\n"
          "  --kafka-timeout D    how long the broker may be unreachable before eddy gen\n"
          "                       fails with exit status 1 (10s)\n"
          "events (seed 003): CSV timestamp,user_id,event\n"
          "  --files N            files to write (10; 0 = until Ctrl+C)\n"
          "  --rows N             rows per file (10)\n"
          "accel (seed 002): CSV pid,time,x,y,z at 40 Hz, one file per participant per tick\n"
          "  --pids N             participants, 1 to 13 (3)\n"
          "  --ticks N            ticks to write (0 = until Ctrl+C)\n"
          "  --rows N             samples per participant per tick (200 = 5 s of event time)\n"
          "stocks (seed 004): CSV date,symbol,open,high,low,close,volume, ten KOSPI\n"
          "                   stocks, one file per weekday\n"
          "  --ticks N            trading days to write (0 = until Ctrl+C)\n",
          out);
}

/* Prints "eddy gen KIND: message" and a pointer to --help; returns 2. */
static int usage_error(const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const char *kind, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "eddy gen %s: ", kind);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(see eddy gen --help)\n", stderr);
    return 2;
}

static int parse_int(const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return -1;
    *out = (int)v;
    return 0;
}

/* A duration: "5s", "500 milliseconds", "1 minute", or a bare number of
 * seconds ("3", "0.5"). Negative values are refused. */
static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double secs = strtod(s, &end);
    if (end != s && *end == '\0' && !errno) {
        if (!(secs >= 0 && secs < 1e9))
            return -1;
        *out = (int64_t)llround(secs * 1e6);
        return 0;
    }
    if (duration_parse(s, strlen(s), out) != 0 || *out < 0)
        return -1;
    return 0;
}

static void on_signal(int sig)
{
    (void)sig;
    stop_request();
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* Applies one option's value; returns 0 or a usage exit status. */
static int apply(gen_options *o, const char *kind, enum opt_id id, const char *val)
{
    const char *name = opts[id].name;
    char *end;
    switch (id) {
    case OPT_OUT:
        if (!*val)
            return usage_error(kind, "%s needs a directory", name);
        o->out_dir = val;
        return 0;
    case OPT_SEED:
        errno = 0;
        o->seed = strtoull(val, &end, 10);
        if (errno || end == val || *end || *val == '-')
            return usage_error(kind, "%s: expected a non-negative integer, got '%s'", name, val);
        return 0;
    case OPT_INTERVAL:
    case OPT_MAX_LATENESS: {
        int64_t us;
        if (parse_duration(val, &us) != 0)
            return usage_error(kind, "%s: expected a duration like '5s' or '500 ms', got '%s'",
                               name, val);
        if (id == OPT_INTERVAL)
            o->interval_us = us;
        else
            o->max_lateness_us = us;
        return 0;
    }
    case OPT_START:
        if (ts_parse(val, strlen(val), &o->start_time_us) != 0 || o->start_time_us <= 0)
            return usage_error(kind, "%s: expected 'yyyy-MM-dd HH:mm:ss' after 1970, got '%s'",
                               name, val);
        return 0;
    case OPT_LATE_FRACTION:
    case OPT_SAMPLE: {
        errno = 0;
        double v = strtod(val, &end);
        int ok = !errno && end != val && !*end && isfinite(v) &&
                 (id == OPT_SAMPLE ? v > 0 && v <= 1 : v >= 0 && v <= 1);
        if (!ok)
            return usage_error(kind, "%s: expected a fraction %s", name,
                               id == OPT_SAMPLE ? "in (0, 1]" : "in [0, 1]");
        if (id == OPT_SAMPLE)
            o->sample = v;
        else
            o->late_fraction = v;
        return 0;
    }
    case OPT_TICKS:
    case OPT_FILES:
    case OPT_ROWS: {
        int v;
        /* accel needs samples to move event time forward */
        long min = id == OPT_ROWS && str_ieq(kind, "accel") ? 1 : 0;
        if (parse_int(val, min, 1000000000, &v) != 0)
            return usage_error(kind, "%s: expected a%s integer, got '%s'", name,
                               min ? " positive" : " non-negative", val);
        if (id == OPT_TICKS)
            o->ticks = v;
        else if (id == OPT_FILES)
            o->files = v;
        else
            o->rows = v;
        return 0;
    }
    case OPT_PIDS:
        if (parse_int(val, 1, GEN_ACCEL_NPIDS, &o->pids) != 0)
            return usage_error(kind, "%s: expected a number of participants from 1 to %d, "
                                     "got '%s'", name, GEN_ACCEL_NPIDS, val);
        return 0;
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
    case OPT_KAFKA:
        if (!*val)
            return usage_error(kind, "%s needs bootstrap servers, e.g. 127.0.0.1:9092", name);
        o->kafka_bootstrap = val;
        return 0;
    case OPT_TOPIC:
        if (!*val)
            return usage_error(kind, "%s needs a topic name", name);
        o->kafka_topic = val;
        return 0;
    case OPT_KAFKA_TIMEOUT: {
        int64_t us;
        if (parse_duration(val, &us) != 0 || us < 1000 || us > 3600 * INT64_C(1000000))
            return usage_error(kind, "%s: expected a duration from 1 ms to 1 hour like '10s', "
                                     "got '%s'", name, val);
        o->kafka_timeout_ms = (int)(us / 1000);
        return 0;
    }
    default:
        return 0;
    }
}

int cmd_gen(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *kind = argv[1];
    if (strcmp(kind, "--help") == 0 || strcmp(kind, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    int mask = 0;
    for (int k = 0; k < NKINDS; k++)
        if (str_ieq(kind, kinds[k])) {
            mask = 1 << k;
            kind = kinds[k];
        }
    if (!mask) {
        const char *near = str_nearest(kind, kinds, NKINDS);
        fprintf(stderr, "eddy gen: unknown kind '%s'", kind);
        if (near)
            fprintf(stderr, " (did you mean '%s'?)", near);
        fputs("; available: votes, events, accel, stocks\n", stderr);
        return 2;
    }

    gen_options o;
    gen_options_default(&o, kind);
    for (int i = 2; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-q") == 0)
            arg = "--quiet";
        if (strcmp(arg, "-h") == 0)
            arg = "--help";
        if (strncmp(arg, "--", 2) != 0)
            return usage_error(kind, "unexpected argument '%s'", arg);
        char name[64];
        const char *eq = strchr(arg, '=');
        size_t nlen = eq ? (size_t)(eq - arg) : strlen(arg);
        if (nlen >= sizeof name)
            nlen = sizeof name - 1;
        memcpy(name, arg, nlen);
        name[nlen] = '\0';
        int id = -1;
        for (int k = 0; k < NOPTS; k++)
            if (strcmp(opts[k].name, name) == 0)
                id = k;
        if (id < 0) {
            const char *valid[NOPTS];
            for (int k = 0; k < NOPTS; k++)
                valid[k] = (opts[k].kinds & mask) ? opts[k].name : NULL;
            const char *near = str_nearest(name, valid, NOPTS);
            if (near)
                return usage_error(kind, "unknown option '%s' (did you mean '%s'?)", name, near);
            return usage_error(kind, "unknown option '%s'", name);
        }
        if (!(opts[id].kinds & mask)) {
            char which[128] = "";
            size_t len = 0;
            int n = 0, total = __builtin_popcount((unsigned)opts[id].kinds);
            for (int k = 0; k < NKINDS; k++)
                if (opts[id].kinds & (1 << k)) {
                    const char *sep = n == 0 ? "" : n + 1 == total ? " and " : ", ";
                    len += (size_t)snprintf(which + len, sizeof which - len, "%s'eddy gen %s'",
                                            sep, kinds[k]);
                    n++;
                }
            return usage_error(kind, "option '%s' applies to %s only", name, which);
        }
        if (id == OPT_HELP) {
            usage(stdout);
            return 0;
        }
        const char *val = NULL;
        if (opts[id].has_arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else
                return usage_error(kind, "%s needs a value", name);
        } else if (eq) {
            return usage_error(kind, "%s takes no value", name);
        }
        int rc = apply(&o, kind, (enum opt_id)id, val);
        if (rc)
            return rc;
    }
    if (o.kafka_bootstrap && o.out_dir)
        return usage_error(kind, "--out and --kafka exclude each other: write files or "
                                 "produce to Kafka");
    if (!o.kafka_bootstrap && (o.kafka_topic || o.kafka_timeout_ms))
        return usage_error(kind, "%s needs --kafka SERVERS",
                           o.kafka_topic ? "--topic" : "--kafka-timeout");
    if (!o.out_dir && !o.kafka_bootstrap)
        return usage_error(kind, "--out DIR is required%s",
                           mask == FOR_VOTES ? " (or --kafka SERVERS)" : "");
    if (o.late_fraction > 0 && o.max_lateness_us <= 0)
        return usage_error(kind, "--late-fraction needs --max-lateness D");

    install_signals();
    eddy_error err = {0};
    int rc = gen_run(&o, &err);
    if (rc < 0) {
        fprintf(stderr, "eddy: %s\n", err.message);
        return rc == -EDDY_USAGE ? 2 : 1;
    }
    return 0;
}
