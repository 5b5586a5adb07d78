/* Unit tests for the versioned state store (state/state_store.c) and the
 * deltas it saves (hash_agg_*_delta, session_agg_*_delta): randomized runs
 * of many batches with updates, evictions and re-created keys, committed
 * every version with a snapshot every 3, then every version restored into a
 * fresh operator must serialize to the very bytes the live operator had
 * after that batch; a batch re-run on a restored operator must give the
 * live state again. Also purge, missing and corrupt files, re-commits,
 * deduplication (no aggregates) and the global aggregate (no keys). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/mem.h"
#include "exec/agg.h"
#include "exec/session_agg.h"
#include "state/ckpt_file.h"
#include "state/state_store.h"

#define SEC INT64_C(1000000)

/* ---- helpers -------------------------------------------------------------- */

static uint64_t rng;

static void seed_rng(uint64_t seed, uint64_t b)
{
    rng = seed * 0x9e3779b97f4a7c15ULL + b * 0xbf58476d1ce4e5b9ULL + 1;
}

static uint32_t rnd(uint32_t n)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static agg_spec spec(const agg_func *f, type_id arg, bool distinct)
{
    agg_spec s = {f, arg, distinct, TYPE_NULL};
    assert_int_equal(f->resolve(arg, &s.ret_type), 0);
    return s;
}

static char *make_tmpdir(void)
{
    char tmpl[] = "/tmp/eddy-state-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_tree(char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

static bool exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void path_of(char *buf, const char *dir, const char *name)
{
    snprintf(buf, 4096, "%s/%s", dir, name);
}

static void expect_same_bytes(const agg_buf *a, const agg_buf *b)
{
    assert_int_equal(a->len, b->len);
    if (a->len)
        assert_memory_equal(a->data, b->data, a->len);
}

/* FNV-1a over a key tuple: what the test's eviction predicates decide on. */
static uint64_t digest(const value *keys, int n)
{
    uint64_t h = 1469598103934665603ULL;
    for (int k = 0; k < n; k++) {
        const uint8_t *p = NULL;
        size_t len = 0;
        uint64_t x;
        if (keys[k].is_null) {
            x = 77;
            p = (const uint8_t *)&x;
            len = sizeof x;
        } else if (keys[k].type == TYPE_STRING) {
            p = (const uint8_t *)keys[k].v.s.ptr;
            len = keys[k].v.s.len;
        } else {
            x = (uint64_t)keys[k].v.i64;
            p = (const uint8_t *)&x;
            len = sizeof x;
        }
        for (size_t i = 0; i < len; i++)
            h = (h ^ p[i]) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
    }
    return h;
}

/* ---- hash aggregation shapes and batches ---------------------------------- */

/* Argument columns: 0 = v (bigint), 1 = s (string). */
typedef struct ha_shape {
    const char *name;
    int nkeys;
    type_id kt[2];
    int naggs;
    agg_spec aggs[5];
    int argcol[5]; /* -1 for count(*) */
    bool big;      /* long strings: the arena compacts */
} ha_shape;

static ha_shape shape_string_key(bool big)
{
    ha_shape s = {big ? "big strings" : "string key", 1, {TYPE_STRING}, 5, {{0}}, {0}, big};
    s.aggs[0] = spec(&agg_count, TYPE_NULL, false);
    s.aggs[1] = spec(&agg_sum, TYPE_BIGINT, false);
    s.aggs[2] = spec(&agg_min, TYPE_STRING, false);
    s.aggs[3] = spec(&agg_max, TYPE_STRING, false);
    s.aggs[4] = spec(&agg_count, TYPE_STRING, true);
    int cols[5] = {-1, 0, 1, 1, 1};
    memcpy(s.argcol, cols, sizeof cols);
    return s;
}

static ha_shape shape_two_keys(void)
{
    ha_shape s = {"two keys", 2, {TYPE_STRING, TYPE_BIGINT}, 4, {{0}}, {0}, false};
    s.aggs[0] = spec(&agg_count, TYPE_NULL, false);
    s.aggs[1] = spec(&agg_last, TYPE_STRING, false);
    s.aggs[2] = spec(&agg_sum, TYPE_BIGINT, true);
    s.aggs[3] = spec(&agg_max, TYPE_BIGINT, false);
    int cols[4] = {-1, 1, 0, 0};
    memcpy(s.argcol, cols, sizeof cols);
    return s;
}

static ha_shape shape_dedup(void)
{
    ha_shape s = {"dedup", 2, {TYPE_STRING, TYPE_BIGINT}, 0, {{0}}, {0}, false};
    return s;
}

static ha_shape shape_global(void)
{
    ha_shape s = {"global", 0, {TYPE_NULL}, 4, {{0}}, {0}, false};
    s.aggs[0] = spec(&agg_count, TYPE_NULL, false);
    s.aggs[1] = spec(&agg_sum, TYPE_BIGINT, false);
    s.aggs[2] = spec(&agg_max, TYPE_STRING, false);
    s.aggs[3] = spec(&agg_count, TYPE_BIGINT, true);
    int cols[4] = {-1, 0, 1, 0};
    memcpy(s.argcol, cols, sizeof cols);
    return s;
}

static hash_agg *ha_new(const ha_shape *sh)
{
    return hash_agg_new(sh->nkeys, sh->kt, sh->naggs, sh->aggs);
}

/* One hash_agg_update of n random rows; keys come from a pool that grows
 * with the batch number b, so new groups keep appearing. */
static void ha_rows(hash_agg *h, const ha_shape *sh, uint32_t n, uint32_t b)
{
    size_t slen = sh->big ? 3000 : 24;
    char *text = xmalloc((size_t)(n ? n : 1) * 2 * slen);
    column keys[2], v, s;
    for (int k = 0; k < sh->nkeys; k++)
        column_init(&keys[k], sh->kt[k], n);
    column_init(&v, TYPE_BIGINT, n);
    column_init(&s, TYPE_STRING, n);
    for (uint32_t i = 0; i < n; i++) {
        char *kbuf = text + (size_t)i * 2 * slen, *sbuf = kbuf + slen;
        for (int k = 0; k < sh->nkeys; k++) {
            column *c = &keys[k];
            c->valid[i] = rnd(15) != 0;
            if (c->type == TYPE_STRING) {
                int len = snprintf(kbuf, slen, "key%u", rnd(20 + 3 * b));
                c->data.s[i].ptr = kbuf;
                c->data.s[i].len = (uint32_t)len;
            } else {
                c->data.i64[i] = (int64_t)rnd(4) - 1;
            }
        }
        v.valid[i] = rnd(10) != 0;
        v.data.i64[i] = (int64_t)rnd(1000) - 300;
        s.valid[i] = rnd(8) != 0;
        size_t len = (size_t)snprintf(sbuf, slen, "s%u", rnd(500));
        if (sh->big) {
            size_t pad = rnd((uint32_t)slen - 16);
            memset(sbuf + len, 'a' + (int)rnd(26), pad);
            len += pad;
        }
        s.data.s[i].ptr = sbuf;
        s.data.s[i].len = (uint32_t)len;
    }
    const column *args[5];
    for (int j = 0; j < sh->naggs; j++)
        args[j] = sh->argcol[j] < 0 ? NULL : sh->argcol[j] == 0 ? &v : &s;
    hash_agg_update(h, keys, args, n);
    for (int k = 0; k < sh->nkeys; k++)
        column_free(&keys[k]);
    column_free(&v);
    column_free(&s);
    free(text);
}

typedef struct evict_ctx {
    int nkeys;
    uint32_t b;
} evict_ctx;

static bool keep_key(const value *keys, void *ctx)
{
    const evict_ctx *e = ctx;
    if (e->nkeys == 0)
        return e->b % 6 != 5;
    return (digest(keys, e->nkeys) + e->b) % 3 != 0;
}

static bool take_key(const value *keys, void *ctx)
{
    const evict_ctx *e = ctx;
    if (e->nkeys == 0)
        return true;
    return (digest(keys, e->nkeys) ^ e->b) % 5 == 0;
}

/* Batch b of the randomized run, deterministic in (seed, b): updates, then
 * sometimes an eviction or an emitting take, then more updates that may
 * re-create just-removed keys within the same batch. */
static void ha_batch(hash_agg *h, const ha_shape *sh, uint64_t seed, uint32_t b)
{
    seed_rng(seed, b);
    hash_agg_begin_batch(h);
    ha_rows(h, sh, rnd(sh->big ? 60 : 150), b);
    evict_ctx e = {sh->nkeys, b};
    if (b % 3 == 2)
        hash_agg_evict(h, keep_key, &e);
    if (b % 4 == 1)
        batch_free(hash_agg_take(h, take_key, &e));
    if (b % 2 == 0)
        ha_rows(h, sh, rnd(40), b);
}

static void open_store(const char *dir, const state_ops *ops, int interval, state_store **st)
{
    eddy_error err;
    int rc = state_store_open(dir, ops, interval, st, &err);
    if (rc)
        fail_msg("state_store_open: %s", err.message);
}

static void expect_ok(int rc, const eddy_error *err)
{
    if (rc)
        fail_msg("%d: %s", rc, err->message);
}

static void run_hash(const ha_shape *sh, uint64_t seed, uint32_t nbatches)
{
    char *dir = make_tmpdir();
    hash_agg *h = ha_new(sh);
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *st;
    open_store(dir, &ops, 3, &st);
    eddy_error err;
    expect_ok(state_store_restore(st, -1, &err), &err);

    agg_buf *saved = xcalloc(nbatches + 1, sizeof(agg_buf));
    hash_agg_serialize(h, &saved[0]); /* saved[v + 1]: after version v */
    bool compacted = false;
    for (uint32_t b = 0; b < nbatches; b++) {
        size_t before = hash_agg_memory(h);
        ha_batch(h, sh, seed, b);
        if (hash_agg_memory(h) < before)
            compacted = true;
        expect_ok(state_store_commit(st, b, &err), &err);
        hash_agg_serialize(h, &saved[b + 1]);
    }
    if (sh->big)
        assert_true(compacted);
    assert_true(exists(dir, "0.delta"));
    assert_true(exists(dir, "2.snapshot"));
    assert_false(exists(dir, "2.delta"));
    assert_true(exists(dir, "4.delta"));
    assert_true(exists(dir, "5.snapshot"));

    /* Every version restores to the live bytes; re-running the next batch on
     * the restored state (and re-committing it) gives the live state again. */
    for (int64_t v = -1; v < (int64_t)nbatches; v++) {
        hash_agg *r = ha_new(sh);
        state_ops rops;
        state_ops_hash_agg(r, &rops);
        state_store *rs;
        open_store(dir, &rops, 3, &rs);
        expect_ok(state_store_restore(rs, v, &err), &err);
        agg_buf got = {0};
        hash_agg_serialize(r, &got);
        if (got.len != saved[v + 1].len || memcmp(got.data, saved[v + 1].data, got.len))
            print_message("%s seed %llu: version %lld differs\n", sh->name,
                          (unsigned long long)seed, (long long)v);
        expect_same_bytes(&got, &saved[v + 1]);
        assert_int_equal(hash_agg_nupdated(r), 0);
        if (v + 1 < (int64_t)nbatches) {
            ha_batch(r, sh, seed, (uint32_t)(v + 1));
            expect_ok(state_store_commit(rs, v + 1, &err), &err);
            got.len = 0;
            hash_agg_serialize(r, &got);
            expect_same_bytes(&got, &saved[v + 2]);
        }
        agg_buf_free(&got);
        state_store_close(rs);
        hash_agg_free(r);
    }

    for (uint32_t b = 0; b <= nbatches; b++)
        agg_buf_free(&saved[b]);
    free(saved);
    state_store_close(st);
    hash_agg_free(h);
    rm_tree(dir);
}

static void test_hash_agg_random(void **unused)
{
    ha_shape sh = shape_string_key(false);
    for (uint64_t seed = 1; seed <= 3; seed++)
        run_hash(&sh, seed, 40);
    sh = shape_two_keys();
    for (uint64_t seed = 1; seed <= 3; seed++)
        run_hash(&sh, seed, 40);
}

static void test_hash_agg_compaction(void **unused)
{
    ha_shape sh = shape_string_key(true);
    run_hash(&sh, 7, 40);
}

static void test_dedup(void **unused)
{
    ha_shape sh = shape_dedup();
    for (uint64_t seed = 1; seed <= 3; seed++)
        run_hash(&sh, seed, 30);
}

static void test_global(void **unused)
{
    ha_shape sh = shape_global();
    for (uint64_t seed = 1; seed <= 3; seed++)
        run_hash(&sh, seed, 30);
}

/* ---- session windows ------------------------------------------------------- */

enum { SA_NAGGS = 5 };

static session_agg *sa_new(void)
{
    agg_spec aggs[SA_NAGGS] = {spec(&agg_count, TYPE_NULL, false),
                               spec(&agg_sum, TYPE_BIGINT, false),
                               spec(&agg_min, TYPE_STRING, false),
                               spec(&agg_last, TYPE_STRING, false),
                               spec(&agg_first, TYPE_BIGINT, false)};
    type_id kt[3] = {TYPE_STRING, TYPE_WINDOW, TYPE_BIGINT};
    session_agg *s = session_agg_new(3, kt, 1, SA_NAGGS, aggs);
    assert_non_null(s);
    return s;
}

static void sa_rows(session_agg *s, uint32_t n, uint32_t b)
{
    char *text = xmalloc((size_t)(n ? n : 1) * 2 * 24);
    column keys[3], v, str;
    column_init(&keys[0], TYPE_STRING, n);
    column_init(&keys[1], TYPE_WINDOW, n);
    column_init(&keys[2], TYPE_BIGINT, n);
    column_init(&v, TYPE_BIGINT, n);
    column_init(&str, TYPE_STRING, n);
    for (uint32_t i = 0; i < n; i++) {
        char *kbuf = text + (size_t)i * 48, *sbuf = kbuf + 24;
        keys[0].valid[i] = rnd(12) != 0;
        keys[0].data.s[i].ptr = kbuf;
        keys[0].data.s[i].len = (uint32_t)snprintf(kbuf, 24, "user%u", rnd(8 + b / 2));
        keys[2].valid[i] = rnd(10) != 0;
        keys[2].data.i64[i] = rnd(3);
        keys[1].valid[i] = rnd(30) != 0;
        int64_t ts = (int64_t)b * 20 * SEC + (int64_t)rnd(60) * SEC - 30 * SEC;
        keys[1].data.w[i].start = ts;
        keys[1].data.w[i].end = ts + (int64_t)(3 + rnd(8)) * SEC;
        v.valid[i] = rnd(9) != 0;
        v.data.i64[i] = (int64_t)rnd(100);
        str.valid[i] = rnd(7) != 0;
        str.data.s[i].ptr = sbuf;
        str.data.s[i].len = (uint32_t)snprintf(sbuf, 24, "v%u", rnd(1000));
    }
    const column *args[SA_NAGGS] = {NULL, &v, &str, &str, &v};
    session_agg_update(s, keys, args, n);
    for (int k = 0; k < 3; k++)
        column_free(&keys[k]);
    column_free(&v);
    column_free(&str);
    free(text);
}

/* Batch b: updates, expiry behind a watermark (emitting or silent), more
 * updates that may re-create expired keys. */
static void sa_batch(session_agg *s, uint64_t seed, uint32_t b)
{
    seed_rng(seed, b);
    session_agg_begin_batch(s);
    sa_rows(s, rnd(120), b);
    int64_t wm = (int64_t)b * 20 * SEC - 25 * SEC;
    if (b % 2 == 1) {
        batch *out = session_agg_take(s, wm, b % 4 == 1);
        batch_free(out);
    }
    if (b % 3 == 0)
        sa_rows(s, rnd(30), b);
}

static void run_session(uint64_t seed, uint32_t nbatches)
{
    char *dir = make_tmpdir();
    session_agg *s = sa_new();
    state_ops ops;
    state_ops_session_agg(s, &ops);
    state_store *st;
    open_store(dir, &ops, 3, &st);
    eddy_error err;
    agg_buf *saved = xcalloc(nbatches + 1, sizeof(agg_buf));
    session_agg_serialize(s, &saved[0]);
    for (uint32_t b = 0; b < nbatches; b++) {
        sa_batch(s, seed, b);
        expect_ok(state_store_commit(st, b, &err), &err);
        session_agg_serialize(s, &saved[b + 1]);
    }
    assert_true(session_agg_nsessions(s) > 10);
    for (int64_t v = -1; v < (int64_t)nbatches; v++) {
        session_agg *r = sa_new();
        state_ops rops;
        state_ops_session_agg(r, &rops);
        state_store *rs;
        open_store(dir, &rops, 3, &rs);
        expect_ok(state_store_restore(rs, v, &err), &err);
        agg_buf got = {0};
        session_agg_serialize(r, &got);
        expect_same_bytes(&got, &saved[v + 1]);
        assert_int_equal(session_agg_nupdated(r), 0);
        if (v + 1 < (int64_t)nbatches) {
            sa_batch(r, seed, (uint32_t)(v + 1));
            expect_ok(state_store_commit(rs, v + 1, &err), &err);
            got.len = 0;
            session_agg_serialize(r, &got);
            expect_same_bytes(&got, &saved[v + 2]);
        }
        agg_buf_free(&got);
        state_store_close(rs);
        session_agg_free(r);
    }
    for (uint32_t b = 0; b <= nbatches; b++)
        agg_buf_free(&saved[b]);
    free(saved);
    state_store_close(st);
    session_agg_free(s);
    rm_tree(dir);
}

static void test_session_agg_random(void **unused)
{
    for (uint64_t seed = 1; seed <= 4; seed++)
        run_session(seed, 40);
}

/* ---- files ------------------------------------------------------------------- */

/* A store in a fresh directory with versions 0 .. n-1 of the string-key
 * shape committed (interval 3); saved[v + 1] is the state after v. */
typedef struct fixture {
    char *dir;
    ha_shape sh;
    agg_buf saved[11];
} fixture;

static void fixture_init(fixture *f, uint32_t n)
{
    memset(f, 0, sizeof *f);
    f->dir = make_tmpdir();
    f->sh = shape_string_key(false);
    hash_agg *h = ha_new(&f->sh);
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *st;
    open_store(f->dir, &ops, 3, &st);
    eddy_error err;
    hash_agg_serialize(h, &f->saved[0]);
    for (uint32_t b = 0; b < n; b++) {
        ha_batch(h, &f->sh, 99, b);
        expect_ok(state_store_commit(st, b, &err), &err);
        hash_agg_serialize(h, &f->saved[b + 1]);
    }
    state_store_close(st);
    hash_agg_free(h);
}

static void fixture_free(fixture *f)
{
    for (int i = 0; i < 11; i++)
        agg_buf_free(&f->saved[i]);
    rm_tree(f->dir);
}

/* Restores version v of f into a fresh aggregation: the return code, and
 * when 0 a check of the bytes. */
static int restore_into_fresh(fixture *f, int64_t v, eddy_error *err)
{
    hash_agg *r = ha_new(&f->sh);
    state_ops ops;
    state_ops_hash_agg(r, &ops);
    state_store *st;
    open_store(f->dir, &ops, 3, &st);
    int rc = state_store_restore(st, v, err);
    if (rc == 0) {
        agg_buf got = {0};
        hash_agg_serialize(r, &got);
        expect_same_bytes(&got, &f->saved[v + 1]);
        agg_buf_free(&got);
    }
    state_store_close(st);
    hash_agg_free(r);
    return rc;
}

static void write_bytes(const char *path, const void *p, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (n)
        assert_int_equal(fwrite(p, 1, n, fp), n);
    fclose(fp);
}

static void flip_byte(const char *path, long from_end)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, -from_end, SEEK_END);
    int c = fgetc(fp);
    fseek(fp, -from_end, SEEK_END);
    fputc(c ^ 0x20, fp);
    fclose(fp);
}

static void test_purge(void **unused)
{
    fixture f;
    fixture_init(&f, 10); /* 0d 1d 2s 3d 4d 5s 6d 7d 8s 9d */
    char path[4096];
    path_of(path, f.dir, ".7.delta.tmp");
    write_bytes(path, "x", 1);
    path_of(path, f.dir, "notes.txt");
    write_bytes(path, "keep", 4);

    hash_agg *h = ha_new(&f.sh);
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *st;
    open_store(f.dir, &ops, 3, &st);
    eddy_error err;
    /* No snapshot at or below 1: only the temporary file goes. */
    expect_ok(state_store_purge(st, 1, &err), &err);
    assert_false(exists(f.dir, ".7.delta.tmp"));
    assert_true(exists(f.dir, "0.delta"));
    assert_true(exists(f.dir, "1.delta"));

    expect_ok(state_store_purge(st, 7, &err), &err);
    const char *gone[] = {"0.delta", "1.delta", "2.snapshot", "3.delta", "4.delta"};
    const char *kept[] = {"5.snapshot", "6.delta", "7.delta", "8.snapshot", "9.delta",
                          "notes.txt"};
    for (size_t i = 0; i < sizeof gone / sizeof *gone; i++)
        assert_false(exists(f.dir, gone[i]));
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++)
        assert_true(exists(f.dir, kept[i]));
    state_store_close(st);
    hash_agg_free(h);

    /* The committed version and every later one still restore. */
    for (int64_t v = 5; v <= 9; v++)
        expect_ok(restore_into_fresh(&f, v, &err), &err);
    /* An older one no longer does. */
    assert_int_equal(restore_into_fresh(&f, 4, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "state version 0 of '"));
    assert_non_null(strstr(err.message, f.dir));
    assert_non_null(strstr(err.message, "missing"));
    fixture_free(&f);
}

static void test_missing_delta(void **unused)
{
    fixture f;
    fixture_init(&f, 8);
    char path[4096];
    path_of(path, f.dir, "4.delta");
    assert_int_equal(unlink(path), 0);
    eddy_error err;
    assert_int_equal(restore_into_fresh(&f, 5, &err), 0); /* 5.snapshot */
    expect_ok(restore_into_fresh(&f, 3, &err), &err);
    assert_int_equal(restore_into_fresh(&f, 4, &err), -EDDY_CORRUPT);
    assert_int_equal(err.code, EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "state version 4 of '"));
    assert_non_null(strstr(err.message, f.dir));
    assert_non_null(strstr(err.message, "is missing"));
    /* Versions above the one restored are never looked at. */
    path_of(path, f.dir, "7.delta");
    assert_int_equal(unlink(path), 0);
    expect_ok(restore_into_fresh(&f, 6, &err), &err);
    fixture_free(&f);
}

static void test_corrupt_files(void **unused)
{
    fixture f;
    fixture_init(&f, 8);
    char path[4096];
    eddy_error err;

    /* A flipped payload byte: the envelope's checksum. */
    path_of(path, f.dir, "6.delta");
    flip_byte(path, 3);
    assert_int_equal(restore_into_fresh(&f, 6, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "checksum"));
    flip_byte(path, 3);
    expect_ok(restore_into_fresh(&f, 6, &err), &err);

    path_of(path, f.dir, "5.snapshot");
    flip_byte(path, 1);
    assert_int_equal(restore_into_fresh(&f, 7, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, path));
    flip_byte(path, 1);

    /* A delta under another version's name. */
    char from[4096];
    path_of(from, f.dir, "3.delta");
    path_of(path, f.dir, "4.delta");
    uint8_t *data;
    size_t len;
    expect_ok(ckpt_read(from, CKPT_STATE, &data, &len, &err), &err);
    expect_ok(ckpt_write(path, CKPT_STATE, data, len, &err), &err);
    assert_int_equal(restore_into_fresh(&f, 4, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "holds state version 3"));

    /* A well-formed envelope whose operator bytes are bad: the operator's
     * message, prefixed with the file. */
    data[len - 1] ^= 1;
    agg_buf longer = {0};
    agg_buf_put(&longer, data, len);
    agg_buf_put_u8(&longer, 0);
    longer.data[1] = 4; /* version field: 4 */
    expect_ok(ckpt_write(path, CKPT_STATE, longer.data, longer.len, &err), &err);
    assert_int_equal(restore_into_fresh(&f, 4, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, "aggregation state"));
    agg_buf_free(&longer);

    /* A snapshot file holding a delta's tag. */
    data[0] = 'D';
    data[1] = 5;
    path_of(path, f.dir, "5.snapshot");
    expect_ok(ckpt_write(path, CKPT_STATE, data, len, &err), &err);
    assert_int_equal(restore_into_fresh(&f, 5, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "not a state snapshot"));
    free(data);
    fixture_free(&f);
}

static void test_recommit(void **unused)
{
    fixture f;
    fixture_init(&f, 4); /* 0d 1d 2s 3d */
    eddy_error err;

    /* A re-run of batch 3 with other input overwrites 3.delta. */
    hash_agg *h = ha_new(&f.sh);
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *st;
    open_store(f.dir, &ops, 3, &st);
    expect_ok(state_store_restore(st, 2, &err), &err);
    ha_batch(h, &f.sh, 12345, 3);
    expect_ok(state_store_commit(st, 3, &err), &err);
    /* And again, in the same process, after more rows. */
    seed_rng(5, 5);
    ha_rows(h, &f.sh, 50, 3);
    expect_ok(state_store_commit(st, 3, &err), &err);
    agg_buf_free(&f.saved[4]);
    hash_agg_serialize(h, &f.saved[4]);
    state_store_close(st);
    hash_agg_free(h);
    expect_ok(restore_into_fresh(&f, 3, &err), &err);

    /* A snapshot left by an earlier run with another interval must not
     * shadow the delta of the re-run: commit 3 as a snapshot, then re-run 3
     * with interval 10, which writes a delta. */
    h = ha_new(&f.sh);
    state_ops_hash_agg(h, &ops);
    open_store(f.dir, &ops, 1, &st);
    expect_ok(state_store_restore(st, 2, &err), &err);
    ha_batch(h, &f.sh, 777, 3);
    expect_ok(state_store_commit(st, 3, &err), &err);
    state_store_close(st);
    hash_agg_free(h);
    assert_true(exists(f.dir, "3.snapshot"));
    assert_false(exists(f.dir, "3.delta"));

    h = ha_new(&f.sh);
    state_ops_hash_agg(h, &ops);
    open_store(f.dir, &ops, 10, &st);
    expect_ok(state_store_restore(st, 2, &err), &err);
    ha_batch(h, &f.sh, 888, 3);
    expect_ok(state_store_commit(st, 3, &err), &err);
    assert_false(exists(f.dir, "3.snapshot"));
    assert_true(exists(f.dir, "3.delta"));
    agg_buf_free(&f.saved[4]);
    hash_agg_serialize(h, &f.saved[4]);
    /* A version that does not follow the last one is a snapshot. */
    ha_batch(h, &f.sh, 888, 4);
    expect_ok(state_store_commit(st, 6, &err), &err);
    assert_true(exists(f.dir, "6.snapshot"));
    state_store_close(st);
    hash_agg_free(h);
    expect_ok(restore_into_fresh(&f, 3, &err), &err);
    fixture_free(&f);
}

static void test_open_errors(void **unused)
{
    char *dir = make_tmpdir();
    char path[4096];
    path_of(path, dir, "file");
    write_bytes(path, "x", 1);
    strcat(path, "/sub/state");
    hash_agg *h = ha_new(&(ha_shape){0});
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *st = (state_store *)&ops;
    eddy_error err;
    assert_int_equal(state_store_open(path, &ops, 3, &st, &err), -EDDY_IO);
    assert_null(st);
    assert_non_null(strstr(err.message, "file/sub"));
    /* Nested directories are created. */
    path_of(path, dir, "a/b/c/");
    expect_ok(state_store_open(path, &ops, 0, &st, &err), &err);
    assert_int_equal(state_store_commit(st, -1, &err), -EDDY_USAGE);
    expect_ok(state_store_commit(st, 0, &err), &err);
    assert_true(exists(dir, "a/b/c/0.snapshot")); /* interval 0 counts as 1 */
    state_store_close(st);
    state_store_close(NULL);
    hash_agg_free(h);
    rm_tree(dir);
}

/* ---- the delta formats ---------------------------------------------------------- */

static void test_hash_delta_format(void **unused)
{
    ha_shape sh = shape_two_keys();
    hash_agg *h = ha_new(&sh);
    hash_agg_track_removals(h, true);
    for (uint32_t b = 0; b < 3; b++)
        ha_batch(h, &sh, 3, b);
    agg_buf snap = {0}, delta = {0};
    hash_agg_serialize(h, &snap);
    ha_batch(h, &sh, 3, 5); /* evicts, takes and re-creates */
    hash_agg_serialize_delta(h, &delta);
    assert_int_equal(delta.data[0], 0x81);

    eddy_error err;
    hash_agg *r = ha_new(&sh);
    expect_ok(hash_agg_deserialize(r, snap.data, snap.len, &err), &err);
    /* Every truncation is refused. */
    for (size_t cut = 0; cut < delta.len; cut++) {
        hash_agg *t = ha_new(&sh);
        expect_ok(hash_agg_deserialize(t, snap.data, snap.len, &err), &err);
        assert_int_equal(hash_agg_apply_delta(t, delta.data, cut, &err), -EDDY_CORRUPT);
        assert_int_equal(err.code, EDDY_CORRUPT);
        hash_agg_free(t);
    }
    agg_buf longer = {0};
    agg_buf_put(&longer, delta.data, delta.len);
    agg_buf_put_u8(&longer, 0);
    assert_int_equal(hash_agg_apply_delta(r, longer.data, longer.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "trailing"));
    agg_buf_free(&longer);
    /* The formats are not interchangeable. */
    assert_int_equal(hash_agg_apply_delta(r, snap.data, snap.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "a snapshot where a delta was expected"));
    hash_agg *t = ha_new(&sh);
    assert_int_equal(hash_agg_deserialize(t, delta.data, delta.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "a delta where a snapshot was expected"));
    hash_agg_free(t);
    /* Another shape is refused. */
    ha_shape other = shape_string_key(false);
    t = ha_new(&other);
    assert_int_equal(hash_agg_apply_delta(t, delta.data, delta.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "keys"));
    hash_agg_free(t);
    hash_agg_free(r);

    /* Without tracking, removals are not in the delta. */
    hash_agg *u = ha_new(&sh);
    for (uint32_t b = 0; b < 3; b++)
        ha_batch(u, &sh, 3, b);
    hash_agg_begin_batch(u);
    evict_ctx all = {sh.nkeys, 0};
    uint64_t n = hash_agg_ngroups(u);
    assert_true(hash_agg_evict(u, keep_key, &all) > 0);
    agg_buf d2 = {0};
    hash_agg_serialize_delta(u, &d2);
    t = ha_new(&sh);
    expect_ok(hash_agg_deserialize(t, snap.data, snap.len, &err), &err);
    expect_ok(hash_agg_apply_delta(t, d2.data, d2.len, &err), &err);
    assert_int_equal(hash_agg_ngroups(t), n);
    hash_agg_free(t);
    hash_agg_free(u);
    agg_buf_free(&d2);

    agg_buf_free(&snap);
    agg_buf_free(&delta);
    hash_agg_free(h);
}

static void test_session_delta_format(void **unused)
{
    session_agg *s = sa_new();
    session_agg_track_removals(s, true);
    for (uint32_t b = 0; b < 6; b++)
        sa_batch(s, 4, b);
    agg_buf snap = {0}, delta = {0};
    session_agg_serialize(s, &snap);
    sa_batch(s, 4, 9);
    session_agg_serialize_delta(s, &delta);
    assert_int_equal(delta.data[0], 0x81);
    agg_buf want = {0};
    session_agg_serialize(s, &want);

    eddy_error err;
    session_agg *r = sa_new();
    expect_ok(session_agg_deserialize(r, snap.data, snap.len, &err), &err);
    expect_ok(session_agg_apply_delta(r, delta.data, delta.len, &err), &err);
    agg_buf got = {0};
    session_agg_serialize(r, &got);
    expect_same_bytes(&got, &want);
    agg_buf_free(&got);
    session_agg_free(r);

    for (size_t cut = 0; cut < delta.len; cut += 1 + cut / 64) {
        session_agg *t = sa_new();
        expect_ok(session_agg_deserialize(t, snap.data, snap.len, &err), &err);
        assert_int_equal(session_agg_apply_delta(t, delta.data, cut, &err), -EDDY_CORRUPT);
        session_agg_free(t);
    }
    session_agg *t = sa_new();
    assert_int_equal(session_agg_apply_delta(t, snap.data, snap.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "a snapshot where a delta was expected"));
    assert_int_equal(session_agg_deserialize(t, delta.data, delta.len, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "a delta where a snapshot was expected"));
    session_agg_free(t);

    agg_buf_free(&want);
    agg_buf_free(&snap);
    agg_buf_free(&delta);
    session_agg_free(s);
}

/* A session aggregation keyed by the session window alone (one group, whose
 * key takes no bytes): removed twice and re-created within a batch. */
static void test_session_window_only_key(void **unused)
{
    agg_spec c = spec(&agg_count, TYPE_NULL, false);
    type_id kt = TYPE_WINDOW;
    session_agg *s = session_agg_new(1, &kt, 0, 1, &c);
    session_agg_track_removals(s, true);
    column w;
    column_init(&w, TYPE_WINDOW, 1);
    w.valid[0] = 1;
    const column *args[1] = {NULL};
    int64_t starts[] = {0, 100, 200, 300};
    agg_buf snap = {0}, delta = {0}, want = {0}, got = {0};
    for (int i = 0; i < 4; i++) {
        if (i == 1) {
            session_agg_serialize(s, &snap);
            session_agg_begin_batch(s);
        }
        w.data.w[0].start = starts[i] * SEC;
        w.data.w[0].end = (starts[i] + 5) * SEC;
        session_agg_update(s, &w, args, 1);
        if (i >= 1 && i <= 2)
            batch_free(session_agg_take(s, (starts[i] + 50) * SEC, true));
    }
    session_agg_serialize_delta(s, &delta);
    session_agg_serialize(s, &want);
    eddy_error err;
    session_agg *r = session_agg_new(1, &kt, 0, 1, &c);
    expect_ok(session_agg_deserialize(r, snap.data, snap.len, &err), &err);
    expect_ok(session_agg_apply_delta(r, delta.data, delta.len, &err), &err);
    session_agg_serialize(r, &got);
    expect_same_bytes(&got, &want);
    assert_int_equal(session_agg_nsessions(r), 1);
    session_agg_free(r);
    session_agg_free(s);
    column_free(&w);
    agg_buf_free(&snap);
    agg_buf_free(&delta);
    agg_buf_free(&want);
    agg_buf_free(&got);
}

/* A large state (over 1 MiB) whose batches rewrite all of it: a snapshot
 * comes as soon as the deltas since the last one outweigh it, before the
 * interval would ask for one, and restoring still gives the live state. */
static void test_snapshot_when_deltas_outweigh(void **unused)
{
    (void)unused;
    char *dir = make_tmpdir();
    type_id kt[1] = {TYPE_BIGINT};
    agg_spec aggs[1] = {spec(&agg_count, TYPE_NULL, false)};
    hash_agg *h = hash_agg_new(1, kt, 1, aggs);
    state_ops ops;
    state_ops_hash_agg(h, &ops);
    state_store *ss;
    eddy_error err;
    assert_int_equal(state_store_open(dir, &ops, 3, &ss, &err), 0);
    const uint32_t n = 100000;
    column k;
    column_init(&k, TYPE_BIGINT, n + 10);
    for (uint32_t i = 0; i < n + 10; i++) {
        k.valid[i] = 1;
        k.data.i64[i] = i;
    }
    const column *args[1] = {NULL};
    for (int64_t v = 0; v < 6; v++) {
        hash_agg_begin_batch(h);
        /* Batch 3 also adds 10 groups, so its delta outweighs snapshot 2. */
        hash_agg_update(h, &k, args, v == 3 ? n + 10 : n);
        assert_int_equal(state_store_commit(ss, v, &err), 0);
    }
    assert_true(exists(dir, "2.snapshot")); /* the interval: 2 - (-1) = 3 */
    assert_true(exists(dir, "3.delta"));
    assert_true(exists(dir, "4.snapshot")); /* the size rule; the interval says 5 */
    assert_false(exists(dir, "4.delta"));
    assert_true(exists(dir, "5.delta"));
    agg_buf live = {0}, got = {0};
    hash_agg_serialize(h, &live);
    hash_agg *r = hash_agg_new(1, kt, 1, aggs);
    state_ops rops;
    state_ops_hash_agg(r, &rops);
    state_store *rs;
    assert_int_equal(state_store_open(dir, &rops, 3, &rs, &err), 0);
    assert_int_equal(state_store_restore(rs, 5, &err), 0);
    hash_agg_serialize(r, &got);
    expect_same_bytes(&live, &got);
    agg_buf_free(&live);
    agg_buf_free(&got);
    state_store_close(rs);
    state_store_close(ss);
    hash_agg_free(r);
    hash_agg_free(h);
    column_free(&k);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hash_agg_random),
        cmocka_unit_test(test_hash_agg_compaction),
        cmocka_unit_test(test_dedup),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_session_agg_random),
        cmocka_unit_test(test_purge),
        cmocka_unit_test(test_missing_delta),
        cmocka_unit_test(test_corrupt_files),
        cmocka_unit_test(test_recommit),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_hash_delta_format),
        cmocka_unit_test(test_session_delta_format),
        cmocka_unit_test(test_session_window_only_key),
        cmocka_unit_test(test_snapshot_when_deltas_outweigh),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
