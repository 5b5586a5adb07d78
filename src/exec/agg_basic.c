/* The simple aggregates: count, sum, avg, min, max, first, last, with Spark's
 * result types and NULL rules (non-ANSI: sum of integers wraps on overflow). */
#include "exec/agg.h"

#include <math.h>
#include <string.h>

/* A string owned by a state: bytes in the aggregation's arena, reused in
 * place while the new value fits so a min/max/last that keeps changing
 * wastes at most half of what it holds. */
typedef struct sbuf {
    char *ptr;
    uint32_t len;
    uint32_t cap;
} sbuf;

typedef union payload {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    double f64;
    window_val w;
    sbuf s;
} payload;

/* min/max: has = a non-NULL value was seen (valid is then 1).
 * first/last: has = a row was seen; valid = that row's value was not NULL. */
typedef struct val_state {
    payload v;
    uint8_t has;
    uint8_t valid;
} val_state;

typedef struct sum_state {
    union {
        int64_t i;
        double d;
    } v;
    uint8_t has;
} sum_state;

typedef struct avg_state {
    double sum;
    int64_t n;
} avg_state;

#define STATE(T, rows, i, off) ((T *)((rows)[i] + (off)))

static void sbuf_set(sbuf *s, const char *p, uint32_t len, arena *a)
{
    if (len > s->cap || !s->ptr) {
        uint32_t cap = s->cap * 2 > len ? s->cap * 2 : len;
        s->ptr = arena_alloc(a, cap ? cap : 1);
        s->cap = cap;
    }
    if (len)
        memcpy(s->ptr, p, len);
    s->len = len;
}

static strv sbuf_view(const sbuf *s)
{
    strv v = {s->ptr ? s->ptr : "", s->len};
    return v;
}

/* Spark's ordering for doubles: NaN is above everything, -0.0 equals 0.0. */
static inline bool dbl_lt(double a, double b)
{
    if (isnan(a))
        return false;
    if (isnan(b))
        return true;
    return a < b;
}

static inline int str_cmp(const char *ap, uint32_t al, const char *bp, uint32_t bl)
{
    uint32_t n = al < bl ? al : bl;
    int c = n ? memcmp(ap, bp, n) : 0;
    return c ? c : (al > bl) - (al < bl);
}

static inline int win_cmp(window_val a, window_val b)
{
    if (a.start != b.start)
        return a.start < b.start ? -1 : 1;
    return (a.end > b.end) - (a.end < b.end);
}

/* Order of two non-NULL payloads of type t: <0, 0, >0. */
static int payload_cmp(const payload *a, const payload *b, type_id t)
{
    switch (t) {
    case TYPE_BOOLEAN: return (int)a->b - (int)b->b;
    case TYPE_INT:
    case TYPE_DATE: return (a->i32 > b->i32) - (a->i32 < b->i32);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return (a->i64 > b->i64) - (a->i64 < b->i64);
    case TYPE_DOUBLE: return dbl_lt(b->f64, a->f64) - dbl_lt(a->f64, b->f64);
    case TYPE_STRING: return str_cmp(a->s.ptr, a->s.len, b->s.ptr, b->s.len);
    case TYPE_WINDOW: return win_cmp(a->w, b->w);
    default: return 0;
    }
}

/* Copies row i of c (non-NULL) into p; strings into the state's buffer. */
static void payload_load(payload *p, const column *c, uint32_t i, type_id t, arena *a)
{
    switch (t) {
    case TYPE_BOOLEAN: p->b = c->data.b[i] != 0; break;
    case TYPE_INT:
    case TYPE_DATE: p->i32 = c->data.i32[i]; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: p->i64 = c->data.i64[i]; break;
    case TYPE_DOUBLE: p->f64 = c->data.f64[i]; break;
    case TYPE_STRING: sbuf_set(&p->s, c->data.s[i].ptr, c->data.s[i].len, a); break;
    case TYPE_WINDOW: p->w = c->data.w[i]; break;
    default: break;
    }
}

static void payload_copy(payload *dst, const payload *src, type_id t, arena *a)
{
    if (t == TYPE_STRING)
        sbuf_set(&dst->s, src->s.ptr, src->s.len, a);
    else
        *dst = *src;
}

static void payload_write(const payload *p, type_id t, column *out, uint32_t row)
{
    out->valid[row] = 1;
    switch (t) {
    case TYPE_BOOLEAN: out->data.b[row] = p->b; break;
    case TYPE_INT:
    case TYPE_DATE: out->data.i32[row] = p->i32; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: out->data.i64[row] = p->i64; break;
    case TYPE_DOUBLE: out->data.f64[row] = p->f64; break;
    case TYPE_STRING: out->data.s[row] = sbuf_view(&p->s); break;
    case TYPE_WINDOW: out->data.w[row] = p->w; break;
    default: out->valid[row] = 0; break;
    }
}

static void payload_serialize(const payload *p, type_id t, agg_buf *out)
{
    switch (t) {
    case TYPE_BOOLEAN: agg_buf_put_u8(out, p->b); break;
    case TYPE_INT:
    case TYPE_DATE: agg_buf_put_u32(out, (uint32_t)p->i32); break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: agg_buf_put_u64(out, (uint64_t)p->i64); break;
    case TYPE_DOUBLE: agg_buf_put_f64(out, p->f64); break;
    case TYPE_STRING: agg_buf_put_str(out, p->s.ptr ? p->s.ptr : "", p->s.len); break;
    case TYPE_WINDOW:
        agg_buf_put_u64(out, (uint64_t)p->w.start);
        agg_buf_put_u64(out, (uint64_t)p->w.end);
        break;
    default: break;
    }
}

static void payload_deserialize(payload *p, type_id t, agg_reader *in, arena *a)
{
    switch (t) {
    case TYPE_BOOLEAN: p->b = agg_read_u8(in) != 0; break;
    case TYPE_INT:
    case TYPE_DATE: p->i32 = (int32_t)agg_read_u32(in); break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: p->i64 = (int64_t)agg_read_u64(in); break;
    case TYPE_DOUBLE: p->f64 = agg_read_f64(in); break;
    case TYPE_STRING: {
        strv s = agg_read_str(in, a);
        p->s.ptr = (char *)s.ptr;
        p->s.len = p->s.cap = s.len;
        break;
    }
    case TYPE_WINDOW:
        p->w.start = (int64_t)agg_read_u64(in);
        p->w.end = (int64_t)agg_read_u64(in);
        break;
    default: break;
    }
}

/* ---- shared pieces ------------------------------------------------------ */

static size_t val_state_size(type_id arg)
{
    return sizeof(val_state);
}

static void val_state_init(void *state, type_id arg)
{
    memset(state, 0, sizeof(val_state));
}

static void val_state_finalize(const void *state, type_id arg, column *out, uint32_t row)
{
    const val_state *st = state;
    if (st->has && st->valid)
        payload_write(&st->v, arg, out, row);
    else
        out->valid[row] = 0;
}

static void val_state_serialize(const void *state, type_id arg, agg_buf *out)
{
    const val_state *st = state;
    agg_buf_put_u8(out, (uint8_t)(st->has | st->valid << 1));
    if (st->has && st->valid)
        payload_serialize(&st->v, arg, out);
}

static int val_state_deserialize(void *state, type_id arg, agg_reader *in, arena *a)
{
    val_state *st = state;
    memset(st, 0, sizeof *st);
    uint8_t flags = agg_read_u8(in);
    if (flags > 3)
        return -1;
    st->has = flags & 1;
    st->valid = (flags >> 1) & 1;
    if (st->has && st->valid)
        payload_deserialize(&st->v, arg, in, a);
    return in->bad ? -1 : 0;
}

static int resolve_same(type_id arg, type_id *ret)
{
    *ret = arg;
    return 0;
}

/* ---- count -------------------------------------------------------------- */

static int count_resolve(type_id arg, type_id *ret)
{
    *ret = TYPE_BIGINT;
    return 0;
}

static size_t i64_state_size(type_id arg)
{
    return sizeof(int64_t);
}

static void i64_state_init(void *state, type_id arg)
{
    *(int64_t *)state = 0;
}

static void count_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                         type_id argt, arena *a)
{
    if (!arg) {
        for (uint32_t i = 0; i < n; i++)
            (*STATE(int64_t, rows, i, off))++;
        return;
    }
    const uint8_t *valid = arg->valid;
    for (uint32_t i = 0; i < n; i++)
        *STATE(int64_t, rows, i, off) += valid[i] != 0;
}

static void count_combine(void *dst, const void *src, type_id arg, arena *a)
{
    *(int64_t *)dst += *(const int64_t *)src;
}

static void count_finalize(const void *state, type_id arg, column *out, uint32_t row)
{
    out->valid[row] = 1;
    out->data.i64[row] = *(const int64_t *)state;
}

static void i64_serialize(const void *state, type_id arg, agg_buf *out)
{
    agg_buf_put_u64(out, (uint64_t) * (const int64_t *)state);
}

static int i64_deserialize(void *state, type_id arg, agg_reader *in, arena *a)
{
    *(int64_t *)state = (int64_t)agg_read_u64(in);
    return in->bad ? -1 : 0;
}

const agg_func agg_count = {
    .name = "count",
    .resolve = count_resolve,
    .state_size = i64_state_size,
    .init = i64_state_init,
    .update = count_update,
    .combine = count_combine,
    .finalize = count_finalize,
    .serialize = i64_serialize,
    .deserialize = i64_deserialize,
};

/* ---- sum ---------------------------------------------------------------- */

static int sum_resolve(type_id arg, type_id *ret)
{
    switch (arg) {
    case TYPE_INT:
    case TYPE_BIGINT: *ret = TYPE_BIGINT; return 0;
    case TYPE_DOUBLE:
    case TYPE_NULL: *ret = TYPE_DOUBLE; return 0;
    default: return -1;
    }
}

static size_t sum_state_size(type_id arg)
{
    return sizeof(sum_state);
}

static void sum_init(void *state, type_id arg)
{
    memset(state, 0, sizeof(sum_state));
}

static void sum_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                       type_id argt, arena *a)
{
    const uint8_t *valid = arg->valid;
    switch (argt) {
    case TYPE_INT:
        for (uint32_t i = 0; i < n; i++) {
            if (valid[i]) {
                sum_state *st = STATE(sum_state, rows, i, off);
                st->v.i = (int64_t)((uint64_t)st->v.i + (uint64_t)(int64_t)arg->data.i32[i]);
                st->has = 1;
            }
        }
        break;
    case TYPE_BIGINT:
        for (uint32_t i = 0; i < n; i++) {
            if (valid[i]) {
                sum_state *st = STATE(sum_state, rows, i, off);
                st->v.i = (int64_t)((uint64_t)st->v.i + (uint64_t)arg->data.i64[i]);
                st->has = 1;
            }
        }
        break;
    case TYPE_DOUBLE:
        for (uint32_t i = 0; i < n; i++) {
            if (valid[i]) {
                sum_state *st = STATE(sum_state, rows, i, off);
                st->v.d += arg->data.f64[i];
                st->has = 1;
            }
        }
        break;
    default: break;
    }
}

static void sum_combine(void *dst, const void *src, type_id arg, arena *a)
{
    sum_state *d = dst;
    const sum_state *s = src;
    if (!s->has)
        return;
    if (arg == TYPE_DOUBLE || arg == TYPE_NULL)
        d->v.d = d->has ? d->v.d + s->v.d : s->v.d;
    else
        d->v.i = (int64_t)((uint64_t)d->v.i + (uint64_t)s->v.i);
    d->has = 1;
}

static void sum_finalize(const void *state, type_id arg, column *out, uint32_t row)
{
    const sum_state *st = state;
    out->valid[row] = st->has;
    if (out->type == TYPE_DOUBLE)
        out->data.f64[row] = st->has ? st->v.d : 0.0;
    else
        out->data.i64[row] = st->has ? st->v.i : 0;
}

static void sum_serialize(const void *state, type_id arg, agg_buf *out)
{
    const sum_state *st = state;
    agg_buf_put_u8(out, st->has);
    agg_buf_put_u64(out, (uint64_t)st->v.i);
}

static int sum_deserialize(void *state, type_id arg, agg_reader *in, arena *a)
{
    sum_state *st = state;
    memset(st, 0, sizeof *st);
    st->has = agg_read_u8(in);
    st->v.i = (int64_t)agg_read_u64(in);
    return in->bad || st->has > 1 ? -1 : 0;
}

const agg_func agg_sum = {
    .name = "sum",
    .resolve = sum_resolve,
    .state_size = sum_state_size,
    .init = sum_init,
    .update = sum_update,
    .combine = sum_combine,
    .finalize = sum_finalize,
    .serialize = sum_serialize,
    .deserialize = sum_deserialize,
};

/* ---- avg (Spark's Average: a double sum and a bigint count) -------------- */

static int double_resolve(type_id arg, type_id *ret)
{
    switch (arg) {
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DOUBLE:
    case TYPE_NULL: *ret = TYPE_DOUBLE; return 0;
    default: return -1;
    }
}

static size_t avg_state_size(type_id arg)
{
    return sizeof(avg_state);
}

static void avg_init(void *state, type_id arg)
{
    memset(state, 0, sizeof(avg_state));
}

static void avg_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                       type_id argt, arena *a)
{
    const uint8_t *valid = arg->valid;
    for (uint32_t i = 0; i < n; i++) {
        if (!valid[i])
            continue;
        avg_state *st = STATE(avg_state, rows, i, off);
        switch (argt) {
        case TYPE_INT: st->sum += (double)arg->data.i32[i]; break;
        case TYPE_BIGINT: st->sum += (double)arg->data.i64[i]; break;
        case TYPE_DOUBLE: st->sum += arg->data.f64[i]; break;
        default: continue;
        }
        st->n++;
    }
}

static void avg_combine(void *dst, const void *src, type_id arg, arena *a)
{
    avg_state *d = dst;
    const avg_state *s = src;
    d->sum += s->sum;
    d->n += s->n;
}

static void avg_finalize(const void *state, type_id arg, column *out, uint32_t row)
{
    const avg_state *st = state;
    out->valid[row] = st->n > 0;
    out->data.f64[row] = st->n > 0 ? st->sum / (double)st->n : 0.0;
}

static void avg_serialize(const void *state, type_id arg, agg_buf *out)
{
    const avg_state *st = state;
    agg_buf_put_f64(out, st->sum);
    agg_buf_put_u64(out, (uint64_t)st->n);
}

static int avg_deserialize(void *state, type_id arg, agg_reader *in, arena *a)
{
    avg_state *st = state;
    st->sum = agg_read_f64(in);
    st->n = (int64_t)agg_read_u64(in);
    return in->bad || st->n < 0 ? -1 : 0;
}

const agg_func agg_avg = {
    .name = "avg",
    .resolve = double_resolve,
    .state_size = avg_state_size,
    .init = avg_init,
    .update = avg_update,
    .combine = avg_combine,
    .finalize = avg_finalize,
    .serialize = avg_serialize,
    .deserialize = avg_deserialize,
};

/* ---- min / max ------------------------------------------------------------ */

/* One typed loop per storage type; BETTER(x, cur) says x replaces cur. */
#define MINMAX_LOOP(FIELD, BETTER)                                              \
    for (uint32_t i = 0; i < n; i++) {                                          \
        if (!valid[i])                                                          \
            continue;                                                           \
        val_state *st = STATE(val_state, rows, i, off);                         \
        if (!st->has || BETTER(arg->data.FIELD[i], st->v.FIELD)) {              \
            st->v.FIELD = arg->data.FIELD[i];                                   \
            st->has = st->valid = 1;                                            \
        }                                                                       \
    }

#define LT(x, y) ((x) < (y))
#define GT(x, y) ((x) > (y))
#define DLT(x, y) dbl_lt((x), (y))
#define DGT(x, y) dbl_lt((y), (x))

static void minmax_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                          type_id argt, arena *a, int sign)
{
    const uint8_t *valid = arg->valid;
    switch (argt) {
    case TYPE_BOOLEAN:
        for (uint32_t i = 0; i < n; i++) {
            if (!valid[i])
                continue;
            val_state *st = STATE(val_state, rows, i, off);
            uint8_t x = arg->data.b[i] != 0;
            if (!st->has || ((int)x - (int)st->v.b) * sign > 0) {
                st->v.b = x;
                st->has = st->valid = 1;
            }
        }
        break;
    case TYPE_INT:
    case TYPE_DATE:
        if (sign < 0) {
            MINMAX_LOOP(i32, LT)
        } else {
            MINMAX_LOOP(i32, GT)
        }
        break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        if (sign < 0) {
            MINMAX_LOOP(i64, LT)
        } else {
            MINMAX_LOOP(i64, GT)
        }
        break;
    case TYPE_DOUBLE:
        if (sign < 0) {
            MINMAX_LOOP(f64, DLT)
        } else {
            MINMAX_LOOP(f64, DGT)
        }
        break;
    case TYPE_STRING:
        for (uint32_t i = 0; i < n; i++) {
            if (!valid[i])
                continue;
            val_state *st = STATE(val_state, rows, i, off);
            strv x = arg->data.s[i];
            if (!st->has || str_cmp(x.ptr, x.len, st->v.s.ptr, st->v.s.len) * sign > 0) {
                sbuf_set(&st->v.s, x.ptr, x.len, a);
                st->has = st->valid = 1;
            }
        }
        break;
    case TYPE_WINDOW:
        for (uint32_t i = 0; i < n; i++) {
            if (!valid[i])
                continue;
            val_state *st = STATE(val_state, rows, i, off);
            if (!st->has || win_cmp(arg->data.w[i], st->v.w) * sign > 0) {
                st->v.w = arg->data.w[i];
                st->has = st->valid = 1;
            }
        }
        break;
    default: break;
    }
}

static void min_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                       type_id argt, arena *a)
{
    minmax_update(rows, off, arg, n, argt, a, -1);
}

static void max_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                       type_id argt, arena *a)
{
    minmax_update(rows, off, arg, n, argt, a, 1);
}

static void minmax_combine(void *dst, const void *src, type_id arg, arena *a, int sign)
{
    val_state *d = dst;
    const val_state *s = src;
    if (s->has && (!d->has || payload_cmp(&s->v, &d->v, arg) * sign > 0)) {
        payload_copy(&d->v, &s->v, arg, a);
        d->has = d->valid = 1;
    }
}

static void min_combine(void *dst, const void *src, type_id arg, arena *a)
{
    minmax_combine(dst, src, arg, a, -1);
}

static void max_combine(void *dst, const void *src, type_id arg, arena *a)
{
    minmax_combine(dst, src, arg, a, 1);
}

const agg_func agg_min = {
    .name = "min",
    .resolve = resolve_same,
    .state_size = val_state_size,
    .init = val_state_init,
    .update = min_update,
    .combine = min_combine,
    .finalize = val_state_finalize,
    .serialize = val_state_serialize,
    .deserialize = val_state_deserialize,
};

const agg_func agg_max = {
    .name = "max",
    .resolve = resolve_same,
    .state_size = val_state_size,
    .init = val_state_init,
    .update = max_update,
    .combine = max_combine,
    .finalize = val_state_finalize,
    .serialize = val_state_serialize,
    .deserialize = val_state_deserialize,
};

/* ---- first / last (ignoreNulls = false) ----------------------------------- */

static void first_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                         type_id argt, arena *a)
{
    for (uint32_t i = 0; i < n; i++) {
        val_state *st = STATE(val_state, rows, i, off);
        if (st->has)
            continue;
        st->has = 1;
        st->valid = arg->valid[i] != 0;
        if (st->valid)
            payload_load(&st->v, arg, i, argt, a);
    }
}

static void last_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                        type_id argt, arena *a)
{
    for (uint32_t i = 0; i < n; i++) {
        val_state *st = STATE(val_state, rows, i, off);
        st->has = 1;
        st->valid = arg->valid[i] != 0;
        if (st->valid)
            payload_load(&st->v, arg, i, argt, a);
    }
}

static void take_state(val_state *d, const val_state *s, type_id arg, arena *a)
{
    d->has = 1;
    d->valid = s->valid;
    if (s->valid)
        payload_copy(&d->v, &s->v, arg, a);
}

static void first_combine(void *dst, const void *src, type_id arg, arena *a)
{
    val_state *d = dst;
    const val_state *s = src;
    if (!d->has && s->has)
        take_state(d, s, arg, a);
}

static void last_combine(void *dst, const void *src, type_id arg, arena *a)
{
    const val_state *s = src;
    if (s->has)
        take_state(dst, s, arg, a);
}

const agg_func agg_first = {
    .name = "first",
    .resolve = resolve_same,
    .state_size = val_state_size,
    .init = val_state_init,
    .update = first_update,
    .combine = first_combine,
    .finalize = val_state_finalize,
    .serialize = val_state_serialize,
    .deserialize = val_state_deserialize,
};

const agg_func agg_last = {
    .name = "last",
    .resolve = resolve_same,
    .state_size = val_state_size,
    .init = val_state_init,
    .update = last_update,
    .combine = last_combine,
    .finalize = val_state_finalize,
    .serialize = val_state_serialize,
    .deserialize = val_state_deserialize,
};
