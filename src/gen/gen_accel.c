/* The accelerometer generator of seed 002: phones of Bar Crawl participants
 * sampled at 40 Hz, one CSV file of pid,time,x,y,z per participant per tick.
 * The signal is synthetic: gravity, a gait oscillation and sensor noise. */
#include "gen/gen.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/stop.h"
#include "core/timefmt.h"

const char *const gen_accel_pids[GEN_ACCEL_NPIDS] = {
    "BK7610", "BU4707", "CC6740", "DC6359", "DK3500", "HV0618", "JB3156",
    "JR8022", "MC7070", "MJ8002", "PC6771", "SA0297", "SF3079",
};

#define STREAM_ACCEL_GAIT 0x67616974ULL  /* "gait": one stream per participant */
#define STREAM_ACCEL_TICK 0x7469636bULL  /* "tick": one per participant and tick */
#define MAX_LINE 128
#define NOISE_G 0.02                     /* sensor noise, standard deviation */
#define WALKING_SHARE 0.7                /* ticks spent walking; the rest standing */

/* One participant's way of walking and of holding the phone. */
typedef struct gait {
    double cadence_hz;   /* steps per second */
    double vertical_g;   /* amplitude of the step bounce (y) */
    double forward_g;    /* amplitude of the forward surge (z) */
    double lateral_g;    /* amplitude of the sway (x), at half the cadence */
    double phase;        /* radians */
    double tilt_x_g;     /* gravity leaking into x and z: the phone is tilted */
    double tilt_z_g;
    double gravity_y_g;  /* -sqrt(1 - tilt_x^2 - tilt_z^2) */
} gait;

static double uniform(gen_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * gen_rng_unit(r);
}

static void gait_init(gait *g, uint64_t seed, int pi)
{
    gen_rng r;
    gen_rng_seed(&r, seed, (STREAM_ACCEL_GAIT << 40) ^ (uint64_t)pi);
    g->cadence_hz = uniform(&r, 1.6, 2.1);
    g->vertical_g = uniform(&r, 0.15, 0.35);
    g->forward_g = uniform(&r, 0.08, 0.20);
    g->lateral_g = uniform(&r, 0.05, 0.12);
    g->phase = uniform(&r, 0, 2 * M_PI);
    g->tilt_x_g = uniform(&r, -0.15, 0.15);
    g->tilt_z_g = uniform(&r, -0.15, 0.15);
    g->gravity_y_g = -sqrt(1 - g->tilt_x_g * g->tilt_x_g - g->tilt_z_g * g->tilt_z_g);
}

/* Floor division of µs into ms, so times before 1970 format correctly. */
static int64_t floor_ms(int64_t us)
{
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

/* "%.4f" without "-0.0000". Returns the length written (< 24). */
static int put_g(char *p, double v)
{
    if (fabs(v) < 0.00005)
        v = 0;
    return snprintf(p, 24, "%.4f", v);
}

/* Writes participant pi's file for one tick: o->rows samples. */
static int write_pid_file(const gen_options *o, int tick, int pi, const gait *g,
                          int64_t start, eddy_error *err)
{
    const char *pid = gen_accel_pids[pi];
    char name[64];
    snprintf(name, sizeof name, "accel_%s_%06d.csv", pid, tick);
    gen_file f;
    int rc = gen_file_open(&f, o->out_dir, name, err);
    if (rc < 0)
        return rc;
    gen_rng r;
    gen_rng_seed(&r, o->seed, (STREAM_ACCEL_TICK << 40) ^ ((uint64_t)tick << 8) ^ (uint64_t)pi);
    double activity = gen_rng_unit(&r) < WALKING_SHARE ? 1.0 : 0.08;
    gen_file_write(&f, "pid,time,x,y,z\n", 15);

    int64_t day_cache = INT64_MIN;
    char date_cache[10];
    size_t pid_len = strlen(pid);
    int64_t first = (int64_t)tick * o->rows;
    for (int k = 0; k < o->rows; k++) {
        int64_t i = first + k;
        double t = (double)i * (GEN_ACCEL_STEP_US / 1e6);
        double w = 2 * M_PI * g->cadence_hz * t + g->phase;
        double x = g->tilt_x_g + activity * g->lateral_g * sin(w / 2) + NOISE_G * gen_rng_normal(&r);
        double y = g->gravity_y_g + activity * g->vertical_g * sin(w) + NOISE_G * gen_rng_normal(&r);
        double z = g->tilt_z_g + activity * g->forward_g * cos(w) + NOISE_G * gen_rng_normal(&r);
        int64_t ts = start + i * GEN_ACCEL_STEP_US + (int64_t)gen_rng_below(&r, 5) * 1000;
        ts -= gen_lateness(&r, o);

        int64_t ms = floor_ms(ts);
        int64_t frac = ms % 1000;
        if (frac < 0)
            frac += 1000;
        char *p = gen_file_reserve(&f, MAX_LINE), *p0 = p;
        memcpy(p, pid, pid_len);
        p += pid_len;
        *p++ = ',';
        gen_format_second(ms * 1000, ' ', p, &day_cache, date_cache);
        p += 19;
        *p++ = '.';
        *p++ = (char)('0' + frac / 100);
        *p++ = (char)('0' + frac / 10 % 10);
        *p++ = (char)('0' + frac % 10);
        *p++ = ',';
        p += put_g(p, x);
        *p++ = ',';
        p += put_g(p, y);
        *p++ = ',';
        p += put_g(p, z);
        *p++ = '\n';
        f.len += (size_t)(p - p0);
    }
    return gen_file_commit(&f, err);
}

int gen_accel_run(const gen_options *o, eddy_error *err)
{
    if (o->pids < 1 || o->pids > GEN_ACCEL_NPIDS)
        return err_set(err, EDDY_USAGE, "gen accel: pids must be between 1 and %d, got %d",
                       GEN_ACCEL_NPIDS, o->pids);
    if (o->rows < 1)
        return err_set(err, EDDY_USAGE, "gen accel: rows must be at least 1, got %d", o->rows);
    if (o->ticks < 0)
        return err_set(err, EDDY_USAGE, "gen accel: ticks must not be negative");
    int rc = gen_mkdirs(o->out_dir, err);
    if (rc < 0)
        return rc;
    gait gaits[GEN_ACCEL_NPIDS];
    for (int pi = 0; pi < o->pids; pi++)
        gait_init(&gaits[pi], o->seed, pi);
    int64_t start = o->start_time_us ? o->start_time_us : now_us();
    start = floor_ms(start) * 1000;
    int64_t t0 = mono_us();
    for (int tick = 0; o->ticks == 0 || tick < o->ticks; tick++) {
        int files = 0;
        for (int pi = 0; pi < o->pids && !stop_requested(); pi++) {
            rc = write_pid_file(o, tick, pi, &gaits[pi], start, err);
            if (rc < 0)
                return rc;
            files++;
        }
        gen_sync_dir(o->out_dir);
        if (!o->quiet)
            fprintf(stderr, "gen accel: tick %d: %d files, %lld rows\n", tick, files,
                    (long long)files * o->rows);
        if (stop_requested() || (o->ticks && tick + 1 == o->ticks))
            break;
        int64_t wait = t0 + (int64_t)(tick + 1) * o->interval_us - mono_us();
        if (wait > 0 && stop_sleep(wait))
            break;
    }
    return 0;
}
