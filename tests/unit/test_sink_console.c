/* Unit tests for the console sink: Spark's ConsoleSink/showString text, byte
 * for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/options.h"
#include "core/types.h"
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

static value v_win(int64_t start, int64_t end)
{
    value v = {.type = TYPE_WINDOW};
    v.v.w = (window_val){start, end};
    return v;
}

/* A batch with the schema's types holding nrows rows of vals (row-major). */
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

/* Console output captured in memory. */
typedef struct capture {
    FILE *f;
    char *buf;
    size_t len;
    const sink_ops *ops;
    void *sink;
    options opts;
} capture;

static void capture_open(capture *cap, const schema *s, const char *num_rows,
                         const char *truncate)
{
    memset(cap, 0, sizeof *cap);
    cap->f = open_memstream(&cap->buf, &cap->len);
    assert_non_null(cap->f);
    options_init(&cap->opts);
    options_set(&cap->opts, "format", "console", 0, 0);
    if (num_rows)
        options_set(&cap->opts, "numRows", num_rows, 0, 0);
    if (truncate)
        options_set(&cap->opts, "truncate", truncate, 0, 0);
    cap->ops = sink_lookup("console");
    assert_non_null(cap->ops);
    sink_open_args args = {.query_name = "q", .opts = &cap->opts, .schema = s,
                           .mode = OUTPUT_COMPLETE, .console = cap->f};
    eddy_error err = {0};
    assert_int_equal(cap->ops->open(&args, &cap->sink, &err), 0);
}

/* Writes one batch and checks the text printed for it. */
static void expect_batch(capture *cap, int64_t batch_id, batch *const *parts, int nparts,
                         const char *want)
{
    eddy_error err = {0};
    size_t before = cap->len;
    assert_int_equal(cap->ops->add_batch(cap->sink, batch_id, parts, nparts, &err), 0);
    assert_string_equal(cap->buf + before, want);
}

static void capture_close(capture *cap)
{
    cap->ops->close(cap->sink);
    fclose(cap->f);
    free(cap->buf);
    options_free(&cap->opts);
}

static void test_ints_and_strings(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "event", TYPE_STRING);
    schema_add(&s, "count", TYPE_BIGINT);
    value rows[] = {v_str("login"), v_long(15), v_str("view"), v_long(20),
                    v_str("purchase"), v_long(3)};
    batch *b1 = make_batch(&s, 2, rows);
    batch *b2 = make_batch(&s, 1, rows + 4);
    batch *parts[] = {b1, b2};
    capture cap;
    capture_open(&cap, &s, NULL, NULL);
    expect_batch(&cap, 0, parts, 2,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+--------+-----+\n"
        "|   event|count|\n"
        "+--------+-----+\n"
        "|   login|   15|\n"
        "|    view|   20|\n"
        "|purchase|    3|\n"
        "+--------+-----+\n"
        "\n");
    capture_close(&cap);
    batch_free(b1);
    batch_free(b2);
    schema_free(&s);
}

static void test_mixed_types_nulls_and_cuts(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "s", TYPE_STRING);
    schema_add(&s, "n", TYPE_INT);
    schema_add(&s, "d", TYPE_DOUBLE);
    schema_add(&s, "ts", TYPE_TIMESTAMP);
    schema_add(&s, "w", TYPE_WINDOW);
    schema_add(&s, "b", TYPE_BOOLEAN);
    value rows[] = {
        v_str("a very long string that is cut"), v_int(1), v_double(0.1), v_ts(TS_1400),
        v_win(TS_1400, TS_1400 + 10 * SEC), v_bool(true),
        v_null(), v_null(), v_double(1e7), v_ts(TS_1400 + SEC / 2), v_null(), v_bool(false),
        v_str("short"), v_int(-42), v_double(-0.0), v_null(),
        v_win(TS_1400 + 10 * SEC, TS_1400 + 20 * SEC), v_null(),
    };
    batch *b = make_batch(&s, 3, rows);
    capture cap;
    capture_open(&cap, &s, NULL, "true");
    expect_batch(&cap, 3, &b, 1,
        "-------------------------------------------\n"
        "Batch: 3\n"
        "-------------------------------------------\n"
        "+--------------------+----+-----+--------------------+--------------------+-----+\n"
        "|                   s|   n|    d|                  ts|                   w|    b|\n"
        "+--------------------+----+-----+--------------------+--------------------+-----+\n"
        "|a very long strin...|   1|  0.1| 2024-11-05 14:00:00|{2024-11-05 14:00...| true|\n"
        "|                NULL|NULL|1.0E7|2024-11-05 14:00:...|                NULL|false|\n"
        "|               short| -42| -0.0|                NULL|{2024-11-05 14:00...| NULL|\n"
        "+--------------------+----+-----+--------------------+--------------------+-----+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_more_rows_than_shown(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "value", TYPE_BIGINT);
    value rows[25];
    for (int i = 0; i < 25; i++)
        rows[i] = v_long(i);
    batch *b1 = make_batch(&s, 15, rows);
    batch *b2 = make_batch(&s, 10, rows + 15);
    batch *parts[] = {b1, b2};
    capture cap;
    capture_open(&cap, &s, NULL, NULL);
    expect_batch(&cap, 1, parts, 2,
        "-------------------------------------------\n"
        "Batch: 1\n"
        "-------------------------------------------\n"
        "+-----+\n"
        "|value|\n"
        "+-----+\n"
        "|    0|\n"
        "|    1|\n"
        "|    2|\n"
        "|    3|\n"
        "|    4|\n"
        "|    5|\n"
        "|    6|\n"
        "|    7|\n"
        "|    8|\n"
        "|    9|\n"
        "|   10|\n"
        "|   11|\n"
        "|   12|\n"
        "|   13|\n"
        "|   14|\n"
        "|   15|\n"
        "|   16|\n"
        "|   17|\n"
        "|   18|\n"
        "|   19|\n"
        "+-----+\n"
        "only showing top 20 rows\n"
        "\n");
    capture_close(&cap);

    value ab[] = {v_str("a"), v_str("b")};
    schema t;
    schema_init(&t);
    schema_add(&t, "value", TYPE_STRING);
    batch *b3 = make_batch(&t, 2, ab);
    capture_open(&cap, &t, "1", NULL);
    expect_batch(&cap, 2, &b3, 1,
        "-------------------------------------------\n"
        "Batch: 2\n"
        "-------------------------------------------\n"
        "+-----+\n"
        "|value|\n"
        "+-----+\n"
        "|    a|\n"
        "+-----+\n"
        "only showing top 1 row\n"
        "\n");
    capture_close(&cap);
    batch_free(b1);
    batch_free(b2);
    batch_free(b3);
    schema_free(&s);
    schema_free(&t);
}

static void test_truncate_false_left_aligns(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "name", TYPE_STRING);
    schema_add(&s, "w", TYPE_WINDOW);
    value rows[] = {v_str("a very long string that is not cut"),
                    v_win(TS_1400, TS_1400 + 10 * SEC), v_str("x"), v_null()};
    batch *b = make_batch(&s, 2, rows);
    capture cap;
    capture_open(&cap, &s, NULL, "false");
    expect_batch(&cap, 0, &b, 1,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+----------------------------------+------------------------------------------+\n"
        "|name                              |w                                         |\n"
        "+----------------------------------+------------------------------------------+\n"
        "|a very long string that is not cut|{2024-11-05 14:00:00, 2024-11-05 14:00:10}|\n"
        "|x                                 |NULL                                      |\n"
        "+----------------------------------+------------------------------------------+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_empty_batch_prints_header(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "window", TYPE_WINDOW);
    schema_add(&s, "count", TYPE_BIGINT);
    capture cap;
    capture_open(&cap, &s, NULL, NULL);
    expect_batch(&cap, 7, NULL, 0,
        "-------------------------------------------\n"
        "Batch: 7\n"
        "-------------------------------------------\n"
        "+------+-----+\n"
        "|window|count|\n"
        "+------+-----+\n"
        "+------+-----+\n"
        "\n");
    batch *b = make_batch(&s, 0, NULL);
    expect_batch(&cap, 8, &b, 1,
        "-------------------------------------------\n"
        "Batch: 8\n"
        "-------------------------------------------\n"
        "+------+-----+\n"
        "|window|count|\n"
        "+------+-----+\n"
        "+------+-----+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_wide_characters(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "名前", TYPE_STRING);
    schema_add(&s, "n", TYPE_INT);
    value rows[] = {v_str("日本語"), v_int(1), v_str("abc"), v_int(22),
                    v_str("日本語日本語日本語日本語日本語日本語日本語"), v_int(3)};
    batch *b = make_batch(&s, 3, rows);
    capture cap;
    capture_open(&cap, &s, NULL, NULL);
    expect_batch(&cap, 0, &b, 1,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+-------------------------------------+---+\n"
        "|                                 名前|  n|\n"
        "+-------------------------------------+---+\n"
        "|                               日本語|  1|\n"
        "|                                  abc| 22|\n"
        "|日本語日本語日本語日本語日本語日本...|  3|\n"
        "+-------------------------------------+---+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_meta_characters_escaped(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "a\tb", TYPE_STRING);
    value rows[] = {v_str("line1\nline2"), v_str("tab\there")};
    batch *b = make_batch(&s, 2, rows);
    capture cap;
    capture_open(&cap, &s, NULL, NULL);
    expect_batch(&cap, 0, &b, 1,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+------------+\n"
        "|        a\\tb|\n"
        "+------------+\n"
        "|line1\\nline2|\n"
        "|   tab\\there|\n"
        "+------------+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_numeric_truncate(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "word", TYPE_STRING);
    value rows[] = {v_str("abcdef"), v_str("ab")};
    batch *b = make_batch(&s, 2, rows);
    capture cap;
    capture_open(&cap, &s, NULL, "3");
    expect_batch(&cap, 0, &b, 1,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+----+\n"
        "|word|\n"
        "+----+\n"
        "| abc|\n"
        "|  ab|\n"
        "+----+\n"
        "\n");
    capture_close(&cap);
    capture_open(&cap, &s, NULL, "5");
    expect_batch(&cap, 0, &b, 1,
        "-------------------------------------------\n"
        "Batch: 0\n"
        "-------------------------------------------\n"
        "+-----+\n"
        "| word|\n"
        "+-----+\n"
        "|ab...|\n"
        "|   ab|\n"
        "+-----+\n"
        "\n");
    capture_close(&cap);
    batch_free(b);
    schema_free(&s);
}

static void test_bad_options(void **state)
{
    schema s;
    schema_init(&s);
    schema_add(&s, "a", TYPE_INT);
    options o;
    options_init(&o);
    options_set(&o, "truncate", "maybe", 0, 0);
    sink_open_args args = {.query_name = "q", .opts = &o, .schema = &s, .console = stdout};
    eddy_error err = {0};
    void *st = NULL;
    const sink_ops *ops = sink_lookup("CONSOLE");
    assert_non_null(ops);
    assert_int_equal(ops->open(&args, &st, &err), -EDDY_SQL);
    assert_string_equal(err.message,
                        "option 'truncate': expected true, false or a number of characters, "
                        "got 'maybe'");
    options_set(&o, "truncate", "true", 0, 0);
    options_set(&o, "numRows", "many", 0, 0);
    assert_int_equal(ops->open(&args, &st, &err), -EDDY_SQL);
    assert_string_equal(err.message, "option 'numRows': expected an integer, got 'many'");
    options_free(&o);
    schema_free(&s);
}

static void test_registry(void **state)
{
    const char *const *names = sink_formats();
    assert_string_equal(names[0], "console");
    assert_string_equal(names[1], "memory");
    assert_string_equal(names[2], "csv");
    assert_string_equal(names[3], "json");
    assert_string_equal(names[4], "kafka");
    assert_null(names[5]);
    assert_null(sink_lookup("parquet"));
    assert_ptr_equal(sink_lookup("Json"), sink_lookup("json"));
    output_mode m;
    assert_int_equal(output_mode_parse("Complete", &m), 0);
    assert_int_equal(m, OUTPUT_COMPLETE);
    assert_int_equal(output_mode_parse("UPDATE", &m), 0);
    assert_int_equal(m, OUTPUT_UPDATE);
    assert_int_equal(output_mode_parse("append", &m), 0);
    assert_int_equal(m, OUTPUT_APPEND);
    assert_int_equal(output_mode_parse("overwrite", &m), -1);
    assert_string_equal(output_mode_name(OUTPUT_UPDATE), "update");
    assert_int_equal(sink_lookup("csv")->modes, 1u << OUTPUT_APPEND);
    assert_int_equal(sink_lookup("console")->modes, 7u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ints_and_strings),
        cmocka_unit_test(test_mixed_types_nulls_and_cuts),
        cmocka_unit_test(test_more_rows_than_shown),
        cmocka_unit_test(test_truncate_false_left_aligns),
        cmocka_unit_test(test_empty_batch_prints_header),
        cmocka_unit_test(test_wide_characters),
        cmocka_unit_test(test_meta_characters_escaped),
        cmocka_unit_test(test_numeric_truncate),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
