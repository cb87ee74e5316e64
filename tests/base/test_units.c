/*
 * test_units.c - base/units.c: every unit of every parser, every error code
 * (with the output left untouched on error), the error sentences, and the
 * way durations are printed.
 */
#include <string.h>

#include "base/units.h"
#include "tests/testutil.h"

void suite_units(void);

/* Parses s as a duration, expecting success and `want` nanoseconds. */
static void ok_duration(const char *s, int64_t want)
{
    int64_t ns = -1;
    int rc = fl_parse_duration(s, &ns);
    if (rc != 0 || ns != want)
        fprintf(stderr, "\n  duration \"%s\": rc %d, %lld ns, expected %lld\n", s, rc,
                (long long)ns, (long long)want);
    CU_ASSERT(rc == 0 && ns == want);
}

/* Parses s as a duration, expecting error `code` and the output untouched. */
static void bad_duration(const char *s, int code)
{
    int64_t ns = 12345;
    int rc = fl_parse_duration(s, &ns);
    if (rc != code) fprintf(stderr, "\n  duration \"%s\": rc %d, expected %d\n", s, rc, code);
    CU_ASSERT_EQUAL(rc, code);
    CU_ASSERT_EQUAL(ns, 12345);
}

/* ---- durations ---- */

static void test_units_duration_accepts_every_unit(void)
{
    ok_duration("250ns", 250);
    ok_duration("40us", 40000);
    ok_duration("40µs", 40000);
    ok_duration("5ms", 5000000);
    ok_duration("1.5s", 1500000000);
    ok_duration("2m", INT64_C(120000000000));
    ok_duration("1h", INT64_C(3600000000000));
    ok_duration("0s", 0);
    ok_duration("0.25ms", 250000);
    ok_duration(".5s", 500000000);
}

static void test_units_duration_allows_spaces_around_and_before_the_unit(void)
{
    ok_duration(" 5ms", 5000000);
    ok_duration("5ms ", 5000000);
    ok_duration("5 ms", 5000000);
}

static void test_units_duration_rounds_to_nearest_ns(void)
{
    ok_duration("1.4ns", 1);
    ok_duration("1.6ns", 2);
    ok_duration("1.0000000004s", 1000000000);
    ok_duration("1.0000000006s", 1000000001);
    ok_duration("0.000001ms", 1);
}

static void test_units_duration_without_unit_is_rejected(void)
{
    bad_duration("5", FL_UNITS_ENOUNIT);
    bad_duration("5  ", FL_UNITS_ENOUNIT);
    bad_duration("0", FL_UNITS_ENOUNIT);
}

static void test_units_duration_with_unknown_unit_is_rejected(void)
{
    bad_duration("5sec", FL_UNITS_EUNIT);
    bad_duration("5MS", FL_UNITS_EUNIT);
    bad_duration("5d", FL_UNITS_EUNIT);
    bad_duration("5 m s", FL_UNITS_EUNIT);
}

static void test_units_duration_with_trailing_text_is_rejected(void)
{
    bad_duration("5ms extra", FL_UNITS_EUNIT);
    bad_duration("5ms5", FL_UNITS_EUNIT);
    bad_duration("5..5ms", FL_UNITS_EUNIT);
    bad_duration("1,5s", FL_UNITS_EUNIT);
}

static void test_units_duration_rejects_exponent_hex_and_infinity(void)
{
    /* read by hand, not strtod: none of these may be half-accepted */
    bad_duration("1e3s", FL_UNITS_EUNIT);
    bad_duration("1E3ms", FL_UNITS_EUNIT);
    bad_duration("0x10ms", FL_UNITS_EUNIT);
    bad_duration("infs", FL_UNITS_ENUMBER);
    bad_duration("nan ms", FL_UNITS_ENUMBER);
}

static void test_units_duration_empty_or_not_a_number_is_rejected(void)
{
    bad_duration("", FL_UNITS_EEMPTY);
    bad_duration(NULL, FL_UNITS_EEMPTY);
    bad_duration("ms", FL_UNITS_ENUMBER);
    bad_duration(".ms", FL_UNITS_ENUMBER);
    bad_duration("abc", FL_UNITS_ENUMBER);
}

static void test_units_duration_negative_is_rejected(void)
{
    bad_duration("-5ms", FL_UNITS_ENEGATIVE);
    bad_duration(" -1s", FL_UNITS_ENEGATIVE);
    bad_duration("-0ms", FL_UNITS_ENEGATIVE);
}

static void test_units_duration_beyond_int64_is_rejected(void)
{
    ok_duration("2500000h", INT64_C(9000000000000000000));
    bad_duration("2562048h", FL_UNITS_ERANGE); /* 9.22e18 ns */
    bad_duration("10000000000000000000ns", FL_UNITS_ERANGE);
    char huge[400];
    memset(huge, '9', sizeof huge - 3);
    strcpy(huge + sizeof huge - 3, "s");
    bad_duration(huge, FL_UNITS_ERANGE);
}

/* ---- rates ---- */

static void test_units_rate_accepts_every_unit(void)
{
    double r = -1;
    CU_ASSERT_EQUAL(fl_parse_rate("2000/s", &r), 0);
    CU_ASSERT_EQUAL(r, 2000.0);
    CU_ASSERT_EQUAL(fl_parse_rate("3/ms", &r), 0);
    CU_ASSERT_EQUAL(r, 3000.0);
    CU_ASSERT_EQUAL(fl_parse_rate("120/m", &r), 0);
    ASSERT_REL(r, 2.0, 1e-15);
    CU_ASSERT_EQUAL(fl_parse_rate("120/min", &r), 0);
    ASSERT_REL(r, 2.0, 1e-15);
    CU_ASSERT_EQUAL(fl_parse_rate("5/h", &r), 0);
    ASSERT_REL(r, 5.0 / 3600, 1e-15);
    CU_ASSERT_EQUAL(fl_parse_rate("0.5/s", &r), 0);
    CU_ASSERT_EQUAL(r, 0.5);
}

static void test_units_rate_errors(void)
{
    double r = 7;
    CU_ASSERT_EQUAL(fl_parse_rate("2000", &r), FL_UNITS_ENOUNIT);
    CU_ASSERT_EQUAL(fl_parse_rate("2000/d", &r), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_rate("2000/s/s", &r), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_rate("2000 per s", &r), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_rate("-1/s", &r), FL_UNITS_ENEGATIVE);
    CU_ASSERT_EQUAL(fl_parse_rate("1e3/s", &r), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_rate("", &r), FL_UNITS_EEMPTY);
    CU_ASSERT_EQUAL(fl_parse_rate("/s", &r), FL_UNITS_ENUMBER);
    CU_ASSERT_EQUAL(r, 7.0);
}

/* ---- fractions ---- */

static void test_units_fraction_accepts_plain_and_percent(void)
{
    double f = -1;
    CU_ASSERT_EQUAL(fl_parse_fraction("0.5%", &f), 0);
    CU_ASSERT_EQUAL(f, 0.005);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.005", &f), 0);
    CU_ASSERT_EQUAL(f, 0.005);
    CU_ASSERT_EQUAL(fl_parse_fraction("100%", &f), 0);
    CU_ASSERT_EQUAL(f, 1.0);
    CU_ASSERT_EQUAL(fl_parse_fraction("1", &f), 0);
    CU_ASSERT_EQUAL(f, 1.0);
    CU_ASSERT_EQUAL(fl_parse_fraction("0", &f), 0);
    CU_ASSERT_EQUAL(f, 0.0);
    CU_ASSERT_EQUAL(fl_parse_fraction("25 %", &f), 0);
    CU_ASSERT_EQUAL(f, 0.25);
}

static void test_units_fraction_decimals_are_read_exactly(void)
{
    /* the nearest double to the decimal, as the compiler reads the same literal */
    double f = -1;
    CU_ASSERT_EQUAL(fl_parse_fraction("0.3", &f), 0);
    CU_ASSERT_EQUAL(f, 0.3);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.7", &f), 0);
    CU_ASSERT_EQUAL(f, 0.7);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.123456789", &f), 0);
    CU_ASSERT_EQUAL(f, 0.123456789);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.999", &f), 0);
    CU_ASSERT_EQUAL(f, 0.999);
}

static void test_units_fraction_errors(void)
{
    double f = 7;
    CU_ASSERT_EQUAL(fl_parse_fraction("1.5", &f), FL_UNITS_EFRACTION);
    CU_ASSERT_EQUAL(fl_parse_fraction("100.5%", &f), FL_UNITS_EFRACTION);
    CU_ASSERT_EQUAL(fl_parse_fraction("-0.1", &f), FL_UNITS_ENEGATIVE);
    CU_ASSERT_EQUAL(fl_parse_fraction("-1%", &f), FL_UNITS_ENEGATIVE);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.5x", &f), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_fraction("0.5%%", &f), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_fraction("1e-3", &f), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_fraction("%", &f), FL_UNITS_ENUMBER);
    CU_ASSERT_EQUAL(fl_parse_fraction("", &f), FL_UNITS_EEMPTY);
    CU_ASSERT_EQUAL(fl_parse_fraction(NULL, &f), FL_UNITS_EEMPTY);
    CU_ASSERT_EQUAL(f, 7.0);
}

/* ---- sizes ---- */

static void test_units_size_decimal_and_binary_prefixes(void)
{
    int64_t b = -1;
    CU_ASSERT_EQUAL(fl_parse_size("512B", &b), 0);
    CU_ASSERT_EQUAL(b, 512);
    CU_ASSERT_EQUAL(fl_parse_size("4KiB", &b), 0);
    CU_ASSERT_EQUAL(b, 4096);
    CU_ASSERT_EQUAL(fl_parse_size("1.5KiB", &b), 0);
    CU_ASSERT_EQUAL(b, 1536);
    CU_ASSERT_EQUAL(fl_parse_size("1MiB", &b), 0);
    CU_ASSERT_EQUAL(b, 1048576);
    CU_ASSERT_EQUAL(fl_parse_size("1GiB", &b), 0);
    CU_ASSERT_EQUAL(b, INT64_C(1073741824));
    CU_ASSERT_EQUAL(fl_parse_size("1KB", &b), 0);
    CU_ASSERT_EQUAL(b, 1000);
    CU_ASSERT_EQUAL(fl_parse_size("1kB", &b), 0);
    CU_ASSERT_EQUAL(b, 1000);
    CU_ASSERT_EQUAL(fl_parse_size("2MB", &b), 0);
    CU_ASSERT_EQUAL(b, 2000000);
    CU_ASSERT_EQUAL(fl_parse_size("3GB", &b), 0);
    CU_ASSERT_EQUAL(b, INT64_C(3000000000));
}

static void test_units_size_errors(void)
{
    int64_t b = 7;
    CU_ASSERT_EQUAL(fl_parse_size("4096", &b), FL_UNITS_ENOUNIT);
    CU_ASSERT_EQUAL(fl_parse_size("4TB", &b), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_size("4kib", &b), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_size("4KiB!", &b), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_size("-4B", &b), FL_UNITS_ENEGATIVE);
    CU_ASSERT_EQUAL(fl_parse_size("", &b), FL_UNITS_EEMPTY);
    CU_ASSERT_EQUAL(fl_parse_size("KiB", &b), FL_UNITS_ENUMBER);
    CU_ASSERT_EQUAL(fl_parse_size("10000000000GB", &b), FL_UNITS_ERANGE);
    CU_ASSERT_EQUAL(b, 7);
}

/* ---- bandwidths ---- */

static void test_units_bandwidth_bits_and_bytes_per_second(void)
{
    double bps = -1;
    CU_ASSERT_EQUAL(fl_parse_bandwidth("100mbit", &bps), 0);
    CU_ASSERT_EQUAL(bps, 100e6);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("1gbit", &bps), 0);
    CU_ASSERT_EQUAL(bps, 1e9);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("56kbit", &bps), 0);
    CU_ASSERT_EQUAL(bps, 56e3);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("9600bit", &bps), 0);
    CU_ASSERT_EQUAL(bps, 9600.0);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("100Mbit", &bps), 0);
    CU_ASSERT_EQUAL(bps, 100e6);
    /* tc's convention: "bps" is bytes per second, so 8 bits each */
    CU_ASSERT_EQUAL(fl_parse_bandwidth("1gbps", &bps), 0);
    CU_ASSERT_EQUAL(bps, 8e9);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("10mbps", &bps), 0);
    CU_ASSERT_EQUAL(bps, 80e6);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("1kbps", &bps), 0);
    CU_ASSERT_EQUAL(bps, 8e3);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("1bps", &bps), 0);
    CU_ASSERT_EQUAL(bps, 8.0);
}

static void test_units_bandwidth_errors(void)
{
    double bps = 7;
    CU_ASSERT_EQUAL(fl_parse_bandwidth("100", &bps), FL_UNITS_ENOUNIT);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("100mb", &bps), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("100 mbit/s", &bps), FL_UNITS_EUNIT);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("-1mbit", &bps), FL_UNITS_ENEGATIVE);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("", &bps), FL_UNITS_EEMPTY);
    CU_ASSERT_EQUAL(fl_parse_bandwidth("fast", &bps), FL_UNITS_ENUMBER);
    CU_ASSERT_EQUAL(bps, 7.0);
}

/* ---- error sentences ---- */

static void test_units_strerror_names_the_problem_and_the_units(void)
{
    CU_ASSERT_STRING_EQUAL(fl_units_strerror(FL_UNITS_OK, FL_UNITS_DURATION), "ok");
    const char *s = fl_units_strerror(FL_UNITS_ENOUNIT, FL_UNITS_DURATION);
    CU_ASSERT(strncmp(s, "missing unit", 12) == 0 && strstr(s, "ms") != NULL);
    s = fl_units_strerror(FL_UNITS_EUNIT, FL_UNITS_SIZE);
    CU_ASSERT(strncmp(s, "unknown unit", 12) == 0 && strstr(s, "KiB") != NULL);
    s = fl_units_strerror(FL_UNITS_EUNIT, FL_UNITS_BANDWIDTH);
    CU_ASSERT(strstr(s, "mbit") != NULL);
    s = fl_units_strerror(FL_UNITS_ENOUNIT, FL_UNITS_RATE);
    CU_ASSERT(strstr(s, "/s") != NULL);
    s = fl_units_strerror(FL_UNITS_EFRACTION, FL_UNITS_FRACTION);
    CU_ASSERT(strstr(s, "%") != NULL);
    /* every error code has its own sentence */
    static const int codes[] = {FL_UNITS_EEMPTY,   FL_UNITS_ENUMBER,   FL_UNITS_ENOUNIT,
                                FL_UNITS_EUNIT,    FL_UNITS_ENEGATIVE, FL_UNITS_ERANGE,
                                FL_UNITS_EFRACTION};
    char seen[7][160];
    for (int i = 0; i < 7; i++) {
        snprintf(seen[i], sizeof seen[i], "%s", fl_units_strerror(codes[i], FL_UNITS_DURATION));
        for (int j = 0; j < i; j++) CU_ASSERT(strcmp(seen[i], seen[j]) != 0);
    }
}

/* ---- printing durations ---- */

/* Formats ns and compares with want. */
static void formats_as(int64_t ns, const char *want)
{
    char buf[32];
    const char *got = fl_format_duration(ns, buf, sizeof buf);
    CU_ASSERT_PTR_EQUAL(got, buf);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n  format %lld: \"%s\", expected \"%s\"\n", (long long)ns, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_units_format_duration_documented_examples(void)
{
    formats_as(0, "0ns");
    formats_as(850, "850ns");
    formats_as(12300, "12.3us");
    formats_as(4560000, "4.56ms");
    formats_as(1500000000, "1.5s");
    formats_as(INT64_C(150000000000), "2m30s");
}

static void test_units_format_duration_keeps_at_most_4_significant_digits(void)
{
    formats_as(999, "999ns");
    formats_as(1000, "1us");
    formats_as(1234567, "1.235ms");
    formats_as(123456, "123.5us");
    formats_as(12345678, "12.35ms");
    formats_as(5000000, "5ms");
    formats_as(-5000000, "-5ms");
}

static void test_units_format_duration_carries_into_the_next_unit(void)
{
    /* rounding to 4 digits must not print "1000us" or "60s" */
    formats_as(999999, "1ms");
    formats_as(999960, "1ms");
    formats_as(999940, "999.9us");
    formats_as(INT64_C(59999999999), "1m00s");
}

static void test_units_format_duration_minutes_and_hours(void)
{
    formats_as(INT64_C(60000000000), "1m00s");
    formats_as(INT64_C(3599000000000), "59m59s");
    formats_as(INT64_C(3600000000000), "1h00m");
    formats_as(INT64_C(5400000000000), "1h30m");
    formats_as(INT64_MAX, "2562047h47m");
}

static void test_units_format_duration_truncates_to_the_buffer(void)
{
    char buf[4];
    fl_format_duration(1500000000, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "1.5");
}

static void test_units_format_then_parse_round_trips(void)
{
    static const int64_t values[] = {0, 850, 12300, 4560000, 1500000000, 1234000};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char buf[32];
        int64_t back = -1;
        CU_ASSERT_EQUAL(fl_parse_duration(fl_format_duration(values[i], buf, sizeof buf), &back),
                        0);
        CU_ASSERT_EQUAL(back, values[i]);
    }
}

void suite_units(void)
{
    TEST_SUITE("base/units");
    TEST_ADD(test_units_duration_accepts_every_unit);
    TEST_ADD(test_units_duration_allows_spaces_around_and_before_the_unit);
    TEST_ADD(test_units_duration_rounds_to_nearest_ns);
    TEST_ADD(test_units_duration_without_unit_is_rejected);
    TEST_ADD(test_units_duration_with_unknown_unit_is_rejected);
    TEST_ADD(test_units_duration_with_trailing_text_is_rejected);
    TEST_ADD(test_units_duration_rejects_exponent_hex_and_infinity);
    TEST_ADD(test_units_duration_empty_or_not_a_number_is_rejected);
    TEST_ADD(test_units_duration_negative_is_rejected);
    TEST_ADD(test_units_duration_beyond_int64_is_rejected);
    TEST_ADD(test_units_rate_accepts_every_unit);
    TEST_ADD(test_units_rate_errors);
    TEST_ADD(test_units_fraction_accepts_plain_and_percent);
    TEST_ADD(test_units_fraction_decimals_are_read_exactly);
    TEST_ADD(test_units_fraction_errors);
    TEST_ADD(test_units_size_decimal_and_binary_prefixes);
    TEST_ADD(test_units_size_errors);
    TEST_ADD(test_units_bandwidth_bits_and_bytes_per_second);
    TEST_ADD(test_units_bandwidth_errors);
    TEST_ADD(test_units_strerror_names_the_problem_and_the_units);
    TEST_ADD(test_units_format_duration_documented_examples);
    TEST_ADD(test_units_format_duration_keeps_at_most_4_significant_digits);
    TEST_ADD(test_units_format_duration_carries_into_the_next_unit);
    TEST_ADD(test_units_format_duration_minutes_and_hours);
    TEST_ADD(test_units_format_duration_truncates_to_the_buffer);
    TEST_ADD(test_units_format_then_parse_round_trips);
}
