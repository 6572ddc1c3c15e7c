/* fuzz.h — what the harnesses in tests/fuzz/ share: the libFuzzer entry point's declaration and
 * a private temporary folder for the parsers that read a path rather than bytes (shards,
 * checkpoints, tokenizer files, WARC). The folder is made once per process (under $TMPDIR, else
 * /dev/shm, else /tmp) and removed at exit. The replay main is replay.c; libFuzzer brings its own.
 */
#ifndef CR_FUZZ_H
#define CR_FUZZ_H

#include <fcntl.h>
#include <ftw.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fuzz_dir_path[4096];

__attribute__((unused)) static int fuzz_remove_entry(const char *path, const struct stat *st,
                                                     int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

__attribute__((unused)) static void fuzz_remove_dir(void)
{
    if (fuzz_dir_path[0])
        nftw(fuzz_dir_path, fuzz_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* The process's temporary folder; aborts when it cannot be made (a broken machine, not a
 * finding). */
__attribute__((unused)) static const char *fuzz_dir(void)
{
    if (fuzz_dir_path[0])
        return fuzz_dir_path;
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(fuzz_dir_path, sizeof fuzz_dir_path, "%s/cr-fuzz-XXXXXX", base);
    if (!mkdtemp(fuzz_dir_path)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    atexit(fuzz_remove_dir);
    return fuzz_dir_path;
}

/* Writes size bytes to the file name inside fuzz_dir() and returns its path (a static buffer
 * per call site is not needed: the path is copied into out). */
__attribute__((unused)) static void fuzz_write_file(const char *name, const void *data, size_t size,
                                                    char *out, size_t out_size)
{
    snprintf(out, out_size, "%s/%s", fuzz_dir(), name);
    int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(out);
        abort();
    }
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n <= 0) {
            perror(out);
            abort();
        }
        p += n;
        size -= (size_t)n;
    }
    close(fd);
}

/* Splits data at its first NUL byte: the part before (a NUL-terminated copy) and the rest. */
__attribute__((unused)) static char *fuzz_split(const uint8_t *data, size_t size,
                                                const uint8_t **rest, size_t *rest_size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t head = nul ? (size_t)(nul - data) : size;
    char *copy = malloc(head + 1);
    if (!copy)
        abort();
    memcpy(copy, data, head);
    copy[head] = '\0';
    *rest = nul ? nul + 1 : data + size;
    *rest_size = nul ? size - head - 1 : 0;
    return copy;
}

#endif
