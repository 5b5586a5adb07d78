/* Allocation wrappers with exit-on-failure and allocation fault injection. */
#include "core/mem.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Atomics: queries allocate from several threads. Two threads reading the
 * variable at once store the same value. */
static atomic_long fail_at = -1; /* -1: not read yet, 0: never fail */
static atomic_long alloc_count;

static void check_fault(size_t n)
{
    long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    if (at < 0) {
        const char *e = getenv("EDDY_FAIL_ALLOC");
        at = e ? atol(e) : 0;
        if (at < 0)
            at = 0;
        atomic_store_explicit(&fail_at, at, memory_order_relaxed);
    }
    if (at > 0 && atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1 == at) {
        fprintf(stderr, "eddy: out of memory (%zu bytes, injected by EDDY_FAIL_ALLOC)\n", n);
        exit(1);
    }
}

static void *oom(size_t n)
{
    fprintf(stderr, "eddy: out of memory (%zu bytes)\n", n);
    exit(1);
}

void *xmalloc(size_t n)
{
    check_fault(n);
    void *p = malloc(n ? n : 1);
    return p ? p : oom(n);
}

void *xcalloc(size_t count, size_t size)
{
    check_fault(count * size);
    void *p = calloc(count ? count : 1, size ? size : 1);
    return p ? p : oom(count * size);
}

void *xrealloc(void *p, size_t n)
{
    check_fault(n);
    void *q = realloc(p, n ? n : 1);
    return q ? q : oom(n);
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}
