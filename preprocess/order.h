/* order.h — the dedup decisions of a run taken in input order whatever --threads says, so that
 * of two duplicates the first input is kept, as with one thread. Workers extract in parallel;
 * only the index check waits for the inputs before it. document.c waits and releases; run.c
 * creates it and releases the inputs it never processes. */
#ifndef PP_ORDER_H
#define PP_ORDER_H

#include <pthread.h>
#include <stddef.h>

typedef struct pp_order {
    pthread_mutex_t lock;
    pthread_cond_t moved;
    unsigned char *done; /* done[i]: input i has passed (or will never take) its turn */
    size_t turn;         /* every input before it is done */
    size_t count;
} pp_order;

/* 0, or -1 when out of memory (the run then goes without the order). */
int pp_order_init(pp_order *order, size_t count);
void pp_order_free(pp_order *order);
/* Blocks until every input before index is done. NULL order: returns at once. */
void pp_order_wait(pp_order *order, size_t index);
/* Input index is done; idempotent. */
void pp_order_done(pp_order *order, size_t index);

#endif
