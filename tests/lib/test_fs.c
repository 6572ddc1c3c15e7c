/* Unit tests of lib/fs.c: atomic outputs under interruption and a full disk, whole-file
 * reads, mkdir -p and input listing. Faults are real: a child process killed with SIGKILL in
 * the middle of a write, and RLIMIT_FSIZE standing in for a full disk. */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"

static char *slurp(const char *path)
{
    char *bytes;
    size_t len;
    if (cr_read_file(path, &bytes, &len, 0, NULL) != CR_OK)
        return NULL;
    return bytes;
}

static int count_entries(const char *folder)
{
    char command[512];
    snprintf(command, sizeof command, "ls -A '%s' | wc -l", folder);
    FILE *p = popen(command, "r");
    int count = -1;
    if (p) {
        if (fscanf(p, "%d", &count) != 1)
            count = -1;
        pclose(p);
    }
    return count;
}

/* A child process on a "full disk": its files may not grow past 4 KiB (RLIMIT_FSIZE), and big
 * is 64 KiB to write. Returns 0 in the child, its pid in the parent. */
static char big[65536];
static pid_t fork_on_full_disk(void)
{
    memset(big, 'x', sizeof big);
    pid_t child = fork();
    if (child == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit limit = {.rlim_cur = 4096, .rlim_max = 4096};
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    return child;
}

/* The child's exit status, -1 when it did not exit. */
static int exit_status(pid_t child)
{
    int status;
    if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

static int current_umask(void)
{
    mode_t mask = umask(0);
    umask(mask);
    return (int)mask;
}

TEST(atomic_write_replaces_file)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    cr_err err = {0};
    CHECK_INT_EQ(cr_write_file_atomic(path, "old", 3, &err), CR_OK);
    CHECK_INT_EQ(cr_write_file_atomic(path, "new text", 8, &err), CR_OK);
    char *text = slurp(path);
    CHECK_STR_EQ(text, "new text");
    free(text);
    CHECK_INT_EQ(count_entries(dir), 1); /* no temporary file left */
    check_rm_rf(dir);
}

TEST(killed_writer_leaves_old_file_intact)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/model.bin", dir);
    CHECK_INT_EQ(cr_write_file_atomic(path, "old contents", 12, NULL), CR_OK);
    pid_t child = fork();
    if (child == 0) {
        cr_atomic_file f;
        cr_atomic_open(&f, path, NULL);
        cr_atomic_write(&f, "half of the new", 15, NULL);
        raise(SIGKILL); /* dies between the write and the rename */
        _exit(0);
    }
    int status;
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char *text = slurp(path);
    CHECK_STR_EQ(text, "old contents");
    free(text);
    /* The partial output exists only under its temporary name. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)child);
    CHECK(cr_is_file(tmp));
    check_rm_rf(dir);
}

TEST(full_disk_fails_cleanly_and_keeps_old_file)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/doc.txt", dir);
    CHECK_INT_EQ(cr_write_file_atomic(path, "old", 3, NULL), CR_OK);
    int pipe_fd[2];
    CHECK(pipe(pipe_fd) == 0);
    pid_t child = fork_on_full_disk();
    if (child == 0) {
        cr_err err = {0};
        int code = cr_write_file_atomic(path, big, sizeof big, &err);
        ssize_t ignored = write(pipe_fd[1], err.msg, strlen(err.msg) + 1);
        (void)ignored;
        _exit(code);
    }
    close(pipe_fd[1]);
    char message[1024] = {0};
    ssize_t got = read(pipe_fd[0], message, sizeof message - 1);
    (void)got;
    close(pipe_fd[0]);
    CHECK_INT_EQ(exit_status(child), CR_EIO);
    CHECK_CONTAINS(message, "writing");
    CHECK_CONTAINS(message, "doc.txt");
    char *text = slurp(path);
    CHECK_STR_EQ(text, "old");
    free(text);
    CHECK_INT_EQ(count_entries(dir), 1); /* the temporary file was removed */
    check_rm_rf(dir);
}

TEST(nosync_dir_write_creates_and_replaces)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/page.html", dir);
    cr_err err = {0};
    CHECK_INT_EQ(cr_write_file_atomic_nosync_dir(path, "first", 5, &err), CR_OK);
    char *text = slurp(path);
    CHECK_STR_EQ(text, "first");
    free(text);
    struct stat st;
    CHECK(stat(path, &st) == 0);
    CHECK_INT_EQ(st.st_mode & 0777, 0644 & ~current_umask());
    /* An existing file is replaced whole, through a temporary that does not stay. */
    CHECK_INT_EQ(cr_write_file_atomic_nosync_dir(path, "second, longer", 14, &err), CR_OK);
    text = slurp(path);
    CHECK_STR_EQ(text, "second, longer");
    free(text);
    CHECK_INT_EQ(cr_write_file_atomic_nosync_dir(path, "", 0, &err), CR_OK);
    CHECK(stat(path, &st) == 0 && st.st_size == 0);
    CHECK_INT_EQ(count_entries(dir), 1);
    CHECK_INT_EQ(cr_fsync_dir(dir, &err), CR_OK);
    check_rm_rf(dir);
}

TEST(nosync_dir_full_disk_leaves_nothing)
{
    char *dir = check_tmpdir();
    char path[512], old_path[512];
    snprintf(path, sizeof path, "%s/new.html", dir);
    snprintf(old_path, sizeof old_path, "%s/old.html", dir);
    CHECK_INT_EQ(cr_write_file_atomic(old_path, "old", 3, NULL), CR_OK);
    pid_t child = fork_on_full_disk();
    if (child == 0) {
        int code_new = cr_write_file_atomic_nosync_dir(path, big, sizeof big, NULL);
        int code_old = cr_write_file_atomic_nosync_dir(old_path, big, sizeof big, NULL);
        _exit(code_new == CR_EIO && code_old == CR_EIO ? 0 : 1);
    }
    CHECK_INT_EQ(exit_status(child), 0);
    CHECK(!cr_is_file(path));
    char *text = slurp(old_path);
    CHECK_STR_EQ(text, "old");
    free(text);
    CHECK_INT_EQ(count_entries(dir), 1); /* no temporary, named or not, is left */
    check_rm_rf(dir);
}

TEST(staged_batch_appears_only_when_published)
{
    char *dir = check_tmpdir();
    int folder_fd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(folder_fd >= 0);
    cr_atomic_file files[3];
    char path[3][512];
    cr_err err = {0};
    for (int i = 0; i < 3; i++) {
        snprintf(path[i], sizeof path[i], "%s/f%d.html", dir, i);
        CHECK_INT_EQ(cr_atomic_stage(&files[i], path[i], "staged", 6, &err), CR_OK);
        CHECK(!cr_is_file(path[i])); /* staged: only the temporary name exists */
    }
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.')
            CHECK_CONTAINS(e->d_name, ".tmp.");
    if (d)
        closedir(d);
    CHECK_INT_EQ(cr_syncfs(folder_fd, dir, &err), CR_OK);
    CHECK_INT_EQ(cr_atomic_publish(&files[0], 1, &err), CR_OK); /* synced by the syncfs */
    CHECK_INT_EQ(cr_atomic_publish(&files[1], 0, &err), CR_OK); /* synced on its own */
    cr_atomic_abort(&files[2]);
    char *text = slurp(path[0]);
    CHECK_STR_EQ(text, "staged");
    free(text);
    text = slurp(path[1]);
    CHECK_STR_EQ(text, "staged");
    free(text);
    CHECK(!cr_is_file(path[2]));
    CHECK_INT_EQ(count_entries(dir), 2); /* no temporary left by the aborted one */
    close(folder_fd);
    check_rm_rf(dir);
}

TEST(staging_on_a_full_disk_leaves_nothing)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/big.html", dir);
    pid_t child = fork_on_full_disk();
    if (child == 0) {
        cr_atomic_file f;
        cr_err err = {0};
        int code = cr_atomic_stage(&f, path, big, sizeof big, &err);
        _exit(code == CR_EIO && strstr(err.msg, "big.html") ? 0 : 1);
    }
    CHECK_INT_EQ(exit_status(child), 0);
    CHECK_INT_EQ(count_entries(dir), 0);
    check_rm_rf(dir);
}

TEST(stale_temporaries_of_dead_processes_are_removed)
{
    char *dir = check_tmpdir();
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0); /* gone: its pid is not reused this soon */
    pid_t alive = fork();
    if (alive == 0) {
        pause();
        _exit(0);
    }
    char path[512];
    const char *names[] = {"a.txt.tmp.%ld", "b.html.tmp.%ld", "c.txt.tmp.%ld", "d.tmp.x", "e.txt"};
    long pids[] = {(long)dead, (long)alive, (long)getpid(), 0, 0};
    for (int i = 0; i < 5; i++) {
        char name[64];
        snprintf(name, sizeof name, names[i], pids[i]);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        CHECK_INT_EQ(cr_write_file_atomic(path, "x", 1, NULL), CR_OK);
    }
    snprintf(path, sizeof path, "%s/f.tmp.%ld", dir, (long)dead);
    CHECK_INT_EQ(mkdir(path, 0755), 0); /* a folder is never removed */
    CHECK_INT_EQ(cr_remove_stale_temporaries(dir), 1);
    snprintf(path, sizeof path, "%s/a.txt.tmp.%ld", dir, (long)dead);
    CHECK(!cr_is_file(path));
    CHECK_INT_EQ(count_entries(dir), 5); /* the live process's, our own, the others, the folder */
    CHECK_INT_EQ(cr_remove_stale_temporaries(dir), 0);
    CHECK_INT_EQ(cr_remove_stale_temporaries("/nonexistent-folder"), 0);
    kill(alive, SIGKILL);
    waitpid(alive, NULL, 0);
    CHECK_INT_EQ(cr_remove_stale_temporaries(dir), 1);
    check_rm_rf(dir);
}

TEST(nosync_dir_in_missing_folder_is_io_error)
{
    cr_err err = {0};
    CHECK_INT_EQ(cr_write_file_atomic_nosync_dir("/nonexistent-folder/x/y.txt", "a", 1, &err),
                 CR_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent-folder/x/y.txt");
}

TEST(pwrite_fills_header_after_body)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/h.bin", dir);
    cr_atomic_file f;
    CHECK_INT_EQ(cr_atomic_open(&f, path, NULL), CR_OK);
    CHECK_INT_EQ(cr_atomic_write(&f, "....body", 8, NULL), CR_OK);
    CHECK_INT_EQ(cr_atomic_pwrite(&f, "HEAD", 4, 0, NULL), CR_OK);
    CHECK_INT_EQ(cr_atomic_commit(&f, NULL), CR_OK);
    char *text = slurp(path);
    CHECK_STR_EQ(text, "HEADbody");
    free(text);
    check_rm_rf(dir);
}

TEST(abort_removes_temporary)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/x", dir);
    cr_atomic_file f;
    CHECK_INT_EQ(cr_atomic_open(&f, path, NULL), CR_OK);
    cr_atomic_write(&f, "abc", 3, NULL);
    cr_atomic_abort(&f);
    CHECK_INT_EQ(count_entries(dir), 0);
    check_rm_rf(dir);
}

TEST(open_in_missing_folder_is_io_error)
{
    cr_err err = {0};
    CHECK_INT_EQ(cr_write_file_atomic("/nonexistent-folder/x/y.txt", "a", 1, &err), CR_EIO);
    CHECK_CONTAINS(err.msg, "/nonexistent-folder/x/y.txt.tmp.");
}

TEST(read_file_limits_and_errors)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/f", dir);
    cr_write_file_atomic(path, "0123456789", 10, NULL);
    char *bytes;
    size_t len;
    cr_err err = {0};
    CHECK_INT_EQ(cr_read_file(path, &bytes, &len, 0, &err), CR_OK);
    CHECK_INT_EQ(len, 10);
    CHECK_INT_EQ(bytes[10], 0);
    free(bytes);
    CHECK_INT_EQ(cr_read_file(path, &bytes, &len, 5, &err), CR_EDATA);
    CHECK_CONTAINS(err.msg, "limit");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    CHECK_INT_EQ(cr_read_file(missing, &bytes, &len, 0, &err), CR_ENOINPUT);
    CHECK_CONTAINS(err.msg, "missing");
    CHECK_INT_EQ(cr_read_file(dir, &bytes, &len, 0, &err), CR_EDATA);
    check_rm_rf(dir);
}

TEST(mkdir_p_and_listing)
{
    char *dir = check_tmpdir();
    char deep[512], file[600];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    cr_err err = {0};
    CHECK_INT_EQ(cr_mkdir_p(deep, &err), CR_OK);
    CHECK_INT_EQ(cr_mkdir_p(deep, &err), CR_OK); /* exists: fine */
    CHECK(cr_is_dir(deep));
    const char *names[] = {"a/b/c/z.txt", "a/m.txt", "b.txt", "a/.hidden", "a/out.txt.tmp.12"};
    for (size_t i = 0; i < 5; i++) {
        snprintf(file, sizeof file, "%s/%s", dir, names[i]);
        cr_write_file_atomic(file, "x", 1, NULL);
    }
    char *inputs[] = {dir};
    char **paths;
    size_t count;
    CHECK_INT_EQ(cr_list_inputs(inputs, 1, &paths, &count, &err), CR_OK);
    CHECK_INT_EQ(count, 3);
    if (count == 3) {
        CHECK(strstr(paths[0], "/a/b/c/z.txt") != NULL);
        CHECK(strstr(paths[1], "/a/m.txt") != NULL);
        CHECK(strstr(paths[2], "/b.txt") != NULL);
    }
    cr_free_list(paths, count);
    char *missing[] = {"/nonexistent-crystalline-input"};
    CHECK_INT_EQ(cr_list_inputs(missing, 1, &paths, &count, &err), CR_ENOINPUT);
    snprintf(file, sizeof file, "%s/b.txt/sub", dir);
    CHECK_INT_EQ(cr_mkdir_p(file, &err), CR_EIO);
    check_rm_rf(dir);
}

TEST(path_helpers)
{
    char out[64];
    cr_path_dirname("a/b/c.txt", out, sizeof out);
    CHECK_STR_EQ(out, "a/b");
    cr_path_dirname("c.txt", out, sizeof out);
    CHECK_STR_EQ(out, ".");
    cr_path_dirname("/c.txt", out, sizeof out);
    CHECK_STR_EQ(out, "/");
    CHECK_INT_EQ(cr_path_join(out, sizeof out, "raw/", "x.html", NULL), CR_OK);
    CHECK_STR_EQ(out, "raw/x.html");
    CHECK_INT_EQ(cr_path_join(out, 8, "raw", "long-name.html", NULL), CR_EUSAGE);
}

int main(void)
{
    RUN(atomic_write_replaces_file);
    RUN(killed_writer_leaves_old_file_intact);
    RUN(full_disk_fails_cleanly_and_keeps_old_file);
    RUN(nosync_dir_write_creates_and_replaces);
    RUN(nosync_dir_full_disk_leaves_nothing);
    RUN(staged_batch_appears_only_when_published);
    RUN(staging_on_a_full_disk_leaves_nothing);
    RUN(stale_temporaries_of_dead_processes_are_removed);
    RUN(nosync_dir_in_missing_folder_is_io_error);
    RUN(pwrite_fills_header_after_body);
    RUN(abort_removes_temporary);
    RUN(open_in_missing_folder_is_io_error);
    RUN(read_file_limits_and_errors);
    RUN(mkdir_p_and_listing);
    RUN(path_helpers);
    return check_summary();
}
