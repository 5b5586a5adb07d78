/* Unit tests for the stream-static hash join (exec/join.c): inner and left
 * outer joins over string, int, bigint, double and timestamp keys, SQL NULL
 * and floating-point key equality, duplicate table keys, residual predicates,
 * cross joins, error returns, the lifetime of output strings, and a
 * randomized comparison against a nested-loop join. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/mem.h"
#include "core/types.h"
#include "exec/expr_eval.h"
#include "exec/join.h"
#include "exec/ops.h"

#define NONE (-1)

static arena *A; /* expression nodes */

static int setup(void **state)
{
    A = arena_new(0);
    return 0;
}

static int teardown(void **state)
{
    arena_free(A);
    return 0;
}

/* ---- building batches ---------------------------------------------------- */

/* A batch of n rows whose columns are all NULL until set. */
static batch *mk_batch(uint32_t ncols, const type_id *types, uint32_t n)
{
    batch *b = batch_new(ncols, types, n);
    b->nrows = n;
    for (uint32_t c = 0; c < ncols; c++) {
        memset(b->cols[c].valid, 0, n ? n : 1);
        memset(b->cols[c].data.raw, 0, (n ? n : 1) * type_width(types[c]));
    }
    return b;
}

/* NULL entries are SQL NULLs; the bytes are copied into the batch's arena. */
static void set_str(batch *b, uint32_t c, const char *const *v)
{
    for (uint32_t i = 0; i < b->nrows; i++) {
        b->cols[c].valid[i] = v[i] != NULL;
        if (v[i]) {
            b->cols[c].data.s[i].ptr = arena_strndup(b->arena, v[i], strlen(v[i]));
            b->cols[c].data.s[i].len = (uint32_t)strlen(v[i]);
        }
    }
}

static void set_i32(batch *b, uint32_t c, const int32_t *v, const uint8_t *valid)
{
    for (uint32_t i = 0; i < b->nrows; i++) {
        b->cols[c].data.i32[i] = v[i];
        b->cols[c].valid[i] = valid ? valid[i] : 1;
    }
}

static void set_i64(batch *b, uint32_t c, const int64_t *v, const uint8_t *valid)
{
    for (uint32_t i = 0; i < b->nrows; i++) {
        b->cols[c].data.i64[i] = v[i];
        b->cols[c].valid[i] = valid ? valid[i] : 1;
    }
}

static void set_f64(batch *b, uint32_t c, const double *v, const uint8_t *valid)
{
    for (uint32_t i = 0; i < b->nrows; i++) {
        b->cols[c].data.f64[i] = v[i];
        b->cols[c].valid[i] = valid ? valid[i] : 1;
    }
}

/* Key columns that are shallow views of a batch's columns (not freed). */
static column *key_views(const batch *b, const int *cols, int n)
{
    column *k = xcalloc((size_t)(n ? n : 1), sizeof(column));
    for (int i = 0; i < n; i++)
        k[i] = b->cols[cols[i]];
    return k;
}

/* ---- expressions --------------------------------------------------------- */

static expr *mk(expr_kind k, type_id t)
{
    expr *e = arena_calloc(A, sizeof *e);
    e->kind = k;
    e->type = t;
    return e;
}

static expr *col(int idx, type_id t)
{
    expr *e = mk(EXPR_COLUMN, t);
    e->column = idx;
    return e;
}

static expr *lit_l(int64_t x)
{
    expr *e = mk(EXPR_LITERAL, TYPE_BIGINT);
    e->lit.type = TYPE_BIGINT;
    e->lit.v.i64 = x;
    return e;
}

static expr *bin(expr_op op, expr *l, expr *r)
{
    type_id lt, rt, ret;
    char msg[128];
    assert_int_equal(expr_binary_types(op, l->type, r->type, &lt, &rt, &ret, msg, sizeof msg), 0);
    expr *e = mk(EXPR_BINARY, ret);
    e->op = op;
    e->args = arena_alloc(A, 2 * sizeof(expr *));
    e->args[0] = l;
    e->args[1] = r;
    e->nargs = 2;
    return e;
}

/* ---- running and checking ------------------------------------------------ */

static batch *run(hash_join *j, batch *probe, const int *pk, int nkeys, const expr *residual)
{
    column *keys = key_views(probe, pk, nkeys);
    func_ctx ctx = {probe->arena, 0};
    eddy_error err = {0};
    batch *out = NULL;
    int rc = hash_join_probe(j, probe, keys, residual, &ctx, &out, &err);
    if (rc != 0)
        fail_msg("hash_join_probe: %s", err.message);
    free(keys);
    assert_non_null(out);
    return out;
}

static hash_join *make_join(batch *build, const int *bk, int nkeys, join_type type)
{
    column *keys = key_views(build, bk, nkeys);
    hash_join *j = hash_join_new(build, keys, nkeys, type);
    free(keys);
    return j;
}

/* The INT column c of out read as probe/table row ids: want[r] is the id,
 * or NONE for NULL. */
static void assert_ids(const batch *out, uint32_t c, const int *want, uint32_t n)
{
    assert_int_equal(out->nrows, n);
    for (uint32_t r = 0; r < n; r++) {
        if (want[r] == NONE) {
            if (out->cols[c].valid[r])
                fail_msg("row %u column %u: want NULL, got %d", r, c, out->cols[c].data.i32[r]);
        } else {
            if (!out->cols[c].valid[r])
                fail_msg("row %u column %u: want %d, got NULL", r, c, want[r]);
            assert_int_equal(out->cols[c].data.i32[r], want[r]);
        }
    }
}

static bool str_is(const batch *b, uint32_t c, uint32_t row, const char *s)
{
    if (!s)
        return !b->cols[c].valid[row];
    strv v = b->cols[c].data.s[row];
    return b->cols[c].valid[row] && v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

/* ---- tests --------------------------------------------------------------- */

/* The Yahoo Streaming Benchmark's shape: events joined to ad -> campaign. */
static void test_inner_string_key(void **unused)
{
    type_id bt[3] = {TYPE_STRING, TYPE_STRING, TYPE_INT};
    batch *build = mk_batch(3, bt, 5);
    const char *ad[] = {"a1", "a2", NULL, "a3", ""};
    const char *camp[] = {"c1", "c2", "c9", "c3", "c-empty"};
    int32_t bid[] = {0, 1, 2, 3, 4};
    set_str(build, 0, ad);
    set_str(build, 1, camp);
    set_i32(build, 2, bid, NULL);
    int bk[1] = {0};
    hash_join *j = make_join(build, bk, 1, JOIN_TYPE_INNER);
    assert_int_equal(hash_join_build_rows(j), 5);
    assert_true(hash_join_memory(j) > 5 * (sizeof(strv) * 2 + 4));

    type_id pt[3] = {TYPE_INT, TYPE_STRING, TYPE_TIMESTAMP};
    batch *probe = mk_batch(3, pt, 7);
    int32_t pid[] = {0, 1, 2, 3, 4, 5, 6};
    const char *pad[] = {"a3", "zz", NULL, "a1", "a1", "", "a"};
    int64_t ts[] = {10, 20, 30, 40, 50, 60, 70};
    set_i32(probe, 0, pid, NULL);
    set_str(probe, 1, pad);
    set_i64(probe, 2, ts, NULL);
    int pk[1] = {1};
    batch *out = run(j, probe, pk, 1, NULL);
    assert_int_equal(out->ncols, 6);
    assert_int_equal(out->cols[2].type, TYPE_TIMESTAMP);
    assert_int_equal(out->cols[4].type, TYPE_STRING);
    int want_p[] = {0, 3, 4, 5}, want_b[] = {3, 0, 0, 4};
    assert_ids(out, 0, want_p, 4);
    assert_ids(out, 5, want_b, 4);
    assert_true(str_is(out, 4, 0, "c3"));
    assert_true(str_is(out, 4, 1, "c1"));
    assert_true(str_is(out, 1, 2, "a1"));
    assert_true(str_is(out, 3, 3, ""));
    assert_int_equal(out->cols[2].data.i64[2], 50);

    /* The output outlives both its inputs and the join. */
    batch_free(probe);
    hash_join_free(j);
    assert_true(str_is(out, 4, 0, "c3"));
    assert_true(str_is(out, 3, 1, "a1"));
    assert_true(str_is(out, 1, 0, "a3"));
    batch_free(out);
}

/* Three keys of string, int and timestamp; NULL in any key never matches. */
static void test_left_outer_multi_key(void **unused)
{
    type_id bt[4] = {TYPE_STRING, TYPE_INT, TYPE_TIMESTAMP, TYPE_INT};
    batch *build = mk_batch(4, bt, 4);
    const char *s[] = {"x", "x", "y", "x"};
    int32_t k[] = {1, 2, 1, 1};
    uint8_t kv[] = {1, 1, 1, 0};
    int64_t t[] = {100, 100, 100, 100};
    int32_t bid[] = {0, 1, 2, 3};
    set_str(build, 0, s);
    set_i32(build, 1, k, kv);
    set_i64(build, 2, t, NULL);
    set_i32(build, 3, bid, NULL);
    int bk[3] = {0, 1, 2};
    hash_join *j = make_join(build, bk, 3, JOIN_TYPE_LEFT_OUTER);

    type_id pt[4] = {TYPE_INT, TYPE_TIMESTAMP, TYPE_STRING, TYPE_INT};
    batch *probe = mk_batch(4, pt, 6);
    int32_t pid[] = {0, 1, 2, 3, 4, 5};
    int64_t pt_[] = {100, 100, 100, 101, 100, 100};
    const char *ps[] = {"x", "y", "x", "x", NULL, "x"};
    int32_t pk_[] = {1, 1, 2, 1, 1, 0};
    uint8_t pkv[] = {1, 1, 1, 1, 1, 0};
    set_i32(probe, 0, pid, NULL);
    set_i64(probe, 1, pt_, NULL);
    set_str(probe, 2, ps);
    set_i32(probe, 3, pk_, pkv);
    int pk[3] = {2, 3, 1};
    batch *out = run(j, probe, pk, 3, NULL);
    int want_p[] = {0, 1, 2, 3, 4, 5}, want_b[] = {0, 2, 1, NONE, NONE, NONE};
    assert_ids(out, 0, want_p, 6);
    assert_ids(out, 7, want_b, 6);
    /* NULL-extended rows: every table column NULL, probe columns intact. */
    for (uint32_t c = 4; c < 8; c++)
        assert_false(out->cols[c].valid[3]);
    assert_true(str_is(out, 2, 3, "x"));
    assert_true(str_is(out, 2, 4, NULL));
    assert_true(str_is(out, 4, 0, "x"));
    assert_int_equal(out->cols[6].data.i64[1], 100);
    batch_free(out);
    batch_free(probe);
    hash_join_free(j);
}

/* Doubles: -0.0 = 0.0 and NaN = NaN (any payload), as Spark normalises
 * floating join keys; a bigint second key. */
static void test_double_keys(void **unused)
{
    type_id bt[3] = {TYPE_DOUBLE, TYPE_BIGINT, TYPE_INT};
    batch *build = mk_batch(3, bt, 5);
    double d[] = {-0.0, NAN, 1.5, 2.5, 0.0};
    uint8_t dv[] = {1, 1, 1, 0, 1};
    int64_t l[] = {7, 7, 7, 7, 8};
    int32_t bid[] = {0, 1, 2, 3, 4};
    set_f64(build, 0, d, dv);
    set_i64(build, 1, l, NULL);
    set_i32(build, 2, bid, NULL);
    int bk[2] = {0, 1};
    hash_join *j = make_join(build, bk, 2, JOIN_TYPE_INNER);

    type_id pt[3] = {TYPE_INT, TYPE_DOUBLE, TYPE_BIGINT};
    batch *probe = mk_batch(3, pt, 7);
    int32_t pid[] = {0, 1, 2, 3, 4, 5, 6};
    double neg_nan = -NAN;
    double pd[] = {0.0, neg_nan, 1.5, 2.5, -0.0, 1.5, 0.0};
    uint8_t pdv[] = {1, 1, 1, 1, 1, 1, 0};
    int64_t pl[] = {7, 7, 7, 7, 8, 6, 7};
    set_i32(probe, 0, pid, NULL);
    set_f64(probe, 1, pd, pdv);
    set_i64(probe, 2, pl, NULL);
    int pk[2] = {1, 2};
    batch *out = run(j, probe, pk, 2, NULL);
    int want_p[] = {0, 1, 2, 4}, want_b[] = {0, 1, 2, 4};
    assert_ids(out, 0, want_p, 4);
    assert_ids(out, 5, want_b, 4);
    /* Values are output as they were, not normalised. */
    assert_true(signbit(out->cols[3].data.f64[0]));
    assert_true(isnan(out->cols[1].data.f64[1]));
    batch_free(out);
    batch_free(probe);
    hash_join_free(j);
}

/* One probe row meets every table row with its key, in table order. */
static void test_duplicate_build_keys(void **unused)
{
    type_id bt[2] = {TYPE_BIGINT, TYPE_INT};
    batch *build = mk_batch(2, bt, 7);
    int64_t k[] = {5, 6, 5, 5, 6, 7, 5};
    int32_t bid[] = {0, 1, 2, 3, 4, 5, 6};
    set_i64(build, 0, k, NULL);
    set_i32(build, 1, bid, NULL);
    int bk[1] = {0};
    for (int outer = 0; outer < 2; outer++) {
        batch *copy = mk_batch(2, bt, 7);
        set_i64(copy, 0, k, NULL);
        set_i32(copy, 1, bid, NULL);
        hash_join *j = make_join(copy, bk, 1, outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
        type_id pt[2] = {TYPE_INT, TYPE_BIGINT};
        batch *probe = mk_batch(2, pt, 4);
        int32_t pid[] = {0, 1, 2, 3};
        int64_t pk_[] = {6, 9, 5, 7};
        set_i32(probe, 0, pid, NULL);
        set_i64(probe, 1, pk_, NULL);
        int pk[1] = {1};
        batch *out = run(j, probe, pk, 1, NULL);
        if (outer) {
            int want_p[] = {0, 0, 1, 2, 2, 2, 2, 3}, want_b[] = {1, 4, NONE, 0, 2, 3, 6, 5};
            assert_ids(out, 0, want_p, 8);
            assert_ids(out, 3, want_b, 8);
        } else {
            int want_p[] = {0, 0, 2, 2, 2, 2, 3}, want_b[] = {1, 4, 0, 2, 3, 6, 5};
            assert_ids(out, 0, want_p, 7);
            assert_ids(out, 3, want_b, 7);
        }
        batch_free(out);
        batch_free(probe);
        hash_join_free(j);
    }
    batch_free(build);
}

static void test_no_matches(void **unused)
{
    type_id bt[2] = {TYPE_INT, TYPE_STRING};
    const char *names[] = {"one", "two"};
    int32_t bk_[] = {1, 2};
    type_id pt[2] = {TYPE_INT, TYPE_INT};
    int32_t pid[] = {0, 1, 2};
    int32_t pk_[] = {3, 4, 0};
    uint8_t pkv[] = {1, 1, 0};
    int bk[1] = {0}, pk[1] = {1};
    for (int outer = 0; outer < 2; outer++) {
        batch *build = mk_batch(2, bt, 2);
        set_i32(build, 0, bk_, NULL);
        set_str(build, 1, names);
        hash_join *j = make_join(build, bk, 1, outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
        batch *probe = mk_batch(2, pt, 3);
        set_i32(probe, 0, pid, NULL);
        set_i32(probe, 1, pk_, pkv);
        batch *out = run(j, probe, pk, 1, NULL);
        assert_int_equal(out->ncols, 4);
        assert_int_equal(out->cols[3].type, TYPE_STRING);
        if (outer) {
            int want_p[] = {0, 1, 2}, want_b[] = {NONE, NONE, NONE};
            assert_ids(out, 0, want_p, 3);
            assert_ids(out, 2, want_b, 3);
            assert_true(str_is(out, 3, 2, NULL));
        } else {
            assert_int_equal(out->nrows, 0);
        }
        batch_free(out);
        batch_free(probe);
        hash_join_free(j);
    }
}

/* An empty table: inner gives nothing, left outer NULL-extends everything,
 * with or without keys and residual. */
static void test_empty_table(void **unused)
{
    type_id bt[2] = {TYPE_INT, TYPE_BIGINT};
    type_id pt[2] = {TYPE_INT, TYPE_INT};
    int32_t pid[] = {0, 1};
    for (int nkeys = 0; nkeys < 2; nkeys++) {
        for (int outer = 0; outer < 2; outer++) {
            batch *build = mk_batch(2, bt, 0);
            int bk[1] = {0}, pk[1] = {1};
            hash_join *j =
                make_join(build, bk, nkeys, outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
            assert_int_equal(hash_join_build_rows(j), 0);
            batch *probe = mk_batch(2, pt, 2);
            set_i32(probe, 0, pid, NULL);
            set_i32(probe, 1, pid, NULL);
            expr *res = bin(OP_GT, col(3, TYPE_BIGINT), lit_l(0));
            batch *out = run(j, probe, pk, nkeys, nkeys ? NULL : res);
            int want_p[] = {0, 1}, want_b[] = {NONE, NONE};
            if (outer) {
                assert_ids(out, 0, want_p, 2);
                assert_ids(out, 2, want_b, 2);
            } else {
                assert_int_equal(out->nrows, 0);
            }
            batch_free(out);
            batch_free(probe);
            hash_join_free(j);
        }
    }
}

/* ON p.k = t.k AND p.v < t.limit: inner drops rejected pairs; left outer
 * turns a probe row whose every key match is rejected (false or NULL) into
 * one NULL-extended row. */
static void test_residual(void **unused)
{
    type_id bt[3] = {TYPE_INT, TYPE_BIGINT, TYPE_INT};
    int32_t bk_[] = {1, 1, 2, 1, 3};
    int64_t lim[] = {10, 20, 10, 0, 5};
    uint8_t limv[] = {1, 1, 1, 0, 1};
    int32_t bid[] = {0, 1, 2, 3, 4};
    type_id pt[3] = {TYPE_INT, TYPE_INT, TYPE_BIGINT};
    int32_t pid[] = {0, 1, 2, 3, 4, 5};
    int32_t pk_[] = {1, 1, 2, 3, 9, 1};
    int64_t v[] = {5, 15, 10, 1, 0, 0};
    uint8_t vv[] = {1, 1, 1, 1, 1, 0};
    int bk[1] = {0}, pk[1] = {1};
    /* joined row: p.id 0, p.k 1, p.v 2, t.k 3, t.limit 4, t.id 5 */
    expr *res = bin(OP_LT, col(2, TYPE_BIGINT), col(4, TYPE_BIGINT));
    for (int outer = 0; outer < 2; outer++) {
        batch *build = mk_batch(3, bt, 5);
        set_i32(build, 0, bk_, NULL);
        set_i64(build, 1, lim, limv);
        set_i32(build, 2, bid, NULL);
        hash_join *j = make_join(build, bk, 1, outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
        batch *probe = mk_batch(3, pt, 6);
        set_i32(probe, 0, pid, NULL);
        set_i32(probe, 1, pk_, NULL);
        set_i64(probe, 2, v, vv);
        batch *out = run(j, probe, pk, 1, res);
        if (outer) {
            int want_p[] = {0, 0, 1, 2, 3, 4, 5}, want_b[] = {0, 1, 1, NONE, 4, NONE, NONE};
            assert_ids(out, 0, want_p, 7);
            assert_ids(out, 5, want_b, 7);
            assert_false(out->cols[4].valid[3]);
            assert_int_equal(out->cols[2].data.i64[3], 10);
        } else {
            int want_p[] = {0, 0, 1, 3}, want_b[] = {0, 1, 1, 4};
            assert_ids(out, 0, want_p, 4);
            assert_ids(out, 5, want_b, 4);
        }
        batch_free(out);
        batch_free(probe);
        hash_join_free(j);
    }
}

static void test_empty_probe(void **unused)
{
    type_id bt[2] = {TYPE_STRING, TYPE_INT};
    batch *build = mk_batch(2, bt, 2);
    const char *s[] = {"a", "b"};
    int32_t bid[] = {0, 1};
    set_str(build, 0, s);
    set_i32(build, 1, bid, NULL);
    int bk[1] = {0}, pk[1] = {0};
    hash_join *j = make_join(build, bk, 1, JOIN_TYPE_LEFT_OUTER);
    type_id pt[1] = {TYPE_STRING};
    batch *probe = mk_batch(1, pt, 0);
    batch *out = run(j, probe, pk, 1, NULL);
    assert_int_equal(out->nrows, 0);
    assert_int_equal(out->ncols, 3);
    assert_int_equal(out->cols[1].type, TYPE_STRING);
    batch_free(out);
    expr *res = bin(OP_GT, col(2, TYPE_INT), col(2, TYPE_INT));
    out = run(j, probe, pk, 1, res);
    assert_int_equal(out->nrows, 0);
    batch_free(out);
    batch_free(probe);
    hash_join_free(j);
}

/* nkeys = 0: every pair is a candidate and the residual decides. The
 * product (300 x 100) spans several residual chunks, and a probe row's
 * candidates straddle a chunk boundary. */
static void test_cross_join_residual(void **unused)
{
    enum { NP = 300, NB = 100 };
    type_id bt[2] = {TYPE_INT, TYPE_BIGINT};
    batch *build = mk_batch(2, bt, NB);
    int32_t bid[NB];
    int64_t lo[NB];
    for (int r = 0; r < NB; r++) {
        bid[r] = r;
        lo[r] = r * 3;
    }
    set_i32(build, 0, bid, NULL);
    set_i64(build, 1, lo, NULL);
    type_id pt[2] = {TYPE_INT, TYPE_BIGINT};
    batch *probe = mk_batch(2, pt, NP);
    int32_t pid[NP];
    int64_t v[NP];
    for (int i = 0; i < NP; i++) {
        pid[i] = i;
        v[i] = i;
    }
    set_i32(probe, 0, pid, NULL);
    set_i64(probe, 1, v, NULL);
    /* p.v >= t.lo AND p.v < t.lo + 3: exactly table row v / 3 when v < 300 */
    expr *res = bin(OP_AND, bin(OP_GE, col(1, TYPE_BIGINT), col(3, TYPE_BIGINT)),
                    bin(OP_LT, col(1, TYPE_BIGINT), bin(OP_ADD, col(3, TYPE_BIGINT), lit_l(3))));
    hash_join *j = make_join(build, NULL, 0, JOIN_TYPE_INNER);
    batch *out = run(j, probe, NULL, 0, res);
    assert_int_equal(out->nrows, NP);
    for (uint32_t r = 0; r < NP; r++) {
        assert_int_equal(out->cols[0].data.i32[r], r);
        assert_int_equal(out->cols[2].data.i32[r], r / 3);
    }
    batch_free(out);

    /* Without a residual: the whole product, probe-major. */
    batch *small = mk_batch(2, pt, 3);
    set_i32(small, 0, pid, NULL);
    set_i64(small, 1, v, NULL);
    out = run(j, small, NULL, 0, NULL);
    assert_int_equal(out->nrows, 3 * NB);
    for (uint32_t r = 0; r < 3 * NB; r++) {
        assert_int_equal(out->cols[0].data.i32[r], r / NB);
        assert_int_equal(out->cols[2].data.i32[r], r % NB);
    }
    batch_free(out);
    batch_free(small);
    hash_join_free(j);
    batch_free(probe);
}

/* Output strings whose bytes live in probe's arena, in a buffer probe keeps,
 * and in memory probe does not own at all: all survive freeing the probe
 * batch, the foreign memory and the join. Kept buffers are shared (one
 * reference per output), not copied. */
static void test_strings_outlive_probe(void **unused)
{
    type_id bt[2] = {TYPE_STRING, TYPE_STRING};
    batch *build = mk_batch(2, bt, 2);
    const char *k[] = {"k1", "k2"};
    const char *name[] = {"first", "second"};
    set_str(build, 0, k);
    set_str(build, 1, name);
    /* The table's strings from a buffer it keeps: released by the join. */
    rcbuf *tbuf = rcbuf_new(6);
    memcpy(tbuf->data, "secondk2", 6);
    build->cols[1].data.s[1].ptr = tbuf->data;
    batch_keep(build, tbuf);
    int bk[1] = {0};
    hash_join *j = make_join(build, bk, 1, JOIN_TYPE_LEFT_OUTER);

    type_id pt[3] = {TYPE_STRING, TYPE_STRING, TYPE_STRING};
    batch *probe = mk_batch(3, pt, 3);
    const char *a[] = {"k1", "k2", "k3"};
    set_str(probe, 0, a); /* in probe->arena */
    rcbuf *buf = rcbuf_new(16), *buf2 = rcbuf_new(5), *unused_buf = rcbuf_new(4);
    memcpy(buf->data, "file-bytes-here!", 16);
    memcpy(buf2->data, "other", 5);
    batch_keep(probe, unused_buf); /* probe holds the only references */
    batch_keep(probe, buf);
    batch_keep(probe, buf2);
    char *foreign = xstrdup("elsewhere");
    for (uint32_t i = 0; i < 3; i++) {
        probe->cols[1].valid[i] = 1;
        probe->cols[1].data.s[i].ptr = i == 1 ? buf2->data : buf->data + 5 * i;
        probe->cols[1].data.s[i].len = 5;
        probe->cols[2].valid[i] = i != 1;
        probe->cols[2].data.s[i].ptr = foreign + i;
        probe->cols[2].data.s[i].len = 4;
    }
    int pk[1] = {0};
    batch *out = run(j, probe, pk, 1, NULL);
    assert_int_equal(buf->refs, 2);
    assert_int_equal(buf2->refs, 2);
    assert_int_equal(unused_buf->refs, 1);
    assert_ptr_equal(out->cols[1].data.s[2].ptr, buf->data + 10);
    assert_ptr_equal(out->cols[1].data.s[1].ptr, buf2->data);
    assert_ptr_not_equal(out->cols[0].data.s[0].ptr, probe->cols[0].data.s[0].ptr);
    batch_free(probe);
    free(foreign);
    hash_join_free(j);
    assert_int_equal(buf->refs, 1);
    const char *want1[] = {"file-", "other", "-here"};
    const char *want2[] = {"else", NULL, "sewh"};
    const char *want4[] = {"first", "second", NULL};
    for (uint32_t r = 0; r < 3; r++) {
        assert_true(str_is(out, 0, r, a[r]));
        assert_true(str_is(out, 1, r, want1[r]));
        assert_true(str_is(out, 2, r, want2[r]));
        assert_true(str_is(out, 4, r, want4[r]));
    }
    assert_true(str_is(out, 3, 1, "k2"));
    batch_free(out);
}

static void test_errors(void **unused)
{
    type_id bt[1] = {TYPE_BIGINT};
    batch *build = mk_batch(1, bt, 2);
    int64_t k[] = {1, 2};
    set_i64(build, 0, k, NULL);
    int bk[1] = {0};
    hash_join *j = make_join(build, bk, 1, JOIN_TYPE_INNER);
    type_id pt[1] = {TYPE_INT};
    batch *probe = mk_batch(1, pt, 2);
    int32_t pk_[] = {1, 2};
    set_i32(probe, 0, pk_, NULL);
    column keys[1] = {probe->cols[0]};
    eddy_error err = {0};
    batch *out = NULL;
    func_ctx ctx = {probe->arena, 0};
    assert_int_equal(hash_join_probe(j, probe, keys, NULL, &ctx, &out, &err), -EDDY_RUNTIME);
    assert_non_null(strstr(err.message, "join key 1 is int"));
    assert_null(out);

    /* An error from the residual is returned as it is. */
    column cast;
    column_init(&cast, TYPE_BIGINT, 2);
    for (int i = 0; i < 2; i++) {
        cast.valid[i] = 1;
        cast.data.i64[i] = pk_[i];
    }
    expr *bad = bin(OP_GT, col(7, TYPE_BIGINT), lit_l(0));
    assert_int_equal(hash_join_probe(j, probe, &cast, bad, &ctx, &out, &err), -EDDY_RUNTIME);
    assert_non_null(strstr(err.message, "out of range"));
    assert_null(out);
    expr *ok = bin(OP_EQ, col(0, TYPE_INT), col(1, TYPE_BIGINT));
    assert_int_equal(hash_join_probe(j, probe, &cast, ok, &ctx, &out, &err), 0);
    assert_int_equal(out->nrows, 2);
    batch_free(out);
    column_free(&cast);
    batch_free(probe);
    hash_join_free(j);
}

/* ---- randomized comparison with a nested-loop join ------------------------ */

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

static const char *const WORDS[] = {"", "a", "b", "ab", "ba", "campaign-0001"};
static const double DOUBLES[] = {0.0, -0.0, 1.0, -1.0, 0.5};

/* Columns of both sides: id INT, s STRING, i INT, d DOUBLE, v BIGINT. The
 * keys are a random non-empty subset of (s, i, d); v feeds the residual. */
static batch *random_side(uint32_t n)
{
    type_id t[5] = {TYPE_INT, TYPE_STRING, TYPE_INT, TYPE_DOUBLE, TYPE_BIGINT};
    batch *b = mk_batch(5, t, n);
    for (uint32_t r = 0; r < n; r++) {
        b->cols[0].valid[r] = 1;
        b->cols[0].data.i32[r] = (int32_t)r;
        if (rnd(8)) {
            const char *w = WORDS[rnd(6)];
            b->cols[1].valid[r] = 1;
            b->cols[1].data.s[r].ptr = arena_strndup(b->arena, w, strlen(w));
            b->cols[1].data.s[r].len = (uint32_t)strlen(w);
        }
        b->cols[2].valid[r] = rnd(8) != 0;
        b->cols[2].data.i32[r] = (int32_t)rnd(4) - 1;
        if (rnd(8)) {
            b->cols[3].valid[r] = 1;
            uint32_t x = rnd(6);
            /* NaNs of two payloads */
            b->cols[3].data.f64[r] = x < 5 ? DOUBLES[x] : (rnd(2) ? NAN : -NAN);
        }
        b->cols[4].valid[r] = rnd(6) != 0;
        b->cols[4].data.i64[r] = (int64_t)rnd(20);
    }
    return b;
}

static bool ref_key_equal(const batch *p, uint32_t i, const batch *b, uint32_t r, int c)
{
    const column *x = &p->cols[c], *y = &b->cols[c];
    if (!x->valid[i] || !y->valid[r])
        return false;
    switch (x->type) {
    case TYPE_STRING:
        return x->data.s[i].len == y->data.s[r].len &&
               memcmp(x->data.s[i].ptr, y->data.s[r].ptr, x->data.s[i].len) == 0;
    case TYPE_INT: return x->data.i32[i] == y->data.i32[r];
    case TYPE_DOUBLE: {
        double a = x->data.f64[i], c2 = y->data.f64[r];
        return (isnan(a) && isnan(c2)) || a == c2; /* -0.0 == 0.0 in C */
    }
    default: return false;
    }
}

static void test_random_vs_nested_loop(void **unused)
{
    for (int iter = 0; iter < 300; iter++) {
        uint32_t nb = rnd(40), np = rnd(150);
        int keycols[3], nkeys = 0;
        for (int c = 1; c <= 3; c++)
            if (rnd(2))
                keycols[nkeys++] = c;
        if (rnd(10) == 0)
            nkeys = 0;
        bool outer = rnd(2);
        bool with_residual = rnd(2) || nkeys == 0;
        batch *build = random_side(nb);
        batch *probe = random_side(np);
        /* The reference needs the table's rows after hash_join_new took the
         * batch: keep a copy. */
        uint32_t *all = xmalloc((nb ? nb : 1) * sizeof(uint32_t));
        for (uint32_t r = 0; r < nb; r++)
            all[r] = r;
        batch *ref = batch_gather(build, all, nb);
        free(all);
        /* The reference's strings point into build's arena, which the join
         * releases: re-point them at the probe-independent WORDS. */
        for (uint32_t r = 0; r < nb; r++) {
            strv *s = &ref->cols[1].data.s[r];
            if (ref->cols[1].valid[r])
                for (int w = 0; w < 6; w++)
                    if (s->len == strlen(WORDS[w]) && memcmp(s->ptr, WORDS[w], s->len) == 0)
                        s->ptr = WORDS[w];
        }
        hash_join *j = make_join(build, keycols, nkeys,
                                 outer ? JOIN_TYPE_LEFT_OUTER : JOIN_TYPE_INNER);
        /* residual: p.v < t.v (NULL rejects) */
        expr *res = bin(OP_LT, col(4, TYPE_BIGINT), col(5 + 4, TYPE_BIGINT));
        batch *out = run(j, probe, keycols, nkeys, with_residual ? res : NULL);

        uint32_t o = 0;
        for (uint32_t i = 0; i < np; i++) {
            uint32_t matched = 0;
            for (uint32_t r = 0; r < nb; r++) {
                bool eq = true;
                for (int k = 0; k < nkeys && eq; k++)
                    eq = ref_key_equal(probe, i, ref, r, keycols[k]);
                if (eq && with_residual)
                    eq = probe->cols[4].valid[i] && ref->cols[4].valid[r] &&
                         probe->cols[4].data.i64[i] < ref->cols[4].data.i64[r];
                if (!eq)
                    continue;
                if (o >= out->nrows)
                    fail_msg("iter %d: output too short (%u rows)", iter, out->nrows);
                assert_int_equal(out->cols[0].data.i32[o], i);
                assert_true(out->cols[5].valid[o]);
                assert_int_equal(out->cols[5].data.i32[o], r);
                /* gathered values, including strings */
                assert_int_equal(out->cols[1].valid[o], probe->cols[1].valid[i]);
                if (probe->cols[1].valid[i]) {
                    strv want = probe->cols[1].data.s[i], got = out->cols[1].data.s[o];
                    assert_int_equal(got.len, want.len);
                    assert_memory_equal(got.ptr, want.ptr, want.len);
                }
                assert_int_equal(out->cols[4].valid[o], probe->cols[4].valid[i]);
                if (nkeys && keycols[0] == 1) {
                    strv want = ref->cols[1].data.s[r], got = out->cols[6].data.s[o];
                    assert_int_equal(got.len, want.len);
                    assert_memory_equal(got.ptr, want.ptr, want.len);
                }
                o++;
                matched++;
            }
            if (outer && !matched) {
                if (o >= out->nrows)
                    fail_msg("iter %d: output too short (%u rows)", iter, out->nrows);
                assert_int_equal(out->cols[0].data.i32[o], i);
                for (uint32_t c = 5; c < 10; c++)
                    assert_false(out->cols[c].valid[o]);
                o++;
            }
        }
        if (o != out->nrows)
            fail_msg("iter %d: %u rows, want %u", iter, out->nrows, o);
        batch_free(out);
        batch_free(probe);
        batch_free(ref);
        hash_join_free(j);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner_string_key),
        cmocka_unit_test(test_left_outer_multi_key),
        cmocka_unit_test(test_double_keys),
        cmocka_unit_test(test_duplicate_build_keys),
        cmocka_unit_test(test_no_matches),
        cmocka_unit_test(test_empty_table),
        cmocka_unit_test(test_residual),
        cmocka_unit_test(test_empty_probe),
        cmocka_unit_test(test_cross_join_residual),
        cmocka_unit_test(test_strings_outlive_probe),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_random_vs_nested_loop),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
