/* progress.c — see progress.h. */
#include "progress.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;

void cr_progress_begin(cr_progress *p, const char *label, const char *unit, uint64_t total,
                       int mode)
{
    memset(p, 0, sizeof *p);
    snprintf(p->label, sizeof p->label, "%s", label);
    snprintf(p->unit, sizeof p->unit, "%s", unit);
    p->total = total;
    p->started_s = cr_now_s();
    int tty = isatty(2);
    p->live = mode != CR_PROGRESS_NEVER && tty;
    p->plain = mode == CR_PROGRESS_ALWAYS && !tty;
}

static void format_seconds(double seconds, char *out, int out_size)
{
    long s = seconds < 0 ? 0 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, out_size, "%ldh%02ldm", s / 3600, (s / 60) % 60);
    else if (s >= 60)
        snprintf(out, out_size, "%ldm%02lds", s / 60, s % 60);
    else
        snprintf(out, out_size, "%lds", s);
}

void cr_progress_format(const cr_progress *p, double now_s, char *out, int out_size)
{
    double elapsed = now_s - p->started_s;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char eta[32] = "?";
    if (p->total && rate > 0 && p->done <= p->total)
        format_seconds((double)(p->total - p->done) / rate, eta, sizeof eta);
    if (p->total)
        snprintf(out, out_size, "%s %llu/%llu %s (%.0f%%) %.1f %s/s ETA %s", p->label,
                 (unsigned long long)p->done, (unsigned long long)p->total, p->unit,
                 100.0 * (double)p->done / (double)p->total, rate, p->unit, eta);
    else
        snprintf(out, out_size, "%s %llu %s %.1f %s/s", p->label, (unsigned long long)p->done,
                 p->unit, rate, p->unit);
}

static void draw(cr_progress *p, double now, int final)
{
    char line[256];
    cr_progress_format(p, now, line, sizeof line);
    if (p->live)
        fprintf(stderr, "\r\033[K%s%s", line, final ? "\n" : "");
    else
        fprintf(stderr, "%s\n", line);
    p->last_draw_s = now;
    p->drawn = 1;
}

static void maybe_draw(cr_progress *p)
{
    if (!p->live && !p->plain)
        return;
    double now = cr_now_s();
    double interval = p->live ? 0.1 : 5.0;
    if (now - p->last_draw_s >= interval)
        draw(p, now, 0);
}

void cr_progress_add(cr_progress *p, uint64_t amount)
{
    pthread_mutex_lock(&progress_lock);
    p->done += amount;
    maybe_draw(p);
    pthread_mutex_unlock(&progress_lock);
}

void cr_progress_set(cr_progress *p, uint64_t done)
{
    pthread_mutex_lock(&progress_lock);
    p->done = done;
    maybe_draw(p);
    pthread_mutex_unlock(&progress_lock);
}

void cr_progress_end(cr_progress *p)
{
    pthread_mutex_lock(&progress_lock);
    if (p->live || (p->plain && p->drawn))
        draw(p, cr_now_s(), 1);
    pthread_mutex_unlock(&progress_lock);
}
