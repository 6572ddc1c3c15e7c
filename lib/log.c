/* log.c — see log.h. Format: "2026-11-22T19:43:24.123Z crawler INFO message". */
#include "log.h"

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

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one (overlong forms,
 * surrogates and code points over U+10FFFF are not). */
static size_t utf8_length(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
    if (!n || c > 0xF4)
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F) || (c == 0xF0 && p[1] < 0x90) ||
        (c == 0xF4 && p[1] > 0x8F))
        return 0;
    return n;
}

size_t cr_escape_controls(const char *text, char *out, size_t out_size)
{
    size_t used = 0;
    if (!out_size)
        return 0;
    for (const unsigned char *p = (const unsigned char *)text; *p;) {
        char piece[8];
        size_t piece_len, step = 1;
        if (*p == '\t' || (*p >= 0x20 && *p < 0x7F)) {
            piece[0] = (char)*p;
            piece_len = 1;
        } else if (*p == '\n' || *p == '\r') {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\%c", *p == '\n' ? 'n' : 'r');
        } else if (*p < 0x80) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\x%02X", *p);
        } else if ((step = utf8_length(p)) == 0) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\x%02X", *p);
            step = 1;
        } else if (p[0] == 0xC2 && p[1] < 0xA0) {
            piece_len = (size_t)snprintf(piece, sizeof piece, "\\u%04X", p[1]);
        } else {
            memcpy(piece, p, step);
            piece_len = step;
        }
        if (used + piece_len >= out_size)
            break;
        memcpy(out + used, piece, piece_len);
        used += piece_len;
        p += step;
    }
    out[used] = 0;
    return used;
}
