/* Durable-write primitives (write, fsync, rename, directory fsync) and the
 * EDDY_FAULT fault injection that tests use to make the Nth one fail or
 * crash the process. The syntax is documented in fsio.h. */
#include "core/fsio.h"

#include "core/mem.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAULT_MAX_RULES 32
#define FAULT_KILL (-1) /* action: SIGKILL; positive actions are errnos */

typedef struct fault_rule {
    fsio_op op;
    uint64_t n; /* the Nth call of op, from 1 */
    int action; /* an errno, or FAULT_KILL */
} fault_rule;

static const char *const op_names[] = {"write", "fsync", "rename"};

static const struct {
    const char *name;
    int action;
} action_names[] = {
    {"EIO", EIO}, {"ENOSPC", ENOSPC}, {"EDQUOT", EDQUOT}, {"EROFS", EROFS}, {"kill", FAULT_KILL},
};

/* The parsed EDDY_FAULT: written under init_lock before `ready` is set,
 * read-only after. */
static fault_rule rules[FAULT_MAX_RULES];
static int nrules;
static bool count_at_exit;
static bool atexit_registered;
static atomic_int ready;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_uint_fast64_t calls[3];

static void print_counts(void)
{
    fprintf(stderr, "eddy: fault counts: write=%llu fsync=%llu rename=%llu\n",
            (unsigned long long)fsio_calls(FSIO_WRITE),
            (unsigned long long)fsio_calls(FSIO_FSYNC),
            (unsigned long long)fsio_calls(FSIO_RENAME));
}

/* Parses one item "OP:N[:ACTION]" or "count" of length len. Returns false
 * when it is malformed or there are too many items. */
static bool parse_item(const char *s, size_t len)
{
    if (len == 5 && strncmp(s, "count", 5) == 0) {
        count_at_exit = true;
        return true;
    }
    const char *colon = memchr(s, ':', len);
    if (!colon)
        return false;
    int op = -1;
    for (int i = 0; i < 3; i++)
        if ((size_t)(colon - s) == strlen(op_names[i]) &&
            strncmp(s, op_names[i], (size_t)(colon - s)) == 0)
            op = i;
    if (op < 0)
        return false;
    const char *p = colon + 1, *end = s + len;
    uint64_t n = 0;
    if (p == end || *p < '0' || *p > '9')
        return false;
    for (; p < end && *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    if (n == 0)
        return false;
    int action = EIO;
    if (p < end) {
        if (*p != ':')
            return false;
        p++;
        action = 0;
        for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
            if ((size_t)(end - p) == strlen(action_names[i].name) &&
                strncasecmp(p, action_names[i].name, (size_t)(end - p)) == 0)
                action = action_names[i].action;
        if (action == 0)
            return false;
    }
    if (nrules == FAULT_MAX_RULES)
        return false;
    rules[nrules++] = (fault_rule){.op = (fsio_op)op, .n = n, .action = action};
    return true;
}

/* Reads EDDY_FAULT into rules/count_at_exit; a malformed value is reported
 * and leaves no rule. Called with init_lock held. */
static void parse_env(void)
{
    nrules = 0;
    count_at_exit = false;
    const char *spec = getenv("EDDY_FAULT");
    if (!spec || !*spec)
        return;
    const char *s = spec;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (!parse_item(s, len)) {
            fprintf(stderr,
                    "eddy: ignoring EDDY_FAULT '%s': expected OP:N[:ACTION] items separated by "
                    "commas (OP write, fsync or rename; N from 1; ACTION EIO, ENOSPC, EDQUOT, "
                    "EROFS or kill) or 'count'; bad item '%.*s'\n",
                    spec, (int)len, s);
            nrules = 0;
            count_at_exit = false;
            return;
        }
        if (!comma)
            break;
        s = comma + 1;
    }
    if (count_at_exit && !atexit_registered) {
        atexit(print_counts);
        atexit_registered = true;
    }
}

static void fault_init(void)
{
    if (atomic_load_explicit(&ready, memory_order_acquire))
        return;
    pthread_mutex_lock(&init_lock);
    if (!atomic_load_explicit(&ready, memory_order_relaxed)) {
        parse_env();
        atomic_store_explicit(&ready, 1, memory_order_release);
    }
    pthread_mutex_unlock(&init_lock);
}

/* Before main, so that 'count' reports even a process that does no I/O and
 * a malformed value is reported at start. */
__attribute__((constructor)) static void fsio_load(void)
{
    fault_init();
}

static const char *action_name(int action)
{
    for (size_t i = 0; i < sizeof action_names / sizeof action_names[0]; i++)
        if (action_names[i].action == action)
            return action_names[i].name;
    return "?";
}

/* Counts a call of op and returns what to inject: 0 nothing, an errno, or
 * FAULT_KILL. */
static int fault_check(fsio_op op)
{
    fault_init();
    uint64_t k = atomic_fetch_add_explicit(&calls[op], 1, memory_order_relaxed) + 1;
    for (int i = 0; i < nrules; i++)
        if (rules[i].op == op && rules[i].n == k) {
            if (rules[i].action == FAULT_KILL)
                fprintf(stderr, "eddy: EDDY_FAULT: killing the process at %s #%llu\n",
                        op_names[op], (unsigned long long)k);
            else
                fprintf(stderr, "eddy: EDDY_FAULT: %s #%llu fails with %s\n", op_names[op],
                        (unsigned long long)k, action_name(rules[i].action));
            return rules[i].action;
        }
    return 0;
}

static void die_now(void)
{
    raise(SIGKILL);
    _exit(137); /* not reached */
}

static int write_loop(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int fsio_write_all(int fd, const void *buf, size_t n)
{
    int f = fault_check(FSIO_WRITE);
    if (f == FAULT_KILL) {
        write_loop(fd, buf, n / 2); /* a torn file */
        die_now();
    }
    if (f) {
        errno = f;
        return -1;
    }
    return write_loop(fd, buf, n);
}

int fsio_fsync(int fd)
{
    int f = fault_check(FSIO_FSYNC);
    if (f == FAULT_KILL)
        die_now();
    if (f) {
        errno = f;
        return -1;
    }
    return fsync(fd);
}

int fsio_rename(const char *from, const char *to)
{
    int f = fault_check(FSIO_RENAME);
    if (f == FAULT_KILL)
        die_now();
    if (f) {
        errno = f;
        return -1;
    }
    return rename(from, to);
}

int fsio_fsync_dir(const char *dir)
{
    int f = fault_check(FSIO_FSYNC);
    if (f == FAULT_KILL)
        die_now();
    if (f) {
        errno = f;
        return -1;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

uint64_t fsio_calls(fsio_op op)
{
    return (uint64_t)atomic_load_explicit(&calls[op], memory_order_relaxed);
}

void fsio_fault_reset_for_tests(void)
{
    pthread_mutex_lock(&init_lock);
    for (int i = 0; i < 3; i++)
        atomic_store(&calls[i], 0);
    parse_env();
    atomic_store_explicit(&ready, 1, memory_order_release);
    pthread_mutex_unlock(&init_lock);
}

int fsio_mkdirs(const char *dir, char **failed)
{
    char *p = xstrdup(dir);
    int rc = 0;
    for (char *c = p + 1;; c++) {
        if (*c != '/' && *c != 0)
            continue;
        char saved = *c;
        *c = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            rc = -1;
            break;
        }
        *c = saved;
        if (!saved)
            break;
    }
    struct stat st;
    if (rc == 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
        errno = ENOTDIR;
        rc = -1;
    }
    int e = errno;
    if (rc && failed)
        *failed = xstrdup(p);
    free(p);
    errno = e;
    return rc;
}

char *fsio_path_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *p = xmalloc(na + nb + 2);
    memcpy(p, a, na);
    p[na] = '/';
    memcpy(p + na + 1, b, nb + 1);
    return p;
}
