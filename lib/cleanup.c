/* cleanup.c — see cleanup.h. A fixed table of paths, so the handler only reads memory that is
 * always there and calls unlink(2) and raise(3), both async-signal-safe. */
#include "cleanup.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define CLEANUP_SLOTS 32
#define CLEANUP_PATH_MAX 4200

static char slot_path[CLEANUP_SLOTS][CLEANUP_PATH_MAX];
static volatile sig_atomic_t slot_used[CLEANUP_SLOTS];
static int handlers_installed;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};

static void on_signal(int sig)
{
    for (int i = 0; i < CLEANUP_SLOTS; i++)
        if (slot_used[i])
            unlink(slot_path[i]);
    signal(sig, SIG_DFL); /* then die of it, so the parent sees the signal */
    raise(sig);
}

static void install_handlers(void)
{
    for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
        struct sigaction old;
        if (sigaction(cleanup_signals[i], NULL, &old) < 0 || old.sa_handler != SIG_DFL)
            continue; /* ignored or handled by the program: not ours to change */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigfillset(&sa.sa_mask);
        sigaction(cleanup_signals[i], &sa, NULL);
    }
    handlers_installed = 1;
}

int cr_cleanup_track(const char *path)
{
    if (strlen(path) >= CLEANUP_PATH_MAX)
        return -1;
    pthread_mutex_lock(&slots_lock);
    if (!handlers_installed)
        install_handlers();
    int found = -1;
    for (int i = 0; i < CLEANUP_SLOTS && found < 0; i++) {
        if (slot_used[i])
            continue;
        strcpy(slot_path[i], path);
        slot_used[i] = 1; /* after the copy: the handler never sees half a path */
        found = i;
    }
    pthread_mutex_unlock(&slots_lock);
    return found < 0 ? -1 : 0;
}

void cr_cleanup_untrack(const char *path)
{
    pthread_mutex_lock(&slots_lock);
    for (int i = 0; i < CLEANUP_SLOTS; i++)
        if (slot_used[i] && strcmp(slot_path[i], path) == 0) {
            slot_used[i] = 0;
            break;
        }
    pthread_mutex_unlock(&slots_lock);
}
