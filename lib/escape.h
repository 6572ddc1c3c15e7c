/* escape.h — control characters made visible before a message reaches a terminal or a log: a
 * file named "\033[2J..." must not clear the screen of whoever reads the error, nor start a
 * forged line of a log. Used by cr_log (log.c), cr_err_report (status.c) and wherever a name
 * is printed (orchestrator status, logs, .error files); JSON has its own escaping (json.h). */
#ifndef CR_ESCAPE_H
#define CR_ESCAPE_H

#include <stddef.h>

/* Copies text into out (always NUL-terminated; cut at out_size, never inside an escape) with
 * what could drive a terminal written visibly: C0 controls and DEL as \n, \r or \xNN (a tab
 * stays), C1 controls (U+0080..U+009F) as \u0080.., and bytes that are not UTF-8 as \xNN.
 * Returns the length written. */
size_t cr_escape_controls(const char *text, char *out, size_t out_size);

#endif
