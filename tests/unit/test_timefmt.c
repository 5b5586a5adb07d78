/* Timestamps, dates and durations as text (core/timefmt.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/timefmt.h"

static int64_t parse(const char *s)
{
    int64_t us = 0;
    assert_int_equal(ts_parse(s, strlen(s), &us), 0);
    return us;
}

static void test_ts_parse_forms(void **state)
{
    assert_int_equal(parse("1970-01-01 00:00:00"), 0);
    assert_int_equal(parse("2024-11-05 14:00:00"), 1730815200LL * 1000000);
    assert_int_equal(parse("2024-11-05T14:00:00Z"), 1730815200LL * 1000000);
    assert_int_equal(parse("2024-11-05T14:00:00.123456"), 1730815200LL * 1000000 + 123456);
    assert_int_equal(parse("2024-11-05T15:00:00+01:00"), 1730815200LL * 1000000);
    assert_int_equal(parse("  2024-11-05  "), 1730764800LL * 1000000);
    assert_int_equal(parse("1969-12-31 23:59:59.5"), -500000);
    int64_t us;
    assert_int_equal(ts_parse("2024-13-01", 10, &us), -1);
    assert_int_equal(ts_parse("2023-02-29", 10, &us), -1);
    assert_int_equal(ts_parse("abc", 3, &us), -1);
    assert_int_equal(ts_parse("", 0, &us), -1);
    /* Years beyond what µs in an int64 can hold are not timestamps (this
     * overflowed before; found by the CSV and JSON fuzzers). */
    assert_int_equal(ts_parse("522024-11-05", 12, &us), -1);
    assert_int_equal(ts_parse("-999999-01-01", 13, &us), -1);
}

static void test_ts_format(void **state)
{
    char buf[40];
    ts_format(1730815200LL * 1000000, buf);
    assert_string_equal(buf, "2024-11-05 14:00:00");
    ts_format(1730815200LL * 1000000 + 250000, buf);
    assert_string_equal(buf, "2024-11-05 14:00:00.25");
    ts_format(-1, buf);
    assert_string_equal(buf, "1969-12-31 23:59:59.999999");
    ts_format_iso(1730815200LL * 1000000 + 123456, buf);
    assert_string_equal(buf, "2024-11-05T14:00:00.123Z");
    date_format(0, buf);
    assert_string_equal(buf, "1970-01-01");
    int32_t d;
    assert_int_equal(date_parse("2024-02-29", 10, &d), 0);
    assert_int_equal(d, 19782);
}

static void test_durations(void **state)
{
    int64_t us;
    assert_int_equal(duration_parse("10 seconds", 10, &us), 0);
    assert_int_equal(us, 10000000);
    assert_int_equal(duration_parse("1 minute", 8, &us), 0);
    assert_int_equal(us, 60000000);
    assert_int_equal(duration_parse("500 milliseconds", 16, &us), 0);
    assert_int_equal(us, 500000);
    assert_int_equal(duration_parse("interval 2 hours 30 minutes", 27, &us), 0);
    assert_int_equal(us, 9000000000LL);
    assert_int_equal(duration_parse("3s", 2, &us), 0);
    assert_int_equal(us, 3000000);
    assert_int_equal(duration_parse("10 parsecs", 10, &us), -1);
    assert_int_equal(duration_parse("", 0, &us), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ts_parse_forms),
        cmocka_unit_test(test_ts_format),
        cmocka_unit_test(test_durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
