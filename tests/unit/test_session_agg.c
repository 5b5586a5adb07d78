/* Unit tests for session-window aggregation (exec/session_agg.c): merging
 * within the gap (inclusive at exactly the gap), sessions bridged across
 * micro-batches with first/last in Spark's order, per-key isolation, NULL
 * sessions, update-mode tracking, watermark eviction, memory reuse over a
 * long stream, the checkpoint format, and a randomized comparison with a
 * brute-force model. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "exec/agg.h"
#include "exec/session_agg.h"

#define SEC INT64_C(1000000)
#define NO_TS INT64_MIN /* an event whose session window is NULL */

static agg_spec spec(const agg_func *f, type_id arg)
{
    agg_spec s = {f, arg, false, TYPE_NULL};
    assert_int_equal(f->resolve(arg, &s.ret_type), 0);
    return s;
}

/* The shape most tests use: GROUP BY key (string), session_window(ts, gap)
 * with count(*), sum(v), min(v), max(v), first(v), last(v). Output columns:
 * 0 key, 1 session, 2 count, 3 sum, 4 min, 5 max, 6 first, 7 last. */
enum { NAGGS = 6 };

static session_agg *new_basic(void)
{
    agg_spec aggs[NAGGS] = {spec(&agg_count, TYPE_NULL), spec(&agg_sum, TYPE_BIGINT),
                            spec(&agg_min, TYPE_BIGINT), spec(&agg_max, TYPE_BIGINT),
                            spec(&agg_first, TYPE_BIGINT), spec(&agg_last, TYPE_BIGINT)};
    type_id kt[2] = {TYPE_STRING, TYPE_WINDOW};
    session_agg *s = session_agg_new(2, kt, 1, NAGGS, aggs);
    assert_non_null(s);
    return s;
}

typedef struct ev {
    const char *key; /* NULL: a NULL key */
    int64_t ts;      /* µs; NO_TS: NULL session window */
    int64_t v;
} ev;

static void fill_window(column *c, const int64_t *ts, const int64_t *gap, uint32_t n)
{
    column_init(c, TYPE_WINDOW, n);
    for (uint32_t i = 0; i < n; i++) {
        c->valid[i] = ts[i] != NO_TS;
        c->data.w[i].start = ts[i] == NO_TS ? 0 : ts[i];
        c->data.w[i].end = ts[i] == NO_TS ? 0 : ts[i] + gap[i];
    }
}

/* One session_agg_update call over the events, every session [ts, ts + gap). */
static void feed(session_agg *s, const ev *e, uint32_t n, int64_t gap)
{
    column keys[2], val;
    column_init(&keys[0], TYPE_STRING, n);
    column_init(&val, TYPE_BIGINT, n);
    int64_t *ts = xmalloc((n ? n : 1) * sizeof(int64_t));
    int64_t *gaps = xmalloc((n ? n : 1) * sizeof(int64_t));
    for (uint32_t i = 0; i < n; i++) {
        keys[0].valid[i] = e[i].key != NULL;
        keys[0].data.s[i].ptr = e[i].key ? e[i].key : "";
        keys[0].data.s[i].len = e[i].key ? (uint32_t)strlen(e[i].key) : 0;
        val.valid[i] = 1;
        val.data.i64[i] = e[i].v;
        ts[i] = e[i].ts;
        gaps[i] = gap;
    }
    fill_window(&keys[1], ts, gaps, n);
    const column *args[NAGGS] = {NULL, &val, &val, &val, &val, &val};
    session_agg_update(s, keys, args, n);
    column_free(&keys[0]);
    column_free(&keys[1]);
    column_free(&val);
    free(ts);
    free(gaps);
}

static bool str_is(const batch *b, uint32_t col, uint32_t row, const char *s)
{
    if (!s)
        return !b->cols[col].valid[row];
    strv v = b->cols[col].data.s[row];
    return b->cols[col].valid[row] && v.len == strlen(s) && memcmp(v.ptr, s, v.len) == 0;
}

typedef struct want {
    const char *key;
    int64_t start, end;
    int64_t count, sum, min, max, first, last;
} want;

static void expect_rows(const batch *b, const want *w, uint32_t n)
{
    assert_int_equal(b->nrows, n);
    assert_int_equal(b->ncols, 2 + NAGGS);
    for (uint32_t r = 0; r < n; r++) {
        assert_true(str_is(b, 0, r, w[r].key));
        assert_true(b->cols[1].valid[r]);
        assert_int_equal(b->cols[1].data.w[r].start, w[r].start);
        assert_int_equal(b->cols[1].data.w[r].end, w[r].end);
        int64_t vals[NAGGS] = {w[r].count, w[r].sum,   w[r].min,
                               w[r].max,   w[r].first, w[r].last};
        for (int j = 0; j < NAGGS; j++) {
            assert_true(b->cols[2 + j].valid[r]);
            assert_int_equal(b->cols[2 + j].data.i64[r], vals[j]);
        }
    }
}

static void test_within_gap_merge(void **unused)
{
    session_agg *s = new_basic();
    /* Out of time order within the call: Spark sorts by session start, so
     * first/last follow event time, not arrival. */
    ev e[] = {{"a", 12 * SEC, 3}, {"a", 0, 1}, {"a", 5 * SEC, 2}};
    feed(s, e, 3, 10 * SEC);
    assert_int_equal(session_agg_nsessions(s), 1);
    batch *b = session_agg_output(s, false);
    want w[] = {{"a", 0, 22 * SEC, 3, 6, 1, 3, 1, 3}};
    expect_rows(b, w, 1);
    assert_int_equal(b->cols[1].type, TYPE_WINDOW);
    batch_free(b);
    session_agg_free(s);
}

static void test_exact_gap_inclusive(void **unused)
{
    session_agg *s = new_basic();
    int64_t g = 10 * SEC;
    ev e1[] = {{"a", 0, 1},      {"a", g, 2},      {"b", 0, 1},
               {"b", g + 1, 2},  {"c", 0, 1},      {"d", 0, 1}};
    feed(s, e1, 6, g);
    /* Across micro-batches too: c touches exactly, d misses by 1 µs. */
    ev e2[] = {{"c", g, 5}, {"d", g + 1, 5}};
    feed(s, e2, 2, g);
    assert_int_equal(session_agg_nsessions(s), 6);
    batch *b = session_agg_output(s, false);
    want w[] = {{"a", 0, 2 * g, 2, 3, 1, 2, 1, 2},
                {"b", 0, g, 1, 1, 1, 1, 1, 1},
                {"b", g + 1, 2 * g + 1, 1, 2, 2, 2, 2, 2},
                {"c", 0, 2 * g, 2, 6, 1, 5, 1, 5},
                {"d", 0, g, 1, 1, 1, 1, 1, 1},
                {"d", g + 1, 2 * g + 1, 1, 5, 5, 5, 5, 5}};
    expect_rows(b, w, 6);
    batch_free(b);
    session_agg_free(s);
}

static void test_bridge_across_batches(void **unused)
{
    session_agg *s = new_basic();
    int64_t g = 10 * SEC;
    /* A = [0, 12s) from values 1, 2; B = [20s, 30s) from 3; C = [50s, 60s)
     * from 5; D = [100s, 112s) and E = [120s, 130s) for the temp-state case. */
    ev e1[] = {{"a", 0, 1},        {"a", 2 * SEC, 2},   {"a", 20 * SEC, 3},
               {"a", 50 * SEC, 5}, {"a", 100 * SEC, 1}, {"a", 102 * SEC, 2},
               {"a", 120 * SEC, 3}};
    feed(s, e1, 7, g);
    assert_int_equal(session_agg_nsessions(s), 5);

    /* 11s bridges A and B: pieces in start order A, row, B, so first comes
     * from A and last from B (Spark's order), not from the bridging row.
     * 45s lands before C and extends it backwards: first is the new row.
     * 111s bridges D and E, then 125s follows E: fold D, 111s, E, 125s. */
    ev e2[] = {{"a", 125 * SEC, 7}, {"a", 11 * SEC, 4}, {"a", 45 * SEC, 6},
               {"a", 111 * SEC, 4}};
    session_agg_begin_batch(s);
    feed(s, e2, 4, g);
    assert_int_equal(session_agg_nsessions(s), 3);
    assert_int_equal(session_agg_nupdated(s), 3);
    batch *b = session_agg_output(s, false);
    want w[] = {{"a", 0, 30 * SEC, 4, 10, 1, 4, 1, 3},
                {"a", 45 * SEC, 60 * SEC, 2, 11, 5, 6, 6, 5},
                {"a", 100 * SEC, 135 * SEC, 5, 17, 1, 7, 1, 7}};
    expect_rows(b, w, 3);
    batch_free(b);
    session_agg_free(s);

    /* String states survive the combine of merged sessions. */
    agg_spec aggs[4] = {spec(&agg_count, TYPE_NULL), spec(&agg_first, TYPE_STRING),
                        spec(&agg_last, TYPE_STRING), spec(&agg_max, TYPE_STRING)};
    type_id kt[2] = {TYPE_WINDOW, TYPE_INT};
    s = session_agg_new(2, kt, 0, 4, aggs);
    assert_non_null(s);
    const char *words[] = {"kiwi", "apple", "zebra", "mango"};
    /* [0, 10s) and [20s, 30s), then 10s bridges them (touching both ends)
     * and 25s follows the second: fold kiwi, zebra, apple, mango. */
    int64_t ts[] = {0, 20 * SEC, 10 * SEC, 25 * SEC}, gaps[] = {g, g, g, g};
    for (int batchno = 0; batchno < 2; batchno++) {
        column keys[2], str;
        uint32_t off = batchno * 2;
        fill_window(&keys[0], ts + off, gaps, 2);
        column_init(&keys[1], TYPE_INT, 2);
        column_init(&str, TYPE_STRING, 2);
        for (int i = 0; i < 2; i++) {
            keys[1].valid[i] = 1;
            keys[1].data.i32[i] = 7;
            str.valid[i] = 1;
            char *copy = xstrdup(words[off + i]);
            str.data.s[i].ptr = copy;
            str.data.s[i].len = (uint32_t)strlen(copy);
        }
        const column *args[4] = {NULL, &str, &str, &str};
        session_agg_update(s, keys, args, 2);
        for (int i = 0; i < 2; i++) {
            memset((char *)str.data.s[i].ptr, 'X', str.data.s[i].len);
            free((char *)str.data.s[i].ptr);
        }
        column_free(&keys[0]);
        column_free(&keys[1]);
        column_free(&str);
    }
    b = session_agg_output(s, false);
    assert_int_equal(b->nrows, 1);
    assert_int_equal(b->cols[0].data.w[0].start, 0);
    assert_int_equal(b->cols[0].data.w[0].end, 35 * SEC);
    assert_int_equal(b->cols[2].data.i64[0], 4);
    assert_true(str_is(b, 3, 0, "kiwi"));  /* first: ts 0 */
    assert_true(str_is(b, 4, 0, "mango")); /* last: 25s, after the 20s piece */
    assert_true(str_is(b, 5, 0, "zebra"));
    batch_free(b);
    session_agg_free(s);
}

static void test_per_key_isolation(void **unused)
{
    session_agg *s = new_basic();
    int64_t g = 10 * SEC;
    ev e[] = {{"a", 0, 1},          {"b", 5 * SEC, 2},  {NULL, 5 * SEC, 4},
              {"a", 20 * SEC, 3},   {"b", 25 * SEC, 4}, {NULL, 12 * SEC, 5},
              {"ab", 10 * SEC, 9}};
    feed(s, e, 7, g);
    batch *b = session_agg_output(s, false);
    want w[] = {{"a", 0, g, 1, 1, 1, 1, 1, 1},
                {"a", 20 * SEC, 30 * SEC, 1, 3, 3, 3, 3, 3},
                {"b", 5 * SEC, 15 * SEC, 1, 2, 2, 2, 2, 2},
                {"b", 25 * SEC, 35 * SEC, 1, 4, 4, 4, 4, 4},
                {NULL, 5 * SEC, 22 * SEC, 2, 9, 4, 5, 4, 5},
                {"ab", 10 * SEC, 20 * SEC, 1, 9, 9, 9, 9, 9}};
    expect_rows(b, w, 6);
    batch_free(b);
    session_agg_free(s);
}

static void test_null_session_skipped(void **unused)
{
    session_agg *s = new_basic();
    ev e[] = {{"a", NO_TS, 100}, {"a", 0, 1}, {"a", NO_TS, 100}, {"b", NO_TS, 7},
              {"a", 3 * SEC, 2}, {"a", NO_TS, 100}};
    feed(s, e, 6, 10 * SEC);
    /* An empty window (a dynamic gap <= 0) is filtered out as Spark does. */
    ev e2[] = {{"c", 5 * SEC, 50}, {"a", 4 * SEC, 60}};
    feed(s, e2, 2, 0);
    assert_int_equal(session_agg_nsessions(s), 1);
    batch *b = session_agg_output(s, false);
    want w[] = {{"a", 0, 13 * SEC, 2, 3, 1, 2, 1, 2}};
    expect_rows(b, w, 1);
    batch_free(b);
    /* A call whose rows are all skipped changes nothing. */
    ev e3[] = {{"z", NO_TS, 1}};
    session_agg_begin_batch(s);
    feed(s, e3, 1, 10 * SEC);
    assert_int_equal(session_agg_nupdated(s), 0);
    feed(s, e3, 0, 10 * SEC);
    assert_int_equal(session_agg_nsessions(s), 1);
    session_agg_free(s);
}

static void test_update_mode(void **unused)
{
    session_agg *s = new_basic();
    int64_t g = 10 * SEC;
    session_agg_begin_batch(s);
    ev e1[] = {{"a", 0, 1}, {"b", 0, 1}, {"c", 100 * SEC, 1}};
    feed(s, e1, 3, g);
    assert_int_equal(session_agg_nupdated(s), 3);

    session_agg_begin_batch(s);
    assert_int_equal(session_agg_nupdated(s), 0);
    batch *b = session_agg_output(s, true);
    assert_int_equal(b->nrows, 0);
    batch_free(b);
    ev e2[] = {{"a", 5 * SEC, 2}};
    feed(s, e2, 1, g);
    b = session_agg_output(s, true);
    want w2[] = {{"a", 0, 15 * SEC, 2, 3, 1, 2, 1, 2}};
    expect_rows(b, w2, 1);
    batch_free(b);
    assert_int_equal(session_agg_nupdated(s), 1);

    /* Keys in first-seen order, sessions by start, whatever the touch order. */
    session_agg_begin_batch(s);
    ev e3[] = {{"b", 200 * SEC, 3}, {"a", 300 * SEC, 4}, {"a", 1 * SEC, 5}};
    feed(s, e3, 3, g);
    b = session_agg_output(s, true);
    want w3[] = {{"a", 0, 15 * SEC, 3, 8, 1, 5, 1, 5},
                 {"a", 300 * SEC, 310 * SEC, 1, 4, 4, 4, 4, 4},
                 {"b", 200 * SEC, 210 * SEC, 1, 3, 3, 3, 3, 3}};
    expect_rows(b, w3, 3);
    batch_free(b);

    /* Two sessions updated in one call, bridged by a second call of the same
     * batch: one session updated, the merged-away one is not reported. */
    session_agg_begin_batch(s);
    ev e4[] = {{"d", 0, 1}, {"d", 18 * SEC, 2}};
    feed(s, e4, 2, g);
    assert_int_equal(session_agg_nupdated(s), 2);
    ev e5[] = {{"d", 9 * SEC, 3}};
    feed(s, e5, 1, g);
    assert_int_equal(session_agg_nupdated(s), 1);
    b = session_agg_output(s, true);
    want w5[] = {{"d", 0, 28 * SEC, 3, 6, 1, 3, 1, 2}};
    expect_rows(b, w5, 1);
    batch_free(b);
    assert_int_equal(session_agg_nsessions(s), 6);
    b = session_agg_output(s, false);
    assert_int_equal(b->nrows, 6);
    batch_free(b);
    session_agg_free(s);
}

static void test_take_watermark(void **unused)
{
    session_agg *s = new_basic();
    int64_t g = 10 * SEC;
    ev e[] = {{"a", 0, 1},          {"a", 30 * SEC, 2}, {"b", 5 * SEC, 3},
              {"b", 21 * SEC, 4},   {"c", 40 * SEC, 5}, {"a", 3 * SEC, 6}};
    feed(s, e, 6, g);
    /* a: [0,13s) [30s,40s); b: [5s,15s) [21s,31s); c: [40s,50s) */
    assert_int_equal(session_agg_nsessions(s), 5);
    assert_false(session_agg_has_expired(s, 13 * SEC - 1));
    assert_true(session_agg_has_expired(s, 13 * SEC));

    /* end <= watermark expires: [0,13s) and [5s,15s) at 15s exactly. */
    batch *b = session_agg_take(s, 15 * SEC, true);
    want w[] = {{"a", 0, 13 * SEC, 2, 7, 1, 6, 1, 6}, {"b", 5 * SEC, 15 * SEC, 1, 3, 3, 3, 3, 3}};
    expect_rows(b, w, 2);
    batch_free(b);
    assert_int_equal(session_agg_nsessions(s), 3);
    assert_false(session_agg_has_expired(s, 15 * SEC));

    /* Nothing more at the same watermark: an empty batch, not NULL. */
    b = session_agg_take(s, 15 * SEC, true);
    assert_non_null(b);
    assert_int_equal(b->nrows, 0);
    assert_int_equal(b->ncols, 2 + NAGGS);
    batch_free(b);

    /* Update mode evicts silently: b's last session goes, b with it. */
    assert_true(session_agg_has_expired(s, 31 * SEC));
    assert_null(session_agg_take(s, 31 * SEC, false));
    assert_int_equal(session_agg_nsessions(s), 2);
    b = session_agg_output(s, false);
    want rest[] = {{"a", 30 * SEC, 40 * SEC, 1, 2, 2, 2, 2, 2},
                   {"c", 40 * SEC, 50 * SEC, 1, 5, 5, 5, 5, 5}};
    expect_rows(b, rest, 2);
    batch_free(b);

    /* b comes back as a newly seen key, after c. A late row in an evicted
     * region starts a fresh session. */
    ev late[] = {{"b", 60 * SEC, 8}, {"a", 1 * SEC, 9}};
    feed(s, late, 2, g);
    b = session_agg_output(s, false);
    want again[] = {{"a", 1 * SEC, 11 * SEC, 1, 9, 9, 9, 9, 9},
                    {"a", 30 * SEC, 40 * SEC, 1, 2, 2, 2, 2, 2},
                    {"c", 40 * SEC, 50 * SEC, 1, 5, 5, 5, 5, 5},
                    {"b", 60 * SEC, 70 * SEC, 1, 8, 8, 8, 8, 8}};
    expect_rows(b, again, 4);
    batch_free(b);
    b = session_agg_take(s, INT64_MAX, true);
    assert_int_equal(b->nrows, 4);
    batch_free(b);
    assert_int_equal(session_agg_nsessions(s), 0);
    assert_false(session_agg_has_expired(s, INT64_MAX));
    session_agg_free(s);
}

static void test_string_keys_survive(void **unused)
{
    session_agg *s = new_basic();
    char *k1 = xstrdup("checkout-page"), *k2 = xstrdup("home");
    ev e[] = {{k1, 0, 1}, {k2, 0, 2}, {k1, SEC, 3}};
    feed(s, e, 3, 10 * SEC);
    memset(k1, 'X', strlen(k1));
    memset(k2, 'X', strlen(k2));
    free(k1);
    free(k2);
    batch *b = session_agg_output(s, false);
    session_agg_free(s); /* the batch owns copies */
    want w[] = {{"checkout-page", 0, 11 * SEC, 2, 4, 1, 3, 1, 3},
                {"home", 0, 10 * SEC, 1, 2, 2, 2, 2, 2}};
    expect_rows(b, w, 2);
    batch_free(b);
}

static void test_refused_shapes(void **unused)
{
    agg_spec d = spec(&agg_count, TYPE_BIGINT);
    d.distinct = true;
    type_id kt[2] = {TYPE_STRING, TYPE_WINDOW};
    assert_null(session_agg_new(2, kt, 1, 1, &d));
    agg_spec c = spec(&agg_count, TYPE_NULL);
    assert_null(session_agg_new(2, kt, 0, 1, &c)); /* not a window */
    assert_null(session_agg_new(2, kt, 2, 1, &c));
    assert_null(session_agg_new(0, kt, 0, 1, &c));
    session_agg *s = session_agg_new(2, kt, 1, 1, &c);
    assert_non_null(s);
    session_agg_free(s);
    session_agg_free(NULL);
}

/* ---- checkpoint format ---------------------------------------------------- */

typedef struct ckpt_fixture {
    type_id kt[3];
    agg_spec aggs[6];
} ckpt_fixture;

static void ckpt_init(ckpt_fixture *f)
{
    f->kt[0] = TYPE_STRING;
    f->kt[1] = TYPE_WINDOW;
    f->kt[2] = TYPE_INT;
    f->aggs[0] = spec(&agg_count, TYPE_NULL);
    f->aggs[1] = spec(&agg_min, TYPE_STRING);
    f->aggs[2] = spec(&agg_first, TYPE_DOUBLE);
    f->aggs[3] = spec(&agg_avg, TYPE_DOUBLE);
    f->aggs[4] = spec(agg_lookup("approx_count_distinct"), TYPE_STRING);
    f->aggs[5] = spec(&agg_last, TYPE_STRING);
}

/* Rows i0 .. i0 + n of a deterministic stream over keys (string, int) with
 * NULLs, gap 10 s and times that leave gaps to bridge later. */
static void ckpt_feed(session_agg *s, int i0, int n)
{
    column keys[3], dbl;
    char(*names)[16] = xmalloc((size_t)n * sizeof *names);
    int64_t *ts = xmalloc((size_t)n * sizeof(int64_t));
    int64_t *gaps = xmalloc((size_t)n * sizeof(int64_t));
    column_init(&keys[0], TYPE_STRING, n);
    column_init(&keys[2], TYPE_INT, n);
    column_init(&dbl, TYPE_DOUBLE, n);
    for (int r = 0; r < n; r++) {
        int i = i0 + r;
        snprintf(names[r], sizeof names[r], "user%d", i % 7);
        keys[0].valid[r] = i % 11 != 0;
        keys[0].data.s[r].ptr = names[r];
        keys[0].data.s[r].len = (uint32_t)strlen(names[r]);
        keys[2].valid[r] = i % 5 != 0;
        keys[2].data.i32[r] = i % 3;
        dbl.valid[r] = i % 4 != 0;
        dbl.data.f64[r] = i * 0.5;
        ts[r] = (int64_t)((i * 7919) % 400) * SEC / 2 * (i % 2 ? 1 : 3);
        gaps[r] = 10 * SEC;
    }
    fill_window(&keys[1], ts, gaps, n);
    const column *args[6] = {NULL, &keys[0], &dbl, &dbl, &keys[0], &keys[0]};
    session_agg_update(s, keys, args, n);
    for (int k = 0; k < 3; k++)
        column_free(&keys[k]);
    column_free(&dbl);
    free(names);
    free(ts);
    free(gaps);
}

static void expect_same(const batch *a, const batch *b)
{
    assert_int_equal(a->nrows, b->nrows);
    assert_int_equal(a->ncols, b->ncols);
    for (uint32_t r = 0; r < a->nrows; r++)
        for (uint32_t c = 0; c < a->ncols; c++) {
            value x = column_get(&a->cols[c], r), y = column_get(&b->cols[c], r);
            assert_true(value_equal(&x, &y));
        }
}

static void test_serialize_roundtrip(void **unused)
{
    ckpt_fixture f;
    ckpt_init(&f);
    session_agg *s = session_agg_new(3, f.kt, 1, 6, f.aggs);
    ckpt_feed(s, 0, 300);
    assert_true(session_agg_nsessions(s) > 40);

    agg_buf buf = {0};
    session_agg_serialize(s, &buf);
    assert_int_equal(buf.data[0], 1);
    session_agg *s2 = session_agg_new(3, f.kt, 1, 6, f.aggs);
    eddy_error err;
    assert_int_equal(session_agg_deserialize(s2, buf.data, buf.len, &err), 0);
    assert_int_equal(session_agg_nsessions(s2), session_agg_nsessions(s));
    batch *a = session_agg_output(s, false), *b = session_agg_output(s2, false);
    expect_same(a, b);
    batch_free(a);
    batch_free(b);

    /* Loading into a non-empty aggregation is refused. */
    assert_int_equal(session_agg_deserialize(s2, buf.data, buf.len, &err), -EDDY_RUNTIME);

    /* Re-serializing the loaded copy gives the same bytes. */
    agg_buf again = {0};
    session_agg_serialize(s2, &again);
    assert_int_equal(again.len, buf.len);
    assert_memory_equal(again.data, buf.data, buf.len);
    agg_buf_free(&again);

    /* Both continue identically, bridging and extending loaded sessions. */
    ckpt_feed(s, 300, 300);
    ckpt_feed(s2, 300, 300);
    assert_int_equal(session_agg_nsessions(s2), session_agg_nsessions(s));
    a = session_agg_output(s, false);
    b = session_agg_output(s2, false);
    expect_same(a, b);
    batch_free(a);
    batch_free(b);

    /* Every truncation is detected. */
    for (size_t cut = 0; cut < buf.len; cut += 1 + cut / 16) {
        session_agg *t = session_agg_new(3, f.kt, 1, 6, f.aggs);
        assert_int_equal(session_agg_deserialize(t, buf.data, cut, &err), -EDDY_CORRUPT);
        assert_int_equal(err.code, EDDY_CORRUPT);
        session_agg_free(t);
    }
    /* Trailing garbage too. */
    agg_buf longer = {0};
    agg_buf_put(&longer, buf.data, buf.len);
    agg_buf_put_u8(&longer, 0);
    session_agg *t = session_agg_new(3, f.kt, 1, 6, f.aggs);
    assert_int_equal(session_agg_deserialize(t, longer.data, longer.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "trailing"));
    session_agg_free(t);
    agg_buf_free(&longer);

    /* Wrong version. */
    buf.data[0] = 2;
    t = session_agg_new(3, f.kt, 1, 6, f.aggs);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "version"));
    session_agg_free(t);
    buf.data[0] = 1;

    /* Wrong shape: other key types, other aggregates. */
    type_id kt2[3] = {TYPE_STRING, TYPE_WINDOW, TYPE_BIGINT};
    t = session_agg_new(3, kt2, 1, 6, f.aggs);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "key types"));
    session_agg_free(t);
    agg_spec other[6];
    memcpy(other, f.aggs, sizeof other);
    other[5] = spec(&agg_first, TYPE_STRING);
    t = session_agg_new(3, f.kt, 1, 6, other);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "aggregate"));
    session_agg_free(t);

    agg_buf_free(&buf);
    session_agg_free(s);
    session_agg_free(s2);
}

/* Finds the 8 little-endian bytes of v in buf; returns the offset or -1. */
static long find_u64(const agg_buf *buf, size_t from, int64_t v)
{
    uint8_t pat[8];
    for (int i = 0; i < 8; i++)
        pat[i] = (uint8_t)((uint64_t)v >> (8 * i));
    for (size_t i = from; i + 8 <= buf->len; i++)
        if (memcmp(buf->data + i, pat, 8) == 0)
            return (long)i;
    return -1;
}

static void put_u64_at(agg_buf *buf, long at, int64_t v)
{
    for (int i = 0; i < 8; i++)
        buf->data[at + i] = (uint8_t)((uint64_t)v >> (8 * i));
}

static void test_corrupt_sessions(void **unused)
{
    /* Two window keys: the session key's position is part of the shape. */
    agg_spec c = spec(&agg_count, TYPE_NULL);
    type_id kt[3] = {TYPE_WINDOW, TYPE_STRING, TYPE_WINDOW};
    session_agg *s = session_agg_new(3, kt, 2, 1, &c);
    column keys[3];
    int64_t ts[2] = {1000 * SEC, 1100 * SEC}, gaps[2] = {10 * SEC, 10 * SEC};
    int64_t other[2] = {7 * SEC, 7 * SEC};
    fill_window(&keys[0], other, gaps, 2);
    column_init(&keys[1], TYPE_STRING, 2);
    for (int i = 0; i < 2; i++) {
        keys[1].valid[i] = 1;
        keys[1].data.s[i].ptr = "k";
        keys[1].data.s[i].len = 1;
    }
    fill_window(&keys[2], ts, gaps, 2);
    const column *args[1] = {NULL};
    session_agg_update(s, keys, args, 2);
    for (int k = 0; k < 3; k++)
        column_free(&keys[k]);
    agg_buf buf = {0};
    session_agg_serialize(s, &buf);
    eddy_error err;

    session_agg *t = session_agg_new(3, kt, 0, 1, &c);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "session window key"));
    session_agg_free(t);

    /* The second session moved to start inside the first: overlapping. */
    long at = find_u64(&buf, 0, 1100 * SEC);
    assert_true(at > 0);
    put_u64_at(&buf, at, 1005 * SEC);
    t = session_agg_new(3, kt, 2, 1, &c);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "overlapping"));
    session_agg_free(t);
    /* Touching counts as overlapping: such sessions would have merged. */
    put_u64_at(&buf, at, 1010 * SEC);
    t = session_agg_new(3, kt, 2, 1, &c);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    session_agg_free(t);
    /* An empty session. */
    put_u64_at(&buf, at, 1100 * SEC);
    long end_at = find_u64(&buf, (size_t)at + 8, 1110 * SEC);
    assert_int_equal(end_at, at + 8);
    put_u64_at(&buf, end_at, 1100 * SEC);
    t = session_agg_new(3, kt, 2, 1, &c);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "empty"));
    session_agg_free(t);
    /* Restored, it loads. */
    put_u64_at(&buf, end_at, 1110 * SEC);
    t = session_agg_new(3, kt, 2, 1, &c);
    assert_int_equal(session_agg_deserialize(t, buf.data, buf.len, &err), 0);
    assert_int_equal(session_agg_nsessions(t), 2);
    session_agg_free(t);

    agg_buf_free(&buf);
    session_agg_free(s);
}

/* ---- memory over a long stream ---------------------------------------------- */

static void test_memory_bounded(void **unused)
{
    agg_spec aggs[3] = {spec(&agg_count, TYPE_NULL), spec(&agg_min, TYPE_STRING),
                        spec(&agg_last, TYPE_STRING)};
    type_id kt[2] = {TYPE_STRING, TYPE_WINDOW};
    session_agg *s = session_agg_new(2, kt, 1, 3, aggs);
    enum { BATCHES = 300, ROWS = 2000, KEYS = 500 };
    char(*names)[32] = xmalloc(ROWS * sizeof *names);
    int64_t ts[ROWS], gaps[ROWS];
    size_t mem_early = 0, mem_peak = 0;
    for (int bno = 0; bno < BATCHES; bno++) {
        column keys[2];
        column_init(&keys[0], TYPE_STRING, ROWS);
        for (int i = 0; i < ROWS; i++) {
            /* Fresh keys every batch: emptied keys must go too. */
            snprintf(names[i], sizeof names[i], "user-%d-%d", bno, i % KEYS);
            keys[0].valid[i] = 1;
            keys[0].data.s[i].ptr = names[i];
            keys[0].data.s[i].len = (uint32_t)strlen(names[i]);
            ts[i] = (int64_t)bno * 100 * SEC + (i / KEYS) * SEC;
            gaps[i] = 5 * SEC;
        }
        fill_window(&keys[1], ts, gaps, ROWS);
        const column *args[3] = {NULL, &keys[0], &keys[0]};
        session_agg_begin_batch(s);
        session_agg_update(s, keys, args, ROWS);
        assert_int_equal(session_agg_nsessions(s), KEYS);
        batch *out = session_agg_take(s, (int64_t)bno * 100 * SEC + 50 * SEC, true);
        assert_int_equal(out->nrows, KEYS);
        for (uint32_t r = 0; r < out->nrows; r += 97) {
            assert_int_equal(out->cols[2].data.i64[r], ROWS / KEYS);
            assert_int_equal(out->cols[1].data.w[r].end,
                             (int64_t)bno * 100 * SEC + (ROWS / KEYS - 1) * SEC + 5 * SEC);
            char want[32];
            snprintf(want, sizeof want, "user-%d-%u", bno, r);
            assert_true(str_is(out, 0, r, want));
            assert_true(str_is(out, 3, r, want));
            assert_true(str_is(out, 4, r, want));
        }
        batch_free(out);
        column_free(&keys[0]);
        column_free(&keys[1]);
        assert_int_equal(session_agg_nsessions(s), 0);
        size_t m = session_agg_memory(s);
        if (bno == 20)
            mem_early = m;
        if (m > mem_peak)
            mem_peak = m;
    }
    /* Without reclaiming, the arena would hold every batch's keys and
     * sessions (tens of MiB); with it, memory stays near the first batches'. */
    assert_true(mem_peak < 2 * mem_early + (1u << 20));
    assert_true(mem_peak < 8u << 20);
    free(names);
    session_agg_free(s);
}

/* ---- randomized comparison with brute-force models ----------------------------- */

/* Two models. The event model keeps every live event and recomputes each
 * key's sessions from scratch (sort, merge with the inclusive rule): it
 * checks the session structure and the order-free aggregates. The piece
 * model replays Spark's fold order for first/last: per update call, a key's
 * existing sessions and new rows are sorted by start (session before row on
 * ties, rows by arrival) and merged; a merged session's first value is its
 * first piece's and its last value its last piece's. */

typedef struct mev {
    int key; /* -1: NULL key */
    int64_t start, end;
    int64_t v;
    bool v_valid;
    uint32_t batch;
    uint64_t seq; /* arrival order */
} mev;

typedef struct msess {
    int key;
    int64_t start, end;
    int64_t count, count_v, sum, min, max;
    int64_t first_t, last_t; /* event-time extremes' values (ties: arrival) */
    bool first_t_valid, last_t_valid;
    bool touched; /* has an event of the current batch */
} msess;

typedef struct psess {
    int64_t start, end;
    int64_t first, last;
    bool first_valid, last_valid;
    uint64_t seq; /* a row piece's arrival order */
    bool is_row;  /* a new row (sorts after a session of equal start) */
} psess;

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)((rng_state >> 33) % n);
}

static int cmp_mev(const void *a, const void *b)
{
    const mev *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

static size_t model_sessions(mev *e, size_t n, int key, uint32_t batch, msess *out)
{
    qsort(e, n, sizeof *e, cmp_mev);
    size_t ns = 0;
    for (size_t i = 0; i < n; i++) {
        msess *m = ns ? &out[ns - 1] : NULL;
        if (!m || e[i].start > m->end) {
            m = &out[ns++];
            memset(m, 0, sizeof *m);
            m->key = key;
            m->start = e[i].start;
            m->end = e[i].end;
            m->first_t = e[i].v;
            m->first_t_valid = e[i].v_valid;
        }
        if (e[i].end > m->end)
            m->end = e[i].end;
        m->count++;
        m->last_t = e[i].v;
        m->last_t_valid = e[i].v_valid;
        if (e[i].v_valid) {
            if (m->count_v == 0 || e[i].v < m->min)
                m->min = e[i].v;
            if (m->count_v == 0 || e[i].v > m->max)
                m->max = e[i].v;
            m->count_v++;
            m->sum += e[i].v;
        }
        if (e[i].batch == batch)
            m->touched = true;
    }
    return ns;
}

static int cmp_piece(const void *a, const void *b)
{
    const psess *x = a, *y = b;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->is_row != y->is_row)
        return x->is_row ? 1 : -1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* One update call of the piece model for one key: cur[0, *n) are its
 * sessions (room for *n + nnew), rows its new events. */
static void piece_merge(psess *cur, size_t *n, const mev *rows, size_t nnew)
{
    size_t np = *n;
    for (size_t i = 0; i < nnew; i++) {
        psess *p = &cur[np++];
        p->start = rows[i].start;
        p->end = rows[i].end;
        p->first = p->last = rows[i].v;
        p->first_valid = p->last_valid = rows[i].v_valid;
        p->seq = rows[i].seq;
        p->is_row = true;
    }
    qsort(cur, np, sizeof *cur, cmp_piece);
    size_t ns = 0;
    for (size_t i = 0; i < np; i++) {
        psess p = cur[i];
        if (ns && p.start <= cur[ns - 1].end) {
            psess *m = &cur[ns - 1];
            if (p.end > m->end)
                m->end = p.end;
            m->last = p.last;
            m->last_valid = p.last_valid;
        } else {
            p.is_row = false;
            cur[ns++] = p;
        }
    }
    *n = ns;
}

enum { RKEYS = 7, RAGGS = 7 };

static void expect_model_row(const batch *b, uint32_t r, const msess *m, const psess *ps,
                             size_t nps, bool in_order)
{
    if (m->key < 0)
        assert_false(b->cols[0].valid[r]);
    else
        assert_int_equal(b->cols[0].data.i32[r], m->key);
    assert_int_equal(b->cols[1].data.w[r].start, m->start);
    assert_int_equal(b->cols[1].data.w[r].end, m->end);
    assert_int_equal(b->cols[2].data.i64[r], m->count);
    assert_int_equal(b->cols[3].data.i64[r], m->count_v);
    assert_int_equal(b->cols[4].valid[r], m->count_v > 0);
    if (m->count_v) {
        assert_int_equal(b->cols[4].data.i64[r], m->sum);
        assert_int_equal(b->cols[5].data.i64[r], m->min);
        assert_int_equal(b->cols[6].data.i64[r], m->max);
    }
    const psess *p = NULL;
    for (size_t i = 0; i < nps && !p; i++)
        if (ps[i].start == m->start)
            p = &ps[i];
    assert_non_null(p);
    assert_int_equal(p->end, m->end);
    assert_int_equal(b->cols[7].valid[r], p->first_valid);
    assert_int_equal(b->cols[8].valid[r], p->last_valid);
    if (p->first_valid)
        assert_int_equal(b->cols[7].data.i64[r], p->first);
    if (p->last_valid)
        assert_int_equal(b->cols[8].data.i64[r], p->last);
    if (in_order) {
        /* Rows in time order: Spark's order is plain event-time order. */
        assert_int_equal(p->first_valid, m->first_t_valid);
        assert_int_equal(p->last_valid, m->last_t_valid);
        assert_int_equal(p->first, m->first_t);
        assert_int_equal(p->last, m->last_t);
    }
}

/* in_order: event times never decrease. */
static void run_random(uint64_t seed, bool in_order)
{
    rng_state = seed;
    agg_spec aggs[RAGGS] = {spec(&agg_count, TYPE_NULL),  spec(&agg_count, TYPE_BIGINT),
                            spec(&agg_sum, TYPE_BIGINT),  spec(&agg_min, TYPE_BIGINT),
                            spec(&agg_max, TYPE_BIGINT),  spec(&agg_first, TYPE_BIGINT),
                            spec(&agg_last, TYPE_BIGINT)};
    type_id kt[2] = {TYPE_INT, TYPE_WINDOW};
    session_agg *s = session_agg_new(2, kt, 1, RAGGS, aggs);
    enum { CAP = 20000 };
    size_t nev[RKEYS + 1] = {0}, npm[RKEYS + 1] = {0};
    mev *events[RKEYS + 1];
    psess *pm[RKEYS + 1];
    for (int k = 0; k <= RKEYS; k++) {
        events[k] = xmalloc(CAP * sizeof(mev));
        pm[k] = xmalloc(CAP * sizeof(psess));
    }
    msess *ms = xmalloc(CAP * sizeof(msess)), *all = xmalloc(CAP * sizeof(msess));
    mev *fresh = xmalloc(CAP * sizeof(mev));
    int order[RKEYS + 1], norder = 0; /* model of first-seen key order */
    uint64_t seq = 0;
    int64_t max_ts = 0, watermark = 0, clock = 0;

    for (uint32_t bno = 0; bno < 40; bno++) {
        session_agg_begin_batch(s);
        uint32_t n = 1 + rnd(300);
        /* Sometimes two update calls in one micro-batch. */
        uint32_t split = rnd(3) == 0 ? rnd(n) : n;
        column keys[2], val;
        column_init(&keys[0], TYPE_INT, n);
        column_init(&keys[1], TYPE_WINDOW, n);
        column_init(&val, TYPE_BIGINT, n);
        size_t first_new[RKEYS + 1], split_at[RKEYS + 1];
        memcpy(first_new, nev, sizeof nev);
        for (uint32_t i = 0; i < n; i++) {
            if (i == split)
                memcpy(split_at, nev, sizeof nev);
            int key = (int)rnd(RKEYS + 1) - 1;
            int64_t ts;
            if (in_order) {
                clock += rnd(4) * SEC + rnd(1000);
                ts = clock;
            } else {
                ts = (int64_t)bno * 20 * SEC + (int64_t)rnd(120) * SEC - 60 * SEC +
                     (rnd(2) ? rnd(1000000) : 0);
            }
            int64_t gap = (rnd(3) + 1) * 5 * SEC;
            bool null_window = rnd(20) == 0, empty = rnd(50) == 0;
            keys[0].valid[i] = key >= 0;
            keys[0].data.i32[i] = key;
            keys[1].valid[i] = !null_window;
            keys[1].data.w[i].start = ts;
            keys[1].data.w[i].end = empty ? ts : ts + gap;
            val.valid[i] = rnd(10) != 0;
            val.data.i64[i] = (int64_t)rnd(1000) - 300;
            if (null_window || empty)
                continue;
            int slot = key + 1;
            assert_true(nev[slot] < CAP);
            if (nev[slot] == 0) {
                bool listed = false;
                for (int o = 0; o < norder; o++)
                    listed |= order[o] == key;
                if (!listed)
                    order[norder++] = key;
            }
            mev *e = &events[slot][nev[slot]++];
            e->key = key;
            e->start = ts;
            e->end = ts + gap;
            e->v = val.data.i64[i];
            e->v_valid = val.valid[i];
            e->batch = bno;
            e->seq = seq++;
            if (ts > max_ts)
                max_ts = ts;
        }
        if (split == n)
            memcpy(split_at, nev, sizeof nev);
        const column *args[RAGGS] = {NULL, &val, &val, &val, &val, &val, &val};
        session_agg_update(s, keys, args, split);
        if (split < n) {
            column k2[2] = {keys[0], keys[1]}, v2 = val;
            k2[0].valid += split;
            k2[0].data.i32 += split;
            k2[1].valid += split;
            k2[1].data.w += split;
            v2.valid += split;
            v2.data.i64 += split;
            const column *args2[RAGGS] = {NULL, &v2, &v2, &v2, &v2, &v2, &v2};
            session_agg_update(s, k2, args2, n - split);
        }
        column_free(&keys[0]);
        column_free(&keys[1]);
        column_free(&val);
        /* The piece model, call by call (copies: model_sessions sorts events). */
        for (int slot = 0; slot <= RKEYS; slot++) {
            size_t a = first_new[slot], m = split_at[slot], z = nev[slot];
            memcpy(fresh, events[slot] + a, (m - a) * sizeof(mev));
            piece_merge(pm[slot], &npm[slot], fresh, m - a);
            memcpy(fresh, events[slot] + m, (z - m) * sizeof(mev));
            piece_merge(pm[slot], &npm[slot], fresh, z - m);
        }

        /* The event model's sessions, keys in first-seen order. */
        size_t nall = 0, ntouched = 0;
        for (int o = 0; o < norder; o++) {
            int slot = order[o] + 1;
            size_t k = model_sessions(events[slot], nev[slot], order[o], bno, ms);
            assert_int_equal(k, npm[slot]);
            memcpy(all + nall, ms, k * sizeof(msess));
            nall += k;
        }
        for (size_t i = 0; i < nall; i++)
            ntouched += all[i].touched;
        assert_int_equal(session_agg_nsessions(s), nall);
        assert_int_equal(session_agg_nupdated(s), ntouched);
#define EXPECT(b, r, m) \
    expect_model_row(b, r, m, pm[(m)->key + 1], npm[(m)->key + 1], in_order)
        batch *b = session_agg_output(s, false);
        assert_int_equal(b->nrows, nall);
        for (size_t i = 0; i < nall; i++)
            EXPECT(b, (uint32_t)i, &all[i]);
        batch_free(b);
        b = session_agg_output(s, true);
        assert_int_equal(b->nrows, ntouched);
        for (size_t i = 0, r = 0; i < nall; i++)
            if (all[i].touched)
                EXPECT(b, (uint32_t)r++, &all[i]);
        batch_free(b);

        /* Evict at a watermark that trails the max time by a random delay. */
        int64_t wm = max_ts - (int64_t)rnd(60) * SEC;
        if (wm > watermark)
            watermark = wm;
        size_t nexp = 0;
        for (size_t i = 0; i < nall; i++)
            nexp += all[i].end <= watermark;
        assert_int_equal(session_agg_has_expired(s, watermark), nexp > 0);
        b = session_agg_take(s, watermark, true);
        assert_int_equal(b->nrows, nexp);
        for (size_t i = 0, r = 0; i < nall; i++)
            if (all[i].end <= watermark)
                EXPECT(b, (uint32_t)r++, &all[i]);
        batch_free(b);
#undef EXPECT
        /* Drop the expired sessions' events (and keys left without any). */
        for (int slot = 0; slot <= RKEYS; slot++) {
            size_t w = 0;
            for (size_t i = 0; i < nev[slot]; i++) {
                bool expired = false;
                for (size_t j = 0; j < nall; j++)
                    if (all[j].key == events[slot][i].key && all[j].end <= watermark &&
                        all[j].start <= events[slot][i].start &&
                        events[slot][i].start < all[j].end)
                        expired = true;
                if (!expired)
                    events[slot][w++] = events[slot][i];
            }
            nev[slot] = w;
            w = 0;
            for (size_t i = 0; i < npm[slot]; i++)
                if (pm[slot][i].end > watermark)
                    pm[slot][w++] = pm[slot][i];
            npm[slot] = w;
        }
        int w = 0;
        for (int o = 0; o < norder; o++)
            if (nev[order[o] + 1])
                order[w++] = order[o];
        norder = w;
        assert_int_equal(session_agg_nsessions(s), nall - nexp);
    }
    for (int k = 0; k <= RKEYS; k++) {
        free(events[k]);
        free(pm[k]);
    }
    free(ms);
    free(all);
    free(fresh);
    session_agg_free(s);
}

static void test_random_vs_model(void **unused)
{
    for (uint64_t seed = 1; seed <= 12; seed++)
        run_random(seed * 0x9e3779b97f4a7c15ULL, false);
}

static void test_random_in_order(void **unused)
{
    for (uint64_t seed = 1; seed <= 6; seed++)
        run_random(seed * 0x2545f4914f6cdd1dULL, true);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_within_gap_merge),
        cmocka_unit_test(test_exact_gap_inclusive),
        cmocka_unit_test(test_bridge_across_batches),
        cmocka_unit_test(test_per_key_isolation),
        cmocka_unit_test(test_null_session_skipped),
        cmocka_unit_test(test_update_mode),
        cmocka_unit_test(test_take_watermark),
        cmocka_unit_test(test_string_keys_survive),
        cmocka_unit_test(test_refused_shapes),
        cmocka_unit_test(test_serialize_roundtrip),
        cmocka_unit_test(test_corrupt_sessions),
        cmocka_unit_test(test_memory_bounded),
        cmocka_unit_test(test_random_vs_model),
        cmocka_unit_test(test_random_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
