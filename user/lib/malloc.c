/*
 * malloc on sbrk: a first-fit free list kept in address order, so free()
 * can merge a block with both neighbours (coalescing) by looking at the
 * blocks before and after it in the list.  One mutex makes it thread-safe.
 *
 * Every block starts with a 16-byte header; the payload after it is 16-byte
 * aligned because block addresses and sizes are multiples of 16.
 *
 *   free list:  [hdr|  free  ] -> [hdr|  free     ] -> ... (ascending)
 *   allocated:  [hdr| payload ]   (next is unused while allocated)
 *
 * The heap grows by at least GROW_MIN bytes at a time, and never shrinks:
 * memory goes back to the kernel when the process exits.
 */
#include <errno.h>
#include <mutex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ALIGN       16
#define GROW_MIN    (64 * 1024)

struct block {
    size_t size;            /* whole block, header included; multiple of 16 */
    struct block *next;     /* next free block (higher address), if free */
};

_Static_assert(sizeof(struct block) == ALIGN, "header keeps payloads aligned");

static struct block *free_list;     /* lowest free block first */
static mutex_t heap_lock = MUTEX_INITIALIZER;

/* Puts b into the free list at its place and merges it with its
 * neighbours when they touch. */
static void insert_free(struct block *b)
{
    struct block *prev = NULL, *cur = free_list;
    while (cur && cur < b) {
        prev = cur;
        cur = cur->next;
    }
    b->next = cur;
    if (cur && (char *)b + b->size == (char *)cur) {
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev && (char *)prev + prev->size == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

/* Adds at least `need` bytes of fresh memory to the free list. */
static int grow(size_t need)
{
    /* The initial break may not be aligned: round it up once. */
    uintptr_t cur = (uintptr_t)sbrk(0);
    if (cur == (uintptr_t)-1)
        return -1;
    size_t pad = (ALIGN - (cur & (ALIGN - 1))) & (ALIGN - 1);
    size_t n = need < GROW_MIN ? GROW_MIN : need;
    if (n > SIZE_MAX - pad)
        return -1;
    char *p = sbrk((intptr_t)(n + pad));
    if (p == (char *)-1)
        return -1;
    struct block *b = (struct block *)(p + pad);
    b->size = n;
    insert_free(b);
    return 0;
}

/* Bytes a block needs for a payload of `size`, or 0 on overflow. */
static size_t block_size(size_t size)
{
    if (size > SIZE_MAX - 2 * ALIGN)
        return 0;
    return (size + sizeof(struct block) + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

/* First fit; splits off the tail when the rest is worth a block. */
static void *take(size_t need)
{
    struct block *prev = NULL;
    for (struct block *b = free_list; b; prev = b, b = b->next) {
        if (b->size < need)
            continue;
        struct block *rest = b->next;
        if (b->size - need >= 2 * ALIGN) {
            struct block *tail = (struct block *)((char *)b + need);
            tail->size = b->size - need;
            tail->next = b->next;
            rest = tail;
            b->size = need;
        }
        if (prev)
            prev->next = rest;
        else
            free_list = rest;
        b->next = NULL;
        return b + 1;
    }
    return NULL;
}

void *malloc(size_t size)
{
    if (size == 0)
        size = 1;
    size_t need = block_size(size);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    mutex_lock(&heap_lock);
    void *p = take(need);
    if (!p && grow(need) == 0)
        p = take(need);
    mutex_unlock(&heap_lock);
    if (!p)
        errno = ENOMEM;
    return p;
}

void free(void *p)
{
    if (!p)
        return;
    mutex_lock(&heap_lock);
    insert_free((struct block *)p - 1);
    mutex_unlock(&heap_lock);
}

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t size)
{
    if (!p)
        return malloc(size);
    if (size == 0) {
        free(p);
        return NULL;
    }
    struct block *b = (struct block *)p - 1;
    size_t have = b->size - sizeof(struct block);
    if (size <= have)
        return p;           /* shrinking (or fitting) keeps the block */
    void *q = malloc(size);
    if (q) {
        memcpy(q, p, have);
        free(p);
    }
    return q;
}
