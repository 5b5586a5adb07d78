/* Spark's text rendering of values (Java's Double.toString for doubles,
 * CAST(x AS STRING) for the rest) and the text buffer sinks write into. */
#include "core/valuefmt.h"

#include <float.h>
#include <inttypes.h>
#include <stdbool.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/timefmt.h"

/* Decimal significand digits and exponent of x > 0 printed with `ndigits`
 * significant digits, correctly rounded: x ~= d1.d2d3... * 10^exp10. */
static void sci_digits(double x, int ndigits, char *digits, int *exp10)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*e", ndigits - 1, x);
    int n = 0;
    const char *p = tmp;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9')
            digits[n++] = *p;
    digits[n] = 0;
    *exp10 = atoi(p + 1);
}

static double digits_value(const char *digits, int exp10)
{
    char tmp[48];
    snprintf(tmp, sizeof tmp, "%c.%se%d", digits[0], digits + 1, exp10);
    return strtod(tmp, NULL);
}

/* Adds one unit in the last place of the digit string (carrying); returns
 * the possibly bumped exponent (9.99 becomes 1.00 one decade up). */
static int digits_bump(char *digits, int exp10)
{
    int i = (int)strlen(digits) - 1;
    while (i >= 0 && digits[i] == '9')
        digits[i--] = '0';
    if (i >= 0) {
        digits[i]++;
        return exp10;
    }
    digits[0] = '1';
    return exp10 + 1;
}

/* Tries `ndigits` significant digits; on success digits/exp10 hold them. */
static int try_digits(double x, int ndigits, bool power_of_two, char *digits, int *exp10)
{
    sci_digits(x, ndigits, digits, exp10);
    if (digits_value(digits, *exp10) == x)
        return 1;
    /* Below a power of two the rounding interval is narrower on the low
     * side, so the next decimal up may read back when the nearest does not. */
    if (power_of_two) {
        int e = digits_bump(digits, *exp10);
        if (digits_value(digits, e) == x) {
            *exp10 = e;
            return 1;
        }
    }
    return 0;
}

/* The decimal of the fewest significant digits that reads back as x (> 0,
 * finite), closest to x among those; trailing zeros removed. */
static void shortest_digits(double x, char *digits, int *exp10)
{
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    bool power_of_two = (bits & ((UINT64_C(1) << 52) - 1)) == 0;
    int p;
    if (x >= DBL_MIN) {
        /* A normal double holds 15 decimal digits exactly (DBL_DIG): when a
         * decimal of at most 15 digits reads back as x, the 15-digit
         * rendering of x is that decimal padded with zeros. */
        sci_digits(x, 15, digits, exp10);
        p = digits_value(digits, *exp10) == x ? 15
            : try_digits(x, 16, power_of_two, digits, exp10) ? 16 : 17;
    } else {
        /* Subnormals have fewer significant bits: search upwards. */
        for (p = 1; p < 17; p++)
            if (try_digits(x, p, power_of_two, digits, exp10))
                break;
    }
    if (p == 17)
        sci_digits(x, 17, digits, exp10);
    int n = (int)strlen(digits);
    while (n > 1 && digits[n - 1] == '0')
        digits[--n] = 0;
    /* Java: when one digit would do, the closest decimal of one or two
     * digits (Double.MIN_VALUE is 4.9E-324, not 5.0E-324). */
    if (n == 1) {
        char two[24];
        int e2;
        sci_digits(x, 2, two, &e2);
        if (digits_value(two, e2) == x) {
            strcpy(digits, two);
            *exp10 = e2;
            if (digits[1] == '0')
                digits[1] = 0;
        }
    }
}

int double_to_text(double d, char *buf)
{
    const char *special = NULL;
    if (isnan(d))
        special = "NaN";
    else if (isinf(d))
        special = d > 0 ? "Infinity" : "-Infinity";
    else if (d == 0)
        special = signbit(d) ? "-0.0" : "0.0";
    if (special) {
        strcpy(buf, special);
        return (int)strlen(special);
    }

    char digits[24];
    int e;
    double a = fabs(d);
    shortest_digits(a, digits, &e);
    int nd = (int)strlen(digits);
    int len = 0;
    if (d < 0)
        buf[len++] = '-';
    if (a >= 1e-3 && a < 1e7) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                buf[len++] = i < nd ? digits[i] : '0';
            buf[len++] = '.';
            if (nd > e + 1) {
                memcpy(buf + len, digits + e + 1, (size_t)(nd - e - 1));
                len += nd - e - 1;
            } else {
                buf[len++] = '0';
            }
        } else {
            buf[len++] = '0';
            buf[len++] = '.';
            for (int i = 0; i < -e - 1; i++)
                buf[len++] = '0';
            memcpy(buf + len, digits, (size_t)nd);
            len += nd;
        }
        buf[len] = 0;
        return len;
    }
    buf[len++] = digits[0];
    buf[len++] = '.';
    if (nd > 1) {
        memcpy(buf + len, digits + 1, (size_t)(nd - 1));
        len += nd - 1;
    } else {
        buf[len++] = '0';
    }
    len += snprintf(buf + len, 8, "E%d", e);
    return len;
}

/* Copies n bytes of s into buf as snprintf would; returns n. */
static int put_bounded(char *buf, int cap, const char *s, int n)
{
    if (cap > 0) {
        int k = n < cap ? n : cap - 1;
        if (k > 0)
            memcpy(buf, s, (size_t)k);
        buf[k] = 0;
    }
    return n;
}

int value_to_text(const value *v, char *buf, int cap)
{
    char tmp[80];
    int n;
    if (v->is_null || v->type == TYPE_NULL)
        return put_bounded(buf, cap, "NULL", 4);
    switch (v->type) {
    case TYPE_BOOLEAN:
        return v->v.b ? put_bounded(buf, cap, "true", 4) : put_bounded(buf, cap, "false", 5);
    case TYPE_INT:
        n = snprintf(tmp, sizeof tmp, "%" PRId32, v->v.i32);
        break;
    case TYPE_BIGINT:
        n = snprintf(tmp, sizeof tmp, "%" PRId64, v->v.i64);
        break;
    case TYPE_DOUBLE:
        n = double_to_text(v->v.f64, tmp);
        break;
    case TYPE_STRING:
        return put_bounded(buf, cap, v->v.s.ptr, (int)v->v.s.len);
    case TYPE_TIMESTAMP:
        n = ts_format(v->v.i64, tmp);
        break;
    case TYPE_DATE:
        n = date_format(v->v.i32, tmp);
        break;
    case TYPE_WINDOW: {
        char a[32], b[32];
        ts_format(v->v.w.start, a);
        ts_format(v->v.w.end, b);
        n = snprintf(tmp, sizeof tmp, "{%s, %s}", a, b);
        break;
    }
    default:
        return put_bounded(buf, cap, "NULL", 4);
    }
    return put_bounded(buf, cap, tmp, n);
}

void textbuf_init(textbuf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void textbuf_free(textbuf *b)
{
    free(b->data);
    textbuf_init(b);
}

void textbuf_reserve(textbuf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
    b->data[b->len] = 0;
}

void textbuf_put(textbuf *b, const char *s, size_t n)
{
    textbuf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = 0;
}

void textbuf_puts(textbuf *b, const char *s)
{
    textbuf_put(b, s, strlen(s));
}

void textbuf_putc(textbuf *b, char c)
{
    textbuf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = 0;
}

void textbuf_value(textbuf *b, const value *v)
{
    if (!v->is_null && v->type == TYPE_STRING) {
        textbuf_put(b, v->v.s.ptr, v->v.s.len);
        return;
    }
    char tmp[80];
    int n = value_to_text(v, tmp, sizeof tmp);
    textbuf_put(b, tmp, (size_t)n);
}
