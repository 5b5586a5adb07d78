/* Unit tests for the CSV and text readers and field_convert (src/io). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/timefmt.h"
#include "io/reader.h"

/* A schema, a batch and the outcome of reading one buffer. */
typedef struct fixture {
    schema s;
    batch *b;
    parse_stats st;
    eddy_error err;
    int rc;
} fixture;

static void fx_schema(fixture *fx, const char *spec)
{
    /* spec: "name:type,name:type" */
    schema_init(&fx->s);
    char *copy = xstrdup(spec);
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) {
        char *colon = strchr(tok, ':');
        *colon = 0;
        type_id t;
        assert_int_equal(type_parse(colon + 1, strlen(colon + 1), &t), 0);
        schema_add(&fx->s, tok, t);
    }
    free(copy);
    type_id *types = schema_types(&fx->s);
    fx->b = batch_new((uint32_t)fx->s.n, types, 2);
    free(types);
    memset(&fx->st, 0, sizeof fx->st);
    memset(&fx->err, 0, sizeof fx->err);
}

static void fx_free(fixture *fx)
{
    batch_free(fx->b);
    schema_free(&fx->s);
}

/* Reads the whole of `text` (n bytes) in one call. */
static int fx_csv(fixture *fx, const read_options *o, const uint8_t *needed, const char *text,
                  size_t n)
{
    parse_cursor cur = {0, 1, false};
    fx->rc = csv_read(o, &fx->s, needed, text, n, "in.csv", &cur, fx->b, BATCH_MAX_ROWS, &fx->st,
                      &fx->err);
    return fx->rc;
}

static void assert_str(const batch *b, int col, uint32_t row, const char *want)
{
    assert_true(row < b->nrows);
    if (!want) {
        assert_int_equal(b->cols[col].valid[row], 0);
        return;
    }
    assert_int_equal(b->cols[col].valid[row], 1);
    strv v = b->cols[col].data.s[row];
    assert_int_equal(v.len, strlen(want));
    assert_memory_equal(v.ptr, want, v.len);
}

static void assert_cell_null(const batch *b, int col, uint32_t row)
{
    assert_true(row < b->nrows);
    assert_int_equal(b->cols[col].valid[row], 0);
}

static int64_t ts(const char *s)
{
    int64_t v;
    assert_int_equal(ts_parse(s, strlen(s), &v), 0);
    return v;
}

static void test_basic(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "timestamp:timestamp,user_id:int,event:string");
    const char *in = "2024-11-05 14:00:00,3,login\n2024-11-05 14:00:01,-17,logout\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.rows, 2);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->cols[0].data.i64[0], ts("2024-11-05 14:00:00"));
    assert_int_equal(fx.b->cols[0].data.i64[1], ts("2024-11-05 14:00:01"));
    assert_int_equal(fx.b->cols[1].data.i32[0], 3);
    assert_int_equal(fx.b->cols[1].data.i32[1], -17);
    assert_str(fx.b, 2, 0, "login");
    assert_str(fx.b, 2, 1, "logout");
    /* Unescaped strings are views into the input. */
    assert_ptr_equal(fx.b->cols[2].data.s[0].ptr, in + 22);
    fx_free(&fx);
}

static void test_all_types(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:bigint,b:double,c:boolean,d:date,e:string");
    const char *in = "9223372036854775807,1.5e3,TRUE,2024-02-29,x\n"
                     "-9223372036854775808,NaN,false,1970-01-01,y\n"
                     "0,-Inf,True,2000-01-01,z\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 3);
    assert_int_equal(fx.st.malformed, 0);
    assert_true(fx.b->cols[0].data.i64[0] == INT64_MAX);
    assert_true(fx.b->cols[0].data.i64[1] == INT64_MIN);
    assert_true(fx.b->cols[1].data.f64[0] == 1500.0);
    assert_true(isnan(fx.b->cols[1].data.f64[1]));
    assert_true(isinf(fx.b->cols[1].data.f64[2]) && fx.b->cols[1].data.f64[2] < 0);
    assert_int_equal(fx.b->cols[2].data.b[0], 1);
    assert_int_equal(fx.b->cols[2].data.b[1], 0);
    assert_int_equal(fx.b->cols[2].data.b[2], 1);
    assert_int_equal(fx.b->cols[3].data.i32[0], (int32_t)days_from_civil(2024, 2, 29));
    assert_int_equal(fx.b->cols[3].data.i32[1], 0);
    fx_free(&fx);
}

static void test_field_convert(void **state)
{
    column c;
    read_options o;
    read_options_default(&o);

    column_init(&c, TYPE_INT, 1);
    assert_int_equal(field_convert("2147483647", 10, &c, 0, &o), 0);
    assert_int_equal(c.data.i32[0], INT32_MAX);
    assert_int_equal(field_convert("-2147483648", 11, &c, 0, &o), 0);
    assert_int_equal(c.data.i32[0], INT32_MIN);
    assert_int_equal(field_convert("+12", 3, &c, 0, &o), 0);
    assert_int_equal(c.data.i32[0], 12);
    assert_int_equal(field_convert("2147483648", 10, &c, 0, &o), -1);
    assert_int_equal(c.valid[0], 0);
    assert_int_equal(field_convert("1.0", 3, &c, 0, &o), -1);
    assert_int_equal(field_convert(" 1", 2, &c, 0, &o), -1);
    assert_int_equal(field_convert("-", 1, &c, 0, &o), -1);
    assert_int_equal(field_convert("", 0, &c, 0, &o), -1);
    assert_int_equal(field_convert("12a", 3, &c, 0, &o), -1);
    column_free(&c);

    column_init(&c, TYPE_BIGINT, 1);
    assert_int_equal(field_convert("9223372036854775808", 19, &c, 0, &o), -1);
    assert_int_equal(field_convert("-9223372036854775809", 20, &c, 0, &o), -1);
    assert_int_equal(field_convert("123456789012345678", 18, &c, 0, &o), 0);
    assert_true(c.data.i64[0] == 123456789012345678LL);
    assert_int_equal(field_convert("0000000000000000000000042", 25, &c, 0, &o), 0);
    assert_true(c.data.i64[0] == 42);
    column_free(&c);

    column_init(&c, TYPE_DOUBLE, 1);
    static const struct {
        const char *s;
        double v;
    } ok[] = {{"1.5", 1.5},   {" 2.5 ", 2.5}, {"-0.25", -0.25}, {"1e3", 1000}, {".5", 0.5},
              {"5.", 5.0},     {"1.5d", 1.5},  {"2F", 2.0},      {"0x1p3", 8.0}, {"+7", 7}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(field_convert(ok[i].s, strlen(ok[i].s), &c, 0, &o), 0);
        assert_true(c.data.f64[0] == ok[i].v);
        assert_int_equal(c.valid[0], 1);
    }
    assert_int_equal(field_convert("Infinity", 8, &c, 0, &o), 0);
    assert_true(isinf(c.data.f64[0]) && c.data.f64[0] > 0);
    assert_int_equal(field_convert("-Infinity", 9, &c, 0, &o), 0);
    assert_true(isinf(c.data.f64[0]) && c.data.f64[0] < 0);
    assert_int_equal(field_convert("Inf", 3, &c, 0, &o), 0);
    assert_true(isinf(c.data.f64[0]) && c.data.f64[0] > 0);
    assert_int_equal(field_convert("NaN", 3, &c, 0, &o), 0);
    assert_true(isnan(c.data.f64[0]));
    static const char *const bad[] = {"", "abc", "1.5x", "1e", "inf", "nan", ".", "1..2", "0x1",
                                      "1,5", "--1", "1e5e"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(field_convert(bad[i], strlen(bad[i]), &c, 0, &o), -1);
    column_free(&c);

    column_init(&c, TYPE_BOOLEAN, 1);
    assert_int_equal(field_convert("tRuE", 4, &c, 0, &o), 0);
    assert_int_equal(c.data.b[0], 1);
    assert_int_equal(field_convert("FALSE", 5, &c, 0, &o), 0);
    assert_int_equal(c.data.b[0], 0);
    assert_int_equal(field_convert("yes", 3, &c, 0, &o), -1);
    assert_int_equal(field_convert("1", 1, &c, 0, &o), -1);
    column_free(&c);

    column_init(&c, TYPE_TIMESTAMP, 1);
    assert_int_equal(field_convert("2024-11-05T14:00:00.5Z", 22, &c, 0, &o), 0);
    assert_int_equal(c.data.i64[0], ts("2024-11-05 14:00:00") + 500000);
    assert_int_equal(field_convert("yesterday", 9, &c, 0, &o), -1);
    /* The fast path for "yyyy-MM-dd HH:mm:ss[.S{1,6}]" agrees with ts_parse. */
    static const char *const fracs[] = {"2024-02-29 23:59:59.1", "2024-02-29 23:59:59.123",
                                        "2024-02-29T23:59:59.123456", "1969-12-31 23:59:59.999",
                                        "2024-01-31 00:00:00.000001"};
    for (size_t i = 0; i < sizeof fracs / sizeof fracs[0]; i++) {
        assert_int_equal(field_convert(fracs[i], strlen(fracs[i]), &c, 0, &o), 0);
        assert_int_equal(c.data.i64[0], ts(fracs[i]));
    }
    assert_int_equal(c.data.i64[0], ts("2024-01-31 00:00:00") + 1);
    assert_int_equal(field_convert("2024-02-29 23:59:59.", 20, &c, 0, &o), -1);
    assert_int_equal(field_convert("2024-02-29 23:59:59.12a", 23, &c, 0, &o), -1);
    column_free(&c);

    column_init(&c, TYPE_DATE, 1);
    assert_int_equal(field_convert("2024-13-01", 10, &c, 0, &o), -1);
    assert_int_equal(field_convert("1970-01-02", 10, &c, 0, &o), 0);
    assert_int_equal(c.data.i32[0], 1);
    column_free(&c);

    column_init(&c, TYPE_STRING, 1);
    const char *text = "hello";
    assert_int_equal(field_convert(text, 5, &c, 0, &o), 0);
    assert_ptr_equal(c.data.s[0].ptr, text);
    assert_int_equal(c.data.s[0].len, 5);
    column_free(&c);
}

static void test_timestamp_format(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.timestamp_format = "yyyy/MM/dd HH:mm:ss";
    fx_schema(&fx, "t:timestamp,n:int");
    const char *in = "2024/11/05 14:00:00,1\n2024-11-05 14:00:00,2\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.b->cols[0].data.i64[0], ts("2024-11-05 14:00:00"));
    assert_cell_null(fx.b, 0, 1);
    assert_int_equal(fx.b->cols[1].data.i32[1], 2);
    assert_int_equal(fx.st.malformed, 1);
    fx_free(&fx);
}

static void test_header(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.header = true;
    fx_schema(&fx, "a:int,b:string");
    /* Blank lines before the header are skipped; the header may be quoted
     * over two lines. */
    const char *in = "\n\"a\nx\",b\n1,one\n2,two\n";
    parse_cursor cur = {0, 1, false};
    assert_int_equal(csv_read(&o, &fx.s, NULL, in, strlen(in), "f", &cur, fx.b, 1, &fx.st, NULL), 1);
    assert_int_equal(fx.b->nrows, 1);
    assert_true(cur.header_done);
    assert_int_equal(cur.line, 5);
    assert_int_equal(csv_read(&o, &fx.s, NULL, in, strlen(in), "f", &cur, fx.b, 10, &fx.st, NULL), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.b->cols[0].data.i32[0], 1);
    assert_int_equal(fx.b->cols[0].data.i32[1], 2);
    assert_str(fx.b, 1, 1, "two");
    assert_int_equal(fx.st.rows, 2);
    assert_int_equal(cur.line, 6);
    fx_free(&fx);

    /* A header-only file gives no rows. */
    fx_schema(&fx, "a:int,b:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, "a,b", 3), 0);
    assert_int_equal(fx.b->nrows, 0);
    fx_free(&fx);
}

static void test_quoted(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:string,b:int,c:string");
    const char *in = "\"x,y\",1,\"say \"\"hi\"\"\"\n"
                     "\"multi\nline\",2,\"back\\\"slash\"\n"
                     "\"a\\\\\",3,\"crlf\r\ninside\"\r\n"
                     "plain\"quote,4,\"\"\n"
                     "\"q\"tail,5,\"not\\escape\"\n"
                     "\"\",\"6\",\"\"\"\"\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->nrows, 6);
    assert_str(fx.b, 0, 0, "x,y");
    assert_str(fx.b, 2, 0, "say \"hi\"");
    assert_str(fx.b, 0, 1, "multi\nline");
    assert_str(fx.b, 2, 1, "back\"slash");
    assert_str(fx.b, 0, 2, "a\\");
    assert_str(fx.b, 2, 2, "crlf\r\ninside");
    assert_str(fx.b, 0, 3, "plain\"quote");
    assert_cell_null(fx.b, 2, 3);
    assert_str(fx.b, 0, 4, "qtail");
    assert_str(fx.b, 2, 4, "not\\escape");
    assert_cell_null(fx.b, 0, 5);
    assert_str(fx.b, 2, 5, "\"");
    for (int i = 0; i < 6; i++)
        assert_int_equal(fx.b->cols[1].data.i32[i], i + 1);
    /* A quoted field without escapes is a view of the input. */
    assert_ptr_equal(fx.b->cols[0].data.s[0].ptr, in + 1);
    fx_free(&fx);
}

static void test_line_numbers(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_FAILFAST;
    fx_schema(&fx, "a:string,user_id:int");
    const char *in = "\"two\nlines\",1\n\n\"x\r\ny\",2\r\nbad,abc\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), -EDDY_PARSE);
    assert_int_equal(fx.err.code, EDDY_PARSE);
    assert_string_equal(fx.err.message,
                        "in.csv:6: malformed CSV record: field 2 (user_id): cannot convert 'abc' "
                        "to int");
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.malformed, 1);
    fx_free(&fx);
}

static void test_nulls(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:string,b:int,c:string");
    const char *in = ",,\n\"\",\"\",\"\"\nNA,1,x\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 3);
    assert_int_equal(fx.st.malformed, 0);
    for (int r = 0; r < 2; r++)
        for (int c = 0; c < 3; c++)
            assert_cell_null(fx.b, c, (uint32_t)r);
    assert_str(fx.b, 0, 2, "NA");
    /* NULL rows have zeroed data. */
    assert_cell_null(fx.b, 0, 0);
    assert_ptr_equal(fx.b->cols[0].data.s[0].ptr, NULL);
    assert_int_equal(fx.b->cols[1].data.i32[0], 0);
    fx_free(&fx);

    /* With nullValue "NA": the text NA is NULL, an unquoted empty field stays
     * NULL and a quoted empty field is an empty string (Spark's emptyValue). */
    o.null_value = "NA";
    fx_schema(&fx, "a:string,b:int,c:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 3);
    assert_cell_null(fx.b, 0, 0);
    assert_cell_null(fx.b, 2, 0);
    assert_str(fx.b, 0, 1, "");
    assert_cell_null(fx.b, 1, 1);
    assert_str(fx.b, 2, 1, "");
    assert_cell_null(fx.b, 0, 2);
    assert_int_equal(fx.b->cols[1].data.i32[2], 1);
    /* Quoted "" into an INT column with nullValue NA does not convert. */
    assert_int_equal(fx.st.malformed, 1);
    fx_free(&fx);
}

static void test_field_counts(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_DROPMALFORMED;
    fx_schema(&fx, "a:int,b:string,c:string");
    const char *in = "1\n2,x\n3,x,y,extra,more\n4,x,y,\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 4);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.st.dropped, 0);
    assert_cell_null(fx.b, 1, 0);
    assert_cell_null(fx.b, 2, 0);
    assert_str(fx.b, 1, 1, "x");
    assert_cell_null(fx.b, 2, 1);
    assert_str(fx.b, 2, 2, "y");
    assert_str(fx.b, 2, 3, "y");
    fx_free(&fx);
}

static void test_line_ends(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:int,b:string");
    /* CRLF, blank and whitespace-only lines, a last line without newline. */
    const char *in = "1,a\r\n\r\n  \t\r\n2,b\r\n\n3,\"c\"\r\n4,d";
    parse_cursor cur = {0, 1, false};
    assert_int_equal(csv_read(&o, &fx.s, NULL, in, strlen(in), "f", &cur, fx.b, 100, &fx.st, NULL),
                     0);
    assert_int_equal(fx.b->nrows, 4);
    assert_int_equal(cur.line, 7);
    assert_str(fx.b, 1, 0, "a");
    assert_str(fx.b, 1, 1, "b");
    assert_str(fx.b, 1, 2, "c");
    assert_str(fx.b, 1, 3, "d");
    assert_int_equal(fx.b->cols[0].data.i32[3], 4);
    fx_free(&fx);

    /* Empty file, newline-only file. */
    fx_schema(&fx, "a:int,b:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, "", 0), 0);
    assert_int_equal(fx_csv(&fx, &o, NULL, "\n\r\n\n", 4), 0);
    assert_int_equal(fx.b->nrows, 0);
    assert_int_equal(fx.st.rows, 0);
    fx_free(&fx);

    /* A lone trailing CR at end of file ends the line. */
    fx_schema(&fx, "a:int,b:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, "5,e\r", 4), 0);
    assert_str(fx.b, 1, 0, "e");
    fx_free(&fx);
}

static void test_modes(void **state)
{
    const char *in = "1,2024-01-01 00:00:00,ok\nx,2024-01-01 00:00:01,bad int\n"
                     "3,notatime,bad ts\n4,2024-01-01 00:00:03,\"ok\"\n";
    fixture fx;
    read_options o;
    read_options_default(&o);

    /* PERMISSIVE without a corrupt-record column. */
    fx_schema(&fx, "n:int,t:timestamp,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 4);
    assert_int_equal(fx.st.rows, 4);
    assert_int_equal(fx.st.malformed, 2);
    assert_int_equal(fx.st.dropped, 0);
    assert_cell_null(fx.b, 0, 1);
    assert_int_equal(fx.b->cols[1].data.i64[1], ts("2024-01-01 00:00:01"));
    assert_str(fx.b, 2, 1, "bad int");
    assert_int_equal(fx.b->cols[0].data.i32[2], 3);
    assert_cell_null(fx.b, 1, 2);
    fx_free(&fx);

    /* PERMISSIVE with a corrupt-record column in the middle of the schema:
     * fields map to the other columns. */
    fx_schema(&fx, "n:int,_corrupt_record:string,t:timestamp,s:string");
    o.corrupt_column = 1;
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 4);
    assert_int_equal(fx.st.malformed, 2);
    assert_cell_null(fx.b, 1, 0);
    assert_str(fx.b, 1, 1, "x,2024-01-01 00:00:01,bad int");
    assert_str(fx.b, 1, 2, "3,notatime,bad ts");
    assert_cell_null(fx.b, 1, 3);
    assert_str(fx.b, 3, 3, "ok");
    assert_int_equal(fx.b->cols[2].data.i64[3], ts("2024-01-01 00:00:03"));
    fx_free(&fx);

    /* DROPMALFORMED. */
    o.mode = PARSE_DROPMALFORMED;
    fx_schema(&fx, "n:int,_corrupt_record:string,t:timestamp,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.rows, 2);
    assert_int_equal(fx.st.malformed, 2);
    assert_int_equal(fx.st.dropped, 2);
    assert_int_equal(fx.b->cols[0].data.i32[0], 1);
    assert_int_equal(fx.b->cols[0].data.i32[1], 4);
    assert_cell_null(fx.b, 1, 1);
    fx_free(&fx);

    /* FAILFAST. */
    o.mode = PARSE_FAILFAST;
    o.corrupt_column = -1;
    fx_schema(&fx, "n:int,t:timestamp,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), -EDDY_PARSE);
    assert_string_equal(fx.err.message,
                        "in.csv:2: malformed CSV record: field 1 (n): cannot convert 'x' to int");
    assert_int_equal(fx.b->nrows, 1);
    fx_free(&fx);
}

static void test_unterminated_quote(void **state)
{
    const char *in = "1,ok\n2,\"open\nnever closed\n";
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.corrupt_column = 2;
    fx_schema(&fx, "n:int,s:string,c:string");
    parse_cursor cur = {0, 1, false};
    assert_int_equal(csv_read(&o, &fx.s, NULL, in, strlen(in), "f", &cur, fx.b, 100, &fx.st, NULL),
                     0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.malformed, 1);
    assert_int_equal(fx.b->cols[0].data.i32[1], 2);
    assert_cell_null(fx.b, 1, 1);
    assert_str(fx.b, 2, 1, "2,\"open\nnever closed");
    assert_int_equal(cur.line, 4);
    fx_free(&fx);

    o.mode = PARSE_FAILFAST;
    o.corrupt_column = -1;
    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), -EDDY_PARSE);
    assert_string_equal(fx.err.message, "in.csv:2: malformed CSV record: unterminated quoted field");
    fx_free(&fx);

    o.mode = PARSE_DROPMALFORMED;
    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, "\"", 1), 0);
    assert_int_equal(fx.b->nrows, 0);
    assert_int_equal(fx.st.dropped, 1);
    fx_free(&fx);
}

static void test_long_line_and_bytes(void **state)
{
    size_t big = 3u << 20;
    char *in = xmalloc(big + 64);
    size_t n = 0;
    in[n++] = '1';
    in[n++] = ',';
    for (size_t i = 0; i < big; i++)
        in[n++] = (char)('a' + i % 26);
    memcpy(in + n, "\n2,\xff\xfe\x00z\xc3(\n", 10);
    n += 10;
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_csv(&fx, &o, NULL, in, n), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.b->cols[1].data.s[0].len, big);
    assert_int_equal(fx.b->cols[1].data.s[0].ptr[big - 1], (char)('a' + (big - 1) % 26));
    assert_int_equal(fx.b->cols[1].data.s[1].len, 6);
    assert_memory_equal(fx.b->cols[1].data.s[1].ptr, "\xff\xfe\x00z\xc3(", 6);
    fx_free(&fx);

    /* A quoted field over 1 MB with escapes is copied whole. */
    n = 0;
    in[n++] = '"';
    for (size_t i = 0; i < big; i++)
        in[n++] = i % 1000 == 0 ? '\n' : 'q';
    memcpy(in + n, "\"\"\",7", 5);
    n += 5;
    fx_schema(&fx, "s:string,n:int");
    parse_cursor cur = {0, 1, false};
    assert_int_equal(csv_read(&o, &fx.s, NULL, in, n, "f", &cur, fx.b, 10, &fx.st, NULL), 0);
    assert_int_equal(fx.b->nrows, 1);
    assert_int_equal(fx.b->cols[1].data.i32[0], 7);
    assert_int_equal(fx.b->cols[0].data.s[0].len, big + 1);
    assert_int_equal(fx.b->cols[0].data.s[0].ptr[big], '"');
    assert_int_equal(cur.line, 1 + (big + 999) / 1000);
    fx_free(&fx);
    free(in);
}

static void test_garbage(void **state)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    char *in = xmalloc(1 << 16);
    for (int round = 0; round < 50; round++) {
        size_t n = (size_t)(round * 1237) % (1 << 16);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            /* Bias toward the bytes the parser cares about. */
            static const char special[] = ",\"\\\n\r\0 ";
            in[i] = (x & 3) == 0 ? special[(x >> 8) % 7] : (char)(x >> 16);
        }
        for (int mode = 0; mode < 2; mode++) {
            fixture fx;
            read_options o;
            read_options_default(&o);
            o.mode = mode ? PARSE_DROPMALFORMED : PARSE_PERMISSIVE;
            o.corrupt_column = 3;
            fx_schema(&fx, "a:int,b:string,c:double,d:string");
            parse_cursor cur = {0, 1, false};
            int rc;
            do {
                rc = csv_read(&o, &fx.s, NULL, in, n, "g", &cur, fx.b, fx.b->nrows + 100, &fx.st,
                              NULL);
            } while (rc == 1);
            assert_int_equal(rc, 0);
            assert_int_equal(cur.pos, n);
            assert_int_equal(fx.st.rows, fx.b->nrows);
            if (mode)
                assert_int_equal(fx.st.dropped, fx.st.malformed);
            for (uint32_t r = 0; r < fx.b->nrows; r++) {
                if (fx.b->cols[1].valid[r]) {
                    strv s = fx.b->cols[1].data.s[r];
                    assert_true(s.len == 0 || s.ptr != NULL);
                }
            }
            fx_free(&fx);
        }
    }
    free(in);
}

static void test_chunking(void **state)
{
    /* 10 rows, one of them malformed, read 3 at a time: the row count, line
     * numbers and the FAILFAST line stay right across calls. */
    char in[512];
    size_t n = 0;
    for (int i = 1; i <= 10; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, i == 8 ? "\"x\ny\",bad\n" : "r%d,%d\n", i, i);
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_FAILFAST;
    fx_schema(&fx, "s:string,n:int");
    parse_cursor cur = {0, 1, false};
    int rc, calls = 0;
    uint32_t limit = 0;
    do {
        limit += 3;
        rc = csv_read(&o, &fx.s, NULL, in, n, "c.csv", &cur, fx.b, limit, &fx.st, &fx.err);
        calls++;
    } while (rc == 1);
    assert_int_equal(rc, -EDDY_PARSE);
    assert_int_equal(calls, 3);
    assert_int_equal(fx.b->nrows, 7);
    assert_string_equal(fx.err.message,
                        "c.csv:8: malformed CSV record: field 2 (n): cannot convert 'bad' to int");
    fx_free(&fx);

    o.mode = PARSE_PERMISSIVE;
    fx_schema(&fx, "s:string,n:int");
    memset(&cur, 0, sizeof cur);
    limit = 0;
    calls = 0;
    do {
        limit += 3;
        rc = csv_read(&o, &fx.s, NULL, in, n, "c.csv", &cur, fx.b, limit, &fx.st, NULL);
        calls++;
        assert_true(fx.b->nrows <= limit);
    } while (rc == 1);
    assert_int_equal(rc, 0);
    assert_int_equal(calls, 4);
    assert_int_equal(fx.b->nrows, 10);
    assert_int_equal(fx.st.rows, 10);
    assert_int_equal(fx.st.malformed, 1);
    assert_int_equal(cur.line, 12);
    assert_str(fx.b, 0, 7, "x\ny");
    assert_str(fx.b, 0, 9, "r10");
    assert_int_equal(fx.b->cols[1].data.i32[9], 10);
    fx_free(&fx);
}

static void test_needed(void **state)
{
    const char *in = "abc,1,x\n2,zz,y\n";
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_FAILFAST;
    fx_schema(&fx, "a:int,b:int,c:string");
    /* Column a is not read: its bad value is neither converted nor an error. */
    uint8_t needed[] = {0, 1, 1};
    assert_int_equal(fx_csv(&fx, &o, needed, in, 8), 0);
    assert_int_equal(fx.b->nrows, 1);
    assert_cell_null(fx.b, 0, 0);
    assert_int_equal(fx.b->cols[1].data.i32[0], 1);
    assert_int_equal(fx.st.malformed, 0);
    fx_free(&fx);

    /* With the corrupt-record column read, every column is checked (as
     * Spark turns column pruning off then), but unread ones stay NULL. */
    o.mode = PARSE_PERMISSIVE;
    o.corrupt_column = 3;
    fx_schema(&fx, "a:int,b:int,c:string,bad:string");
    uint8_t needed2[] = {0, 0, 1, 1};
    assert_int_equal(fx_csv(&fx, &o, needed2, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.malformed, 2);
    assert_cell_null(fx.b, 0, 1);
    assert_cell_null(fx.b, 1, 0);
    assert_str(fx.b, 2, 1, "y");
    assert_str(fx.b, 3, 0, "abc,1,x");
    assert_str(fx.b, 3, 1, "2,zz,y");
    fx_free(&fx);

    /* Unread corrupt-record column: unread fields are not checked. */
    fx_schema(&fx, "a:int,b:int,c:string,bad:string");
    uint8_t needed3[] = {0, 1, 1, 0};
    assert_int_equal(fx_csv(&fx, &o, needed3, in, strlen(in)), 0);
    assert_int_equal(fx.st.malformed, 1);
    assert_cell_null(fx.b, 3, 1);
    assert_cell_null(fx.b, 1, 1);
    fx_free(&fx);
}

static void test_options(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    assert_int_equal(o.sep, ',');
    assert_int_equal(o.quote, '"');
    assert_int_equal(o.escape, '\\');
    assert_false(o.header);
    assert_string_equal(o.null_value, "");
    assert_int_equal(o.mode, PARSE_PERMISSIVE);
    assert_int_equal(o.corrupt_column, -1);

    /* Tab separator, quoting disabled. */
    o.sep = '\t';
    o.quote = 0;
    fx_schema(&fx, "a:string,b:string");
    const char *in = "\"x\"\ty,z\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_str(fx.b, 0, 0, "\"x\"");
    assert_str(fx.b, 1, 0, "y,z");
    fx_free(&fx);

    /* Single quote as quote, quote as escape (RFC 4180 style with ';'). */
    read_options_default(&o);
    o.sep = ';';
    o.quote = '\'';
    o.escape = '\'';
    fx_schema(&fx, "a:string,b:string");
    in = "'it''s;';b\\\n";
    assert_int_equal(fx_csv(&fx, &o, NULL, in, strlen(in)), 0);
    assert_str(fx.b, 0, 0, "it's;");
    assert_str(fx.b, 1, 0, "b\\");
    fx_free(&fx);
}

static void test_text(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "value:string");
    const char *in = "first\r\n\nthird \xff\n\nlast";
    parse_cursor cur = {0, 1, false};
    assert_int_equal(text_read(&o, &fx.s, NULL, in, strlen(in), "t", &cur, fx.b, 2, &fx.st, NULL),
                     1);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(text_read(&o, &fx.s, NULL, in, strlen(in), "t", &cur, fx.b, 100, &fx.st, NULL),
                     0);
    assert_int_equal(fx.b->nrows, 5);
    assert_int_equal(fx.st.rows, 5);
    assert_int_equal(cur.line, 5);
    assert_str(fx.b, 0, 0, "first");
    assert_str(fx.b, 0, 1, "");
    assert_str(fx.b, 0, 2, "third \xff");
    assert_str(fx.b, 0, 3, "");
    assert_str(fx.b, 0, 4, "last");
    assert_ptr_equal(fx.b->cols[0].data.s[4].ptr, in + strlen(in) - 4);
    fx_free(&fx);

    /* Trailing newline: no extra row; empty file: none; an unread column
     * and extra columns stay NULL. */
    fx_schema(&fx, "n:int,value:string");
    memset(&cur, 0, sizeof cur);
    assert_int_equal(text_read(&o, &fx.s, NULL, "a\n", 2, "t", &cur, fx.b, 9, &fx.st, NULL), 0);
    memset(&cur, 0, sizeof cur);
    assert_int_equal(text_read(&o, &fx.s, NULL, "", 0, "t", &cur, fx.b, 9, &fx.st, NULL), 0);
    assert_int_equal(fx.b->nrows, 1);
    assert_cell_null(fx.b, 0, 0);
    assert_str(fx.b, 1, 0, "a");
    uint8_t needed[] = {1, 0};
    memset(&cur, 0, sizeof cur);
    assert_int_equal(text_read(&o, &fx.s, needed, "b", 1, "t", &cur, fx.b, 9, &fx.st, NULL), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_cell_null(fx.b, 1, 1);
    fx_free(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),          cmocka_unit_test(test_all_types),
        cmocka_unit_test(test_field_convert),  cmocka_unit_test(test_timestamp_format),
        cmocka_unit_test(test_header),         cmocka_unit_test(test_quoted),
        cmocka_unit_test(test_line_numbers),   cmocka_unit_test(test_nulls),
        cmocka_unit_test(test_field_counts),   cmocka_unit_test(test_line_ends),
        cmocka_unit_test(test_modes),          cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_long_line_and_bytes), cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_chunking),       cmocka_unit_test(test_needed),
        cmocka_unit_test(test_options),        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
