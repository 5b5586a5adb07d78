/* Allocation wrappers. eddy does not try to limp on after malloc fails: the
 * x* functions print "eddy: out of memory (N bytes)" and exit(1), which the
 * exactly-once runtime turns into a clean restart point. Tests can make the
 * Nth allocation fail with EDDY_FAIL_ALLOC=N (counted from 1). */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include <stddef.h>

/* Never return NULL. Memory is owned by the caller; release with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
