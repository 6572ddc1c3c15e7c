/* fs.h — files the crystalline way: outputs written atomically, inputs read whole.
 * An output goes to "NAME.tmp.<pid>" in the same folder, is fsynced, renamed over NAME, and
 * the folder is fsynced: a reader or a watcher sees the old file or the new one, never half,
 * and a crash leaves no partial file under the final name (SPEC.md, Conventions).
 * Temporary names match the "*.tmp.*" pattern the orchestrator ignores. */
#ifndef CR_FS_H
#define CR_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "status.h"

typedef struct cr_atomic_file {
    int fd;
    char final_path[4096];
    char tmp_path[4096 + 32];
} cr_atomic_file;

/* Creates the temporary file (mode 0644) beside path. */
int cr_atomic_open(cr_atomic_file *f, const char *path, cr_err *err);
int cr_atomic_write(cr_atomic_file *f, const void *bytes, size_t len, cr_err *err);
/* Writes at an offset (e.g. a header filled in once the body is known). */
int cr_atomic_pwrite(cr_atomic_file *f, const void *bytes, size_t len, off_t offset, cr_err *err);
/* fsync, close, rename over the final name, fsync the folder. On failure the temporary file is
 * removed and the old file, if any, is left as it was. */
int cr_atomic_commit(cr_atomic_file *f, cr_err *err);
/* Closes and removes the temporary file; safe to call after a failed write or commit. */
void cr_atomic_abort(cr_atomic_file *f);

/* The whole write-then-rename in one call. */
int cr_write_file_atomic(const char *path, const void *bytes, size_t len, cr_err *err);

/* cr_write_file_atomic without the folder fsync, for a writer that adds many files to one
 * folder and syncs it once per batch: the bytes are on disk before the name appears, and the
 * name appears complete or not at all, but it survives a power loss only once the caller's
 * cr_fsync_dir of the folder returns. */
int cr_write_file_atomic_nosync_dir(const char *path, const void *bytes, size_t len, cr_err *err);

/* cr_write_file_atomic_nosync_dir in two steps, for a batch. cr_atomic_stage writes the bytes
 * under NAME.tmp.<pid>; cr_atomic_publish syncs them (fsync) unless SYNCED says the caller
 * already did (cr_syncfs after staging the batch), and renames. A staged file holds a
 * descriptor until it is published or aborted (cr_atomic_abort). Where the file system allows
 * (Linux O_TMPFILE) the file is written without a name and then linked: the folder stays
 * unlocked while the inode is allocated (slow on ext4 without a journal). Watchers still see
 * the rename. */
int cr_atomic_stage(cr_atomic_file *f, const char *path, const void *bytes, size_t len,
                    cr_err *err);
int cr_atomic_publish(cr_atomic_file *f, int synced, cr_err *err);
/* syncfs(2): every file of fd's file system on disk, data and inodes, in one pass, which the
 * disk writes far faster than one fsync per file. It fails (CR_EIO) when a write of any file
 * there failed since fd was opened or since the last cr_syncfs on fd, so open fd before
 * staging. WHAT names fd in the error. */
int cr_syncfs(int fd, const char *what, cr_err *err);

/* Reads a whole file into a malloc'd buffer with a NUL after the last byte (*len excludes it).
 * max_bytes (0: no limit) refuses larger files with CR_EDATA. */
int cr_read_file(const char *path, char **bytes, size_t *len, size_t max_bytes, cr_err *err);

/* Removes the temporary files ("NAME.tmp.<pid>") that killed processes left in folder: those
 * whose process is gone from this machine, and says so (cr_info). Returns how many were removed.
 * Programs call it on their output folder as they start. */
int cr_remove_stale_temporaries(const char *folder);

/* mkdir -p with mode 0755. */
int cr_mkdir_p(const char *path, cr_err *err);
/* fsync of a folder, so that a rename in it survives a crash. */
int cr_fsync_dir(const char *path, cr_err *err);
/* Joins folder and name into out (size out_size); CR_EUSAGE when it does not fit. */
int cr_path_join(char *out, size_t out_size, const char *folder, const char *name, cr_err *err);
/* The folder part of path ("." when there is none) into out. */
void cr_path_dirname(const char *path, char *out, size_t out_size);
/* 1 when path names a regular file, 0 otherwise. */
int cr_is_file(const char *path);
int cr_is_dir(const char *path);

/* Lists the regular files under each input (a file, or a folder walked recursively, in
 * byte order of names, dot files and "*.tmp.*" skipped) into a malloc'd, sorted array of
 * malloc'd paths. A missing input is CR_ENOINPUT; an input that is neither a regular file nor
 * a folder (a FIFO, a device) is CR_EDATA (inside a folder such entries are skipped). */
int cr_list_inputs(char *const *inputs, int input_count, char ***paths, size_t *path_count,
                   cr_err *err);
void cr_free_list(char **paths, size_t path_count);

#endif
