/* control.c — pidfile lock, control socket and detaching (see control.h).
 * The socket is bound with a path relative to the workspace (the daemon's and the client's
 * working folder), so a deep workspace never hits sun_path's 108-byte limit. A client gets
 * one second to send its request and receive the answer; the loop never waits longer. */
#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"
#include "paths.h"
#include "record.h"
#include "report.h"

/* The pid in the pidfile of a daemon that holds its lock; -1 when none comes. */
static pid_t read_pid(int fd)
{
    /* The holder writes its pid just after locking: give it a moment. */
    for (int tries = 0; tries < 50; tries++) {
        char text[32];
        ssize_t n = pread(fd, text, sizeof text - 1, 0);
        text[n > 0 ? n : 0] = '\0';
        long pid = strtol(text, NULL, 10);
        if (pid > 0)
            return (pid_t)pid;
        usleep(10000);
    }
    return -1;
}

int pidfile_lock(int *fd_out, pid_t *holder, cr_err *err)
{
    *holder = 0;
    int fd = open(STATE_PIDFILE, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return cr_fail_errno(err, CR_EIO, "opening %s", STATE_PIDFILE);
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int code;
        if (errno == EWOULDBLOCK) {
            *holder = read_pid(fd);
            code = cr_fail(err, CR_ETEMP, "already running (pid %ld)", (long)*holder);
        } else {
            code = cr_fail_errno(err, CR_EIO, "locking %s", STATE_PIDFILE);
        }
        close(fd);
        return code;
    }
    *fd_out = fd;
    return CR_OK;
}

int pidfile_write(int fd, pid_t pid, cr_err *err)
{
    char text[32];
    int len = snprintf(text, sizeof text, "%ld\n", (long)pid);
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)len, 0) != len)
        return cr_fail_errno(err, CR_EIO, "writing %s", STATE_PIDFILE);
    return CR_OK;
}

pid_t pidfile_holder(void)
{
    int fd = open(STATE_PIDFILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    pid_t pid = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK ? read_pid(fd) : 0;
    close(fd);
    return pid;
}

static int socket_address(struct sockaddr_un *addr, cr_err *err)
{
    memset(addr, 0, sizeof *addr);
    addr->sun_family = AF_UNIX;
    if (strlen(STATE_SOCKET) >= sizeof addr->sun_path)
        return cr_fail(err, CR_EUSAGE, "socket path too long");
    strcpy(addr->sun_path, STATE_SOCKET);
    return CR_OK;
}

int control_listen(int *fd_out, cr_err *err)
{
    struct sockaddr_un addr;
    int code = socket_address(&addr, err);
    if (code)
        return code;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return cr_fail_errno(err, CR_EOTHER, "socket");
    unlink(STATE_SOCKET); /* a stale socket of a crashed daemon: we hold the lock */
    mode_t old = umask(077);
    int bound = bind(fd, (struct sockaddr *)&addr, sizeof addr);
    umask(old);
    if (bound != 0 || chmod(STATE_SOCKET, 0600) != 0 || listen(fd, 64) != 0) {
        code = cr_fail_errno(err, CR_EIO, "control socket %s", STATE_SOCKET);
        close(fd);
        return code;
    }
    *fd_out = fd;
    return CR_OK;
}

static void write_all(int fd, const char *bytes, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, bytes, len);
        if (n <= 0) {
            if (n < 0 && errno == EINTR)
                continue;
            return;
        }
        bytes += n;
        len -= (size_t)n;
    }
}

/* The engine's handler for the listening socket: every waiting client, one request each. */
static void control_serve(engine *e, int listen_fd, void *ctx)
{
    (void)ctx;
    for (;;) {
        int client = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (client < 0)
            return;
        struct timeval limit = {.tv_sec = 1};
        setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
        setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
        struct ucred cred;
        socklen_t cred_len = sizeof cred;
        if (getsockopt(client, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0 ||
            (cred.uid != geteuid() && cred.uid != 0)) {
            close(client);
            continue;
        }
        char request[256];
        size_t used = 0;
        while (used < sizeof request - 1) {
            ssize_t n = read(client, request + used, sizeof request - 1 - used);
            if (n <= 0)
                break;
            used += (size_t)n;
            if (memchr(request, '\n', used))
                break;
        }
        request[used] = '\0';
        request[strcspn(request, "\r\n")] = '\0';
        cr_buf reply;
        cr_buf_init(&reply);
        if (!strcmp(request, "status") || !strcmp(request, "status-json")) {
            cr_err err;
            int settling[engine_config(e)->stage_count + 1];
            engine_settling(e, settling);
            if (report_status(engine_record(e), engine_config(e), getpid(), settling,
                              !strcmp(request, "status-json"), &reply, &err)) {
                cr_warn("status: %s", err.msg); /* the client gets no answer and reads the
                                                 * record itself */
                cr_buf_reset(&reply);
            }
        } else if (!strcmp(request, "stop") || !strcmp(request, "stop-now")) {
            int now = !strcmp(request, "stop-now");
            cr_buf_printf(&reply, "stopping pid %ld: %s %d run%s\n", (long)getpid(),
                          now ? "ending" : "waiting for", engine_running_count(e),
                          engine_running_count(e) == 1 ? "" : "s");
            engine_request_stop(e, now);
        } else if (!strcmp(request, "reload")) {
            cr_err err;
            if (engine_reload(e, &err))
                cr_buf_printf(&reply, "error: %s\n", err.msg);
            else
                cr_buf_puts(&reply, "reloaded\n");
        } else if (!strcmp(request, "wake")) {
            cr_buf_puts(&reply, "ok\n");
        } else {
            char shown[64 * 4 + 1], cut[65]; /* echoed to a terminal: escaped */
            snprintf(cut, sizeof cut, "%.64s", request);
            cr_escape_controls(cut, shown, sizeof shown);
            cr_buf_printf(&reply, "error: unknown request '%s'\n", shown);
        }
        if (reply.data)
            write_all(client, reply.data, reply.len);
        cr_buf_free(&reply);
        close(client);
    }
}

int control_attach(engine *e, int listen_fd, cr_err *err)
{
    return engine_add_handler(e, listen_fd, control_serve, NULL, err);
}

int control_request(const char *request, cr_buf *reply, int timeout_ms, cr_err *err)
{
    struct sockaddr_un addr;
    int code = socket_address(&addr, err);
    if (code)
        return code;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return cr_fail_errno(err, CR_EOTHER, "socket");
    struct timeval limit = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        code = cr_fail_errno(err, CR_ETEMP, "connecting to %s", STATE_SOCKET);
        close(fd);
        return code;
    }
    char line[300];
    int len = snprintf(line, sizeof line, "%s\n", request);
    write_all(fd, line, (size_t)len);
    shutdown(fd, SHUT_WR);
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        if (reply)
            cr_buf_append(reply, chunk, (size_t)n);
    code = n < 0 ? cr_fail_errno(err, CR_ETEMP, "reading the daemon's answer") : CR_OK;
    close(fd);
    return code;
}

int daemon_detach(int *report_fd, const char *log_path, cr_err *err)
{
    *report_fd = -1;
    int pipe_fds[2];
    if (pipe2(pipe_fds, O_CLOEXEC) != 0)
        return cr_fail_errno(err, CR_EOTHER, "pipe");
    fflush(NULL);
    pid_t first = fork();
    if (first < 0)
        return cr_fail_errno(err, CR_ETEMP, "fork");
    if (first > 0) {
        close(pipe_fds[1]);
        waitpid(first, NULL, 0);
        char message[2048];
        size_t used = 0;
        ssize_t n;
        while (used < sizeof message - 1 &&
               (n = read(pipe_fds[0], message + used, sizeof message - 1 - used)) > 0)
            used += (size_t)n;
        message[used] = '\0';
        close(pipe_fds[0]);
        int code = CR_EOTHER;
        char *text = message;
        if (used > 0) {
            code = (int)strtol(message, &text, 10);
            if (*text == ' ')
                text++;
        }
        if (used == 0)
            fprintf(stderr, "orchestrator: start: the daemon exited during start-up (see %s)\n",
                    log_path);
        else if (code == 0)
            printf("%s\n", text);
        else
            fprintf(stderr, "orchestrator: start: %s\n", text);
        cr_err_clear(err);
        if (err)
            err->code = code; /* its message is printed: err's stays empty */
        return code;
    }
    close(pipe_fds[0]);
    setsid();
    pid_t second = fork();
    if (second != 0)
        _exit(second < 0 ? 1 : 0);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (null_fd >= 0) {
        dup2(null_fd, 0);
        dup2(null_fd, 1);
        close(null_fd);
    }
    if (log_fd >= 0) {
        dup2(log_fd, 2);
        close(log_fd);
    }
    *report_fd = pipe_fds[1];
    return 0;
}

void daemon_report(int report_fd, int code, const char *message)
{
    if (report_fd < 0)
        return;
    char text[2048];
    int len = snprintf(text, sizeof text, "%d %s", code, message);
    write_all(report_fd, text, (size_t)(len < (int)sizeof text ? len : (int)sizeof text - 1));
    close(report_fd);
}
