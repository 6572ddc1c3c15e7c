/* xmlarena.c — the allocator behind libxml2 (xmlMemSetup) with a per-thread bump arena for the
 * span of one page (html.c). Every block carries a 16-byte header saying where it came from,
 * so xmlFree of a heap block frees it and xmlFree of an arena block does nothing, whichever
 * mode the thread is in when it is freed. libxml2 itself is untouched. */
#include "xmlarena.h"

#include <libxml/xmlmemory.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define HEADER 16
#define TAG_HEAP 0x68656170u  /* "heap" */
#define TAG_ARENA 0x6172656eu /* "aren" */
#define CHUNK_MIN (1u << 20)
#define KEEP_BYTES (64u << 20) /* chunks kept for the next page; more are given back */

typedef struct header {
    size_t size;
    uint32_t tag;
    uint32_t pad;
} header;

typedef struct chunk {
    struct chunk *next;
    size_t cap, used;
    _Alignas(16) char data[];
} chunk;

typedef struct arena {
    chunk *first, *current;
    int active;
} arena;

static _Thread_local arena thread_arena;
static int installed;
static pthread_key_t exit_key; /* its destructor frees a worker thread's chunks as it ends */
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static void free_chunks(void *first)
{
    for (chunk *c = first; c;) {
        chunk *next = c->next;
        free(c);
        c = next;
    }
}

static void make_exit_key(void)
{
    pthread_key_create(&exit_key, free_chunks);
}

static void *heap_alloc(size_t size)
{
    if (size > SIZE_MAX - HEADER)
        return NULL;
    header *h = malloc(HEADER + size);
    if (!h)
        return NULL;
    h->size = size;
    h->tag = TAG_HEAP;
    return (char *)h + HEADER;
}

static void *arena_alloc(arena *a, size_t size)
{
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = (HEADER + size + 15) & ~(size_t)15;
    chunk *c = a->current;
    while (c && c->used + need > c->cap) {
        c = c->next;
        if (c)
            c->used = 0; /* a chunk after the current one is free since the last reset */
    }
    if (!c) {
        size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
        if (a->current && a->current->cap * 2 > cap && a->current->cap < (32u << 20))
            cap = a->current->cap * 2;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = NULL;
        /* append after the last chunk */
        if (!a->first) {
            a->first = c;
        } else {
            chunk *last = a->current ? a->current : a->first;
            while (last->next)
                last = last->next;
            last->next = c;
        }
    }
    a->current = c;
    header *h = (header *)(c->data + c->used);
    c->used += need;
    h->size = size;
    h->tag = TAG_ARENA;
    return (char *)h + HEADER;
}

static void *x_malloc(size_t size)
{
    arena *a = &thread_arena;
    return a->active ? arena_alloc(a, size) : heap_alloc(size);
}

static void x_free(void *ptr)
{
    if (!ptr)
        return;
    header *h = (header *)((char *)ptr - HEADER);
    if (h->tag == TAG_HEAP) {
        h->tag = 0;
        free(h);
    }
    /* an arena block goes with its arena */
}

static void *x_realloc(void *ptr, size_t size)
{
    if (!ptr)
        return x_malloc(size);
    header *h = (header *)((char *)ptr - HEADER);
    if (h->tag == TAG_HEAP && !thread_arena.active) {
        if (size > SIZE_MAX - HEADER)
            return NULL;
        header *bigger = realloc(h, HEADER + size);
        if (!bigger)
            return NULL;
        bigger->size = size;
        return (char *)bigger + HEADER;
    }
    arena *a = &thread_arena;
    if (h->tag == TAG_ARENA && a->active && a->current) {
        /* the last block of the current chunk grows in place (a text node being appended to) */
        chunk *c = a->current;
        size_t old_need = (HEADER + h->size + 15) & ~(size_t)15;
        size_t new_need = (HEADER + size + 15) & ~(size_t)15;
        if ((char *)h + old_need == c->data + c->used && c->used - old_need + new_need <= c->cap) {
            c->used = c->used - old_need + new_need;
            h->size = size;
            return ptr;
        }
    }
    void *fresh = x_malloc(size);
    if (!fresh)
        return NULL;
    memcpy(fresh, ptr, h->size < size ? h->size : size);
    x_free(ptr);
    return fresh;
}

static char *x_strdup(const char *s)
{
    size_t len = strlen(s);
    char *copy = x_malloc(len + 1);
    if (copy)
        memcpy(copy, s, len + 1);
    return copy;
}

void pp_xml_arena_install(void)
{
    if (installed)
        return;
    if (xmlMemSetup(x_free, x_malloc, x_realloc, x_strdup) == 0)
        installed = 1;
}

int pp_xml_arena_installed(void)
{
    return installed;
}

void pp_xml_arena_begin(void)
{
    arena *a = &thread_arena;
    if (!installed)
        return;
    a->current = a->first;
    if (a->current)
        a->current->used = 0;
    a->active = 1;
}

void pp_xml_arena_end(void)
{
    arena *a = &thread_arena;
    if (!a->active)
        return;
    a->active = 0;
    /* keep up to KEEP_BYTES of chunks for the next page (no page faults on fresh memory) */
    size_t kept = 0;
    chunk **link = &a->first;
    while (*link) {
        chunk *c = *link;
        if (kept + c->cap <= KEEP_BYTES) {
            kept += c->cap;
            link = &c->next;
        } else {
            *link = c->next;
            free(c);
        }
    }
    a->current = a->first;
    pthread_once(&exit_once, make_exit_key);
    pthread_setspecific(exit_key, a->first);
}
