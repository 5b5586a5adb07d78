/* Reader option defaults and the type-directed text-to-value conversions the
 * CSV and JSON parsers share (Spark's CSV rules: Java's parseInt/parseLong/
 * parseDouble, case-insensitive booleans, Spark's timestamp and date text). */
#include "io/reader.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/timefmt.h"

void read_options_default(read_options *o)
{
    memset(o, 0, sizeof *o);
    o->sep = ',';
    o->quote = '"';
    o->escape = '\\';
    o->header = false;
    o->null_value = "";
    o->timestamp_format = NULL;
    o->mode = PARSE_PERMISSIVE;
    o->corrupt_column = -1;
}

int reader_parse_i64(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '-' || s[0] == '+')) {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return -1;
    uint64_t v = 0;
    if (n - i <= 18) {
        for (; i < n; i++) {
            unsigned d = (unsigned)(unsigned char)s[i] - '0';
            if (d > 9)
                return -1;
            v = v * 10 + d;
        }
        *out = neg ? -(int64_t)v : (int64_t)v;
        return 0;
    }
    const uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9 || v > (limit - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return 0;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_hex(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* Length of the Java floating-point literal at s[i..n) without its optional
 * type suffix, or 0 when there is none. */
static size_t java_float_len(const char *s, size_t i, size_t n)
{
    size_t start = i, digits = 0;
    if (n - i >= 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
        i += 2;
        while (i < n && is_hex(s[i]))
            i++, digits++;
        if (i < n && s[i] == '.') {
            i++;
            while (i < n && is_hex(s[i]))
                i++, digits++;
        }
        if (!digits || i == n || (s[i] != 'p' && s[i] != 'P'))
            return 0;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && is_digit(s[i]))
            i++;
        return i > e0 ? i - start : 0;
    }
    while (i < n && is_digit(s[i]))
        i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i]))
            i++, digits++;
    }
    if (!digits)
        return 0;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t e0 = i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == e0)
            return 0;
    }
    return i - start;
}

int reader_parse_double(const char *s, size_t n, double *out)
{
    if (n == 3 && memcmp(s, "Inf", 3) == 0) {
        *out = __builtin_inf();
        return 0;
    }
    if (n == 4 && memcmp(s, "-Inf", 4) == 0) {
        *out = -__builtin_inf();
        return 0;
    }
    while (n && (unsigned char)*s <= ' ')
        s++, n--;
    while (n && (unsigned char)s[n - 1] <= ' ')
        n--;
    if (!n)
        return -1;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '+' || s[0] == '-') {
        neg = s[0] == '-';
        i = 1;
    }
    if (n - i == 3 && memcmp(s + i, "NaN", 3) == 0) {
        *out = __builtin_nan("");
        return 0;
    }
    if (n - i == 8 && memcmp(s + i, "Infinity", 8) == 0) {
        *out = neg ? -__builtin_inf() : __builtin_inf();
        return 0;
    }
    size_t len = java_float_len(s, i, n);
    if (!len)
        return -1;
    size_t stop = i + len;
    if (stop < n && (s[stop] == 'f' || s[stop] == 'F' || s[stop] == 'd' || s[stop] == 'D'))
        stop++;
    if (stop != n)
        return -1;
    size_t m = i + len;
    char small[64];
    char *tmp = m < sizeof small ? small : xmalloc(m + 1);
    memcpy(tmp, s, m);
    tmp[m] = 0;
    *out = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return 0;
}

void reader_snippet(char *dst, size_t cap, const char *s, size_t n)
{
    if (!cap)
        return;
    size_t room = cap - 1, k = 0;
    bool cut = n > room;
    if (cut)
        room = room > 3 ? room - 3 : 0;
    for (size_t i = 0; i < n && k < room; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    if (cut)
        for (int j = 0; j < 3 && k + 1 < cap; j++)
            dst[k++] = '.';
    dst[k] = 0;
}

/* "yyyy-MM-dd HH:mm:ss" or "yyyy-MM-ddTHH:mm:ss" exactly, optionally with a
 * fraction of 1 to 6 digits (".123"): the common forms, parsed without
 * ts_parse's general grammar. Returns 0 or -1 (not this form, or out of
 * range: ts_parse then decides). */
static int ts_fixed(const char *s, size_t n, int64_t *out)
{
    static const uint8_t digit_at[] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
    int64_t frac = 0;
    if (n > 19) {
        if (n < 21 || n > 26 || s[19] != '.')
            return -1;
        for (size_t i = 20; i < 26; i++) {
            unsigned dg = i < n ? (unsigned)(s[i] - '0') : 0;
            if (dg > 9)
                return -1;
            frac = frac * 10 + dg;
        }
        n = 19;
    }
    if (n != 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' && s[10] != 'T') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    int d[14];
    for (int i = 0; i < 14; i++) {
        d[i] = s[digit_at[i]] - '0';
        if ((unsigned)d[i] > 9)
            return -1;
    }
    int y = d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3];
    unsigned mo = (unsigned)(d[4] * 10 + d[5]), day = (unsigned)(d[6] * 10 + d[7]);
    int h = d[8] * 10 + d[9], mi = d[10] * 10 + d[11], sec = d[12] * 10 + d[13];
    if (mo < 1 || mo > 12 || day < 1 || day > 28 || h > 23 || mi > 59 || sec > 59)
        return -1;
    *out = ((int64_t)days_from_civil(y, mo, day) * 86400 + h * 3600 + mi * 60 + sec) * 1000000 +
           frac;
    return 0;
}

int field_convert(const char *s, size_t n, column *c, uint32_t row, const read_options *o)
{
    int64_t v;
    switch (c->type) {
    case TYPE_STRING:
        if (n > UINT32_MAX)
            break;
        c->data.s[row].ptr = s;
        c->data.s[row].len = (uint32_t)n;
        c->valid[row] = 1;
        return 0;
    case TYPE_INT:
        if (reader_parse_i64(s, n, &v) != 0 || v < INT32_MIN || v > INT32_MAX)
            break;
        c->data.i32[row] = (int32_t)v;
        c->valid[row] = 1;
        return 0;
    case TYPE_BIGINT:
        if (reader_parse_i64(s, n, &v) != 0)
            break;
        c->data.i64[row] = v;
        c->valid[row] = 1;
        return 0;
    case TYPE_DOUBLE:
        if (reader_parse_double(s, n, &c->data.f64[row]) != 0)
            break;
        c->valid[row] = 1;
        return 0;
    case TYPE_BOOLEAN:
        if (n == 4 && strncasecmp(s, "true", 4) == 0)
            c->data.b[row] = 1;
        else if (n == 5 && strncasecmp(s, "false", 5) == 0)
            c->data.b[row] = 0;
        else
            break;
        c->valid[row] = 1;
        return 0;
    case TYPE_TIMESTAMP: {
        const char *fmt = o ? o->timestamp_format : NULL;
        int rc = fmt && *fmt                 ? ts_parse_fmt(s, n, fmt, &v)
                 : ts_fixed(s, n, &v) == 0 ? 0
                                           : ts_parse(s, n, &v);
        if (rc != 0)
            break;
        c->data.i64[row] = v;
        c->valid[row] = 1;
        return 0;
    }
    case TYPE_DATE:
        if (date_parse(s, n, &c->data.i32[row]) != 0)
            break;
        c->valid[row] = 1;
        return 0;
    default:
        break;
    }
    c->valid[row] = 0;
    return -1;
}
