/* quarantine.h — moving an input that failed for good to failed/<stage>/ with NAME.error
 * beside it (stage, attempts, exit codes, last error, last lines of the run's output).
 * Nothing is deleted: a name already taken in failed/ gets ".1", ".2", ... The decision to
 * quarantine is engine.c's; `orchestrator retry` (main.c) moves files back. */
#ifndef ORCH_QUARANTINE_H
#define ORCH_QUARANTINE_H

#include <stddef.h>

#include "status.h"

typedef struct quarantine_report {
    const char *stage;
    const char *input; /* the path the stage was given */
    const char *hash;  /* sha256 of its content */
    int attempts;
    const char *exit_codes; /* "1,1,75" */
    const char *last_error; /* "exit 75", "timed out after 2s", ... */
    const char *log_tail;   /* last lines of the run's stdout and stderr */
    const char *log_path;
} quarantine_report;

/* Moves report->input into failed_root/<stage>/ and writes the .error file; the new path
 * goes to moved_to. An input that is already gone is reported in the .error file alone. */
int quarantine_move(const char *failed_root, const quarantine_report *report, char *moved_to,
                    size_t moved_to_size, cr_err *err);

#endif
