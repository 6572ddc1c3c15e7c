/* log.h — levelled, timestamped log lines for every program (stderr or a file).
 * One line per call, written with a single write() so that threads and processes sharing a
 * log file never interleave inside a line. Errors that end a program are reported by main()
 * with cr_err_report, not here. */
#ifndef CR_LOG_H
#define CR_LOG_H

#include <stddef.h>

#include "escape.h" /* cr_escape_controls: what every line goes through */

enum cr_log_level { CR_LOG_ERROR = 0, CR_LOG_WARN, CR_LOG_INFO, CR_LOG_DEBUG };

/* program names each line; level is the most verbose level printed. */
void cr_log_init(const char *program, int level);
/* Appends to path instead of stderr; returns 0 or -1 with errno set. */
int cr_log_to_file(const char *path);
void cr_log_set_level(int level);
int cr_log_level(void);
/* Applies --quiet (errors only) and each -v (one level more) to the default INFO level. */
void cr_log_verbosity(int quiet, int verbose_count);

/* Every line is passed through cr_escape_controls: a file name cannot move a terminal's
 * cursor, change its title or start a forged line of the log. */
void cr_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define cr_error(...) cr_log(CR_LOG_ERROR, __VA_ARGS__)
#define cr_warn(...) cr_log(CR_LOG_WARN, __VA_ARGS__)
#define cr_info(...) cr_log(CR_LOG_INFO, __VA_ARGS__)
#define cr_debug(...) cr_log(CR_LOG_DEBUG, __VA_ARGS__)

#endif
