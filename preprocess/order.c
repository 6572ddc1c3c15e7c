/* order.c — dedup turns in input order for the worker threads (order.h). A turn moves on as
 * soon as every earlier input is done, so an input that needs no index check (rejected by a
 * filter, failed) never makes anyone wait for it longer than its own processing. */
#include "order.h"

#include <stdlib.h>

int pp_order_init(pp_order *order, size_t count)
{
    order->done = calloc(count ? count : 1, 1);
    if (!order->done)
        return -1;
    order->turn = 0;
    order->count = count;
    pthread_mutex_init(&order->lock, NULL);
    pthread_cond_init(&order->moved, NULL);
    return 0;
}

void pp_order_free(pp_order *order)
{
    if (!order->done)
        return;
    pthread_mutex_destroy(&order->lock);
    pthread_cond_destroy(&order->moved);
    free(order->done);
    order->done = NULL;
}

void pp_order_wait(pp_order *order, size_t index)
{
    if (!order || !order->done)
        return;
    pthread_mutex_lock(&order->lock);
    while (order->turn < index)
        pthread_cond_wait(&order->moved, &order->lock);
    pthread_mutex_unlock(&order->lock);
}

void pp_order_done(pp_order *order, size_t index)
{
    if (!order || !order->done || index >= order->count)
        return;
    pthread_mutex_lock(&order->lock);
    if (!order->done[index]) {
        order->done[index] = 1;
        size_t before = order->turn;
        while (order->turn < order->count && order->done[order->turn])
            order->turn++;
        if (order->turn != before)
            pthread_cond_broadcast(&order->moved);
    }
    pthread_mutex_unlock(&order->lock);
}
