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

/* A file name with terminal escapes cannot drive the terminal nor forge a log line. */
TEST(log_escapes_control_characters)
{
    char out[256];
    cr_escape_controls("a\033]0;t\007b\nforged\r\tok \xc2\x9b"
                       "2J \xff h\xc3\xa9 \xe2\x82\xac",
                       out, sizeof out);
    CHECK_STR_EQ(out, "a\\x1B]0;t\\x07b\\nforged\\r\tok \\u009B2J \\xFF h\xc3\xa9 \xe2\x82\xac");
    /* cut on a whole escape, never inside one */
    char small[6];
    CHECK_INT_EQ((int)cr_escape_controls("ab\033c", small, sizeof small), 2);
    CHECK_STR_EQ(small, "ab");
    /* overlong and surrogate forms are not UTF-8 */
    cr_escape_controls("\xc0\xaf\xed\xa0\x80", out, sizeof out);
    CHECK_STR_EQ(out, "\\xC0\\xAF\\xED\\xA0\\x80");

    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/esc.log", dir);
    cr_log_init("orchestrator", CR_LOG_INFO);
    CHECK_INT_EQ(cr_log_to_file(path), 0);
    cr_info("taking %s", "x\033[2Jy\n2026-01-01T00:00:00.000Z orchestrator INFO forged");
    char *text;
    size_t len;
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, NULL), CR_OK);
    CHECK(memchr(text, '\033', len) == NULL);
    CHECK_CONTAINS(text, "taking x\\x1B[2Jy\\n2026");
    CHECK(strchr(text, '\n') == text + len - 1); /* one line */
    free(text);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(log_escapes_control_characters);
    RUN(controls_become_hex_and_text_stays);
    RUN(a_cut_escape_is_dropped_whole);
    RUN(log_lines_and_error_reports_carry_no_control_byte);
    return check_summary();
}
