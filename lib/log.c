/* log.c — see log.h. Format: "2026-11-22T19:43:24.123Z crawler INFO message". */
#include "log.h"

#include "escape.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char log_program[64] = "crystalline";
static int log_max_level = CR_LOG_INFO;
static int log_fd = 2;

static const char *level_names[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void cr_log_init(const char *program, int level)
{
    snprintf(log_program, sizeof log_program, "%s", program);
    log_max_level = level;
}

int cr_log_to_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (log_fd != 2)
        close(log_fd);
    log_fd = fd;
    return 0;
}

void cr_log_set_level(int level)
{
    log_max_level = level;
}

int cr_log_level(void)
{
    return log_max_level;
}

void cr_log_verbosity(int quiet, int verbose_count)
{
    int level = quiet ? CR_LOG_ERROR : CR_LOG_INFO + verbose_count;
    log_max_level = level > CR_LOG_DEBUG ? CR_LOG_DEBUG : level;
}

void cr_log(int level, const char *fmt, ...)
{
    if (level > log_max_level)
        return;
    if (level < CR_LOG_ERROR)
        level = CR_LOG_ERROR;
    if (level > CR_LOG_DEBUG)
        level = CR_LOG_DEBUG;
    char line[4096];
    struct timespec now;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);
    int used = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s ",
                        tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                        tm.tm_sec, now.tv_nsec / 1000000, log_program, level_names[level]);
    char body[sizeof line];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    /* escaped, and truncated if need be: still one line */
    size_t len = used + cr_escape_controls(body, line + used, sizeof line - used - 1);
    line[len++] = '\n';
    ssize_t ignored = write(log_fd, line, len);
    (void)ignored;
}
