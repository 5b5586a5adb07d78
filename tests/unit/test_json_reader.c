/* Unit tests for the JSON lines reader (src/io/json_reader.c). */
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

typedef struct fixture {
    schema s;
    batch *b;
    parse_stats st;
    eddy_error err;
} fixture;

static void fx_schema(fixture *fx, const char *spec)
{
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
    fx->b = batch_new((uint32_t)fx->s.n, types, 1);
    free(types);
    memset(&fx->st, 0, sizeof fx->st);
    memset(&fx->err, 0, sizeof fx->err);
}

static void fx_free(fixture *fx)
{
    batch_free(fx->b);
    schema_free(&fx->s);
}

static int fx_json(fixture *fx, const read_options *o, const uint8_t *needed, const char *text,
                   size_t n)
{
    parse_cursor cur = {0, 1, false};
    return json_read(o, &fx->s, needed, text, n, "in.json", &cur, fx->b, BATCH_MAX_ROWS, &fx->st,
                     &fx->err);
}

static void assert_str(const batch *b, int col, uint32_t row, const char *want)
{
    assert_true(row < b->nrows);
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
    fx_schema(&fx, "vote_id:string,timestamp:timestamp,n:int,big:bigint,x:double,ok:boolean,"
                   "d:date");
    const char *in =
        "{\"vote_id\": \"v1\", \"timestamp\": \"2024-11-05T14:00:00.000Z\", \"n\": 7, "
        "\"big\": 9007199254740993, \"x\": 1.25, \"ok\": true, \"d\": \"2024-11-05\"}\n"
        "{\"d\":\"1970-01-02\",\"ok\":false,\"x\":-3,\"big\":-1,\"n\":-2147483648,"
        "\"timestamp\":1730815200,\"vote_id\":\"v2\"}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.rows, 2);
    assert_int_equal(fx.st.malformed, 0);
    assert_str(fx.b, 0, 0, "v1");
    assert_ptr_equal(fx.b->cols[0].data.s[0].ptr, in + 13);
    assert_int_equal(fx.b->cols[1].data.i64[0], ts("2024-11-05 14:00:00"));
    assert_int_equal(fx.b->cols[1].data.i64[1], ts("2024-11-05 14:00:00"));
    assert_int_equal(fx.b->cols[2].data.i32[0], 7);
    assert_int_equal(fx.b->cols[2].data.i32[1], INT32_MIN);
    assert_true(fx.b->cols[3].data.i64[0] == 9007199254740993LL);
    assert_true(fx.b->cols[3].data.i64[1] == -1);
    assert_true(fx.b->cols[4].data.f64[0] == 1.25);
    assert_true(fx.b->cols[4].data.f64[1] == -3.0);
    assert_int_equal(fx.b->cols[5].data.b[0], 1);
    assert_int_equal(fx.b->cols[5].data.b[1], 0);
    assert_int_equal(fx.b->cols[6].data.i32[0], (int32_t)days_from_civil(2024, 11, 5));
    assert_int_equal(fx.b->cols[6].data.i32[1], 1);
    assert_str(fx.b, 0, 1, "v2");
    fx_free(&fx);
}

static void test_keys(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "name:string,Name:string,age:int");
    /* Exact match wins; otherwise case-insensitive; unknown keys (with
     * nested values) are skipped; the last duplicate wins. */
    const char *in = "{\"NAME\":\"upper\",\"extra\":{\"a\":[1,{\"b\":null}],\"c\":\"}\"},"
                     "\"AGE\":1,\"age\":2,\"Name\":\"N\",\"other\":[[],{}]}\n"
                     "{\"n\\u0061me\":\"escaped key\",'age':3}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.malformed, 0);
    assert_str(fx.b, 0, 0, "upper");
    assert_str(fx.b, 1, 0, "N");
    assert_int_equal(fx.b->cols[2].data.i32[0], 2);
    assert_str(fx.b, 0, 1, "escaped key");
    assert_cell_null(fx.b, 1, 1);
    assert_int_equal(fx.b->cols[2].data.i32[1], 3);
    fx_free(&fx);
}

static void test_strings(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "s:string");
    const char *in = "{\"s\":\"a\\\"b\\\\c\\/d\\n\\t\\b\\f\\r\"}\n"
                     "{\"s\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}\n"
                     "{\"s\":\"lone \\ud800 x \\udc00\"}\n"
                     "{\"s\":\"raw \xc3\xa9 \xff\xfe bytes\"}\n"
                     "{\"s\":'single \"q\" \\' '}\n"
                     "{\"s\":\"\"}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 6);
    assert_int_equal(fx.st.malformed, 0);
    assert_str(fx.b, 0, 0, "a\"b\\c/d\n\t\b\f\r");
    assert_str(fx.b, 0, 1, "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80");
    assert_str(fx.b, 0, 2, "lone \xef\xbf\xbd x \xef\xbf\xbd");
    assert_str(fx.b, 0, 3, "raw \xc3\xa9 \xff\xfe bytes");
    assert_str(fx.b, 0, 4, "single \"q\" ' ");
    assert_str(fx.b, 0, 5, "");
    fx_free(&fx);

    /* Control characters inside strings and bad escapes are syntax errors. */
    static const char *const bad[] = {"{\"s\":\"a\tb\"}", "{\"s\":\"\\x\"}", "{\"s\":\"\\u12G4\"}",
                                      "{\"s\":\"\\u12\"}", "{\"s\":\"open}", "{\"s\":\"a\\"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_schema(&fx, "s:string");
        assert_int_equal(fx_json(&fx, &o, NULL, bad[i], strlen(bad[i])), 0);
        assert_int_equal(fx.st.malformed, 1);
        assert_int_equal(fx.b->nrows, 1);
        assert_cell_null(fx.b, 0, 0);
        fx_free(&fx);
    }
}

static void test_numbers(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "i:int,l:bigint,d:double,s:string");
    const char *in = "{\"i\":0,\"l\":-0,\"d\":1e2,\"s\":1.50}\n"
                     "{\"d\":NaN,\"s\":-12e-1}\n"
                     "{\"d\":-Infinity,\"s\":true}\n"
                     "{\"d\":\"Infinity\",\"s\":null}\n"
                     "{\"d\":\"-INF\"}\n"
                     "{\"d\":123456789012345678901234567890}\n"
                     "{\"d\":+INF}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->nrows, 7);
    assert_int_equal(fx.b->cols[0].data.i32[0], 0);
    assert_true(fx.b->cols[1].data.i64[0] == 0);
    assert_true(fx.b->cols[2].data.f64[0] == 100.0);
    assert_str(fx.b, 3, 0, "1.50");
    assert_true(isnan(fx.b->cols[2].data.f64[1]));
    assert_str(fx.b, 3, 1, "-12e-1");
    assert_true(isinf(fx.b->cols[2].data.f64[2]) && fx.b->cols[2].data.f64[2] < 0);
    assert_str(fx.b, 3, 2, "true");
    assert_true(isinf(fx.b->cols[2].data.f64[3]) && fx.b->cols[2].data.f64[3] > 0);
    assert_cell_null(fx.b, 3, 3);
    assert_true(isinf(fx.b->cols[2].data.f64[4]) && fx.b->cols[2].data.f64[4] < 0);
    assert_true(fx.b->cols[2].data.f64[5] == 1.2345678901234568e29);
    assert_true(isinf(fx.b->cols[2].data.f64[6]) && fx.b->cols[2].data.f64[6] > 0);
    assert_cell_null(fx.b, 0, 1);
    fx_free(&fx);

    /* Conversions Spark rejects: malformed, the field NULL, others kept. */
    static const char *const bad[] = {
        "{\"i\":1.0,\"s\":\"k\"}",         "{\"i\":2147483648,\"s\":\"k\"}",
        "{\"i\":\"5\",\"s\":\"k\"}",       "{\"i\":1e3,\"s\":\"k\"}",
        "{\"l\":9223372036854775808,\"s\":\"k\"}", "{\"d\":\"1.5\",\"s\":\"k\"}",
        "{\"i\":true,\"s\":\"k\"}",        "{\"d\":\"\",\"s\":\"k\"}",
        "{\"i\":NaN,\"s\":\"k\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_schema(&fx, "i:int,l:bigint,d:double,s:string");
        assert_int_equal(fx_json(&fx, &o, NULL, bad[i], strlen(bad[i])), 0);
        assert_int_equal(fx.st.malformed, 1);
        assert_int_equal(fx.b->nrows, 1);
        assert_cell_null(fx.b, 0, 0);
        assert_cell_null(fx.b, 1, 0);
        assert_cell_null(fx.b, 2, 0);
        assert_str(fx.b, 3, 0, "k");
        fx_free(&fx);
    }

    /* Number syntax errors make the whole record NULL. */
    static const char *const syntax[] = {"{\"s\":\"k\",\"i\":01}", "{\"s\":\"k\",\"i\":1.}",
                                         "{\"s\":\"k\",\"i\":-}", "{\"s\":\"k\",\"i\":+1}",
                                         "{\"s\":\"k\",\"i\":1e}", "{\"s\":\"k\",\"i\":.5}",
                                         "{\"s\":\"k\",\"i\":Infinit}"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        fx_schema(&fx, "i:int,l:bigint,d:double,s:string");
        assert_int_equal(fx_json(&fx, &o, NULL, syntax[i], strlen(syntax[i])), 0);
        assert_int_equal(fx.st.malformed, 1);
        assert_cell_null(fx.b, 3, 0);
        fx_free(&fx);
    }
}

static void test_time_and_nested(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "t:timestamp,d:date,raw:string,arr:string");
    const char *in =
        "{\"t\":\"2024-11-05 14:00:00\",\"d\":\"2024-11-05\",\"raw\":{\"a\": [1, 2], \"b\" : \"x y\"},"
        "\"arr\":[{\"k\":1}]}\n"
        "{\"t\":-1,\"raw\":[ ],\"arr\":{}}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->cols[0].data.i64[0], ts("2024-11-05 14:00:00"));
    assert_int_equal(fx.b->cols[1].data.i32[0], (int32_t)days_from_civil(2024, 11, 5));
    assert_str(fx.b, 2, 0, "{\"a\":[1,2],\"b\":\"x y\"}");
    assert_str(fx.b, 3, 0, "[{\"k\":1}]");
    assert_ptr_equal(fx.b->cols[3].data.s[0].ptr, strstr(in, "[{"));
    assert_int_equal(fx.b->cols[0].data.i64[1], -1000000);
    assert_cell_null(fx.b, 1, 1);
    assert_str(fx.b, 2, 1, "[]");
    assert_str(fx.b, 3, 1, "{}");
    fx_free(&fx);

    static const char *const bad[] = {"{\"t\":\"noon\"}", "{\"t\":1.5}", "{\"t\":{}}",
                                      "{\"d\":[]}", "{\"d\":20240101}", "{\"t\":\"\"}",
                                      "{\"t\":9223372036854775807}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fx_schema(&fx, "t:timestamp,d:date,raw:string,arr:string");
        assert_int_equal(fx_json(&fx, &o, NULL, bad[i], strlen(bad[i])), 0);
        assert_int_equal(fx.st.malformed, 1);
        assert_cell_null(fx.b, 0, 0);
        assert_cell_null(fx.b, 1, 0);
        fx_free(&fx);
    }

    o.timestamp_format = "yyyy/MM/dd HH:mm:ss";
    fx_schema(&fx, "t:timestamp");
    const char *in2 = "{\"t\":\"2024/11/05 14:00:00\"}\n{\"t\":\"2024-11-05 14:00:00\"}\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in2, strlen(in2)), 0);
    assert_int_equal(fx.b->cols[0].data.i64[0], ts("2024-11-05 14:00:00"));
    assert_cell_null(fx.b, 0, 1);
    assert_int_equal(fx.st.malformed, 1);
    fx_free(&fx);
}

static void test_not_objects(void **state)
{
    static const char *const bad[] = {
        "[1,2]", "\"str\"", "5", "null", "{\"a\":1} x", "{\"a\":1}}", "{\"a\" 1}", "{\"a\":1,}",
        "{a:1}", "{\"a\":tru}", "{\"a\":1", "{", "\x01\x02\xff", "{\"a\":[1,]}", "{\"a\":[1 2]}",
        "{\"a\":{\"b\"}}", "{,}", "{\"a\":1 \"b\":2}", "{\"a\":nul}", "\xef\xbb\xbfx"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture fx;
        read_options o;
        read_options_default(&o);
        o.corrupt_column = 1;
        fx_schema(&fx, "a:int,_corrupt_record:string");
        assert_int_equal(fx_json(&fx, &o, NULL, bad[i], strlen(bad[i])), 0);
        assert_int_equal(fx.st.malformed, 1);
        assert_int_equal(fx.b->nrows, 1);
        assert_cell_null(fx.b, 0, 0);
        assert_str(fx.b, 1, 0, bad[i]);
        fx_free(&fx);
    }
}

static void test_modes(void **state)
{
    const char *in = "{\"n\":1,\"s\":\"a\"}\r\n"
                     "{\"n\":\"x\",\"s\":\"b\"}\r\n"
                     "\r\n"
                     "   \t\n"
                     "{\"n\":3,\"s\":\"c\"} junk\n"
                     "{\"n\":4,\"s\":\"d\"}";
    fixture fx;
    read_options o;
    read_options_default(&o);

    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 4);
    assert_int_equal(fx.st.rows, 4);
    assert_int_equal(fx.st.malformed, 2);
    /* Conversion failure keeps the other fields; a syntax error keeps none. */
    assert_cell_null(fx.b, 0, 1);
    assert_str(fx.b, 1, 1, "b");
    assert_cell_null(fx.b, 0, 2);
    assert_cell_null(fx.b, 1, 2);
    assert_int_equal(fx.b->cols[0].data.i32[3], 4);
    assert_str(fx.b, 1, 3, "d");
    fx_free(&fx);

    o.corrupt_column = 0;
    fx_schema(&fx, "_corrupt_record:string,n:int,s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 4);
    assert_cell_null(fx.b, 0, 0);
    assert_str(fx.b, 0, 1, "{\"n\":\"x\",\"s\":\"b\"}");
    assert_str(fx.b, 0, 2, "{\"n\":3,\"s\":\"c\"} junk");
    assert_cell_null(fx.b, 0, 3);
    assert_str(fx.b, 2, 1, "b");
    fx_free(&fx);

    /* A key named like the corrupt-record column is not data. */
    fx_schema(&fx, "_corrupt_record:string,n:int");
    const char *named = "{\"_corrupt_record\":\"z\",\"n\":1}";
    assert_int_equal(fx_json(&fx, &o, NULL, named, strlen(named)), 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_cell_null(fx.b, 0, 0);
    fx_free(&fx);

    o.mode = PARSE_DROPMALFORMED;
    fx_schema(&fx, "_corrupt_record:string,n:int,s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_int_equal(fx.st.rows, 2);
    assert_int_equal(fx.st.malformed, 2);
    assert_int_equal(fx.st.dropped, 2);
    assert_int_equal(fx.b->cols[1].data.i32[1], 4);
    fx_free(&fx);

    o.mode = PARSE_FAILFAST;
    o.corrupt_column = -1;
    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), -EDDY_PARSE);
    assert_int_equal(fx.err.code, EDDY_PARSE);
    assert_string_equal(fx.err.message,
                        "in.json:2: malformed JSON record: field 'n': cannot convert \"x\" to int");
    fx_free(&fx);

    const char *in2 = "{\"n\":1}\n\n{\"n\":2,\"s\":\"c\"} junk\n";
    fx_schema(&fx, "n:int,s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in2, strlen(in2)), -EDDY_PARSE);
    assert_string_equal(fx.err.message, "in.json:3: malformed JSON record: trailing characters "
                                        "after JSON object at column 17");
    assert_int_equal(fx.b->nrows, 1);
    fx_free(&fx);
}

static void test_empty_and_blank(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:int");
    assert_int_equal(fx_json(&fx, &o, NULL, "", 0), 0);
    assert_int_equal(fx_json(&fx, &o, NULL, "\n \n\r\n\t", 6), 0);
    assert_int_equal(fx.b->nrows, 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx_json(&fx, &o, NULL, "{}\n{ }", 6), 0);
    assert_int_equal(fx.b->nrows, 2);
    assert_cell_null(fx.b, 0, 1);
    assert_int_equal(fx.st.malformed, 0);
    fx_free(&fx);
}

static void test_bom(void **state)
{
    /* Jackson reads each line from bytes and skips a UTF-8 byte order mark. */
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "a:int");
    const char *in = "\xef\xbb\xbf{\"a\":1}\n\xef\xbb\xbf\n";
    assert_int_equal(fx_json(&fx, &o, NULL, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 1);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->cols[0].data.i32[0], 1);
    fx_free(&fx);
}

static void test_chunking(void **state)
{
    char in[1024];
    size_t n = 0;
    for (int i = 1; i <= 10; i++)
        n += (size_t)snprintf(in + n, sizeof in - n, i == 9 ? "{\"n\":[%d]}\n\n" : "{\"n\":%d}\n", i);
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_FAILFAST;
    fx_schema(&fx, "n:int");
    parse_cursor cur = {0, 1, false};
    int rc, calls = 0;
    uint32_t limit = 0;
    do {
        limit += 4;
        rc = json_read(&o, &fx.s, NULL, in, n, "c.json", &cur, fx.b, limit, &fx.st, &fx.err);
        calls++;
    } while (rc == 1);
    assert_int_equal(rc, -EDDY_PARSE);
    assert_int_equal(calls, 3);
    assert_int_equal(fx.b->nrows, 8);
    assert_string_equal(fx.err.message,
                        "c.json:9: malformed JSON record: field 'n': cannot convert [9] to int");
    fx_free(&fx);

    o.mode = PARSE_PERMISSIVE;
    fx_schema(&fx, "n:int");
    memset(&cur, 0, sizeof cur);
    limit = 0;
    calls = 0;
    do {
        limit += 4;
        rc = json_read(&o, &fx.s, NULL, in, n, "c.json", &cur, fx.b, limit, &fx.st, NULL);
        calls++;
        assert_true(fx.b->nrows <= limit);
    } while (rc == 1);
    assert_int_equal(rc, 0);
    assert_int_equal(calls, 3);
    assert_int_equal(fx.b->nrows, 10);
    assert_int_equal(cur.line, 12);
    assert_cell_null(fx.b, 0, 8);
    assert_int_equal(fx.b->cols[0].data.i32[9], 10);
    fx_free(&fx);
}

static void test_needed(void **state)
{
    fixture fx;
    read_options o;
    read_options_default(&o);
    o.mode = PARSE_FAILFAST;
    fx_schema(&fx, "a:int,b:string");
    uint8_t needed[] = {0, 1};
    const char *in = "{\"a\":\"not an int\",\"b\":\"x\"}\n";
    assert_int_equal(fx_json(&fx, &o, needed, in, strlen(in)), 0);
    assert_int_equal(fx.b->nrows, 1);
    assert_cell_null(fx.b, 0, 0);
    assert_str(fx.b, 1, 0, "x");
    /* Syntax errors still count in unread values. */
    const char *bad = "{\"a\":[1,,],\"b\":\"x\"}\n";
    assert_int_equal(fx_json(&fx, &o, needed, bad, strlen(bad)), -EDDY_PARSE);
    assert_string_equal(fx.err.message,
                        "in.json:1: malformed JSON record: unexpected character at column 9");
    fx_free(&fx);
}

static void test_big_and_deep(void **state)
{
    size_t big = 2u << 20;
    char *in = xmalloc(big + 64);
    size_t n = 0;
    memcpy(in, "{\"s\":\"", 6);
    n = 6;
    for (size_t i = 0; i < big; i++)
        in[n++] = i % 5000 == 4999 ? '\\' : 'z';
    in[n - 1] = 'z';
    memcpy(in + n, "\"}\n", 3);
    n += 3;
    fixture fx;
    read_options o;
    read_options_default(&o);
    fx_schema(&fx, "s:string");
    /* Lone backslashes before 'z' are bad escapes: malformed. */
    assert_int_equal(fx_json(&fx, &o, NULL, in, n), 0);
    assert_int_equal(fx.st.malformed, 1);
    fx_free(&fx);
    for (size_t i = 6; i < 6 + big; i++)
        in[i] = 'z';
    fx_schema(&fx, "s:string");
    assert_int_equal(fx_json(&fx, &o, NULL, in, n), 0);
    assert_int_equal(fx.st.malformed, 0);
    assert_int_equal(fx.b->cols[0].data.s[0].len, big);
    fx_free(&fx);

    /* Nesting within Jackson's limit is fine, beyond it malformed. */
    for (int depth = 990; depth <= 1010; depth += 20) {
        n = 0;
        memcpy(in, "{\"s\":", 5);
        n = 5;
        for (int i = 0; i < depth; i++)
            in[n++] = '[';
        for (int i = 0; i < depth; i++)
            in[n++] = ']';
        in[n++] = '}';
        fx_schema(&fx, "s:string,x:int");
        assert_int_equal(fx_json(&fx, &o, NULL, in, n), 0);
        assert_int_equal(fx.st.malformed, depth > 1000);
        if (depth <= 1000)
            assert_int_equal(fx.b->cols[0].data.s[0].len, 2 * depth);
        fx_free(&fx);
    }
    /* Garbage bytes of every kind. */
    uint64_t x = 88172645463325252ull;
    for (int round = 0; round < 40; round++) {
        n = (size_t)round * 997;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            static const char special[] = "{}[]\":,\\\n 0tfn";
            in[i] = (x & 1) ? special[(x >> 8) % 15] : (char)(x >> 24);
        }
        fx_schema(&fx, "s:string,x:double,y:int");
        o.corrupt_column = 0;
        parse_cursor cur = {0, 1, false};
        int rc;
        do {
            rc = json_read(&o, &fx.s, NULL, in, n, "g", &cur, fx.b, fx.b->nrows + 50, &fx.st, NULL);
        } while (rc == 1);
        assert_int_equal(rc, 0);
        assert_int_equal(fx.b->nrows, fx.st.rows);
        fx_free(&fx);
    }
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic),           cmocka_unit_test(test_keys),
        cmocka_unit_test(test_strings),         cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_time_and_nested), cmocka_unit_test(test_not_objects),
        cmocka_unit_test(test_modes),           cmocka_unit_test(test_empty_and_blank),
        cmocka_unit_test(test_chunking),        cmocka_unit_test(test_needed),
        cmocka_unit_test(test_big_and_deep),    cmocka_unit_test(test_bom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
