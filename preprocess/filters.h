/* filters.h — quality filters in the style of Gopher and C4, each with a documented default
 * and a switch (--filters FILE: "name value" or "name off" per line). Prose (pages, text,
 * Markdown) and source code have separate rules. Deduplication is dedup.c's job. */
#ifndef PP_FILTERS_H
#define PP_FILTERS_H

#include <stddef.h>

#include "status.h"

enum pp_filter_id {
    PP_F_MIN_WORDS,
    PP_F_MIN_MEAN_WORD_LENGTH,
    PP_F_MAX_MEAN_WORD_LENGTH,
    PP_F_MAX_SYMBOL_RATIO,
    PP_F_MAX_ELLIPSIS_LINES,
    PP_F_MAX_BULLET_LINES,
    PP_F_MAX_DUPLICATE_LINES,
    PP_F_CODE_MAX_LINE_LENGTH,
    PP_F_CODE_MIN_ALPHA,
    PP_F_COUNT
};

typedef struct pp_filter_def {
    const char *name;
    double default_limit;
    int for_code;   /* 0: prose rule, 1: source code rule */
    int is_minimum; /* 1: the value must be >= the limit; 0: <= */
    const char *help;
} pp_filter_def;

extern const pp_filter_def pp_filter_defs[PP_F_COUNT];

typedef struct pp_filters {
    int enabled[PP_F_COUNT];
    double limit[PP_F_COUNT];
} pp_filters;

void pp_filters_default(pp_filters *f);
void pp_filters_none(pp_filters *f);
/* Defaults, then the file's settings. CR_EUSAGE naming file:line for an unknown name or a bad
 * value; CR_ENOINPUT when the file is missing. */
int pp_filters_load(pp_filters *f, const char *path, cr_err *err);

typedef struct pp_measures {
    size_t words; /* whitespace words; CJK characters count one each */
    size_t lines; /* non-blank lines */
    double value[PP_F_COUNT];
    int measured[PP_F_COUNT]; /* 0 where the rule does not apply (no non-CJK word, ...) */
} pp_measures;

/* Measures clean text (UTF-8, LF). */
void pp_measure(const char *text, size_t len, int is_code, pp_measures *m);
/* The first enabled rule the text fails, or -1 when it passes every one. */
int pp_filters_check(const pp_filters *f, const pp_measures *m, int is_code);

#endif
