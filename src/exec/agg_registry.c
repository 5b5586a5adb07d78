/* The aggregate registry (name -> agg_func, aliases included) and the byte
 * buffer and reader that aggregate states are serialized with. */
#include "exec/agg.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

static const struct {
    const char *name;
    const agg_func *fn;
} registry[] = {
    {"count", &agg_count},
    {"sum", &agg_sum},
    {"avg", &agg_avg},
    {"mean", &agg_avg},
    {"min", &agg_min},
    {"max", &agg_max},
    {"first", &agg_first},
    {"last", &agg_last},
    {"stddev", &agg_stddev},
    {"stddev_samp", &agg_stddev},
    {"approx_count_distinct", NULL}, /* agg_approx_count_distinct(0.05) */
};

#define NREGISTRY (sizeof registry / sizeof registry[0])

const agg_func *agg_lookup(const char *name)
{
    for (size_t i = 0; i < NREGISTRY; i++) {
        if (strcasecmp(registry[i].name, name) == 0)
            return registry[i].fn ? registry[i].fn : agg_approx_count_distinct(0.05);
    }
    return NULL;
}

const char *const *agg_names(void)
{
    static const char *const names[] = {
        "count", "sum", "avg", "mean", "min", "max", "first", "last",
        "stddev", "stddev_samp", "approx_count_distinct", NULL,
    };
    return names;
}

void agg_buf_put(agg_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n)
            cap *= 2;
        b->data = xrealloc(b->data, cap);
        b->cap = cap;
    }
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
}

void agg_buf_put_u8(agg_buf *b, uint8_t v)
{
    agg_buf_put(b, &v, 1);
}

void agg_buf_put_u32(agg_buf *b, uint32_t v)
{
    uint8_t le[4];
    for (int i = 0; i < 4; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    agg_buf_put(b, le, 4);
}

void agg_buf_put_u64(agg_buf *b, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    agg_buf_put(b, le, 8);
}

void agg_buf_put_f64(agg_buf *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, 8);
    agg_buf_put_u64(b, bits);
}

void agg_buf_put_str(agg_buf *b, const char *p, uint32_t len)
{
    agg_buf_put_u32(b, len);
    agg_buf_put(b, p, len);
}

void agg_buf_free(agg_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

bool agg_read(agg_reader *r, void *dst, size_t n)
{
    if (r->bad || (size_t)(r->end - r->p) < n) {
        r->bad = true;
        memset(dst, 0, n);
        return false;
    }
    if (n)
        memcpy(dst, r->p, n);
    r->p += n;
    return true;
}

uint8_t agg_read_u8(agg_reader *r)
{
    uint8_t v;
    agg_read(r, &v, 1);
    return v;
}

uint32_t agg_read_u32(agg_reader *r)
{
    uint8_t le[4];
    agg_read(r, le, 4);
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v |= (uint32_t)le[i] << (8 * i);
    return v;
}

uint64_t agg_read_u64(agg_reader *r)
{
    uint8_t le[8];
    agg_read(r, le, 8);
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)le[i] << (8 * i);
    return v;
}

double agg_read_f64(agg_reader *r)
{
    uint64_t bits = agg_read_u64(r);
    double v;
    memcpy(&v, &bits, 8);
    return v;
}

strv agg_read_str(agg_reader *r, arena *a)
{
    strv s = {"", 0};
    uint32_t len = agg_read_u32(r);
    if (r->bad || (size_t)(r->end - r->p) < len) {
        r->bad = true;
        return s;
    }
    s.ptr = arena_strndup(a, (const char *)r->p, len);
    s.len = len;
    r->p += len;
    return s;
}
