/* stddev / stddev_samp: the sample standard deviation as Spark's
 * CentralMomentAgg computes it (Welford's update, Chan et al.'s parallel
 * merge), NULL for fewer than two values (legacy statisticalAggregate off). */
#include "exec/agg.h"

#include <math.h>
#include <string.h>

typedef struct moments {
    double n;
    double mean;
    double m2; /* sum of squared deviations from the mean */
} moments;

static int stddev_resolve(type_id arg, type_id *ret)
{
    switch (arg) {
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DOUBLE:
    case TYPE_NULL: *ret = TYPE_DOUBLE; return 0;
    default: return -1;
    }
}

static size_t stddev_state_size(type_id arg)
{
    return sizeof(moments);
}

static void stddev_init(void *state, type_id arg)
{
    memset(state, 0, sizeof(moments));
}

static inline void welford(moments *m, double x)
{
    m->n += 1.0;
    double delta = x - m->mean;
    double delta_n = delta / m->n;
    m->mean += delta_n;
    m->m2 += delta * (delta - delta_n);
}

static void stddev_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                          type_id argt, arena *a)
{
    const uint8_t *valid = arg->valid;
    for (uint32_t i = 0; i < n; i++) {
        if (!valid[i])
            continue;
        moments *m = (moments *)(rows[i] + off);
        switch (argt) {
        case TYPE_INT: welford(m, (double)arg->data.i32[i]); break;
        case TYPE_BIGINT: welford(m, (double)arg->data.i64[i]); break;
        case TYPE_DOUBLE: welford(m, arg->data.f64[i]); break;
        default: break;
        }
    }
}

static void stddev_combine(void *dst, const void *src, type_id arg, arena *a)
{
    moments *d = dst;
    const moments *s = src;
    double n = d->n + s->n;
    double delta = s->mean - d->mean;
    double delta_n = n == 0.0 ? 0.0 : delta / n;
    d->m2 = d->m2 + s->m2 + delta * delta_n * d->n * s->n;
    d->mean += delta_n * s->n;
    d->n = n;
}

static void stddev_finalize(const void *state, type_id arg, column *out, uint32_t row)
{
    const moments *m = state;
    if (m->n < 2.0) {
        out->valid[row] = 0;
        out->data.f64[row] = 0.0;
        return;
    }
    out->valid[row] = 1;
    out->data.f64[row] = sqrt(m->m2 / (m->n - 1.0));
}

static void stddev_serialize(const void *state, type_id arg, agg_buf *out)
{
    const moments *m = state;
    agg_buf_put_f64(out, m->n);
    agg_buf_put_f64(out, m->mean);
    agg_buf_put_f64(out, m->m2);
}

static int stddev_deserialize(void *state, type_id arg, agg_reader *in, arena *a)
{
    moments *m = state;
    m->n = agg_read_f64(in);
    m->mean = agg_read_f64(in);
    m->m2 = agg_read_f64(in);
    return in->bad || !(m->n >= 0.0) ? -1 : 0;
}

const agg_func agg_stddev = {
    .name = "stddev",
    .resolve = stddev_resolve,
    .state_size = stddev_state_size,
    .init = stddev_init,
    .update = stddev_update,
    .combine = stddev_combine,
    .finalize = stddev_finalize,
    .serialize = stddev_serialize,
    .deserialize = stddev_deserialize,
};
