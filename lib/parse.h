/* parse.h — strict parsing of numbers, durations and sizes from command lines and config.
 * Durations: "250ms", "2s", "1.5m", "1h", "1d", "1m30s"; a bare number is seconds.
 * Sizes: "512", "10KB" (1000), "10KiB" (1024), MB/MiB, GB/GiB, TB/TiB; "K", "M", "G" are binary.
 * Trailing junk, negative values and overflow are errors (CR_EUSAGE) naming the text. */
#ifndef CR_PARSE_H
#define CR_PARSE_H

#include <stdint.h>

#include "status.h"

int cr_parse_duration_ms(const char *text, int64_t *ms, cr_err *err);
int cr_parse_size(const char *text, uint64_t *bytes, cr_err *err);
int cr_parse_long(const char *text, long min, long max, long *value, cr_err *err);
int cr_parse_double(const char *text, double min, double max, double *value, cr_err *err);
/* Writes "1.5s", "250ms", "2m" style text for a duration. */
void cr_format_duration(int64_t ms, char *out, int out_size);
/* Writes "10.0 MiB" style text for a size. */
void cr_format_size(uint64_t bytes, char *out, int out_size);

#endif
