/* Unit tests for the memory sink: output modes, idempotent batches, the
 * registry by query name and reads from another thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/options.h"
#include "core/types.h"
#include "core/valuefmt.h"
#include "io/sink.h"

static batch *make_batch(const schema *s, uint32_t nrows, const value *vals)
{
    type_id *types = schema_types(s);
    batch *b = batch_new((uint32_t)s->n, types, nrows);
    free(types);
    for (uint32_t r = 0; r < nrows; r++)
        for (int c = 0; c < s->n; c++)
            column_set(&b->cols[c], r, &vals[r * (uint32_t)s->n + (uint32_t)c]);
    b->nrows = nrows;
    return b;
}

/* A two-column (word STRING, n BIGINT) batch; word NULL when w is NULL. The
 * string bytes are copied into the batch's arena so that freeing the batch
 * proves the sink made its own copy. */
static batch *words(const schema *s, int nrows, const char *const *w, const int64_t *n)
{
    value *vals = calloc((size_t)nrows * 2, sizeof *vals);
    batch *b = make_batch(s, 0, NULL);
    for (int r = 0; r < nrows; r++) {
        vals[2 * r].type = TYPE_STRING;
        vals[2 * r].is_null = w[r] == NULL;
        if (w[r])
            vals[2 * r].v.s = (strv){arena_strndup(b->arena, w[r], strlen(w[r])),
                                     (uint32_t)strlen(w[r])};
        vals[2 * r + 1].type = TYPE_BIGINT;
        vals[2 * r + 1].v.i64 = n[r];
    }
    batch_reserve(b, (uint32_t)nrows);
    for (int r = 0; r < nrows; r++)
        for (int c = 0; c < 2; c++)
            column_set(&b->cols[c], (uint32_t)r, &vals[2 * r + c]);
    b->nrows = (uint32_t)nrows;
    free(vals);
    return b;
}

/* The table as text "batch=N|col,col|cell,cell|cell,cell". */
static void render(void *ctx, int ncols, const char *const *col_names, uint64_t nrows,
                   const char *const *cells, int64_t batch_id)
{
    textbuf *out = ctx;
    char head[32];
    snprintf(head, sizeof head, "batch=%lld", (long long)batch_id);
    textbuf_puts(out, head);
    textbuf_putc(out, '|');
    for (int c = 0; c < ncols; c++) {
        if (c)
            textbuf_putc(out, ',');
        textbuf_puts(out, col_names[c]);
    }
    for (uint64_t r = 0; r < nrows; r++) {
        textbuf_putc(out, '|');
        for (int c = 0; c < ncols; c++) {
            if (c)
                textbuf_putc(out, ',');
            const char *cell = cells[r * (uint64_t)ncols + (uint64_t)c];
            textbuf_puts(out, cell ? cell : "<null>");
        }
    }
}

static void expect_table(const char *name, const char *want)
{
    textbuf out;
    textbuf_init(&out);
    textbuf_reserve(&out, 0);
    assert_int_equal(memory_sink_read(name, render, &out), 0);
    assert_string_equal(out.data, want);
    textbuf_free(&out);
}

typedef struct sink_handle {
    const sink_ops *ops;
    void *state;
    options opts;
} sink_handle;

static void open_memory(sink_handle *h, const char *name, const schema *s, output_mode mode)
{
    h->ops = sink_lookup("memory");
    assert_non_null(h->ops);
    options_init(&h->opts);
    options_set(&h->opts, "format", "memory", 0, 0);
    sink_open_args args = {.query_name = name, .opts = &h->opts, .schema = s, .mode = mode,
                           .console = stdout};
    eddy_error err = {0};
    assert_int_equal(h->ops->open(&args, &h->state, &err), 0);
}

static void add(sink_handle *h, int64_t id, batch *b)
{
    eddy_error err = {0};
    assert_int_equal(h->ops->add_batch(h->state, id, &b, b ? 1 : 0, &err), 0);
}

static void close_memory(sink_handle *h)
{
    h->ops->close(h->state);
    options_free(&h->opts);
}

static void schema_words(schema *s)
{
    schema_init(s);
    schema_add(s, "word", TYPE_STRING);
    schema_add(s, "n", TYPE_BIGINT);
}

static void test_complete_replaces(void **state)
{
    schema s;
    schema_words(&s);
    sink_handle h;
    open_memory(&h, "counts", &s, OUTPUT_COMPLETE);
    expect_table("counts", "batch=-1|word,n");

    const char *w1[] = {"a", "b"};
    int64_t n1[] = {1, 2};
    batch *b = words(&s, 2, w1, n1);
    add(&h, 0, b);
    batch_free(b);
    expect_table("COUNTS", "batch=0|word,n|a,1|b,2");

    const char *w2[] = {"a", NULL, "c"};
    int64_t n2[] = {3, 4, 5};
    b = words(&s, 3, w2, n2);
    add(&h, 1, b);
    batch_free(b);
    expect_table("counts", "batch=1|word,n|a,3|<null>,4|c,5");

    add(&h, 2, NULL);
    expect_table("counts", "batch=2|word,n");
    close_memory(&h);
    schema_free(&s);
}

static void test_append_and_update_accumulate(void **state)
{
    schema s;
    schema_words(&s);
    for (int mode = OUTPUT_APPEND; mode <= OUTPUT_UPDATE; mode++) {
        sink_handle h;
        open_memory(&h, "events", &s, (output_mode)mode);
        const char *w1[] = {"x"};
        int64_t n1[] = {10};
        batch *b = words(&s, 1, w1, n1);
        add(&h, 0, b);
        batch_free(b);
        const char *w2[] = {"y", "z"};
        int64_t n2[] = {20, 30};
        b = words(&s, 2, w2, n2);
        add(&h, 1, b);
        /* A re-run of a batch already added changes nothing. */
        add(&h, 1, b);
        add(&h, 0, b);
        batch_free(b);
        expect_table("events", "batch=1|word,n|x,10|y,20|z,30");
        close_memory(&h);
    }
    schema_free(&s);
}

static void count_values(void *ctx, const schema *sch, uint64_t nrows, const value *cells,
                         int64_t batch_id)
{
    int64_t *sum = ctx;
    assert_int_equal(sch->n, 2);
    assert_string_equal(sch->fields[1].name, "n");
    for (uint64_t r = 0; r < nrows; r++)
        *sum += cells[r * 2 + 1].v.i64;
    assert_int_equal(cells[0].type, TYPE_STRING);
    assert_memory_equal(cells[0].v.s.ptr, "hello", 5);
}

static void test_registry_by_name(void **state)
{
    schema s;
    schema_words(&s);
    sink_handle h;
    open_memory(&h, "q1", &s, OUTPUT_APPEND);

    sink_open_args args = {.query_name = "Q1", .opts = &h.opts, .schema = &s,
                           .mode = OUTPUT_APPEND, .console = stdout};
    eddy_error err = {0};
    void *other = NULL;
    assert_int_equal(h.ops->open(&args, &other, &err), -EDDY_SQL);
    assert_string_equal(err.message, "memory sink: a query named 'Q1' is already active");

    const char *w[] = {"hello", "world"};
    int64_t n[] = {4, 38};
    batch *b = words(&s, 2, w, n);
    add(&h, 0, b);
    batch_free(b);
    int64_t sum = 0;
    assert_int_equal(memory_sink_read_values("q1", count_values, &sum), 0);
    assert_int_equal(sum, 42);

    textbuf out;
    textbuf_init(&out);
    assert_int_equal(memory_sink_read("nope", render, &out), -1);
    close_memory(&h);
    assert_int_equal(memory_sink_read("q1", render, &out), -1);
    assert_null(out.data);
    schema_free(&s);
}

typedef struct reader_ctx {
    atomic_int stop;
    atomic_ulong reads;
} reader_ctx;

static void check_consistent(void *ctx, int ncols, const char *const *col_names,
                             uint64_t nrows, const char *const *cells, int64_t batch_id)
{
    /* Complete mode: batch N holds N+1 rows, each "wN". */
    if (batch_id < 0)
        return;
    char want[32];
    snprintf(want, sizeof want, "w%lld", (long long)batch_id);
    if (nrows != (uint64_t)batch_id + 1)
        fail_msg("batch %lld has %llu rows", (long long)batch_id, (unsigned long long)nrows);
    for (uint64_t r = 0; r < nrows; r++)
        if (strcmp(cells[r * 2], want) != 0)
            fail_msg("torn read");
}

static void *reader(void *arg)
{
    reader_ctx *rc = arg;
    while (!atomic_load(&rc->stop)) {
        memory_sink_read("live", check_consistent, rc);
        atomic_fetch_add(&rc->reads, 1);
    }
    return NULL;
}

static void test_reads_from_another_thread(void **state)
{
    schema s;
    schema_words(&s);
    sink_handle h;
    open_memory(&h, "live", &s, OUTPUT_COMPLETE);
    reader_ctx rc = {0};
    pthread_t t;
    pthread_create(&t, NULL, reader, &rc);
    for (int id = 0; id < 200; id++) {
        char word[32];
        snprintf(word, sizeof word, "w%d", id);
        const char *w[256];
        int64_t n[256];
        for (int r = 0; r <= id; r++) {
            w[r] = word;
            n[r] = r;
        }
        batch *b = words(&s, id + 1, w, n);
        add(&h, id, b);
        batch_free(b);
    }
    /* On a loaded machine the reader may not have run yet: give it up to 5 s
     * to overlap with at least the last batch before stopping it. */
    for (int waited = 0; atomic_load(&rc.reads) == 0 && waited < 5000; waited++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    atomic_store(&rc.stop, 1);
    pthread_join(t, NULL);
    assert_true(atomic_load(&rc.reads) > 0);
    close_memory(&h);
    schema_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_complete_replaces),
        cmocka_unit_test(test_append_and_update_accumulate),
        cmocka_unit_test(test_registry_by_name),
        cmocka_unit_test(test_reads_from_another_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
