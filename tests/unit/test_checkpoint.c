/* Unit tests for a query's checkpoint directory (src/runtime/checkpoint.c):
 * metadata and query id, the offset and commit logs, what a restart resumes
 * from, refusal of a different query, detection of a damaged log, and
 * retention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "runtime/checkpoint.h"

static char dir[64];
static const char *id0 = "11111111-2222-4333-8444-555555555555";

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/eddy_test_checkpoint_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static json_t *signature(const char *keys)
{
    return json_pack("{s:s, s:s, s:[s]}", "source", "csv in", "outputMode", "update",
                     "groupingKeys", keys);
}

static json_t *offsets(int64_t n, int64_t wm)
{
    return json_pack("{s:I, s:I, s:I, s:{}, s:{s:I}}", "batchId", (json_int_t)n,
                     "batchTimestampMs", (json_int_t)1000, "batchWatermarkMs", (json_int_t)wm,
                     "conf", "source", "logOffset", (json_int_t)n);
}

static json_t *commit(int64_t wm)
{
    return json_pack("{s:I, s:n}", "nextBatchWatermarkMs", (json_int_t)wm, "maxEventTimeMs");
}

/* Opens the checkpoint with signature over key `keys`; returns the rc. */
static int open_ck(const char *keys, checkpoint **c, checkpoint_resume *r, char *id,
                   eddy_error *err)
{
    json_t *sig = signature(keys);
    snprintf(id, 40, "%s", id0);
    int rc = checkpoint_open(dir, sig, id, c, r, err);
    json_decref(sig);
    return rc;
}

/* Runs batches [from, to) through the logs: offsets then commit. */
static void run_batches(checkpoint *c, int64_t from, int64_t to)
{
    eddy_error err;
    for (int64_t n = from; n < to; n++) {
        json_t *o = offsets(n, n * 10), *m = commit(n * 10 + 10);
        assert_int_equal(checkpoint_write_offsets(c, n, o, &err), 0);
        assert_int_equal(checkpoint_write_commit(c, n, m, &err), 0);
        json_decref(o);
        json_decref(m);
    }
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static void test_new_checkpoint(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    assert_int_equal(r.last_planned, -1);
    assert_int_equal(r.last_committed, -1);
    assert_null(r.offsets);
    assert_string_equal(id, id0);
    char p[128];
    struct stat st;
    path_of(p, sizeof p, "metadata");
    assert_int_equal(stat(p, &st), 0);
    path_of(p, sizeof p, "offsets");
    assert_int_equal(stat(p, &st), 0);
    path_of(p, sizeof p, "sources/0");
    assert_int_equal(stat(p, &st), 0);
    checkpoint_close(c);
}

static void test_resume_after_commit_and_id_kept(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, 3);
    checkpoint_close(c);
    json_t *sig = signature("k");
    snprintf(id, 40, "99999999-2222-4333-8444-555555555555"); /* a new run's id */
    assert_int_equal(checkpoint_open(dir, sig, id, &c, &r, &err), 0);
    json_decref(sig);
    assert_string_equal(id, id0); /* the query keeps its id */
    assert_int_equal(r.last_planned, 2);
    assert_int_equal(r.last_committed, 2);
    assert_int_equal(json_integer_value(json_object_get(r.offsets, "batchWatermarkMs")), 20);
    assert_int_equal(json_integer_value(json_object_get(r.commit, "nextBatchWatermarkMs")), 30);
    checkpoint_resume_free(&r);
    checkpoint_close(c);
}

static void test_resume_uncommitted_batch(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, 2);
    json_t *o = offsets(2, 20);
    assert_int_equal(checkpoint_write_offsets(c, 2, o, &err), 0);
    json_decref(o);
    checkpoint_close(c);
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    assert_int_equal(r.last_planned, 2);
    assert_int_equal(r.last_committed, 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(r.offsets, "source"),
                                                        "logOffset")),
                     2);
    checkpoint_resume_free(&r);
    checkpoint_close(c);
}

static void test_different_query_refused(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    checkpoint_close(c);
    assert_int_equal(open_ck("k2", &c, &r, id, &err), -EDDY_RUNTIME);
    assert_non_null(strstr(err.message, "written by a different query: the grouping keys "
                                        "changed (checkpoint: [\"k\"], query: [\"k2\"])"));
    assert_null(c);
}

static void test_missing_commit_detected(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, 4);
    checkpoint_close(c);
    char p[128];
    path_of(p, sizeof p, "commits/2");
    assert_int_equal(unlink(p), 0);
    path_of(p, sizeof p, "commits/3");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(open_ck("k", &c, &r, id, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "offsets/3 exists but commits/2 is missing"));
}

static void test_commit_without_offsets_detected(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, 2);
    checkpoint_close(c);
    char p[128];
    path_of(p, sizeof p, "offsets/1");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(open_ck("k", &c, &r, id, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "commits/1 exists but offsets/1 does not"));
}

static void flip_byte(const char *name, long at)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "r+b");
    assert_non_null(f);
    fseek(f, at, SEEK_SET);
    int ch = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(ch ^ 0x20, f);
    fclose(f);
}

static void test_damaged_entries_detected(void **state)
{
    (void)state;
    static const char *const names[] = {"offsets/1", "commits/1", "metadata"};
    for (int i = 0; i < 3; i++) {
        checkpoint *c;
        checkpoint_resume r;
        char id[40];
        eddy_error err;
        char cmd[160];
        snprintf(cmd, sizeof cmd, "rm -rf %s/*", dir);
        assert_int_equal(system(cmd), 0);
        assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
        run_batches(c, 0, 2);
        checkpoint_close(c);
        flip_byte(names[i], 40); /* inside the JSON payload */
        assert_int_equal(open_ck("k", &c, &r, id, &err), -EDDY_CORRUPT);
        assert_non_null(strstr(err.message, names[i]));
        assert_non_null(strstr(err.message, "checksum"));
    }
}

static void test_metadata_missing_with_log(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, 1);
    checkpoint_close(c);
    char p[128];
    path_of(p, sizeof p, "metadata");
    assert_int_equal(unlink(p), 0);
    assert_int_equal(open_ck("k", &c, &r, id, &err), -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "'metadata' is missing"));
}

static void test_temporaries_removed_and_retention(void **state)
{
    (void)state;
    checkpoint *c;
    checkpoint_resume r;
    char id[40];
    eddy_error err;
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    run_batches(c, 0, CHECKPOINT_RETAIN_BATCHES + 5);
    assert_int_equal(checkpoint_purge(c, CHECKPOINT_RETAIN_BATCHES + 4, &err), 0);
    checkpoint_close(c);
    char p[128];
    struct stat st;
    for (int k = 0; k < CHECKPOINT_RETAIN_BATCHES + 5; k++) {
        char name[40];
        snprintf(name, sizeof name, "offsets/%d", k);
        path_of(p, sizeof p, name);
        assert_int_equal(stat(p, &st) == 0, k >= 5);
        snprintf(name, sizeof name, "commits/%d", k);
        path_of(p, sizeof p, name);
        assert_int_equal(stat(p, &st) == 0, k >= 5);
    }
    path_of(p, sizeof p, "offsets/.105.tmp");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs("torn", f);
    fclose(f);
    assert_int_equal(open_ck("k", &c, &r, id, &err), 0);
    assert_int_equal(r.last_planned, CHECKPOINT_RETAIN_BATCHES + 4);
    assert_int_not_equal(stat(p, &st), 0);
    checkpoint_resume_free(&r);
    checkpoint_close(c);
}

static void test_payload_shapes(void **state)
{
    (void)state;
    json_t *o;
    eddy_error err;
    const char *good = "{\"batchId\":1,\"batchTimestampMs\":5,\"batchWatermarkMs\":0,"
                       "\"conf\":{},\"source\":null}";
    assert_int_equal(checkpoint_parse_offsets("p", (const uint8_t *)good, strlen(good), &o, &err),
                     0);
    json_decref(o);
    const char *bad[] = {
        "{\"batchId\":1,\"batchTimestampMs\":5,\"conf\":{},\"source\":null}",
        "{\"batchId\":-1,\"batchTimestampMs\":5,\"batchWatermarkMs\":0,\"conf\":{},\"source\":null}",
        "{\"batchId\":1,\"batchTimestampMs\":5,\"batchWatermarkMs\":0,\"conf\":{},\"source\":3}",
        "[1,2]",
        "{\"batchId\":1,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        o = NULL;
        assert_int_equal(
            checkpoint_parse_offsets("p", (const uint8_t *)bad[i], strlen(bad[i]), &o, &err),
            -EDDY_CORRUPT);
        assert_null(o);
        assert_non_null(strstr(err.message, "corrupt checkpoint file 'p'"));
    }
    const char *c1 = "{\"nextBatchWatermarkMs\":\"x\",\"maxEventTimeMs\":null}";
    assert_int_equal(checkpoint_parse_commit("p", (const uint8_t *)c1, strlen(c1), &o, &err),
                     -EDDY_CORRUPT);
    assert_non_null(strstr(err.message, "nextBatchWatermarkMs"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_checkpoint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_after_commit_and_id_kept, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_uncommitted_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_different_query_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_commit_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_without_offsets_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_entries_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_missing_with_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_temporaries_removed_and_retention, setup, teardown),
        cmocka_unit_test(test_payload_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
