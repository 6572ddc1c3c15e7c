/* status.h — the one error type every crystalline function carries up to main().
 * A function that can fail takes a `cr_err *` and returns an exit code from SPEC.md (0 = ok);
 * the message says what failed and why. Only main() turns it into a process exit status
 * (cr_err_report). Nothing in lib/ calls exit(). */
#ifndef CR_STATUS_H
#define CR_STATUS_H

#include <stdarg.h>

#define CR_VERSION "0.1.0"

/* Exit codes (sysexits), SPEC.md "Conventions for every program". */
enum cr_exit {
    CR_OK = 0,
    CR_EOTHER = 1,    /* anything else */
    CR_EUSAGE = 2,    /* bad command line */
    CR_EDATA = 65,    /* bad input data: not retried, quarantined */
    CR_ENOINPUT = 66, /* input missing */
    CR_EIO = 74,      /* I/O error */
    CR_ETEMP = 75,    /* temporary failure: network, lock busy; retried */
};

typedef struct cr_err {
    int code;
    char msg[1024];
} cr_err;

/* Sets err (when not NULL) and returns code, so a caller can `return cr_fail(err, ...)`. */
int cr_fail(cr_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, with ": strerror(errno)" appended; errno is read before anything else runs. */
int cr_fail_errno(cr_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes context to an existing message: "reading x: <old message>". Returns err->code. */
int cr_err_context(cr_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cr_err_clear(cr_err *err);
/* The exit code for an errno value: ENOENT -> 66, ENOSPC/EIO/... -> 74, EAGAIN -> 75. */
int cr_exit_for_errno(int errnum);
/* Prints "program: message" on stderr as one line and returns err->code (CR_EOTHER if unset). */
int cr_err_report(const char *program, const cr_err *err);

#endif
