/* yaml_guard.h — the checks pipeline.yaml passes before libyaml builds its document: a size,
 * nesting depth and value count a pipeline never needs (libyaml's scanner slows with the
 * square of the nesting depth), and every parse error placed at its line:column, also those
 * of libyaml's reader (invalid UTF-8, a NUL byte), which libyaml gives as a byte offset only.
 * The document itself is read by config.c. */
#ifndef ORCH_YAML_GUARD_H
#define ORCH_YAML_GUARD_H

#include <stddef.h>

#include "status.h"

#define YAML_MAX_BYTES (1 << 20) /* a pipeline.yaml is a few KiB */
#define YAML_MAX_DEPTH 32        /* the deepest key SPEC.md knows is at level 5 */
#define YAML_MAX_EVENTS 200000   /* values, keys, lists and mappings all together */

/* CR_OK, or CR_EDATA with "path:line:column: what is wrong". */
int yaml_guard_check(const char *path, const char *text, size_t len, cr_err *err);

#endif
