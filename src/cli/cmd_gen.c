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

enum { FOR_VOTES = 1, FOR_EVENTS = 2, FOR_ALL = 3 };

enum opt_id {
    OPT_OUT, OPT_SEED, OPT_INTERVAL, OPT_START, OPT_QUIET, OPT_LATE_FRACTION,
    OPT_MAX_LATENESS, OPT_TICKS, OPT_SAMPLE, OPT_FILES, OPT_ROWS, OPT_KAFKA,
    OPT_TOPIC, OPT_HELP,
};

static const struct gen_opt {
    const char *name;
    int kinds;   /* FOR_* mask; 0: known but not available yet */
    int has_arg;
} opts[] = {
    [OPT_OUT] = {"--out", FOR_ALL, 1},
    [OPT_SEED] = {"--seed", FOR_ALL, 1},
    [OPT_INTERVAL] = {"--interval", FOR_ALL, 1},
    [OPT_START] = {"--start", FOR_ALL, 1},
    [OPT_QUIET] = {"--quiet", FOR_ALL, 0},
    [OPT_LATE_FRACTION] = {"--late-fraction", FOR_ALL, 1},
    [OPT_MAX_LATENESS] = {"--max-lateness", FOR_ALL, 1},
    [OPT_TICKS] = {"--ticks", FOR_VOTES, 1},
    [OPT_SAMPLE] = {"--sample", FOR_VOTES, 1},
    [OPT_FILES] = {"--files", FOR_EVENTS, 1},
    [OPT_ROWS] = {"--rows", FOR_EVENTS, 1},
    [OPT_KAFKA] = {"--kafka", 0, 1},
    [OPT_TOPIC] = {"--topic", 0, 1},
    [OPT_HELP] = {"--help", FOR_ALL, 0},
};
#define NOPTS ((int)(sizeof opts / sizeof opts[0]))

static const char *const kinds_ready[] = {"votes", "events"};
static const char *const kinds_all[] = {"votes", "events", "accel", "stocks"};

static void usage(FILE *out)
{
    fputs("usage: eddy gen votes --out DIR [--seed N] [--interval D] [--ticks N]\n"
          "                      [--sample F] [--start TS] [--quiet]\n"
          "       eddy gen events --out DIR [--files N] [--rows N] [--interval D]\n"
          "                      [--seed N] [--start TS] [--quiet]\n"
          "\n"
          "Writes a simulated input stream into DIR; every file is written to a\n"
          "hidden name and renamed. Same --seed and --start, same bytes.\n"
          "\n"
          "  --out DIR            output directory (created if missing)\n"
          "  --seed N             random seed (42)\n"
          "  --interval D         pause between ticks/files: '5s', '500 ms', '0'\n"
          "                       (votes 5s, events 3s; a bare number is seconds)\n"
          "  --start TS           event time of the first tick, 'yyyy-MM-dd HH:mm:ss'\n"
          "                       UTC (default: now)\n"
          "  --late-fraction F    share of rows moved back in event time (0)\n"
          "  --max-lateness D     how far back those rows go, e.g. '30s'\n"
          "  --quiet              no progress line per tick\n"
          "votes:\n"
          "  --ticks N            ticks to write, 50 state files each (0 = until Ctrl+C)\n"
          "  --sample F           fraction of each state's voting-age population (0.005)\n"
          "events:\n"
          "  --files N            files to write (10; 0 = until Ctrl+C)\n"
          "  --rows N             rows per file (10)\n",
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
        if (parse_int(val, 0, 1000000000, &v) != 0)
            return usage_error(kind, "%s: expected a non-negative integer, got '%s'", name, val);
        if (id == OPT_TICKS)
            o->ticks = v;
        else if (id == OPT_FILES)
            o->files = v;
        else
            o->rows = v;
        return 0;
    }
    case OPT_QUIET:
        o->quiet = 1;
        return 0;
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
    int mask;
    if (str_ieq(kind, "votes")) {
        mask = FOR_VOTES;
    } else if (str_ieq(kind, "events")) {
        mask = FOR_EVENTS;
    } else if (str_ieq(kind, "accel") || str_ieq(kind, "stocks")) {
        fprintf(stderr, "eddy gen: the '%s' generator is not available yet (available: votes, events)\n",
                kind);
        return 2;
    } else {
        const char *near = str_nearest(kind, kinds_all, 4);
        fprintf(stderr, "eddy gen: unknown kind '%s'", kind);
        if (near)
            fprintf(stderr, " (did you mean '%s'?)", near);
        fputs("; available: votes, events\n", stderr);
        return 2;
    }
    kind = kinds_ready[mask == FOR_VOTES ? 0 : 1];

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
        if (opts[id].kinds == 0) {
            fprintf(stderr, "eddy gen %s: %s is not available yet; write files with --out DIR "
                            "and read them with a file source\n", kind, name);
            return 2;
        }
        if (!(opts[id].kinds & mask))
            return usage_error(kind, "option '%s' applies to 'eddy gen %s' only", name,
                               mask == FOR_VOTES ? "events" : "votes");
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
    if (!o.out_dir)
        return usage_error(kind, "--out DIR is required");
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
