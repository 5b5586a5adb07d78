/* Unit tests for the aggregate functions (exec/agg_*.c): Spark's results,
 * NULL rules, combine = single pass, serialize round trips. */
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
#include "exec/agg.h"

/* Runs `f` over rows [from, to) of c into a fresh state (allocated with
 * malloc, caller frees). c may be NULL for count(*). */
static char *run_state(const agg_func *f, type_id t, const column *c, uint32_t from, uint32_t to,
                       arena *a)
{
    char *st = xmalloc(f->state_size(t));
    f->init(st, t);
    uint32_t n = to - from;
    char **rows = xmalloc((n ? n : 1) * sizeof(char *));
    for (uint32_t i = 0; i < n; i++)
        rows[i] = st;
    if (c && from) {
        column view = *c;
        view.valid += from;
        view.data.raw = (char *)c->data.raw + (size_t)from * type_width(c->type);
        f->update(rows, 0, &view, n, t, a);
    } else {
        f->update(rows, 0, c, n, t, a);
    }
    free(rows);
    return st;
}

/* Finalizes into a one-row column of the resolved type; returns that value. */
static value finish(const agg_func *f, type_id t, const void *st, column *out)
{
    type_id ret;
    assert_int_equal(f->resolve(t, &ret), 0);
    column_init(out, ret, 1);
    f->finalize(st, t, out, 0);
    return column_get(out, 0);
}

/* Single pass over all n rows. */
static value agg1(const agg_func *f, type_id t, const column *c, uint32_t n, arena *a, column *out)
{
    char *st = run_state(f, t, c, 0, n, a);
    value v = finish(f, t, st, out);
    free(st);
    return v;
}

static column col_i32(const int32_t *v, const uint8_t *valid, uint32_t n)
{
    column c;
    column_init(&c, TYPE_INT, n);
    for (uint32_t i = 0; i < n; i++) {
        c.data.i32[i] = v[i];
        c.valid[i] = valid ? valid[i] : 1;
    }
    return c;
}

static column col_i64(type_id t, const int64_t *v, const uint8_t *valid, uint32_t n)
{
    column c;
    column_init(&c, t, n);
    for (uint32_t i = 0; i < n; i++) {
        c.data.i64[i] = v[i];
        c.valid[i] = valid ? valid[i] : 1;
    }
    return c;
}

static column col_f64(const double *v, const uint8_t *valid, uint32_t n)
{
    column c;
    column_init(&c, TYPE_DOUBLE, n);
    for (uint32_t i = 0; i < n; i++) {
        c.data.f64[i] = v[i];
        c.valid[i] = valid ? valid[i] : 1;
    }
    return c;
}

/* NULL entries in v are SQL NULLs. */
static column col_str(const char *const *v, uint32_t n)
{
    column c;
    column_init(&c, TYPE_STRING, n);
    for (uint32_t i = 0; i < n; i++) {
        c.valid[i] = v[i] != NULL;
        c.data.s[i].ptr = v[i] ? v[i] : "";
        c.data.s[i].len = v[i] ? (uint32_t)strlen(v[i]) : 0;
    }
    return c;
}

static void assert_str(value v, const char *s)
{
    assert_false(v.is_null);
    assert_int_equal(v.v.s.len, strlen(s));
    assert_memory_equal(v.v.s.ptr, s, v.v.s.len);
}

static void test_lookup(void **unused)
{
    assert_ptr_equal(agg_lookup("COUNT"), &agg_count);
    assert_ptr_equal(agg_lookup("mean"), &agg_avg);
    assert_ptr_equal(agg_lookup("Stddev_Samp"), &agg_stddev);
    assert_null(agg_lookup("median"));
    const agg_func *hll = agg_lookup("approx_count_distinct");
    assert_non_null(hll);
    assert_ptr_equal(hll, agg_approx_count_distinct(0.05));
    assert_int_equal(hll->state_size(TYPE_STRING), 512); /* p = 9 */
    assert_int_equal(agg_approx_count_distinct(0.01)->state_size(TYPE_INT), 1 << 14);
    assert_null(agg_approx_count_distinct(0.5)); /* p = 3 */
    assert_null(agg_approx_count_distinct(0.0));
    int n = 0;
    for (const char *const *p = agg_names(); *p; p++)
        n++;
    assert_int_equal(n, 11);

    type_id r;
    assert_int_equal(agg_count.resolve(TYPE_NULL, &r), 0);
    assert_int_equal(r, TYPE_BIGINT);
    assert_int_equal(agg_sum.resolve(TYPE_INT, &r), 0);
    assert_int_equal(r, TYPE_BIGINT);
    assert_int_equal(agg_sum.resolve(TYPE_DOUBLE, &r), 0);
    assert_int_equal(r, TYPE_DOUBLE);
    assert_int_equal(agg_sum.resolve(TYPE_STRING, &r), -1);
    assert_int_equal(agg_avg.resolve(TYPE_BIGINT, &r), 0);
    assert_int_equal(r, TYPE_DOUBLE);
    assert_int_equal(agg_max.resolve(TYPE_TIMESTAMP, &r), 0);
    assert_int_equal(r, TYPE_TIMESTAMP);
    assert_int_equal(agg_stddev.resolve(TYPE_STRING, &r), -1);
}

static void test_count(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[5] = {1, 2, 3, 4, 5};
    uint8_t valid[5] = {1, 0, 1, 0, 1};
    column c = col_i32(v, valid, 5);
    assert_int_equal(agg1(&agg_count, TYPE_NULL, NULL, 5, a, &out).v.i64, 5);
    column_free(&out);
    assert_int_equal(agg1(&agg_count, TYPE_INT, &c, 5, a, &out).v.i64, 3);
    column_free(&out);
    value e = agg1(&agg_count, TYPE_INT, &c, 0, a, &out);
    assert_false(e.is_null);
    assert_int_equal(e.v.i64, 0);
    column_free(&out);
    uint8_t none[5] = {0};
    column n = col_i32(v, none, 5);
    assert_int_equal(agg1(&agg_count, TYPE_INT, &n, 5, a, &out).v.i64, 0);
    column_free(&out);
    const char *s[] = {"a", NULL, "b"};
    column cs = col_str(s, 3);
    assert_int_equal(agg1(&agg_count, TYPE_STRING, &cs, 3, a, &out).v.i64, 2);
    column_free(&out);
    column_free(&c);
    column_free(&n);
    column_free(&cs);
    arena_free(a);
}

static void test_sum(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[4] = {INT32_MAX, INT32_MAX, 7, -1};
    uint8_t valid[4] = {1, 1, 0, 1};
    column c = col_i32(v, valid, 4);
    value r = agg1(&agg_sum, TYPE_INT, &c, 4, a, &out);
    assert_int_equal(r.type, TYPE_BIGINT);
    assert_int_equal(r.v.i64, 2LL * INT32_MAX - 1); /* int sums widen to bigint */
    column_free(&out);
    assert_true(agg1(&agg_sum, TYPE_INT, &c, 0, a, &out).is_null);
    column_free(&out);
    uint8_t none[4] = {0};
    column n = col_i32(v, none, 4);
    assert_true(agg1(&agg_sum, TYPE_INT, &n, 4, a, &out).is_null);
    column_free(&out);

    int64_t big[3] = {INT64_MAX, 1, 1};
    column cb = col_i64(TYPE_BIGINT, big, NULL, 3);
    assert_int_equal(agg1(&agg_sum, TYPE_BIGINT, &cb, 3, a, &out).v.i64, INT64_MIN + 1);
    column_free(&out);

    double d[4] = {0.5, 1.25, 100.0, -0.75};
    uint8_t dv[4] = {1, 1, 0, 1};
    column cd = col_f64(d, dv, 4);
    r = agg1(&agg_sum, TYPE_DOUBLE, &cd, 4, a, &out);
    assert_int_equal(r.type, TYPE_DOUBLE);
    assert_true(r.v.f64 == 1.0);
    column_free(&out);
    column_free(&c);
    column_free(&n);
    column_free(&cb);
    column_free(&cd);
    arena_free(a);
}

static void test_avg(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[4] = {1, 2, 100, 4};
    uint8_t valid[4] = {1, 1, 0, 1};
    column c = col_i32(v, valid, 4);
    value r = agg1(&agg_avg, TYPE_INT, &c, 4, a, &out);
    assert_int_equal(r.type, TYPE_DOUBLE);
    assert_true(fabs(r.v.f64 - 7.0 / 3.0) < 1e-12);
    column_free(&out);
    assert_true(agg1(&agg_avg, TYPE_INT, &c, 0, a, &out).is_null);
    column_free(&out);
    int64_t big[2] = {INT64_MAX, INT64_MAX};
    column cb = col_i64(TYPE_BIGINT, big, NULL, 2);
    r = agg1(&agg_avg, TYPE_BIGINT, &cb, 2, a, &out); /* double sum: no wrap */
    assert_true(fabs(r.v.f64 - 9.223372036854775807e18) < 1e6);
    column_free(&out);
    column_free(&c);
    column_free(&cb);
    arena_free(a);
}

static void test_min_max_numbers(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[5] = {5, -3, 9, -100, 2};
    uint8_t valid[5] = {1, 1, 1, 0, 1};
    column c = col_i32(v, valid, 5);
    assert_int_equal(agg1(&agg_min, TYPE_INT, &c, 5, a, &out).v.i32, -3);
    column_free(&out);
    assert_int_equal(agg1(&agg_max, TYPE_INT, &c, 5, a, &out).v.i32, 9);
    column_free(&out);
    assert_true(agg1(&agg_max, TYPE_INT, &c, 0, a, &out).is_null);
    column_free(&out);
    uint8_t none[5] = {0};
    column n = col_i32(v, none, 5);
    assert_true(agg1(&agg_min, TYPE_INT, &n, 5, a, &out).is_null);
    column_free(&out);

    double d[4] = {1.5, NAN, -2.0, 3.0};
    column cd = col_f64(d, NULL, 4);
    assert_true(isnan(agg1(&agg_max, TYPE_DOUBLE, &cd, 4, a, &out).v.f64));
    column_free(&out);
    assert_true(agg1(&agg_min, TYPE_DOUBLE, &cd, 4, a, &out).v.f64 == -2.0);
    column_free(&out);

    int64_t ts[3] = {1700000000000000LL, 1600000000000000LL, 1800000000000000LL};
    uint8_t tv[3] = {1, 1, 0};
    column ct = col_i64(TYPE_TIMESTAMP, ts, tv, 3);
    value r = agg1(&agg_max, TYPE_TIMESTAMP, &ct, 3, a, &out);
    assert_int_equal(r.type, TYPE_TIMESTAMP);
    assert_int_equal(r.v.i64, 1700000000000000LL);
    column_free(&out);
    assert_int_equal(agg1(&agg_min, TYPE_TIMESTAMP, &ct, 3, a, &out).v.i64, 1600000000000000LL);
    column_free(&out);

    column cdt;
    column_init(&cdt, TYPE_DATE, 3);
    int32_t days[3] = {19000, 18000, 20000};
    for (int i = 0; i < 3; i++) {
        cdt.data.i32[i] = days[i];
        cdt.valid[i] = 1;
    }
    assert_int_equal(agg1(&agg_min, TYPE_DATE, &cdt, 3, a, &out).v.i32, 18000);
    column_free(&out);

    column cbool;
    column_init(&cbool, TYPE_BOOLEAN, 3);
    uint8_t bools[3] = {0, 2, 0}; /* any non-zero byte is true */
    for (int i = 0; i < 3; i++) {
        cbool.data.b[i] = bools[i];
        cbool.valid[i] = 1;
    }
    r = agg1(&agg_max, TYPE_BOOLEAN, &cbool, 3, a, &out);
    assert_true(r.v.b);
    assert_int_equal(out.data.b[0], 1);
    column_free(&out);
    assert_false(agg1(&agg_min, TYPE_BOOLEAN, &cbool, 3, a, &out).v.b);
    column_free(&out);

    column cw;
    column_init(&cw, TYPE_WINDOW, 3);
    window_val w[3] = {{10, 20}, {0, 10}, {10, 15}};
    for (int i = 0; i < 3; i++) {
        cw.data.w[i] = w[i];
        cw.valid[i] = 1;
    }
    r = agg1(&agg_max, TYPE_WINDOW, &cw, 3, a, &out);
    assert_int_equal(r.v.w.start, 10);
    assert_int_equal(r.v.w.end, 20);
    column_free(&out);

    column_free(&c);
    column_free(&n);
    column_free(&cd);
    column_free(&ct);
    column_free(&cdt);
    column_free(&cbool);
    column_free(&cw);
    arena_free(a);
}

static void test_min_max_strings(void **unused)
{
    arena *a = arena_new(0);
    column out;
    const char *s[] = {"b", "ab", NULL, "a", "\xc3\xa9t\xc3\xa9", "zz", ""};
    column c = col_str(s, 6);
    assert_str(agg1(&agg_min, TYPE_STRING, &c, 6, a, &out), "a");
    column_free(&out);
    /* Byte order: UTF-8 é (0xc3) sorts after ASCII. */
    assert_str(agg1(&agg_max, TYPE_STRING, &c, 6, a, &out), "\xc3\xa9t\xc3\xa9");
    column_free(&out);
    column c7 = col_str(s, 7);
    assert_str(agg1(&agg_min, TYPE_STRING, &c7, 7, a, &out), "");
    column_free(&out);

    /* The state copies strings: the input may go away between batches. */
    char buf1[8] = "mango", buf2[8] = "apple";
    const char *b1[] = {buf1}, *b2[] = {buf2};
    column x = col_str(b1, 1), y = col_str(b2, 1);
    char *st = run_state(&agg_max, TYPE_STRING, &x, 0, 1, a);
    memcpy(buf1, "XXXXX", 5);
    char *rows[1] = {st};
    agg_max.update(rows, 0, &y, 1, TYPE_STRING, a);
    assert_str(finish(&agg_max, TYPE_STRING, st, &out), "mango");
    column_free(&out);
    free(st);
    column_free(&c);
    column_free(&c7);
    column_free(&x);
    column_free(&y);
    arena_free(a);
}

static void test_first_last(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[4] = {0, 2, 3, 0};
    uint8_t valid[4] = {0, 1, 1, 0};
    column c = col_i32(v, valid, 4);
    assert_true(agg1(&agg_first, TYPE_INT, &c, 4, a, &out).is_null); /* ignoreNulls=false */
    column_free(&out);
    assert_true(agg1(&agg_last, TYPE_INT, &c, 4, a, &out).is_null);
    column_free(&out);
    /* rows 1..3: first = 2, last = 3 */
    char *st = run_state(&agg_first, TYPE_INT, &c, 1, 3, a);
    assert_int_equal(finish(&agg_first, TYPE_INT, st, &out).v.i32, 2);
    column_free(&out);
    free(st);
    st = run_state(&agg_last, TYPE_INT, &c, 1, 3, a);
    assert_int_equal(finish(&agg_last, TYPE_INT, st, &out).v.i32, 3);
    column_free(&out);
    free(st);
    assert_true(agg1(&agg_first, TYPE_INT, &c, 0, a, &out).is_null);
    column_free(&out);

    /* Across two batches: first keeps the earliest, last the latest. */
    const char *s1[] = {"x1", "x2"}, *s2[] = {"y1", "y2", "y3"};
    column b1 = col_str(s1, 2), b2 = col_str(s2, 3);
    char *f = run_state(&agg_first, TYPE_STRING, &b1, 0, 2, a);
    char *l = run_state(&agg_last, TYPE_STRING, &b1, 0, 2, a);
    char *rows[3] = {f, f, f};
    agg_first.update(rows, 0, &b2, 3, TYPE_STRING, a);
    char *lrows[3] = {l, l, l};
    agg_last.update(lrows, 0, &b2, 3, TYPE_STRING, a);
    assert_str(finish(&agg_first, TYPE_STRING, f, &out), "x1");
    column_free(&out);
    assert_str(finish(&agg_last, TYPE_STRING, l, &out), "y3");
    column_free(&out);
    free(f);
    free(l);
    column_free(&b1);
    column_free(&b2);
    column_free(&c);
    arena_free(a);
}

static void test_stddev(void **unused)
{
    arena *a = arena_new(0);
    column out;
    int32_t v[9] = {2, 4, 4, 4, 5, 5, 7, 9, 1000};
    uint8_t valid[9] = {1, 1, 1, 1, 1, 1, 1, 1, 0};
    column c = col_i32(v, valid, 9);
    /* mean 5, squared deviations sum 32, sample variance 32/7 */
    value r = agg1(&agg_stddev, TYPE_INT, &c, 9, a, &out);
    assert_true(fabs(r.v.f64 - sqrt(32.0 / 7.0)) < 1e-12);
    column_free(&out);
    assert_true(agg1(&agg_stddev, TYPE_INT, &c, 1, a, &out).is_null); /* n = 1 */
    column_free(&out);
    assert_true(agg1(&agg_stddev, TYPE_INT, &c, 0, a, &out).is_null);
    column_free(&out);
    double d[3] = {1e9 + 4, 1e9 + 7, 1e9 + 13}; /* large offset: Welford stays exact */
    column cd = col_f64(d, NULL, 3);
    r = agg1(&agg_stddev, TYPE_DOUBLE, &cd, 3, a, &out);
    assert_true(fabs(r.v.f64 - sqrt(21.0)) < 1e-6);
    column_free(&out);
    column_free(&c);
    column_free(&cd);
    arena_free(a);
}

static void test_hll_accuracy(void **unused)
{
    arena *a = arena_new(0);
    column out;
    const agg_func *f = agg_lookup("approx_count_distinct");
    uint32_t n = 300000;
    int64_t *v = xmalloc(n * sizeof(int64_t));
    /* 0..d-1, each three times. */
    struct {
        uint32_t distinct;
        double tol;
    } cases[] = {{10, 0}, {101, 0.05}, {1000, 0.05}, {100000, 0.05}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        uint32_t d = cases[k].distinct;
        for (uint32_t i = 0; i < 3 * d; i++)
            v[i] = (int64_t)(i % d);
        column c = col_i64(TYPE_BIGINT, v, NULL, 3 * d);
        int64_t est = agg1(f, TYPE_BIGINT, &c, 3 * d, a, &out).v.i64;
        column_free(&out);
        double err = fabs((double)est - d) / d;
        if (err > cases[k].tol)
            fail_msg("approx_count_distinct of %u distinct gave %lld", d, (long long)est);
        column_free(&c);
    }
    free(v);

    /* Strings, with NULLs and repeats: linear counting, off by at most one
     * register collision for 40 values in 512 registers. */
    char names[40][16];
    const char *s[80];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "n%d", i);
        s[2 * i] = names[i];
        s[2 * i + 1] = i % 3 ? names[i] : NULL;
    }
    column cs = col_str(s, 80);
    assert_in_range(agg1(f, TYPE_STRING, &cs, 80, a, &out).v.i64, 39, 41);
    column_free(&out);
    assert_int_equal(agg1(f, TYPE_STRING, &cs, 0, a, &out).v.i64, 0);
    column_free(&out);
    column_free(&cs);

    /* Doubles: -0.0 and 0.0 are one value. */
    double dz[3] = {0.0, -0.0, 1.0};
    column cd = col_f64(dz, NULL, 3);
    assert_int_equal(agg1(f, TYPE_DOUBLE, &cd, 3, a, &out).v.i64, 2);
    column_free(&out);
    column_free(&cd);

    /* Unbiased with the expected spread (1.04 / sqrt(512) = 4.6%) over many
     * random sets, including the range where HLL++ corrects the raw
     * estimate's bias (about 400 to 2560 for p = 9). */
    uint64_t rng = 88172645463325252ULL;
    int64_t *r = xmalloc(4000 * sizeof(int64_t));
    uint32_t sizes[] = {300, 1000, 2000, 4000};
    for (int k = 0; k < 4; k++) {
        double sum = 0, sq = 0;
        for (int t = 0; t < 60; t++) {
            for (uint32_t i = 0; i < sizes[k]; i++) {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                r[i] = (int64_t)rng;
            }
            column cr = col_i64(TYPE_BIGINT, r, NULL, sizes[k]);
            double e = (agg1(f, TYPE_BIGINT, &cr, sizes[k], a, &out).v.i64 - (double)sizes[k]) /
                       sizes[k];
            column_free(&out);
            column_free(&cr);
            sum += e;
            sq += e * e;
        }
        if (fabs(sum / 60) > 0.015 || sqrt(sq / 60) > 0.065)
            fail_msg("HLL at %u: mean error %.4f, rmse %.4f", sizes[k], sum / 60, sqrt(sq / 60));
    }
    free(r);

    /* A finer precision is more accurate. */
    const agg_func *fine = agg_approx_count_distinct(0.01);
    int64_t *w = xmalloc(50000 * sizeof(int64_t));
    for (int i = 0; i < 50000; i++)
        w[i] = i;
    column cw = col_i64(TYPE_BIGINT, w, NULL, 50000);
    int64_t est = agg1(fine, TYPE_BIGINT, &cw, 50000, a, &out).v.i64;
    column_free(&out);
    assert_true(fabs((double)est - 50000) / 50000 < 0.02);
    column_free(&cw);
    free(w);
    arena_free(a);
}

/* Splits the input at every third of the rows, combines the partial states
 * and compares with one pass (bit-for-bit for all but float sums). */
static void check_combine(const agg_func *f, type_id t, const column *c, uint32_t n, arena *a)
{
    column o1, o2;
    value single = agg1(f, t, c, n, a, &o1);
    char *s1 = run_state(f, t, c, 0, n / 3, a);
    char *s2 = run_state(f, t, c, n / 3, 2 * n / 3, a);
    char *s3 = run_state(f, t, c, 2 * n / 3, n, a);
    f->combine(s1, s2, t, a);
    f->combine(s1, s3, t, a);
    value merged = finish(f, t, s1, &o2);
    assert_int_equal(single.is_null, merged.is_null);
    if (!single.is_null) {
        if (o1.type == TYPE_DOUBLE)
            assert_true(fabs(single.v.f64 - merged.v.f64) <= 1e-9 * fabs(single.v.f64));
        else
            assert_int_equal(value_compare(&single, &merged), 0);
    }
    /* A state with nothing combined from an empty one stays the same. */
    char *empty = xmalloc(f->state_size(t));
    f->init(empty, t);
    f->combine(s1, empty, t, a);
    column o3;
    value again = finish(f, t, s1, &o3);
    assert_int_equal(value_compare(&merged, &again), 0);
    free(empty);
    free(s1);
    free(s2);
    free(s3);
    column_free(&o1);
    column_free(&o2);
    column_free(&o3);
}

static void test_combine(void **unused)
{
    arena *a = arena_new(0);
    enum { N = 3000 };
    int32_t v[N];
    uint8_t valid[N];
    double d[N];
    const char *s[N];
    char words[N][12];
    for (int i = 0; i < N; i++) {
        v[i] = (i * 7919) % 1000 - 500;
        valid[i] = i % 5 != 0;
        d[i] = (double)((i * 31) % 97) / 7.0;
        snprintf(words[i], sizeof words[i], "w%d", (i * 13) % 200);
        s[i] = i % 4 ? words[i] : NULL;
    }
    column ci = col_i32(v, valid, N), cd = col_f64(d, valid, N), cs = col_str(s, N);
    const agg_func *fs[] = {&agg_count, &agg_sum, &agg_avg, &agg_min, &agg_max,
                            &agg_first, &agg_last, &agg_stddev,
                            agg_lookup("approx_count_distinct")};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
        check_combine(fs[k], TYPE_INT, &ci, N, a);
        check_combine(fs[k], TYPE_DOUBLE, &cd, N, a);
        type_id r;
        if (fs[k]->resolve(TYPE_STRING, &r) == 0)
            check_combine(fs[k], TYPE_STRING, &cs, N, a);
    }
    check_combine(&agg_count, TYPE_NULL, NULL, N, a);
    column_free(&ci);
    column_free(&cd);
    column_free(&cs);
    arena_free(a);
}

static void check_roundtrip(const agg_func *f, type_id t, const column *c, uint32_t n)
{
    arena *a = arena_new(0);
    char *st = run_state(f, t, c, 0, n, a);
    agg_buf buf = {0};
    f->serialize(st, t, &buf);
    arena *b = arena_new(0);
    char *copy = xmalloc(f->state_size(t));
    agg_reader in = {buf.data, buf.data + buf.len, false};
    assert_int_equal(f->deserialize(copy, t, &in, b), 0);
    assert_ptr_equal(in.p, in.end);
    arena_free(a); /* the copy must not point into the old arena */
    column o1, o2;
    value x = finish(f, t, copy, &o1);
    value y = finish(f, t, copy, &o2);
    assert_int_equal(value_compare(&x, &y), 0);
    /* Compare with a fresh single pass. */
    arena *c2 = arena_new(0);
    column o3;
    value z = agg1(f, t, c, n, c2, &o3);
    assert_int_equal(x.is_null, z.is_null);
    assert_int_equal(value_compare(&x, &z), 0);
    /* Truncated input fails cleanly. */
    if (buf.len > 0) {
        agg_reader cut = {buf.data, buf.data + buf.len - 1, false};
        char *junk = xmalloc(f->state_size(t));
        assert_int_equal(f->deserialize(junk, t, &cut, b), -1);
        free(junk);
    }
    column_free(&o1);
    column_free(&o2);
    column_free(&o3);
    free(copy);
    free(st);
    agg_buf_free(&buf);
    arena_free(b);
    arena_free(c2);
}

static void test_serialize(void **unused)
{
    int32_t v[5] = {3, -8, 0, 11, 4};
    uint8_t valid[5] = {1, 1, 0, 1, 1};
    const char *s[5] = {NULL, "kiwi", "fig", "banana", "fig"};
    column ci = col_i32(v, valid, 5), cs = col_str(s, 5);
    const agg_func *fs[] = {&agg_count, &agg_sum, &agg_avg, &agg_min, &agg_max,
                            &agg_first, &agg_last, &agg_stddev,
                            agg_lookup("approx_count_distinct")};
    for (size_t k = 0; k < sizeof fs / sizeof fs[0]; k++) {
        check_roundtrip(fs[k], TYPE_INT, &ci, 5);
        check_roundtrip(fs[k], TYPE_INT, &ci, 0);
        type_id r;
        if (fs[k]->resolve(TYPE_STRING, &r) == 0)
            check_roundtrip(fs[k], TYPE_STRING, &cs, 5);
    }
    column_free(&ci);
    column_free(&cs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_count),
        cmocka_unit_test(test_sum),
        cmocka_unit_test(test_avg),
        cmocka_unit_test(test_min_max_numbers),
        cmocka_unit_test(test_min_max_strings),
        cmocka_unit_test(test_first_last),
        cmocka_unit_test(test_stddev),
        cmocka_unit_test(test_hll_accuracy),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_serialize),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
