/* The user-events generator of seed 003: CSV files of (timestamp, user_id,
 * event) rows, one file per interval, timestamps as Python's
 * datetime.isoformat() writes them. */
#include "gen/gen.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/stop.h"
#include "core/timefmt.h"

static const char *const events[] = {"login", "logout", "purchase", "view"};

#define STREAM_EVENTS 0x6576656e7473ULL /* "events" */
#define MAX_LINE 64

/* "yyyy-MM-ddTHH:mm:ss[.ffffff]": the fraction only when non-zero, as in
 * Python. Returns the length (19 or 26). */
static int put_iso(int64_t us, char *p, int64_t *day_cache, char *date_cache)
{
    gen_format_second(us, 'T', p, day_cache, date_cache);
    int64_t frac = us % 1000000;
    if (frac < 0)
        frac += 1000000;
    if (frac == 0)
        return 19;
    p[19] = '.';
    for (int i = 25; i >= 20; i--) {
        p[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    return 26;
}

int gen_events_run(const gen_options *o, eddy_error *err)
{
    if (o->files < 0 || o->rows < 0)
        return err_set(err, EDDY_USAGE, "gen events: files and rows must not be negative");
    int rc = gen_mkdirs(o->out_dir, err);
    if (rc < 0)
        return rc;
    size_t ev_len[4];
    for (int i = 0; i < 4; i++)
        ev_len[i] = strlen(events[i]);
    int64_t start = o->start_time_us ? o->start_time_us : now_us();
    int64_t t0 = mono_us();
    int64_t last = INT64_MIN;
    int64_t day_cache = INT64_MIN;
    char date_cache[10];
    for (int i = 0; o->files == 0 || i < o->files; i++) {
        if (stop_requested())
            break;
        char name[64];
        snprintf(name, sizeof name, "event_batch_%d.csv", i);
        gen_file f;
        rc = gen_file_open(&f, o->out_dir, name, err);
        if (rc < 0)
            return rc;
        gen_rng r;
        gen_rng_seed(&r, o->seed, (STREAM_EVENTS << 16) ^ (uint64_t)i);
        gen_file_write(&f, "timestamp,user_id,event\n", 24);
        int64_t t = start + (int64_t)i * o->interval_us;
        if (t <= last)
            t = last + 1;
        for (int k = 0; k < o->rows; k++) {
            t += 1 + gen_rng_below(&r, 40);
            int64_t ts = t;
            ts -= gen_lateness(&r, o);
            unsigned user = 1 + gen_rng_below(&r, 5);
            unsigned ev = gen_rng_below(&r, 4);
            char *p = gen_file_reserve(&f, MAX_LINE), *p0 = p;
            p += put_iso(ts, p, &day_cache, date_cache);
            *p++ = ',';
            *p++ = (char)('0' + user);
            *p++ = ',';
            memcpy(p, events[ev], ev_len[ev]);
            p += ev_len[ev];
            *p++ = '\n';
            f.len += (size_t)(p - p0);
        }
        last = t;
        rc = gen_file_commit(&f, err);
        if (rc < 0)
            return rc;
        gen_sync_dir(o->out_dir);
        if (!o->quiet)
            fprintf(stderr, "gen events: file %d: %s, %d rows\n", i, name, o->rows);
        if (o->files && i + 1 == o->files)
            break;
        int64_t wait = t0 + (int64_t)(i + 1) * o->interval_us - mono_us();
        if (wait > 0 && stop_sleep(wait))
            break;
    }
    return 0;
}
