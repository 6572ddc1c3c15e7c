/* orphans.h — runs left without an end by a process that died while a daemon runs: a hand run
 * (`run STAGE FILE`) killed with SIGKILL takes its child with it (PR_SET_PDEATHSIG) but never
 * records the end, so its items would stay `running` until the next daemon start. The daemon
 * sweeps for them (engine.c); its own runs, and the recovery at start, are engine.c's. */
#ifndef ORCH_ORPHANS_H
#define ORCH_ORPHANS_H

#include <stdint.h>

#include "record.h"

#define ORPHANS_SWEEP_MS 5000 /* between two sweeps */

/* Runs without an end that are not the daemon's own (own_ids) and whose recorded process is
 * gone (pid and start time) at two sweeps in a row (the owner, if alive, records the end within
 * moments of its child's exit) become `interrupted`, and their running items queued again.
 * Returns how many were ended. */
int orphans_sweep(record *rec, const int64_t *own_ids, int own_count, int64_t now_ms);

#endif
