/* The rate source: `rowsPerSecond` rows per second with columns
 * timestamp TIMESTAMP and value BIGINT, as Spark's RateStreamProvider (value
 * counts from 0; row v's timestamp is start + v / rowsPerSecond seconds). */
#include <stdio.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/timefmt.h"
#include "io/source.h"

typedef struct rate_source {
    int64_t rows_per_second;
    int64_t start_us;
    int64_t planned; /* rows reserved so far */
    int64_t max_rows_available_now; /* availableNow: rows due at open, -1 otherwise */
    char describe[96];
} rate_source;

static const char *const rate_options[] = {"format", "rowsPerSecond", "rampUpTime",
                                           "numPartitions", NULL};

static void rate_schema(schema *out)
{
    schema_init(out);
    schema_add(out, "timestamp", TYPE_TIMESTAMP);
    schema_add(out, "value", TYPE_BIGINT);
}

static int rate_open(const source_open_args *a, void **state, eddy_error *err)
{
    int64_t rps;
    int rc = options_int(a->opts, "rowsPerSecond", 1, &rps, err);
    if (rc)
        return rc;
    if (rps <= 0)
        return err_set(err, EDDY_SQL, "option 'rowsPerSecond': must be positive, got %lld",
                       (long long)rps);
    rate_source *r = xcalloc(1, sizeof *r);
    r->rows_per_second = rps;
    r->start_us = now_us();
    r->max_rows_available_now = a->available_now ? 0 : -1;
    snprintf(r->describe, sizeof r->describe, "RateStreamV2[rowsPerSecond=%lld]",
             (long long)rps);
    *state = r;
    return 0;
}

static int rate_plan_batch(void *state, int64_t batch_id, json_t **offset, bool *has_data,
                           eddy_error *err)
{
    rate_source *r = state;
    int64_t due = (now_us() - r->start_us) * r->rows_per_second / 1000000;
    if (r->max_rows_available_now >= 0)
        due = r->max_rows_available_now;
    *offset = NULL;
    *has_data = due > r->planned;
    if (!*has_data)
        return 0;
    *offset = json_pack("{s:I, s:I, s:I}", "start", (json_int_t)r->planned, "end",
                        (json_int_t)due, "startUs", (json_int_t)r->start_us);
    r->planned = due;
    return 0;
}

static int rate_read_batch(void *state, int64_t batch_id, const json_t *offset,
                           source_read_ctx *rc, source_metrics *m, eddy_error *err)
{
    rate_source *r = state;
    int64_t from = json_integer_value(json_object_get(offset, "start"));
    int64_t to = json_integer_value(json_object_get(offset, "end"));
    static const type_id types[2] = {TYPE_TIMESTAMP, TYPE_BIGINT};
    while (from < to) {
        uint32_t n = (uint32_t)(to - from < BATCH_MAX_ROWS ? to - from : BATCH_MAX_ROWS);
        batch *b = batch_new(2, types, n);
        for (uint32_t i = 0; i < n; i++) {
            int64_t v = from + i;
            b->cols[0].valid[i] = 1;
            b->cols[0].data.i64[i] = r->start_us + v * 1000000 / r->rows_per_second;
            b->cols[1].valid[i] = 1;
            b->cols[1].data.i64[i] = v;
        }
        b->nrows = n;
        from += n;
        m->rows += n;
        int ret = rc->emit(rc->emit_ctx, b, err);
        if (ret)
            return ret;
    }
    return 0;
}

static int rate_commit(void *state, int64_t batch_id, eddy_error *err)
{
    return 0;
}

/* Continues after the last batch that had rows, with the start time of the
 * first run, so values and timestamps go on as if the query never stopped
 * (the rows due meanwhile come at once, as in Spark). */
static int rate_recover(void *state, const char *dir, int64_t last_planned,
                        source_offset_fn offset_of, void *ctx, eddy_error *err)
{
    rate_source *r = state;
    (void)dir;
    for (int64_t k = last_planned; k >= 0; k--) {
        json_t *off = offset_of(ctx, k, err);
        if (!off)
            return err ? -err->code : -EDDY_CORRUPT;
        bool found = json_is_object(off);
        if (found) {
            r->planned = json_integer_value(json_object_get(off, "end"));
            json_t *st = json_object_get(off, "startUs");
            if (json_is_integer(st))
                r->start_us = json_integer_value(st);
        }
        json_decref(off);
        if (found)
            break;
    }
    return 0;
}

static const char *rate_describe(void *state)
{
    return ((rate_source *)state)->describe;
}

static void rate_close(void *state)
{
    free(state);
}

const source_ops source_rate = {
    .name = "rate",
    .options = rate_options,
    .fixed_schema = rate_schema,
    .open = rate_open,
    .plan_batch = rate_plan_batch,
    .read_batch = rate_read_batch,
    .commit = rate_commit,
    .recover = rate_recover,
    .describe = rate_describe,
    .close = rate_close,
};
