/* Unit tests for core/valuefmt: Java's Double.toString and CAST(v AS STRING). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/valuefmt.h"

static double from_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Expected text is what OpenJDK prints for Double.toString of the same bits.
 * 1e23, 8.41e21 and 2^-24 use the JDK 19+ (shortest-digits) output; JDK 17
 * prints 9.999999999999999E22, 8.409999999999999E21, 5.9604644775390625E-8. */
static void test_double_to_text_matches_java(void **state)
{
    static const struct {
        uint64_t bits;
        const char *java;
    } cases[] = {
        {UINT64_C(0x3ff0000000000000), "1.0"},
        {UINT64_C(0x3fb999999999999a), "0.1"},
        {UINT64_C(0xc004000000000000), "-2.5"},
        {UINT64_C(0x4059000000000000), "100.0"},
        {UINT64_C(0x416312d000000000), "1.0E7"},
        {UINT64_C(0x416312cfe0000000), "9999999.0"},
        {UINT64_C(0x41678c29dccccccd), "1.23456789E7"},
        {UINT64_C(0x3f50624dd2f1a9fc), "0.001"},
        {UINT64_C(0x3f1a36e2eb1c432d), "1.0E-4"},
        {UINT64_C(0x3ee4f8b588e368f1), "1.0E-5"},
        {UINT64_C(0x405edd2f1a9fbe77), "123.456"},
        {UINT64_C(0x3fd5555555555555), "0.3333333333333333"},
        {UINT64_C(0x3fe5555555555555), "0.6666666666666666"},
        {UINT64_C(0x3fd3333333333334), "0.30000000000000004"},
        {UINT64_C(0x444b1ae4d6e2ef50), "1.0E21"},
        {UINT64_C(0x44b52d02c7e14af6), "1.0E23"},
        {UINT64_C(0x7fefffffffffffff), "1.7976931348623157E308"},
        {UINT64_C(0x0000000000000001), "4.9E-324"},
        {UINT64_C(0x0010000000000000), "2.2250738585072014E-308"},
        {UINT64_C(0x7ff8000000000000), "NaN"},
        {UINT64_C(0x7ff0000000000000), "Infinity"},
        {UINT64_C(0xfff0000000000000), "-Infinity"},
        {UINT64_C(0x0000000000000000), "0.0"},
        {UINT64_C(0x8000000000000000), "-0.0"},
        {UINT64_C(0x400921f9f01b866e), "3.14159"},
        {UINT64_C(0x4132d68700000000), "1234567.0"},
        {UINT64_C(0x3f5426fe718a86d7), "0.00123"},
        {UINT64_C(0x4059200000000000), "100.5"},
        {UINT64_C(0x43e0000000000000), "9.223372036854776E18"},
        {UINT64_C(0x4341c37937e08000), "1.0E16"},
        {UINT64_C(0x423cbe991a140000), "1.23456789012E11"},
        {UINT64_C(0xbe8421f5f40d8376), "-1.5E-7"},
        {UINT64_C(0x3f505e1c15097c81), "9.99E-4"},
        {UINT64_C(0x4011666666666666), "4.35"},
        {UINT64_C(0x4040aaaaaaaaaaab), "33.333333333333336"},
        {UINT64_C(0x3efa36e2eb1c432d), "2.5E-5"},
        {UINT64_C(0x416312cfffffffff), "9999999.999999998"},
        {UINT64_C(0x3f50624dd2f1a9fb), "9.999999999999998E-4"},
        {UINT64_C(0x0000000000000003), "1.5E-323"},
        {UINT64_C(0x4480f0cf064dd592), "1.0E22"},
        {UINT64_C(0x447c7e83209e90b2), "8.41E21"},
        {UINT64_C(0x7e37e43c8800759c), "1.0E300"},
        {UINT64_C(0x4050400000000000), "65.0"},
        {UINT64_C(0x3fe0000000000000), "0.5"},
        {UINT64_C(0x430c6bf526340000), "1.0E15"},
        {UINT64_C(0x01a56e1fc2f8f359), "1.0E-300"},
        {UINT64_C(0x4340000000000000), "9.007199254740992E15"},
        {UINT64_C(0x000fffffffffffff), "2.225073858507201E-308"},
        {UINT64_C(0x0000000000001fa0), "4.0E-320"},
        {UINT64_C(0x3810000000000000), "1.1754943508222875E-38"},
        {UINT64_C(0x47efffffe0000000), "3.4028234663852886E38"},
        {UINT64_C(0x3e70000000000000), "5.960464477539063E-8"},
        {UINT64_C(0x3f60624dd2f1a9fc), "0.002"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        int n = double_to_text(from_bits(cases[i].bits), buf);
        assert_string_equal(buf, cases[i].java);
        assert_int_equal(n, (int)strlen(cases[i].java));
    }
}

static void test_double_to_text_literals(void **state)
{
    char buf[32];
    double_to_text(1e-3, buf);
    assert_string_equal(buf, "0.001");
    double_to_text(9.99e-4, buf);
    assert_string_equal(buf, "9.99E-4");
    double_to_text(1234567.5, buf);
    assert_string_equal(buf, "1234567.5");
    double_to_text(-12345678.0, buf);
    assert_string_equal(buf, "-1.2345678E7");
    double_to_text(42.0, buf);
    assert_string_equal(buf, "42.0");
    double_to_text(1e-10, buf);
    assert_string_equal(buf, "1.0E-10");
}

static void expect_text(value v, const char *want)
{
    char buf[128];
    int n = value_to_text(&v, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(n, (int)strlen(want));
}

static void test_value_to_text_types(void **state)
{
    value v = {.type = TYPE_INT};
    v.v.i32 = -42;
    expect_text(v, "-42");
    v = (value){.type = TYPE_BIGINT};
    v.v.i64 = INT64_MIN;
    expect_text(v, "-9223372036854775808");
    v = (value){.type = TYPE_BOOLEAN};
    v.v.b = true;
    expect_text(v, "true");
    v.v.b = false;
    expect_text(v, "false");
    v = (value){.type = TYPE_DOUBLE};
    v.v.f64 = 2.5;
    expect_text(v, "2.5");
    v = (value){.type = TYPE_STRING};
    v.v.s = (strv){"hello world", 5};
    expect_text(v, "hello");
    v.v.s = (strv){NULL, 0};
    expect_text(v, "");
    v = (value){.type = TYPE_TIMESTAMP};
    v.v.i64 = INT64_C(1730815200000000);
    expect_text(v, "2024-11-05 14:00:00");
    v.v.i64 = INT64_C(1730815200123000);
    expect_text(v, "2024-11-05 14:00:00.123");
    v.v.i64 = INT64_C(1730815200000010);
    expect_text(v, "2024-11-05 14:00:00.00001");
    v = (value){.type = TYPE_DATE};
    v.v.i32 = 20032;
    expect_text(v, "2024-11-05");
    v = (value){.type = TYPE_WINDOW};
    v.v.w.start = INT64_C(1730815200000000);
    v.v.w.end = INT64_C(1730815210000000);
    expect_text(v, "{2024-11-05 14:00:00, 2024-11-05 14:00:10}");
    v.is_null = true;
    expect_text(v, "NULL");
    expect_text((value){.type = TYPE_NULL, .is_null = true}, "NULL");
}

static void test_value_to_text_small_buffer(void **state)
{
    value v = {.type = TYPE_STRING};
    v.v.s = (strv){"abcdefgh", 8};
    char buf[4];
    assert_int_equal(value_to_text(&v, buf, sizeof buf), 8);
    assert_string_equal(buf, "abc");
    v = (value){.type = TYPE_BIGINT};
    v.v.i64 = 123456;
    assert_int_equal(value_to_text(&v, buf, sizeof buf), 6);
    assert_string_equal(buf, "123");
    assert_int_equal(value_to_text(&v, NULL, 0), 6);
}

static void test_textbuf(void **state)
{
    textbuf b;
    textbuf_init(&b);
    textbuf_puts(&b, "x=");
    value v = {.type = TYPE_DOUBLE};
    v.v.f64 = 1e7;
    textbuf_value(&b, &v);
    textbuf_putc(&b, ';');
    for (int i = 0; i < 100; i++)
        textbuf_put(&b, "0123456789", 10);
    assert_int_equal(b.len, 8 + 1000);
    assert_memory_equal(b.data, "x=1.0E7;0123", 12);
    assert_int_equal(b.data[b.len], 0);
    textbuf_free(&b);
    assert_null(b.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_double_to_text_matches_java),
        cmocka_unit_test(test_double_to_text_literals),
        cmocka_unit_test(test_value_to_text_types),
        cmocka_unit_test(test_value_to_text_small_buffer),
        cmocka_unit_test(test_textbuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
