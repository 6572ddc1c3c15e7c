/* Unit tests of lib/status.c: messages, codes and the errno mapping. */
#include <errno.h>

#include "check.h"
#include "status.h"

TEST(fail_sets_code_and_message)
{
    cr_err err = {0};
    int code = cr_fail(&err, CR_EDATA, "bad %s at %d", "token", 7);
    CHECK_INT_EQ(code, 65);
    CHECK_INT_EQ(err.code, 65);
    CHECK_STR_EQ(err.msg, "bad token at 7");
}

TEST(fail_with_null_err_still_returns_code)
{
    CHECK_INT_EQ(cr_fail(NULL, CR_EIO, "x"), 74);
}

TEST(fail_errno_appends_strerror_and_keeps_errno)
{
    cr_err err = {0};
    errno = ENOENT;
    cr_fail_errno(&err, CR_ENOINPUT, "opening %s", "x.txt");
    CHECK_STR_EQ(err.msg, "opening x.txt: No such file or directory");
    CHECK_INT_EQ(errno, ENOENT);
}

/* A message that wraps the one before, formatted into the same err (cr_fail(err, ...,
 * err->msg)): the prefix once, the reason kept. */
TEST(fail_may_format_its_own_message)
{
    cr_err err = {0};
    cr_fail(&err, CR_EUSAGE, "layer count %d is outside 1..256", 999);
    cr_fail(&err, CR_EDATA, "checkpoint %s: impossible shape: %s", "m.bin", err.msg);
    CHECK_STR_EQ(err.msg, "checkpoint m.bin: impossible shape: layer count 999 is outside 1..256");
    errno = ENOENT;
    cr_fail_errno(&err, CR_EIO, "%s; reading it again", err.msg);
    CHECK_STR_EQ(err.msg, "checkpoint m.bin: impossible shape: layer count 999 is outside 1..256; "
                          "reading it again: No such file or directory");
}

TEST(context_prefixes_message)
{
    cr_err err = {0};
    cr_fail(&err, CR_EDATA, "bad magic");
    CHECK_INT_EQ(cr_err_context(&err, "loading %s", "model.bin"), 65);
    CHECK_STR_EQ(err.msg, "loading model.bin: bad magic");
}

TEST(context_truncates_instead_of_overflowing)
{
    cr_err err = {0};
    char long_text[2000];
    memset(long_text, 'a', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = '\0';
    cr_fail(&err, CR_EIO, "%s", long_text);
    cr_err_context(&err, "prefix");
    CHECK_INT_EQ(strlen(err.msg), sizeof err.msg - 1);
    CHECK(strncmp(err.msg, "prefix: aaa", 11) == 0);
}

TEST(errno_maps_to_sysexits)
{
    CHECK_INT_EQ(cr_exit_for_errno(ENOENT), CR_ENOINPUT);
    CHECK_INT_EQ(cr_exit_for_errno(ENOSPC), CR_EIO);
    CHECK_INT_EQ(cr_exit_for_errno(EIO), CR_EIO);
    CHECK_INT_EQ(cr_exit_for_errno(EAGAIN), CR_ETEMP);
    CHECK_INT_EQ(cr_exit_for_errno(ECONNREFUSED), CR_ETEMP);
}

int main(void)
{
    RUN(fail_sets_code_and_message);
    RUN(fail_with_null_err_still_returns_code);
    RUN(fail_errno_appends_strerror_and_keeps_errno);
    RUN(fail_may_format_its_own_message);
    RUN(context_prefixes_message);
    RUN(context_truncates_instead_of_overflowing);
    RUN(errno_maps_to_sysexits);
    return check_summary();
}
