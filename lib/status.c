/* status.c — building and reporting cr_err values (see status.h). */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

/* Formats into a buffer of its own first: an argument may be err->msg itself (a message
 * that wraps the one before), and vsnprintf into its own source is undefined. */
static void set_message(cr_err *err, const char *fmt, va_list ap)
{
    char message[sizeof err->msg];
    vsnprintf(message, sizeof message, fmt, ap);
    memcpy(err->msg, message, sizeof message);
}

int cr_fail(cr_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_message(err, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int cr_fail_errno(cr_err *err, int code, const char *fmt, ...)
{
    int saved = errno;
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        set_message(err, fmt, ap);
        va_end(ap);
        size_t used = strlen(err->msg);
        snprintf(err->msg + used, sizeof err->msg - used, ": %s", strerror(saved));
        err->code = code;
    }
    errno = saved;
    return code;
}

int cr_err_context(cr_err *err, const char *fmt, ...)
{
    if (!err)
        return CR_EOTHER;
    char prefix[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    char joined[sizeof prefix + sizeof old + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, old);
    snprintf(err->msg, sizeof err->msg, "%.*s", (int)sizeof err->msg - 1, joined);
    if (err->code == 0)
        err->code = CR_EOTHER;
    return err->code;
}

void cr_err_clear(cr_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

int cr_exit_for_errno(int errnum)
{
    switch (errnum) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP: /* a symlink loop resolves to nothing, like a dangling symlink */
        return CR_ENOINPUT;
    case EAGAIN:
    case EINTR:
    case EBUSY:
    case ETIMEDOUT:
    case ECONNREFUSED:
    case ECONNRESET:
        return CR_ETEMP;
    default:
        return CR_EIO;
    }
}

int cr_err_report(const char *program, const cr_err *err)
{
    int code = (err && err->code) ? err->code : CR_EOTHER;
    char shown[2 * sizeof err->msg]; /* a name in the message cannot drive the terminal */
    cr_escape_controls((err && err->msg[0]) ? err->msg : "failed", shown, sizeof shown);
    fprintf(stderr, "%s: %s\n", program, shown);
    return code;
}
