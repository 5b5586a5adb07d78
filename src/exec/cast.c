/* Spark's non-ANSI CAST between eddy's types, a column at a time: the
 * conversion table of Cast.scala, where input that does not convert gives NULL. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/timefmt.h"
#include "core/valuefmt.h"
#include "exec/func.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

int cast_allowed(type_id from, type_id to)
{
    if (from == to || from == TYPE_NULL || to == TYPE_STRING)
        return 1;
    switch (to) {
    case TYPE_BOOLEAN:
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DOUBLE:
    case TYPE_TIMESTAMP:
        return from != TYPE_WINDOW;
    case TYPE_DATE:
        return from == TYPE_STRING || from == TYPE_TIMESTAMP;
    default:
        return 0;
    }
}

/* Java's Character.isWhitespace || isISOControl for one byte, the set
 * UTF8String.toLong/trimAll skip. */
static int is_ws_ctl(unsigned char c)
{
    return c <= 0x20 || c == 0x7f;
}

/* UTF8String.toLong(allowDecimal = true): optional sign, digits, optionally
 * '.' and more digits (dropped). Returns 0 on success. */
static int str_to_i64(const char *s, uint32_t n, int64_t *out)
{
    uint32_t i = 0, end = n;
    while (i < end && is_ws_ctl((unsigned char)s[i]))
        i++;
    while (end > i && is_ws_ctl((unsigned char)s[end - 1]))
        end--;
    if (i == end)
        return -1;
    int neg = s[i] == '-';
    if (neg || s[i] == '+') {
        if (end - i == 1)
            return -1;
        i++;
    }
    const int64_t stop = INT64_MIN / 10;
    int64_t r = 0; /* accumulated negatively, as Java does, to reach INT64_MIN */
    while (i < end) {
        char c = s[i++];
        if (c == '.')
            break;
        if (c < '0' || c > '9')
            return -1;
        if (r < stop)
            return -1;
        int64_t d = c - '0';
        if (r * 10 < INT64_MIN + d)
            return -1;
        r = r * 10 - d;
    }
    for (; i < end; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    if (!neg) {
        if (r == INT64_MIN)
            return -1;
        r = -r;
    }
    *out = r;
    return 0;
}

static int str_to_i32(const char *s, uint32_t n, int32_t *out)
{
    int64_t v;
    if (str_to_i64(s, n, &v) || v < INT32_MIN || v > INT32_MAX)
        return -1;
    *out = (int32_t)v;
    return 0;
}

static int ieq_ascii(const char *s, uint32_t n, const char *lit)
{
    size_t m = strlen(lit);
    if (m != n)
        return 0;
    for (size_t i = 0; i < m; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != lit[i])
            return 0;
    }
    return 1;
}

/* Java's Double.parseDouble (decimal forms, optional d/f suffix, "NaN",
 * "Infinity") plus Spark's special literals inf/infinity/nan in any case. */
static int str_to_f64(const char *s, uint32_t n, double *out)
{
    uint32_t i = 0, end = n;
    while (i < end && (unsigned char)s[i] <= 0x20)
        i++;
    while (end > i && (unsigned char)s[end - 1] <= 0x20)
        end--;
    if (i == end)
        return -1;
    const char *p = s + i;
    uint32_t len = end - i;
    if (ieq_ascii(p, len, "nan")) {
        *out = NAN;
        return 0;
    }
    if (ieq_ascii(p, len, "inf") || ieq_ascii(p, len, "+inf") || ieq_ascii(p, len, "infinity") ||
        ieq_ascii(p, len, "+infinity")) {
        *out = INFINITY;
        return 0;
    }
    if (ieq_ascii(p, len, "-inf") || ieq_ascii(p, len, "-infinity")) {
        *out = -INFINITY;
        return 0;
    }
    uint32_t k = 0, digits = 0;
    if (k < len && (p[k] == '+' || p[k] == '-'))
        k++;
    while (k < len && p[k] >= '0' && p[k] <= '9')
        k++, digits++;
    if (k < len && p[k] == '.') {
        k++;
        while (k < len && p[k] >= '0' && p[k] <= '9')
            k++, digits++;
    }
    if (!digits)
        return -1;
    if (k < len && (p[k] == 'e' || p[k] == 'E')) {
        k++;
        if (k < len && (p[k] == '+' || p[k] == '-'))
            k++;
        uint32_t ed = 0;
        while (k < len && p[k] >= '0' && p[k] <= '9')
            k++, ed++;
        if (!ed)
            return -1;
    }
    uint32_t numlen = k;
    if (k < len && (p[k] == 'd' || p[k] == 'D' || p[k] == 'f' || p[k] == 'F'))
        k++;
    if (k != len)
        return -1;
    char stackbuf[128];
    char *buf = numlen < sizeof stackbuf ? stackbuf : malloc(numlen + 1);
    if (!buf)
        return -1;
    memcpy(buf, p, numlen);
    buf[numlen] = 0;
    *out = strtod(buf, NULL);
    if (buf != stackbuf)
        free(buf);
    return 0;
}

/* Spark's StringUtils.isTrueString / isFalseString after trimAll+lower. */
static int str_to_bool(const char *s, uint32_t n, uint8_t *out)
{
    uint32_t i = 0, end = n;
    while (i < end && is_ws_ctl((unsigned char)s[i]))
        i++;
    while (end > i && is_ws_ctl((unsigned char)s[end - 1]))
        end--;
    const char *p = s + i;
    uint32_t len = end - i;
    static const char *const t[] = {"t", "true", "y", "yes", "1"};
    static const char *const f[] = {"f", "false", "n", "no", "0"};
    for (int k = 0; k < 5; k++) {
        if (ieq_ascii(p, len, t[k])) {
            *out = 1;
            return 0;
        }
        if (ieq_ascii(p, len, f[k])) {
            *out = 0;
            return 0;
        }
    }
    return -1;
}

/* Java's (long) d: truncation toward zero, NaN -> 0, saturating. */
static int64_t f64_to_i64(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 9223372036854775807.0)
        return INT64_MAX;
    if (d <= -9223372036854775808.0)
        return INT64_MIN;
    return (int64_t)d;
}

/* Java's (int) d. */
static int32_t f64_to_i32(double d)
{
    if (isnan(d))
        return 0;
    if (d >= 2147483647.0)
        return INT32_MAX;
    if (d <= -2147483648.0)
        return INT32_MIN;
    return (int32_t)d;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* TimeUnit.SECONDS.toMicros: saturating. */
static int64_t secs_to_us(int64_t s)
{
    if (s > INT64_MAX / US_PER_SEC)
        return INT64_MAX;
    if (s < INT64_MIN / US_PER_SEC)
        return INT64_MIN;
    return s * US_PER_SEC;
}

/* Writes the decimal text of v; returns its length (at most 20). */
static int i64_to_text(int64_t v, char *buf)
{
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    int len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (k)
        buf[len++] = tmp[--k];
    return len;
}

/* Formats every valid row of `in` as text into out (STRING), packing the
 * bytes into one arena block of n * maxlen bytes. */
static void cast_to_string(const column *in, uint32_t n, column *out, arena *a)
{
    size_t maxlen;
    switch (in->type) {
    case TYPE_BOOLEAN: maxlen = 5; break;
    case TYPE_INT: maxlen = 11; break;
    case TYPE_BIGINT: maxlen = 20; break;
    case TYPE_DOUBLE: maxlen = 32; break;
    case TYPE_TIMESTAMP: maxlen = 32; break;
    case TYPE_DATE: maxlen = 16; break;
    case TYPE_WINDOW: maxlen = 68; break;
    default: maxlen = 1; break;
    }
    char *buf = arena_alloc(a, (size_t)n * maxlen + 1);
    char *p = buf;
    for (uint32_t i = 0; i < n; i++) {
        if (!in->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        int len = 0;
        char tmp[40];
        switch (in->type) {
        case TYPE_BOOLEAN:
            len = in->data.b[i] ? 4 : 5;
            memcpy(p, in->data.b[i] ? "true" : "false", (size_t)len);
            break;
        case TYPE_INT: len = i64_to_text(in->data.i32[i], p); break;
        case TYPE_BIGINT: len = i64_to_text(in->data.i64[i], p); break;
        case TYPE_DOUBLE:
            len = double_to_text(in->data.f64[i], tmp);
            memcpy(p, tmp, (size_t)len);
            break;
        case TYPE_TIMESTAMP:
            len = ts_format(in->data.i64[i], tmp);
            memcpy(p, tmp, (size_t)len);
            break;
        case TYPE_DATE:
            len = date_format(in->data.i32[i], tmp);
            memcpy(p, tmp, (size_t)len);
            break;
        case TYPE_WINDOW: {
            p[len++] = '{';
            len += ts_format(in->data.w[i].start, tmp);
            memcpy(p + 1, tmp, (size_t)len - 1);
            p[len++] = ',';
            p[len++] = ' ';
            int l2 = ts_format(in->data.w[i].end, tmp);
            memcpy(p + len, tmp, (size_t)l2);
            len += l2;
            p[len++] = '}';
            break;
        }
        default: break;
        }
        out->data.s[i] = (strv){p, (uint32_t)len};
        p += len;
    }
}

static void cast_from_string(const column *in, uint32_t n, type_id to, column *out)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!out->valid[i])
            continue;
        const char *s = in->data.s[i].ptr;
        uint32_t len = in->data.s[i].len;
        int bad = 0;
        switch (to) {
        case TYPE_BOOLEAN: bad = str_to_bool(s, len, &out->data.b[i]); break;
        case TYPE_INT: bad = str_to_i32(s, len, &out->data.i32[i]); break;
        case TYPE_BIGINT: bad = str_to_i64(s, len, &out->data.i64[i]); break;
        case TYPE_DOUBLE: bad = str_to_f64(s, len, &out->data.f64[i]); break;
        case TYPE_TIMESTAMP: bad = ts_parse(s, len, &out->data.i64[i]); break;
        case TYPE_DATE: bad = date_parse(s, len, &out->data.i32[i]); break;
        default: bad = 1; break;
        }
        if (bad)
            out->valid[i] = 0;
    }
}

/* Conversions between boolean, numbers, timestamps and dates; rows already
 * NULL in out->valid are skipped. */
static void cast_numeric(const column *in, uint32_t n, type_id to, column *out)
{
    for (uint32_t i = 0; i < n; i++) {
        if (!out->valid[i])
            continue;
        switch (in->type) {
        case TYPE_BOOLEAN: {
            int b = in->data.b[i] != 0;
            switch (to) {
            case TYPE_INT: out->data.i32[i] = b; break;
            case TYPE_BIGINT: out->data.i64[i] = b; break;
            case TYPE_DOUBLE: out->data.f64[i] = b; break;
            case TYPE_TIMESTAMP: out->data.i64[i] = b; break;
            default: out->valid[i] = 0; break;
            }
            break;
        }
        case TYPE_INT:
        case TYPE_BIGINT: {
            int64_t v = in->type == TYPE_INT ? in->data.i32[i] : in->data.i64[i];
            switch (to) {
            case TYPE_BOOLEAN: out->data.b[i] = v != 0; break;
            case TYPE_INT: out->data.i32[i] = (int32_t)(uint32_t)(uint64_t)v; break;
            case TYPE_BIGINT: out->data.i64[i] = v; break;
            case TYPE_DOUBLE: out->data.f64[i] = (double)v; break;
            case TYPE_TIMESTAMP: out->data.i64[i] = secs_to_us(v); break;
            default: out->valid[i] = 0; break;
            }
            break;
        }
        case TYPE_DOUBLE: {
            double d = in->data.f64[i];
            switch (to) {
            case TYPE_BOOLEAN: out->data.b[i] = d != 0; break;
            case TYPE_INT: out->data.i32[i] = f64_to_i32(d); break;
            case TYPE_BIGINT: out->data.i64[i] = f64_to_i64(d); break;
            case TYPE_TIMESTAMP:
                if (isnan(d) || isinf(d))
                    out->valid[i] = 0;
                else
                    out->data.i64[i] = f64_to_i64(d * (double)US_PER_SEC);
                break;
            default: out->valid[i] = 0; break;
            }
            break;
        }
        case TYPE_TIMESTAMP: {
            int64_t us = in->data.i64[i];
            switch (to) {
            case TYPE_BOOLEAN: out->data.b[i] = us != 0; break;
            case TYPE_INT:
                out->data.i32[i] = (int32_t)(uint32_t)(uint64_t)floor_div(us, US_PER_SEC);
                break;
            case TYPE_BIGINT: out->data.i64[i] = floor_div(us, US_PER_SEC); break;
            case TYPE_DOUBLE: out->data.f64[i] = (double)us / (double)US_PER_SEC; break;
            case TYPE_DATE: out->data.i32[i] = (int32_t)floor_div(us, US_PER_DAY); break;
            default: out->valid[i] = 0; break;
            }
            break;
        }
        case TYPE_DATE:
            if (to == TYPE_TIMESTAMP) {
                int64_t d = in->data.i32[i];
                out->data.i64[i] = d * US_PER_DAY;
            } else {
                /* Spark: date -> boolean/numeric is allowed and always NULL. */
                out->valid[i] = 0;
            }
            break;
        default: out->valid[i] = 0; break;
        }
    }
}

int cast_column(const column *in, uint32_t n, type_id to, column *out, func_ctx *ctx)
{
    out->type = to;
    if (!n)
        return 0;
    if (in->type == to) {
        memcpy(out->valid, in->valid, n);
        memcpy(out->data.raw, in->data.raw, (size_t)n * type_width(to));
        return 0;
    }
    if (in->type == TYPE_NULL || !cast_allowed(in->type, to)) {
        memset(out->valid, 0, n);
        memset(out->data.raw, 0, (size_t)n * type_width(to));
        return 0;
    }
    memcpy(out->valid, in->valid, n);
    memset(out->data.raw, 0, (size_t)n * type_width(to));
    if (to == TYPE_STRING)
        cast_to_string(in, n, out, ctx->arena);
    else if (in->type == TYPE_STRING)
        cast_from_string(in, n, to, out);
    else
        cast_numeric(in, n, to, out);
    return 0;
}
