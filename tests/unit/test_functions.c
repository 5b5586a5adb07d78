/* Scalar functions through the registry (with their implicit casts) and
 * pattern-based timestamp parsing. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/timefmt.h"
#include "core/types.h"
#include "exec/expr_eval.h"
#include "exec/func.h"

#define BATCH_TIME 1704067200123456LL

static arena *A;
static batch *B1; /* one row, no columns */

static int setup(void **state)
{
    A = arena_new(0);
    B1 = batch_new(0, NULL, 1);
    B1->nrows = 1;
    return 0;
}

static int teardown(void **state)
{
    arena_free(A);
    batch_free(B1);
    return 0;
}

static int64_t ts(int64_t y, unsigned mo, unsigned d, int h, int mi, int s, int64_t us)
{
    return (days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * 1000000 + us;
}

static expr *mk(expr_kind k, type_id t)
{
    expr *e = arena_calloc(A, sizeof *e);
    e->kind = k;
    e->type = t;
    return e;
}

static expr *lit_i(int32_t x)
{
    expr *e = mk(EXPR_LITERAL, TYPE_INT);
    e->lit.type = TYPE_INT;
    e->lit.v.i32 = x;
    return e;
}

static expr *lit_l(int64_t x, type_id t)
{
    expr *e = mk(EXPR_LITERAL, t);
    e->lit.type = t;
    e->lit.v.i64 = x;
    return e;
}

static expr *lit_d(double x)
{
    expr *e = mk(EXPR_LITERAL, TYPE_DOUBLE);
    e->lit.type = TYPE_DOUBLE;
    e->lit.v.f64 = x;
    return e;
}

static expr *lit_date(int32_t d)
{
    expr *e = mk(EXPR_LITERAL, TYPE_DATE);
    e->lit.type = TYPE_DATE;
    e->lit.v.i32 = d;
    return e;
}

static expr *lit_s(const char *s)
{
    expr *e = mk(EXPR_LITERAL, TYPE_STRING);
    e->lit.type = TYPE_STRING;
    e->lit.v.s = (strv){arena_strndup(A, s, strlen(s)), (uint32_t)strlen(s)};
    return e;
}

static expr *lit_null(type_id t)
{
    expr *e = mk(EXPR_LITERAL, t);
    e->lit.type = t;
    e->lit.is_null = true;
    return e;
}

/* A bound call: looks the function up and types it with its resolver. */
static expr *call(const char *name, int n, ...)
{
    expr *e = mk(EXPR_CALL, TYPE_NULL);
    e->name = name;
    e->fn = func_lookup(name);
    assert_non_null(e->fn);
    assert_true(n >= e->fn->min_args && (e->fn->max_args < 0 || n <= e->fn->max_args));
    e->args = arena_alloc(A, sizeof(expr *) * (size_t)(n ? n : 1));
    e->nargs = n;
    type_id argt[8], want[8];
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        e->args[i] = va_arg(ap, expr *);
        argt[i] = want[i] = e->args[i]->type;
    }
    va_end(ap);
    char msg[200];
    if (e->fn->resolve(argt, n, want, &e->type, msg, sizeof msg) < 0)
        fail_msg("%s: %s", name, msg);
    return e;
}

static int resolve_fails(const char *name, int n, const type_id *argt, char *msg)
{
    const scalar_func *f = func_lookup(name);
    type_id want[8], ret;
    memcpy(want, argt, sizeof(type_id) * (size_t)n);
    return f->resolve(argt, n, want, &ret, msg, 200) < 0;
}

static value ev1(expr *e)
{
    column c;
    eddy_error err;
    func_ctx ctx = {B1->arena, BATCH_TIME};
    if (expr_eval(e, B1, &ctx, &c, &err))
        fail_msg("eval failed: %s", err.message);
    value v = column_get(&c, 0);
    column_free(&c);
    return v;
}

static void chk_null(value v)
{
    assert_true(v.is_null);
}

static void chk_str(value v, const char *s)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, TYPE_STRING);
    if (v.v.s.len != strlen(s) || memcmp(v.v.s.ptr, s, v.v.s.len) != 0)
        fail_msg("got '%.*s', want '%s'", (int)v.v.s.len, v.v.s.ptr, s);
}

static void chk_i32(value v, int32_t x)
{
    assert_false(v.is_null);
    assert_int_equal(v.v.i32, x);
}

static void chk_i64(value v, type_id t, int64_t x)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, t);
    if (v.v.i64 != x)
        fail_msg("got %lld, want %lld", (long long)v.v.i64, (long long)x);
}

static void chk_f64(value v, double x)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, TYPE_DOUBLE);
    if (v.v.f64 != x)
        fail_msg("got %.17g, want %.17g", v.v.f64, x);
}

/* ---- registry ------------------------------------------------------------- */

static void test_registry(void **state)
{
    assert_non_null(func_lookup("Upper"));
    assert_ptr_equal(func_lookup("SUBSTR")->eval, func_lookup("substring")->eval);
    assert_null(func_lookup("no_such_fn"));
    assert_null(func_lookup("count"));
    const char *const *names = func_names();
    int n = 0, found = 0;
    for (; names[n]; n++)
        found += strcmp(names[n], "date_trunc") == 0;
    assert_int_equal(found, 1);
    assert_true(n >= 24);
    char msg[200];
    type_id w = TYPE_WINDOW, b = TYPE_BOOLEAN;
    assert_true(resolve_fails("upper", 1, &w, msg));
    assert_non_null(strstr(msg, "string"));
    assert_true(resolve_fails("abs", 1, &b, msg));
    assert_true(resolve_fails("year", 1, &b, msg));
    type_id cw[2] = {TYPE_WINDOW, TYPE_INT};
    assert_true(resolve_fails("coalesce", 2, cw, msg));
}

/* ---- strings ---------------------------------------------------------------- */

static void test_upper_lower_length(void **state)
{
    chk_str(ev1(call("upper", 1, lit_s("abc Def"))), "ABC DEF");
    chk_str(ev1(call("upper", 1, lit_s("stra\xc3\x9f" "e"))), "STRASSE");
    chk_str(ev1(call("upper", 1, lit_s("\xc3\xa9t\xc3\xa9"))), "\xc3\x89T\xc3\x89");
    chk_str(ev1(call("upper", 1, lit_i(123))), "123");
    chk_null(ev1(call("upper", 1, lit_null(TYPE_STRING))));
    chk_str(ev1(call("lower", 1, lit_s("\xc3\x89" "COLE"))), "\xc3\xa9" "cole");
    /* ΟΔΟΣ -> οδος with a final sigma, as Java lower-cases it */
    chk_str(ev1(call("lower", 1, lit_s("\xce\x9f\xce\x94\xce\x9f\xce\xa3"))),
            "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
    chk_str(ev1(call("lower", 1, lit_s("\xd0\x9c\xd0\x98\xd0\xa0"))), "\xd0\xbc\xd0\xb8\xd1\x80");
    chk_str(ev1(call("lcase", 1, lit_s("MiXeD"))), "mixed");
    value v = ev1(call("length", 1, lit_s("h\xc3\xa9llo")));
    assert_int_equal(v.type, TYPE_INT);
    chk_i32(v, 5);
    chk_i32(ev1(call("length", 1, lit_s(""))), 0);
    chk_i32(ev1(call("length", 1, lit_i(-123))), 4);
    chk_null(ev1(call("length", 1, lit_null(TYPE_STRING))));
}

static void test_substring(void **state)
{
    chk_str(ev1(call("substring", 2, lit_s("Spark SQL"), lit_i(5))), "k SQL");
    chk_str(ev1(call("substring", 2, lit_s("Spark SQL"), lit_i(-3))), "SQL");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(5), lit_i(1))), "k");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(0), lit_i(3))), "Spa");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(1), lit_i(3))), "Spa");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(-3), lit_i(2))), "SQ");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(-100), lit_i(3))), "");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(-10), lit_i(3))), "Sp");
    chk_str(ev1(call("substring", 2, lit_s("Spark SQL"), lit_i(20))), "");
    chk_str(ev1(call("substring", 3, lit_s("Spark SQL"), lit_i(1), lit_i(-1))), "");
    chk_str(ev1(call("substr", 3, lit_s("h\xc3\xa9llo"), lit_i(2), lit_i(2))), "\xc3\xa9l");
    chk_str(ev1(call("substr", 3, lit_s("Spark"), lit_s("2"), lit_l(2, TYPE_BIGINT))), "pa");
    chk_str(ev1(call("substr", 2, lit_i(12345), lit_i(3))), "345");
    chk_null(ev1(call("substring", 2, lit_s("Spark"), lit_null(TYPE_INT))));
}

static void test_concat_trim(void **state)
{
    chk_str(ev1(call("concat", 3, lit_s("a"), lit_s("b"), lit_s("c"))), "abc");
    chk_str(ev1(call("concat", 2, lit_i(1), lit_s("x"))), "1x");
    chk_null(ev1(call("concat", 2, lit_s("a"), lit_null(TYPE_STRING))));
    chk_str(ev1(call("concat", 0)), "");
    chk_str(ev1(call("trim", 1, lit_s("  a b  "))), "a b");
    chk_str(ev1(call("ltrim", 1, lit_s("  a b  "))), "a b  ");
    chk_str(ev1(call("rtrim", 1, lit_s("  a b  "))), "  a b");
    chk_str(ev1(call("trim", 1, lit_s("\ta\t"))), "\ta\t"); /* spaces only */
    chk_str(ev1(call("trim", 1, lit_s("   "))), "");
    chk_str(ev1(call("trim", 2, lit_s("xy"), lit_s("xyaxyx"))), "a");
    chk_str(ev1(call("ltrim", 2, lit_s("\xc3\xa9"), lit_s("\xc3\xa9\xc3\xa9" "a\xc3\xa9"))),
            "a\xc3\xa9");
    chk_null(ev1(call("trim", 1, lit_null(TYPE_STRING))));

    /* column form with NULLs: strings point into the input or the arena */
    type_id t[2] = {TYPE_STRING, TYPE_STRING};
    batch *b = batch_new(2, t, 3);
    const char *x[3] = {"ab", NULL, " c "}, *y[3] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++) {
        b->cols[0].valid[i] = x[i] != NULL;
        b->cols[0].data.s[i] = x[i] ? (strv){x[i], (uint32_t)strlen(x[i])} : (strv){NULL, 0};
        b->cols[1].valid[i] = 1;
        b->cols[1].data.s[i] = (strv){y[i], 1};
    }
    b->nrows = 3;
    expr *c0 = mk(EXPR_COLUMN, TYPE_STRING), *c1 = mk(EXPR_COLUMN, TYPE_STRING);
    c1->column = 1;
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(call("concat", 2, call("trim", 1, c0), c1), b, NULL, &c, &err), 0);
    assert_true(c.valid[0] && c.data.s[0].len == 3 && memcmp(c.data.s[0].ptr, "ab1", 3) == 0);
    assert_false(c.valid[1]);
    assert_true(c.valid[2] && c.data.s[2].len == 2 && memcmp(c.data.s[2].ptr, "c3", 2) == 0);
    column_free(&c);
    batch_free(b);
}

static void test_coalesce(void **state)
{
    value v = ev1(call("coalesce", 3, lit_null(TYPE_INT), lit_i(2), lit_i(3)));
    assert_int_equal(v.type, TYPE_INT);
    chk_i32(v, 2);
    chk_f64(ev1(call("coalesce", 2, lit_null(TYPE_INT), lit_d(2.5))), 2.5);
    chk_f64(ev1(call("coalesce", 2, lit_i(1), lit_d(2.5))), 1.0);
    chk_str(ev1(call("coalesce", 2, lit_i(1), lit_s("x"))), "1");
    chk_str(ev1(call("coalesce", 2, lit_null(TYPE_NULL), lit_s("x"))), "x");
    chk_null(ev1(call("coalesce", 2, lit_null(TYPE_NULL), lit_null(TYPE_INT))));
    chk_i64(ev1(call("coalesce", 2, lit_null(TYPE_TIMESTAMP), lit_date(1))), TYPE_TIMESTAMP,
            86400000000LL);
}

/* ---- math -------------------------------------------------------------------- */

static void test_abs_sqrt_floor_ceil(void **state)
{
    chk_i32(ev1(call("abs", 1, lit_i(-5))), 5);
    chk_i32(ev1(call("abs", 1, lit_i(INT32_MIN))), INT32_MIN); /* wraps */
    chk_i64(ev1(call("abs", 1, lit_l(-7, TYPE_BIGINT))), TYPE_BIGINT, 7);
    chk_f64(ev1(call("abs", 1, lit_d(-2.5))), 2.5);
    chk_f64(ev1(call("abs", 1, lit_s("-1.5"))), 1.5);
    chk_null(ev1(call("abs", 1, lit_null(TYPE_NULL))));
    chk_f64(ev1(call("sqrt", 1, lit_i(4))), 2.0);
    chk_f64(ev1(call("sqrt", 1, lit_s("9"))), 3.0);
    value v = ev1(call("sqrt", 1, lit_d(-1)));
    assert_false(v.is_null);
    assert_true(isnan(v.v.f64));
    chk_i64(ev1(call("floor", 1, lit_d(-1.5))), TYPE_BIGINT, -2);
    chk_i64(ev1(call("floor", 1, lit_d(1.9))), TYPE_BIGINT, 1);
    chk_i64(ev1(call("floor", 1, lit_i(5))), TYPE_BIGINT, 5);
    chk_i64(ev1(call("floor", 1, lit_s("2.7"))), TYPE_BIGINT, 2);
    chk_i64(ev1(call("ceil", 1, lit_d(1.2))), TYPE_BIGINT, 2);
    chk_i64(ev1(call("ceil", 1, lit_d(-0.5))), TYPE_BIGINT, 0);
    chk_i64(ev1(call("ceiling", 1, lit_d(1e30))), TYPE_BIGINT, INT64_MAX);
    chk_i64(ev1(call("ceil", 1, lit_d(NAN))), TYPE_BIGINT, 0);
    chk_i64(ev1(call("ceil", 1, lit_l(-3, TYPE_BIGINT))), TYPE_BIGINT, -3);
}

static void test_round(void **state)
{
    chk_f64(ev1(call("round", 1, lit_d(2.5))), 3.0);
    chk_f64(ev1(call("round", 1, lit_d(-2.5))), -3.0);
    chk_f64(ev1(call("round", 1, lit_d(0.5))), 1.0);
    chk_f64(ev1(call("round", 1, lit_d(1.4999))), 1.0);
    /* HALF_UP on the decimal Java prints, not on the binary value */
    chk_f64(ev1(call("round", 2, lit_d(2.675), lit_i(2))), 2.68);
    chk_f64(ev1(call("round", 2, lit_d(1.005), lit_i(2))), 1.01);
    chk_f64(ev1(call("round", 2, lit_d(0.285), lit_i(2))), 0.29);
    chk_f64(ev1(call("round", 2, lit_d(-0.285), lit_i(2))), -0.29);
    chk_f64(ev1(call("round", 2, lit_d(1.23456789), lit_i(4))), 1.2346);
    chk_f64(ev1(call("round", 2, lit_d(123.456), lit_i(-1))), 120.0);
    chk_f64(ev1(call("round", 2, lit_d(155.0), lit_i(-1))), 160.0);
    chk_f64(ev1(call("round", 2, lit_d(9.995), lit_i(2))), 10.0);
    chk_f64(ev1(call("round", 2, lit_d(0.1), lit_i(5))), 0.1);
    chk_f64(ev1(call("round", 2, lit_d(1e300), lit_i(2))), 1e300);
    value z = ev1(call("round", 1, lit_d(-0.4)));
    chk_f64(z, 0.0);
    assert_false(signbit(z.v.f64));
    value nan = ev1(call("round", 1, lit_d(NAN)));
    assert_true(isnan(nan.v.f64));
    value i = ev1(call("round", 1, lit_i(5)));
    assert_int_equal(i.type, TYPE_INT);
    chk_i32(i, 5);
    chk_i32(ev1(call("round", 2, lit_i(15), lit_i(-1))), 20);
    chk_i32(ev1(call("round", 2, lit_i(-15), lit_i(-1))), -20);
    chk_i32(ev1(call("round", 2, lit_i(14), lit_i(-1))), 10);
    chk_i64(ev1(call("round", 2, lit_l(1234567, TYPE_BIGINT), lit_i(-3))), TYPE_BIGINT, 1235000);
    chk_i64(ev1(call("round", 2, lit_l(5, TYPE_BIGINT), lit_i(-25))), TYPE_BIGINT, 0);
    chk_f64(ev1(call("round", 2, lit_s("2.345"), lit_i(2))), 2.35);
    chk_null(ev1(call("round", 2, lit_d(1.5), lit_null(TYPE_INT))));
}

/* ---- time --------------------------------------------------------------------- */

static void test_to_timestamp(void **state)
{
    int64_t t0 = ts(2024, 1, 1, 10, 0, 0, 0);
    chk_i64(ev1(call("to_timestamp", 1, lit_s("2024-01-01 10:00:00"))), TYPE_TIMESTAMP, t0);
    chk_i64(ev1(call("to_timestamp", 1, lit_s("2024-01-01T10:00:00.25Z"))), TYPE_TIMESTAMP,
            t0 + 250000);
    chk_null(ev1(call("to_timestamp", 1, lit_s("not a time"))));
    chk_i64(ev1(call("to_timestamp", 2, lit_s("2024/01/01 10:30"), lit_s("yyyy/MM/dd HH:mm"))),
            TYPE_TIMESTAMP, t0 + 1800000000LL);
    chk_null(ev1(call("to_timestamp", 2, lit_s("2024-01-01 10:30"), lit_s("yyyy/MM/dd HH:mm"))));
    chk_i64(ev1(call("to_timestamp", 2, lit_s("05-Jan-2024 02:30 PM"),
                     lit_s("dd-MMM-yyyy hh:mm a"))),
            TYPE_TIMESTAMP, ts(2024, 1, 5, 14, 30, 0, 0));
    chk_null(ev1(call("to_timestamp", 2, lit_s("2024-01-01"), lit_null(TYPE_STRING))));
    chk_i64(ev1(call("to_timestamp", 1, lit_l(t0, TYPE_TIMESTAMP))), TYPE_TIMESTAMP, t0);
    chk_i64(ev1(call("to_timestamp", 1, lit_date(19723))), TYPE_TIMESTAMP, ts(2024, 1, 1, 0, 0, 0, 0));
    value d = ev1(call("to_date", 1, lit_s("2024-01-02")));
    assert_int_equal(d.type, TYPE_DATE);
    chk_i32(d, 19724);
    chk_i32(ev1(call("to_date", 2, lit_s("02/01/2024 23:59"), lit_s("dd/MM/yyyy HH:mm"))), 19724);
    chk_i32(ev1(call("to_date", 1, lit_l(-1, TYPE_TIMESTAMP))), -1);
    chk_null(ev1(call("to_date", 1, lit_s("soon"))));

    /* a per-row format column */
    type_id t[2] = {TYPE_STRING, TYPE_STRING};
    batch *b = batch_new(2, t, 3);
    const char *s[3] = {"2024-01-01", "01/02/2024", "2024-01-03"};
    const char *f[3] = {"yyyy-MM-dd", "MM/dd/yyyy", "MM/dd/yyyy"};
    for (int i = 0; i < 3; i++) {
        b->cols[0].data.s[i] = (strv){s[i], (uint32_t)strlen(s[i])};
        b->cols[1].data.s[i] = (strv){f[i], (uint32_t)strlen(f[i])};
        b->cols[0].valid[i] = b->cols[1].valid[i] = 1;
    }
    b->nrows = 3;
    expr *c0 = mk(EXPR_COLUMN, TYPE_STRING), *c1 = mk(EXPR_COLUMN, TYPE_STRING);
    c1->column = 1;
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(call("to_timestamp", 2, c0, c1), b, NULL, &c, &err), 0);
    assert_true(c.valid[0] && c.data.i64[0] == ts(2024, 1, 1, 0, 0, 0, 0));
    assert_true(c.valid[1] && c.data.i64[1] == ts(2024, 1, 2, 0, 0, 0, 0));
    assert_false(c.valid[2]);
    column_free(&c);
    batch_free(b);
}

static void test_date_trunc(void **state)
{
    int64_t t = ts(2024, 5, 15, 13, 45, 30, 123456); /* a Wednesday */
    static const struct {
        const char *unit;
        int y, mo, d, h, mi, s, us;
    } cases[] = {
        {"year", 2024, 1, 1, 0, 0, 0, 0},       {"YYYY", 2024, 1, 1, 0, 0, 0, 0},
        {"yy", 2024, 1, 1, 0, 0, 0, 0},         {"quarter", 2024, 4, 1, 0, 0, 0, 0},
        {"month", 2024, 5, 1, 0, 0, 0, 0},      {"mon", 2024, 5, 1, 0, 0, 0, 0},
        {"MM", 2024, 5, 1, 0, 0, 0, 0},         {"week", 2024, 5, 13, 0, 0, 0, 0},
        {"day", 2024, 5, 15, 0, 0, 0, 0},       {"dd", 2024, 5, 15, 0, 0, 0, 0},
        {"HOUR", 2024, 5, 15, 13, 0, 0, 0},     {"minute", 2024, 5, 15, 13, 45, 0, 0},
        {"second", 2024, 5, 15, 13, 45, 30, 0}, {"millisecond", 2024, 5, 15, 13, 45, 30, 123000},
        {"microsecond", 2024, 5, 15, 13, 45, 30, 123456},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        value v = ev1(call("date_trunc", 2, lit_s(cases[i].unit), lit_l(t, TYPE_TIMESTAMP)));
        int64_t want = ts(cases[i].y, (unsigned)cases[i].mo, (unsigned)cases[i].d, cases[i].h,
                          cases[i].mi, cases[i].s, cases[i].us);
        if (v.is_null || v.v.i64 != want)
            fail_msg("date_trunc('%s') wrong", cases[i].unit);
    }
    chk_null(ev1(call("date_trunc", 2, lit_s("fortnight"), lit_l(t, TYPE_TIMESTAMP))));
    chk_i64(ev1(call("date_trunc", 2, lit_s("day"), lit_l(-1, TYPE_TIMESTAMP))), TYPE_TIMESTAMP,
            -86400000000LL);
    chk_i64(ev1(call("date_trunc", 2, lit_s("week"), lit_s("1970-01-01 12:00:00"))),
            TYPE_TIMESTAMP, ts(1969, 12, 29, 0, 0, 0, 0));
    chk_i64(ev1(call("date_trunc", 2, lit_s("quarter"), lit_date(19723 + 59))), TYPE_TIMESTAMP,
            ts(2024, 1, 1, 0, 0, 0, 0));
}

static void test_date_parts(void **state)
{
    expr *t = lit_l(ts(2024, 5, 15, 13, 45, 30, 500000), TYPE_TIMESTAMP);
    chk_i32(ev1(call("year", 1, t)), 2024);
    chk_i32(ev1(call("month", 1, t)), 5);
    chk_i32(ev1(call("day", 1, t)), 15);
    chk_i32(ev1(call("dayofmonth", 1, t)), 15);
    chk_i32(ev1(call("hour", 1, t)), 13);
    chk_i32(ev1(call("minute", 1, t)), 45);
    chk_i32(ev1(call("second", 1, t)), 30);
    chk_i32(ev1(call("year", 1, lit_date(19723))), 2024);
    chk_i32(ev1(call("hour", 1, lit_date(19723))), 0);
    chk_i32(ev1(call("year", 1, lit_s("2023-07-04"))), 2023);
    chk_i32(ev1(call("month", 1, lit_s("2023-07-04 10:00:00"))), 7);
    chk_i32(ev1(call("hour", 1, lit_s("2024-01-02 03:04:05"))), 3);
    chk_null(ev1(call("year", 1, lit_s("garbage"))));
    expr *neg = lit_l(-1, TYPE_TIMESTAMP);
    chk_i32(ev1(call("year", 1, neg)), 1969);
    chk_i32(ev1(call("month", 1, neg)), 12);
    chk_i32(ev1(call("day", 1, neg)), 31);
    chk_i32(ev1(call("hour", 1, neg)), 23);
    chk_i32(ev1(call("minute", 1, neg)), 59);
    chk_i32(ev1(call("second", 1, neg)), 59);
    chk_null(ev1(call("second", 1, lit_null(TYPE_TIMESTAMP))));
    chk_i64(ev1(call("current_timestamp", 0)), TYPE_TIMESTAMP, BATCH_TIME);
    chk_i64(ev1(call("now", 0)), TYPE_TIMESTAMP, BATCH_TIME);
}

/* ---- ts_parse_fmt -------------------------------------------------------------- */

static int64_t pf(const char *s, const char *fmt)
{
    int64_t out = 0;
    if (ts_parse_fmt(s, strlen(s), fmt, &out) != 0)
        fail_msg("'%s' with '%s' did not parse", s, fmt);
    return out;
}

static bool pf_fails(const char *s, const char *fmt)
{
    int64_t out;
    return ts_parse_fmt(s, strlen(s), fmt, &out) != 0;
}

static void test_ts_parse_fmt(void **state)
{
    int64_t t = ts(2024, 1, 5, 14, 30, 15, 0);
    assert_true(pf("2024-01-05 14:30:15", "yyyy-MM-dd HH:mm:ss") == t);
    assert_true(pf("2024-1-5 14:30:15", "yyyy-M-d H:m:s") == t);
    assert_true(pf_fails("2024-1-5", "yyyy-MM-dd"));
    assert_true(pf("05/01/24", "dd/MM/yy") == ts(2024, 1, 5, 0, 0, 0, 0));
    assert_true(pf("Jan 5, 2024", "MMM d, yyyy") == ts(2024, 1, 5, 0, 0, 0, 0));
    assert_true(pf("jan 5, 2024", "MMM d, yyyy") == ts(2024, 1, 5, 0, 0, 0, 0));
    assert_true(pf("September 5, 2024", "MMMM d, yyyy") == ts(2024, 9, 5, 0, 0, 0, 0));
    assert_true(pf_fails("Sept 5, 2024", "MMM d, yyyy"));
    assert_true(pf("2024-01-05T14:30:15.123Z", "yyyy-MM-dd'T'HH:mm:ss.SSSX") == t + 123000);
    assert_true(pf("2024-01-05T15:30:15+01:00", "yyyy-MM-dd'T'HH:mm:ssXXX") == t);
    assert_true(pf("2024-01-05T14:30:15Z", "yyyy-MM-dd'T'HH:mm:ssXXX") == t);
    assert_true(pf("2024-01-05T13:30:15-0100", "yyyy-MM-dd'T'HH:mm:ssZ") == t);
    assert_true(pf("2024-01-05T16:30:15+02", "yyyy-MM-dd'T'HH:mm:ssX") == t);
    assert_true(pf_fails("2024-01-05T14:30:15Z", "yyyy-MM-dd'T'HH:mm:ssZ"));
    assert_true(pf("2024-01-05 14:30:15.1", "yyyy-MM-dd HH:mm:ss.SSS") == t + 100000);
    assert_true(pf("2024-01-05 14:30:15.123456", "yyyy-MM-dd HH:mm:ss.SSSSSS") == t + 123456);
    assert_true(pf_fails("2024-01-05 14:30:15.1234", "yyyy-MM-dd HH:mm:ss.SSS"));
    assert_true(pf("02:30 PM", "hh:mm a") == ts(1970, 1, 1, 14, 30, 0, 0));
    assert_true(pf("12:00 am", "hh:mm a") == 0);
    assert_true(pf("12:00 PM", "hh:mm a") == ts(1970, 1, 1, 12, 0, 0, 0));
    assert_true(pf("12:00", "hh:mm") == 0); /* no a: AM assumed */
    assert_true(pf_fails("13:00", "hh:mm"));
    assert_true(pf("2024-01-05", "yyyy-MM-dd[ HH:mm:ss]") == ts(2024, 1, 5, 0, 0, 0, 0));
    assert_true(pf("2024-01-05 14:30:15", "yyyy-MM-dd[ HH:mm:ss]") == t);
    assert_true(pf_fails("2024-01-05 14:30", "yyyy-MM-dd[ HH:mm:ss]"));
    assert_true(pf("2024-01-05 14:30", "yyyy-MM-dd[ HH:mm[:ss]]") == t - 15000000);
    assert_true(pf("2024-01-05 at 14h", "yyyy-MM-dd 'at' HH'h'") == ts(2024, 1, 5, 14, 0, 0, 0));
    assert_true(pf("it's 2024", "'it''s' yyyy") == ts(2024, 1, 1, 0, 0, 0, 0));
    assert_true(pf("20240105143015", "yyyyMMddHHmmss") == t);
    assert_true(pf("Fri 2024-01-05", "EEE yyyy-MM-dd") == ts(2024, 1, 5, 0, 0, 0, 0));
    assert_true(pf_fails("Sat 2024-01-05", "EEE yyyy-MM-dd"));
    assert_true(pf("2024-036", "yyyy-DDD") == ts(2024, 2, 5, 0, 0, 0, 0));
    assert_true(pf_fails("2023-02-29", "yyyy-MM-dd"));
    assert_true(pf_fails("2024-01-05 24:00:00", "yyyy-MM-dd HH:mm:ss"));
    assert_true(pf_fails("2024-01-05x", "yyyy-MM-dd"));
    assert_true(pf_fails(" 2024-01-05", "yyyy-MM-dd"));
    assert_true(pf_fails("2024-01-05", "yyyy-MM-dd HH"));
    assert_true(pf_fails("2024-01-05", "yyyy-MM-dd GG"));
    assert_true(pf("1970-01-01 00:00:00", "yyyy-MM-dd HH:mm:ss") == 0);
    /* Spark's default timestampFormat for CSV and JSON */
    const char *dflt = "yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX]";
    assert_true(pf("2024-01-05T14:30:15", dflt) == t);
    assert_true(pf("2024-01-05T14:30:15.5", dflt) == t + 500000);
    assert_true(pf("2024-01-05T14:30:15.123Z", dflt) == t + 123000);
    assert_true(pf("2024-01-05T12:30:15-02:00", dflt) == t);
    assert_true(pf_fails("2024-01-05 14:30:15", dflt));
    assert_true(pf(" 2024-01-05 14:30:15 ", NULL) == t); /* lenient default */
    assert_true(pf("2024-01-05T14:30:15", "") == t);
    assert_true(pf("2024-01-05t14:30:15", "yyyy-MM-dd'T'HH:mm:ss") == t);
    assert_true(pf("2024-01-05 14:30:15 UTC", "yyyy-MM-dd HH:mm:ss z") == t);
    assert_true(pf("2024-01-05 15:30:15 GMT+01:00", "yyyy-MM-dd HH:mm:ss VV") == t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_registry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upper_lower_length, setup, teardown),
        cmocka_unit_test_setup_teardown(test_substring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concat_trim, setup, teardown),
        cmocka_unit_test_setup_teardown(test_coalesce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abs_sqrt_floor_ceil, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round, setup, teardown),
        cmocka_unit_test_setup_teardown(test_to_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_trunc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_date_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ts_parse_fmt, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
