/* control.h — one daemon per workspace: the pidfile with its lock, the UNIX control socket
 * (mode 0600, inside the workspace's state folder) and detaching into the background with a
 * start-up report to the parent. The socket is one of the engine loop's event sources
 * (control_attach); the commands that send requests are in commands.c. */
#ifndef ORCH_CONTROL_H
#define ORCH_CONTROL_H

#include <sys/types.h>

#include "buf.h"
#include "status.h"

typedef struct engine engine;

/* Locks the pidfile (flock, held for the daemon's life). When another process holds it:
 * CR_ETEMP, with its pid in *holder and in the message. */
int pidfile_lock(int *fd, pid_t *holder, cr_err *err);
int pidfile_write(int fd, pid_t pid, cr_err *err);
/* The pid of the running daemon, 0 when none holds the lock. */
pid_t pidfile_holder(void);

int control_listen(int *fd, cr_err *err);
/* Makes the listening socket an event source of the engine: each client's one-line request
 * (status, status-json, stop, stop-now, reload, wake) is answered from the loop. Clients must
 * be the same user (SO_PEERCRED) or root. */
int control_attach(engine *e, int listen_fd, cr_err *err);
/* Sends a request and reads the whole reply (reply NULL: not kept); CR_ETEMP when no daemon
 * answers. */
int control_request(const char *request, cr_buf *reply, int timeout_ms, cr_err *err);

/* Detaches. The daemon returns 0 with the write end of the report pipe in *report_fd. The
 * caller's process waits for the daemon's report, prints it and returns its code with
 * *report_fd -1 and err's message empty; a failure to detach also leaves *report_fd -1. */
int daemon_detach(int *report_fd, const char *log_path, cr_err *err);
/* The daemon's report: code 0 and its pid, or an error. */
void daemon_report(int report_fd, int code, const char *message);

#endif
