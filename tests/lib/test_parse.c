/* Unit tests of lib/parse.c: durations, sizes and strict numbers. */
#include "check.h"
#include "parse.h"

static int64_t duration(const char *text)
{
    int64_t ms = -1;
    cr_err err = {0};
    if (cr_parse_duration_ms(text, &ms, &err) != CR_OK)
        return -1;
    return ms;
}

static long long size(const char *text)
{
    uint64_t bytes = 0;
    cr_err err = {0};
    if (cr_parse_size(text, &bytes, &err) != CR_OK)
        return -1;
    return (long long)bytes;
}

TEST(durations_with_units)
{
    CHECK_INT_EQ(duration("250ms"), 250);
    CHECK_INT_EQ(duration("2s"), 2000);
    CHECK_INT_EQ(duration("1m"), 60000);
    CHECK_INT_EQ(duration("1.5s"), 1500);
    CHECK_INT_EQ(duration("1h"), 3600000);
    CHECK_INT_EQ(duration("1d"), 86400000);
    CHECK_INT_EQ(duration("1m30s"), 90000);
    CHECK_INT_EQ(duration("30m"), 1800000);
    CHECK_INT_EQ(duration("0"), 0);
    CHECK_INT_EQ(duration("3"), 3000); /* a bare number is seconds */
}

TEST(durations_rejected)
{
    CHECK_INT_EQ(duration(""), -1);
    CHECK_INT_EQ(duration("-1s"), -1);
    CHECK_INT_EQ(duration("2 s"), -1);
    CHECK_INT_EQ(duration("2x"), -1);
    CHECK_INT_EQ(duration("s"), -1);
    CHECK_INT_EQ(duration("5s3"), -1);
    CHECK_INT_EQ(duration("1e400s"), -1);
    cr_err err = {0};
    int64_t ms;
    CHECK_INT_EQ(cr_parse_duration_ms("10parsecs", &ms, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "unknown unit 'parsecs'");
}

TEST(sizes_decimal_and_binary)
{
    CHECK_INT_EQ(size("512"), 512);
    CHECK_INT_EQ(size("512B"), 512);
    CHECK_INT_EQ(size("10KB"), 10000);
    CHECK_INT_EQ(size("10KiB"), 10240);
    CHECK_INT_EQ(size("10MiB"), 10485760);
    CHECK_INT_EQ(size("10MB"), 10000000);
    CHECK_INT_EQ(size("1.5GiB"), 1610612736LL);
    CHECK_INT_EQ(size("2G"), 2147483648LL);
}

TEST(sizes_rejected)
{
    CHECK_INT_EQ(size(""), -1);
    CHECK_INT_EQ(size("MiB"), -1);
    CHECK_INT_EQ(size("-5"), -1);
    CHECK_INT_EQ(size("10 potatoes"), -1);
    CHECK_INT_EQ(size("99999999999TiB"), -1);
}

TEST(long_is_strict)
{
    long v = 0;
    cr_err err = {0};
    CHECK_INT_EQ(cr_parse_long("42", 0, 100, &v, &err), CR_OK);
    CHECK_INT_EQ(v, 42);
    CHECK_INT_EQ(cr_parse_long("42x", 0, 100, &v, &err), CR_EUSAGE);
    CHECK_INT_EQ(cr_parse_long(" 42", 0, 100, &v, &err), CR_EUSAGE);
    CHECK_INT_EQ(cr_parse_long("101", 0, 100, &v, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "out of range");
    CHECK_INT_EQ(cr_parse_long("99999999999999999999", 0, 100, &v, &err), CR_EUSAGE);
    double d = 0;
    CHECK_INT_EQ(cr_parse_double("0.25", 0, 1, &d, &err), CR_OK);
    CHECK_NEAR(d, 0.25, 0);
    CHECK_INT_EQ(cr_parse_double("nan", 0, 1, &d, &err), CR_EUSAGE);
}

TEST(formatting)
{
    char text[32];
    cr_format_duration(250, text, sizeof text);
    CHECK_STR_EQ(text, "250ms");
    cr_format_duration(1500, text, sizeof text);
    CHECK_STR_EQ(text, "1.5s");
    cr_format_duration(90000, text, sizeof text);
    CHECK_STR_EQ(text, "1m30s");
    cr_format_size(10485760, text, sizeof text);
    CHECK_STR_EQ(text, "10.0 MiB");
    cr_format_size(12, text, sizeof text);
    CHECK_STR_EQ(text, "12 B");
}

int main(void)
{
    RUN(durations_with_units);
    RUN(durations_rejected);
    RUN(sizes_decimal_and_binary);
    RUN(sizes_rejected);
    RUN(long_is_strict);
    RUN(formatting);
    return check_summary();
}
