/* paths.h — where things live: the workspace's layout (made by workspace_prepare, which
 * changes into it), and where an input lives, for the rule of SPEC.md round 2: the
 * orchestrator never follows a symlink out of the workspace and never moves or deletes a file
 * outside it. Used when files are taken (engine.c), before each run starts, and when an input
 * is quarantined (quarantine.c). */
#ifndef ORCH_PATHS_H
#define ORCH_PATHS_H

#include <stddef.h>

#include "config.h"

/* Names inside the workspace's state folder. */
#define STATE_DIR ".orchestrator"
#define STATE_RECORD STATE_DIR "/record.sqlite"
#define STATE_PIDFILE STATE_DIR "/pid"
#define STATE_SOCKET STATE_DIR "/control.sock"
#define STATE_LOG STATE_DIR "/daemon.log"
#define STATE_RUN_LOGS STATE_DIR "/logs"
#define STATE_DASHBOARD STATE_DIR "/dashboard" /* the dashboard's URL while it is served */
#define FAILED_DIR "failed"

/* Makes the workspace, its state folder, failed/ and every watch folder, and changes into the
 * workspace (runs use it as their working folder; every relative path is inside it). */
int workspace_prepare(const pipeline_config *config, cr_err *err);

/* 1 when the file named by path (its folders resolved, its last name not followed) is inside
 * the folder root (resolved too). */
int path_inside(const char *path, const char *root);

/* 0 when path may be run: a regular file and, when it lives in the workspace, not a symlink
 * (nor inside a symlinked folder) that resolves out of it. An absolute path (one that is not
 * under the workspace as written: the record keeps paths inside it relative) passes when
 * outside_allowed (a file named by hand to `run STAGE FILE`). Otherwise -1, and why says why
 * in a few words. */
int input_allowed(const char *path, int outside_allowed, char *why, size_t why_size);

/* A path as the record keeps it: relative to the workspace (absolute) when inside it, as
 * given otherwise. */
void workspace_relative(const char *workspace, const char *path, char *out, size_t out_size);

/* path made absolute against the current folder without following any symlink: "." and ".."
 * are removed as written (as `realpath -s` does). -1 when it does not fit. */
int path_absolute_lexical(const char *path, char *out, size_t out_size);

#endif
