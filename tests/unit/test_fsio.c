/* Unit tests for the durable-write primitives and EDDY_FAULT injection
 * (src/core/fsio.c): each op fails at exactly its Nth call with the asked
 * errno, a kill leaves a torn temporary, malformed specs are ignored, and
 * checkpoint writes (src/state/ckpt_file.c) fail cleanly under injection:
 * an error naming the path, no temporary left, the previous version kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fsio.h"
#include "state/ckpt_file.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/eddy_test_fsio_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    unsetenv("EDDY_FAULT");
    fsio_fault_reset_for_tests();
    return system(cmd) == 0 ? 0 : -1;
}

static void set_fault(const char *spec)
{
    if (spec)
        setenv("EDDY_FAULT", spec, 1);
    else
        unsetenv("EDDY_FAULT");
    fsio_fault_reset_for_tests();
}

static void path_of(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", dir, name);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static bool exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static int open_file(const char *name)
{
    char p[128];
    path_of(p, sizeof p, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    return fd;
}

/* Runs fn with stderr sent to a file; returns what it printed (malloc'd). */
static char *capture_stderr(void (*fn)(void))
{
    char p[128];
    path_of(p, sizeof p, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    dup2(fd, 2);
    close(fd);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_write_fails_at_nth(void **state)
{
    set_fault("write:3:ENOSPC");
    int fd = open_file("w");
    char p[128];
    path_of(p, sizeof p, "w");
    assert_int_equal(fsio_write_all(fd, "ab", 2), 0);
    assert_int_equal(fsio_write_all(fd, "cd", 2), 0);
    errno = 0;
    assert_int_equal(fsio_write_all(fd, "ef", 2), -1);
    assert_int_equal(errno, ENOSPC);
    assert_int_equal(file_size(p), 4); /* nothing written */
    assert_int_equal(fsio_write_all(fd, "gh", 2), 0);
    assert_int_equal(file_size(p), 6);
    assert_int_equal(fsio_calls(FSIO_WRITE), 4);
    /* Other ops are counted apart and not affected. */
    assert_int_equal(fsio_fsync(fd), 0);
    assert_int_equal(fsio_calls(FSIO_FSYNC), 1);
    assert_int_equal(fsio_calls(FSIO_RENAME), 0);
    close(fd);
}

static void test_write_default_errno_is_eio(void **state)
{
    set_fault("write:1");
    int fd = open_file("w");
    errno = 0;
    assert_int_equal(fsio_write_all(fd, "x", 1), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(fsio_write_all(fd, "x", 1), 0);
    close(fd);
}

static void test_fsync_fails_at_nth(void **state)
{
    /* fsio_fsync_dir counts as an fsync: calls 1 (file), 2 (dir), 3 (file). */
    set_fault("fsync:2:EDQUOT");
    int fd = open_file("f");
    assert_int_equal(fsio_fsync(fd), 0);
    errno = 0;
    assert_int_equal(fsio_fsync_dir(dir), -1);
    assert_int_equal(errno, EDQUOT);
    assert_int_equal(fsio_fsync(fd), 0);
    assert_int_equal(fsio_fsync_dir(dir), 0);
    close(fd);

    set_fault("fsync:1:EROFS");
    errno = 0;
    assert_int_equal(fsio_fsync_dir(dir), -1);
    assert_int_equal(errno, EROFS);
    assert_int_equal(fsio_calls(FSIO_FSYNC), 1);
}

static void test_rename_fails_at_nth(void **state)
{
    set_fault("rename:2:EROFS");
    char a[128], b[128], c[128];
    path_of(a, sizeof a, "a");
    path_of(b, sizeof b, "b");
    path_of(c, sizeof c, "c");
    close(open_file("a"));
    assert_int_equal(fsio_rename(a, b), 0);
    errno = 0;
    assert_int_equal(fsio_rename(b, c), -1);
    assert_int_equal(errno, EROFS);
    assert_true(exists(b)); /* nothing done */
    assert_false(exists(c));
    assert_int_equal(fsio_rename(b, c), 0);
    assert_true(exists(c));
    assert_int_equal(fsio_calls(FSIO_RENAME), 3);
}

static void test_several_rules(void **state)
{
    set_fault("write:1,write:3:edquot,rename:1:ENOSPC");
    int fd = open_file("w");
    assert_int_equal(fsio_write_all(fd, "a", 1), -1);
    assert_int_equal(errno, EIO);
    assert_int_equal(fsio_write_all(fd, "b", 1), 0);
    assert_int_equal(fsio_write_all(fd, "c", 1), -1);
    assert_int_equal(errno, EDQUOT); /* action names are case-insensitive */
    assert_int_equal(fsio_write_all(fd, "d", 1), 0);
    char a[128], b[128];
    path_of(a, sizeof a, "w");
    path_of(b, sizeof b, "w2");
    assert_int_equal(fsio_rename(a, b), -1);
    assert_int_equal(errno, ENOSPC);
    close(fd);
}

static void test_unset_never_fails(void **state)
{
    set_fault(NULL);
    int fd = open_file("w");
    for (int i = 0; i < 100; i++)
        assert_int_equal(fsio_write_all(fd, "x", 1), 0);
    assert_int_equal(fsio_fsync(fd), 0);
    assert_int_equal(fsio_calls(FSIO_WRITE), 100);
    close(fd);
    /* A real error still comes through with its errno. */
    errno = 0;
    assert_int_equal(fsio_write_all(-1, "x", 1), -1);
    assert_int_equal(errno, EBADF);
    char p[128];
    path_of(p, sizeof p, "no-such-dir");
    assert_int_equal(fsio_fsync_dir(p), -1);
    assert_int_equal(errno, ENOENT);
}

static const char *malformed_spec;

static void reset_quietly(void)
{
    set_fault(malformed_spec);
}

static void test_malformed_ignored(void **state)
{
    static const char *const bad[] = {
        "write",         "write:",          "write:0",    "write:-1",    "write:x",
        "write:1x",      "copy:1",          "WRITE:1",    "write:1:",    "write:1:EPERM",
        "write:1:kill:2", "write:1,",        ",",          "fsync:1,oops", "count:1",
        "write:99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        malformed_spec = bad[i];
        char *out = capture_stderr(reset_quietly);
        char want[160];
        snprintf(want, sizeof want, "eddy: ignoring EDDY_FAULT '%s': expected OP:N[:ACTION]",
                 bad[i]);
        if (strstr(out, want) != out)
            fail_msg("spec '%s': stderr was '%s'", bad[i], out);
        /* Reported once: one line. */
        char *nl = strchr(out, '\n');
        assert_non_null(nl);
        assert_string_equal(nl + 1, "");
        free(out);
        /* Ignored as a whole: even a valid item beside a bad one is off. */
        int fd = open_file("w");
        for (int k = 0; k < 3; k++)
            assert_int_equal(fsio_write_all(fd, "x", 1), 0);
        assert_int_equal(fsio_fsync(fd), 0);
        close(fd);
    }
}

/* ---- through ckpt_write ------------------------------------------------- */

static void expect_ckpt_failure(const char *spec, const char *want_step, const char *want_errstr)
{
    char p[128], tmp[128];
    path_of(p, sizeof p, "7");
    path_of(tmp, sizeof tmp, ".7.tmp");
    set_fault(spec);
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "payload", 7, &err), -EDDY_IO);
    if (!strstr(err.message, want_step) || !strstr(err.message, want_errstr) ||
        !strstr(err.message, dir))
        fail_msg("%s: unexpected message '%s'", spec, err.message);
    assert_false(exists(tmp));
}

static void test_ckpt_write_enospc(void **state)
{
    char p[128], tmp[128], want[256];
    path_of(p, sizeof p, "7");
    path_of(tmp, sizeof tmp, ".7.tmp");
    set_fault("write:1:ENOSPC");
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "payload", 7, &err), -EDDY_IO);
    snprintf(want, sizeof want, "checkpoint: cannot write '%s': No space left on device", tmp);
    assert_string_equal(err.message, want);
    assert_false(exists(tmp));
    assert_false(exists(p));

    /* The payload write (the second write) fails the same way. */
    expect_ckpt_failure("write:2:ENOSPC", "cannot write", "No space left on device");
    assert_false(exists(p));
    expect_ckpt_failure("fsync:1:EIO", "cannot fsync", "Input/output error");
    assert_false(exists(p));
    expect_ckpt_failure("rename:1:EDQUOT", "cannot rename", strerror(EDQUOT));
    assert_false(exists(p));

    /* A failed directory fsync comes after the rename: the new file is in
     * place but its entry may not be durable, so it is still an error. */
    expect_ckpt_failure("fsync:2:EIO", "cannot fsync the directory of", "Input/output error");
    assert_true(exists(p));

    /* Fault gone: the write goes through. */
    set_fault(NULL);
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "payload", 7, &err), 0);
    assert_int_equal(fsio_calls(FSIO_WRITE), 2);
    assert_int_equal(fsio_calls(FSIO_FSYNC), 2);
    assert_int_equal(fsio_calls(FSIO_RENAME), 1);
}

static void test_ckpt_failed_rename_keeps_previous(void **state)
{
    char p[128], tmp[128];
    path_of(p, sizeof p, "0");
    path_of(tmp, sizeof tmp, ".0.tmp");
    set_fault(NULL);
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_OFFSETS, "version 1", 9, &err), 0);

    static const char *const specs[] = {"rename:1", "write:1:ENOSPC", "write:2", "fsync:1"};
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
        set_fault(specs[i]);
        assert_int_equal(ckpt_write(p, CKPT_OFFSETS, "version 2, longer", 17, &err), -EDDY_IO);
        assert_false(exists(tmp));
        uint8_t *data;
        size_t len;
        assert_int_equal(ckpt_read(p, CKPT_OFFSETS, &data, &len, &err), 0);
        assert_string_equal((char *)data, "version 1");
        free(data);
    }
}

/* ---- kill and count, in child processes ---------------------------------- */

static void test_kill_leaves_torn_temp(void **state)
{
    char p[128], tmp[128];
    path_of(p, sizeof p, "3");
    path_of(tmp, sizeof tmp, ".3.tmp");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        set_fault("write:1:kill");
        ckpt_write(p, CKPT_COMMIT, "payload", 7, NULL);
        _exit(0); /* not reached */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);
    assert_int_equal(file_size(tmp), CKPT_HEADER_BYTES / 2); /* half the header */
    assert_false(exists(p));

    /* A kill before the rename leaves a complete temporary and no file; a
     * later write replaces the temporary. */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        set_fault("rename:1:kill");
        ckpt_write(p, CKPT_COMMIT, "payload", 7, NULL);
        _exit(0);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(file_size(tmp), CKPT_HEADER_BYTES + 7);
    assert_false(exists(p));
    set_fault(NULL);
    eddy_error err = {0};
    assert_int_equal(ckpt_write(p, CKPT_COMMIT, "payload", 7, &err), 0);
    assert_false(exists(tmp));
}

static void test_count_at_exit(void **state)
{
    char p[128], out[128];
    path_of(p, sizeof p, "5");
    path_of(out, sizeof out, "count.txt");
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 2);
        set_fault("write:99,count");
        ckpt_write(p, CKPT_COMMIT, "payload", 7, NULL);
        ckpt_write(p, CKPT_COMMIT, "payload", 7, NULL);
        exit(0); /* runs the atexit report */
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    FILE *f = fopen(out, "rb");
    assert_non_null(f);
    char buf[256] = {0};
    assert_true(fread(buf, 1, sizeof buf - 1, f) > 0);
    fclose(f);
    assert_string_equal(buf, "eddy: fault counts: write=4 fsync=4 rename=2\n");
}

/* ---- threads share one counter ----------------------------------------------- */

static int shared_fd;
static int thread_failures[4];

static void *write_many(void *arg)
{
    int *failures = arg;
    for (int i = 0; i < 200; i++)
        if (fsio_write_all(shared_fd, "", 0) != 0)
            (*failures)++;
    return NULL;
}

static void test_threads_share_counters(void **state)
{
    set_fault("write:317:ENOSPC,write:800");
    shared_fd = open_file("t");
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        thread_failures[i] = 0;
        pthread_create(&t[i], NULL, write_many, &thread_failures[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    close(shared_fd);
    int total = 0;
    for (int i = 0; i < 4; i++)
        total += thread_failures[i];
    assert_int_equal(total, 2); /* exactly calls 317 and 800 */
    assert_int_equal(fsio_calls(FSIO_WRITE), 800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_write_fails_at_nth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_default_errno_is_eio, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fsync_fails_at_nth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rename_fails_at_nth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unset_never_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt_write_enospc, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ckpt_failed_rename_keeps_previous, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_kill_leaves_torn_temp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_at_exit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads_share_counters, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
