/* approx_count_distinct: HyperLogLog++ as Spark's HyperLogLogPlusPlus.
 *
 * Values are hashed as Spark's XxHash64Function does (XXH64, seed 42, ints as
 * 4 little-endian bytes, bigints/timestamps as 8, doubles by their bits with
 * -0.0 folded to 0.0, strings by their bytes, struct fields chained through
 * the seed), registers are updated as Spark does, and the estimate follows
 * Spark's choice between linear counting (exact for small sets, same
 * thresholds) and the raw HLL estimate. Where Spark subtracts its empirical
 * bias table (raw estimate below 5m), eddy uses Ertl's improved estimator
 * ("New cardinality estimation algorithms for HyperLogLog sketches", 2017),
 * which is unbiased over that range without a table; results there can
 * differ from Spark's by a fraction of the standard error. Registers are one
 * byte each (Spark packs 6 bits), so a group's state is 2^p bytes. */
#include "exec/agg.h"

#include <math.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define HLL_SEED 42
#define HLL_PMIN 4
#define HLL_PMAX 18

/* Linear counting thresholds for p = 4..18 (HLL++ paper, Spark's THRESHOLDS). */
static const double hll_thresholds[] = {
    10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 11500, 20000, 50000, 120000, 350000,
};

static inline uint64_t hash_i32(int32_t v, uint64_t seed)
{
    uint8_t le[4];
    for (int i = 0; i < 4; i++)
        le[i] = (uint8_t)((uint32_t)v >> (8 * i));
    return XXH64(le, 4, seed);
}

static inline uint64_t hash_i64(int64_t v, uint64_t seed)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)((uint64_t)v >> (8 * i));
    return XXH64(le, 8, seed);
}

static inline uint64_t hash_f64(double d)
{
    int64_t bits;
    if (d == 0.0)
        d = 0.0;
    if (isnan(d))
        bits = INT64_C(0x7ff8000000000000); /* Java's canonical NaN */
    else
        memcpy(&bits, &d, 8);
    return hash_i64(bits, HLL_SEED);
}

static inline void hll_add(uint8_t *regs, int p, uint64_t hash)
{
    uint64_t idx = hash >> (64 - p);
    uint64_t w = hash << p | (UINT64_C(1) << (p - 1));
    uint8_t pw = (uint8_t)(__builtin_clzll(w) + 1);
    if (pw > regs[idx])
        regs[idx] = pw;
}

static int hll_resolve(type_id arg, type_id *ret)
{
    *ret = TYPE_BIGINT;
    return 0;
}

static void hll_update(char *const *rows, size_t off, const column *arg, uint32_t n,
                       type_id argt, int p)
{
    const uint8_t *valid = arg->valid;
    for (uint32_t i = 0; i < n; i++) {
        if (!valid[i])
            continue;
        uint64_t h;
        switch (argt) {
        case TYPE_BOOLEAN: h = hash_i32(arg->data.b[i] != 0, HLL_SEED); break;
        case TYPE_INT:
        case TYPE_DATE: h = hash_i32(arg->data.i32[i], HLL_SEED); break;
        case TYPE_BIGINT:
        case TYPE_TIMESTAMP: h = hash_i64(arg->data.i64[i], HLL_SEED); break;
        case TYPE_DOUBLE: h = hash_f64(arg->data.f64[i]); break;
        case TYPE_STRING: h = XXH64(arg->data.s[i].ptr, arg->data.s[i].len, HLL_SEED); break;
        case TYPE_WINDOW:
            h = hash_i64(arg->data.w[i].end, hash_i64(arg->data.w[i].start, HLL_SEED));
            break;
        default: continue;
        }
        hll_add((uint8_t *)(rows[i] + off), p, h);
    }
}

static void hll_combine(void *dst, const void *src, int p)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (size_t i = 0; i < ((size_t)1 << p); i++)
        d[i] = s[i] > d[i] ? s[i] : d[i];
}

/* Ertl's sigma and tau series (the improved estimator's corrections for
 * empty and saturated registers). */
static double hll_sigma(double x)
{
    if (x == 1.0)
        return INFINITY;
    double y = 1.0, z = x, zp;
    do {
        x *= x;
        zp = z;
        z += x * y;
        y += y;
    } while (z != zp);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0)
        return 0.0;
    double y = 1.0, z = 1.0 - x, zp;
    do {
        x = sqrt(x);
        zp = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != zp);
    return z / 3.0;
}

static int64_t hll_estimate(const uint8_t *regs, int p)
{
    int q = 64 - p;
    double m = (double)((size_t)1 << p);
    uint32_t hist[66] = {0};
    double zinv = 0.0;
    for (size_t i = 0; i < ((size_t)1 << p); i++) {
        uint8_t r = regs[i] <= q + 1 ? regs[i] : (uint8_t)(q + 1);
        hist[r]++;
        zinv += ldexp(1.0, -(int)r);
    }
    double alpha_m2;
    switch (p) {
    case 4: alpha_m2 = 0.673 * m * m; break;
    case 5: alpha_m2 = 0.697 * m * m; break;
    case 6: alpha_m2 = 0.709 * m * m; break;
    default: alpha_m2 = (0.7213 / (1.0 + 1.079 / m)) * m * m; break;
    }
    double e = alpha_m2 / zinv;
    double corrected = e;
    if (e < 5.0 * m) {
        double z = m * hll_tau(1.0 - hist[q + 1] / m);
        for (int k = q; k >= 1; k--)
            z = 0.5 * (z + hist[k]);
        z += m * hll_sigma(hist[0] / m);
        corrected = (m * m / (2.0 * log(2.0))) / z;
    }
    double estimate = corrected;
    double v = hist[0];
    if (v > 0) {
        double h = m * log(m / v);
        if (h <= hll_thresholds[p - HLL_PMIN] || e <= 2.5 * m)
            estimate = h;
    }
    return (int64_t)floor(estimate + 0.5);
}

static void hll_serialize(const void *state, int p, agg_buf *out)
{
    agg_buf_put_u8(out, (uint8_t)p);
    agg_buf_put(out, state, (size_t)1 << p);
}

static int hll_deserialize(void *state, int p, agg_reader *in)
{
    if (agg_read_u8(in) != p)
        return -1;
    if (!agg_read(in, state, (size_t)1 << p))
        return -1;
    const uint8_t *regs = state;
    for (size_t i = 0; i < ((size_t)1 << p); i++)
        if (regs[i] > 64 - p + 1)
            return -1;
    return 0;
}

/* One registry entry per precision: the agg_func callbacks carry no
 * parameter, so each precision gets its own small set of wrappers. */
#define HLL_VARIANT(P)                                                              \
    static size_t hll_size_##P(type_id t) { return (size_t)1 << P; }                \
    static void hll_init_##P(void *s, type_id t) { memset(s, 0, (size_t)1 << P); }  \
    static void hll_update_##P(char *const *rows, size_t off, const column *arg,     \
                               uint32_t n, type_id t, arena *a)                      \
    {                                                                               \
        hll_update(rows, off, arg, n, t, P);                                        \
    }                                                                               \
    static void hll_combine_##P(void *d, const void *s, type_id t, arena *a)        \
    {                                                                               \
        hll_combine(d, s, P);                                                       \
    }                                                                               \
    static void hll_finalize_##P(const void *s, type_id t, column *out, uint32_t row) \
    {                                                                               \
        out->valid[row] = 1;                                                        \
        out->data.i64[row] = hll_estimate(s, P);                                    \
    }                                                                               \
    static void hll_serialize_##P(const void *s, type_id t, agg_buf *out)           \
    {                                                                               \
        hll_serialize(s, P, out);                                                   \
    }                                                                               \
    static int hll_deserialize_##P(void *s, type_id t, agg_reader *in, arena *a)    \
    {                                                                               \
        return hll_deserialize(s, P, in);                                           \
    }

#define HLL_ENTRY(P)                                                                \
    {                                                                               \
        .name = "approx_count_distinct", .resolve = hll_resolve,                    \
        .state_size = hll_size_##P, .init = hll_init_##P, .update = hll_update_##P, \
        .combine = hll_combine_##P, .finalize = hll_finalize_##P,                   \
        .serialize = hll_serialize_##P, .deserialize = hll_deserialize_##P,         \
    }

HLL_VARIANT(4)
HLL_VARIANT(5)
HLL_VARIANT(6)
HLL_VARIANT(7)
HLL_VARIANT(8)
HLL_VARIANT(9)
HLL_VARIANT(10)
HLL_VARIANT(11)
HLL_VARIANT(12)
HLL_VARIANT(13)
HLL_VARIANT(14)
HLL_VARIANT(15)
HLL_VARIANT(16)
HLL_VARIANT(17)
HLL_VARIANT(18)

static const agg_func hll_funcs[HLL_PMAX - HLL_PMIN + 1] = {
    HLL_ENTRY(4), HLL_ENTRY(5), HLL_ENTRY(6), HLL_ENTRY(7), HLL_ENTRY(8),
    HLL_ENTRY(9), HLL_ENTRY(10), HLL_ENTRY(11), HLL_ENTRY(12), HLL_ENTRY(13),
    HLL_ENTRY(14), HLL_ENTRY(15), HLL_ENTRY(16), HLL_ENTRY(17), HLL_ENTRY(18),
};

const agg_func *agg_approx_count_distinct(double rsd)
{
    if (!(rsd > 0.0))
        return NULL;
    double p = ceil(2.0 * log(1.106 / rsd) / log(2.0));
    if (!(p >= HLL_PMIN && p <= HLL_PMAX))
        return NULL;
    return &hll_funcs[(int)p - HLL_PMIN];
}
