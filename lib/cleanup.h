/* cleanup.h — temporary files removed when a signal ends the process (SIGINT, SIGTERM, SIGHUP,
 * SIGPIPE): a program tracks each NAME.tmp.<pid> while it writes it, and a Ctrl-C leaves
 * nothing behind. Not for what no handler sees (SIGKILL, a crash, a power loss): the next run's
 * cr_remove_stale_temporaries (fs.h) removes those. The atomic files themselves are fs.c's. */
#ifndef CR_CLEANUP_H
#define CR_CLEANUP_H

/* Remembers path (copied) until cr_cleanup_untrack; installs the handlers on first use, for
 * the signals whose action is still the default. Returns 0, or -1 when every slot is taken
 * (the file is then left to cr_remove_stale_temporaries). */
int cr_cleanup_track(const char *path);
void cr_cleanup_untrack(const char *path);

#endif
