/* Fuzz target for the state store's payloads: any bytes, loaded as a hash
 * aggregation snapshot (hash_agg_deserialize) and applied as a delta
 * (hash_agg_apply_delta) to an aggregation holding a few groups, and the
 * same for a session-window aggregation, must be refused with
 * -EDDY_CORRUPT and a message, or give a state that is whole: it
 * serializes, reloads to the same bytes, and keeps working (update, evict,
 * output). The seed corpus (corpus/state/) holds valid snapshots and deltas
 * made against the same base state. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/types.h"
#include "exec/agg.h"
#include "exec/session_agg.h"

#define SEC INT64_C(1000000)

static agg_spec spec(const agg_func *f, type_id arg, bool distinct)
{
    agg_spec s = {f, arg, distinct, TYPE_NULL};
    if (f->resolve(arg, &s.ret_type) != 0)
        abort();
    return s;
}

/* GROUP BY s, n with count(*), sum(n), max(s), count(DISTINCT s). */
static hash_agg *ha_new(void)
{
    type_id kt[2] = {TYPE_STRING, TYPE_BIGINT};
    agg_spec aggs[4] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_sum, TYPE_BIGINT, false),
                        spec(&agg_max, TYPE_STRING, false), spec(&agg_count, TYPE_STRING, true)};
    return hash_agg_new(2, kt, 4, aggs);
}

/* GROUP BY s, session_window with count(*), min(s), first(d). */
static session_agg *sa_new(void)
{
    type_id kt[2] = {TYPE_STRING, TYPE_WINDOW};
    agg_spec aggs[3] = {spec(&agg_count, TYPE_NULL, false), spec(&agg_min, TYPE_STRING, false),
                        spec(&agg_first, TYPE_DOUBLE, false)};
    return session_agg_new(2, kt, 1, 3, aggs);
}

static const char *const names[] = {"a", "bb", NULL, "ccc", "a", "dddd", NULL, "bb"};
enum { NROWS = 8 };

/* Eight fixed rows: the base state deltas of the corpus were made from, and
 * what a loaded state is exercised with afterwards. */
static void ha_feed(hash_agg *h, int64_t shift)
{
    column keys[2], n;
    column_init(&keys[0], TYPE_STRING, NROWS);
    column_init(&keys[1], TYPE_BIGINT, NROWS);
    column_init(&n, TYPE_BIGINT, NROWS);
    for (uint32_t i = 0; i < NROWS; i++) {
        keys[0].valid[i] = names[i] != NULL;
        keys[0].data.s[i].ptr = names[i] ? names[i] : "";
        keys[0].data.s[i].len = names[i] ? (uint32_t)strlen(names[i]) : 0;
        keys[1].valid[i] = i % 3 != 2;
        keys[1].data.i64[i] = (int64_t)(i % 2) + shift;
        n.valid[i] = 1;
        n.data.i64[i] = (int64_t)i * 10 + shift;
    }
    const column *args[4] = {NULL, &n, &keys[0], &keys[0]};
    hash_agg_update(h, keys, args, NROWS);
    column_free(&keys[0]);
    column_free(&keys[1]);
    column_free(&n);
}

static void sa_feed(session_agg *s, int64_t t0)
{
    column keys[2], d;
    column_init(&keys[0], TYPE_STRING, NROWS);
    column_init(&keys[1], TYPE_WINDOW, NROWS);
    column_init(&d, TYPE_DOUBLE, NROWS);
    for (uint32_t i = 0; i < NROWS; i++) {
        keys[0].valid[i] = names[i] != NULL;
        keys[0].data.s[i].ptr = names[i] ? names[i] : "";
        keys[0].data.s[i].len = names[i] ? (uint32_t)strlen(names[i]) : 0;
        keys[1].valid[i] = 1;
        keys[1].data.w[i].start = t0 + (int64_t)i * 4 * SEC;
        keys[1].data.w[i].end = keys[1].data.w[i].start + 5 * SEC;
        d.valid[i] = i != 3;
        d.data.f64[i] = i * 0.25;
    }
    const column *args[3] = {NULL, &keys[0], &d};
    session_agg_update(s, keys, args, NROWS);
    column_free(&keys[0]);
    column_free(&keys[1]);
    column_free(&d);
}

static bool keep_even(const value *keys, void *ctx)
{
    return keys[1].is_null || keys[1].v.i64 % 2 == 0;
}

static void check_refusal(int rc, const eddy_error *err)
{
    if (rc != -EDDY_CORRUPT || err->code != EDDY_CORRUPT || !err->message[0])
        abort();
}

static void same_bytes(const agg_buf *a, const agg_buf *b)
{
    if (a->len != b->len || (a->len && memcmp(a->data, b->data, a->len) != 0))
        abort();
}

/* A loaded hash aggregation must reload to the same bytes and keep working. */
static void ha_exercise(hash_agg *h)
{
    agg_buf a = {0}, b = {0};
    hash_agg_serialize(h, &a);
    hash_agg *copy = ha_new();
    eddy_error err;
    if (hash_agg_deserialize(copy, a.data, a.len, &err) != 0)
        abort();
    hash_agg_serialize(copy, &b);
    same_bytes(&a, &b);
    hash_agg_free(copy);
    hash_agg_begin_batch(h);
    ha_feed(h, 1);
    batch_free(hash_agg_output(h, false));
    hash_agg_evict(h, keep_even, NULL);
    b.len = 0;
    hash_agg_serialize_delta(h, &b);
    agg_buf_free(&a);
    agg_buf_free(&b);
}

static void sa_exercise(session_agg *s)
{
    agg_buf a = {0}, b = {0};
    session_agg_serialize(s, &a);
    session_agg *copy = sa_new();
    eddy_error err;
    if (session_agg_deserialize(copy, a.data, a.len, &err) != 0)
        abort();
    session_agg_serialize(copy, &b);
    same_bytes(&a, &b);
    session_agg_free(copy);
    session_agg_begin_batch(s);
    sa_feed(s, 2 * SEC);
    batch_free(session_agg_output(s, false));
    batch_free(session_agg_take(s, 20 * SEC, true));
    b.len = 0;
    session_agg_serialize_delta(s, &b);
    agg_buf_free(&a);
    agg_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eddy_error err = {0};

    hash_agg *h = ha_new();
    int rc = hash_agg_deserialize(h, data, size, &err);
    if (rc == 0)
        ha_exercise(h);
    else
        check_refusal(rc, &err);
    hash_agg_free(h);

    h = ha_new();
    hash_agg_track_removals(h, true);
    ha_feed(h, 0);
    hash_agg_begin_batch(h);
    rc = hash_agg_apply_delta(h, data, size, &err);
    if (rc == 0)
        ha_exercise(h);
    else
        check_refusal(rc, &err);
    hash_agg_free(h);

    session_agg *s = sa_new();
    rc = session_agg_deserialize(s, data, size, &err);
    if (rc == 0)
        sa_exercise(s);
    else
        check_refusal(rc, &err);
    session_agg_free(s);

    s = sa_new();
    session_agg_track_removals(s, true);
    sa_feed(s, 0);
    session_agg_begin_batch(s);
    rc = session_agg_apply_delta(s, data, size, &err);
    if (rc == 0)
        sa_exercise(s);
    else
        check_refusal(rc, &err);
    session_agg_free(s);
    return 0;
}
