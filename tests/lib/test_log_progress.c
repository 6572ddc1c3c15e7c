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
    RUN(progress_line_figures);
    RUN(progress_silent_on_pipe_unless_asked);
    return check_summary();
}
