/* summary.h — the end-of-crawl report: a few lines for people (stderr) or one JSON object
 * (--json, stdout). The figures are gathered by crawl.c; main.c decides the exit code. */
#ifndef CRAWLER_SUMMARY_H
#define CRAWLER_SUMMARY_H

#include <stdio.h>

#include "crawl.h"

void summary_print_text(const crawl_summary *s, FILE *out);
void summary_print_json(const crawl_summary *s, const char *state_dir, int exit_code, FILE *out);

#endif
