/* Unit tests for the csv and json file sinks: file names and contents,
 * partition directories, atomic writes and exactly-once re-runs. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/fsio.h"
#include "core/options.h"
#include "core/types.h"
#include "core/valuefmt.h"
#include "io/sink.h"

#define TS_1400 INT64_C(1730815200000000) /* 2024-11-05 14:00:00 UTC */
#define SEC INT64_C(1000000)

static value v_null(void)
{
    return (value){.type = TYPE_NULL, .is_null = true};
}

static value v_str(const char *s)
{
    value v = {.type = TYPE_STRING};
    v.v.s = (strv){s, (uint32_t)strlen(s)};
    return v;
}

static value v_int(int32_t x)
{
    value v = {.type = TYPE_INT};
    v.v.i32 = x;
    return v;
}

static value v_long(int64_t x)
{
    value v = {.type = TYPE_BIGINT};
    v.v.i64 = x;
    return v;
}

static value v_double(double x)
{
    value v = {.type = TYPE_DOUBLE};
    v.v.f64 = x;
    return v;
}

static value v_bool(bool x)
{
    value v = {.type = TYPE_BOOLEAN};
    v.v.b = x;
    return v;
}

static value v_ts(int64_t us)
{
    value v = {.type = TYPE_TIMESTAMP};
    v.v.i64 = us;
    return v;
}

static value v_date(int32_t days)
{
    value v = {.type = TYPE_DATE};
    v.v.i32 = days;
    return v;
}

static value v_win(int64_t start, int64_t end)
{
    value v = {.type = TYPE_WINDOW};
    v.v.w = (window_val){start, end};
    return v;
}

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

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    textbuf b;
    textbuf_init(&b);
    textbuf_reserve(&b, 0);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        textbuf_put(&b, chunk, n);
    fclose(f);
    return b.data;
}

static void expect_file(const char *dir, const char *rel, const char *want)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *got = read_all(path);
    if (!got)
        fail_msg("missing file %s", rel);
    assert_string_equal(got, want);
    free(got);
}

/* Every file below root, relative paths, sorted, one per line. */
static char **listing;
static int nlisting;
static size_t root_len;

static int collect(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag == FTW_F) {
        listing = realloc(listing, sizeof *listing * (size_t)(nlisting + 1));
        listing[nlisting++] = strdup(path + root_len + 1);
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void expect_listing(const char *root, const char *want)
{
    listing = NULL;
    nlisting = 0;
    root_len = strlen(root);
    nftw(root, collect, 16, FTW_PHYS);
    qsort(listing, (size_t)nlisting, sizeof *listing, cmp_str);
    textbuf b;
    textbuf_init(&b);
    textbuf_reserve(&b, 0);
    for (int i = 0; i < nlisting; i++) {
        textbuf_puts(&b, listing[i]);
        textbuf_putc(&b, '\n');
        free(listing[i]);
    }
    free(listing);
    assert_string_equal(b.data, want);
    textbuf_free(&b);
}

typedef struct fixture {
    char root[64];
    char out[128];
    options opts;
} fixture;

static int setup(void **state)
{
    fixture *fx = calloc(1, sizeof *fx);
    strcpy(fx->root, "/tmp/eddy_sink_file_XXXXXX");
    if (!mkdtemp(fx->root))
        return -1;
    snprintf(fx->out, sizeof fx->out, "%s/out", fx->root);
    options_init(&fx->opts);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    fixture *fx = *state;
    rm_tree(fx->root);
    options_free(&fx->opts);
    free(fx);
    return 0;
}

static void *open_sink(fixture *fx, const char *format, const schema *s)
{
    options_set(&fx->opts, "format", format, 0, 0);
    options_set(&fx->opts, "path", fx->out, 0, 0);
    sink_open_args args = {.query_name = "q", .opts = &fx->opts, .schema = s,
                           .mode = OUTPUT_APPEND, .console = stdout};
    eddy_error err = {0};
    void *st = NULL;
    int rc = sink_lookup(format)->open(&args, &st, &err);
    if (rc != 0)
        fail_msg("open failed: %s", err.message);
    return st;
}

static void add(const char *format, void *sink, int64_t id, batch *const *parts, int n)
{
    eddy_error err = {0};
    int rc = sink_lookup(format)->add_batch(sink, id, parts, n, &err);
    if (rc != 0)
        fail_msg("add_batch failed: %s", err.message);
}

static void test_csv_fields_and_parts(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "id", TYPE_INT);
    schema_add(&s, "name", TYPE_STRING);
    schema_add(&s, "ts", TYPE_TIMESTAMP);
    schema_add(&s, "d", TYPE_DOUBLE);
    schema_add(&s, "ok", TYPE_BOOLEAN);
    value p0[] = {
        v_int(1), v_str("plain"), v_ts(TS_1400), v_double(0.5), v_bool(true),
        v_int(2), v_str("a,b"), v_ts(TS_1400 + 123456), v_double(1e7), v_bool(false),
        v_int(3), v_str("say \"hi\""), v_null(), v_null(), v_null(),
    };
    value p1[] = {
        v_int(4), v_str(""), v_ts(TS_1400), v_double(-0.0), v_bool(true),
        v_int(5), v_null(), v_ts(TS_1400), v_double(1e-4), v_bool(true),
        v_int(6), v_str("  padded  "), v_ts(TS_1400), v_double(2.0), v_bool(true),
        v_int(7), v_str("line\nbreak"), v_ts(-SEC), v_double(3.0), v_bool(true),
    };
    batch *parts[] = {make_batch(&s, 3, p0), make_batch(&s, 4, p1)};
    options_set(&fx->opts, "header", "true", 0, 0);
    void *sink = open_sink(fx, "csv", &s);
    add("csv", sink, 3, parts, 2);
    expect_listing(fx->out,
                   "_eddy_metadata/3\n"
                   "part-00003-00000.csv\n"
                   "part-00003-00001.csv\n");
    expect_file(fx->out, "part-00003-00000.csv",
                "id,name,ts,d,ok\n"
                "1,plain,2024-11-05T14:00:00.000Z,0.5,true\n"
                "2,\"a,b\",2024-11-05T14:00:00.123Z,1.0E7,false\n"
                "3,\"say \\\"hi\\\"\",,,\n");
    expect_file(fx->out, "part-00003-00001.csv",
                "id,name,ts,d,ok\n"
                "4,\"\",2024-11-05T14:00:00.000Z,-0.0,true\n"
                "5,,2024-11-05T14:00:00.000Z,1.0E-4,true\n"
                "6,padded,2024-11-05T14:00:00.000Z,2.0,true\n"
                "7,\"line\nbreak\",1969-12-31T23:59:59.000Z,3.0,true\n");
    expect_file(fx->out, "_eddy_metadata/3",
                "v1\n"
                "{\"path\":\"part-00003-00000.csv\",\"size\":121,\"action\":\"add\"}\n"
                "{\"path\":\"part-00003-00001.csv\",\"size\":188,\"action\":\"add\"}\n");
    sink_lookup("csv")->close(sink);
    batch_free(parts[0]);
    batch_free(parts[1]);
    schema_free(&s);
}

static void test_csv_sep_and_null_value(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "a", TYPE_STRING);
    schema_add(&s, "b", TYPE_BIGINT);
    value rows[] = {v_str("x;y"), v_long(-1), v_null(), v_long(2), v_str("a,b"), v_null()};
    batch *b = make_batch(&s, 3, rows);
    options_set(&fx->opts, "sep", ";", 0, 0);
    options_set(&fx->opts, "nullValue", "NA", 0, 0);
    void *sink = open_sink(fx, "CSV", &s);
    add("csv", sink, 0, &b, 1);
    expect_file(fx->out, "part-00000-00000.csv", "\"x;y\";-1\nNA;2\na,b;NA\n");
    sink_lookup("csv")->close(sink);
    batch_free(b);
    schema_free(&s);
}

static void test_json_lines(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "window", TYPE_WINDOW);
    schema_add(&s, "name", TYPE_STRING);
    schema_add(&s, "n", TYPE_BIGINT);
    schema_add(&s, "d", TYPE_DOUBLE);
    schema_add(&s, "day", TYPE_DATE);
    schema_add(&s, "ok", TYPE_BOOLEAN);
    value rows[] = {
        v_win(TS_1400, TS_1400 + 10 * SEC), v_str("tab\there \"q\" \\ \x01/"), v_long(5),
        v_double(NAN), v_date(20032), v_bool(true),
        v_null(), v_str("日本"), v_null(), v_double(2.5), v_null(), v_null(),
        v_null(), v_null(), v_null(), v_null(), v_null(), v_null(),
        v_null(), v_null(), v_long(-7), v_double(1e21), v_null(), v_bool(false),
    };
    batch *b = make_batch(&s, 4, rows);
    void *sink = open_sink(fx, "json", &s);
    add("json", sink, 12, &b, 1);
    expect_listing(fx->out, "_eddy_metadata/12\npart-00012-00000.json\n");
    expect_file(fx->out, "part-00012-00000.json",
                "{\"window\":{\"start\":\"2024-11-05T14:00:00.000Z\","
                "\"end\":\"2024-11-05T14:00:10.000Z\"},"
                "\"name\":\"tab\\there \\\"q\\\" \\\\ \\u0001/\",\"n\":5,\"d\":\"NaN\","
                "\"day\":\"2024-11-05\",\"ok\":true}\n"
                "{\"name\":\"日本\",\"d\":2.5}\n"
                "{}\n"
                "{\"n\":-7,\"d\":1.0E21,\"ok\":false}\n");
    sink_lookup("json")->close(sink);

    options_set(&fx->opts, "ignoreNullFields", "false", 0, 0);
    sink = open_sink(fx, "json", &s);
    add("json", sink, 13, &b, 1);
    char path[256];
    snprintf(path, sizeof path, "%s/part-00013-00000.json", fx->out);
    char *got = read_all(path);
    assert_non_null(got);
    assert_non_null(strstr(got, "\n{\"window\":null,\"name\":null,\"n\":null,\"d\":null,"
                                "\"day\":null,\"ok\":null}\n"));
    free(got);
    sink_lookup("json")->close(sink);
    batch_free(b);
    schema_free(&s);
}

static void test_partition_directories(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "state", TYPE_STRING);
    schema_add(&s, "ts", TYPE_TIMESTAMP);
    schema_add(&s, "n", TYPE_INT);
    value rows[] = {
        v_str("CA"), v_ts(TS_1400), v_int(1),
        v_str("a/b"), v_ts(TS_1400), v_int(2),
        v_null(), v_ts(TS_1400), v_int(3),
        v_str(""), v_ts(TS_1400 + SEC / 2), v_int(4),
        v_str("CA"), v_ts(TS_1400), v_int(5),
    };
    batch *b = make_batch(&s, 5, rows);
    options_set(&fx->opts, "partitionBy", "state, TS", 0, 0);
    void *sink = open_sink(fx, "json", &s);
    add("json", sink, 0, &b, 1);
    expect_listing(fx->out,
                   "_eddy_metadata/0\n"
                   "state=CA/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json\n"
                   "state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00.5/"
                   "part-00000-00000.json\n"
                   "state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00/"
                   "part-00000-00000.json\n"
                   "state=a%2Fb/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json\n");
    expect_file(fx->out, "state=CA/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json",
                "{\"n\":1}\n{\"n\":5}\n");
    expect_file(fx->out, "state=a%2Fb/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json",
                "{\"n\":2}\n");
    expect_file(fx->out,
                "state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00/"
                "part-00000-00000.json",
                "{\"n\":3}\n");
    expect_file(fx->out,
                "state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00.5/"
                "part-00000-00000.json",
                "{\"n\":4}\n");
    expect_file(fx->out, "_eddy_metadata/0",
                "v1\n"
                "{\"path\":\"state=CA/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json\","
                "\"size\":16,\"action\":\"add\"}\n"
                "{\"path\":\"state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00/"
                "part-00000-00000.json\",\"size\":8,\"action\":\"add\"}\n"
                "{\"path\":\"state=__HIVE_DEFAULT_PARTITION__/ts=2024-11-05 14%3A00%3A00.5/"
                "part-00000-00000.json\",\"size\":8,\"action\":\"add\"}\n"
                "{\"path\":\"state=a%2Fb/ts=2024-11-05 14%3A00%3A00/part-00000-00000.json\","
                "\"size\":8,\"action\":\"add\"}\n");
    sink_lookup("json")->close(sink);
    batch_free(b);
    schema_free(&s);
}

static void test_rerun_skips_or_replaces(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "v", TYPE_STRING);
    value first[] = {v_str("first")};
    value second[] = {v_str("second")};
    batch *b1 = make_batch(&s, 1, first);
    batch *b2 = make_batch(&s, 1, second);
    void *sink = open_sink(fx, "csv", &s);
    add("csv", sink, 0, &b1, 1);
    expect_file(fx->out, "part-00000-00000.csv", "first\n");

    /* Committed: a re-run of batch 0 is skipped. */
    add("csv", sink, 0, &b2, 1);
    expect_file(fx->out, "part-00000-00000.csv", "first\n");

    /* Not committed (crash before the log entry): the re-run replaces. */
    char path[512];
    snprintf(path, sizeof path, "%s/_eddy_metadata/0", fx->out);
    assert_int_equal(unlink(path), 0);
    add("csv", sink, 0, &b2, 1);
    expect_file(fx->out, "part-00000-00000.csv", "second\n");

    /* An interrupted attempt at batch 1 left a pending marker, a file this
     * attempt does not produce and a temporary: both go. */
    snprintf(path, sizeof path, "%s/_eddy_metadata/.1.pending", fx->out);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/part-00001-00007.csv", fx->out);
    fclose(fopen(path, "w"));
    snprintf(path, sizeof path, "%s/.part-00001-00003.csv.tmp", fx->out);
    fclose(fopen(path, "w"));
    add("csv", sink, 1, &b1, 1);
    expect_listing(fx->out,
                   "_eddy_metadata/0\n"
                   "_eddy_metadata/1\n"
                   "part-00000-00000.csv\n"
                   "part-00001-00000.csv\n");

    /* Empty batches write nothing. */
    batch *empty = make_batch(&s, 0, NULL);
    add("csv", sink, 2, &empty, 1);
    add("csv", sink, 3, NULL, 0);
    expect_listing(fx->out,
                   "_eddy_metadata/0\n"
                   "_eddy_metadata/1\n"
                   "part-00000-00000.csv\n"
                   "part-00001-00000.csv\n");
    sink_lookup("csv")->close(sink);
    batch_free(b1);
    batch_free(b2);
    batch_free(empty);
    schema_free(&s);
}

/* Every regular file below root and its contents, sorted by path, in one
 * malloc'd string. Hidden files are left out; *ntmp counts the ".tmp" ones. */
static int ntmp_seen;

static int collect_all(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    if (flag != FTW_F)
        return 0;
    const char *base = path + ftw->base;
    size_t n = strlen(base);
    if (base[0] == '.') {
        if (n > 4 && strcmp(base + n - 4, ".tmp") == 0)
            ntmp_seen++;
        return 0;
    }
    listing = realloc(listing, sizeof *listing * (size_t)(nlisting + 1));
    listing[nlisting++] = strdup(path + root_len + 1);
    return 0;
}

static char *snapshot(const char *root, int *ntmp)
{
    listing = NULL;
    nlisting = 0;
    ntmp_seen = 0;
    root_len = strlen(root);
    nftw(root, collect_all, 16, FTW_PHYS);
    if (nlisting)
        qsort(listing, (size_t)nlisting, sizeof *listing, cmp_str);
    textbuf b;
    textbuf_init(&b);
    textbuf_reserve(&b, 0);
    for (int i = 0; i < nlisting; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", root, listing[i]);
        char *text = read_all(path);
        textbuf_puts(&b, "== ");
        textbuf_puts(&b, listing[i]);
        textbuf_putc(&b, '\n');
        textbuf_puts(&b, text ? text : "(unreadable)");
        free(text);
        free(listing[i]);
    }
    free(listing);
    *ntmp = ntmp_seen;
    return b.data;
}

static void set_fault(const char *spec)
{
    if (spec)
        setenv("EDDY_FAULT", spec, 1);
    else
        unsetenv("EDDY_FAULT");
    fsio_fault_reset_for_tests();
}

/* Issue 4: every write, fsync and rename of a batch in turn fails (as
 * EDDY_FAULT injects it); the batch reports an error naming the file and
 * the cause, leaves no temporary file, and a retry of the same batch
 * produces exactly the files of a run without faults. */
static void test_fault_then_retry(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "k", TYPE_STRING);
    schema_add(&s, "v", TYPE_BIGINT);
    value p0[] = {v_str("a"), v_long(1), v_str("b"), v_long(2)};
    value p1[] = {v_str("b"), v_long(3), v_str("a"), v_long(4), v_str("a"), v_long(5)};
    batch *parts[] = {make_batch(&s, 2, p0), make_batch(&s, 3, p1)};
    options_set(&fx->opts, "partitionBy", "k", 0, 0);
    options_set(&fx->opts, "header", "true", 0, 0);

    set_fault(NULL);
    void *sink = open_sink(fx, "csv", &s);
    add("csv", sink, 0, parts, 2);
    sink_lookup("csv")->close(sink);
    uint64_t calls[3] = {fsio_calls(FSIO_WRITE), fsio_calls(FSIO_FSYNC),
                         fsio_calls(FSIO_RENAME)};
    int ntmp;
    char *want = snapshot(fx->out, &ntmp);
    assert_int_equal(ntmp, 0);
    /* 4 part files and the log entry; their fsyncs, 3 directories, the
     * pending marker's and the log's directory. */
    assert_int_equal(calls[0], 5);
    assert_int_equal(calls[1], 10);
    assert_int_equal(calls[2], 5);

    static const char *const ops[] = {"write", "fsync", "rename"};
    static const char *const actions[] = {"ENOSPC", "EIO", "EDQUOT", "EROFS"};
    static const int errnos[] = {ENOSPC, EIO, EDQUOT, EROFS};
    int variant = 0;
    for (int op = 0; op < 3; op++) {
        for (uint64_t n = 1; n <= calls[op]; n++, variant++) {
            rm_tree(fx->out);
            char spec[64];
            snprintf(spec, sizeof spec, "%s:%llu:%s", ops[op], (unsigned long long)n,
                     actions[variant % 4]);
            set_fault(spec);
            sink = open_sink(fx, "csv", &s);
            eddy_error err = {0};
            assert_int_equal(sink_lookup("csv")->add_batch(sink, 0, parts, 2, &err), -EDDY_IO);
            char prefix[256];
            snprintf(prefix, sizeof prefix, "csv sink '%s', batch 0: cannot ", fx->out);
            if (strncmp(err.message, prefix, strlen(prefix)) != 0 ||
                !strstr(err.message, strerror(errnos[variant % 4])) ||
                !strstr(err.message + strlen(prefix), fx->out))
                fail_msg("%s: unexpected message '%s'", spec, err.message);
            char *got = snapshot(fx->out, &ntmp);
            if (ntmp != 0)
                fail_msg("%s: %d temporary files left", spec, ntmp);
            free(got);

            set_fault(NULL);
            add("csv", sink, 0, parts, 2);
            sink_lookup("csv")->close(sink);
            got = snapshot(fx->out, &ntmp);
            assert_int_equal(ntmp, 0);
            if (strcmp(got, want) != 0)
                fail_msg("%s: after the retry\n%s\nexpected\n%s", spec, got, want);
            free(got);
        }
    }

    /* The exact message of the first write failing. */
    rm_tree(fx->out);
    set_fault("write:1:ENOSPC");
    sink = open_sink(fx, "csv", &s);
    eddy_error err = {0};
    assert_int_equal(sink_lookup("csv")->add_batch(sink, 0, parts, 2, &err), -EDDY_IO);
    char message[512];
    snprintf(message, sizeof message,
             "csv sink '%s', batch 0: cannot write '%s/k=a/.part-00000-00000.csv.tmp': "
             "No space left on device", fx->out, fx->out);
    assert_string_equal(err.message, message);
    set_fault(NULL);
    sink_lookup("csv")->close(sink);

    free(want);
    batch_free(parts[0]);
    batch_free(parts[1]);
    schema_free(&s);
}

static void expect_open_error(fixture *fx, const char *format, const schema *s, int code,
                              const char *message)
{
    sink_open_args args = {.query_name = "q", .opts = &fx->opts, .schema = s,
                           .mode = OUTPUT_APPEND, .console = stdout};
    eddy_error err = {0};
    void *st = NULL;
    assert_int_equal(sink_lookup(format)->open(&args, &st, &err), -code);
    assert_string_equal(err.message, message);
}

static void test_open_errors(void **state)
{
    fixture *fx = *state;
    schema s;
    schema_init(&s);
    schema_add(&s, "window", TYPE_WINDOW);
    schema_add(&s, "n", TYPE_BIGINT);
    expect_open_error(fx, "csv", &s, EDDY_SQL,
                      "csv sink: option 'path' is required (the output directory)");
    options_set(&fx->opts, "path", fx->out, 0, 0);
    expect_open_error(fx, "csv", &s, EDDY_SQL,
                      "csv sink: the CSV format cannot write the column 'window' of type "
                      "struct<start:timestamp,end:timestamp>; select window.start and "
                      "window.end instead");
    options_set(&fx->opts, "partitionBy", "n, nope", 0, 0);
    expect_open_error(fx, "json", &s, EDDY_SQL,
                      "option 'partitionBy': column 'nope' is not in the result columns "
                      "(window, n)");
    options_set(&fx->opts, "partitionBy", "window", 0, 0);
    expect_open_error(fx, "json", &s, EDDY_SQL,
                      "option 'partitionBy': cannot partition by the struct column 'window'; "
                      "partition by window.start instead");
    schema_free(&s);
    schema_init(&s);
    schema_add(&s, "a", TYPE_STRING);
    options_set(&fx->opts, "partitionBy", "a", 0, 0);
    expect_open_error(fx, "csv", &s, EDDY_SQL,
                      "option 'partitionBy': cannot use all columns for partition columns");

    char file[256], message[512];
    snprintf(file, sizeof file, "%s/plain", fx->root);
    fclose(fopen(file, "w"));
    snprintf(file, sizeof file, "%s/plain/out", fx->root);
    options_set(&fx->opts, "partitionBy", "", 0, 0);
    options_set(&fx->opts, "path", file, 0, 0);
    snprintf(message, sizeof message, "cannot create directory '%s/plain/out': Not a directory",
             fx->root);
    expect_open_error(fx, "csv", &s, EDDY_IO, message);
    schema_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_fields_and_parts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_sep_and_null_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_partition_directories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_skips_or_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fault_then_retry, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
