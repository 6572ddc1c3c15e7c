/* test_escape.c — control characters in messages are made visible (lib/escape.c), and the two
 * places messages leave a program (cr_log, cr_err_report) use it. */
#include <fcntl.h>
#include <unistd.h>

#include "check.h"
#include "escape.h"
#include "fs.h"
#include "log.h"
#include "status.h"

TEST(controls_become_hex_and_text_stays)
{
    char out[128];
    const char in[] = "a\033[2Jb\nc\td\x7f" "e\xc2\x9b" "f caf\xc3\xa9";
    size_t len = cr_escape_controls(in, out, sizeof out);
    /* a tab stays; a newline cannot start a forged line */
    CHECK_STR_EQ(out, "a\\x1B[2Jb\\nc\td\\x7Fe\\u009Bf caf\xc3\xa9");
    CHECK_INT_EQ(len, strlen(out));
}

TEST(a_cut_escape_is_dropped_whole)
{
    char out[6];
    CHECK_INT_EQ(cr_escape_controls("ab\033c", out, sizeof out), 2);
    CHECK_STR_EQ(out, "ab");
}

TEST(log_lines_and_error_reports_carry_no_control_byte)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/log", dir);
    cr_log_init("test", CR_LOG_INFO);
    CHECK_INT_EQ(cr_log_to_file(path), 0);
    cr_info("rejected %s: duplicate", "\033[31mred.txt");
    char *text;
    size_t len;
    cr_err err;
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, &err), 0);
    CHECK_CONTAINS(text, "rejected \\x1B[31mred.txt: duplicate\n");
    CHECK(memchr(text, '\033', len) == NULL);
    free(text);

    snprintf(path, sizeof path, "%s/stderr", dir);
    int saved = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 2);
    close(fd);
    cr_fail(&err, CR_ENOINPUT, "%s: no such file", "\033]0;title\007x");
    CHECK_INT_EQ(cr_err_report("test", &err), CR_ENOINPUT);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, &err), 0);
    CHECK_STR_EQ(text, "test: \\x1B]0;title\\x07x: no such file\n");
    free(text);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(controls_become_hex_and_text_stays);
    RUN(a_cut_escape_is_dropped_whole);
    RUN(log_lines_and_error_reports_carry_no_control_byte);
    return check_summary();
}
