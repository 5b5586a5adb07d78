/* Unit tests for hash aggregation (exec/hash_agg.c): grouping with NULL and
 * multi-column keys, resizing, update-mode tracking, eviction, DISTINCT,
 * merging partial aggregations and the checkpoint format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "exec/agg.h"

static agg_spec spec(const agg_func *f, type_id arg, bool distinct)
{
    agg_spec s = {f, arg, distinct, TYPE_NULL};
    assert_int_equal(f->resolve(arg, &s.ret_type), 0);
    return s;
}

/* NULL entries are SQL NULLs. */
static void fill_str(column *c, const char *const *v, uint32_t n)
{
    column_init(c, TYPE_STRING, n);
    for (uint32_t i = 0; i < n; i++) {
        c->valid[i] = v[i] != NULL;
        c->data.s[i].ptr = v[i] ? v[i] : "";
        c->data.s[i].len = v[i] ? (uint32_t)strlen(v[i]) : 0;
    }
}

static void fill_i64(column *c, type_id t, const int64_t *v, const uint8_t *valid, uint32_t n)
{
    column_init(c, t, n);
    for (uint32_t i = 0; i < n; i++) {
        c->data.i64[i] = v[i];
        c->valid[i] = valid ? valid[i] : 1;
    }
}

static void fill_i32(column *c, const int32_t *v, const uint8_t *valid, uint32_t n)
{
    column_init(c, TYPE_INT, n);
    for (uint32_t i = 0; i < n; i++) {
        c->data.i32[i] = v[i];
        c->valid[i] = valid ? valid[i] : 1;
    }
}

static bool str_is(const batch *b, uint32_t col, uint32_t row, const char *s)
{
    if (!s)
        return !b->cols[col].valid[row];
    strv v = b->cols[col].data.s[row];
    return b->cols[col].valid[row] && v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

static void test_string_key_count_sum(void **unused)
{
    agg_spec aggs[2] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_sum, TYPE_BIGINT, false)};
    type_id kt = TYPE_STRING;
    hash_agg *h = hash_agg_new(1, &kt, 2, aggs);
    const char *k[] = {"view", "login", "view", NULL, "purchase", "login", "view", NULL};
    int64_t v[] = {1, 2, 3, 4, 5, 6, 7, 8};
    uint8_t valid[] = {1, 1, 1, 1, 1, 0, 1, 1};
    column key, val;
    fill_str(&key, k, 8);
    fill_i64(&val, TYPE_BIGINT, v, valid, 8);
    const column *args[2] = {NULL, &val};
    hash_agg_update(h, &key, args, 8);
    assert_int_equal(hash_agg_ngroups(h), 4);

    batch *b = hash_agg_output(h, false);
    assert_int_equal(b->nrows, 4);
    assert_int_equal(b->ncols, 3);
    assert_int_equal(b->cols[1].type, TYPE_BIGINT);
    const char *keys[] = {"view", "login", NULL, "purchase"};
    int64_t counts[] = {3, 2, 2, 1}, sums[] = {11, 2, 12, 5};
    for (uint32_t r = 0; r < 4; r++) {
        assert_true(str_is(b, 0, r, keys[r]));
        assert_int_equal(b->cols[1].data.i64[r], counts[r]);
        assert_int_equal(b->cols[2].data.i64[r], sums[r]);
    }
    /* The batch owns its strings: it outlives the aggregation. */
    hash_agg_free(h);
    assert_true(str_is(b, 0, 3, "purchase"));
    batch_free(b);
    column_free(&key);
    column_free(&val);
}

static void test_multi_key_nulls(void **unused)
{
    agg_spec aggs[1] = {spec(&agg_count, TYPE_NULL, false)};
    type_id kt[3] = {TYPE_STRING, TYPE_INT, TYPE_DOUBLE};
    hash_agg *h = hash_agg_new(3, kt, 1, aggs);
    const char *s[] = {"a", "a", NULL, NULL, "a", NULL, "", "a"};
    int32_t i[] = {1, 1, 1, 0, 1, 0, 1, 2};
    uint8_t iv[] = {1, 1, 1, 0, 1, 0, 1, 1};
    double d[] = {0.0, -0.0, 5.0, 5.0, NAN, 5.0, 0.0, 0.0};
    column cols[3];
    fill_str(&cols[0], s, 8);
    fill_i32(&cols[1], i, iv, 8);
    column_init(&cols[2], TYPE_DOUBLE, 8);
    for (int r = 0; r < 8; r++) {
        cols[2].data.f64[r] = d[r];
        cols[2].valid[r] = 1;
    }
    const column *args[1] = {NULL};
    hash_agg_update(h, cols, args, 8);
    /* groups: (a,1,0) x2 [-0.0 = 0.0], (NULL,1,5), (NULL,NULL,5) x2, (a,1,NaN),
     * ("",1,0), (a,2,0) */
    assert_int_equal(hash_agg_ngroups(h), 6);
    /* A second batch: NaN with a different payload is the same key. */
    double other_nan = -NAN;
    cols[2].data.f64[4] = other_nan;
    hash_agg_update(h, cols, args, 8);
    assert_int_equal(hash_agg_ngroups(h), 6);
    batch *b = hash_agg_output(h, false);
    int64_t want[] = {4, 2, 4, 2, 2, 2};
    for (int r = 0; r < 6; r++)
        assert_int_equal(b->cols[3].data.i64[r], want[r]);
    assert_true(str_is(b, 0, 2, NULL));
    assert_false(b->cols[1].valid[2]);
    assert_true(b->cols[2].data.f64[0] == 0.0 && !signbit(b->cols[2].data.f64[0]));
    assert_true(isnan(b->cols[2].data.f64[3]));
    assert_true(str_is(b, 0, 4, ""));
    batch_free(b);
    for (int k = 0; k < 3; k++)
        column_free(&cols[k]);
    hash_agg_free(h);
}

static void test_many_groups_resize(void **unused)
{
    agg_spec aggs[2] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_max, TYPE_BIGINT, false)};
    type_id kt[2] = {TYPE_STRING, TYPE_BIGINT};
    hash_agg *h = hash_agg_new(2, kt, 2, aggs);
    enum { N = 50000, G = 20000 };
    char (*names)[16] = xmalloc(N * sizeof *names);
    const char **s = xmalloc(N * sizeof(char *));
    int64_t *v = xmalloc(N * sizeof(int64_t));
    for (int i = 0; i < N; i++) {
        int g = (int)(((int64_t)i * 7919) % G);
        snprintf(names[i], sizeof names[i], "k%d", g / 2);
        s[i] = names[i];
        v[i] = g % 2;
    }
    column cols[2];
    fill_str(&cols[0], s, N);
    fill_i64(&cols[1], TYPE_BIGINT, v, NULL, N);
    column val;
    fill_i64(&val, TYPE_BIGINT, v, NULL, N);
    for (int i = 0; i < N; i++)
        val.data.i64[i] = i;
    const column *args[2] = {NULL, &val};
    for (int rep = 0; rep < 2; rep++)
        hash_agg_update(h, cols, args, N);
    assert_int_equal(hash_agg_ngroups(h), G);
    assert_true(hash_agg_memory(h) > G * 32);
    batch *b = hash_agg_output(h, false);
    assert_int_equal(b->nrows, G);
    int64_t total = 0;
    for (uint32_t r = 0; r < b->nrows; r++) {
        total += b->cols[2].data.i64[r];
        if (r % 997)
            continue;
        /* max(value) of the group is the last row i with i*7919 % G == g */
        int g = atoi(b->cols[0].data.s[r].ptr + 1) * 2 + (int)b->cols[1].data.i64[r];
        int64_t last = -1;
        for (int i = 0; i < N; i++)
            if (((int64_t)i * 7919) % G == g)
                last = i;
        assert_int_equal(b->cols[3].data.i64[r], last);
    }
    assert_int_equal(total, 2 * N);
    batch_free(b);
    free(names);
    free(s);
    free(v);
    column_free(&cols[0]);
    column_free(&cols[1]);
    column_free(&val);
    hash_agg_free(h);
}

static void test_update_mode(void **unused)
{
    agg_spec aggs[1] = {spec(&agg_count, TYPE_NULL, false)};
    type_id kt = TYPE_STRING;
    hash_agg *h = hash_agg_new(1, &kt, 1, aggs);
    const column *args[1] = {NULL};
    column k;
    const char *b1[] = {"A", "B", "A"};
    fill_str(&k, b1, 3);
    hash_agg_begin_batch(h);
    hash_agg_update(h, &k, args, 3);
    assert_int_equal(hash_agg_nupdated(h), 2);
    column_free(&k);

    const char *b2[] = {"C", "A", "C"};
    fill_str(&k, b2, 3);
    hash_agg_begin_batch(h);
    assert_int_equal(hash_agg_nupdated(h), 0);
    hash_agg_update(h, &k, args, 3);
    assert_int_equal(hash_agg_nupdated(h), 2);
    batch *b = hash_agg_output(h, true);
    assert_int_equal(b->nrows, 2);
    /* first-seen order, not touch order: A (seen in batch 1) before C */
    assert_true(str_is(b, 0, 0, "A"));
    assert_int_equal(b->cols[1].data.i64[0], 3);
    assert_true(str_is(b, 0, 1, "C"));
    assert_int_equal(b->cols[1].data.i64[1], 2);
    batch_free(b);
    b = hash_agg_output(h, false);
    assert_int_equal(b->nrows, 3);
    assert_true(str_is(b, 0, 1, "B"));
    batch_free(b);

    hash_agg_begin_batch(h);
    b = hash_agg_output(h, true);
    assert_int_equal(b->nrows, 0);
    batch_free(b);
    column_free(&k);
    hash_agg_free(h);
}

static bool keep_odd(const value *keys, void *ctx)
{
    (*(int *)ctx)++;
    return keys[0].is_null || (keys[0].v.i64 & 1);
}

static void test_evict_reinsert(void **unused)
{
    agg_spec aggs[2] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_first, TYPE_STRING, false)};
    type_id kt = TYPE_BIGINT;
    hash_agg *h = hash_agg_new(1, &kt, 2, aggs);
    enum { N = 1000 };
    int64_t v[N];
    uint8_t valid[N];
    const char *s[N];
    for (int i = 0; i < N; i++) {
        v[i] = i % 100;
        valid[i] = i % 100 != 99; /* key 99 rows are NULL keys */
        s[i] = i < 100 ? "early" : "late";
    }
    column key, str;
    fill_i64(&key, TYPE_BIGINT, v, valid, N);
    fill_str(&str, s, N);
    const column *args[2] = {NULL, &str};
    hash_agg_begin_batch(h);
    hash_agg_update(h, &key, args, N);
    assert_int_equal(hash_agg_ngroups(h), 100);
    int calls = 0;
    assert_int_equal(hash_agg_evict(h, keep_odd, &calls), 50);
    assert_int_equal(calls, 100);
    assert_int_equal(hash_agg_ngroups(h), 50);
    assert_int_equal(hash_agg_nupdated(h), 50);

    /* Survivors are still found; evicted keys come back as new groups. */
    for (int i = 0; i < N; i++)
        s[i] = "again";
    column_free(&str);
    fill_str(&str, s, N);
    hash_agg_begin_batch(h);
    hash_agg_update(h, &key, args, N);
    assert_int_equal(hash_agg_ngroups(h), 100);
    batch *b = hash_agg_output(h, false);
    assert_int_equal(b->nrows, 100);
    for (uint32_t r = 0; r < 100; r++) {
        bool odd_or_null = !b->cols[0].valid[r] || (b->cols[0].data.i64[r] & 1);
        assert_int_equal(b->cols[1].data.i64[r], odd_or_null ? 20 : 10);
        assert_true(str_is(b, 2, r, odd_or_null ? "early" : "again"));
        /* survivors first (first-seen order), then the re-inserted keys */
        assert_int_equal(odd_or_null, r < 50);
    }
    batch_free(b);
    column_free(&key);
    column_free(&str);
    hash_agg_free(h);
}

static bool keep_above(const value *keys, void *ctx)
{
    return keys[0].v.i64 >= *(int64_t *)ctx;
}

/* Windowed-style eviction of most groups, many times: the arena is
 * compacted and everything still adds up (ASan checks no stale pointers). */
static void test_evict_compaction(void **unused)
{
    agg_spec aggs[3] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_max, TYPE_STRING, false),
                        spec(&agg_count, TYPE_STRING, true)};
    type_id kt[2] = {TYPE_BIGINT, TYPE_STRING};
    hash_agg *h = hash_agg_new(2, kt, 3, aggs);
    enum { N = 20000 };
    int64_t *w = xmalloc(N * sizeof(int64_t));
    char (*names)[24] = xmalloc(N * sizeof *names);
    const char **s = xmalloc(N * sizeof(char *));
    column cols[2];
    for (int64_t round = 0; round < 12; round++) {
        for (int i = 0; i < N; i++) {
            w[i] = round * N + i / 2;
            snprintf(names[i], sizeof names[i], "user-%d-padding-text", i % 7);
            s[i] = names[i];
        }
        fill_i64(&cols[0], TYPE_BIGINT, w, NULL, N);
        fill_str(&cols[1], s, N);
        const column *args[3] = {NULL, &cols[1], &cols[1]};
        hash_agg_begin_batch(h);
        hash_agg_update(h, cols, args, N);
        int64_t cut = round * N + N / 2 - 10;
        hash_agg_evict(h, keep_above, &cut);
        column_free(&cols[0]);
        column_free(&cols[1]);
    }
    assert_true(hash_agg_memory(h) < 8u << 20);
    batch *b = hash_agg_output(h, false);
    int64_t rows = 0;
    for (uint32_t r = 0; r < b->nrows; r++) {
        rows += b->cols[2].data.i64[r];
        assert_int_equal(b->cols[4].data.i64[r], 1);
        assert_int_equal(b->cols[3].data.s[r].len, strlen("user-0-padding-text"));
    }
    assert_int_equal(rows, 20);
    assert_int_equal(hash_agg_nupdated(h), b->nrows);
    batch_free(b);
    free(w);
    free(names);
    free(s);
    hash_agg_free(h);
}

static void test_distinct(void **unused)
{
    agg_spec aggs[5] = {
        spec(&agg_count, TYPE_STRING, true), spec(&agg_count, TYPE_STRING, false),
        spec(&agg_sum, TYPE_BIGINT, true),   spec(&agg_min, TYPE_STRING, true),
        spec(&agg_avg, TYPE_BIGINT, true),
    };
    type_id kt = TYPE_INT;
    hash_agg *h = hash_agg_new(1, &kt, 5, aggs);
    enum { N = 6000 };
    int32_t *g = xmalloc(N * sizeof(int32_t));
    int64_t *v = xmalloc(N * sizeof(int64_t));
    uint8_t *vv = xmalloc(N);
    char (*names)[16] = xmalloc(N * sizeof *names);
    const char **s = xmalloc(N * sizeof(char *));
    /* group 0: 2000 distinct strings; groups 1..: few; NULLs not counted.
     * Many groups are created after the sets, so the table resizes. */
    for (int i = 0; i < N; i++) {
        g[i] = i < 4000 ? 0 : i;
        snprintf(names[i], sizeof names[i], "s%d", i < 4000 ? i % 2000 : i % 3);
        s[i] = i % 10 == 9 && i >= 4000 ? NULL : names[i];
        v[i] = i < 4000 ? i % 5 : 7;
        vv[i] = 1;
    }
    column key, str, val;
    fill_i32(&key, g, NULL, N);
    fill_str(&str, s, N);
    fill_i64(&val, TYPE_BIGINT, v, vv, N);
    const column *args[5] = {&str, &str, &val, &str, &val};
    hash_agg_update(h, &key, args, 2000);
    hash_agg_update(h, &key, args, N); /* the first 2000 rows again, then more */
    assert_int_equal(hash_agg_ngroups(h), 1 + 2000);
    batch *b = hash_agg_output(h, false);
    assert_int_equal(b->cols[1].data.i64[0], 2000);
    assert_int_equal(b->cols[2].data.i64[0], 6000);
    assert_int_equal(b->cols[3].data.i64[0], 0 + 1 + 2 + 3 + 4);
    assert_true(str_is(b, 4, 0, "s0"));
    assert_true(b->cols[5].data.f64[0] == 2.0);
    /* row of key 4009: its string is NULL */
    uint32_t r = 1 + 9;
    assert_int_equal(b->cols[0].data.i32[r], 4009);
    assert_int_equal(b->cols[1].data.i64[r], 0);
    assert_false(b->cols[3].valid[r] == 0); /* sum(DISTINCT 7) = 7 */
    assert_int_equal(b->cols[3].data.i64[r], 7);
    assert_false(b->cols[4].valid[r]);
    batch_free(b);

    /* Serialize round trip keeps the sets. */
    agg_buf buf = {0};
    hash_agg_serialize(h, &buf);
    hash_agg *h2 = hash_agg_new(1, &kt, 5, aggs);
    eddy_error err;
    assert_int_equal(hash_agg_deserialize(h2, buf.data, buf.len, &err), 0);
    hash_agg_update(h2, &key, args, 100);
    b = hash_agg_output(h2, false);
    assert_int_equal(b->cols[1].data.i64[0], 2000);
    assert_int_equal(b->cols[2].data.i64[0], 6100);
    batch_free(b);
    agg_buf_free(&buf);
    hash_agg_free(h2);

    free(g);
    free(v);
    free(vv);
    free(names);
    free(s);
    column_free(&key);
    column_free(&str);
    column_free(&val);
    hash_agg_free(h);
}

static void test_global(void **unused)
{
    agg_spec aggs[3] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_sum, TYPE_INT, false),
                        spec(&agg_stddev, TYPE_INT, false)};
    hash_agg *h = hash_agg_new(0, NULL, 3, aggs);
    batch *b = hash_agg_output(h, false);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(b->cols[0].data.i64[0], 0);
    assert_false(b->cols[1].valid[0]);
    assert_false(b->cols[2].valid[0]);
    batch_free(b);
    b = hash_agg_output(h, true);
    assert_int_equal(b->nrows, 0);
    batch_free(b);

    int32_t v[4] = {1, 2, 3, 4};
    column c;
    fill_i32(&c, v, NULL, 4);
    const column *args[3] = {NULL, &c, &c};
    hash_agg_begin_batch(h);
    hash_agg_update(h, NULL, args, 4);
    hash_agg_begin_batch(h);
    hash_agg_update(h, NULL, args, 0); /* empty batch still updates the row */
    assert_int_equal(hash_agg_nupdated(h), 1);
    b = hash_agg_output(h, true);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(b->cols[0].data.i64[0], 4);
    assert_int_equal(b->cols[1].data.i64[0], 10);
    assert_true(fabs(b->cols[2].data.f64[0] - sqrt(5.0 / 3.0)) < 1e-12);
    batch_free(b);
    column_free(&c);
    hash_agg_free(h);
}

static void test_window_keys_merge(void **unused)
{
    agg_spec aggs[3] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_last, TYPE_BIGINT, false),
                        spec(&agg_count, TYPE_BIGINT, true)};
    type_id kt[2] = {TYPE_WINDOW, TYPE_STRING};
    enum { N = 3000 };
    column cols[2], val;
    column_init(&cols[0], TYPE_WINDOW, N);
    const char *s[N];
    int64_t v[N];
    static const char *ev[] = {"login", "logout", "view"};
    for (int i = 0; i < N; i++) {
        cols[0].data.w[i].start = (i % 50) * 10000000LL;
        cols[0].data.w[i].end = (i % 50) * 10000000LL + 10000000LL;
        cols[0].valid[i] = 1;
        s[i] = ev[i % 3];
        v[i] = i % 17;
    }
    fill_str(&cols[1], s, N);
    fill_i64(&val, TYPE_BIGINT, v, NULL, N);
    const column *args[3] = {NULL, &val, &val};

    hash_agg *whole = hash_agg_new(2, kt, 3, aggs);
    hash_agg_update(whole, cols, args, N);
    /* Two partial aggregations over the halves, merged in order. */
    hash_agg *p1 = hash_agg_new(2, kt, 3, aggs), *p2 = hash_agg_new(2, kt, 3, aggs);
    hash_agg_update(p1, cols, args, N / 2);
    column c2[2] = {cols[0], cols[1]}, v2 = val;
    c2[0].valid += N / 2;
    c2[0].data.w += N / 2;
    c2[1].valid += N / 2;
    c2[1].data.s += N / 2;
    v2.valid += N / 2;
    v2.data.i64 += N / 2;
    const column *args2[3] = {NULL, &v2, &v2};
    hash_agg_update(p2, c2, args2, N / 2);
    hash_agg *merged = hash_agg_new(2, kt, 3, aggs);
    hash_agg_merge(merged, p1);
    hash_agg_merge(merged, p2);
    assert_int_equal(hash_agg_ngroups(merged), 150);

    batch *a = hash_agg_output(whole, false), *m = hash_agg_output(merged, false);
    assert_int_equal(a->nrows, 150);
    assert_int_equal(m->nrows, 150);
    for (uint32_t r = 0; r < 150; r++) {
        for (uint32_t col = 0; col < 5; col++) {
            value x = column_get(&a->cols[col], r), y = column_get(&m->cols[col], r);
            assert_true(value_equal(&x, &y));
        }
    }
    assert_int_equal(a->cols[0].data.w[1].start, 10000000LL);
    assert_true(str_is(a, 1, 1, "logout"));
    batch_free(a);
    batch_free(m);
    hash_agg_free(whole);
    hash_agg_free(p1);
    hash_agg_free(p2);
    hash_agg_free(merged);
    column_free(&cols[0]);
    column_free(&cols[1]);
    column_free(&val);
}

static void test_serialize_roundtrip(void **unused)
{
    agg_spec aggs[6] = {
        spec(&agg_count, TYPE_NULL, false),  spec(&agg_min, TYPE_STRING, false),
        spec(&agg_first, TYPE_DOUBLE, false), spec(&agg_avg, TYPE_DOUBLE, false),
        spec(agg_lookup("approx_count_distinct"), TYPE_STRING, false),
        spec(&agg_stddev, TYPE_DOUBLE, false),
    };
    type_id kt[3] = {TYPE_STRING, TYPE_TIMESTAMP, TYPE_BOOLEAN};
    hash_agg *h = hash_agg_new(3, kt, 6, aggs);
    enum { N = 500 };
    char (*names)[16] = xmalloc(N * sizeof *names);
    const char *s[N];
    int64_t ts[N];
    uint8_t tv[N];
    column cols[3], dbl;
    column_init(&cols[2], TYPE_BOOLEAN, N);
    column_init(&dbl, TYPE_DOUBLE, N);
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "name%d", i % 37);
        s[i] = i % 11 == 0 ? NULL : names[i];
        ts[i] = 1700000000000000LL + (i % 5) * 1000000LL;
        tv[i] = i % 13 != 0;
        cols[2].data.b[i] = i % 2;
        cols[2].valid[i] = i % 7 != 0;
        dbl.data.f64[i] = i * 0.25;
        dbl.valid[i] = i % 3 != 0;
    }
    fill_str(&cols[0], s, N);
    fill_i64(&cols[1], TYPE_TIMESTAMP, ts, tv, N);
    const column *args[6] = {NULL, &cols[0], &dbl, &dbl, &cols[0], &dbl};
    hash_agg_update(h, cols, args, N);

    agg_buf buf = {0};
    hash_agg_serialize(h, &buf);
    assert_int_equal(buf.data[0], 1);
    hash_agg *h2 = hash_agg_new(3, kt, 6, aggs);
    eddy_error err;
    assert_int_equal(hash_agg_deserialize(h2, buf.data, buf.len, &err), 0);
    assert_int_equal(hash_agg_ngroups(h2), hash_agg_ngroups(h));
    /* Both continue identically. */
    hash_agg_update(h, cols, args, N);
    hash_agg_update(h2, cols, args, N);
    assert_int_equal(hash_agg_ngroups(h2), hash_agg_ngroups(h));
    batch *a = hash_agg_output(h, false), *b = hash_agg_output(h2, false);
    assert_int_equal(a->nrows, b->nrows);
    for (uint32_t r = 0; r < a->nrows; r++)
        for (uint32_t c = 0; c < a->ncols; c++) {
            value x = column_get(&a->cols[c], r), y = column_get(&b->cols[c], r);
            assert_true(value_equal(&x, &y));
        }
    batch_free(a);
    batch_free(b);

    /* Re-serializing the loaded copy gives the same bytes (before the second update). */
    hash_agg *h3 = hash_agg_new(3, kt, 6, aggs);
    assert_int_equal(hash_agg_deserialize(h3, buf.data, buf.len, &err), 0);
    agg_buf again = {0};
    hash_agg_serialize(h3, &again);
    assert_int_equal(again.len, buf.len);
    assert_memory_equal(again.data, buf.data, buf.len);
    agg_buf_free(&again);
    hash_agg_free(h3);

    /* Every truncation is detected. */
    for (size_t cut = 0; cut < buf.len; cut += 1 + cut / 8) {
        hash_agg *t = hash_agg_new(3, kt, 6, aggs);
        assert_int_equal(hash_agg_deserialize(t, buf.data, cut, &err), -EDDY_CORRUPT);
        assert_int_equal(err.code, EDDY_CORRUPT);
        hash_agg_free(t);
    }
    /* Wrong version, wrong shape. */
    buf.data[0] = 9;
    hash_agg *t = hash_agg_new(3, kt, 6, aggs);
    assert_int_equal(hash_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "version"));
    hash_agg_free(t);
    buf.data[0] = 1;
    t = hash_agg_new(2, kt, 6, aggs);
    assert_int_equal(hash_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    hash_agg_free(t);
    agg_spec other[6];
    memcpy(other, aggs, sizeof other);
    other[5] = spec(&agg_avg, TYPE_DOUBLE, false);
    t = hash_agg_new(3, kt, 6, other);
    assert_int_equal(hash_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "aggregate"));
    hash_agg_free(t);

    agg_buf_free(&buf);
    free(names);
    for (int k = 0; k < 3; k++)
        column_free(&cols[k]);
    column_free(&dbl);
    hash_agg_free(h);
    hash_agg_free(h2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_key_count_sum),
        cmocka_unit_test(test_multi_key_nulls),
        cmocka_unit_test(test_many_groups_resize),
        cmocka_unit_test(test_update_mode),
        cmocka_unit_test(test_evict_reinsert),
        cmocka_unit_test(test_evict_compaction),
        cmocka_unit_test(test_distinct),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_window_keys_merge),
        cmocka_unit_test(test_serialize_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
