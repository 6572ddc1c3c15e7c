/* clock.h — the two clocks every program reads: monotonic for intervals and deadlines (never
 * jumps), wall for what is recorded or shown (a time a person or another process reads).
 * Absolute deadlines for pthread_cond_timedwait are built here too, since that call takes the
 * wall clock. Nothing here sleeps or keeps state. */
#ifndef CR_CLOCK_H
#define CR_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic seconds: the progress lines, the trainer's step timings, budgets. */
double cr_now_s(void);
/* Monotonic milliseconds: timers and deadlines. */
int64_t cr_mono_ms(void);
/* Milliseconds since the epoch: times written to a record or a file. */
int64_t cr_wall_ms(void);
/* The wall-clock instant wait_ms from now, as pthread_cond_timedwait takes it. */
struct timespec cr_wall_after_ms(int64_t wait_ms);
/* Now in UTC as ISO 8601 to the second ("2026-01-31T12:00:00Z"): 21 bytes with the NUL. */
void cr_wall_iso(char out[32]);

#endif
