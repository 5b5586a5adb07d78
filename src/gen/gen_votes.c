/* The votes generator of seed 000: every tick, one JSON-lines file per US
 * state holding a sample of that state's voting-age population as votes, or
 * (--kafka) the same records as messages keyed by state. */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/stop.h"
#include "core/timefmt.h"
#include "gen/gen_kafka.h"

/* Resident population age 18 years and older, by state.
 * Source: U.S. Census Bureau, Population Division, "Estimates of the Total
 * Resident Population and Resident Population Age 18 Years and Older for the
 * United States, Regions, States, the District of Columbia, and Puerto Rico:
 * July 1, 2020" (Vintage 2020, table SCPRC-EST2020-18+POP-RES), Alabama
 * through Pennsylvania. Rhode Island through Wyoming are the July 1, 2019
 * figures of the same series (Vintage 2019, SCPRC-EST2019-18+POP-RES); the
 * copy of the 2020 table at hand stopped at Pennsylvania. The 50 states sum to
 * 255,429,323, so --sample 0.005 gives 25,543 votes per file on average. */
const gen_state gen_states[GEN_NSTATES] = {
    {"Alabama", "AL", 3834249},
    {"Alaska", "AK", 552427},
    {"Arizona", "AZ", 5774978},
    {"Arkansas", "AR", 2330808},
    {"California", "CA", 30576844},
    {"Colorado", "CO", 4557684},
    {"Connecticut", "CT", 2838054},
    {"Delaware", "DE", 782153},
    {"Florida", "FL", 17482580},
    {"Georgia", "GA", 8210067},
    {"Hawaii", "HI", 1111188},
    {"Idaho", "ID", 1375870},
    {"Illinois", "IL", 9809562},
    {"Indiana", "IN", 5188514},
    {"Iowa", "IA", 2438002},
    {"Kansas", "KS", 2217059},
    {"Kentucky", "KY", 3475334},
    {"Louisiana", "LA", 3564038},
    {"Maine", "ME", 1101973},
    {"Maryland", "MD", 4721883},
    {"Massachusetts", "MA", 5552051},
    {"Michigan", "MI", 7839742},
    {"Minnesota", "MN", 4356123},
    {"Mississippi", "MS", 2273653},
    {"Missouri", "MO", 4780119},
    {"Montana", "MT", 850894},
    {"Nebraska", "NE", 1462537},
    {"Nevada", "NV", 2440679},
    {"New Hampshire", "NH", 1113141},
    {"New Jersey", "NJ", 6947836},
    {"New Mexico", "NM", 1633828},
    {"New York", "NY", 15348422},
    {"North Carolina", "NC", 8294423},
    {"North Dakota", "ND", 583680},
    {"Ohio", "OH", 9124576},
    {"Oklahoma", "OK", 3027263},
    {"Oregon", "OR", 3380729},
    {"Pennsylvania", "PA", 10162497},
    {"Rhode Island", "RI", 848877},
    {"South Carolina", "SC", 4037531},
    {"South Dakota", "SD", 667558},
    {"Tennessee", "TN", 5319123},
    {"Texas", "TX", 21596071},
    {"Utah", "UT", 2274774},
    {"Vermont", "VT", 509984},
    {"Virginia", "VA", 6674671},
    {"Washington", "WA", 5951832},
    {"West Virginia", "WV", 1432580},
    {"Wisconsin", "WI", 4555837},
    {"Wyoming", "WY", 445025},
};

static const char *const age_groups[] = {"18-24", "25-34", "35-44", "45-54", "55-64", "65+"};

/* Candidates of seed 000 plus a third-party one; weights in percent. */
static const struct {
    const char *name;
    unsigned percent;
} candidates[] = {
    {"Kamala Harris", 48},
    {"Donald Trump", 47},
    {"Jill Stein", 5},
};

#define STREAM_VOTES 0x766f746573ULL /* "votes" */
#define MAX_LINE 256

int64_t gen_votes_rows(const gen_state *s, double sample)
{
    return (int64_t)((double)s->voting_age_pop * sample + 0.5);
}

static const char hex[] = "0123456789abcdef";

/* A version-4 UUID from 122 random bits: 36 bytes, no NUL. */
static void put_uuid(gen_rng *r, char *p)
{
    uint64_t a = gen_rng_next(r), b = gen_rng_next(r);
    a = (a & ~0xf000ULL) | 0x4000ULL;
    b = (b & ~(3ULL << 62)) | (2ULL << 62);
    char digits[32];
    for (int i = 0; i < 16; i++) {
        digits[i] = hex[(a >> (60 - 4 * i)) & 15];
        digits[16 + i] = hex[(b >> (60 - 4 * i)) & 15];
    }
    memcpy(p, digits, 8);
    p[8] = '-';
    memcpy(p + 9, digits + 8, 4);
    p[13] = '-';
    memcpy(p + 14, digits + 12, 4);
    p[18] = '-';
    memcpy(p + 19, digits + 16, 4);
    p[23] = '-';
    memcpy(p + 24, digits + 20, 12);
}

static char *put_str(char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

#define PUT_LIT(p, lit) put_str((p), (lit), sizeof(lit) - 1)

/* The records of one state in one tick: gen_votes_rows of them, drawn from
 * the stream (seed, tick, state), so files and Kafka carry the same bytes. */
typedef struct vote_gen {
    gen_rng r;
    const gen_options *o;
    const gen_state *st;
    size_t state_len, age_len[6], cand_len[3];
    uint32_t span_s;   /* timestamps spread over the tick's first span_s seconds */
    int64_t tick_us;
    int64_t day_cache;
    char date_cache[10];
} vote_gen;

static void vote_gen_init(vote_gen *g, const gen_options *o, int tick, int si, int64_t tick_us)
{
    g->o = o;
    g->st = &gen_states[si];
    gen_rng_seed(&g->r, o->seed, (STREAM_VOTES << 24) ^ ((uint64_t)tick << 8) ^ (uint64_t)si);
    g->state_len = strlen(g->st->name);
    for (int i = 0; i < 6; i++)
        g->age_len[i] = strlen(age_groups[i]);
    for (int i = 0; i < 3; i++)
        g->cand_len[i] = strlen(candidates[i].name);
    g->span_s = o->interval_us >= 2000000 ? (uint32_t)(o->interval_us / 1000000) : 1;
    g->tick_us = tick_us;
    g->day_cache = INT64_MIN;
}

/* Writes the next record's JSON object (no newline, at most MAX_LINE - 1
 * bytes) at p; returns the end of what was written. */
static char *vote_gen_next(vote_gen *g, char *p)
{
    gen_rng *r = &g->r;
    int64_t ts = g->tick_us + (int64_t)gen_rng_below(r, g->span_s) * 1000000;
    ts -= gen_lateness(r, g->o);
    unsigned age = gen_rng_below(r, 6);
    unsigned pct = gen_rng_below(r, 100), c = 0;
    while (c < 2 && pct >= candidates[c].percent) {
        pct -= candidates[c].percent;
        c++;
    }
    p = PUT_LIT(p, "{\"vote_id\": \"");
    put_uuid(r, p);
    p += 36;
    p = PUT_LIT(p, "\", \"timestamp\": \"");
    gen_format_second(ts, ' ', p, &g->day_cache, g->date_cache);
    p += 19;
    p = PUT_LIT(p, "\", \"state\": \"");
    p = put_str(p, g->st->name, g->state_len);
    p = PUT_LIT(p, "\", \"age_group\": \"");
    p = put_str(p, age_groups[age], g->age_len[age]);
    p = PUT_LIT(p, "\", \"candidate\": \"");
    p = put_str(p, candidates[c].name, g->cand_len[c]);
    p = PUT_LIT(p, "\"}");
    return p;
}

/* Writes one state's file for one tick; *rows_out gets the row count. */
static int write_state_file(const gen_options *o, int tick, int si, int64_t tick_us,
                            int64_t *rows_out, eddy_error *err)
{
    const gen_state *st = &gen_states[si];
    char name[64];
    snprintf(name, sizeof name, "votes_%06d_%s.json", tick, st->code);
    gen_file f;
    int rc = gen_file_open(&f, o->out_dir, name, err);
    if (rc < 0)
        return rc;
    vote_gen g;
    vote_gen_init(&g, o, tick, si, tick_us);
    int64_t rows = gen_votes_rows(st, o->sample);
    for (int64_t i = 0; i < rows; i++) {
        char *p0 = gen_file_reserve(&f, MAX_LINE);
        char *p = vote_gen_next(&g, p0);
        *p++ = '\n';
        f.len += (size_t)(p - p0);
    }
    *rows_out = rows;
    return gen_file_commit(&f, err);
}

/* Produces one state's records for one tick to Kafka, keyed by the state's
 * name; *rows_out gets the count queued. */
static int send_state(const gen_options *o, gen_kafka *k, int tick, int si, int64_t tick_us,
                      int64_t *rows_out, eddy_error *err)
{
    const gen_state *st = &gen_states[si];
    vote_gen g;
    vote_gen_init(&g, o, tick, si, tick_us);
    int64_t rows = gen_votes_rows(st, o->sample);
    char line[MAX_LINE];
    for (int64_t i = 0; i < rows; i++) {
        char *end = vote_gen_next(&g, line);
        int rc = gen_kafka_send(k, st->name, g.state_len, line, (size_t)(end - line), err);
        if (rc < 0)
            return rc;
    }
    *rows_out = rows;
    return 0;
}

int gen_votes_run(const gen_options *o, eddy_error *err)
{
    if (!(o->sample > 0 && o->sample <= 1))
        return err_set(err, EDDY_USAGE, "gen votes: sample must be in (0, 1], got %g", o->sample);
    if (o->ticks < 0)
        return err_set(err, EDDY_USAGE, "gen votes: ticks must not be negative");
    gen_kafka *k = NULL;
    const char *topic = o->kafka_topic ? o->kafka_topic : "votes_topic";
    int rc = o->kafka_bootstrap
                 ? gen_kafka_open(&k, o->kafka_bootstrap, topic, o->kafka_timeout_ms, err)
                 : gen_mkdirs(o->out_dir, err);
    if (rc < 0)
        return o->kafka_bootstrap ? err_prefix(err, "gen votes") : rc;
    int64_t start = o->start_time_us ? o->start_time_us : now_us();
    int64_t t0 = mono_us();
    for (int tick = 0; o->ticks == 0 || tick < o->ticks; tick++) {
        int64_t tick_us = start + (int64_t)tick * o->interval_us;
        int64_t total = 0;
        int files = 0;
        for (int si = 0; si < GEN_NSTATES && !stop_requested(); si++) {
            int64_t rows;
            rc = k ? send_state(o, k, tick, si, tick_us, &rows, err)
                   : write_state_file(o, tick, si, tick_us, &rows, err);
            if (rc < 0)
                goto out;
            total += rows;
            files++;
        }
        if (k) {
            /* The tick is done when the broker has acknowledged all of it. */
            if ((rc = gen_kafka_flush(k, err)) < 0)
                goto out;
            if (!o->quiet)
                fprintf(stderr, "gen votes: tick %d: %d states, %lld messages to %s\n", tick,
                        files, (long long)total, topic);
        } else {
            gen_sync_dir(o->out_dir);
            if (!o->quiet)
                fprintf(stderr, "gen votes: tick %d: %d files, %lld rows\n", tick, files,
                        (long long)total);
        }
        if (stop_requested() || (o->ticks && tick + 1 == o->ticks))
            break;
        int64_t wait = t0 + (int64_t)(tick + 1) * o->interval_us - mono_us();
        if (wait > 0 && stop_sleep(wait))
            break;
    }
    rc = 0;
out:
    if (rc < 0 && k)
        err_prefix(err, "gen votes");
    gen_kafka_close(k);
    return rc;
}
