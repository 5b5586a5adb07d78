/* Chunked bump allocator. Large requests get a chunk of their own. */
#include "core/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes after the header */
    size_t used;
    max_align_t data[];
} chunk;

struct arena {
    chunk *head;
    size_t chunk_bytes;
    size_t total;
};

static chunk *chunk_new(size_t size)
{
    chunk *c = xmalloc(sizeof(chunk) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

arena *arena_new(size_t chunk_bytes)
{
    arena *a = xcalloc(1, sizeof *a);
    a->chunk_bytes = chunk_bytes ? chunk_bytes : 64 * 1024;
    return a;
}

void *arena_alloc(arena *a, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = a->chunk_bytes;
        if (n > size / 4) {
            /* Big block: its own chunk, linked behind the current one so the
             * current chunk's free space stays usable. */
            chunk *big = chunk_new(n);
            big->used = n;
            a->total += n;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            return big->data;
        }
        c = chunk_new(size);
        c->next = a->head;
        a->head = c;
        a->total += size;
        if (a->chunk_bytes < 16u * 1024 * 1024)
            a->chunk_bytes *= 2;
    }
    void *p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

void *arena_calloc(arena *a, size_t n)
{
    void *p = arena_alloc(a, n);
    memset(p, 0, n);
    return p;
}

char *arena_strndup(arena *a, const char *s, size_t n)
{
    char *d = arena_alloc(a, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

void arena_reset(arena *a)
{
    chunk *c = a->head;
    while (c) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}

void arena_free(arena *a)
{
    if (!a)
        return;
    arena_reset(a);
    free(a);
}

size_t arena_bytes(const arena *a)
{
    return a->total;
}
