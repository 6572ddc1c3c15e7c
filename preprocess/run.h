/* run.h — a whole preprocess run: the inputs walked, the files shared among worker threads,
 * one outcome per input, the summary by reason (text or --json) and the exit status.
 * Processing one file is document.c's job; parsing the command line is main.c's. */
#ifndef PP_RUN_H
#define PP_RUN_H

#include <stddef.h>

#include "filters.h"
#include "status.h"

typedef struct pp_run_options {
    char **inputs;
    int input_count;
    const char *out_dir;
    const char *dedup_path; /* NULL: <out>/.dedup.sqlite */
    int no_dedup;
    double near_threshold;  /* 0: off */
    int block_keep;         /* documents that keep a repeated block; 0: blocks not cut */
    size_t block_min_bytes; /* 0: the index's window size, else PP_BLOCKS_MIN_BYTES */
    pp_filters filters;
    int threads;
    int json;
    int progress_mode; /* enum cr_progress_mode */
    int quiet;
    size_t max_input_bytes;
} pp_run_options;

/* Runs everything and returns the exit status: 0 when every input was processed (kept or
 * rejected); otherwise the most serious failure: 74 (I/O), 75 (index busy), 66 (missing
 * input), 65 (bad data), 1. Setup failures (output folder, index) come back in err. */
int pp_run(const pp_run_options *options, cr_err *err);

#endif
