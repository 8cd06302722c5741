#include "mm/kmalloc.h"
#include "kernel/cacheline.h"
#include "mm/frame.h"
#include "kernel/spinlock.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "kernel/cpu.h"
#include "memlayout.h"
#include <stdbool.h>
#include <stdint.h>

#define SLAB_MAGIC  0x51ab51abu
#define LARGE_MAGIC 0x1a49e000u
#define NCLASSES    8                  /* 16, 32, ..., 2048 */
#define MIN_SHIFT   4
#define MAX_SMALL   (1u << (MIN_SHIFT + NCLASSES - 1))

/* Every free slot, in a slab's free list or in a hart's cache (below),
 * holds FREE_MARK in its second word (a slot is 16 bytes at least); kmalloc
 * zeroes it.  A kfree of an object that has it may be a double free, and
 * only then are the free lists searched. */
#define FREE_MARK   0x6b667265656421ull       /* "!deerfk" */

/* Per hart, per size class, the objects the hart freed last, handed out
 * again first.  Why: a kernel that allocates an object per pending
 * operation (a pipe read's coio_op, a kernel coroutine's frame) made every
 * kmalloc and kfree write the heap's lock, its counts, the class's list and
 * a slab's header, lines every hart writes: with two harts at work each
 * call took them from the other's cache (docs/performance.md, "Scaling
 * over harts").  Here a hart reuses its own objects, on lines it already
 * holds, and goes to the slabs in batches of CACHE_BATCH.  The lock is its
 * hart's alone but for kmalloc_stats, which gives every cache back to the
 * slabs, and the search for a double free; order: a cache, then heap_lock. */
#define CACHE_MAX   16                 /* objects a hart keeps per class */
#define CACHE_BATCH 8                  /* taken from, or given back to, the slabs at once */

struct hart_cache {
    struct spinlock lock;
    void *head[NCLASSES];              /* free objects linked through their first word */
    uint8_t count[NCLASSES];
    long bytes;                        /* small bytes allocated on this hart minus freed on
                                          it (either sign): its part of bytes_in_use */
} LINE_ALIGNED;
_Static_assert(CACHE_MAX < 256 && CACHE_BATCH <= CACHE_MAX, "count is a byte");

/* At the start of every heap frame.  For a large allocation, `npages` frames
 * follow and the object starts at HEADER_SIZE. */
struct page_header {
    uint32_t magic;
    uint16_t cls;             /* slab: size class */
    uint16_t inuse;           /* slab: live objects */
    void *free;               /* slab: free slots, linked through themselves */
    struct page_header *next, *prev;   /* slab: partial list of its class */
    size_t npages;            /* large: frames in the run */
};
/* sizeof(struct page_header) rounded up to a cache line, not to 16: so a
 * slab's slots of 64 bytes and more start on line boundaries and no two
 * objects share a line.  At 48, every object of 128 bytes (a waiting
 * coio_op) shared its first and last lines with its neighbours, which
 * other harts' operations own (b_prings on 2 harts: docs/performance.md,
 * "Scaling over harts").  It costs a slot of 16 bytes a slab (252, not
 * 253) and nothing for the other classes. */
#define HEADER_SIZE CACHE_LINE
_Static_assert(sizeof(struct page_header) <= HEADER_SIZE, "header too big");

static struct spinlock heap_lock LINE_ALIGNED = SPINLOCK_INIT("kmalloc");   /* a line of its own to start */
static struct page_header *partial[NCLASSES];   /* slabs with a free slot */
static struct kmalloc_stats stats;             /* bytes_in_use: large objects only */
#define CACHE_INIT { .lock = SPINLOCK_INIT("kmalloc cache") }
_Static_assert(MAX_HARTS == 8, "one CACHE_INIT per hart below");
static struct hart_cache caches[MAX_HARTS] = {
    CACHE_INIT, CACHE_INIT, CACHE_INIT, CACHE_INIT, CACHE_INIT, CACHE_INIT, CACHE_INIT, CACHE_INIT,
};

static size_t class_size(int cls) { return (size_t)1 << (cls + MIN_SHIFT); }
static size_t slots_per_slab(int cls) { return (PAGE_SIZE - HEADER_SIZE) / class_size(cls); }

static int size_class(size_t size)
{
    int cls = 0;
    while (class_size(cls) < size)
        cls++;
    return cls;
}

static void list_remove(struct page_header *p)
{
    if (p->prev) p->prev->next = p->next;
    else partial[p->cls] = p->next;
    if (p->next) p->next->prev = p->prev;
    p->next = p->prev = NULL;
}

static void list_push(struct page_header *p)
{
    p->prev = NULL;
    p->next = partial[p->cls];
    if (p->next) p->next->prev = p;
    partial[p->cls] = p;
}

static struct page_header *new_slab(int cls)
{
    struct page_header *p = frame_alloc();
    if (!p)
        return NULL;
    p->magic = SLAB_MAGIC;
    p->cls = (uint16_t)cls;
    char *slot = (char *)p + HEADER_SIZE;
    for (size_t i = 0; i < slots_per_slab(cls); i++, slot += class_size(cls)) {
        *(void **)slot = p->free;
        ((uint64_t *)slot)[1] = FREE_MARK;
        p->free = slot;
    }
    stats.slab_frames++;
    return p;
}

static void *alloc_large(size_t size)
{
    size_t npages = (size + HEADER_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
    struct page_header *p = frame_alloc_contig(npages);
    if (!p)
        return NULL;
    p->magic = LARGE_MAGIC;
    p->npages = npages;
    spin_lock(&heap_lock);
    stats.large_frames += npages;
    stats.bytes_in_use += npages * PAGE_SIZE - HEADER_SIZE;
    spin_unlock(&heap_lock);
    return (char *)p + HEADER_SIZE;
}

/* One object of class cls from the slabs, or NULL.  heap_lock held. */
static void *slab_take(int cls)
{
    struct page_header *p = partial[cls];
    if (!p) {
        p = new_slab(cls);
        if (!p)
            return NULL;
        list_push(p);
    }
    void *obj = p->free;
    p->free = *(void **)obj;
    p->inuse++;
    if (!p->free)
        list_remove(p);               /* now full */
    return obj;
}

/* Gives obj (marked free) back to its slab.  heap_lock held. */
static void slab_put(void *obj)
{
    struct page_header *p = (void *)((uintptr_t)obj & ~(uintptr_t)(PAGE_SIZE - 1));
    bool was_full = p->free == NULL;
    *(void **)obj = p->free;
    p->free = obj;
    p->inuse--;
    if (was_full)
        list_push(p);
    /* Give an empty slab back, unless it is the class's only partial one
     * (keeps a free/alloc pair from allocating a frame each time). */
    if (p->inuse == 0 && (partial[p->cls] != p || p->next)) {
        list_remove(p);
        p->magic = 0;
        stats.slab_frames--;
        frame_free(p);
    }
}

/* This hart's cache, locked, with interrupts off from before the hart is
 * read, so the thread cannot move to another hart in between. */
static struct hart_cache *my_cache_lock(void)
{
    push_off();
    struct hart_cache *c = &caches[this_hartid()];
    spin_take_hold(&c->lock);         /* interrupts are off already */
    return c;
}

static void my_cache_unlock(struct hart_cache *c)
{
    spin_release_hold(&c->lock);
    pop_off();
}

/* Gives n of c's objects of class cls back to the slabs.  c's lock held. */
static void cache_give_back(struct hart_cache *c, int cls, int n)
{
    spin_lock(&heap_lock);
    for (; n > 0 && c->head[cls]; n--) {
        void *obj = c->head[cls];
        c->head[cls] = *(void **)obj;
        c->count[cls]--;
        slab_put(obj);
    }
    spin_unlock(&heap_lock);
}

/* An object of at least size bytes, as its last user left it (the free
 * mark in its second word), or NULL; *dirty: how many of its bytes may
 * hold old data (its class's size; 0 for a large one, whose frames come
 * zeroed).  Inline in both callers: kmalloc is on every pending
 * operation's path, and a call more would cost it. */
static inline __attribute__((always_inline)) void *take_object(size_t size, size_t *dirty)
{
    *dirty = 0;
    if (size == 0)
        size = 1;
    if (size > MAX_SMALL)
        return size > SIZE_MAX - 2 * PAGE_SIZE ? NULL : alloc_large(size);
    int cls = size_class(size);

    struct hart_cache *c = my_cache_lock();
    if (!c->head[cls]) {
        /* Empty: a batch from the slabs, so that a hart that allocates
         * what others free takes heap_lock once every CACHE_BATCH.  Handed
         * out in the order taken: the class's first partial slab first,
         * so an object kept for long fills that slab rather than pinning
         * the next one (pushing each on the head would hand out the last
         * taken first). */
        void **tail = &c->head[cls];
        spin_lock(&heap_lock);
        for (int i = 0; i < CACHE_BATCH; i++) {
            void *obj = slab_take(cls);
            if (!obj)
                break;                /* out of memory: what was taken will do */
            *tail = obj;
            tail = (void **)obj;
            c->count[cls]++;
        }
        *tail = NULL;
        spin_unlock(&heap_lock);
        if (!c->head[cls]) {
            my_cache_unlock(c);
            return NULL;
        }
    }
    void *obj = c->head[cls];
    c->head[cls] = *(void **)obj;
    c->count[cls]--;
    c->bytes += (long)class_size(cls);
    my_cache_unlock(c);
    *dirty = class_size(cls);
    return obj;
}

void *kmalloc(size_t size)
{
    size_t dirty;
    void *obj = take_object(size, &dirty);
    if (obj)
        memset(obj, 0, dirty);        /* the free mark too */
    return obj;
}

void *kmalloc_unzeroed(size_t size)
{
    size_t dirty;
    void *obj = take_object(size, &dirty);
    /* The free mark only: the caller writes the rest.  A live object
     * holding the mark would send its kfree searching for a double free. */
    if (obj && dirty)
        ((uint64_t *)obj)[1] = 0;
    return obj;
}

/* Panics if obj, marked free, is free already: in a hart's cache or its
 * slab's free list.  Only a marked object can be, so only a marked one is
 * looked for; a live one whose data happens to hold the mark costs the
 * search and nothing else. */
static void check_not_free(struct page_header *p, void *obj)
{
    for (int h = 0; h < MAX_HARTS; h++) {
        struct hart_cache *c = &caches[h];
        spin_lock(&c->lock);
        for (void *f = c->head[p->cls]; f; f = *(void **)f)
            if (f == obj)
                panic("kfree: double free of %p", obj);
        spin_unlock(&c->lock);
    }
    spin_lock(&heap_lock);
    for (void *f = p->free; f; f = *(void **)f)
        if (f == obj)
            panic("kfree: double free of %p", obj);
    spin_unlock(&heap_lock);
}

void kfree(void *ptr)
{
    if (!ptr)
        return;
    struct page_header *p = (void *)((uintptr_t)ptr & ~(uintptr_t)(PAGE_SIZE - 1));
    uintptr_t off = (uintptr_t)ptr - (uintptr_t)p;

    if (p->magic == LARGE_MAGIC && off == HEADER_SIZE) {
        size_t npages = p->npages;
        p->magic = 0;
        spin_lock(&heap_lock);
        stats.large_frames -= npages;
        stats.bytes_in_use -= npages * PAGE_SIZE - HEADER_SIZE;
        spin_unlock(&heap_lock);
        frame_free_contig(p, npages);
        return;
    }
    if (p->magic != SLAB_MAGIC || off < HEADER_SIZE ||
        (off - HEADER_SIZE) % class_size(p->cls) != 0 ||
        (off - HEADER_SIZE) / class_size(p->cls) >= slots_per_slab(p->cls))
        panic("kfree: %p was not returned by kmalloc", ptr);
    int cls = p->cls;
    if (((uint64_t *)ptr)[1] == FREE_MARK)
        check_not_free(p, ptr);

    ((uint64_t *)ptr)[1] = FREE_MARK;
    struct hart_cache *c = my_cache_lock();
    *(void **)ptr = c->head[cls];
    c->head[cls] = ptr;
    c->bytes -= (long)class_size(cls);
    if (++c->count[cls] >= CACHE_MAX)
        cache_give_back(c, cls, CACHE_BATCH);
    my_cache_unlock(c);
}

void kmalloc_stats(struct kmalloc_stats *out)
{
    /* Every cache back to the slabs first, so that what the counts say
     * (frames in use, empty slabs) is what it was without the caches. */
    long small_bytes = 0;
    for (int h = 0; h < MAX_HARTS; h++) {
        struct hart_cache *c = &caches[h];
        spin_lock(&c->lock);
        for (int cls = 0; cls < NCLASSES; cls++)
            if (c->head[cls])
                cache_give_back(c, cls, CACHE_MAX);
        small_bytes += c->bytes;
        spin_unlock(&c->lock);
    }
    spin_lock(&heap_lock);
    *out = stats;
    out->bytes_in_use += (size_t)small_bytes;
    out->empty_slab_frames = 0;
    for (int cls = 0; cls < NCLASSES; cls++)
        for (struct page_header *p = partial[cls]; p; p = p->next)
            out->empty_slab_frames += p->inuse == 0;
    spin_unlock(&heap_lock);
}
