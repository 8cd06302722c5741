/*
 * A process's file-descriptor table: fd -> struct file, grown on demand.
 *
 * It starts empty (no memory), takes FDTABLE_FIRST entries at the first
 * open and doubles whenever every entry is in use, up to MAX_FDS
 * (uapi/syscall.h).  Lookup is an index into one array: O(1).  A new
 * descriptor is the lowest free one; `lowest_free` remembers where the
 * search may start, so opening thousands of files one after another costs
 * O(1) each.
 *
 * The table does not lock: its owner (struct proc) holds p->lock around
 * every call, or owns the table alone (a process being built or torn
 * down).  Growing allocates (kmalloc) under that lock.  References: the
 * table holds one on each file it contains; install and set take the
 * caller's, remove and take hand them back.
 *
 * One reader needs no lock: fdtable_peek (an asynchronous submission of a
 * process with several threads, syscall/sys_file.c).  For it every entry
 * is stored atomically, a grown table publishes its array before its
 * size, and an array the table outgrew is kept (`retired`) until the
 * table is emptied (take, close_all), so that a peek that read the old
 * array's address never reads freed memory.  What it finds may be taken
 * out meanwhile: the caller makes sure the file lives (fs/file.h, "A
 * borrow").
 */
#ifndef PROC_FDTABLE_H
#define PROC_FDTABLE_H

#include <stddef.h>
#include <stdint.h>
#include "uapi/syscall.h"

#define FDTABLE_FIRST 16        /* entries at the first open */
#define FDTABLE_GROWTHS 9       /* doublings from FDTABLE_FIRST to MAX_FDS */

struct file;

struct fdtable {
    struct file **slot;         /* `size` entries; NULL: free */
    uint32_t size;              /* 0, or FDTABLE_FIRST << k, <= MAX_FDS */
    uint32_t open;              /* entries in use */
    uint32_t lowest_free;       /* every fd below it is in use */
    uint32_t nretired;
    /* The arrays it outgrew, oldest first: a peek may still read one. */
    struct file **retired[FDTABLE_GROWTHS];
};

/* The file at fd (no reference taken), or NULL: also for any fd at or
 * past the table's size, negative ones included (fd is unsigned). */
static inline struct file *fdtable_get(const struct fdtable *t, uint64_t fd)
{
    /* Inline: every read and write looks its file up here. */
    return fd < t->size ? t->slot[fd] : NULL;
}
/* The same without the owner's lock, while the table's owner lives: the
 * entry at fd at one moment during the call (no reference taken; the
 * file may be taken out and closed at once: fs/file.h, "A borrow"). */
static inline struct file *fdtable_peek(const struct fdtable *t, uint64_t fd)
{
    /* The size first: an array at least that long is published before it
     * (grow).  An older array, if read, is retired, not freed. */
    uint32_t size = __atomic_load_n(&t->size, __ATOMIC_ACQUIRE);
    if (fd >= size)
        return NULL;
    struct file **slot = __atomic_load_n(&t->slot, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&slot[fd], __ATOMIC_ACQUIRE);
}
/* Puts f at the lowest free fd: that fd, or -EMFILE (MAX_FDS open), or
 * -ENOMEM (the table could not grow).  On an error nothing changed. */
int fdtable_install(struct fdtable *t, struct file *f);
/* Puts f at fd, which must be free and below MAX_FDS: 0, or -ENOMEM
 * (nothing changed). */
int fdtable_set(struct fdtable *t, uint32_t fd, struct file *f);
/* Takes the file at fd out: it, or NULL if there was none. */
struct file *fdtable_remove(struct fdtable *t, uint64_t fd);
/* dst (empty) becomes a copy of src, every file referenced once more
 * (fork): 0, or -ENOMEM with dst still empty. */
int fdtable_copy(struct fdtable *dst, const struct fdtable *src);
/* Moves t's contents to *out, leaving t empty (teardown: the closes then
 * happen outside the lock). */
void fdtable_take(struct fdtable *t, struct fdtable *out);
/* Closes every file of a table nobody else can reach and frees it. */
void fdtable_close_all(struct fdtable *t);

#endif
