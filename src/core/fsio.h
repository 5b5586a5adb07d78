/* Durable-write primitives: every write, fsync and rename of a checkpoint
 * file or a sink file goes through these, so that tests can make the Nth
 * one fail or crash the process at exactly that point.
 *
 * Each function behaves like the system call it wraps: it returns 0, or -1
 * with errno set. Callers format their own messages (the path, the step and
 * strerror(errno)).
 *
 * Fault injection (issue 4). The environment variable EDDY_FAULT, read once
 * per process (at load, before main), is a comma-separated list of
 *
 *   OP:N[:ACTION]   OP is write, fsync or rename (fsio_fsync_dir counts as
 *                   an fsync); N counts calls of that OP in the whole
 *                   process, from 1. The Nth call
 *                   - with ACTION EIO (the default), ENOSPC, EDQUOT or EROFS
 *                     does nothing and fails with that errno;
 *                   - with ACTION kill raises SIGKILL just before performing
 *                     the operation (a write first writes half its buffer,
 *                     leaving a torn file), to simulate a crash there.
 *   count           at exit, print on stderr
 *                   "eddy: fault counts: write=W fsync=F rename=R"
 *                   (calls made by the process), so tests can pick N.
 *
 * e.g. EDDY_FAULT=write:3:ENOSPC,rename:2:kill. Every injection is announced
 * on stderr ("eddy: EDDY_FAULT: ..."). A malformed value is reported once on
 * stderr and ignored as a whole. Counters are process-wide atomics: queries
 * running in several threads share them. Unset, the wrappers cost one atomic
 * increment per call. */
#ifndef CORE_FSIO_H
#define CORE_FSIO_H

#include <stddef.h>
#include <stdint.h>

/* The operations counted by fault injection. */
typedef enum fsio_op {
    FSIO_WRITE = 0,
    FSIO_FSYNC = 1,
    FSIO_RENAME = 2,
} fsio_op;

/* Writes all n bytes of buf to fd, retrying short writes and EINTR. One
 * call counts as one write, however many write(2) calls it takes. On error
 * (-1, errno set) part of buf may have been written. */
int fsio_write_all(int fd, const void *buf, size_t n);

/* fsync(2) of fd. */
int fsio_fsync(int fd);

/* rename(2): atomically replaces `to` with `from`. */
int fsio_rename(const char *from, const char *to);

/* Opens the directory `dir`, fsyncs it (so the entries created or renamed
 * in it are durable) and closes it. Counts as an fsync. errno is that of the
 * failed open or fsync; file systems that cannot sync directories give
 * EINVAL, which callers may choose to ignore. */
int fsio_fsync_dir(const char *dir);

/* mkdir -p: creates `dir` and its missing parents (mode 0777 before the
 * umask). Returns 0 when dir is a directory afterwards, else -1 with errno
 * set (ENOTDIR when something else is in the way); *failed (if not NULL)
 * receives a malloc'd copy of the path that could not be created, for the
 * caller's message (free it). Not counted by fault injection. */
int fsio_mkdirs(const char *dir, char **failed);

/* "a/b" as a new malloc'd string (the caller frees it). */
char *fsio_path_join(const char *a, const char *b);

/* How many calls of `op` this process has made (successful or not, injected
 * or not) since start or the last fsio_fault_reset_for_tests. */
uint64_t fsio_calls(fsio_op op);

/* For tests only, not thread-safe: re-reads EDDY_FAULT (reporting a
 * malformed value again) and sets every counter back to 0. */
void fsio_fault_reset_for_tests(void);

#endif
