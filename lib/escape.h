/* escape.h — control characters made visible before a message reaches a terminal or a log: a
 * file named "\033[2J..." must not clear the screen of whoever reads the error. Used by
 * cr_log (log.c) and cr_err_report (status.c); the messages themselves are built as usual. */
#ifndef CR_ESCAPE_H
#define CR_ESCAPE_H

#include <stddef.h>

/* Copies len bytes of in to out (out_size bytes, always NUL-terminated), each C0 control
 * byte, DEL and C1 control (U+0080..U+009F in UTF-8) written as "\xNN"; other bytes as they
 * are. Returns the length written. A sequence cut by out_size is dropped whole. */
size_t cr_escape_controls(const char *in, size_t len, char *out, size_t out_size);

#endif
