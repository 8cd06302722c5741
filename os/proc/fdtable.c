/* A process's file-descriptor table (proc/fdtable.h). */
#include "proc/fdtable.h"
#include "fs/file.h"
#include "mm/kmalloc.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "kernel/ordered_store.h"

_Static_assert((MAX_FDS & (MAX_FDS - 1)) == 0 && MAX_FDS >= FDTABLE_FIRST,
               "the table doubles from FDTABLE_FIRST up to MAX_FDS exactly");
_Static_assert(MAX_FDS <= (1u << 30), "fds are ints");
_Static_assert(FDTABLE_FIRST << FDTABLE_GROWTHS == MAX_FDS, "a retired array per doubling");

static void check(const struct fdtable *t)
{
    KASSERT(t->size <= MAX_FDS && t->open <= t->size && t->lowest_free <= t->size);
    KASSERT((t->size == 0) == (t->slot == NULL) && t->nretired <= FDTABLE_GROWTHS);
}

/* An entry, for fdtable_peek's sake stored whole (atomically). */
static void put_slot(struct fdtable *t, uint32_t fd, struct file *f)
{
    store_release(&t->slot[fd], f);   /* after f's contents */
}

/* Frees the arrays t outgrew: nobody can peek into t any more. */
static void free_retired(struct fdtable *t)
{
    for (uint32_t i = 0; i < t->nretired; i++)
        kfree(t->retired[i]);
    t->nretired = 0;
}

/* Grows t to at least `need` entries (doubling): 0, or -ENOMEM with t as
 * it was.  need <= MAX_FDS. */
static int grow(struct fdtable *t, uint32_t need)
{
    KASSERT(need <= MAX_FDS);
    uint32_t size = t->size ? t->size : FDTABLE_FIRST;
    while (size < need)
        size *= 2;
    if (size == t->size)
        return 0;
    struct file **slot = kmalloc(size * sizeof(*slot));     /* zeroed */
    if (!slot)
        return -ENOMEM;
    if (t->size)
        memcpy(slot, t->slot, t->size * sizeof(*slot));
    /* Kept, not freed: a peek on another hart may have read its address.
     * One per doubling, so there is always room. */
    if (t->slot) {
        KASSERT(t->nretired < FDTABLE_GROWTHS);
        t->retired[t->nretired++] = t->slot;
    }
    /* The array, then the size (fdtable_peek reads them the other way). */
    store_release(&t->slot, slot);
    store_release(&t->size, size);
    return 0;
}

int fdtable_install(struct fdtable *t, struct file *f)
{
    check(t);
    uint32_t fd = t->lowest_free;
    while (fd < t->size && t->slot[fd])
        fd++;
    if (fd == t->size) {                  /* full: fd is the first new one */
        if (fd == MAX_FDS)
            return -EMFILE;
        int err = grow(t, fd + 1);
        if (err)
            return err;
    }
    put_slot(t, fd, f);
    t->open++;
    t->lowest_free = fd + 1;
    return (int)fd;
}

int fdtable_set(struct fdtable *t, uint32_t fd, struct file *f)
{
    check(t);
    KASSERT(fd < MAX_FDS && !fdtable_get(t, fd));
    int err = grow(t, fd + 1);
    if (err)
        return err;
    put_slot(t, fd, f);
    t->open++;
    if (t->lowest_free == fd)
        t->lowest_free++;
    return 0;
}

struct file *fdtable_remove(struct fdtable *t, uint64_t fd)
{
    check(t);
    struct file *f = fdtable_get(t, fd);
    if (!f)
        return NULL;
    put_slot(t, (uint32_t)fd, NULL);
    t->open--;
    if (fd < t->lowest_free)
        t->lowest_free = (uint32_t)fd;
    return f;
}

int fdtable_copy(struct fdtable *dst, const struct fdtable *src)
{
    check(src);
    KASSERT(dst->size == 0);
    if (src->size == 0)
        return 0;
    struct file **slot = kmalloc(src->size * sizeof(*slot));
    if (!slot)
        return -ENOMEM;
    for (uint32_t fd = 0; fd < src->size; fd++)
        if (src->slot[fd])
            slot[fd] = file_dup(src->slot[fd]);
    *dst = *src;
    dst->slot = slot;
    dst->nretired = 0;              /* src's are src's */
    return 0;
}

void fdtable_take(struct fdtable *t, struct fdtable *out)
{
    check(t);
    /* Only the owner alone takes its table (teardown): nobody peeks. */
    *out = *t;
    *t = (struct fdtable){ 0 };
}

void fdtable_close_all(struct fdtable *t)
{
    check(t);
    for (uint32_t fd = 0; fd < t->size; fd++)
        if (t->slot[fd])
            file_close(t->slot[fd]);
    kfree(t->slot);
    free_retired(t);
    *t = (struct fdtable){ 0 };
}
