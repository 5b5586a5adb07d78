/* Numeric functions (abs, round, floor, ceil, sqrt) and coalesce, with
 * Spark's non-ANSI results: integer overflow wraps, round is HALF_UP on the
 * decimal value Java prints for a double. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/func.h"

int func_coalesce(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                  eddy_error *err)
{
    size_t w = type_width(out->type);
    memset(out->valid, 0, n);
    memset(out->data.raw, 0, (size_t)n * w);
    for (int k = 0; k < nargs; k++) {
        const column *a = &args[k];
        if (a->type != out->type)
            continue;
        for (uint32_t i = 0; i < n; i++) {
            if (out->valid[i] || !a->valid[i])
                continue;
            out->valid[i] = 1;
            memcpy((char *)out->data.raw + (size_t)i * w, (const char *)a->data.raw + (size_t)i * w,
                   w);
        }
    }
    return 0;
}

int func_abs(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
             eddy_error *err)
{
    const column *a = &args[0];
    memcpy(out->valid, a->valid, n);
    switch (a->type) {
    case TYPE_INT:
        for (uint32_t i = 0; i < n; i++) {
            int32_t v = a->data.i32[i];
            out->data.i32[i] = v < 0 ? (int32_t)(0u - (uint32_t)v) : v;
        }
        break;
    case TYPE_BIGINT:
        for (uint32_t i = 0; i < n; i++) {
            int64_t v = a->data.i64[i];
            out->data.i64[i] = v < 0 ? (int64_t)(0u - (uint64_t)v) : v;
        }
        break;
    default:
        for (uint32_t i = 0; i < n; i++)
            out->data.f64[i] = fabs(a->data.f64[i]);
        break;
    }
    return 0;
}

static const double pow10_tab[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Shortest decimal digits that read back as d (d > 0, finite), as
 * Double.toString chooses them: d = 0.DIGITS * 10^exp10. Returns the digit
 * count. */
static int shortest_digits(double d, char *digits, int *exp10)
{
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d || prec == 17) {
            int k = 0;
            const char *p = tmp;
            for (; *p && *p != 'e'; p++)
                if (*p >= '0' && *p <= '9')
                    digits[k++] = *p;
            while (k > 1 && digits[k - 1] == '0')
                k--;
            digits[k] = 0;
            *exp10 = atoi(p + 1) + 1;
            return k;
        }
    }
    return 0;
}

/* BigDecimal(Double.toString(d)).setScale(scale, HALF_UP).toDouble. */
static double round_decimal(double d, int scale)
{
    bool neg = d < 0;
    double a = fabs(d);
    char digits[24];
    int e10;
    int nd = shortest_digits(a, digits, &e10);
    /* Digits kept: those before the decimal point plus `scale` after it. */
    int keep = e10 + scale;
    if (keep < 0)
        return 0.0;
    char buf[64];
    if (keep >= nd)
        return d;
    bool up = digits[keep] >= '5';
    /* Round the kept digits (possibly none) up by one unit in the last place. */
    char kept[24];
    memcpy(kept, digits, (size_t)keep);
    int k = keep;
    if (up) {
        int j = k - 1;
        while (j >= 0 && kept[j] == '9')
            kept[j--] = '0';
        if (j >= 0) {
            kept[j]++;
        } else {
            memmove(kept + 1, kept, (size_t)k);
            kept[0] = '1';
            k++;
            e10++;
        }
    }
    if (k == 0)
        return 0.0;
    snprintf(buf, sizeof buf, "%s0.%.*se%d", neg ? "-" : "", k, kept, e10);
    double r = strtod(buf, NULL);
    return r == 0 ? 0.0 : r;
}

static double round_double(double d, int scale)
{
    if (isnan(d) || isinf(d))
        return d;
    if (d == 0)
        return 0.0;
    if (scale >= 0 && scale <= 22) {
        double x = fabs(d) * pow10_tab[scale];
        if (x < 1e15) {
            double fl = floor(x);
            double frac = x - fl;
            /* Far from a tie the binary value rounds like its decimal form. */
            if (fabs(frac - 0.5) > 1e-9 * x + 1e-9) {
                double r = (frac > 0.5 ? fl + 1 : fl) / pow10_tab[scale];
                if (r == 0)
                    return 0.0;
                return d < 0 ? -r : r;
            }
        }
    }
    if (scale > 400)
        return d;
    return round_decimal(d, scale);
}

/* HALF_UP rounding of an integer to 10^-scale (scale < 0). */
static int64_t round_integer(int64_t v, int scale)
{
    if (scale >= 0)
        return v;
    if (scale < -19)
        return 0;
    __int128 p = 1;
    for (int k = 0; k < -scale; k++)
        p *= 10;
    __int128 x = v, q = x / p, r = x % p;
    if (r < 0)
        r = -r;
    if (2 * r >= p)
        q += v < 0 ? -1 : 1;
    return (int64_t)(uint64_t)(unsigned __int128)(q * p);
}

int func_round(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    const column *a = &args[0], *s = nargs > 1 ? &args[1] : NULL;
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = a->valid[i] && (!s || s->valid[i]);
        int scale = s ? s->data.i32[i] : 0;
        switch (a->type) {
        case TYPE_INT:
            out->data.i32[i] =
                out->valid[i] ? (int32_t)(uint32_t)(uint64_t)round_integer(a->data.i32[i], scale)
                              : 0;
            break;
        case TYPE_BIGINT:
            out->data.i64[i] = out->valid[i] ? round_integer(a->data.i64[i], scale) : 0;
            break;
        default:
            out->data.f64[i] = out->valid[i] ? round_double(a->data.f64[i], scale) : 0;
            break;
        }
    }
    return 0;
}

/* Java's Math.floor/ceil then (long): NaN -> 0, saturating. */
static int64_t to_long(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

static int floor_ceil(const column *a, uint32_t n, column *out, bool is_floor)
{
    memcpy(out->valid, a->valid, n);
    if (a->type == TYPE_BIGINT) {
        memcpy(out->data.i64, a->data.i64, (size_t)n * sizeof(int64_t));
        return 0;
    }
    for (uint32_t i = 0; i < n; i++) {
        double d = a->data.f64[i];
        out->data.i64[i] = to_long(is_floor ? floor(d) : ceil(d));
    }
    return 0;
}

int func_floor(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return floor_ceil(&args[0], n, out, true);
}

int func_ceil(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
              eddy_error *err)
{
    return floor_ceil(&args[0], n, out, false);
}

int func_sqrt(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
              eddy_error *err)
{
    const column *a = &args[0];
    memcpy(out->valid, a->valid, n);
    for (uint32_t i = 0; i < n; i++)
        out->data.f64[i] = sqrt(a->data.f64[i]);
    return 0;
}
