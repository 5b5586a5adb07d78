/* The memory sink (Spark's MemorySink): keeps the query's result table in
 * memory for the HTTP API, the dashboard and the C API, in a process-wide
 * registry by query name. Writers and readers meet under a lock. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/valuefmt.h"
#include "io/sink.h"

typedef struct memory_sink {
    char *name;
    schema schema;
    output_mode mode;
    /* Guarded by registry_lock (held by readers for the whole read) and
     * `lock` (held by the writer while it swaps data in). */
    pthread_mutex_t lock;
    value *rows;        /* row-major, nrows * schema.n */
    uint64_t nrows;
    uint64_t cap;       /* rows allocated */
    arena **arenas;     /* string bytes, one arena per batch kept */
    int narenas;
    int64_t batch_id;   /* last batch added, -1 before the first */
    struct memory_sink *next;
} memory_sink;

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static memory_sink *registry;

static memory_sink *registry_find(const char *name)
{
    for (memory_sink *m = registry; m; m = m->next)
        if (str_ieq(m->name, name))
            return m;
    return NULL;
}

static int memory_open(const sink_open_args *args, void **state, eddy_error *err)
{
    const char *name = args->query_name ? args->query_name : "";
    pthread_mutex_lock(&registry_lock);
    if (registry_find(name)) {
        pthread_mutex_unlock(&registry_lock);
        return err_set(err, EDDY_SQL,
                       "memory sink: a query named '%s' is already active", name);
    }
    memory_sink *m = xcalloc(1, sizeof *m);
    m->name = xstrdup(name);
    schema_copy(&m->schema, args->schema);
    m->mode = args->mode;
    m->batch_id = -1;
    pthread_mutex_init(&m->lock, NULL);
    m->next = registry;
    registry = m;
    pthread_mutex_unlock(&registry_lock);
    *state = m;
    return 0;
}

static void free_table(value *rows, arena **arenas, int narenas)
{
    free(rows);
    for (int i = 0; i < narenas; i++)
        arena_free(arenas[i]);
    free(arenas);
}

static int memory_add_batch(void *state, int64_t batch_id, batch *const *parts, int nparts,
                            eddy_error *err)
{
    memory_sink *m = state;
    if (batch_id <= m->batch_id)
        return 0; /* already added: a re-run of a committed batch */

    uint64_t n = 0;
    for (int p = 0; p < nparts; p++)
        n += parts[p]->nrows;
    size_t ncols = (size_t)m->schema.n;

    /* Copy the rows outside the lock; readers are only held up by the swap. */
    size_t ncells = (size_t)n * ncols;
    value *fresh = xmalloc(sizeof *fresh * (ncells ? ncells : 1));
    arena *strings = arena_new(0);
    uint64_t row = 0;
    for (int p = 0; p < nparts; p++) {
        const batch *b = parts[p];
        for (uint32_t r = 0; r < b->nrows; r++, row++) {
            for (size_t c = 0; c < ncols; c++) {
                value v = column_get(&b->cols[c], r);
                if (!v.is_null && v.type == TYPE_STRING && v.v.s.len)
                    v.v.s.ptr = arena_strndup(strings, v.v.s.ptr, v.v.s.len);
                fresh[row * ncols + c] = v;
            }
        }
    }

    value *old_rows = NULL;
    arena **old_arenas = NULL;
    int old_narenas = 0;
    pthread_mutex_lock(&m->lock);
    if (m->mode == OUTPUT_COMPLETE) {
        old_rows = m->rows;
        old_arenas = m->arenas;
        old_narenas = m->narenas;
        m->rows = fresh;
        m->nrows = n;
        m->cap = n;
        m->arenas = xmalloc(sizeof *m->arenas);
        m->arenas[0] = strings;
        m->narenas = 1;
    } else {
        if (m->nrows + n > m->cap) {
            uint64_t cap = m->cap ? m->cap : 64;
            while (cap < m->nrows + n)
                cap *= 2;
            m->rows = xrealloc(m->rows, sizeof *m->rows * (ncols ? cap * ncols : 1));
            m->cap = cap;
        }
        if (ncells)
            memcpy(m->rows + m->nrows * ncols, fresh, sizeof *fresh * ncells);
        m->nrows += n;
        m->arenas = xrealloc(m->arenas, sizeof *m->arenas * (size_t)(m->narenas + 1));
        m->arenas[m->narenas++] = strings;
        old_rows = fresh;
    }
    m->batch_id = batch_id;
    pthread_mutex_unlock(&m->lock);
    free_table(old_rows, old_arenas, old_narenas);
    return 0;
}

static void memory_close(void *state)
{
    memory_sink *m = state;
    if (!m)
        return;
    pthread_mutex_lock(&registry_lock);
    for (memory_sink **p = &registry; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    pthread_mutex_unlock(&registry_lock);
    pthread_mutex_destroy(&m->lock);
    free_table(m->rows, m->arenas, m->narenas);
    schema_free(&m->schema);
    free(m->name);
    free(m);
}

int memory_sink_read_values(const char *query_name,
                            void (*fn)(void *ctx, const schema *result_schema, uint64_t nrows,
                                       const value *cells, int64_t batch_id),
                            void *ctx)
{
    pthread_mutex_lock(&registry_lock);
    memory_sink *m = registry_find(query_name);
    if (!m) {
        pthread_mutex_unlock(&registry_lock);
        return -1;
    }
    pthread_mutex_lock(&m->lock);
    fn(ctx, &m->schema, m->nrows, m->rows, m->batch_id);
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&registry_lock);
    return 0;
}

typedef struct text_read {
    void (*fn)(void *ctx, int ncols, const char *const *col_names, uint64_t nrows,
               const char *const *cells, int64_t batch_id);
    void *ctx;
} text_read;

static void render_text(void *ctx, const schema *s, uint64_t nrows, const value *cells,
                        int64_t batch_id)
{
    text_read *t = ctx;
    size_t ncells = (size_t)nrows * (size_t)s->n;
    const char **names = xmalloc(sizeof *names * (size_t)(s->n ? s->n : 1));
    for (int i = 0; i < s->n; i++)
        names[i] = s->fields[i].name;
    size_t *offs = xmalloc(sizeof *offs * (ncells ? ncells : 1));
    const char **ptrs = xmalloc(sizeof *ptrs * (ncells ? ncells : 1));
    textbuf text;
    textbuf_init(&text);
    textbuf_reserve(&text, 0);
    for (size_t i = 0; i < ncells; i++) {
        offs[i] = text.len;
        if (!cells[i].is_null) {
            textbuf_value(&text, &cells[i]);
            textbuf_putc(&text, 0);
        }
    }
    for (size_t i = 0; i < ncells; i++)
        ptrs[i] = cells[i].is_null ? NULL : text.data + offs[i];
    t->fn(t->ctx, s->n, names, nrows, ptrs, batch_id);
    textbuf_free(&text);
    free(ptrs);
    free(offs);
    free(names);
}

int memory_sink_read(const char *query_name,
                     void (*fn)(void *ctx, int ncols, const char *const *col_names,
                                uint64_t nrows, const char *const *cells, int64_t batch_id),
                     void *ctx)
{
    text_read t = {fn, ctx};
    return memory_sink_read_values(query_name, render_text, &t);
}

static const char *const memory_options[] = {NULL};

const sink_ops sink_memory_ops = {
    .name = "memory",
    .options = memory_options,
    .modes = 1u << OUTPUT_APPEND | 1u << OUTPUT_UPDATE | 1u << OUTPUT_COMPLETE,
    .open = memory_open,
    .add_batch = memory_add_batch,
    .close = memory_close,
};
