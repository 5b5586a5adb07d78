/* Expression evaluation: operators and their NULL rules, IN, BETWEEN, LIKE,
 * CASE, field access, filters, and Spark's CAST table. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/types.h"
#include "exec/expr_eval.h"
#include "exec/func.h"

static arena *A;  /* plan arena for nodes and literal strings */
static batch *B1; /* one row, no columns: for expressions of literals */

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

static expr *mk(expr_kind k, type_id t)
{
    expr *e = arena_calloc(A, sizeof *e);
    e->kind = k;
    e->type = t;
    return e;
}

static expr **argv_of(int n, ...)
{
    expr **v = arena_alloc(A, sizeof(expr *) * (size_t)n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        v[i] = va_arg(ap, expr *);
    va_end(ap);
    return v;
}

static expr *lit_i(int32_t x)
{
    expr *e = mk(EXPR_LITERAL, TYPE_INT);
    e->lit.type = TYPE_INT;
    e->lit.v.i32 = x;
    return e;
}

static expr *lit_l(int64_t x)
{
    expr *e = mk(EXPR_LITERAL, TYPE_BIGINT);
    e->lit.type = TYPE_BIGINT;
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

static expr *lit_s(const char *s)
{
    expr *e = mk(EXPR_LITERAL, TYPE_STRING);
    e->lit.type = TYPE_STRING;
    e->lit.v.s = (strv){arena_strndup(A, s, strlen(s)), (uint32_t)strlen(s)};
    return e;
}

static expr *lit_b(bool b)
{
    expr *e = mk(EXPR_LITERAL, TYPE_BOOLEAN);
    e->lit.type = TYPE_BOOLEAN;
    e->lit.v.b = b;
    return e;
}

static expr *lit_null(type_id t)
{
    expr *e = mk(EXPR_LITERAL, t);
    e->lit.type = t;
    e->lit.is_null = true;
    return e;
}

static expr *col(int idx, type_id t)
{
    expr *e = mk(EXPR_COLUMN, t);
    e->column = idx;
    return e;
}

/* A binary node typed by expr_binary_types (operands left uncast: the
 * evaluator must coerce them itself). */
static expr *bin(expr_op op, expr *l, expr *r)
{
    type_id lt, rt, ret;
    char msg[128];
    assert_int_equal(expr_binary_types(op, l->type, r->type, &lt, &rt, &ret, msg, sizeof msg), 0);
    expr *e = mk(EXPR_BINARY, ret);
    e->op = op;
    e->args = argv_of(2, l, r);
    e->nargs = 2;
    return e;
}

static expr *cast_to(expr *a, type_id t)
{
    expr *e = mk(EXPR_CAST, t);
    e->cast_to = t;
    e->args = argv_of(1, a);
    e->nargs = 1;
    return e;
}

/* Evaluates over B1 and returns row 0 (strings stay valid: they live in A
 * or B1's arena). */
static value ev1(expr *e)
{
    column c;
    eddy_error err;
    func_ctx ctx = {B1->arena, 0};
    int rc = expr_eval(e, B1, &ctx, &c, &err);
    if (rc)
        fail_msg("eval failed: %s", err.message);
    value v = column_get(&c, 0);
    column_free(&c);
    return v;
}

static void chk_null(value v)
{
    assert_true(v.is_null);
}

static void chk_bool(value v, bool b)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, TYPE_BOOLEAN);
    assert_int_equal(v.v.b, b);
}

static void chk_i32(value v, int32_t x)
{
    assert_false(v.is_null);
    assert_int_equal(v.v.i32, x);
}

static void chk_i64(value v, int64_t x)
{
    assert_false(v.is_null);
    assert_true(v.v.i64 == x);
}

static void chk_f64(value v, double x)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, TYPE_DOUBLE);
    assert_true(fabs(v.v.f64 - x) <= 1e-12 * (fabs(x) > 1 ? fabs(x) : 1));
}

static void chk_str(value v, const char *s)
{
    assert_false(v.is_null);
    assert_int_equal(v.type, TYPE_STRING);
    assert_int_equal(v.v.s.len, strlen(s));
    assert_memory_equal(v.v.s.ptr, s, strlen(s));
}

/* ---- arithmetic ---------------------------------------------------------- */

static void test_arith_int_columns(void **state)
{
    type_id t[2] = {TYPE_INT, TYPE_INT};
    batch *b = batch_new(2, t, 4);
    int32_t xs[4] = {1, 2, INT32_MAX, 0}, ys[4] = {1, 0, 1, 5};
    for (int i = 0; i < 4; i++) {
        b->cols[0].data.i32[i] = xs[i];
        b->cols[1].data.i32[i] = ys[i];
        b->cols[0].valid[i] = i != 3;
        b->cols[1].valid[i] = i != 1;
    }
    b->nrows = 4;
    column c;
    eddy_error err;
    func_ctx ctx = {b->arena, 0};
    assert_int_equal(expr_eval(bin(OP_ADD, col(0, TYPE_INT), col(1, TYPE_INT)), b, &ctx, &c, &err),
                     0);
    assert_int_equal(c.type, TYPE_INT);
    assert_true(c.valid[0] && c.data.i32[0] == 2);
    assert_false(c.valid[1]);
    assert_true(c.valid[2] && c.data.i32[2] == INT32_MIN); /* wraps */
    assert_false(c.valid[3]);
    column_free(&c);
    batch_free(b);
}

static void test_arith_typing(void **state)
{
    value v = ev1(bin(OP_ADD, lit_i(1), lit_l(2)));
    assert_int_equal(v.type, TYPE_BIGINT);
    chk_i64(v, 3);
    v = ev1(bin(OP_MUL, lit_i(3), lit_d(0.5)));
    chk_f64(v, 1.5);
    chk_f64(ev1(bin(OP_ADD, lit_s("1"), lit_i(1))), 2.0); /* string -> double */
    chk_null(ev1(bin(OP_ADD, lit_s("x"), lit_i(1))));
    chk_f64(ev1(bin(OP_DIV, lit_i(7), lit_i(2))), 3.5);
    chk_null(ev1(bin(OP_DIV, lit_i(1), lit_i(0))));
    chk_null(ev1(bin(OP_DIV, lit_d(1.0), lit_d(0.0))));
    chk_i32(ev1(bin(OP_MOD, lit_i(7), lit_i(3))), 1);
    chk_i32(ev1(bin(OP_MOD, lit_i(-7), lit_i(3))), -1);
    chk_null(ev1(bin(OP_MOD, lit_i(7), lit_i(0))));
    chk_null(ev1(bin(OP_MOD, lit_l(7), lit_l(0))));
    chk_i32(ev1(bin(OP_MOD, lit_i(INT32_MIN), lit_i(-1))), 0);
    chk_f64(ev1(bin(OP_MOD, lit_d(5.5), lit_i(2))), 1.5);
    chk_null(ev1(bin(OP_MOD, lit_d(5.5), lit_d(0))));
    chk_i64(ev1(bin(OP_ADD, lit_l(INT64_MAX), lit_l(1))), INT64_MIN);
    chk_i32(ev1(bin(OP_MUL, lit_i(INT32_MAX), lit_i(2))), -2);
    chk_i32(ev1(bin(OP_SUB, lit_i(INT32_MIN), lit_i(1))), INT32_MAX);
    chk_null(ev1(bin(OP_ADD, lit_i(1), lit_null(TYPE_INT))));
    chk_null(ev1(bin(OP_MUL, lit_null(TYPE_NULL), lit_d(2))));
    /* date + int days */
    expr *d = cast_to(lit_s("2024-02-28"), TYPE_DATE);
    value dv = ev1(bin(OP_ADD, d, lit_i(2)));
    assert_int_equal(dv.type, TYPE_DATE);
    chk_i32(dv, 19783); /* 2024-03-01 */

    expr *neg = mk(EXPR_UNARY, TYPE_INT);
    neg->op = OP_NEG;
    neg->args = argv_of(1, lit_i(INT32_MIN));
    neg->nargs = 1;
    chk_i32(ev1(neg), INT32_MIN);
    neg = mk(EXPR_UNARY, TYPE_DOUBLE);
    neg->op = OP_NEG;
    neg->args = argv_of(1, lit_d(2.5));
    neg->nargs = 1;
    chk_f64(ev1(neg), -2.5);
}

static void test_binary_types(void **state)
{
    type_id lt, rt, ret;
    char msg[128];
    assert_int_equal(expr_binary_types(OP_ADD, TYPE_STRING, TYPE_BOOLEAN, &lt, &rt, &ret, msg,
                                       sizeof msg),
                     -1);
    assert_string_equal(msg, "cannot apply + to string and boolean");
    assert_int_equal(expr_binary_types(OP_DIV, TYPE_INT, TYPE_INT, &lt, &rt, &ret, msg, 128), 0);
    assert_int_equal(ret, TYPE_DOUBLE);
    assert_int_equal(lt, TYPE_DOUBLE);
    assert_int_equal(expr_binary_types(OP_LT, TYPE_STRING, TYPE_TIMESTAMP, &lt, &rt, &ret, msg,
                                       128),
                     0);
    assert_int_equal(lt, TYPE_TIMESTAMP);
    assert_int_equal(ret, TYPE_BOOLEAN);
    assert_int_equal(expr_binary_types(OP_EQ, TYPE_STRING, TYPE_INT, &lt, &rt, &ret, msg, 128),
                     0);
    assert_int_equal(lt, TYPE_INT);
    assert_int_equal(expr_binary_types(OP_EQ, TYPE_DATE, TYPE_TIMESTAMP, &lt, &rt, &ret, msg,
                                       128),
                     0);
    assert_int_equal(rt, TYPE_TIMESTAMP);
    assert_int_equal(expr_binary_types(OP_EQ, TYPE_WINDOW, TYPE_INT, &lt, &rt, &ret, msg, 128),
                     -1);
    assert_int_equal(expr_binary_types(OP_CONCAT, TYPE_INT, TYPE_STRING, &lt, &rt, &ret, msg,
                                       128),
                     0);
    assert_int_equal(lt, TYPE_STRING);
    assert_int_equal(expr_binary_types(OP_ADD, TYPE_INT, TYPE_BIGINT, &lt, &rt, &ret, msg, 128),
                     0);
    assert_int_equal(ret, TYPE_BIGINT);
}

/* ---- comparisons ---------------------------------------------------------- */

static void test_comparisons(void **state)
{
    chk_bool(ev1(bin(OP_LT, lit_i(1), lit_i(2))), true);
    chk_bool(ev1(bin(OP_GE, lit_i(1), lit_l(2))), false);
    chk_bool(ev1(bin(OP_EQ, lit_i(1), lit_d(1.0))), true);
    chk_bool(ev1(bin(OP_NE, lit_i(1), lit_d(1.5))), true);
    chk_bool(ev1(bin(OP_LT, lit_s("a"), lit_s("b"))), true);
    chk_bool(ev1(bin(OP_LT, lit_s("a"), lit_s("ab"))), true);
    chk_bool(ev1(bin(OP_LT, lit_s("B"), lit_s("a"))), true); /* byte order */
    chk_bool(ev1(bin(OP_GT, lit_s("\xc3\xa9"), lit_s("z"))), true);
    chk_bool(ev1(bin(OP_EQ, lit_s("abc"), lit_s("abc"))), true);
    chk_bool(ev1(bin(OP_LE, lit_s(""), lit_s(""))), true);
    chk_bool(ev1(bin(OP_EQ, lit_s("1.5"), lit_i(1))), true); /* string cast to int */
    chk_bool(ev1(bin(OP_EQ, lit_d(NAN), lit_d(NAN))), true);
    chk_bool(ev1(bin(OP_GT, lit_d(NAN), lit_d(INFINITY))), true);
    chk_null(ev1(bin(OP_EQ, lit_i(1), lit_null(TYPE_INT))));
    chk_null(ev1(bin(OP_LT, lit_null(TYPE_NULL), lit_null(TYPE_NULL))));
    chk_bool(ev1(bin(OP_EQ_NULLSAFE, lit_i(1), lit_null(TYPE_INT))), false);
    chk_bool(ev1(bin(OP_EQ_NULLSAFE, lit_null(TYPE_INT), lit_null(TYPE_INT))), true);
    chk_bool(ev1(bin(OP_EQ_NULLSAFE, lit_i(2), lit_i(2))), true);
    /* timestamp vs string compares as timestamp; date vs timestamp too */
    expr *ts = cast_to(lit_s("2024-01-01 10:00:00"), TYPE_TIMESTAMP);
    chk_bool(ev1(bin(OP_LT, ts, lit_s("2024-01-01 10:00:01"))), true);
    chk_bool(ev1(bin(OP_EQ, cast_to(lit_s("2024-01-01"), TYPE_DATE),
                        cast_to(lit_s("2024-01-01 00:00:00"), TYPE_TIMESTAMP))),
                true);
    chk_bool(ev1(bin(OP_LT, lit_b(false), lit_b(true))), true);

    /* windows compare by start, then end */
    type_id t[2] = {TYPE_WINDOW, TYPE_WINDOW};
    batch *b = batch_new(2, t, 3);
    window_val l[3] = {{0, 10}, {0, 10}, {5, 10}}, r[3] = {{0, 10}, {0, 20}, {0, 30}};
    for (int i = 0; i < 3; i++) {
        b->cols[0].data.w[i] = l[i];
        b->cols[1].data.w[i] = r[i];
        b->cols[0].valid[i] = b->cols[1].valid[i] = 1;
    }
    b->nrows = 3;
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(bin(OP_LT, col(0, TYPE_WINDOW), col(1, TYPE_WINDOW)), b, NULL, &c,
                               &err),
                     0);
    assert_int_equal(c.data.b[0], 0);
    assert_int_equal(c.data.b[1], 1);
    assert_int_equal(c.data.b[2], 0);
    column_free(&c);
    batch_free(b);
}

/* AND, OR, NOT over every combination of TRUE, FALSE, NULL. */
static void test_three_valued_logic(void **state)
{
    type_id t[2] = {TYPE_BOOLEAN, TYPE_BOOLEAN};
    batch *b = batch_new(2, t, 9);
    /* value codes: 0 false, 1 true, 2 NULL */
    for (int i = 0; i < 9; i++) {
        int x = i / 3, y = i % 3;
        b->cols[0].valid[i] = x != 2;
        b->cols[0].data.b[i] = x == 1;
        b->cols[1].valid[i] = y != 2;
        b->cols[1].data.b[i] = y == 1;
    }
    b->nrows = 9;
    static const int want_and[9] = {0, 0, 0, 0, 1, 2, 0, 2, 2};
    static const int want_or[9] = {0, 1, 2, 1, 1, 1, 2, 1, 2};
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(bin(OP_AND, col(0, TYPE_BOOLEAN), col(1, TYPE_BOOLEAN)), b, NULL,
                               &c, &err),
                     0);
    for (int i = 0; i < 9; i++) {
        int got = c.valid[i] ? c.data.b[i] : 2;
        assert_int_equal(got, want_and[i]);
    }
    column_free(&c);
    assert_int_equal(expr_eval(bin(OP_OR, col(0, TYPE_BOOLEAN), col(1, TYPE_BOOLEAN)), b, NULL,
                               &c, &err),
                     0);
    for (int i = 0; i < 9; i++) {
        int got = c.valid[i] ? c.data.b[i] : 2;
        assert_int_equal(got, want_or[i]);
    }
    column_free(&c);
    expr *not = mk(EXPR_UNARY, TYPE_BOOLEAN);
    not->op = OP_NOT;
    not->args = argv_of(1, col(0, TYPE_BOOLEAN));
    not->nargs = 1;
    assert_int_equal(expr_eval(not, b, NULL, &c, &err), 0);
    for (int i = 0; i < 9; i++) {
        int x = i / 3;
        int got = c.valid[i] ? c.data.b[i] : 2;
        assert_int_equal(got, x == 2 ? 2 : !x);
    }
    column_free(&c);

    expr *isn = mk(EXPR_IS_NULL, TYPE_BOOLEAN);
    isn->args = argv_of(1, col(1, TYPE_BOOLEAN));
    isn->nargs = 1;
    assert_int_equal(expr_eval(isn, b, NULL, &c, &err), 0);
    for (int i = 0; i < 9; i++) {
        assert_int_equal(c.valid[i], 1);
        assert_int_equal(c.data.b[i], i % 3 == 2);
    }
    column_free(&c);
    isn->negated = true;
    assert_int_equal(expr_eval(isn, b, NULL, &c, &err), 0);
    for (int i = 0; i < 9; i++)
        assert_int_equal(c.data.b[i], i % 3 != 2);
    column_free(&c);
    batch_free(b);
}

static void test_concat_op(void **state)
{
    chk_str(ev1(bin(OP_CONCAT, lit_s("ab"), lit_s("cd"))), "abcd");
    chk_str(ev1(bin(OP_CONCAT, lit_s("n="), lit_i(5))), "n=5");
    chk_null(ev1(bin(OP_CONCAT, lit_s("a"), lit_null(TYPE_STRING))));
}

/* ---- IN / BETWEEN ------------------------------------------------------------ */

static expr *in_list(bool negated, expr *x, int n, ...)
{
    expr *e = mk(EXPR_IN, TYPE_BOOLEAN);
    e->negated = negated;
    e->args = arena_alloc(A, sizeof(expr *) * (size_t)(n + 1));
    e->args[0] = x;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        e->args[i + 1] = va_arg(ap, expr *);
    va_end(ap);
    e->nargs = n + 1;
    return e;
}

static void test_in(void **state)
{
    chk_bool(ev1(in_list(false, lit_i(1), 2, lit_i(1), lit_i(2))), true);
    chk_bool(ev1(in_list(false, lit_i(3), 2, lit_i(1), lit_i(2))), false);
    chk_null(ev1(in_list(false, lit_i(3), 2, lit_i(1), lit_null(TYPE_INT))));
    chk_bool(ev1(in_list(false, lit_i(1), 2, lit_i(1), lit_null(TYPE_INT))), true);
    chk_null(ev1(in_list(false, lit_null(TYPE_INT), 1, lit_i(1))));
    chk_null(ev1(in_list(true, lit_i(3), 2, lit_i(1), lit_null(TYPE_INT))));
    chk_bool(ev1(in_list(true, lit_i(3), 2, lit_i(1), lit_i(2))), true);
    chk_bool(ev1(in_list(true, lit_i(1), 2, lit_i(1), lit_null(TYPE_INT))), false);
    chk_bool(ev1(in_list(false, lit_s("CA"), 3, lit_s("NY"), lit_s("CA"), lit_s("TX"))), true);
    chk_bool(ev1(in_list(false, lit_l(2), 2, lit_i(1), lit_d(2.0))), true);

    /* column form */
    type_id t = TYPE_STRING;
    batch *b = batch_new(1, &t, 3);
    const char *vals[3] = {"a", "b", NULL};
    for (int i = 0; i < 3; i++) {
        b->cols[0].valid[i] = vals[i] != NULL;
        b->cols[0].data.s[i] = vals[i] ? (strv){vals[i], 1} : (strv){NULL, 0};
    }
    b->nrows = 3;
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(in_list(false, col(0, TYPE_STRING), 2, lit_s("b"), lit_s("c")), b,
                               NULL, &c, &err),
                     0);
    assert_true(c.valid[0] && !c.data.b[0]);
    assert_true(c.valid[1] && c.data.b[1]);
    assert_false(c.valid[2]);
    column_free(&c);
    batch_free(b);
}

static expr *between(bool negated, expr *x, expr *lo, expr *hi)
{
    expr *e = mk(EXPR_BETWEEN, TYPE_BOOLEAN);
    e->negated = negated;
    e->args = argv_of(3, x, lo, hi);
    e->nargs = 3;
    return e;
}

static void test_between(void **state)
{
    chk_bool(ev1(between(false, lit_i(5), lit_i(1), lit_i(5))), true);
    chk_bool(ev1(between(false, lit_i(6), lit_i(1), lit_i(5))), false);
    chk_bool(ev1(between(true, lit_i(6), lit_i(1), lit_i(5))), true);
    chk_bool(ev1(between(false, lit_d(2.5), lit_i(1), lit_l(5))), true);
    chk_null(ev1(between(false, lit_null(TYPE_INT), lit_i(1), lit_i(5))));
    chk_null(ev1(between(false, lit_i(3), lit_null(TYPE_INT), lit_i(5))));
    /* 9 BETWEEN NULL AND 5: the upper bound already fails -> false */
    chk_bool(ev1(between(false, lit_i(9), lit_null(TYPE_INT), lit_i(5))), false);
    chk_null(ev1(between(true, lit_i(3), lit_null(TYPE_INT), lit_i(5))));
    chk_bool(ev1(between(false, lit_s("b"), lit_s("a"), lit_s("c"))), true);
}

/* ---- LIKE -------------------------------------------------------------------- */

static expr *like(bool negated, expr *s, expr *p)
{
    expr *e = mk(EXPR_LIKE, TYPE_BOOLEAN);
    e->negated = negated;
    e->args = argv_of(2, s, p);
    e->nargs = 2;
    return e;
}

static void test_like(void **state)
{
    static const struct {
        const char *s, *p;
        bool m;
    } cases[] = {
        {"abc", "abc", true},       {"abc", "ab", false},        {"abc", "a%", true},
        {"abc", "b%", false},       {"abc", "%c", true},         {"abc", "%b", false},
        {"abc", "%b%", true},       {"abc", "%x%", false},       {"abc", "a_c", true},
        {"abc", "a_", false},       {"abc", "_%_", true},        {"a", "_%_", false},
        {"a%c", "a\\%c", true},     {"abc", "a\\%c", false},     {"a_c", "a\\_c", true},
        {"abc", "a\\_c", false},    {"a\\c", "a\\\\c", true},    {"abbc", "a%b%c", true},
        {"ac", "a%b%c", false},     {"", "%", true},             {"", "", true},
        {"", "_", false},           {"h\xc3\xa9llo", "h_llo", true},
        {"h\xc3\xa9llo", "h__llo", false},                       {"abcabc", "%bc", true},
        {"xyz", "%y%z", true},      {"xyzy", "%y_", false},      {"aXbXc", "a%X_", true},
        {"abc", "%%", true},        {"mississippi", "%iss%ipp%", true},
        {"mississippi", "m%ss_ppi", true}, {"mississippi", "m%ss_pi", false},                        {"ABC", "abc", false},
        {"abcd", "ab%cd", true},    {"abd", "ab%bd", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        value v = ev1(like(false, lit_s(cases[i].s), lit_s(cases[i].p)));
        if (v.is_null || v.v.b != cases[i].m)
            fail_msg("'%s' LIKE '%s' should be %d", cases[i].s, cases[i].p, cases[i].m);
        chk_bool(ev1(like(true, lit_s(cases[i].s), lit_s(cases[i].p))), !cases[i].m);
    }
    chk_null(ev1(like(false, lit_null(TYPE_STRING), lit_s("a%"))));
    chk_null(ev1(like(false, lit_s("a"), lit_null(TYPE_STRING))));

    /* invalid escapes are errors, as in Spark */
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(like(false, lit_s("ab"), lit_s("a\\b")), B1, NULL, &c, &err),
                     -EDDY_RUNTIME);
    assert_non_null(strstr(err.message, "escape character"));
    assert_int_equal(expr_eval(like(false, lit_s("ab"), lit_s("a\\")), B1, NULL, &c, &err),
                     -EDDY_RUNTIME);

    /* pattern from a column: compiled per distinct pattern */
    type_id t[2] = {TYPE_STRING, TYPE_STRING};
    batch *b = batch_new(2, t, 3);
    const char *ss[3] = {"apple", "banana", "cherry"}, *ps[3] = {"a%", "a%", "%rr_"};
    for (int i = 0; i < 3; i++) {
        b->cols[0].data.s[i] = (strv){ss[i], (uint32_t)strlen(ss[i])};
        b->cols[1].data.s[i] = (strv){ps[i], (uint32_t)strlen(ps[i])};
        b->cols[0].valid[i] = b->cols[1].valid[i] = 1;
    }
    b->nrows = 3;
    assert_int_equal(expr_eval(like(false, col(0, TYPE_STRING), col(1, TYPE_STRING)), b, NULL,
                               &c, &err),
                     0);
    assert_int_equal(c.data.b[0], 1);
    assert_int_equal(c.data.b[1], 0);
    assert_int_equal(c.data.b[2], 1);
    column_free(&c);
    batch_free(b);
}

/* ---- CASE -------------------------------------------------------------------- */

static void test_case(void **state)
{
    type_id t = TYPE_INT;
    batch *b = batch_new(1, &t, 4);
    int32_t xs[4] = {10, 3, 1, 0};
    for (int i = 0; i < 4; i++) {
        b->cols[0].data.i32[i] = xs[i];
        b->cols[0].valid[i] = i != 3;
    }
    b->nrows = 4;
    expr *e = mk(EXPR_CASE, TYPE_STRING);
    e->args = argv_of(4, bin(OP_GT, col(0, TYPE_INT), lit_i(5)), lit_s("big"),
                      bin(OP_GT, col(0, TYPE_INT), lit_i(2)), lit_s("mid"));
    e->nargs = 4;
    e->else_expr = lit_s("small");
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(e, b, NULL, &c, &err), 0);
    const char *want[4] = {"big", "mid", "small", "small"}; /* NULL x falls to ELSE */
    for (int i = 0; i < 4; i++) {
        assert_true(c.valid[i]);
        assert_int_equal(c.data.s[i].len, strlen(want[i]));
        assert_memory_equal(c.data.s[i].ptr, want[i], strlen(want[i]));
    }
    column_free(&c);
    e->else_expr = NULL; /* no ELSE: NULL */
    assert_int_equal(expr_eval(e, b, NULL, &c, &err), 0);
    assert_true(c.valid[0] && c.valid[1]);
    assert_false(c.valid[2]);
    assert_false(c.valid[3]);
    column_free(&c);
    /* first true WHEN wins; branch values of another type are cast */
    expr *e2 = mk(EXPR_CASE, TYPE_BIGINT);
    e2->args = argv_of(4, bin(OP_GT, col(0, TYPE_INT), lit_i(0)), col(0, TYPE_INT), lit_b(true),
                       lit_l(-1));
    e2->nargs = 4;
    assert_int_equal(expr_eval(e2, b, NULL, &c, &err), 0);
    assert_int_equal(c.type, TYPE_BIGINT);
    assert_true(c.data.i64[0] == 10 && c.data.i64[2] == 1 && c.data.i64[3] == -1);
    column_free(&c);
    batch_free(b);
}

/* ---- fields, calls, views, filters ------------------------------------------ */

static void test_field_and_view(void **state)
{
    type_id t[2] = {TYPE_WINDOW, TYPE_INT};
    batch *b = batch_new(2, t, 2);
    b->cols[0].data.w[0] = (window_val){1000000, 11000000};
    b->cols[0].valid[0] = 1;
    b->cols[0].valid[1] = 0;
    b->cols[1].data.i32[0] = 7;
    b->cols[1].valid[0] = b->cols[1].valid[1] = 1;
    b->cols[1].data.i32[1] = 8;
    b->nrows = 2;
    expr *f = mk(EXPR_FIELD, TYPE_TIMESTAMP);
    f->name = "end";
    f->args = argv_of(1, col(0, TYPE_WINDOW));
    f->nargs = 1;
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(f, b, NULL, &c, &err), 0);
    assert_true(c.valid[0] && c.data.i64[0] == 11000000);
    assert_false(c.valid[1]);
    column_free(&c);
    f->name = "start";
    assert_int_equal(expr_eval(f, b, NULL, &c, &err), 0);
    assert_true(c.data.i64[0] == 1000000);
    column_free(&c);

    int owned = -1;
    assert_int_equal(expr_eval_view(col(1, TYPE_INT), b, NULL, &c, &owned, &err), 0);
    assert_int_equal(owned, 0);
    assert_ptr_equal(c.data.i32, b->cols[1].data.i32);
    assert_int_equal(expr_eval(col(1, TYPE_INT), b, NULL, &c, &err), 0); /* a copy */
    assert_ptr_not_equal(c.data.i32, b->cols[1].data.i32);
    assert_int_equal(c.data.i32[1], 8);
    column_free(&c);
    /* a column whose bound type differs is cast */
    assert_int_equal(expr_eval(col(1, TYPE_STRING), b, NULL, &c, &err), 0);
    assert_int_equal(c.type, TYPE_STRING);
    assert_memory_equal(c.data.s[0].ptr, "7", 1);
    column_free(&c);
    assert_int_equal(expr_eval(col(5, TYPE_INT), b, NULL, &c, &err), -EDDY_RUNTIME);
    batch_free(b);
}

static void test_call(void **state)
{
    expr *e = mk(EXPR_CALL, TYPE_STRING);
    e->name = "upper";
    e->fn = func_lookup("UPPER");
    assert_non_null(e->fn);
    e->args = argv_of(1, lit_i(123)); /* implicit cast to string */
    e->nargs = 1;
    chk_str(ev1(e), "123");
    e->args = argv_of(1, lit_s("abc"));
    chk_str(ev1(e), "ABC");

    expr *agg = mk(EXPR_CALL, TYPE_BIGINT);
    agg->name = "count";
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(agg, B1, NULL, &c, &err), -EDDY_RUNTIME);
    expr *bad = mk(EXPR_CALL, TYPE_INT);
    bad->name = "year";
    bad->fn = func_lookup("year");
    bad->args = argv_of(1, lit_b(true));
    bad->nargs = 1;
    assert_int_equal(expr_eval(bad, B1, NULL, &c, &err), -EDDY_RUNTIME);
    assert_non_null(strstr(err.message, "year"));
    expr *id = mk(EXPR_IDENT, TYPE_INT);
    id->name = "nope";
    assert_int_equal(expr_eval(id, B1, NULL, &c, &err), -EDDY_RUNTIME);
}

static void test_filter(void **state)
{
    uint32_t n = BATCH_MAX_ROWS;
    type_id t[2] = {TYPE_BIGINT, TYPE_STRING};
    batch *b = batch_new(2, t, n);
    for (uint32_t i = 0; i < n; i++) {
        b->cols[0].data.i64[i] = i;
        b->cols[0].valid[i] = i % 10 != 0;
        b->cols[1].data.s[i] = i % 2 ? (strv){"odd", 3} : (strv){"even", 4};
        b->cols[1].valid[i] = 1;
    }
    b->nrows = n;
    /* x % 3 = 0 AND s = 'odd' */
    expr *p = bin(OP_AND, bin(OP_EQ, bin(OP_MOD, col(0, TYPE_BIGINT), lit_i(3)), lit_i(0)),
                  bin(OP_EQ, col(1, TYPE_STRING), lit_s("odd")));
    uint32_t *sel = malloc(n * sizeof *sel), nsel;
    eddy_error err;
    func_ctx ctx = {b->arena, 0};
    assert_int_equal(expr_eval_filter(p, b, &ctx, sel, &nsel, &err), 0);
    uint32_t want = 0;
    for (uint32_t i = 0; i < n; i++)
        want += i % 10 != 0 && i % 3 == 0 && i % 2 == 1;
    assert_int_equal(nsel, want);
    for (uint32_t k = 0; k < nsel; k++) {
        uint32_t i = sel[k];
        assert_true(i % 10 != 0 && i % 3 == 0 && i % 2 == 1);
        if (k)
            assert_true(sel[k - 1] < i);
    }
    assert_int_equal(expr_eval_filter(col(1, TYPE_STRING), b, &ctx, sel, &nsel, &err),
                     -EDDY_RUNTIME);
    free(sel);
    batch_free(b);
}

/* ---- CAST table --------------------------------------------------------------- */

/* CAST of a one-row column holding v to `to`. */
static value cast1(value v, type_id to)
{
    column in, out;
    column_init(&in, v.type, 1);
    column_set(&in, 0, &v);
    column_init(&out, to, 1);
    func_ctx ctx = {B1->arena, 0};
    assert_int_equal(cast_column(&in, 1, to, &out, &ctx), 0);
    assert_int_equal(out.type, to);
    value r = column_get(&out, 0);
    column_free(&in);
    column_free(&out);
    return r;
}

static value vs(const char *s)
{
    value v = {.type = TYPE_STRING};
    v.v.s = (strv){arena_strndup(A, s, strlen(s)), (uint32_t)strlen(s)};
    return v;
}

static value vi(int32_t x)
{
    value v = {.type = TYPE_INT};
    v.v.i32 = x;
    return v;
}

static value vl(int64_t x, type_id t)
{
    value v = {.type = t};
    v.v.i64 = x;
    return v;
}

static value vd(double x)
{
    value v = {.type = TYPE_DOUBLE};
    v.v.f64 = x;
    return v;
}

static value vb(bool b)
{
    value v = {.type = TYPE_BOOLEAN};
    v.v.b = b;
    return v;
}

static value vdate(int32_t d)
{
    value v = {.type = TYPE_DATE};
    v.v.i32 = d;
    return v;
}

static void test_cast_string_to_numbers(void **state)
{
    chk_i32(cast1(vs("1.5"), TYPE_INT), 1);
    chk_i32(cast1(vs(" 12 "), TYPE_INT), 12);
    chk_i32(cast1(vs("-7.99"), TYPE_INT), -7);
    chk_i32(cast1(vs("+7"), TYPE_INT), 7);
    chk_i32(cast1(vs(".5"), TYPE_INT), 0);
    chk_null(cast1(vs("abc"), TYPE_INT));
    chk_null(cast1(vs(""), TYPE_INT));
    chk_null(cast1(vs("-"), TYPE_INT));
    chk_null(cast1(vs("1e3"), TYPE_INT));
    chk_null(cast1(vs("1.5x"), TYPE_INT));
    chk_null(cast1(vs("2147483648"), TYPE_INT));
    chk_i32(cast1(vs("-2147483648"), TYPE_INT), INT32_MIN);
    chk_i64(cast1(vs("9223372036854775807"), TYPE_BIGINT), INT64_MAX);
    chk_i64(cast1(vs("-9223372036854775808"), TYPE_BIGINT), INT64_MIN);
    chk_null(cast1(vs("9223372036854775808"), TYPE_BIGINT));
    chk_f64(cast1(vs("1.5"), TYPE_DOUBLE), 1.5);
    chk_f64(cast1(vs(" 2 "), TYPE_DOUBLE), 2.0);
    chk_f64(cast1(vs("1e3"), TYPE_DOUBLE), 1000.0);
    chk_f64(cast1(vs("-.5"), TYPE_DOUBLE), -0.5);
    chk_f64(cast1(vs("1.5d"), TYPE_DOUBLE), 1.5);
    assert_true(isnan(cast1(vs("NaN"), TYPE_DOUBLE).v.f64));
    assert_true(isinf(cast1(vs("inf"), TYPE_DOUBLE).v.f64));
    value ninf = cast1(vs("-Infinity"), TYPE_DOUBLE);
    assert_true(isinf(ninf.v.f64) && ninf.v.f64 < 0);
    chk_null(cast1(vs("abc"), TYPE_DOUBLE));
    chk_null(cast1(vs("1e"), TYPE_DOUBLE));
    chk_null(cast1(vs(""), TYPE_DOUBLE));
    chk_bool(cast1(vs("true"), TYPE_BOOLEAN), true);
    chk_bool(cast1(vs(" YES "), TYPE_BOOLEAN), true);
    chk_bool(cast1(vs("1"), TYPE_BOOLEAN), true);
    chk_bool(cast1(vs("f"), TYPE_BOOLEAN), false);
    chk_bool(cast1(vs("No"), TYPE_BOOLEAN), false);
    chk_null(cast1(vs("maybe"), TYPE_BOOLEAN));
}

static void test_cast_numbers(void **state)
{
    chk_i32(cast1(vd(1.9), TYPE_INT), 1);
    chk_i32(cast1(vd(-1.9), TYPE_INT), -1);
    chk_i32(cast1(vd(NAN), TYPE_INT), 0);
    chk_i32(cast1(vd(1e10), TYPE_INT), INT32_MAX);
    chk_i32(cast1(vd(-1e10), TYPE_INT), INT32_MIN);
    chk_i64(cast1(vd(1e19), TYPE_BIGINT), INT64_MAX);
    chk_i64(cast1(vd(-INFINITY), TYPE_BIGINT), INT64_MIN);
    chk_i32(cast1(vl(4294967297LL, TYPE_BIGINT), TYPE_INT), 1); /* wraps */
    chk_i64(cast1(vi(-3), TYPE_BIGINT), -3);
    chk_f64(cast1(vl(1LL << 40, TYPE_BIGINT), TYPE_DOUBLE), 1099511627776.0);
    chk_i32(cast1(vb(true), TYPE_INT), 1);
    chk_f64(cast1(vb(false), TYPE_DOUBLE), 0.0);
    chk_bool(cast1(vi(0), TYPE_BOOLEAN), false);
    chk_bool(cast1(vi(5), TYPE_BOOLEAN), true);
    chk_bool(cast1(vd(0.1), TYPE_BOOLEAN), true);
    value nul = {.type = TYPE_NULL, .is_null = true};
    chk_null(cast1(nul, TYPE_INT));
}

static void test_cast_to_string(void **state)
{
    chk_str(cast1(vi(123), TYPE_STRING), "123");
    chk_str(cast1(vi(INT32_MIN), TYPE_STRING), "-2147483648");
    chk_str(cast1(vl(INT64_MIN, TYPE_BIGINT), TYPE_STRING), "-9223372036854775808");
    chk_str(cast1(vd(1.0), TYPE_STRING), "1.0");
    chk_str(cast1(vd(0.1), TYPE_STRING), "0.1");
    chk_str(cast1(vd(1e20), TYPE_STRING), "1.0E20");
    chk_str(cast1(vd(-2.5), TYPE_STRING), "-2.5");
    chk_str(cast1(vb(true), TYPE_STRING), "true");
    chk_str(cast1(vb(false), TYPE_STRING), "false");
    chk_str(cast1(vl(1704103200000000LL, TYPE_TIMESTAMP), TYPE_STRING),
               "2024-01-01 10:00:00");
    chk_str(cast1(vl(1704103200500000LL, TYPE_TIMESTAMP), TYPE_STRING),
               "2024-01-01 10:00:00.5");
    chk_str(cast1(vdate(19723), TYPE_STRING), "2024-01-01");
    value w = {.type = TYPE_WINDOW};
    w.v.w = (window_val){1704067200000000LL, 1704067210000000LL};
    chk_str(cast1(w, TYPE_STRING), "{2024-01-01 00:00:00, 2024-01-01 00:00:10}");
}

static void test_cast_time(void **state)
{
    chk_i64(cast1(vs("2024-01-01 10:00:00"), TYPE_TIMESTAMP), 1704103200000000LL);
    chk_i64(cast1(vs("2024-01-01T10:00:00Z"), TYPE_TIMESTAMP), 1704103200000000LL);
    chk_i64(cast1(vs("2024-01-01T11:00:00+01:00"), TYPE_TIMESTAMP), 1704103200000000LL);
    chk_i64(cast1(vs("2024-01-01"), TYPE_TIMESTAMP), 1704067200000000LL);
    chk_null(cast1(vs("garbage"), TYPE_TIMESTAMP));
    chk_null(cast1(vs("2024-13-01"), TYPE_TIMESTAMP));
    chk_i32(cast1(vs("2024-02-29"), TYPE_DATE), 19782);
    chk_null(cast1(vs("2023-02-29"), TYPE_DATE));
    chk_i32(cast1(vl(-1, TYPE_TIMESTAMP), TYPE_DATE), -1); /* 1969-12-31 */
    chk_i32(cast1(vl(1704103200000000LL, TYPE_TIMESTAMP), TYPE_DATE), 19723);
    chk_i64(cast1(vdate(19723), TYPE_TIMESTAMP), 1704067200000000LL);
    chk_i64(cast1(vl(-1, TYPE_TIMESTAMP), TYPE_BIGINT), -1); /* floor */
    chk_i64(cast1(vl(1500000, TYPE_TIMESTAMP), TYPE_BIGINT), 1);
    chk_f64(cast1(vl(1500000, TYPE_TIMESTAMP), TYPE_DOUBLE), 1.5);
    chk_i32(cast1(vl(2500000, TYPE_TIMESTAMP), TYPE_INT), 2);
    chk_i64(cast1(vl(1, TYPE_BIGINT), TYPE_TIMESTAMP), 1000000);
    chk_i64(cast1(vi(-2), TYPE_TIMESTAMP), -2000000);
    chk_i64(cast1(vd(1.5), TYPE_TIMESTAMP), 1500000);
    chk_null(cast1(vd(NAN), TYPE_TIMESTAMP));
    chk_i64(cast1(vl(INT64_MAX, TYPE_BIGINT), TYPE_TIMESTAMP), INT64_MAX); /* saturates */
    chk_null(cast1(vdate(19723), TYPE_INT)); /* allowed, always NULL */
    chk_bool(cast1(vl(0, TYPE_TIMESTAMP), TYPE_BOOLEAN), false);

    assert_true(cast_allowed(TYPE_DATE, TYPE_INT));
    assert_false(cast_allowed(TYPE_INT, TYPE_DATE));
    assert_false(cast_allowed(TYPE_BOOLEAN, TYPE_DATE));
    assert_false(cast_allowed(TYPE_WINDOW, TYPE_INT));
    assert_true(cast_allowed(TYPE_WINDOW, TYPE_STRING));
    assert_true(cast_allowed(TYPE_NULL, TYPE_WINDOW));
    assert_true(cast_allowed(TYPE_BOOLEAN, TYPE_TIMESTAMP));

    /* CAST expressions, including a disallowed one */
    chk_i32(ev1(cast_to(lit_s(" 42 "), TYPE_INT)), 42);
    column c;
    eddy_error err;
    assert_int_equal(expr_eval(cast_to(lit_i(1), TYPE_DATE), B1, NULL, &c, &err), -EDDY_RUNTIME);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_arith_int_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_arith_typing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_comparisons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_three_valued_logic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concat_op, setup, teardown),
        cmocka_unit_test_setup_teardown(test_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_between, setup, teardown),
        cmocka_unit_test_setup_teardown(test_like, setup, teardown),
        cmocka_unit_test_setup_teardown(test_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_and_view, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast_string_to_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast_to_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cast_time, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
