/* report.h — `status` as text or JSON, from the record alone: per stage the queued, running,
 * retrying, done and failed items, the runs in flight (pid, elapsed), the next retries, the
 * last failures and the last runs. The daemon answers `status` over its socket with it;
 * without a daemon commands.c calls it directly. It changes nothing. */
#ifndef ORCH_REPORT_H
#define ORCH_REPORT_H

#include <sys/types.h>

#include "buf.h"
#include "config.h"
#include "record.h"

/* rec: NULL when nothing is recorded yet. daemon_pid: the running daemon, 0 when none.
 * settling: per stage (config order), files that arrived and wait for the stage's settle time,
 * which the record does not hold yet; they are counted as queued (and shown as "settling" in
 * JSON). NULL when there is no daemon. A record error is returned with what could be read
 * already in out. */
int report_status(record *rec, const pipeline_config *config, pid_t daemon_pid, const int *settling,
                  int json, cr_buf *out, cr_err *err);

#endif
