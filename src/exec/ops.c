/* Filter, project, sort and partition ordering over column batches. */
#include "exec/ops.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "exec/expr_eval.h"

/* Rows idx[0..n) of src into rows [0, n) of dst (which has room). Copies
 * by the element type, so that the compiler moves each cell with one or two
 * loads and stores rather than a memcpy call. */
void column_gather(column *dst, const column *src, const uint32_t *idx, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        dst->valid[i] = src->valid[idx[i]];
    switch (src->type) {
    case TYPE_STRING:
        for (uint32_t i = 0; i < n; i++)
            dst->data.s[i] = src->data.s[idx[i]];
        break;
    case TYPE_WINDOW:
        for (uint32_t i = 0; i < n; i++)
            dst->data.w[i] = src->data.w[idx[i]];
        break;
    default:
        switch (type_width(src->type)) {
        case 1:
            for (uint32_t i = 0; i < n; i++)
                dst->data.b[i] = src->data.b[idx[i]];
            break;
        case 4:
            for (uint32_t i = 0; i < n; i++)
                dst->data.i32[i] = src->data.i32[idx[i]];
            break;
        default: /* 8: BIGINT, DOUBLE, TIMESTAMP */
            for (uint32_t i = 0; i < n; i++)
                dst->data.i64[i] = src->data.i64[idx[i]];
            break;
        }
        break;
    }
}

batch *batch_gather(const batch *in, const uint32_t *idx, uint32_t n)
{
    type_id types[256] = {TYPE_NULL};
    type_id *t = in->ncols <= 256 ? types : xmalloc(in->ncols * sizeof(type_id));
    for (uint32_t c = 0; c < in->ncols; c++)
        t[c] = in->cols[c].type;
    batch *out = batch_new(in->ncols, t, n ? n : 1);
    if (t != types)
        free(t);
    for (uint32_t c = 0; c < in->ncols; c++)
        column_gather(&out->cols[c], &in->cols[c], idx, n);
    out->nrows = n;
    return out;
}

int op_filter(const expr *pred, batch *in, func_ctx *ctx, batch **out, eddy_error *err)
{
    uint32_t *sel = xmalloc((in->nrows ? in->nrows : 1) * sizeof(uint32_t));
    uint32_t nsel = 0;
    int rc = expr_eval_filter(pred, in, ctx, sel, &nsel, err);
    if (rc == 0)
        *out = nsel == in->nrows ? in : batch_gather(in, sel, nsel);
    free(sel);
    return rc;
}

int op_project(expr *const *exprs, int n, batch *in, func_ctx *ctx, batch **out,
               eddy_error *err)
{
    batch *b = xcalloc(1, sizeof *b);
    b->ncols = (uint32_t)n;
    b->cols = xcalloc((size_t)(n ? n : 1), sizeof(column));
    b->arena = arena_new(0);
    b->nrows = in->nrows;
    func_ctx local = *ctx;
    local.arena = b->arena;
    for (int i = 0; i < n; i++) {
        int rc = expr_eval(exprs[i], in, &local, &b->cols[i], err);
        if (rc) {
            for (int k = i; k < n; k++) {
                b->cols[k].type = TYPE_NULL;
                b->cols[k].valid = NULL;
                b->cols[k].data.raw = NULL;
            }
            batch_free(b);
            return rc;
        }
    }
    *out = b;
    return 0;
}

typedef struct sort_ctx {
    column *keys;
    int nkeys;
    const bool *desc;
    const bool *nulls_first;
} sort_ctx;

static int sort_cmp(const void *a, const void *b, void *arg)
{
    const sort_ctx *s = arg;
    uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;
    for (int k = 0; k < s->nkeys; k++) {
        value x = column_get(&s->keys[k], i), y = column_get(&s->keys[k], j);
        int c;
        if (x.is_null || y.is_null) {
            if (x.is_null && y.is_null)
                continue;
            c = x.is_null ? -1 : 1;
            if (!s->nulls_first[k])
                c = -c;
            return c;
        }
        c = value_compare(&x, &y);
        if (c)
            return s->desc[k] ? -c : c;
    }
    return i < j ? -1 : i > j; /* stable */
}

int op_sort(expr *const *keys, const bool *desc, const bool *nulls_first, int nkeys, batch *in,
            func_ctx *ctx, batch **out, eddy_error *err)
{
    sort_ctx s = {xcalloc((size_t)(nkeys ? nkeys : 1), sizeof(column)), nkeys, desc,
                  nulls_first};
    arena *scratch = arena_new(0);
    func_ctx local = *ctx;
    local.arena = scratch;
    int rc = 0;
    int evaluated = 0;
    for (; evaluated < nkeys; evaluated++)
        if ((rc = expr_eval(keys[evaluated], in, &local, &s.keys[evaluated], err)) != 0)
            break;
    if (rc == 0) {
        uint32_t *idx = xmalloc((in->nrows ? in->nrows : 1) * sizeof(uint32_t));
        for (uint32_t i = 0; i < in->nrows; i++)
            idx[i] = i;
        qsort_r(idx, in->nrows, sizeof(uint32_t), sort_cmp, &s);
        *out = batch_gather(in, idx, in->nrows);
        free(idx);
    }
    for (int k = 0; k < evaluated; k++)
        column_free(&s.keys[k]);
    free(s.keys);
    arena_free(scratch);
    return rc;
}

/* Spark's Murmur3_x86_32 (org.apache.spark.unsafe.hash). */
static uint32_t rotl32(uint32_t x, int r)
{
    return (x << r) | (x >> (32 - r));
}

static uint32_t mix_k1(uint32_t k1)
{
    k1 *= 0xcc9e2d51u;
    k1 = rotl32(k1, 15);
    return k1 * 0x1b873593u;
}

static uint32_t mix_h1(uint32_t h1, uint32_t k1)
{
    h1 ^= k1;
    h1 = rotl32(h1, 13);
    return h1 * 5 + 0xe6546b64u;
}

static uint32_t fmix(uint32_t h1, uint32_t len)
{
    h1 ^= len;
    h1 ^= h1 >> 16;
    h1 *= 0x85ebca6bu;
    h1 ^= h1 >> 13;
    h1 *= 0xc2b2ae35u;
    h1 ^= h1 >> 16;
    return h1;
}

static uint32_t hash_int(uint32_t v, uint32_t seed)
{
    return fmix(mix_h1(seed, mix_k1(v)), 4);
}

static uint32_t hash_long(uint64_t v, uint32_t seed)
{
    uint32_t h1 = mix_h1(seed, mix_k1((uint32_t)v));
    h1 = mix_h1(h1, mix_k1((uint32_t)(v >> 32)));
    return fmix(h1, 8);
}

/* hashUnsafeBytes: 4-byte little-endian words, then each remaining byte as
 * a sign-extended int (Spark's variant, not the reference tail handling). */
static uint32_t hash_bytes(const char *p, uint32_t len, uint32_t seed)
{
    uint32_t aligned = len - len % 4, h1 = seed;
    for (uint32_t i = 0; i < aligned; i += 4) {
        uint32_t w;
        memcpy(&w, p + i, 4);
        h1 = mix_h1(h1, mix_k1(w));
    }
    for (uint32_t i = aligned; i < len; i++)
        h1 = mix_h1(h1, mix_k1((uint32_t)(int32_t)(signed char)p[i]));
    return fmix(h1, len);
}

static uint32_t hash_value(const column *c, uint32_t i, uint32_t seed)
{
    if (!c->valid[i])
        return seed;
    switch (c->type) {
    case TYPE_BOOLEAN: return hash_int(c->data.b[i] ? 1 : 0, seed);
    case TYPE_INT:
    case TYPE_DATE: return hash_int((uint32_t)c->data.i32[i], seed);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return hash_long((uint64_t)c->data.i64[i], seed);
    case TYPE_DOUBLE: {
        double d = c->data.f64[i];
        if (d == 0.0)
            d = 0.0; /* Spark normalises -0.0 */
        uint64_t bits;
        memcpy(&bits, &d, 8);
        return hash_long(bits, seed);
    }
    case TYPE_STRING: return hash_bytes(c->data.s[i].ptr, c->data.s[i].len, seed);
    case TYPE_WINDOW:
        seed = hash_long((uint64_t)c->data.w[i].start, seed);
        return hash_long((uint64_t)c->data.w[i].end, seed);
    default: return seed;
    }
}

int32_t spark_row_hash(const batch *b, int nkeys, uint32_t i)
{
    uint32_t h = 42;
    for (int k = 0; k < nkeys; k++)
        h = hash_value(&b->cols[k], i, h);
    return (int32_t)h;
}

batch *op_partition_order(batch *in, int nkeys, int partitions)
{
    uint32_t n = in->nrows;
    uint32_t *part = xmalloc((n ? n : 1) * sizeof(uint32_t));
    uint32_t *count = xcalloc((size_t)partitions + 1, sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++) {
        int32_t h = nkeys ? spark_row_hash(in, nkeys, i) : 0;
        int32_t p = h % partitions;
        if (p < 0)
            p += partitions;
        part[i] = (uint32_t)p;
        count[p + 1]++;
    }
    for (int p = 0; p < partitions; p++)
        count[p + 1] += count[p];
    uint32_t *idx = xmalloc((n ? n : 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < n; i++)
        idx[count[part[i]]++] = i;
    batch *out = batch_gather(in, idx, n);
    free(idx);
    free(count);
    free(part);
    return out;
}
