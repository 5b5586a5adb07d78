/* Unit tests for the live view (runtime/live.h, docs/HTTP.md): grouping keys,
 * chart choice, result views by output mode, cell encoding, progress rings
 * and the Server-Sent Events cursors, including a publisher, event-stream
 * readers and request readers running concurrently. Every JSON text is
 * parsed with jansson and compared by value. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/arena.h"
#include "core/options.h"
#include "core/timefmt.h"
#include "core/types.h"
#include "plan/plan.h"
#include "runtime/live.h"
#include "sql/binder.h"
#include "sql/parser.h"

/* ---- cleanup ------------------------------------------------------------- */

/* What a test allocates is registered here and released by the teardown,
 * in reverse order, whether the test passed or failed (a failed assertion
 * leaves the test function at once): runs under ASan and valgrind stay
 * leak-free either way. */
typedef struct cleanup {
    void (*fn)(void *);
    void *p;
} cleanup;

static cleanup cleanups[1024];
static int ncleanups;

static void *defer(void (*fn)(void *), void *p)
{
    assert_true(ncleanups < (int)(sizeof cleanups / sizeof cleanups[0]));
    cleanups[ncleanups++] = (cleanup){fn, p};
    return p;
}

static int teardown(void **state)
{
    while (ncleanups > 0) {
        ncleanups--;
        cleanups[ncleanups].fn(cleanups[ncleanups].p);
    }
    return 0;
}

static void json_decref_v(void *p)
{
    json_decref(p);
}

/* j, released at teardown. */
static json_t *J(json_t *j)
{
    return defer(json_decref_v, j);
}

static void live_free_v(void *p)
{
    live_free(p);
}

static live *new_live(void)
{
    return defer(live_free_v, live_new());
}

static void cursor_free_v(void *p)
{
    live_cursor_free(p);
}

static live_cursor *new_cursor(live *l)
{
    return defer(cursor_free_v, live_cursor_new(l));
}

/* ---- plans from SQL ------------------------------------------------------ */

#define SRC                                                                                    \
    "CREATE SOURCE s (ts TIMESTAMP, state STRING, city STRING, v BIGINT, i INT, d DOUBLE,\n"  \
    "  ok BOOLEAN, day DATE, WATERMARK FOR ts AS ts - INTERVAL 10 SECONDS)\n"                  \
    "  WITH (format = 'csv', path = 'in');\n"

typedef struct fx {
    arena *a;
    char *sql;
    ast_file f;
    bound_pipeline bp;
} fx;

static void fx_free(void *p)
{
    fx *x = p;
    bound_pipeline_free(&x->bp);
    ast_file_free(&x->f);
    arena_free(x->a);
    free(x->sql);
    free(x);
}

/* Parses and binds SRC plus `CREATE SINK <name> WITH (format = 'console'<with>)
 * AS <select>`; NULL on a SQL error. Released at teardown. */
static fx *try_bind_sink(const char *name, const char *with, const char *select)
{
    fx *x = calloc(1, sizeof *x);
    x->a = arena_new(0);
    size_t n = strlen(SRC) + strlen(name) + strlen(with) + strlen(select) + 128;
    x->sql = malloc(n);
    snprintf(x->sql, n, SRC "CREATE SINK %s WITH (format = 'console'%s)\n  AS %s;\n", name, with,
             select);
    eddy_error err = {0};
    options presets;
    options_init(&presets);
    int rc = sql_parse(x->sql, "t.sql", x->a, &x->f, &err);
    if (rc == 0)
        rc = sql_bind(&x->f, x->sql, "t.sql", &presets, x->a, &x->bp, &err);
    options_free(&presets);
    if (rc != 0) {
        ast_file_free(&x->f);
        arena_free(x->a);
        free(x->sql);
        free(x);
        return NULL;
    }
    return defer(fx_free, x);
}

/* The same; fails the test on a SQL error. */
static fx *bind_sink(const char *name, const char *with, const char *select)
{
    fx *x = try_bind_sink(name, with, select);
    if (!x)
        print_error("SQL error in sink %s: %s\n", name, select);
    assert_non_null(x);
    assert_int_equal(x->bp.nqueries, 1);
    return x;
}

static const query_plan *plan(const fx *x)
{
    return &x->bp.queries[0];
}

/* ---- batches of a plan's result schema ---------------------------------- */

/* A batch of q's result schema with n rows, every cell NULL until set. */
static batch *rows_new(const query_plan *q, uint32_t n)
{
    type_id *types = schema_types(&q->root->out);
    batch *b = batch_new((uint32_t)q->root->out.n, types, n ? n : 1);
    free(types);
    for (uint32_t c = 0; c < b->ncols; c++)
        memset(b->cols[c].valid, 0, n ? n : 1);
    b->nrows = n;
    return b;
}

static void set_value(batch *b, int c, uint32_t r, value v)
{
    v.type = b->cols[c].type;
    column_set(&b->cols[c], r, &v);
}

/* An integer into an INT, BIGINT, DATE, TIMESTAMP or DOUBLE column. */
static void set_int(batch *b, int c, uint32_t r, int64_t x)
{
    value v = {0};
    switch (b->cols[c].type) {
    case TYPE_INT:
    case TYPE_DATE:
        v.v.i32 = (int32_t)x;
        break;
    case TYPE_DOUBLE:
        v.v.f64 = (double)x;
        break;
    default:
        v.v.i64 = x;
    }
    set_value(b, c, r, v);
}

static void set_double(batch *b, int c, uint32_t r, double d)
{
    value v = {0};
    v.v.f64 = d;
    set_value(b, c, r, v);
}

static void set_bool(batch *b, int c, uint32_t r, bool x)
{
    value v = {0};
    v.v.b = x;
    set_value(b, c, r, v);
}

/* n bytes of p, copied into the batch's arena. */
static void set_strn(batch *b, int c, uint32_t r, const char *p, size_t n)
{
    value v = {0};
    char *copy = arena_strndup(b->arena, p, n);
    v.v.s = (strv){copy, (uint32_t)n};
    set_value(b, c, r, v);
}

static void set_str(batch *b, int c, uint32_t r, const char *p)
{
    set_strn(b, c, r, p, strlen(p));
}

static void set_window(batch *b, int c, uint32_t r, int64_t start, int64_t end)
{
    value v = {0};
    v.v.w = (window_val){start, end};
    set_value(b, c, r, v);
}

/* Publishes one batch and frees it (live_publish_result copies what it
 * keeps). */
static void publish_rows(live_query *lq, int64_t batch_id, batch *b, int64_t table_rows)
{
    batch *parts[1] = {b};
    live_publish_result(lq, batch_id, parts, 1, table_rows);
    batch_free(b);
}

/* The same, the size of the result table unknown. */
static void publish1(live_query *lq, int64_t batch_id, batch *b)
{
    publish_rows(lq, batch_id, b, -1);
}

/* A (STRING, BIGINT) batch of n rows: ("<prefix><k0 + i>", v0 + i). */
static batch *keyed_rows(const query_plan *q, const char *prefix, int k0, int64_t v0, uint32_t n)
{
    batch *b = rows_new(q, n);
    for (uint32_t r = 0; r < n; r++) {
        char key[64];
        snprintf(key, sizeof key, "%s%d", prefix, k0 + (int)r);
        set_str(b, 0, r, key);
        set_int(b, 1, r, v0 + (int64_t)r);
    }
    return b;
}

/* ---- JSON helpers -------------------------------------------------------- */

/* Takes text (malloc'd, *len bytes), parses it, frees it. The length is read
 * through a pointer so that the call producing text runs first. */
static json_t *parse_owned(char *text, const size_t *lenp)
{
    size_t len = *lenp;
    assert_non_null(text);
    bool len_ok = strlen(text) == len;
    json_error_t e;
    json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &e);
    if (!j)
        print_error("invalid JSON (%s): %s\n", e.text, text);
    free(text);
    if (!len_ok)
        json_decref(j);
    assert_true(len_ok);
    assert_non_null(j);
    return j;
}

static void assert_json(const json_t *actual, const char *expected_text)
{
    json_error_t e;
    json_t *expected = json_loads(expected_text, JSON_DECODE_ANY, &e);
    if (!expected)
        print_error("bad expectation (%s): %s\n", e.text, expected_text);
    assert_non_null(expected);
    if (!json_equal(actual, expected)) {
        char *a = json_dumps(actual, JSON_ENCODE_ANY | JSON_COMPACT | JSON_PRESERVE_ORDER);
        print_error("expected %s\n     got %s\n", expected_text, a ? a : "(null)");
        free(a);
        json_decref(expected);
        fail();
    }
    json_decref(expected);
}

static json_t *result_of(live *l, const char *name)
{
    size_t len = 0;
    return J(parse_owned(live_result_json(l, name, &len), &len));
}

/* The entry of query `name` in live_queries_json (released at teardown). */
static json_t *query_entry(live *l, const char *name)
{
    size_t len = 0;
    json_t *all = J(parse_owned(live_queries_json(l, &len), &len));
    json_t *qs = json_object_get(all, "queries");
    assert_true(json_is_array(qs));
    json_t *found = NULL;
    for (size_t i = 0; i < json_array_size(qs); i++) {
        json_t *e = json_array_get(qs, i);
        if (strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            found = json_incref(e);
    }
    assert_non_null(found);
    return J(found);
}

/* The chart live_queries_json reports for a one-query plan. */
static void assert_chart(const char *with, const char *select, const char *expected)
{
    fx *x = bind_sink("q", with, select);
    live *l = new_live();
    live_add(l, plan(x), "id", "run");
    json_t *e = query_entry(l, "q");
    assert_json(json_object_get(e, "chart"), expected);
}

static int64_t int_at(const json_t *j, const char *key)
{
    json_t *v = json_object_get(j, key);
    assert_true(json_is_integer(v));
    return json_integer_value(v);
}

/* ---- Server-Sent Events -------------------------------------------------- */

typedef struct events {
    int n, cap;
    char **names;
    json_t **data;
} events;

static void events_free(events *ev)
{
    for (int i = 0; i < ev->n; i++) {
        free(ev->names[i]);
        json_decref(ev->data[i]);
    }
    free(ev->names);
    free(ev->data);
    memset(ev, 0, sizeof *ev);
}

static void events_free_v(void *p)
{
    events_free(p);
    free(p);
}

/* An empty event list, released at teardown. */
static events *new_events(void)
{
    return defer(events_free_v, calloc(1, sizeof(events)));
}

/* Appends the events of an SSE text: each exactly `event: NAME\ndata: JSON\n\n`
 * with the JSON on one line. Returns 0, or -1 on a malformed text (so that it
 * can run on any thread). */
static int sse_parse(const char *text, size_t len, events *ev)
{
    size_t p = 0;
    while (p < len) {
        if (len - p < 7 || memcmp(text + p, "event: ", 7) != 0)
            return -1;
        p += 7;
        const char *nl = memchr(text + p, '\n', len - p);
        if (!nl || nl == text + p)
            return -1;
        size_t nlen = (size_t)(nl - (text + p));
        char *name = strndup(text + p, nlen);
        p += nlen + 1;
        if (len - p < 6 || memcmp(text + p, "data: ", 6) != 0) {
            free(name);
            return -1;
        }
        p += 6;
        nl = memchr(text + p, '\n', len - p);
        if (!nl || (size_t)(nl - text) + 1 >= len || nl[1] != '\n') {
            free(name);
            return -1;
        }
        size_t dlen = (size_t)(nl - (text + p));
        json_t *data = json_loadb(text + p, dlen, JSON_ALLOW_NUL, NULL);
        if (!data || memchr(text + p, '\r', dlen)) {
            json_decref(data);
            free(name);
            return -1;
        }
        p += dlen + 2;
        if (ev->n == ev->cap) {
            ev->cap = ev->cap ? ev->cap * 2 : 16;
            ev->names = realloc(ev->names, sizeof *ev->names * (size_t)ev->cap);
            ev->data = realloc(ev->data, sizeof *ev->data * (size_t)ev->cap);
        }
        ev->names[ev->n] = name;
        ev->data[ev->n++] = data;
    }
    return 0;
}

/* One live_cursor_next call expected to return 1; its events are appended. */
static void next_events(live_cursor *c, int wait_ms, events *ev)
{
    char *out = NULL;
    size_t len = 0;
    int rc = live_cursor_next(c, wait_ms, &out, &len);
    int prc = rc == 1 ? sse_parse(out, len, ev) : 0;
    if (prc != 0)
        print_error("malformed SSE text:\n%.*s\n", (int)len, out);
    if (rc == 1)
        free(out);
    assert_int_equal(rc, 1);
    assert_true(len > 0);
    assert_int_equal(prc, 0);
}

static int count_named(const events *ev, const char *name)
{
    int n = 0;
    for (int i = 0; i < ev->n; i++)
        n += strcmp(ev->names[i], name) == 0;
    return n;
}

static json_t *progress_obj(int64_t batch_id)
{
    return json_pack("{s:s, s:I, s:i}", "id", "qid", "batchId", (json_int_t)batch_id,
                     "numInputRows", 3);
}

static void publish_progress(live_query *lq, int64_t batch_id)
{
    json_t *p = progress_obj(batch_id);
    live_publish_progress(lq, json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER));
    json_decref(p);
}

/* ---- grouping keys ------------------------------------------------------- */

static void assert_keys(const char *with, const char *select, int nexpected,
                        const bool *expected)
{
    fx *x = bind_sink("q", with, select);
    const query_plan *q = plan(x);
    assert_int_equal(q->root->out.n, nexpected);
    bool is_key[16];
    memset(is_key, 0xAA, sizeof is_key);
    int nkeys = live_key_columns(q, is_key);
    int want = 0;
    for (int i = 0; i < nexpected; i++) {
        if (is_key[i] != expected[i])
            print_error("column %d (%s): is_key %d, expected %d\n", i, q->root->out.fields[i].name,
                        is_key[i], expected[i]);
        assert_int_equal(is_key[i], expected[i]);
        want += expected[i];
    }
    assert_int_equal(nkeys, want);
}

static void test_keys_through_projection(void **unused)
{
    const bool k1[] = {true, true, false};
    assert_keys(", outputMode = 'update'",
                "SELECT window.start AS ws, upper(state) AS s, count(*) AS n FROM s "
                "GROUP BY window(ts, '10 seconds'), state",
                3, k1);
    /* Aggregates first, expressions over keys, over aggregates, CASE with
     * ELSE, casts. */
    const bool k2[] = {false, true, true, false, true, true};
    assert_keys(", outputMode = 'update'",
                "SELECT count(*) AS n, state, concat(state, '!') AS x, count(*) + 1 AS m, "
                "CASE WHEN state = 'a' THEN 'A' ELSE city END AS c, CAST(city AS INT) AS ci "
                "FROM s GROUP BY state, city",
                6, k2);
    /* HAVING (a filter), ORDER BY and LIMIT above the aggregation. */
    const bool k3[] = {true, false, false};
    assert_keys(", outputMode = 'complete'",
                "SELECT state, count(*) AS n, sum(v) AS total FROM s GROUP BY state "
                "HAVING count(*) > 1 ORDER BY n DESC LIMIT 5",
                3, k3);
    /* The window struct itself. */
    const bool k4[] = {true, true, false};
    assert_keys(", outputMode = 'update'",
                "SELECT window, state, avg(d) AS a FROM s GROUP BY window(ts, '1 minute'), state",
                3, k4);
}

static void test_keys_none(void **unused)
{
    const bool none2[] = {false, false};
    /* Deduplication: no keys, even though Spark groups by every column. */
    assert_keys(", outputMode = 'append'", "SELECT DISTINCT state, city FROM s", 2, none2);
    /* No aggregation. */
    assert_keys(", outputMode = 'append'", "SELECT state, v FROM s WHERE v > 1", 2, none2);
    /* A global aggregation has no grouping keys. */
    const bool none1[] = {false};
    assert_keys(", outputMode = 'complete'", "SELECT count(*) AS n FROM s", 1, none1);
}

/* current_timestamp() does not depend on the grouping keys: its value is the
 * batch's time, so it must not be a key (live.h: "its value depends only on
 * the aggregation's keys"). Otherwise an update-mode view keys each row by
 * (state, batch time) and grows a new row per key every batch. */
static void test_keys_current_timestamp_not_key(void **unused)
{
    const bool k[] = {true, false, false};
    assert_keys(", outputMode = 'update'",
                "SELECT state, current_timestamp() AS t, count(*) AS n FROM s GROUP BY state", 3,
                k);
}

/* Key columns must tell the groups apart before an update view upserts on
 * them: a grouping key left out of the SELECT, or shown through upper(),
 * would merge rows of different groups, so such views keep rows as they
 * come (append); window.start identifies its window. */
static void test_keys_identify_rows(void **unused)
{
    static const struct {
        const char *select;
        bool identifies;
    } cases[] = {
        {"SELECT state, count(*) AS n FROM s GROUP BY state", true},
        {"SELECT state, count(*) AS n FROM s GROUP BY state, city", false},
        {"SELECT upper(state) AS s, count(*) AS n FROM s GROUP BY state", false},
        {"SELECT city, state, count(*) AS n FROM s GROUP BY state, city", true},
        {"SELECT window.start AS ws, state, count(*) AS n FROM s"
         " GROUP BY window(ts, '10 seconds'), state", true},
        {"SELECT DISTINCT state FROM s", false},
        {"SELECT state, v FROM s", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fx *x = bind_sink("q", ", outputMode = 'update'", cases[i].select);
        if (live_keys_identify_rows(plan(x)) != cases[i].identifies) {
            print_error("%s: expected %d\n", cases[i].select, cases[i].identifies);
            fail();
        }
    }
}

/* The consequence: rows of groups that differ only in a key not shown are
 * all kept, none merged. */
static void test_result_update_hidden_key_not_merged(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state, city");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 3);
    for (uint32_t r = 0; r < 3; r++) {
        set_str(b, 0, r, "CA");
        set_int(b, 1, r, (int64_t)r + 1);
    }
    publish_rows(lq, 0, b, 3);
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"), "[[\"CA\", 1], [\"CA\", 2], [\"CA\", 3]]");
}

/* The consequence in a result view: one row per state, not one per batch. */
static void test_result_update_current_timestamp_upserts(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, current_timestamp() AS t, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    for (int k = 0; k < 2; k++) {
        batch *b = rows_new(plan(x), 1);
        set_str(b, 0, 0, "a");
        set_int(b, 1, 0, 1704067200000000LL + k * 1000000LL);
        set_int(b, 2, 0, k + 1);
        publish_rows(lq, k, b, 1);
    }
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"), "[[\"a\", \"2024-01-01 00:00:01\", 2]]");
    assert_int_equal(int_at(r, "totalRows"), 1);
}

/* ---- chart choice -------------------------------------------------------- */

static void test_chart_bar(void **unused)
{
    assert_chart(", outputMode = 'complete'",
                 "SELECT state, count(*) AS n, sum(v) AS total FROM s GROUP BY state",
                 "{\"type\": \"bar\", \"label\": \"state\", \"values\": [\"n\", \"total\"]}");
    /* A date label and a double. */
    assert_chart(", outputMode = 'complete'", "SELECT day, avg(d) AS a FROM s GROUP BY day",
                 "{\"type\": \"bar\", \"label\": \"day\", \"values\": [\"a\"]}");
    /* A numeric key is not a label: nothing to put on the axis. */
    assert_chart(", outputMode = 'complete'", "SELECT i, count(*) AS n FROM s GROUP BY i",
                 "{\"type\": \"table\"}");
}

static void test_chart_asked(void **unused)
{
    assert_chart(", outputMode = 'complete', chart = 'donut'",
                 "SELECT state, count(*) AS n FROM s GROUP BY state",
                 "{\"type\": \"donut\", \"label\": \"state\", \"values\": [\"n\"]}");
    assert_chart(", outputMode = 'complete', chart = 'PIE'",
                 "SELECT state, count(*) AS n, max(d) AS top FROM s GROUP BY state",
                 "{\"type\": \"pie\", \"label\": \"state\", \"values\": [\"n\", \"top\"]}");
    /* Asked for a table although a bar would fit. */
    assert_chart(", outputMode = 'complete', chart = 'table'",
                 "SELECT state, count(*) AS n FROM s GROUP BY state", "{\"type\": \"table\"}");
    /* Asked for a bar over two labels: the first label. */
    assert_chart(", outputMode = 'complete', chart = 'bar'",
                 "SELECT state, city, count(*) AS n FROM s GROUP BY state, city",
                 "{\"type\": \"bar\", \"label\": \"state\", \"values\": [\"n\"]}");
}

static void test_chart_line(void **unused)
{
    /* A window key: x the window, series the other label key. */
    assert_chart(", outputMode = 'update'",
                 "SELECT window, state, count(*) AS n, sum(v) AS total FROM s "
                 "GROUP BY window(ts, '10 seconds'), state",
                 "{\"type\": \"line\", \"x\": \"window\", \"series\": \"state\","
                 " \"values\": [\"n\", \"total\"]}");
    /* A timestamp key (the window's start), no label: series null. */
    assert_chart(", outputMode = 'complete'",
                 "SELECT window.start AS ws, count(*) AS n, avg(d) AS a FROM s "
                 "GROUP BY window(ts, '10 seconds')",
                 "{\"type\": \"line\", \"x\": \"ws\", \"series\": null,"
                 " \"values\": [\"n\", \"a\"]}");
    /* Labels before the time column. */
    assert_chart(", outputMode = 'complete'",
                 "SELECT upper(state) AS s, window.start AS ws, count(*) AS n FROM s "
                 "GROUP BY window(ts, '10 seconds'), state",
                 "{\"type\": \"line\", \"x\": \"ws\", \"series\": \"s\", \"values\": [\"n\"]}");
    /* chart = 'line' without a time column: the label is x. */
    assert_chart(", outputMode = 'complete', chart = 'line'",
                 "SELECT state, count(*) AS n FROM s GROUP BY state",
                 "{\"type\": \"line\", \"x\": \"state\", \"series\": null, \"values\": [\"n\"]}");
}

static void test_chart_table(void **unused)
{
    /* Two labels and a number. */
    assert_chart(", outputMode = 'complete'",
                 "SELECT state, city, count(*) AS n FROM s GROUP BY state, city",
                 "{\"type\": \"table\"}");
    /* A chart asked for a result without numbers. */
    assert_chart(", outputMode = 'append', chart = 'bar'", "SELECT state, city FROM s",
                 "{\"type\": \"table\"}");
    assert_chart(", outputMode = 'append', chart = 'line'", "SELECT ts, state FROM s",
                 "{\"type\": \"table\"}");
    assert_chart(", outputMode = 'append', chart = 'donut'", "SELECT DISTINCT state FROM s",
                 "{\"type\": \"table\"}");
    /* Numbers only. */
    assert_chart(", outputMode = 'complete'", "SELECT count(*) AS n FROM s",
                 "{\"type\": \"table\"}");
}

/* ---- queries list -------------------------------------------------------- */

static void test_queries_json(void **unused)
{
    fx *x = bind_sink("Votes", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "6f1c0000-0000-4000-8000-000000000001",
                              "a2b90000-0000-4000-8000-000000000002");
    json_t *e = query_entry(l, "Votes");
    assert_json(e, "{\"name\": \"Votes\", \"id\": \"6f1c0000-0000-4000-8000-000000000001\","
                   " \"runId\": \"a2b90000-0000-4000-8000-000000000002\", \"status\": \"ACTIVE\","
                   " \"exception\": null, \"outputMode\": \"complete\", \"sink\": \"console\","
                   " \"chart\": {\"type\": \"bar\", \"label\": \"state\", \"values\": [\"n\"]},"
                   " \"batchId\": -1, \"lastProgress\": null}");

    batch *b = rows_new(plan(x), 1);
    set_str(b, 0, 0, "CA");
    set_int(b, 1, 0, 4);
    publish1(lq, 3, b);
    publish_progress(lq, 2);
    publish_progress(lq, 3);
    e = query_entry(l, "Votes");
    assert_int_equal(int_at(e, "batchId"), 3);
    assert_json(json_object_get(e, "lastProgress"),
                "{\"id\": \"qid\", \"batchId\": 3, \"numInputRows\": 3}");

    live_set_status(lq, LIVE_FAILED, "boom: \"bad\"\n\tat line 2");
    e = query_entry(l, "Votes");
    assert_json(json_object_get(e, "status"), "\"FAILED\"");
    assert_json(json_object_get(e, "exception"), "\"boom: \\\"bad\\\"\\n\\tat line 2\"");
}

/* ---- result views -------------------------------------------------------- */

static void test_result_before_first_batch(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT window, state, count(*) AS n, avg(d) AS a FROM s "
                      "GROUP BY window(ts, '10 seconds'), state");
    live *l = new_live();
    live_add(l, plan(x), "id", "run");
    json_t *r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": -1,"
                   " \"columns\": [\"window\", \"state\", \"n\", \"a\"],"
                   " \"types\": [\"struct<start:timestamp,end:timestamp>\", \"string\","
                   " \"bigint\", \"double\"],"
                   " \"rows\": [], \"totalRows\": 0, \"truncated\": false}");
}

static void test_result_complete_replaces(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 2);
    set_str(b, 0, 0, "a");
    set_int(b, 1, 0, 1);
    set_str(b, 0, 1, "b");
    set_int(b, 1, 1, 2);
    publish1(lq, 0, b);
    json_t *r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": 0, \"columns\": [\"state\", \"n\"],"
                   " \"types\": [\"string\", \"bigint\"], \"rows\": [[\"a\", 1], [\"b\", 2]],"
                   " \"totalRows\": 2, \"truncated\": false}");

    /* Two parts: both are the new table. */
    batch *p1 = rows_new(plan(x), 1), *p2 = rows_new(plan(x), 1);
    set_str(p1, 0, 0, "c");
    set_int(p1, 1, 0, 5);
    set_str(p2, 0, 0, "a");
    set_int(p2, 1, 0, 9);
    batch *parts[2] = {p1, p2};
    live_publish_result(lq, 1, parts, 2, -1);
    batch_free(p1);
    batch_free(p2);
    r = result_of(l, "q");
    assert_int_equal(int_at(r, "batchId"), 1);
    assert_json(json_object_get(r, "rows"), "[[\"c\", 5], [\"a\", 9]]");
    assert_int_equal(int_at(r, "totalRows"), 2);

    /* An empty batch empties the table. */
    publish1(lq, 2, rows_new(plan(x), 0));
    r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": 2, \"columns\": [\"state\", \"n\"],"
                   " \"types\": [\"string\", \"bigint\"], \"rows\": [],"
                   " \"totalRows\": 0, \"truncated\": false}");
}

static void test_result_complete_truncated(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *p1 = keyed_rows(plan(x), "k", 0, 0, 900), *p2 = keyed_rows(plan(x), "k", 900, 900, 600);
    batch *parts[2] = {p1, p2};
    live_publish_result(lq, 4, parts, 2, -1);
    batch_free(p1);
    batch_free(p2);
    json_t *r = result_of(l, "q");
    json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), LIVE_RESULT_ROWS);
    for (int i = 0; i < LIVE_RESULT_ROWS; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        json_t *row = json_array_get(rows, (size_t)i);
        assert_int_equal(json_array_size(row), 2);
        assert_string_equal(json_string_value(json_array_get(row, 0)), key);
        assert_int_equal(json_integer_value(json_array_get(row, 1)), i);
    }
    assert_int_equal(int_at(r, "totalRows"), 1500);
    assert_true(json_is_true(json_object_get(r, "truncated")));
    assert_int_equal(int_at(r, "batchId"), 4);

    /* Back under the limit. */
    publish1(lq, 5, keyed_rows(plan(x), "z", 0, 7, 3));
    r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"), "[[\"z0\", 7], [\"z1\", 8], [\"z2\", 9]]");
    assert_int_equal(int_at(r, "totalRows"), 3);
    assert_true(json_is_false(json_object_get(r, "truncated")));
}

static void test_result_update_upserts(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 3);
    set_str(b, 0, 0, "a");
    set_int(b, 1, 0, 1);
    set_str(b, 0, 1, "b");
    set_int(b, 1, 1, 2);
    b->cols[0].valid[2] = 0; /* the NULL key */
    set_int(b, 1, 2, 3);
    publish_rows(lq, 0, b, 3);
    json_t *r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": 0, \"columns\": [\"state\", \"n\"],"
                   " \"types\": [\"string\", \"bigint\"],"
                   " \"rows\": [[\"a\", 1], [\"b\", 2], [null, 3]],"
                   " \"totalRows\": 3, \"truncated\": false}");

    /* b updated in place, c appended; within a batch the last row of a key
     * wins; the NULL key is a key like any other. */
    b = rows_new(plan(x), 4);
    set_str(b, 0, 0, "c");
    set_int(b, 1, 0, 10);
    set_str(b, 0, 1, "b");
    set_int(b, 1, 1, 20);
    set_str(b, 0, 2, "c");
    set_int(b, 1, 2, 11);
    set_int(b, 1, 3, 30);
    publish_rows(lq, 1, b, 4);
    r = result_of(l, "q");
    assert_int_equal(int_at(r, "batchId"), 1);
    assert_json(json_object_get(r, "rows"), "[[\"a\", 1], [\"b\", 20], [null, 30], [\"c\", 11]]");
    assert_int_equal(int_at(r, "totalRows"), 4);
    assert_true(json_is_false(json_object_get(r, "truncated")));

    /* An empty batch changes no row, only the batch id. */
    publish_rows(lq, 2, rows_new(plan(x), 0), 4);
    r = result_of(l, "q");
    assert_int_equal(int_at(r, "batchId"), 2);
    assert_json(json_object_get(r, "rows"), "[[\"a\", 1], [\"b\", 20], [null, 30], [\"c\", 11]]");
}

/* Keys over two columns and a window. */
static void test_result_update_composite_keys(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT window, state, count(*) AS n FROM s "
                      "GROUP BY window(ts, '10 seconds'), state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 3);
    set_window(b, 0, 0, 0, 10000000);
    set_str(b, 1, 0, "a");
    set_int(b, 2, 0, 1);
    set_window(b, 0, 1, 10000000, 20000000);
    set_str(b, 1, 1, "a");
    set_int(b, 2, 1, 2);
    set_window(b, 0, 2, 0, 10000000);
    set_str(b, 1, 2, "b");
    set_int(b, 2, 2, 3);
    publish_rows(lq, 0, b, 3);
    b = rows_new(plan(x), 1);
    set_window(b, 0, 0, 10000000, 20000000);
    set_str(b, 1, 0, "a");
    set_int(b, 2, 0, 7);
    publish_rows(lq, 1, b, 3);
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"),
                "[[{\"start\": \"1970-01-01 00:00:00\", \"end\": \"1970-01-01 00:00:10\"}, \"a\", 1],"
                " [{\"start\": \"1970-01-01 00:00:10\", \"end\": \"1970-01-01 00:00:20\"}, \"a\", 7],"
                " [{\"start\": \"1970-01-01 00:00:00\", \"end\": \"1970-01-01 00:00:10\"}, \"b\", 3]]");
    assert_int_equal(int_at(r, "totalRows"), 3);
}

/* Distinct grouping keys stay distinct rows, whatever bytes they hold: a
 * key is not confused by the separator the view might put between key
 * columns. */
static void test_result_update_keys_with_control_bytes(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, city, count(*) AS n FROM s GROUP BY state, city");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 2);
    set_str(b, 0, 0, "a\x1f");
    set_str(b, 1, 0, "b");
    set_int(b, 2, 0, 1);
    set_str(b, 0, 1, "a");
    set_str(b, 1, 1, "\x1f" "b");
    set_int(b, 2, 1, 2);
    publish_rows(lq, 0, b, 2);
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"), "[[\"a\\u001f\", \"b\", 1], [\"a\", \"\\u001fb\", 2]]");
    assert_int_equal(int_at(r, "totalRows"), 2);
}

/* A NULL key and the one-byte string "\x01" are different keys. */
static void test_result_update_null_key_vs_string(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 2);
    set_int(b, 1, 0, 1); /* state NULL */
    set_str(b, 0, 1, "\x01");
    set_int(b, 1, 1, 2);
    publish_rows(lq, 0, b, 2);
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "rows"), "[[null, 1], [\"\\u0001\", 2]]");
    assert_int_equal(int_at(r, "totalRows"), 2);
}

static void test_result_update_many_keys(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    /* 1200 keys: the 1000 written last stay, in order. */
    publish_rows(lq, 0, keyed_rows(plan(x), "k", 0, 0, 1200), 1200);
    json_t *r = result_of(l, "q");
    json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), LIVE_RESULT_ROWS);
    assert_json(json_array_get(rows, 0), "[\"k200\", 200]");
    assert_json(json_array_get(rows, 999), "[\"k1199\", 1199]");
    assert_int_equal(int_at(r, "totalRows"), 1200);
    assert_true(json_is_true(json_object_get(r, "truncated")));

    /* A shown key is updated in place; a key no longer shown (k5) and a new
     * key come in at the end, and the two keys written longest ago (k200,
     * k201) leave. */
    batch *b = rows_new(plan(x), 3);
    set_str(b, 0, 0, "k1100");
    set_int(b, 1, 0, -1100);
    set_str(b, 0, 1, "k5");
    set_int(b, 1, 1, -5);
    set_str(b, 0, 2, "new");
    set_int(b, 1, 2, 1);
    publish_rows(lq, 1, b, 1201);
    r = result_of(l, "q");
    rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), LIVE_RESULT_ROWS);
    assert_json(json_array_get(rows, 0), "[\"k202\", 202]");
    assert_json(json_array_get(rows, 898), "[\"k1100\", -1100]");
    assert_json(json_array_get(rows, 997), "[\"k1199\", 1199]");
    assert_json(json_array_get(rows, 998), "[\"k5\", -5]");
    assert_json(json_array_get(rows, 999), "[\"new\", 1]");
    assert_int_equal(int_at(r, "totalRows"), 1201);
    assert_true(json_is_true(json_object_get(r, "truncated")));
    assert_int_equal(int_at(r, "batchId"), 1);

    /* Every shown key can still be found after the moves in the key table:
     * updating all of them changes rows in place, adds none. */
    batch *c = rows_new(plan(x), LIVE_RESULT_ROWS);
    for (int i = 0; i < LIVE_RESULT_ROWS; i++) {
        json_t *key = json_array_get(json_array_get(rows, (size_t)i), 0);
        set_str(c, 0, (uint32_t)i, json_string_value(key));
        set_int(c, 1, (uint32_t)i, 7);
    }
    publish_rows(lq, 2, c, 1201);
    r = result_of(l, "q");
    rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), LIVE_RESULT_ROWS);
    assert_json(json_array_get(rows, 998), "[\"k5\", 7]");
    for (int i = 0; i < LIVE_RESULT_ROWS; i++)
        assert_int_equal(json_integer_value(json_array_get(json_array_get(rows, (size_t)i), 1)),
                         7);
}

/* Update mode against a model: random batches over 3000 keys (many sharing
 * home slots of the key table, so deletions shift probe chains). After
 * every batch the view shows exactly the 1000 keys written most recently,
 * each with its last value. */
static int cmp_desc(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x < y) - (x > y);
}

static void test_result_update_model(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    enum { KEYS = 3000 };
    static int64_t value_of[KEYS], written_at[KEYS];
    for (int k = 0; k < KEYS; k++)
        written_at[k] = -1;
    uint64_t rng = 12345;
    int64_t clock = 0;
    for (int batch_id = 0; batch_id < 60; batch_id++) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        uint32_t n = (uint32_t)(rng >> 33) % 2500 + 1; /* past 1000 keys: the scan stops early */
        batch *b = rows_new(plan(x), n);
        for (uint32_t r = 0; r < n; r++) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            /* Half the batches draw from a small hot set. */
            int k = (int)((rng >> 33) % (batch_id % 2 ? 1200 : KEYS));
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            set_str(b, 0, r, key);
            set_int(b, 1, r, clock);
            value_of[k] = clock;
            written_at[k] = clock++;
        }
        publish1(lq, batch_id, b);
        /* The model: the 1000 most recent write times. */
        int shown = 0;
        int64_t cutoff = -1;
        {
            static int64_t times[KEYS];
            int m = 0;
            for (int k = 0; k < KEYS; k++)
                if (written_at[k] >= 0)
                    times[m++] = written_at[k];
            qsort(times, (size_t)m, sizeof times[0], cmp_desc);
            shown = m < LIVE_RESULT_ROWS ? m : LIVE_RESULT_ROWS;
            cutoff = shown ? times[shown - 1] : -1;
            (void)m;
        }
        json_t *r = result_of(l, "q");
        json_t *rows = json_object_get(r, "rows");
        assert_int_equal(json_array_size(rows), shown);
        static bool seen[KEYS];
        memset(seen, 0, sizeof seen);
        for (size_t i = 0; i < json_array_size(rows); i++) {
            json_t *row = json_array_get(rows, i);
            int k = atoi(json_string_value(json_array_get(row, 0)) + 1);
            assert_false(seen[k]);
            seen[k] = true;
            assert_true(written_at[k] >= cutoff);
            assert_int_equal(json_integer_value(json_array_get(row, 1)), value_of[k]);
        }
    }
}

/* When the caller does not know the size of the result table (-1), the
 * view still knows it left keys out: truncated is true, and totalRows
 * counts what it shows. */
static void test_result_update_unknown_table_size_truncated(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    publish_rows(lq, 0, keyed_rows(plan(x), "k", 0, 0, 1200), -1);
    json_t *r = result_of(l, "q");
    assert_int_equal(json_array_size(json_object_get(r, "rows")), LIVE_RESULT_ROWS);
    assert_true(json_is_true(json_object_get(r, "truncated")));
    assert_int_equal(int_at(r, "totalRows"), LIVE_RESULT_ROWS);
}

/* table_rows is update mode's totalRows only: complete counts the rows of
 * the batch, append every row written. */
static void test_result_table_rows_only_in_update(void **unused)
{
    fx *xc = bind_sink("c", ", outputMode = 'complete'",
                       "SELECT state, count(*) AS n FROM s GROUP BY state HAVING count(*) > 1");
    fx *xa = bind_sink("a", ", outputMode = 'append'", "SELECT DISTINCT state, v FROM s");
    live *l = new_live();
    live_query *lc = live_add(l, plan(xc), "id1", "run1");
    live_query *la = live_add(l, plan(xa), "id2", "run2");
    publish_rows(lc, 0, keyed_rows(plan(xc), "k", 0, 2, 3), 50);
    publish_rows(la, 0, keyed_rows(plan(xa), "k", 0, 2, 3), 50);
    publish_rows(la, 1, keyed_rows(plan(xa), "k", 3, 2, 2), 70);
    json_t *r = result_of(l, "c");
    assert_int_equal(int_at(r, "totalRows"), 3);
    assert_true(json_is_false(json_object_get(r, "truncated")));
    r = result_of(l, "a");
    assert_int_equal(int_at(r, "totalRows"), 5);
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 5);
    assert_true(json_is_false(json_object_get(r, "truncated")));

    /* In update mode a table smaller than the view (groups evicted from
     * state after they were shown) still counts the rows shown. */
    fx *xu = bind_sink("u", ", outputMode = 'update'",
                       "SELECT state, count(*) AS n FROM s GROUP BY state");
    live_query *lu = live_add(l, plan(xu), "id3", "run3");
    publish_rows(lu, 0, keyed_rows(plan(xu), "k", 0, 0, 4), 4);
    publish_rows(lu, 1, keyed_rows(plan(xu), "k", 4, 4, 1), 1);
    r = result_of(l, "u");
    assert_int_equal(json_array_size(json_object_get(r, "rows")), 5);
    assert_int_equal(int_at(r, "totalRows"), 5);
    assert_true(json_is_false(json_object_get(r, "truncated")));
}

/* Update mode without grouping keys keeps the last rows, as append. */
static void test_result_update_without_keys(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'", "SELECT state, v FROM s");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    publish1(lq, 0, keyed_rows(plan(x), "a", 0, 0, 2));
    publish1(lq, 1, keyed_rows(plan(x), "a", 0, 0, 2));
    json_t *r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": 1, \"columns\": [\"state\", \"v\"],"
                   " \"types\": [\"string\", \"bigint\"],"
                   " \"rows\": [[\"a0\", 0], [\"a1\", 1], [\"a0\", 0], [\"a1\", 1]],"
                   " \"totalRows\": 4, \"truncated\": false}");
}

static void assert_append_window(json_t *r, int64_t first, int n)
{
    json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), n);
    for (int i = 0; i < n; i++) {
        json_t *row = json_array_get(rows, (size_t)i);
        char key[32];
        snprintf(key, sizeof key, "r%lld", (long long)(first + i));
        assert_string_equal(json_string_value(json_array_get(row, 0)), key);
        assert_int_equal(json_integer_value(json_array_get(row, 1)), first + i);
    }
}

static void test_result_append_keeps_last_rows(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'append'", "SELECT state, v FROM s");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    for (int k = 0; k < 3; k++) {
        publish1(lq, k, keyed_rows(plan(x), "r", 600 * k, 600 * k, 600));
        json_t *r = result_of(l, "q");
        int total = 600 * (k + 1);
        int shown = total < LIVE_RESULT_ROWS ? total : LIVE_RESULT_ROWS;
        assert_append_window(r, total - shown, shown);
        assert_int_equal(int_at(r, "totalRows"), total);
        assert_int_equal(json_is_true(json_object_get(r, "truncated")), total > LIVE_RESULT_ROWS);
        assert_int_equal(int_at(r, "batchId"), k);
    }

    /* One publication of two parts, 1400 rows: its last 1000. */
    batch *p1 = keyed_rows(plan(x), "r", 1800, 1800, 700);
    batch *p2 = keyed_rows(plan(x), "r", 2500, 2500, 700);
    batch *parts[2] = {p1, p2};
    live_publish_result(lq, 3, parts, 2, -1);
    batch_free(p1);
    batch_free(p2);
    json_t *r = result_of(l, "q");
    assert_append_window(r, 2200, LIVE_RESULT_ROWS);
    assert_int_equal(int_at(r, "totalRows"), 3200);
    assert_true(json_is_true(json_object_get(r, "truncated")));

    /* Then a few more rows: the ring wraps. */
    publish1(lq, 4, keyed_rows(plan(x), "r", 3200, 3200, 3));
    r = result_of(l, "q");
    assert_append_window(r, 2203, LIVE_RESULT_ROWS);
    assert_int_equal(int_at(r, "totalRows"), 3203);
}

/* ---- cell encoding ------------------------------------------------------- */

static void test_cells(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'append'",
                      "SELECT i, v, d, ok, state, ts, day, window(ts, '10 seconds') AS w FROM s");
    const query_plan *q = plan(x);
    assert_int_equal(q->root->out.n, 8);
    assert_int_equal(q->root->out.fields[7].type, TYPE_WINDOW);
    live *l = new_live();
    live_query *lq = live_add(l, q, "id", "run");
    batch *b = rows_new(q, 5);
    /* Row 0: ordinary values. */
    set_int(b, 0, 0, 42);
    set_int(b, 1, 0, 9007199254740993LL); /* 2^53 + 1: exact, not a double */
    set_double(b, 2, 0, 1.5);
    set_bool(b, 3, 0, true);
    set_str(b, 4, 0, "plain");
    set_int(b, 5, 0, 0);
    set_int(b, 6, 0, 0);
    set_window(b, 7, 0, 0, 10000000);
    /* Row 1: extremes, fractions. */
    set_int(b, 0, 1, INT32_MIN);
    set_int(b, 1, 1, INT64_MIN);
    set_double(b, 2, 1, NAN);
    set_bool(b, 3, 1, false);
    set_str(b, 4, 1, "");
    set_int(b, 5, 1, 1704067200123456LL); /* 2024-01-01 00:00:00.123456 */
    set_int(b, 6, 1, 19723);              /* 2024-01-01 */
    set_window(b, 7, 1, 1704067200000000LL, 1704067210500000LL);
    /* Row 2: infinities, trimmed fraction. */
    set_int(b, 0, 2, INT32_MAX);
    set_int(b, 1, 2, INT64_MAX);
    set_double(b, 2, 2, INFINITY);
    set_bool(b, 3, 2, true);
    set_str(b, 4, 2, "x");
    set_int(b, 5, 2, 1500000);  /* 1970-01-01 00:00:01.5 */
    set_int(b, 6, 2, -1);       /* 1969-12-31 */
    set_window(b, 7, 2, -10000000, 0);
    /* Row 3: -Infinity, -0.5. */
    set_double(b, 2, 3, -INFINITY);
    set_int(b, 5, 3, 951782400000000LL); /* 2000-02-29 00:00:00 */
    /* Row 4: all NULL. */
    publish1(lq, 0, b);
    json_t *r = result_of(l, "q");
    assert_json(json_object_get(r, "types"),
                "[\"int\", \"bigint\", \"double\", \"boolean\", \"string\", \"timestamp\","
                " \"date\", \"struct<start:timestamp,end:timestamp>\"]");
    assert_json(json_object_get(r, "rows"),
                "[[42, 9007199254740993, 1.5, true, \"plain\", \"1970-01-01 00:00:00\","
                "  \"1970-01-01\", {\"start\": \"1970-01-01 00:00:00\", \"end\": \"1970-01-01 00:00:10\"}],"
                " [-2147483648, -9223372036854775808, \"NaN\", false, \"\","
                "  \"2024-01-01 00:00:00.123456\", \"2024-01-01\","
                "  {\"start\": \"2024-01-01 00:00:00\", \"end\": \"2024-01-01 00:00:10.5\"}],"
                " [2147483647, 9223372036854775807, \"Infinity\", true, \"x\","
                "  \"1970-01-01 00:00:01.5\", \"1969-12-31\","
                "  {\"start\": \"1969-12-31 23:59:50\", \"end\": \"1970-01-01 00:00:00\"}],"
                " [null, null, \"-Infinity\", null, null, \"2000-02-29 00:00:00\", null, null],"
                " [null, null, null, null, null, null, null, null]]");
    /* Numbers are JSON numbers of the right kind. */
    json_t *row0 = json_array_get(json_object_get(r, "rows"), 0);
    assert_true(json_is_integer(json_array_get(row0, 0)));
    assert_true(json_is_integer(json_array_get(row0, 1)));
    assert_true(json_is_real(json_array_get(row0, 2)));
}

/* Doubles come out in Java's shortest form (as Spark prints them), not
 * printf's 17 digits: 0.1, not 0.10000000000000001. */
static void test_cells_double_text(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'append'", "SELECT d FROM s");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    batch *b = rows_new(plan(x), 4);
    set_double(b, 0, 0, 0.1);
    set_double(b, 0, 1, 1e300);
    set_double(b, 0, 2, 100.0);
    set_double(b, 0, 3, -2.5e-7);
    publish1(lq, 0, b);
    size_t len;
    char *text = live_result_json(l, "q", &len);
    assert_non_null(strstr(text, "\"rows\":[[0.1],[1.0E300],[100.0],[-2.5E-7]]"));
    free(text);
}

/* Checks that string s (n bytes) is shown as the UTF-8 text `want`. */
static void assert_string_cell(const json_t *cell, const char *want, size_t wlen)
{
    assert_true(json_is_string(cell));
    if (json_string_length(cell) != wlen || memcmp(json_string_value(cell), want, wlen) != 0) {
        char *a = json_dumps(cell, JSON_ENCODE_ANY);
        print_error("got %s\n", a);
        free(a);
        fail();
    }
}

static void test_cells_invalid_utf8(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'append'", "SELECT state FROM s");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    static const struct {
        const char *in;
        size_t inlen;
        const char *out;
    } cases[] = {
        {"a\xff" "b", 3, "a\xEF\xBF\xBD" "b"},
        {"\xe2\x82" "x", 3, "\xEF\xBF\xBD\xEF\xBF\xBD" "x"},          /* truncated sequence */
        {"caf\xc3\xa9 \xc3", 7, "caf\xc3\xa9 \xEF\xBF\xBD"},             /* valid é, cut at end */
        {"\xc0\xaf", 2, "\xEF\xBF\xBD\xEF\xBF\xBD"},                      /* overlong '/' */
        {"\xed\xa0\x80!", 4, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD!"},    /* a surrogate */
        {"\xf0\x9f\x98\x80\x80", 5, "\xf0\x9f\x98\x80\xEF\xBF\xBD"},      /* emoji, stray byte */
        {"\xf8\x88\x80\x80\x80", 5,
         "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"}, /* 5-byte form */
    };
    int n = (int)(sizeof cases / sizeof cases[0]);
    batch *b = rows_new(plan(x), (uint32_t)n);
    for (int i = 0; i < n; i++)
        set_strn(b, 0, (uint32_t)i, cases[i].in, cases[i].inlen);
    publish1(lq, 0, b);
    /* The text itself must be valid JSON (strict UTF-8 in jansson). */
    json_t *r = result_of(l, "q");
    json_t *rows = json_object_get(r, "rows");
    assert_int_equal(json_array_size(rows), n);
    for (int i = 0; i < n; i++)
        assert_string_cell(json_array_get(json_array_get(rows, (size_t)i), 0), cases[i].out,
                           strlen(cases[i].out));
}

static void test_cells_html_and_escapes(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'append'", "SELECT state FROM s");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    static const char nul[] = "a\0b";
    static const char *const texts[] = {
        "<img src=x onerror=alert(1)>",
        "he said \"hi\"\nand\tleft\\ </script><script>alert('x')</script>",
        "\xe2\x80\xa8 line separator, \x7f del, \x1b esc",
    };
    batch *b = rows_new(plan(x), 4);
    for (int i = 0; i < 3; i++)
        set_str(b, 0, (uint32_t)i, texts[i]);
    set_strn(b, 0, 3, nul, 3);
    publish1(lq, 0, b);
    size_t len = 0;
    char *text = live_result_json(l, "q", &len);
    /* The text is one line (it goes into an SSE data: line as is). */
    assert_null(memchr(text, '\n', len));
    json_t *r = J(parse_owned(text, &len));
    json_t *rows = json_object_get(r, "rows");
    for (int i = 0; i < 3; i++)
        assert_string_cell(json_array_get(json_array_get(rows, (size_t)i), 0), texts[i],
                           strlen(texts[i]));
    assert_string_cell(json_array_get(json_array_get(rows, 3), 0), nul, 3);
}

/* A sink name or column alias is whatever bytes the pipeline file holds
 * between backquotes (the parser does not check UTF-8). The view must still
 * produce valid JSON (bad bytes as U+FFFD, as in cells) rather than crash:
 * live_add dereferences the NULL text json_pack/json_dumps give for a
 * non-UTF-8 name. Runs in a child process so that a crash fails only this
 * test; rejecting such SQL at bind time would pass too. */
static int check_bad_names(const query_plan *q)
{
    live *l = live_new();
    live_cursor *c = live_cursor_new(l);
    live_add(l, q, "id", "run");
    size_t len = 0;
    char *t = live_queries_json(l, &len);
    json_t *all = t ? json_loadb(t, len, 0, NULL) : NULL;
    free(t);
    json_t *e = json_array_get(json_object_get(all, "queries"), 0);
    json_t *want = json_string("b\xEF\xBF\xBD");
    int bad = !json_equal(json_object_get(e, "name"), want);
    json_decref(all);
    t = live_result_json(l, "b\xff", &len);
    json_t *r = t ? json_loadb(t, len, 0, NULL) : NULL;
    free(t);
    json_t *cols = json_pack("[s, s]", "c\xEF\xBF\xBD", "v");
    bad |= (!json_equal(json_object_get(r, "name"), want)) << 1;
    bad |= (!json_equal(json_object_get(r, "columns"), cols)) << 2;
    json_decref(r);
    json_decref(cols);
    json_decref(want);
    char *out = NULL;
    events ev = {0};
    bad |= (live_cursor_next(c, 1000, &out, &len) != 1 || sse_parse(out, len, &ev) != 0 ||
            ev.n != 1)
           << 3;
    free(out);
    events_free(&ev);
    live_cursor_free(c);
    live_free(l);
    return bad ? 0x10 | bad : 0; /* 0x10: not a sanitizer's exit code 1 */
}

static void test_invalid_utf8_names(void **unused)
{
    fx *x = try_bind_sink("`b\xff`", ", outputMode = 'append'", "SELECT state AS `c\xfe`, v FROM s");
    if (!x)
        return; /* rejected by the SQL front end: fine */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* Not cmocka's handlers: a crash must end the child, not resume
         * the test run in it. */
        static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGSYS};
        for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            signal(sigs[i], SIG_DFL);
        _exit(check_bad_names(plan(x)));
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (!WIFEXITED(st))
        print_error("live_add/readers crashed on a non-UTF-8 name (signal %d)\n",
                    WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    else if (WEXITSTATUS(st) & 0x10)
        print_error("invalid JSON for a non-UTF-8 name (failed checks 0x%x)\n",
                    WEXITSTATUS(st) & 0xf);
    else if (WEXITSTATUS(st))
        print_error("the child exited with %d (a sanitizer's report above?)\n", WEXITSTATUS(st));
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- progress ------------------------------------------------------------ */

static void test_progress_ring(void **unused)
{
    fx *x = bind_sink("Votes", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    size_t len = 0;
    json_t *p = J(parse_owned(live_progress_json(l, "votes", &len), &len));
    assert_json(p, "[]");

    for (int k = 0; k < 250; k++)
        publish_progress(lq, k);
    p = J(parse_owned(live_progress_json(l, "VOTES", &len), &len));
    assert_int_equal(json_array_size(p), LIVE_PROGRESS_KEEP);
    for (int i = 0; i < LIVE_PROGRESS_KEEP; i++) {
        json_t *o = json_array_get(p, (size_t)i);
        assert_true(json_equal(o, J(progress_obj(150 + i))));
    }

    /* Unknown names. */
    len = 12345;
    assert_null(live_progress_json(l, "vote", &len));
    assert_null(live_progress_json(l, "votes2", &len));
    assert_null(live_result_json(l, "nope", &len));
    assert_non_null(p = result_of(l, "vOtEs"));
    assert_json(json_object_get(p, "name"), "\"Votes\"");
}

/* ---- event cursors ------------------------------------------------------- */

static void test_cursor_sees_only_later(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    for (int k = 0; k < 5; k++) {
        publish_progress(lq, k);
        publish1(lq, k, keyed_rows(plan(x), "s", 0, k, 1));
    }
    live_cursor *c = new_cursor(l);
    publish_progress(lq, 5);
    events *ev = new_events();
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_string_equal(ev->names[0], "progress");
    json_t *want = J(progress_obj(5));
    json_t *data = J(json_pack("{s:s, s:O}", "name", "q", "progress", want));
    assert_true(json_equal(ev->data[0], data));
    events_free(ev);
}

static void test_cursor_timeout(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    publish_progress(lq, 0);
    live_cursor *c = new_cursor(l);
    char *out = (char *)"untouched";
    size_t len = 7;
    int64_t t0 = mono_us();
    assert_int_equal(live_cursor_next(c, 50, &out, &len), 0);
    int64_t waited = mono_us() - t0;
    assert_true(waited >= 45000);
    assert_true(waited < 1000000);
}

static void test_cursor_burst(void **unused)
{
    fx *x1 = bind_sink("q1", ", outputMode = 'complete'",
                       "SELECT state, count(*) AS n FROM s GROUP BY state");
    fx *x2 = bind_sink("q2", ", outputMode = 'append'", "SELECT state, v FROM s");
    live *l = new_live();
    live_query *lq1 = live_add(l, plan(x1), "id1", "run1");
    live_query *lq2 = live_add(l, plan(x2), "id2", "run2");
    live_cursor *c = new_cursor(l);
    for (int k = 0; k < 50; k++) {
        publish1(lq1, k, keyed_rows(plan(x1), "s", 0, k, 1));
        publish_progress(lq1, k);
        if (k < 3)
            publish_progress(lq2, 100 + k);
    }
    events *ev = new_events();
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 20 + 1 + 3);
    assert_int_equal(count_named(ev, "result"), 1);
    assert_int_equal(count_named(ev, "progress"), 23);
    assert_int_equal(count_named(ev, "status"), 0);
    int64_t next1 = 50 - LIVE_PROGRESS_BURST, next2 = 100;
    for (int i = 0; i < ev->n; i++) {
        if (strcmp(ev->names[i], "result") == 0) {
            assert_json(ev->data[i], "{\"name\": \"q1\", \"batchId\": 49,"
                                    " \"columns\": [\"state\", \"n\"],"
                                    " \"types\": [\"string\", \"bigint\"],"
                                    " \"rows\": [[\"s0\", 49]], \"totalRows\": 1,"
                                    " \"truncated\": false}");
            continue;
        }
        const char *name = json_string_value(json_object_get(ev->data[i], "name"));
        json_t *prog = json_object_get(ev->data[i], "progress");
        assert_int_equal(json_object_size(ev->data[i]), 2);
        if (strcmp(name, "q1") == 0)
            assert_int_equal(int_at(prog, "batchId"), next1++);
        else
            assert_int_equal(int_at(prog, "batchId"), next2++);
    }
    assert_int_equal(next1, 50);
    assert_int_equal(next2, 103);
    events_free(ev);

    /* Nothing more. */
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(live_cursor_next(c, 50, &out, &len), 0);

    /* A result without progress. */
    publish1(lq2, 0, keyed_rows(plan(x2), "t", 0, 0, 1));
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_string_equal(ev->names[0], "result");
    assert_json(ev->data[0], "{\"name\": \"q2\", \"batchId\": 0, \"columns\": [\"state\", \"v\"],"
                            " \"types\": [\"string\", \"bigint\"], \"rows\": [[\"t0\", 0]],"
                            " \"totalRows\": 1, \"truncated\": false}");
    events_free(ev);
}

static void test_cursor_status(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    /* A cursor opened before the query starts sees it start. */
    live_cursor *c = new_cursor(l);
    live_query *lq = live_add(l, plan(x), "id", "run");
    events *ev = new_events();
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_string_equal(ev->names[0], "status");
    assert_json(ev->data[0], "{\"name\": \"q\", \"status\": \"ACTIVE\", \"exception\": null}");
    events_free(ev);

    /* Fresh cursors (no rate limit to wait for) see each change. */
    live_cursor *c2 = new_cursor(l);
    live_set_status(lq, LIVE_FAILED, "Job aborted: \"x\" <b>\nline 2");
    next_events(c2, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_string_equal(ev->names[0], "status");
    assert_json(ev->data[0], "{\"name\": \"q\", \"status\": \"FAILED\","
                            " \"exception\": \"Job aborted: \\\"x\\\" <b>\\nline 2\"}");
    events_free(ev);

    live_cursor *c3 = new_cursor(l);
    live_set_status(lq, LIVE_STOPPED, NULL);
    next_events(c3, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_json(ev->data[0], "{\"name\": \"q\", \"status\": \"STOPPED\", \"exception\": null}");
    events_free(ev);

    /* The first cursor missed both: one status event, the current one. */
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_string_equal(ev->names[0], "status");
    assert_json(ev->data[0], "{\"name\": \"q\", \"status\": \"STOPPED\", \"exception\": null}");
    events_free(ev);
    json_t *e = query_entry(l, "q");
    assert_json(json_object_get(e, "status"), "\"STOPPED\"");
    assert_json(json_object_get(e, "exception"), "null");
}

/* An error text is shown whatever bytes it holds (an error message can
 * quote input data): invalid UTF-8 becomes U+FFFD, as in result cells,
 * rather than the text being dropped. */
static void test_status_exception_invalid_utf8(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    live_cursor *c = new_cursor(l);
    live_set_status(lq, LIVE_FAILED, "cannot parse '\xff' as INT");
    json_t *e = query_entry(l, "q");
    assert_json(json_object_get(e, "status"), "\"FAILED\"");
    assert_json(json_object_get(e, "exception"), "\"cannot parse '\\ufffd' as INT\"");
    events *ev = new_events();
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 1);
    assert_json(ev->data[0], "{\"name\": \"q\", \"status\": \"FAILED\","
                            " \"exception\": \"cannot parse '\\ufffd' as INT\"}");
    events_free(ev);
}

static void test_cursor_close(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'complete'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    live_cursor *c = new_cursor(l);
    live_cursor *idle = new_cursor(l);
    /* An idle cursor with nothing to send. */
    char *out = NULL;
    size_t len = 0;
    assert_int_equal(live_cursor_next(idle, 20, &out, &len), 0);

    publish1(lq, 0, keyed_rows(plan(x), "s", 0, 1, 1));
    publish_progress(lq, 0);
    live_set_status(lq, LIVE_STOPPED, NULL);
    live_close(l);
    live_close(l); /* idempotent */

    /* What is left, then the end. */
    events *ev = new_events();
    next_events(c, 1000, ev);
    assert_int_equal(ev->n, 3);
    assert_int_equal(count_named(ev, "status"), 1);
    for (int i = 0; i < ev->n; i++)
        if (strcmp(ev->names[i], "status") == 0)
            assert_json(ev->data[i],
                        "{\"name\": \"q\", \"status\": \"STOPPED\", \"exception\": null}");
    assert_int_equal(count_named(ev, "progress"), 1);
    assert_int_equal(count_named(ev, "result"), 1);
    events_free(ev);
    int64_t t0 = mono_us();
    out = NULL;
    assert_int_equal(live_cursor_next(c, 5000, &out, &len), -1);
    assert_int_equal(live_cursor_next(c, 5000, &out, &len), -1);
    assert_true(mono_us() - t0 < 1000000); /* no waiting for the timeout */

    /* The idle cursor gets the same events, then the end. */
    next_events(idle, 1000, ev);
    assert_int_equal(ev->n, 3);
    events_free(ev);
    assert_int_equal(live_cursor_next(idle, 5000, &out, &len), -1);

    /* A cursor opened after the close ends at once. */
    live_cursor *late = new_cursor(l);
    assert_int_equal(live_cursor_next(late, 5000, &out, &len), -1);
}

/* A reader blocked in live_cursor_next is woken by live_close. */
typedef struct waiter {
    live_cursor *c;
    int rc;
    int64_t waited_us;
} waiter;

static void *wait_main(void *arg)
{
    waiter *w = arg;
    char *out = NULL;
    size_t len = 0;
    int64_t t0 = mono_us();
    w->rc = live_cursor_next(w->c, 10000, &out, &len);
    w->waited_us = mono_us() - t0;
    if (w->rc == 1)
        free(out);
    return NULL;
}

static void test_cursor_close_wakes_reader(void **unused)
{
    live *l = new_live();
    waiter w = {new_cursor(l), 99, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_main, &w), 0);
    struct timespec ts = {0, 30 * 1000000L};
    nanosleep(&ts, NULL);
    live_close(l);
    pthread_join(t, NULL);
    assert_int_equal(w.rc, -1);
    assert_true(w.waited_us < 5000000);
}

/* ---- a publisher and readers at once ------------------------------------- */

#define NPUB 2000
#define NREADERS 2

typedef struct pub_ctx {
    const query_plan *q;
    live *l;
    live_query *lq;
} pub_ctx;

/* Publishes NPUB batches (result and progress) over a few tenths of a second, so
 * that the readers' rate-limited sends interleave with it, then stops. */
static void *publisher_main(void *arg)
{
    pub_ctx *p = arg;
    for (int k = 0; k < NPUB; k++) {
        batch *b = rows_new(p->q, 2);
        set_str(b, 0, 0, "a");
        set_int(b, 1, 0, k);
        set_str(b, 0, 1, k % 2 ? "odd" : "even");
        set_int(b, 1, 1, k);
        publish1(p->lq, k, b);
        json_t *pr = progress_obj(k);
        live_publish_progress(p->lq, json_dumps(pr, JSON_COMPACT | JSON_PRESERVE_ORDER));
        json_decref(pr);
        if (k % 8 == 7) {
            struct timespec ts = {0, 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    live_set_status(p->lq, LIVE_STOPPED, NULL);
    live_close(p->l);
    return NULL;
}

typedef struct poll_ctx {
    live *l;
    atomic_bool stop;
    int bad, reads;
} poll_ctx;

/* Polls the request endpoints while the publisher runs; counts texts that
 * are not valid JSON or go backwards. */
static void *poller_main(void *arg)
{
    poll_ctx *p = arg;
    int64_t last = -1;
    while (!atomic_load(&p->stop)) {
        size_t len;
        char *t = live_result_json(p->l, "q", &len);
        json_t *r = t ? json_loadb(t, len, 0, NULL) : NULL;
        json_t *bid = json_object_get(r, "batchId");
        if (!r || !json_is_integer(bid) || json_integer_value(bid) < last)
            p->bad++;
        else
            last = json_integer_value(bid);
        json_decref(r);
        free(t);
        t = live_progress_json(p->l, "q", &len);
        r = t ? json_loadb(t, len, 0, NULL) : NULL;
        if (!json_is_array(r) || json_array_size(r) > LIVE_PROGRESS_KEEP)
            p->bad++;
        json_decref(r);
        free(t);
        t = live_queries_json(p->l, &len);
        r = t ? json_loadb(t, len, 0, NULL) : NULL;
        if (!json_is_object(r))
            p->bad++;
        json_decref(r);
        free(t);
        p->reads++;
        struct timespec ts = {0, 200 * 1000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

/* What one event-stream reader saw. It records, never asserts: cmocka's
 * assertions belong to the main thread. */
typedef struct reader_ctx {
    live_cursor *c;
    int64_t last_result, last_progress;
    int nsends, nresults, nprogress, nstatus, ntimeouts, nmalformed;
    bool ordered, saw_stopped;
} reader_ctx;

static void *reader_main(void *arg)
{
    reader_ctx *r = arg;
    r->last_result = r->last_progress = -1;
    r->ordered = true;
    char *out = NULL;
    size_t len = 0;
    int rc;
    while ((rc = live_cursor_next(r->c, 5000, &out, &len)) != -1) {
        if (rc != 1) { /* the publisher never pauses for 5 s */
            r->ntimeouts++;
            continue;
        }
        events ev = {0};
        if (sse_parse(out, len, &ev) != 0)
            r->nmalformed++;
        free(out);
        r->nsends++;
        for (int i = 0; i < ev.n; i++) {
            if (strcmp(ev.names[i], "result") == 0) {
                int64_t b = json_integer_value(json_object_get(ev.data[i], "batchId"));
                r->ordered &= b > r->last_result;
                r->last_result = b;
                r->nresults++;
            } else if (strcmp(ev.names[i], "progress") == 0) {
                json_t *pr = json_object_get(ev.data[i], "progress");
                int64_t b = json_integer_value(json_object_get(pr, "batchId"));
                r->ordered &= b > r->last_progress;
                r->last_progress = b;
                r->nprogress++;
            } else if (strcmp(ev.names[i], "status") == 0) {
                const char *st = json_string_value(json_object_get(ev.data[i], "status"));
                r->saw_stopped = st && strcmp(st, "STOPPED") == 0;
                r->nstatus++;
            } else {
                r->nmalformed++;
            }
        }
        events_free(&ev);
    }
    return NULL;
}

static void test_concurrent_publisher_and_readers(void **unused)
{
    fx *x = bind_sink("q", ", outputMode = 'update'",
                      "SELECT state, count(*) AS n FROM s GROUP BY state");
    live *l = new_live();
    live_query *lq = live_add(l, plan(x), "id", "run");
    reader_ctx rd[NREADERS];
    memset(rd, 0, sizeof rd);
    for (int i = 0; i < NREADERS; i++)
        rd[i].c = new_cursor(l);
    pub_ctx pc = {plan(x), l, lq};
    poll_ctx pl = {.l = l};
    atomic_init(&pl.stop, false);

    /* Nothing may fail an assertion (and leave) while the threads run. */
    pthread_t readers[NREADERS], pub, poll;
    int rrc[NREADERS];
    int poll_rc = pthread_create(&poll, NULL, poller_main, &pl);
    for (int i = 0; i < NREADERS; i++)
        rrc[i] = pthread_create(&readers[i], NULL, reader_main, &rd[i]);
    int pub_rc = pthread_create(&pub, NULL, publisher_main, &pc);
    if (pub_rc != 0)
        live_close(l);
    if (pub_rc == 0)
        pthread_join(pub, NULL);
    for (int i = 0; i < NREADERS; i++)
        if (rrc[i] == 0)
            pthread_join(readers[i], NULL);
    atomic_store(&pl.stop, true);
    if (poll_rc == 0)
        pthread_join(poll, NULL);

    assert_int_equal(poll_rc, 0);
    assert_int_equal(pub_rc, 0);
    for (int i = 0; i < NREADERS; i++) {
        const reader_ctx *r = &rd[i];
        assert_int_equal(rrc[i], 0);
        assert_int_equal(r->ntimeouts, 0);
        assert_int_equal(r->nmalformed, 0);
        assert_true(r->ordered);
        /* Nothing final is lost: the last batch's result and progress, and
         * the final status, exactly once. */
        assert_int_equal(r->last_result, NPUB - 1);
        assert_int_equal(r->last_progress, NPUB - 1);
        assert_true(r->saw_stopped);
        assert_int_equal(r->nstatus, 1);
        /* Coalesced: at most one result and LIVE_PROGRESS_BURST progress
         * events per send. */
        assert_true(r->nresults >= 1 && r->nresults <= r->nsends);
        assert_true(r->nprogress <= r->nsends * LIVE_PROGRESS_BURST);
        assert_true(r->nsends < NPUB);
    }
    assert_int_equal(pl.bad, 0);
    assert_true(pl.reads > 0);

    /* The final view: three keys, upserted 2000 times. */
    json_t *r = result_of(l, "q");
    assert_json(r, "{\"name\": \"q\", \"batchId\": 1999, \"columns\": [\"state\", \"n\"],"
                   " \"types\": [\"string\", \"bigint\"],"
                   " \"rows\": [[\"a\", 1999], [\"even\", 1998], [\"odd\", 1999]],"
                   " \"totalRows\": 3, \"truncated\": false}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_keys_through_projection, teardown),
        cmocka_unit_test_teardown(test_keys_none, teardown),
        cmocka_unit_test_teardown(test_keys_current_timestamp_not_key, teardown),
        cmocka_unit_test_teardown(test_result_update_current_timestamp_upserts, teardown),
        cmocka_unit_test_teardown(test_chart_bar, teardown),
        cmocka_unit_test_teardown(test_chart_asked, teardown),
        cmocka_unit_test_teardown(test_chart_line, teardown),
        cmocka_unit_test_teardown(test_chart_table, teardown),
        cmocka_unit_test_teardown(test_queries_json, teardown),
        cmocka_unit_test_teardown(test_result_before_first_batch, teardown),
        cmocka_unit_test_teardown(test_result_complete_replaces, teardown),
        cmocka_unit_test_teardown(test_result_complete_truncated, teardown),
        cmocka_unit_test_teardown(test_result_update_upserts, teardown),
        cmocka_unit_test_teardown(test_result_update_composite_keys, teardown),
        cmocka_unit_test_teardown(test_result_update_keys_with_control_bytes, teardown),
        cmocka_unit_test_teardown(test_result_update_null_key_vs_string, teardown),
        cmocka_unit_test_teardown(test_result_update_many_keys, teardown),
        cmocka_unit_test_teardown(test_result_update_unknown_table_size_truncated, teardown),
        cmocka_unit_test_teardown(test_result_update_model, teardown),
        cmocka_unit_test_teardown(test_result_table_rows_only_in_update, teardown),
        cmocka_unit_test_teardown(test_result_update_without_keys, teardown),
        cmocka_unit_test_teardown(test_result_append_keeps_last_rows, teardown),
        cmocka_unit_test_teardown(test_keys_identify_rows, teardown),
        cmocka_unit_test_teardown(test_result_update_hidden_key_not_merged, teardown),
        cmocka_unit_test_teardown(test_cells, teardown),
        cmocka_unit_test_teardown(test_cells_double_text, teardown),
        cmocka_unit_test_teardown(test_cells_invalid_utf8, teardown),
        cmocka_unit_test_teardown(test_cells_html_and_escapes, teardown),
        cmocka_unit_test_teardown(test_invalid_utf8_names, teardown),
        cmocka_unit_test_teardown(test_progress_ring, teardown),
        cmocka_unit_test_teardown(test_cursor_sees_only_later, teardown),
        cmocka_unit_test_teardown(test_cursor_timeout, teardown),
        cmocka_unit_test_teardown(test_cursor_burst, teardown),
        cmocka_unit_test_teardown(test_cursor_status, teardown),
        cmocka_unit_test_teardown(test_status_exception_invalid_utf8, teardown),
        cmocka_unit_test_teardown(test_cursor_close, teardown),
        cmocka_unit_test_teardown(test_cursor_close_wakes_reader, teardown),
        cmocka_unit_test_teardown(test_concurrent_publisher_and_readers, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
