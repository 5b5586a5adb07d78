/* Date and time functions: to_timestamp, to_date, date_trunc, the field
 * extractors (year .. second) and current_timestamp, all in UTC (eddy's
 * session time zone). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "exec/func.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* A format column read row by row as NUL-terminated text, re-copied only
 * when the row's text differs from the previous one. */
typedef struct fmt_cache {
    char *buf;
    size_t cap;
    strv cur;
    bool set;
} fmt_cache;

static const char *fmt_get(fmt_cache *c, strv s)
{
    if (c->set && s.len == c->cur.len && (s.len == 0 || memcmp(s.ptr, c->buf, s.len) == 0))
        return c->buf;
    if (s.len + 1 > c->cap) {
        c->cap = s.len + 1;
        c->buf = xrealloc(c->buf, c->cap);
    }
    if (s.len)
        memcpy(c->buf, s.ptr, s.len);
    c->buf[s.len] = 0;
    c->cur = (strv){c->buf, s.len};
    c->set = true;
    return c->buf;
}

/* Parses args[0] (string, or a timestamp passed through) with the optional
 * format args[1] into µs; rows that do not parse are NULL. */
static void parse_timestamps(const column *args, int nargs, uint32_t n, uint8_t *valid,
                             int64_t *us)
{
    const column *s = &args[0];
    if (s->type == TYPE_TIMESTAMP) {
        memcpy(valid, s->valid, n);
        memcpy(us, s->data.i64, (size_t)n * sizeof(int64_t));
        return;
    }
    const column *f = nargs > 1 ? &args[1] : NULL;
    fmt_cache fc = {0};
    for (uint32_t i = 0; i < n; i++) {
        us[i] = 0;
        valid[i] = s->valid[i] && (!f || f->valid[i]);
        if (!valid[i])
            continue;
        strv v = s->data.s[i];
        int rc = f ? ts_parse_fmt(v.ptr, v.len, fmt_get(&fc, f->data.s[i]), &us[i])
                   : ts_parse(v.ptr, v.len, &us[i]);
        if (rc < 0) {
            valid[i] = 0;
            us[i] = 0;
        }
    }
    free(fc.buf);
}

int func_to_timestamp(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                      eddy_error *err)
{
    parse_timestamps(args, nargs, n, out->valid, out->data.i64);
    return 0;
}

int func_to_date(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                 eddy_error *err)
{
    const column *s = &args[0];
    if (s->type == TYPE_STRING && nargs == 1) {
        for (uint32_t i = 0; i < n; i++) {
            out->valid[i] = s->valid[i] &&
                            date_parse(s->data.s[i].ptr, s->data.s[i].len, &out->data.i32[i]) == 0;
            if (!out->valid[i])
                out->data.i32[i] = 0;
        }
        return 0;
    }
    int64_t *us = xmalloc((n ? n : 1) * sizeof(int64_t));
    parse_timestamps(args, nargs, n, out->valid, us);
    for (uint32_t i = 0; i < n; i++)
        out->data.i32[i] = (int32_t)floor_div(us[i], US_PER_DAY);
    free(us);
    return 0;
}

enum trunc_unit { TU_NONE, TU_YEAR, TU_QUARTER, TU_MONTH, TU_WEEK, TU_DAY, TU_HOUR, TU_MINUTE,
                  TU_SECOND, TU_MILLI, TU_MICRO };

static enum trunc_unit trunc_unit_of(strv s)
{
    static const struct {
        const char *name;
        enum trunc_unit u;
    } units[] = {
        {"year", TU_YEAR},     {"yyyy", TU_YEAR},      {"yy", TU_YEAR},
        {"quarter", TU_QUARTER}, {"month", TU_MONTH},  {"mon", TU_MONTH},
        {"mm", TU_MONTH},      {"week", TU_WEEK},      {"day", TU_DAY},
        {"dd", TU_DAY},        {"hour", TU_HOUR},      {"minute", TU_MINUTE},
        {"second", TU_SECOND}, {"millisecond", TU_MILLI}, {"microsecond", TU_MICRO},
    };
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (str_ieqn(s.ptr, s.len, units[k].name))
            return units[k].u;
    return TU_NONE;
}

static int64_t trunc_ts(int64_t us, enum trunc_unit u)
{
    int64_t days = floor_div(us, US_PER_DAY);
    int64_t y;
    unsigned m, d;
    switch (u) {
    case TU_YEAR:
    case TU_QUARTER:
    case TU_MONTH:
        civil_from_days(days, &y, &m, &d);
        if (u == TU_YEAR)
            m = 1;
        else if (u == TU_QUARTER)
            m = (m - 1) / 3 * 3 + 1;
        return days_from_civil(y, m, 1) * US_PER_DAY;
    case TU_WEEK: {
        int64_t dow = (days + 3) % 7; /* 0 = Monday; 1970-01-01 was a Thursday */
        if (dow < 0)
            dow += 7;
        return (days - dow) * US_PER_DAY;
    }
    case TU_DAY: return days * US_PER_DAY;
    case TU_HOUR: return floor_div(us, 3600 * US_PER_SEC) * 3600 * US_PER_SEC;
    case TU_MINUTE: return floor_div(us, 60 * US_PER_SEC) * 60 * US_PER_SEC;
    case TU_SECOND: return floor_div(us, US_PER_SEC) * US_PER_SEC;
    case TU_MILLI: return floor_div(us, 1000) * 1000;
    default: return us;
    }
}

int func_date_trunc(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                    eddy_error *err)
{
    const column *unit = &args[0], *ts = &args[1];
    enum trunc_unit u = TU_NONE;
    strv cur = {NULL, 0};
    bool have = false;
    for (uint32_t i = 0; i < n; i++) {
        out->data.i64[i] = 0;
        out->valid[i] = unit->valid[i] && ts->valid[i];
        if (!out->valid[i])
            continue;
        strv s = unit->data.s[i];
        if (!have || s.len != cur.len ||
            (s.ptr != cur.ptr && s.len && memcmp(s.ptr, cur.ptr, s.len) != 0)) {
            u = trunc_unit_of(s);
            cur = s;
            have = true;
        }
        if (u == TU_NONE)
            out->valid[i] = 0;
        else
            out->data.i64[i] = trunc_ts(ts->data.i64[i], u);
    }
    return 0;
}

enum date_part { DP_YEAR, DP_MONTH, DP_DAY };

static int date_part(const column *a, uint32_t n, column *out, enum date_part p)
{
    memcpy(out->valid, a->valid, n);
    for (uint32_t i = 0; i < n; i++) {
        int64_t y;
        unsigned m, d;
        civil_from_days(a->valid[i] ? a->data.i32[i] : 0, &y, &m, &d);
        out->data.i32[i] = p == DP_YEAR ? (int32_t)y : p == DP_MONTH ? (int32_t)m : (int32_t)d;
    }
    return 0;
}

int func_year(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
              eddy_error *err)
{
    return date_part(&args[0], n, out, DP_YEAR);
}

int func_month(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
               eddy_error *err)
{
    return date_part(&args[0], n, out, DP_MONTH);
}

int func_day(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
             eddy_error *err)
{
    return date_part(&args[0], n, out, DP_DAY);
}

/* Field of the time of day: unit_us is the field's size, mod how many fit
 * in the next larger field. */
static int time_part(const column *a, uint32_t n, column *out, int64_t unit_us, int64_t mod)
{
    memcpy(out->valid, a->valid, n);
    for (uint32_t i = 0; i < n; i++) {
        int64_t v = floor_div(a->data.i64[i], unit_us) % mod;
        out->data.i32[i] = (int32_t)(v < 0 ? v + mod : v);
    }
    return 0;
}

int func_hour(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
              eddy_error *err)
{
    return time_part(&args[0], n, out, 3600 * US_PER_SEC, 24);
}

int func_minute(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                eddy_error *err)
{
    return time_part(&args[0], n, out, 60 * US_PER_SEC, 60);
}

int func_second(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,
                eddy_error *err)
{
    return time_part(&args[0], n, out, US_PER_SEC, 60);
}

int func_current_timestamp(const column *args, int nargs, uint32_t n, column *out,
                           func_ctx *ctx, eddy_error *err)
{
    memset(out->valid, 1, n);
    for (uint32_t i = 0; i < n; i++)
        out->data.i64[i] = ctx->batch_time_us;
    return 0;
}
