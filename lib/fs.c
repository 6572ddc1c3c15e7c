/* fs.c — atomic outputs, whole-file reads and folder walks (see fs.h). */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

void cr_path_dirname(const char *path, char *out, size_t out_size)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, out_size, ".");
    } else if (slash == path) {
        snprintf(out, out_size, "/");
    } else {
        size_t len = (size_t)(slash - path);
        snprintf(out, out_size, "%.*s", (int)len, path);
    }
}

int cr_path_join(char *out, size_t out_size, const char *folder, const char *name, cr_err *err)
{
    size_t folder_len = strlen(folder);
    int need_slash = folder_len > 0 && folder[folder_len - 1] != '/';
    int written = snprintf(out, out_size, "%s%s%s", folder, need_slash ? "/" : "", name);
    if (written < 0 || (size_t)written >= out_size)
        return cr_fail(err, CR_EUSAGE, "path too long: %s/%s", folder, name);
    return CR_OK;
}

int cr_fsync_dir(const char *path, cr_err *err)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening folder %s", path);
    if (fsync(fd) < 0 && errno != EINVAL) {
        int code = cr_fail_errno(err, CR_EIO, "syncing folder %s", path);
        close(fd);
        return code;
    }
    close(fd);
    return CR_OK;
}

int cr_atomic_open(cr_atomic_file *f, const char *path, cr_err *err)
{
    f->fd = -1;
    if (strlen(path) >= sizeof f->final_path)
        return cr_fail(err, CR_EUSAGE, "path too long: %s", path);
    snprintf(f->final_path, sizeof f->final_path, "%s", path);
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.tmp.%ld", path, (long)getpid());
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return cr_fail_errno(err, CR_EIO, "creating %s", f->tmp_path);
    return CR_OK;
}

int cr_atomic_write(cr_atomic_file *f, const void *bytes, size_t len, cr_err *err)
{
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cr_fail_errno(err, CR_EIO, "writing %s", f->final_path);
        }
        p += n;
        len -= (size_t)n;
    }
    return CR_OK;
}

int cr_atomic_pwrite(cr_atomic_file *f, const void *bytes, size_t len, off_t offset, cr_err *err)
{
    const char *p = bytes;
    while (len > 0) {
        ssize_t n = pwrite(f->fd, p, len, offset);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cr_fail_errno(err, CR_EIO, "writing %s", f->final_path);
        }
        p += n;
        len -= (size_t)n;
        offset += n;
    }
    return CR_OK;
}

void cr_atomic_abort(cr_atomic_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->tmp_path[0])
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}

/* fsync, close, rename; the folder's fsync is the caller's. */
static int commit_nosync_dir(cr_atomic_file *f, cr_err *err)
{
    int code = CR_OK;
    if (fsync(f->fd) < 0) {
        code = cr_fail_errno(err, CR_EIO, "syncing %s", f->final_path);
    } else if (close(f->fd) < 0) {
        f->fd = -1;
        code = cr_fail_errno(err, CR_EIO, "closing %s", f->final_path);
    } else {
        f->fd = -1;
        if (rename(f->tmp_path, f->final_path) < 0)
            code = cr_fail_errno(err, CR_EIO, "renaming %s to %s", f->tmp_path, f->final_path);
    }
    if (code != CR_OK) {
        cr_atomic_abort(f);
        return code;
    }
    f->tmp_path[0] = '\0';
    return CR_OK;
}

int cr_atomic_commit(cr_atomic_file *f, cr_err *err)
{
    int code = commit_nosync_dir(f, err);
    if (code)
        return code;
    char folder[4096];
    cr_path_dirname(f->final_path, folder, sizeof folder);
    return cr_fsync_dir(folder, err);
}

int cr_write_file_atomic(const char *path, const void *bytes, size_t len, cr_err *err)
{
    cr_atomic_file f;
    int code = cr_atomic_open(&f, path, err);
    if (code)
        return code;
    code = cr_atomic_write(&f, bytes, len, err);
    if (code) {
        cr_atomic_abort(&f);
        return code;
    }
    return cr_atomic_commit(&f, err);
}

/* The O_TMPFILE way: an unnamed file in path's folder, written, then linked under
 * NAME.tmp.<pid>, complete. The new inode is allocated without the folder's lock (a create
 * holds it for the whole allocation). Returns -1 when the file system cannot do it (no
 * O_TMPFILE, no /proc): nothing was created, the caller creates NAME.tmp.<pid> instead. */
static int stage_unnamed(cr_atomic_file *f, const void *bytes, size_t len, cr_err *err)
{
#ifdef O_TMPFILE
    char folder[4096];
    cr_path_dirname(f->final_path, folder, sizeof folder);
    f->tmp_path[0] = '\0';
    f->fd = open(folder, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return -1;
    int code = cr_atomic_write(f, bytes, len, err);
    if (code) {
        cr_atomic_abort(f); /* the unnamed file goes with its last descriptor */
        return code;
    }
    char self[64], tmp_path[sizeof f->tmp_path];
    snprintf(self, sizeof self, "/proc/self/fd/%d", f->fd);
    snprintf(tmp_path, sizeof tmp_path, "%s.tmp.%ld", f->final_path, (long)getpid());
    unlink(tmp_path); /* left by a killed process that had our pid, as O_TRUNC would */
    if (linkat(AT_FDCWD, self, AT_FDCWD, tmp_path, AT_SYMLINK_FOLLOW) < 0) {
        cr_atomic_abort(f);
        return -1;
    }
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s", tmp_path);
    return CR_OK;
#else
    (void)f, (void)bytes, (void)len, (void)err;
    return -1;
#endif
}

int cr_atomic_stage(cr_atomic_file *f, const char *path, const void *bytes, size_t len, cr_err *err)
{
    f->fd = -1;
    f->tmp_path[0] = '\0';
    if (strlen(path) >= sizeof f->final_path)
        return cr_fail(err, CR_EUSAGE, "path too long: %s", path);
    snprintf(f->final_path, sizeof f->final_path, "%s", path);
    int code = stage_unnamed(f, bytes, len, err);
    if (code == -1) {
        if ((code = cr_atomic_open(f, path, err)))
            return code;
        if ((code = cr_atomic_write(f, bytes, len, err)))
            cr_atomic_abort(f);
    }
    return code;
}

/* Synced once linked, so that the inode reaches the disk with its link count: without a
 * journal, the folder's fsync does not write the file's inode. */
int cr_atomic_publish(cr_atomic_file *f, int synced, cr_err *err)
{
    if (!synced)
        return commit_nosync_dir(f, err);
    int code = CR_OK;
    if (close(f->fd) < 0)
        code = cr_fail_errno(err, CR_EIO, "closing %s", f->final_path);
    f->fd = -1;
    if (!code && rename(f->tmp_path, f->final_path) < 0)
        code = cr_fail_errno(err, CR_EIO, "renaming %s to %s", f->tmp_path, f->final_path);
    if (code) {
        cr_atomic_abort(f);
        return code;
    }
    f->tmp_path[0] = '\0';
    return CR_OK;
}

int cr_syncfs(int fd, const char *what, cr_err *err)
{
    if (syncfs(fd) < 0)
        return cr_fail_errno(err, CR_EIO, "syncing the file system of %s", what);
    return CR_OK;
}

int cr_write_file_atomic_nosync_dir(const char *path, const void *bytes, size_t len, cr_err *err)
{
    cr_atomic_file f;
    int code = cr_atomic_stage(&f, path, bytes, len, err);
    return code ? code : cr_atomic_publish(&f, 0, err);
}

int cr_read_file(const char *path, char **bytes, size_t *len, size_t max_bytes, cr_err *err)
{
    *bytes = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening %s", path);
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int code = cr_fail_errno(err, CR_EIO, "reading %s", path);
        close(fd);
        return code;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return cr_fail(err, CR_EDATA, "reading %s: is a folder", path);
    }
    if (max_bytes && (size_t)st.st_size > max_bytes) {
        close(fd);
        return cr_fail(err, CR_EDATA, "reading %s: %lld bytes, more than the limit of %zu", path,
                       (long long)st.st_size, max_bytes);
    }
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
    char *data = malloc(cap);
    if (!data) {
        close(fd);
        return cr_fail(err, CR_EOTHER, "reading %s: out of memory", path);
    }
    size_t used = 0;
    for (;;) {
        if (used + 1 >= cap) { /* the file grew, or it has no size (a pipe) */
            if (max_bytes && used >= max_bytes) {
                free(data);
                close(fd);
                return cr_fail(err, CR_EDATA, "reading %s: more than the limit of %zu bytes", path,
                               max_bytes);
            }
            if (cr_grow(&data, &cap, used + 2, 1) < 0) {
                free(data);
                close(fd);
                return cr_fail(err, CR_EOTHER, "reading %s: out of memory", path);
            }
        }
        ssize_t n = read(fd, data + used, cap - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int code = cr_fail_errno(err, CR_EIO, "reading %s", path);
            free(data);
            close(fd);
            return code;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    data[used] = '\0';
    *bytes = data;
    *len = used;
    return CR_OK;
}

int cr_mkdir_p(const char *path, cr_err *err)
{
    char partial[4096];
    size_t len = strlen(path);
    if (len == 0)
        return CR_OK;
    if (len >= sizeof partial)
        return cr_fail(err, CR_EUSAGE, "path too long: %s", path);
    memcpy(partial, path, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (partial[i] != '/' && partial[i] != '\0')
            continue;
        char saved = partial[i];
        partial[i] = '\0';
        if (mkdir(partial, 0755) < 0 && errno != EEXIST)
            return cr_fail_errno(err, CR_EIO, "creating folder %s", partial);
        partial[i] = saved;
    }
    if (!cr_is_dir(path))
        return cr_fail(err, CR_EIO, "creating folder %s: a file is in the way", path);
    return CR_OK;
}

int cr_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int cr_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

typedef struct path_list {
    char **paths;
    size_t count;
    size_t cap;
} path_list;

static int list_push(path_list *list, const char *path, cr_err *err)
{
    if (cr_grow(&list->paths, &list->cap, list->count + 1, sizeof *list->paths) < 0)
        return cr_fail(err, CR_EOTHER, "listing inputs: out of memory");
    list->paths[list->count] = strdup(path);
    if (!list->paths[list->count])
        return cr_fail(err, CR_EOTHER, "listing inputs: out of memory");
    list->count++;
    return CR_OK;
}

static int skipped_name(const char *name)
{
    return name[0] == '.' || fnmatch("*.tmp.*", name, 0) == 0;
}

static int walk(path_list *list, const char *path, int depth, cr_err *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "reading input %s", path);
    if (S_ISREG(st.st_mode))
        return list_push(list, path, err);
    if (!S_ISDIR(st.st_mode) && depth == 0) /* named by the user: never dropped in silence */
        return cr_fail(err, CR_EDATA, "reading input %s: not a regular file (%s)", path,
                       S_ISFIFO(st.st_mode)                         ? "a FIFO"
                       : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                                                                    : "a socket");
    if (!S_ISDIR(st.st_mode) || depth > 64)
        return CR_OK;
    struct dirent **entries;
    int count = scandir(path, &entries, NULL, alphasort);
    if (count < 0)
        return cr_fail_errno(err, CR_EIO, "reading folder %s", path);
    int code = CR_OK;
    for (int i = 0; i < count; i++) {
        if (code == CR_OK && !skipped_name(entries[i]->d_name)) {
            char child[4096];
            code = cr_path_join(child, sizeof child, path, entries[i]->d_name, err);
            if (code == CR_OK)
                code = walk(list, child, depth + 1, err);
        }
        free(entries[i]);
    }
    free(entries);
    return code;
}

static int compare_paths(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int cr_list_inputs(char *const *inputs, int input_count, char ***paths, size_t *path_count,
                   cr_err *err)
{
    path_list list = {0};
    for (int i = 0; i < input_count; i++) {
        int code = walk(&list, inputs[i], 0, err);
        if (code) {
            cr_free_list(list.paths, list.count);
            return code;
        }
    }
    if (list.count > 1)
        qsort(list.paths, list.count, sizeof *list.paths, compare_paths);
    *paths = list.paths;
    *path_count = list.count;
    return CR_OK;
}

void cr_free_list(char **paths, size_t path_count)
{
    for (size_t i = 0; i < path_count; i++)
        free(paths[i]);
    free(paths);
}

int cr_remove_stale_temporaries(const char *folder)
{
    DIR *d = opendir(folder);
    if (!d)
        return 0;
    int removed = 0;
    int dir_fd = dirfd(d);
    for (struct dirent *e; (e = readdir(d));) {
        const char *mark = strstr(e->d_name, ".tmp.");
        if (!mark)
            continue;
        while (strstr(mark + 1, ".tmp."))
            mark = strstr(mark + 1, ".tmp.");
        const char *digits = mark + 5;
        char *end;
        long pid = strtol(digits, &end, 10);
        if (end == digits || *end || pid <= 0 || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* its process is still there (or not ours to ask about) */
        struct stat st;
        if (fstatat(dir_fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
            unlinkat(dir_fd, e->d_name, 0) == 0)
            removed++;
    }
    closedir(d);
    if (removed)
        cr_info("removed %d temporary file%s left by killed runs in %s", removed,
                removed == 1 ? "" : "s", folder);
    return removed;
}
