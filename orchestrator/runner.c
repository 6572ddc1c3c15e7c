/* runner.c — argv expansion and vfork + execv of one child (see runner.h). It never waits for
 * a child: SIGCHLD and waitpid belong to the engine's loop (engine.c). The child is made
 * with vfork and does nothing but system calls before exec. */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

void argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
}

static const char *lookup(const char *name, size_t len, const argv_vars *v)
{
#define IS(word) (len == sizeof word - 1 && !strncmp(name, word, len))
    if (IS("input"))
        return v->input_count > 0 ? v->inputs[0] : "";
    if (IS("workspace"))
        return v->workspace ? v->workspace : "";
    if (IS("stage"))
        return v->stage ? v->stage : "";
    if (IS("event"))
        return v->event ? v->event : "";
    if (IS("exit"))
        return v->exit_text ? v->exit_text : "";
#undef IS
    return NULL;
}

int argv_expand(char *const *tmpl, int argc, const argv_vars *v, char ***out, cr_err *err)
{
    size_t total = 0;
    for (int i = 0; i < argc; i++)
        total += !strcmp(tmpl[i], "{inputs}") ? (size_t)v->input_count : 1;
    char **argv = calloc(total + 1, sizeof *argv);
    if (!argv)
        return cr_fail(err, CR_EOTHER, "out of memory");
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(tmpl[i], "{inputs}")) {
            for (int k = 0; k < v->input_count; k++)
                if (!(argv[n++] = strdup(v->inputs[k])))
                    goto oom;
            continue;
        }
        cr_buf b;
        cr_buf_init(&b);
        const char *p = tmpl[i];
        while (*p) {
            const char *open = strchr(p, '{');
            const char *close = open ? strchr(open, '}') : NULL;
            const char *value = close ? lookup(open + 1, (size_t)(close - open - 1), v) : NULL;
            if (!value) {
                size_t upto = open ? (size_t)(open - p) + 1 : strlen(p);
                cr_buf_append(&b, p, upto);
                p += upto;
                continue;
            }
            cr_buf_append(&b, p, (size_t)(open - p));
            cr_buf_puts(&b, value);
            p = close + 1;
        }
        if (b.failed || !(argv[n] = b.data ? b.data : strdup(""))) {
            cr_buf_free(&b);
            goto oom;
        }
        n++;
    }
    *out = argv;
    return CR_OK;
oom:
    argv_free(argv);
    return cr_fail(err, CR_EOTHER, "out of memory");
}

/* Child side, after vfork: system calls only, then exec or _exit (the child borrows the
 * parent's memory until then, so it must not allocate, lock or return). */
static void child_exec(const char *program, char *const *argv, int log_fd, int null_fd)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    static const int defaults[] = {SIGPIPE, SIGXFSZ, SIGHUP, SIGTERM, SIGINT};
    for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
        signal(defaults[i], SIG_DFL);
    setpgid(0, 0);
    dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execv(program, argv);
    int saved = errno;
    const char *why = strerrordesc_np(saved); /* a static table: safe here */
    if (!why)
        why = "cannot execute";
    const char *parts[] = {"orchestrator: cannot run ", program, ": ", why, "\n"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        ssize_t ignored = write(2, parts[i], strlen(parts[i]));
        (void)ignored;
    }
    _exit(127);
}

int runner_spawn(const char *program, char *const *argv, const char *log_path, pid_t *pid,
                 cr_err *err)
{
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd < 0)
        return cr_fail_errno(err, CR_EIO, "opening /dev/null");
    int log_fd = null_fd;
    if (log_path) {
        log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (log_fd < 0) {
            int code = cr_fail_errno(err, CR_EIO, "opening the run log %s", log_path);
            close(null_fd);
            return code;
        }
    }
    /* vfork, not fork: fork copies the daemon's page tables for every run only for exec to
     * throw them away; that was a fifth of the orchestrator's cost per run (bench/). */
    pid_t parent = getpid();
    pid_t child = vfork();
    if (child < 0) {
        int code = cr_fail_errno(err, CR_ETEMP, "fork");
        if (log_fd != null_fd)
            close(log_fd);
        close(null_fd);
        return code;
    }
    if (child == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* the orchestrator died between fork and prctl */
        child_exec(program, argv, log_fd, null_fd);
    }
    /* Also from the parent, so the group exists before anyone signals it. */
    setpgid(child, child);
    if (log_fd != null_fd)
        close(log_fd);
    close(null_fd);
    *pid = child;
    return CR_OK;
}

long long runner_pid_start(pid_t pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    /* The command name (field 2) may hold spaces and parentheses: count from the last ')'. */
    char *p = strrchr(text, ')');
    if (!p)
        return 0;
    int field = 2;
    while (*p && field < 22) {
        if (*p == ' ')
            field++;
        p++;
    }
    return strtoll(p, NULL, 10);
}

void runner_signal(pid_t pid, int sig)
{
    if (pid <= 1)
        return;
    kill(-pid, sig);
    kill(pid, sig);
}

void runner_log_tail(const char *log_path, int max_lines, char *out, size_t out_size)
{
    out[0] = '\0';
    int fd = log_path ? open(log_path, O_RDONLY | O_CLOEXEC) : -1;
    if (fd < 0)
        return;
    char text[4097];
    struct stat st;
    off_t from = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 4096)
        from = st.st_size - 4096;
    ssize_t n = pread(fd, text, 4096, from);
    close(fd);
    if (n <= 0)
        return;
    text[n] = '\0';
    while (n > 0 && text[n - 1] == '\n')
        text[--n] = '\0';
    const char *start = text;
    int lines = 0;
    for (ssize_t i = n - 1; i >= 0; i--) {
        if (text[i] == '\n' && ++lines == max_lines) {
            start = text + i + 1;
            break;
        }
    }
    if (start == text && from > 0) {
        const char *nl = strchr(text, '\n'); /* skip the partial first line */
        if (nl)
            start = nl + 1;
    }
    snprintf(out, out_size, "%s", start);
}

void runner_tidy_logs(const char *logs_dir, int64_t last_removed_run, const char *daemon_log,
                      long daemon_log_max)
{
    DIR *logs = opendir(logs_dir);
    for (struct dirent *stage; logs && (stage = readdir(logs));) {
        char folder[PATH_MAX];
        snprintf(folder, sizeof folder, "%s/%s", logs_dir, stage->d_name);
        DIR *d = stage->d_name[0] != '.' ? opendir(folder) : NULL;
        for (struct dirent *log; d && (log = readdir(d));) {
            char *end;
            long long id = strtoll(log->d_name, &end, 10);
            if (end != log->d_name && !strcmp(end, ".log") && id <= last_removed_run)
                unlinkat(dirfd(d), log->d_name, 0);
        }
        if (d)
            closedir(d);
    }
    if (logs)
        closedir(logs);
    /* daemon.log is ours only while stderr is that file (not with --foreground) */
    struct stat written, named;
    if (fstat(2, &written) == 0 && stat(daemon_log, &named) == 0 &&
        written.st_ino == named.st_ino && written.st_dev == named.st_dev &&
        named.st_size > daemon_log_max) {
        char old[PATH_MAX];
        snprintf(old, sizeof old, "%s.1", daemon_log);
        int fd = -1;
        if (rename(daemon_log, old) == 0)
            fd = open(daemon_log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            dup2(fd, 2);
            close(fd);
            cr_info("log continued from %s", old);
        }
    }
}
