/* Type names, column vectors, batches and schemas. */
#include "core/types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "core/mem.h"

static const struct {
    const char *name;
    size_t width;
} type_info[TYPE_COUNT_] = {
    [TYPE_NULL] = {"void", 1},
    [TYPE_BOOLEAN] = {"boolean", 1},
    [TYPE_INT] = {"int", 4},
    [TYPE_BIGINT] = {"bigint", 8},
    [TYPE_DOUBLE] = {"double", 8},
    [TYPE_STRING] = {"string", sizeof(strv)},
    [TYPE_TIMESTAMP] = {"timestamp", 8},
    [TYPE_DATE] = {"date", 4},
    [TYPE_WINDOW] = {"struct<start:timestamp,end:timestamp>", sizeof(window_val)},
};

const char *type_name(type_id t)
{
    return t < TYPE_COUNT_ ? type_info[t].name : "?";
}

size_t type_width(type_id t)
{
    return type_info[t].width;
}

bool type_is_numeric(type_id t)
{
    return t == TYPE_INT || t == TYPE_BIGINT || t == TYPE_DOUBLE;
}

int type_parse(const char *name, size_t len, type_id *out)
{
    static const struct {
        const char *name;
        type_id t;
    } names[] = {
        {"string", TYPE_STRING}, {"varchar", TYPE_STRING}, {"text", TYPE_STRING},
        {"boolean", TYPE_BOOLEAN}, {"bool", TYPE_BOOLEAN},
        {"int", TYPE_INT}, {"integer", TYPE_INT},
        {"bigint", TYPE_BIGINT}, {"long", TYPE_BIGINT},
        {"double", TYPE_DOUBLE}, {"float", TYPE_DOUBLE}, {"real", TYPE_DOUBLE},
        {"timestamp", TYPE_TIMESTAMP}, {"date", TYPE_DATE},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strlen(names[i].name) == len && strncasecmp(names[i].name, name, len) == 0) {
            *out = names[i].t;
            return 0;
        }
    }
    return -1;
}

void column_init(column *c, type_id t, uint32_t cap)
{
    c->type = t;
    c->cap = cap;
    c->valid = xmalloc(cap ? cap : 1);
    c->data.raw = xmalloc((cap ? cap : 1) * type_width(t));
}

void column_reserve(column *c, uint32_t cap)
{
    if (cap <= c->cap)
        return;
    uint32_t n = c->cap ? c->cap : 16;
    while (n < cap)
        n = n > UINT32_MAX / 2 ? cap : n * 2;
    c->valid = xrealloc(c->valid, n);
    c->data.raw = xrealloc(c->data.raw, (size_t)n * type_width(c->type));
    c->cap = n;
}

void column_free(column *c)
{
    free(c->valid);
    free(c->data.raw);
    c->valid = NULL;
    c->data.raw = NULL;
    c->cap = 0;
}

value column_get(const column *c, uint32_t i)
{
    value v;
    memset(&v, 0, sizeof v);
    v.type = c->type;
    v.is_null = !c->valid[i];
    if (v.is_null)
        return v;
    switch (c->type) {
    case TYPE_BOOLEAN: v.v.b = c->data.b[i] != 0; break;
    case TYPE_INT:
    case TYPE_DATE: v.v.i32 = c->data.i32[i]; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: v.v.i64 = c->data.i64[i]; break;
    case TYPE_DOUBLE: v.v.f64 = c->data.f64[i]; break;
    case TYPE_STRING: v.v.s = c->data.s[i]; break;
    case TYPE_WINDOW: v.v.w = c->data.w[i]; break;
    default: v.is_null = true; break;
    }
    return v;
}

void column_set(column *c, uint32_t i, const value *v)
{
    if (v->is_null || v->type == TYPE_NULL) {
        c->valid[i] = 0;
        memset((char *)c->data.raw + (size_t)i * type_width(c->type), 0, type_width(c->type));
        return;
    }
    c->valid[i] = 1;
    switch (c->type) {
    case TYPE_BOOLEAN: c->data.b[i] = v->v.b; break;
    case TYPE_INT:
    case TYPE_DATE: c->data.i32[i] = v->v.i32; break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: c->data.i64[i] = v->v.i64; break;
    case TYPE_DOUBLE: c->data.f64[i] = v->v.f64; break;
    case TYPE_STRING: c->data.s[i] = v->v.s; break;
    case TYPE_WINDOW: c->data.w[i] = v->v.w; break;
    default: c->valid[i] = 0; break;
    }
}

batch *batch_new(uint32_t ncols, const type_id *types, uint32_t cap)
{
    batch *b = xcalloc(1, sizeof *b);
    b->ncols = ncols;
    b->cols = xcalloc(ncols ? ncols : 1, sizeof(column));
    for (uint32_t i = 0; i < ncols; i++)
        column_init(&b->cols[i], types[i], cap);
    b->arena = arena_new(0);
    return b;
}

void batch_reserve(batch *b, uint32_t cap)
{
    for (uint32_t i = 0; i < b->ncols; i++)
        column_reserve(&b->cols[i], cap);
}

rcbuf *rcbuf_new(size_t len)
{
    rcbuf *b = xmalloc(sizeof(rcbuf) + len + 1);
    b->refs = 1;
    b->len = len;
    b->data = b->inline_data;
    b->map_len = 0;
    return b;
}

rcbuf *rcbuf_mapped(void *map, size_t len)
{
    rcbuf *b = xmalloc(sizeof(rcbuf));
    b->refs = 1;
    b->len = len;
    b->data = map;
    b->map_len = len;
    return b;
}

rcbuf *rcbuf_ref(rcbuf *b)
{
    b->refs++;
    return b;
}

void rcbuf_unref(rcbuf *b)
{
    if (b && --b->refs == 0) {
        if (b->map_len)
            munmap(b->data, b->map_len);
        free(b);
    }
}

void batch_keep(batch *b, rcbuf *buf)
{
    b->keep = xrealloc(b->keep, (b->nkeep + 1) * sizeof(rcbuf *));
    b->keep[b->nkeep++] = buf;
}

void batch_free(batch *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; i < b->ncols; i++)
        column_free(&b->cols[i]);
    free(b->cols);
    for (uint32_t i = 0; i < b->nkeep; i++)
        rcbuf_unref(b->keep[i]);
    free(b->keep);
    arena_free(b->arena);
    free(b);
}

void schema_init(schema *s)
{
    s->n = 0;
    s->fields = NULL;
}

void schema_add(schema *s, const char *name, type_id t)
{
    s->fields = xrealloc(s->fields, (size_t)(s->n + 1) * sizeof(field));
    s->fields[s->n].name = xstrdup(name);
    s->fields[s->n].type = t;
    s->fields[s->n].event_time = false;
    s->n++;
}

void schema_copy(schema *dst, const schema *src)
{
    schema_init(dst);
    for (int i = 0; i < src->n; i++) {
        schema_add(dst, src->fields[i].name, src->fields[i].type);
        dst->fields[i].event_time = src->fields[i].event_time;
    }
}

void schema_free(schema *s)
{
    for (int i = 0; i < s->n; i++)
        free(s->fields[i].name);
    free(s->fields);
    s->fields = NULL;
    s->n = 0;
}

int schema_find(const schema *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcasecmp(s->fields[i].name, name) == 0)
            return i;
    return -1;
}

type_id *schema_types(const schema *s)
{
    type_id *t = xmalloc((size_t)(s->n ? s->n : 1) * sizeof(type_id));
    for (int i = 0; i < s->n; i++)
        t[i] = s->fields[i].type;
    return t;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return a < b ? -1 : a > b;
}

int value_compare(const value *a, const value *b)
{
    if (a->is_null || b->is_null)
        return (int)!a->is_null - (int)!b->is_null;
    switch (a->type) {
    case TYPE_BOOLEAN: return (int)a->v.b - (int)b->v.b;
    case TYPE_INT:
    case TYPE_DATE: return cmp_i64(a->v.i32, b->v.i32);
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP: return cmp_i64(a->v.i64, b->v.i64);
    case TYPE_DOUBLE: {
        /* Spark orders NaN above every other value and NaN = NaN. */
        double x = a->v.f64, y = b->v.f64;
        if (isnan(x) || isnan(y))
            return (int)isnan(x) - (int)isnan(y);
        return x < y ? -1 : x > y;
    }
    case TYPE_STRING: {
        uint32_t n = a->v.s.len < b->v.s.len ? a->v.s.len : b->v.s.len;
        int c = n ? memcmp(a->v.s.ptr, b->v.s.ptr, n) : 0;
        return c ? c : cmp_i64(a->v.s.len, b->v.s.len);
    }
    case TYPE_WINDOW: {
        int c = cmp_i64(a->v.w.start, b->v.w.start);
        return c ? c : cmp_i64(a->v.w.end, b->v.w.end);
    }
    default: return 0;
    }
}

bool value_equal(const value *a, const value *b)
{
    if (a->is_null || b->is_null)
        return a->is_null && b->is_null;
    return value_compare(a, b) == 0;
}
