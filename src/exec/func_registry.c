/* The scalar function table: one line per Spark function naming its argument
 * count, its type resolution (Spark's implicit casts) and its implementation
 * in func_string.c, func_math.c or func_time.c. */
#include <stdio.h>
#include <strings.h>

#include "exec/func.h"

/* Implementations (func_string.c, func_math.c, func_time.c); each follows
 * scalar_eval_fn. */
#define FUNC_EVAL(name)                                                                        \
    int name(const column *args, int nargs, uint32_t n, column *out, func_ctx *ctx,           \
             eddy_error *err)
FUNC_EVAL(func_upper);
FUNC_EVAL(func_lower);
FUNC_EVAL(func_length);
FUNC_EVAL(func_substring);
FUNC_EVAL(func_concat);
FUNC_EVAL(func_trim);
FUNC_EVAL(func_ltrim);
FUNC_EVAL(func_rtrim);
FUNC_EVAL(func_coalesce);
FUNC_EVAL(func_abs);
FUNC_EVAL(func_round);
FUNC_EVAL(func_floor);
FUNC_EVAL(func_ceil);
FUNC_EVAL(func_sqrt);
FUNC_EVAL(func_to_timestamp);
FUNC_EVAL(func_to_date);
FUNC_EVAL(func_date_trunc);
FUNC_EVAL(func_year);
FUNC_EVAL(func_month);
FUNC_EVAL(func_day);
FUNC_EVAL(func_hour);
FUNC_EVAL(func_minute);
FUNC_EVAL(func_second);
FUNC_EVAL(func_current_timestamp);

/* Spark's ImplicitTypeCasts.implicitCast (non-ANSI) for eddy's types. */
static int implicit_ok(type_id from, type_id to)
{
    if (from == to || from == TYPE_NULL)
        return 1;
    if (from == TYPE_WINDOW || to == TYPE_WINDOW)
        return 0;
    switch (to) {
    case TYPE_STRING:
        return 1;
    case TYPE_INT:
    case TYPE_BIGINT:
    case TYPE_DOUBLE:
        return type_is_numeric(from) || from == TYPE_STRING;
    case TYPE_DATE:
        return from == TYPE_STRING || from == TYPE_TIMESTAMP;
    case TYPE_TIMESTAMP:
        return from == TYPE_STRING || from == TYPE_DATE;
    default:
        return 0;
    }
}

static int mismatch(char *msg, int msgcap, int argno, const char *want, type_id got)
{
    snprintf(msg, (size_t)msgcap, "argument %d requires %s type, however it is of %s type",
             argno, want, type_name(got));
    return -1;
}

/* Sets want[i] = t for arguments [from, to) when the implicit cast exists. */
static int want_all(const type_id *argt, int from, int to, type_id *want, type_id t,
                    const char *tname, char *msg, int msgcap)
{
    for (int i = from; i < to; i++) {
        if (!implicit_ok(argt[i], t))
            return mismatch(msg, msgcap, i + 1, tname, argt[i]);
        want[i] = t;
    }
    return 0;
}

static int resolve_string_to_string(const type_id *argt, int nargs, type_id *want,
                                    type_id *ret, char *msg, int msgcap)
{
    *ret = TYPE_STRING;
    return want_all(argt, 0, nargs, want, TYPE_STRING, "string", msg, msgcap);
}

static int resolve_length(const type_id *argt, int nargs, type_id *want, type_id *ret,
                          char *msg, int msgcap)
{
    *ret = TYPE_INT;
    return want_all(argt, 0, nargs, want, TYPE_STRING, "string", msg, msgcap);
}

static int resolve_substring(const type_id *argt, int nargs, type_id *want, type_id *ret,
                             char *msg, int msgcap)
{
    *ret = TYPE_STRING;
    if (want_all(argt, 0, 1, want, TYPE_STRING, "string", msg, msgcap) < 0)
        return -1;
    return want_all(argt, 1, nargs, want, TYPE_INT, "int", msg, msgcap);
}

/* Spark's findWiderCommonType for coalesce: numeric widening, date and
 * timestamp to timestamp, and any atomic type with string to string. */
static int resolve_coalesce(const type_id *argt, int nargs, type_id *want, type_id *ret,
                            char *msg, int msgcap)
{
    type_id t = TYPE_NULL;
    for (int i = 0; i < nargs; i++) {
        type_id a = argt[i];
        if (a == TYPE_NULL || a == t)
            continue;
        if (t == TYPE_NULL) {
            t = a;
        } else if (type_is_numeric(t) && type_is_numeric(a)) {
            t = (t == TYPE_DOUBLE || a == TYPE_DOUBLE)   ? TYPE_DOUBLE
                : (t == TYPE_BIGINT || a == TYPE_BIGINT) ? TYPE_BIGINT
                                                         : TYPE_INT;
        } else if ((t == TYPE_DATE && a == TYPE_TIMESTAMP) ||
                   (t == TYPE_TIMESTAMP && a == TYPE_DATE)) {
            t = TYPE_TIMESTAMP;
        } else if ((t == TYPE_STRING || a == TYPE_STRING) && t != TYPE_WINDOW &&
                   a != TYPE_WINDOW) {
            t = TYPE_STRING;
        } else {
            snprintf(msg, (size_t)msgcap, "input to coalesce should all be the same type, "
                     "but it's [%s, %s]", type_name(t), type_name(a));
            return -1;
        }
    }
    for (int i = 0; i < nargs; i++)
        want[i] = t;
    *ret = t;
    return 0;
}

/* A numeric argument keeps its type; string and NULL become double. */
static int numeric_arg(const type_id *argt, int i, type_id *want, char *msg, int msgcap)
{
    if (type_is_numeric(argt[i])) {
        want[i] = argt[i];
        return 0;
    }
    if (argt[i] == TYPE_STRING || argt[i] == TYPE_NULL) {
        want[i] = TYPE_DOUBLE;
        return 0;
    }
    return mismatch(msg, msgcap, i + 1, "numeric", argt[i]);
}

static int resolve_abs(const type_id *argt, int nargs, type_id *want, type_id *ret, char *msg,
                       int msgcap)
{
    if (numeric_arg(argt, 0, want, msg, msgcap) < 0)
        return -1;
    *ret = want[0];
    return 0;
}

static int resolve_round(const type_id *argt, int nargs, type_id *want, type_id *ret,
                         char *msg, int msgcap)
{
    if (numeric_arg(argt, 0, want, msg, msgcap) < 0)
        return -1;
    if (nargs > 1 && argt[1] != TYPE_INT && argt[1] != TYPE_BIGINT && argt[1] != TYPE_NULL)
        return mismatch(msg, msgcap, 2, "int", argt[1]);
    if (nargs > 1)
        want[1] = TYPE_INT;
    *ret = want[0];
    return 0;
}

static int resolve_floor_ceil(const type_id *argt, int nargs, type_id *want, type_id *ret,
                              char *msg, int msgcap)
{
    if (numeric_arg(argt, 0, want, msg, msgcap) < 0)
        return -1;
    if (want[0] == TYPE_INT)
        want[0] = TYPE_BIGINT;
    *ret = TYPE_BIGINT;
    return 0;
}

static int resolve_sqrt(const type_id *argt, int nargs, type_id *want, type_id *ret, char *msg,
                        int msgcap)
{
    *ret = TYPE_DOUBLE;
    return want_all(argt, 0, 1, want, TYPE_DOUBLE, "double", msg, msgcap);
}

/* to_timestamp/to_date: a timestamp or date passes through as a timestamp;
 * anything else is parsed as text; the format is a string. */
static int resolve_parse(const type_id *argt, int nargs, type_id *want, char *msg, int msgcap)
{
    if (argt[0] == TYPE_TIMESTAMP || argt[0] == TYPE_DATE)
        want[0] = TYPE_TIMESTAMP;
    else if (want_all(argt, 0, 1, want, TYPE_STRING, "string", msg, msgcap) < 0)
        return -1;
    return want_all(argt, 1, nargs, want, TYPE_STRING, "string", msg, msgcap);
}

static int resolve_to_timestamp(const type_id *argt, int nargs, type_id *want, type_id *ret,
                                char *msg, int msgcap)
{
    *ret = TYPE_TIMESTAMP;
    return resolve_parse(argt, nargs, want, msg, msgcap);
}

static int resolve_to_date(const type_id *argt, int nargs, type_id *want, type_id *ret,
                           char *msg, int msgcap)
{
    *ret = TYPE_DATE;
    return resolve_parse(argt, nargs, want, msg, msgcap);
}

static int resolve_date_trunc(const type_id *argt, int nargs, type_id *want, type_id *ret,
                              char *msg, int msgcap)
{
    *ret = TYPE_TIMESTAMP;
    if (want_all(argt, 0, 1, want, TYPE_STRING, "string", msg, msgcap) < 0)
        return -1;
    return want_all(argt, 1, 2, want, TYPE_TIMESTAMP, "timestamp", msg, msgcap);
}

/* year/month/day take a date (timestamps and strings are cast to date). */
static int resolve_date_part(const type_id *argt, int nargs, type_id *want, type_id *ret,
                             char *msg, int msgcap)
{
    *ret = TYPE_INT;
    return want_all(argt, 0, 1, want, TYPE_DATE, "date", msg, msgcap);
}

/* hour/minute/second take a timestamp (dates and strings are cast). */
static int resolve_time_part(const type_id *argt, int nargs, type_id *want, type_id *ret,
                             char *msg, int msgcap)
{
    *ret = TYPE_INT;
    return want_all(argt, 0, 1, want, TYPE_TIMESTAMP, "timestamp", msg, msgcap);
}

static int resolve_now(const type_id *argt, int nargs, type_id *want, type_id *ret, char *msg,
                       int msgcap)
{
    *ret = TYPE_TIMESTAMP;
    return 0;
}

/* name, min args, max args (-1: any), resolve, eval */
#define FUNC_TABLE(X)                                                                          \
    X("upper", 1, 1, resolve_string_to_string, func_upper)                                     \
    X("ucase", 1, 1, resolve_string_to_string, func_upper)                                     \
    X("lower", 1, 1, resolve_string_to_string, func_lower)                                     \
    X("lcase", 1, 1, resolve_string_to_string, func_lower)                                     \
    X("length", 1, 1, resolve_length, func_length)                                             \
    X("char_length", 1, 1, resolve_length, func_length)                                        \
    X("character_length", 1, 1, resolve_length, func_length)                                   \
    X("substring", 2, 3, resolve_substring, func_substring)                                    \
    X("substr", 2, 3, resolve_substring, func_substring)                                       \
    X("concat", 0, -1, resolve_string_to_string, func_concat)                                  \
    X("trim", 1, 2, resolve_string_to_string, func_trim)                                       \
    X("ltrim", 1, 2, resolve_string_to_string, func_ltrim)                                     \
    X("rtrim", 1, 2, resolve_string_to_string, func_rtrim)                                     \
    X("coalesce", 1, -1, resolve_coalesce, func_coalesce)                                      \
    X("abs", 1, 1, resolve_abs, func_abs)                                                      \
    X("round", 1, 2, resolve_round, func_round)                                                \
    X("floor", 1, 1, resolve_floor_ceil, func_floor)                                           \
    X("ceil", 1, 1, resolve_floor_ceil, func_ceil)                                             \
    X("ceiling", 1, 1, resolve_floor_ceil, func_ceil)                                          \
    X("sqrt", 1, 1, resolve_sqrt, func_sqrt)                                                   \
    X("to_timestamp", 1, 2, resolve_to_timestamp, func_to_timestamp)                           \
    X("to_date", 1, 2, resolve_to_date, func_to_date)                                          \
    X("date_trunc", 2, 2, resolve_date_trunc, func_date_trunc)                                 \
    X("year", 1, 1, resolve_date_part, func_year)                                              \
    X("month", 1, 1, resolve_date_part, func_month)                                            \
    X("day", 1, 1, resolve_date_part, func_day)                                                \
    X("dayofmonth", 1, 1, resolve_date_part, func_day)                                         \
    X("hour", 1, 1, resolve_time_part, func_hour)                                              \
    X("minute", 1, 1, resolve_time_part, func_minute)                                          \
    X("second", 1, 1, resolve_time_part, func_second)                                          \
    X("current_timestamp", 0, 0, resolve_now, func_current_timestamp)                          \
    X("now", 0, 0, resolve_now, func_current_timestamp)

#define FUNC_ENTRY(nm, lo, hi, res, ev) {.name = nm, .min_args = lo, .max_args = hi,        \
                                         .resolve = res, .eval = ev},
#define FUNC_NAME(nm, lo, hi, res, ev) nm,

static const scalar_func funcs[] = {FUNC_TABLE(FUNC_ENTRY)};
static const char *const names[] = {FUNC_TABLE(FUNC_NAME) NULL};

const scalar_func *func_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
        if (strcasecmp(funcs[i].name, name) == 0)
            return &funcs[i];
    return NULL;
}

const char *const *func_names(void)
{
    return names;
}
