/* Key cells: one grouping-key value as hash_agg and session_agg store it,
 * with Spark's grouping rules for hashing and equality (NULL equals NULL,
 * -0.0 equals 0.0, all NaNs are one key) and the copying, serialising and
 * output of cells. Private to src/exec (static inline: the hash and
 * equality run once per input row on the aggregation's hot path). */
#ifndef EXEC_KEY_CELL_H
#define EXEC_KEY_CELL_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* The including file defines XXH_INLINE_ALL first, as the other XXH3 users
 * in src/exec do. */
#include <xxhash.h>

#include "core/arena.h"
#include "core/types.h"
#include "exec/agg.h"

/* Mixed into a row's hash for a NULL key. */
#define NULL_KEY_MARK UINT64_C(0x9e3779b97f4a7c15)

/* Cell storage, the same as a column's per-row storage. */
typedef union cell {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    double f64;
    strv s;
    window_val w;
} cell;

static inline uint64_t norm_double_bits(double d)
{
    uint64_t bits;
    if (d == 0.0)
        d = 0.0;
    if (isnan(d))
        return UINT64_C(0x7ff8000000000000);
    memcpy(&bits, &d, 8);
    return bits;
}

static inline uint64_t hash_u64(uint64_t v, uint64_t seed)
{
    return XXH3_64bits_withSeed(&v, sizeof v, seed);
}

/* Cells are read through their own type's pointer: a key or argument
 * column's storage is only aligned for that type. */
#define AS(T, p) (*(const T *)(p))

static inline uint64_t cell_hash(type_id t, const void *p, uint64_t seed)
{
    if (!p)
        return hash_u64(NULL_KEY_MARK, seed + 1);
    switch (t) {
    case TYPE_BOOLEAN: return hash_u64(AS(uint8_t, p) != 0, seed);
    case TYPE_INT:
    case TYPE_DATE: return hash_u64((uint64_t)(int64_t)AS(int32_t, p), seed);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return hash_u64((uint64_t)AS(int64_t, p), seed);
    case TYPE_DOUBLE: return hash_u64(norm_double_bits(AS(double, p)), seed);
    case TYPE_STRING: return XXH3_64bits_withSeed(AS(strv, p).ptr, AS(strv, p).len, seed);
    case TYPE_WINDOW: return XXH3_64bits_withSeed(p, sizeof(window_val), seed);
    default: return hash_u64(0, seed);
    }
}

static inline bool cell_eq(type_id t, const void *a, const void *b)
{
    switch (t) {
    case TYPE_BOOLEAN: return (AS(uint8_t, a) != 0) == (AS(uint8_t, b) != 0);
    case TYPE_INT:
    case TYPE_DATE: return AS(int32_t, a) == AS(int32_t, b);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return AS(int64_t, a) == AS(int64_t, b);
    case TYPE_DOUBLE: return norm_double_bits(AS(double, a)) == norm_double_bits(AS(double, b));
    case TYPE_STRING: {
        strv x = AS(strv, a), y = AS(strv, b);
        return x.len == y.len && (x.len == 0 || memcmp(x.ptr, y.ptr, x.len) == 0);
    }
    case TYPE_WINDOW:
        return AS(window_val, a).start == AS(window_val, b).start &&
               AS(window_val, a).end == AS(window_val, b).end;
    default: return true;
    }
}

/* Copies a cell into storage owned by `a` (strings interned, doubles
 * normalised). */
static inline void cell_store(type_id t, cell *dst, const void *src, arena *a)
{
    switch (t) {
    case TYPE_BOOLEAN: dst->b = AS(uint8_t, src) != 0; return;
    case TYPE_INT:
    case TYPE_DATE: dst->i32 = AS(int32_t, src); return;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: dst->i64 = AS(int64_t, src); return;
    case TYPE_DOUBLE: {
        uint64_t bits = norm_double_bits(AS(double, src));
        memcpy(&dst->f64, &bits, 8);
        return;
    }
    case TYPE_STRING: {
        strv s = AS(strv, src);
        char *p = arena_alloc(a, s.len ? s.len : 1);
        if (s.len)
            memcpy(p, s.ptr, s.len);
        dst->s.ptr = p;
        dst->s.len = s.len;
        return;
    }
    case TYPE_WINDOW: dst->w = AS(window_val, src); return;
    default: return;
    }
}

static inline void cell_serialize(type_id t, const cell *c, agg_buf *out)
{
    switch (t) {
    case TYPE_BOOLEAN: agg_buf_put_u8(out, c->b); break;
    case TYPE_INT:
    case TYPE_DATE: agg_buf_put_u32(out, (uint32_t)c->i32); break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: agg_buf_put_u64(out, (uint64_t)c->i64); break;
    case TYPE_DOUBLE: agg_buf_put_f64(out, c->f64); break;
    case TYPE_STRING: agg_buf_put_str(out, c->s.ptr, c->s.len); break;
    case TYPE_WINDOW:
        agg_buf_put_u64(out, (uint64_t)c->w.start);
        agg_buf_put_u64(out, (uint64_t)c->w.end);
        break;
    default: break;
    }
}

/* Reads a cell; string bytes stay in the input buffer (callers copy). */
static inline void cell_deserialize(type_id t, cell *c, agg_reader *in)
{
    memset(c, 0, sizeof *c);
    switch (t) {
    case TYPE_BOOLEAN: c->b = agg_read_u8(in) != 0; break;
    case TYPE_INT:
    case TYPE_DATE: c->i32 = (int32_t)agg_read_u32(in); break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: c->i64 = (int64_t)agg_read_u64(in); break;
    case TYPE_DOUBLE: c->f64 = agg_read_f64(in); break;
    case TYPE_STRING: {
        uint32_t len = agg_read_u32(in);
        if (in->bad || (size_t)(in->end - in->p) < len) {
            in->bad = true;
            break;
        }
        c->s.ptr = (const char *)in->p;
        c->s.len = len;
        in->p += len;
        break;
    }
    case TYPE_WINDOW:
        c->w.start = (int64_t)agg_read_u64(in);
        c->w.end = (int64_t)agg_read_u64(in);
        break;
    default: break;
    }
}

static inline void cell_to_column(type_id t, const cell *c, column *out, uint32_t row, arena *a)
{
    out->valid[row] = 1;
    switch (t) {
    case TYPE_BOOLEAN: out->data.b[row] = c->b; break;
    case TYPE_INT:
    case TYPE_DATE: out->data.i32[row] = c->i32; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: out->data.i64[row] = c->i64; break;
    case TYPE_DOUBLE: out->data.f64[row] = c->f64; break;
    case TYPE_STRING:
        out->data.s[row].ptr = arena_strndup(a, c->s.ptr ? c->s.ptr : "", c->s.len);
        out->data.s[row].len = c->s.len;
        break;
    case TYPE_WINDOW: out->data.w[row] = c->w; break;
    default: out->valid[row] = 0; break;
    }
}

static inline value cell_to_value(type_id t, const cell *c, bool present)
{
    value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.is_null = !present;
    if (!present)
        return v;
    switch (t) {
    case TYPE_BOOLEAN: v.v.b = c->b != 0; break;
    case TYPE_INT:
    case TYPE_DATE: v.v.i32 = c->i32; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: v.v.i64 = c->i64; break;
    case TYPE_DOUBLE: v.v.f64 = c->f64; break;
    case TYPE_STRING: v.v.s = c->s; break;
    case TYPE_WINDOW: v.v.w = c->w; break;
    default: v.is_null = true; break;
    }
    return v;
}

/* hashes[i] = hash of key column c at row i, chained from hashes[i] as seed
 * unless first: the same chain cell_hash gives over stored cells. One loop
 * per storage type. */
static inline void hash_key_column(const column *c, type_id t, uint32_t n, uint64_t *hs, bool first)
{
    const uint8_t *valid = c->valid;
#define HASH_LOOP(EXPR)                                                    \
    for (uint32_t i = 0; i < n; i++) {                                     \
        uint64_t seed = first ? 0 : hs[i];                                 \
        hs[i] = valid[i] ? (EXPR) : cell_hash(t, NULL, seed);              \
    }
    switch (t) {
    case TYPE_BOOLEAN: HASH_LOOP(hash_u64(c->data.b[i] != 0, seed)) break;
    case TYPE_INT:
    case TYPE_DATE: HASH_LOOP(hash_u64((uint64_t)(int64_t)c->data.i32[i], seed)) break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: HASH_LOOP(hash_u64((uint64_t)c->data.i64[i], seed)) break;
    case TYPE_DOUBLE: HASH_LOOP(hash_u64(norm_double_bits(c->data.f64[i]), seed)) break;
    case TYPE_STRING:
        HASH_LOOP(XXH3_64bits_withSeed(c->data.s[i].ptr, c->data.s[i].len, seed))
        break;
    case TYPE_WINDOW:
        HASH_LOOP(XXH3_64bits_withSeed(&c->data.w[i], sizeof(window_val), seed))
        break;
    default: HASH_LOOP(hash_u64(0, seed)) break;
    }
#undef HASH_LOOP
}

#endif
