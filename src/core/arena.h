/* Bump allocator: everything a batch (or a plan, or a state store) allocates
 * dies with it in one arena_free call. Allocations are 8-byte aligned and
 * never individually freed. */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stddef.h>

typedef struct arena arena;

/* New empty arena whose chunks are at least `chunk_bytes` (0: 64 KiB).
 * Owned by the caller; free with arena_free. Never NULL (exits on OOM). */
arena *arena_new(size_t chunk_bytes);

/* n bytes, 8-aligned, uninitialised; valid until arena_reset/arena_free. */
void *arena_alloc(arena *a, size_t n);

/* n zeroed bytes. */
void *arena_calloc(arena *a, size_t n);

/* Copy of s[0..n) plus a NUL terminator, in the arena. */
char *arena_strndup(arena *a, const char *s, size_t n);

/* Frees everything allocated so far; the arena stays usable. */
void arena_reset(arena *a);

/* Frees the arena and everything in it. NULL is a no-op. */
void arena_free(arena *a);

/* Bytes held from malloc by the arena (for memoryUsedBytes). */
size_t arena_bytes(const arena *a);

#endif
