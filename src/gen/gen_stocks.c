/* The stock generator of seed 004: one CSV file per trading day holding the
 * daily bar (open, high, low, close, volume) of ten KOSPI stocks, prices
 * following a random walk in whole won on the KRX price ticks. */
#include "gen/gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/stop.h"
#include "core/timefmt.h"

/* Starting closes are roughly those of the last trading days of 2023, and
 * volumes roughly typical days of that year, rounded; they only set the
 * scale of the walk and are not market data. */
const gen_stock gen_stocks[GEN_NSTOCKS] = {
    {"005930", "Samsung Electronics", 78500, 13000000},
    {"000660", "SK hynix", 141500, 3000000},
    {"373220", "LG Energy Solution", 429500, 250000},
    {"207940", "Samsung Biologics", 760000, 60000},
    {"005380", "Hyundai Motor", 203500, 500000},
    {"000270", "Kia", 100000, 1200000},
    {"068270", "Celltrion", 201000, 900000},
    {"005490", "POSCO Holdings", 500000, 500000},
    {"035420", "NAVER", 224000, 600000},
    {"051910", "LG Chem", 500000, 250000},
};

#define STREAM_STOCKS_WALK 0x77616c6bULL /* "walk": one stream per symbol */
#define STREAM_STOCKS_LATE 0x6c617465ULL /* "late": one stream per tick */
#define DAY_US 86400000000LL
#define GAP_SD 0.005      /* overnight move, log-return deviation */
#define RETURN_SD 0.018   /* open to close */
#define RANGE_SD 0.006    /* how far high and low reach past open and close */
#define VOLUME_SD 0.35    /* log-volume deviation */
#define LIMIT 0.30        /* KRX daily price limit: +-30% of the previous close */

int64_t gen_stocks_tick_size(int64_t price)
{
    if (price < 2000)
        return 1;
    if (price < 5000)
        return 5;
    if (price < 20000)
        return 10;
    if (price < 50000)
        return 50;
    if (price < 200000)
        return 100;
    if (price < 500000)
        return 500;
    return 1000;
}

/* Rounds a price to the tick of its own value: -1 down, 0 nearest, +1 up.
 * Tick boundaries are multiples of every smaller tick, so the result is on
 * a valid tick whichever side of a boundary it lands. Never below 1. */
static int64_t to_tick(double raw, int dir)
{
    if (raw < 1)
        return 1;
    int64_t tick = gen_stocks_tick_size((int64_t)raw);
    double q = raw / (double)tick;
    double n = dir < 0 ? floor(q) : dir > 0 ? ceil(q) : nearbyint(q);
    int64_t v = (int64_t)n * tick;
    return v < 1 ? 1 : v;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* One symbol's walk: the previous close and its random stream. */
typedef struct walk {
    int64_t close;
    gen_rng r;
} walk;

/* One day's bar for a symbol; advances the walk. */
static void next_bar(walk *w, const gen_stock *s, int64_t bar[5])
{
    double prev = (double)w->close;
    int64_t up = to_tick(prev * (1 + LIMIT), -1), down = to_tick(prev * (1 - LIMIT), 1);
    double open_raw = prev * exp(GAP_SD * gen_rng_normal(&w->r));
    double ret = RETURN_SD * gen_rng_normal(&w->r);
    double close_raw = open_raw * exp(ret);
    double reach_hi = exp(fabs(RANGE_SD * gen_rng_normal(&w->r)));
    double reach_lo = exp(-fabs(RANGE_SD * gen_rng_normal(&w->r)));
    double vol = (double)s->daily_volume * exp(VOLUME_SD * gen_rng_normal(&w->r) + 8 * fabs(ret));

    int64_t open = clamp64(to_tick(open_raw, 0), down, up);
    int64_t close = clamp64(to_tick(close_raw, 0), down, up);
    int64_t high = clamp64(to_tick((double)max64(open, close) * reach_hi, 1), down, up);
    int64_t low = clamp64(to_tick((double)min64(open, close) * reach_lo, -1), down, up);
    bar[0] = open;
    bar[1] = max64(high, max64(open, close));
    bar[2] = min64(low, min64(open, close));
    bar[3] = close;
    bar[4] = max64(1, llround(vol));
    w->close = close;
}

/* Days since 1970-01-01 rounded down, for µs before 1970 too. */
static int64_t floor_day(int64_t us)
{
    return us >= 0 ? us / DAY_US : -((-us + DAY_US - 1) / DAY_US);
}

/* Monday 0 .. Sunday 6; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t day)
{
    int64_t w = (day + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int64_t next_weekday(int64_t day)
{
    while (weekday(day) >= 5)
        day++;
    return day;
}

/* Writes the file of trading day `day` (tick `tick`), advancing every walk. */
static int write_day_file(const gen_options *o, int tick, int64_t day, walk *walks,
                          eddy_error *err)
{
    char date[16];
    date_format((int32_t)day, date);
    char name[64];
    snprintf(name, sizeof name, "stocks_%06d_%s.csv", tick, date);
    gen_file f;
    int rc = gen_file_open(&f, o->out_dir, name, err);
    if (rc < 0)
        return rc;
    gen_rng late;
    gen_rng_seed(&late, o->seed, (STREAM_STOCKS_LATE << 40) ^ (uint64_t)tick);
    gen_file_write(&f, "date,symbol,open,high,low,close,volume\n", 39);
    for (int si = 0; si < GEN_NSTOCKS; si++) {
        int64_t bar[5];
        next_bar(&walks[si], &gen_stocks[si], bar);
        int64_t ts = day * DAY_US - gen_lateness(&late, o);
        char row_date[16];
        date_format((int32_t)floor_day(ts), row_date);
        char line[160];
        int n = snprintf(line, sizeof line, "%s,%s,%lld,%lld,%lld,%lld,%lld\n", row_date,
                         gen_stocks[si].symbol, (long long)bar[0], (long long)bar[1],
                         (long long)bar[2], (long long)bar[3], (long long)bar[4]);
        gen_file_write(&f, line, (size_t)n);
    }
    return gen_file_commit(&f, err);
}

int gen_stocks_run(const gen_options *o, eddy_error *err)
{
    if (o->ticks < 0)
        return err_set(err, EDDY_USAGE, "gen stocks: ticks must not be negative");
    int rc = gen_mkdirs(o->out_dir, err);
    if (rc < 0)
        return rc;
    walk walks[GEN_NSTOCKS];
    for (int si = 0; si < GEN_NSTOCKS; si++) {
        walks[si].close = gen_stocks[si].first_close;
        gen_rng_seed(&walks[si].r, o->seed, (STREAM_STOCKS_WALK << 40) ^ (uint64_t)si);
    }
    int64_t start = o->start_time_us ? o->start_time_us : now_us();
    int64_t day = next_weekday(floor_day(start));
    int64_t t0 = mono_us();
    for (int tick = 0; o->ticks == 0 || tick < o->ticks; tick++) {
        if (stop_requested())
            break;
        rc = write_day_file(o, tick, day, walks, err);
        if (rc < 0)
            return rc;
        gen_sync_dir(o->out_dir);
        if (!o->quiet) {
            char date[16];
            date_format((int32_t)day, date);
            fprintf(stderr, "gen stocks: tick %d: %s, %d rows\n", tick, date, GEN_NSTOCKS);
        }
        day = next_weekday(day + 1);
        if (o->ticks && tick + 1 == o->ticks)
            break;
        int64_t wait = t0 + (int64_t)(tick + 1) * o->interval_us - mono_us();
        if (wait > 0 && stop_sleep(wait))
            break;
    }
    return 0;
}
