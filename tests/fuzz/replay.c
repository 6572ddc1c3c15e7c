/* replay.c — the main of the regression build of each harness (build/<kind>/tests/fuzz/test_NAME):
 * feeds every file of tests/fuzz/corpus/NAME/ (the seeds and every crash ever found) to the
 * harness once, without libFuzzer, and prints TAP. A crash names the input that caused it.
 * `make fuzz` links the same harness with libFuzzer's main instead (tests/fuzz/run.sh). */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *harness_name;
static char current_input[8200];

/* Says which input crashed before the default action (a core, or the sanitizer's report
 * already printed) ends the process. Only async-signal-safe calls. */
static void on_crash(int sig)
{
    static const char a[] = "not ok - ", b[] = ": crashed on ", c[] = "\n";
    ssize_t ignored = write(1, a, sizeof a - 1);
    ignored = write(1, harness_name, strlen(harness_name));
    ignored = write(1, b, sizeof b - 1);
    ignored = write(1, current_input, strlen(current_input));
    ignored = write(1, c, sizeof c - 1);
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path into an allocation of exactly its size, so that a sanitizer build sees a read
 * past the end of the input. */
static uint8_t *read_input(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) < 0) {
        fclose(f);
        return NULL;
    }
    *size = (size_t)st.st_size;
    uint8_t *data = malloc(*size ? *size : 1);
    if (data && fread(data, 1, *size, f) != *size) {
        free(data);
        data = NULL;
    }
    fclose(f);
    return data;
}

int main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    harness_name = strncmp(base, "test_", 5) == 0 ? base + 5 : base;
    char dir[4096];
    if (argc > 1)
        snprintf(dir, sizeof dir, "%s", argv[1]);
    else
        snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", harness_name);
    signal(SIGSEGV, on_crash);
    signal(SIGBUS, on_crash);
    signal(SIGFPE, on_crash);
    signal(SIGILL, on_crash);
    signal(SIGABRT, on_crash);

    DIR *d = opendir(dir);
    if (!d) {
        printf("not ok - %s: no corpus at %s\n", harness_name, dir);
        return 1;
    }
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, cap * sizeof *names);
            if (!names)
                abort();
        }
        names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof *names, by_name);

    size_t replayed = 0, total_bytes = 0;
    for (size_t i = 0; i < count; i++) {
        snprintf(current_input, sizeof current_input, "%s/%s", dir, names[i]);
        size_t size;
        uint8_t *data = read_input(current_input, &size);
        if (!data) {
            printf("not ok - %s: cannot read %s\n", harness_name, current_input);
            return 1;
        }
        LLVMFuzzerTestOneInput(data, size);
        free(data);
        free(names[i]);
        replayed++;
        total_bytes += size;
    }
    free(names);
    if (replayed == 0) {
        printf("not ok - %s: the corpus %s is empty\n", harness_name, dir);
        return 1;
    }
    printf("ok - %s: %zu corpus inputs (%zu bytes) replayed without a crash\n", harness_name,
           replayed, total_bytes);
    return 0;
}
