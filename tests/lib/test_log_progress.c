/* Unit tests of lib/log.c (levels, format, file output) and lib/progress.c (the line's
 * figures, silence on a pipe unless asked). */
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "log.h"
#include "progress.h"

TEST(log_levels_and_format)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/run.log", dir);
    cr_log_init("crawler", CR_LOG_INFO);
    CHECK_INT_EQ(cr_log_to_file(path), 0);
    cr_info("fetched %d pages", 3);
    cr_debug("not shown at INFO");
    cr_log_verbosity(0, 1);
    CHECK_INT_EQ(cr_log_level(), CR_LOG_DEBUG);
    cr_debug("shown with -v");
    cr_log_verbosity(1, 0);
    cr_warn("hidden by --quiet");
    cr_error("always shown");
    char *text;
    size_t len;
    CHECK_INT_EQ(cr_read_file(path, &text, &len, 0, NULL), CR_OK);
    CHECK_CONTAINS(text, " crawler INFO fetched 3 pages\n");
    CHECK_CONTAINS(text, " crawler DEBUG shown with -v\n");
    CHECK_CONTAINS(text, " crawler ERROR always shown\n");
    CHECK(strstr(text, "not shown") == NULL);
    CHECK(strstr(text, "hidden") == NULL);
    /* ISO 8601 UTC timestamp with milliseconds opens each line. */
    CHECK(len > 24 && text[4] == '-' && text[10] == 'T' && text[23] == 'Z');
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

TEST(progress_line_figures)
{
    cr_progress p;
    cr_progress_begin(&p, "encode", "docs", 100, CR_PROGRESS_NEVER);
    p.started_s = 10.0;
    p.done = 50;
    char line[256];
    cr_progress_format(&p, 20.0, line, sizeof line);
    CHECK_STR_EQ(line, "encode 50/100 docs (50%) 5.0 docs/s ETA 10s");
    p.total = 0;
    cr_progress_format(&p, 20.0, line, sizeof line);
    CHECK_STR_EQ(line, "encode 50 docs 5.0 docs/s");
}

/* Runs a progress sequence with stderr on a pipe and returns what it printed. */
static void progress_on_pipe(int mode, char *out, size_t out_size)
{
    int fds[2];
    if (pipe(fds) != 0)
        return;
    int saved = dup(2);
    dup2(fds[1], 2);
    cr_progress p;
    cr_progress_begin(&p, "work", "items", 3, mode);
    cr_progress_add(&p, 1);
    cr_progress_add(&p, 2);
    cr_progress_end(&p);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fds[1]);
    ssize_t n = read(fds[0], out, out_size - 1);
    out[n > 0 ? n : 0] = '\0';
    close(fds[0]);
}

TEST(progress_silent_on_pipe_unless_asked)
{
    char out[1024];
    progress_on_pipe(CR_PROGRESS_AUTO, out, sizeof out);
    CHECK_STR_EQ(out, "");
    progress_on_pipe(CR_PROGRESS_ALWAYS, out, sizeof out);
    CHECK_CONTAINS(out, "work 1/3 items");
    CHECK(strchr(out, '\r') == NULL); /* plain lines on a pipe */
    progress_on_pipe(CR_PROGRESS_NEVER, out, sizeof out);
    CHECK_STR_EQ(out, "");
}

int main(void)
{
    RUN(log_levels_and_format);
    RUN(log_escapes_control_characters);
    RUN(progress_line_figures);
    RUN(progress_silent_on_pipe_unless_asked);
    return check_summary();
}
