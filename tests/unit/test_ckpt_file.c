/* Unit tests for the checkpoint file envelope (src/state/ckpt_file.c):
 * round trips, atomic replacement, and detection of every kind of damage a
 * crash or a bad disk can do (truncation, flipped bits, wrong version or
 * kind, garbage). */
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

#include "state/ckpt_file.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/eddy_test_ckpt_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static size_t slurp(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void spit(const char *path, const uint8_t *buf, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, n, f), n);
    fclose(f);
}

static void test_round_trip(void **state)
{
    char p[128];
    path_of(p, sizeof p, "0");
    const char *text = "{\"batchWatermarkMs\":0}";
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_OFFSETS, text, strlen(text), &err), 0);
    uint8_t *data;
    size_t len;
    assert_int_equal(ckpt_read(p, CKPT_OFFSETS, &data, &len, &err), 0);
    assert_int_equal(len, strlen(text));
    assert_string_equal((char *)data, text); /* NUL-terminated copy */
    free(data);
    /* No temporary file is left behind. */
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s/.0.tmp", dir);
    assert_int_not_equal(access(tmp, F_OK), 0);
    /* An empty payload is valid. */
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "", 0, &err), 0);
    assert_int_equal(ckpt_read(p, CKPT_COMMIT, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    free(data);
}

static void test_replace(void **state)
{
    char p[128];
    path_of(p, sizeof p, "metadata");
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_METADATA, "old", 3, &err), 0);
    assert_int_equal(ckpt_write(p, CKPT_METADATA, "newer", 5, &err), 0);
    uint8_t *data;
    size_t len;
    assert_int_equal(ckpt_read(p, CKPT_METADATA, &data, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "newer", 5);
    free(data);
}

static void expect_corrupt(const char *p, ckpt_kind kind, const char *words)
{
    uint8_t *data = (uint8_t *)"x";
    size_t len = 99;
    eddy_error err = {0};
    assert_int_equal(ckpt_read(p, kind, &data, &len, &err), -EDDY_CORRUPT);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_non_null(strstr(err.message, p));
    if (!strstr(err.message, words))
        fail_msg("message '%s' lacks '%s'", err.message, words);
}

static void test_damage_detected(void **state)
{
    char p[128], q[128];
    path_of(p, sizeof p, "1");
    path_of(q, sizeof q, "damaged");
    uint8_t payload[300];
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 7 + 1);
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_STATE, payload, sizeof payload, &err), 0);
    uint8_t good[1024];
    size_t n = slurp(p, good, sizeof good);
    assert_int_equal(n, CKPT_HEADER_BYTES + sizeof payload);

    uint8_t bad[1024];
    /* Every truncation, from empty to one byte short. */
    for (size_t cut = 0; cut < n; cut++) {
        spit(q, good, cut);
        expect_corrupt(q, CKPT_STATE, cut < CKPT_HEADER_BYTES ? "too short" : "truncated");
    }
    /* Trailing garbage (a torn rename over a longer file cannot happen, but
     * a copy might). */
    memcpy(bad, good, n);
    bad[n] = 'x';
    spit(q, bad, n + 1);
    expect_corrupt(q, CKPT_STATE, "header says");
    /* Every single-bit flip is caught by some check. */
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(bad, good, n);
            bad[i] ^= (uint8_t)(1u << bit);
            spit(q, bad, n);
            uint8_t *data;
            size_t len;
            if (ckpt_read(q, CKPT_STATE, &data, &len, &err) == 0) {
                /* Only the reserved bytes 12..15 are not checked. */
                assert_true(i >= 12 && i < 16);
                free(data);
            }
        }
    }
    memcpy(bad, good, n);
    bad[CKPT_HEADER_BYTES + 5] ^= 0x40;
    spit(q, bad, n);
    expect_corrupt(q, CKPT_STATE, "checksum mismatch");
    memcpy(bad, good, n);
    bad[8] = 2; /* format version 2 */
    spit(q, bad, n);
    expect_corrupt(q, CKPT_STATE, "format version 2");
    memcpy(bad, good, n);
    bad[0] = 'X';
    spit(q, bad, n);
    expect_corrupt(q, CKPT_STATE, "bad magic");
    /* The right bytes read as the wrong kind. */
    expect_corrupt(p, CKPT_OFFSETS, "kind 5 where kind 2");
}

static void test_missing_and_unwritable(void **state)
{
    char p[128];
    path_of(p, sizeof p, "nope");
    uint8_t *data;
    size_t len;
    eddy_error err = {0};
    assert_int_equal(ckpt_read(p, CKPT_COMMIT, &data, &len, &err), -EDDY_IO);
    assert_non_null(strstr(err.message, "does not exist"));
    path_of(p, sizeof p, "no_such_dir/0");
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "x", 1, &err), -EDDY_IO);
    assert_non_null(strstr(err.message, "cannot create"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_damage_detected),
        cmocka_unit_test(test_missing_and_unwritable),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
