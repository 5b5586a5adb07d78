/* Simulated input streams for the seeds (SPEC §8). Every file is written to a
 * hidden name (".name.tmp") and renamed, so file sources never see a partial
 * file. Deterministic for a given seed. */
#ifndef GEN_GEN_H
#define GEN_GEN_H

#include <stdint.h>

#include "eddy.h"

typedef struct gen_options {
    const char *kind;      /* "votes", "events" (accel, stocks: later issue) */
    const char *out_dir;   /* created if missing */
    uint64_t seed;         /* --seed (default 42) */
    int64_t interval_us;   /* pause between ticks/files; votes 5 s, events 3 s */
    int ticks;             /* votes: number of ticks (0 = until stopped) */
    double sample;         /* votes: fraction of voting-age population (0.005) */
    int files;             /* events: number of files (10) */
    int rows;              /* events: rows per file (10) */
    int64_t start_time_us; /* timestamp of the first event (0 = now) */
    int quiet;             /* no progress lines on stderr */
} gen_options;

/* Defaults for a kind (NULL kind: votes). */
void gen_options_default(gen_options *o, const char *kind);

/* Writes the stream, sleeping interval_us between ticks, until done or a stop
 * is requested (core/stop.h). Returns 0, -EDDY_USAGE for an unknown kind,
 * -EDDY_IO when a file cannot be written. */
int gen_run(const gen_options *o, eddy_error *err);

#endif
