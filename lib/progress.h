/* progress.h — the progress line of long work, on stderr.
 * On a terminal: one live line ("label  done/total  rate/s  ETA") redrawn at most 10 times a
 * second. On a pipe: nothing, unless --progress asked for it, then a plain line every 5 s.
 * --quiet: nothing at all. Thread-safe: workers may call cr_progress_add concurrently. */
#ifndef CR_PROGRESS_H
#define CR_PROGRESS_H

#include <stdint.h>

#include "clock.h" /* cr_now_s, which the callers of progress lines time with too */

enum cr_progress_mode {
    CR_PROGRESS_AUTO = 0, /* live on a terminal, silent on a pipe */
    CR_PROGRESS_ALWAYS,   /* --progress: plain lines on a pipe too */
    CR_PROGRESS_NEVER,    /* --quiet */
};

typedef struct cr_progress {
    char label[48];
    char unit[16];
    uint64_t total; /* 0 when unknown */
    uint64_t done;
    double started_s;
    double last_draw_s;
    int live;  /* redraw one line with \r */
    int plain; /* periodic plain lines */
    int drawn;
} cr_progress;

void cr_progress_begin(cr_progress *p, const char *label, const char *unit, uint64_t total,
                       int mode);
void cr_progress_add(cr_progress *p, uint64_t amount);
void cr_progress_set(cr_progress *p, uint64_t done);
/* Draws the final figures (on a terminal) and ends the line. */
void cr_progress_end(cr_progress *p);
/* Formats the line into out; used by the drawing and by tests. */
void cr_progress_format(const cr_progress *p, double now_s, char *out, int out_size);

#endif
