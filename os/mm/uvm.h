/*
 * User address spaces: allocating, copying and freeing the user half of a
 * page table, and moving bytes between the kernel and user memory.
 *
 * The kernel never dereferences a user pointer.  Every access goes through
 * the process's page table: the range must be below USER_TOP, mapped, user
 * accessible and (for writes) writable, or the call fails with -EFAULT and
 * nothing is copied.  So a bad pointer can never fault in the kernel.
 */
#ifndef MM_UVM_H
#define MM_UVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "mm/vm.h"
#include "kernel/hart_rwlock.h"
#include "memlayout.h"

/* A process's user address space: its page table, and the lock under which
 * its user mappings change and the kernel copies through them.  Frames
 * leave the address space only under the lock (and after a TLB shootdown,
 * mm/tlb.h), so a copy that translated an address under the lock uses a
 * frame that stays the process's until it lets go.  Mappings change under
 * an exclusive hold; copies hold it shared (kernel/hart_rwlock.h), so
 * copies by two threads of the process do not wait for each other, and a
 * copy writes only its own hart's slot of uspace_readers, not the lock:
 * two harts' copies move no line between them. */
struct uspace {
    pagetable_t pt;
    struct hart_rwlock lock;
    /* Thread stack slots in use, bit i for slot i (under `lock`): their
     * stacks are demand-paged (mm/ustack.h). */
    uint64_t stack_slots[USER_STACK_SLOTS / 64];
};

/* The shared holds of every address space's lock: a hart copies through
 * one address space at a time. */
extern struct hart_readers uspace_readers;
#define USPACE_LOCK_INIT(name) HART_RWLOCK_INIT(name, &uspace_readers)
static inline void uspace_lock_init(struct uspace *us)
{
    hart_rwlock_init(&us->lock, "uspace", &uspace_readers);
}

/* Maps zeroed frames over [va, va+size) (page-aligned) with perm | U.
 * On failure nothing stays mapped; returns 0 or -ENOMEM / -EEXIST.
 * uvm_alloc and uvm_free on a live address space: its lock held. */
int uvm_alloc(pagetable_t pt, uint64_t va, uint64_t size, uint64_t perm);
/* Unmaps [va, va+size) and frees the frames. */
void uvm_free(pagetable_t pt, uint64_t va, uint64_t size);
/* Frees every user page and every user page-table page (not the root). */
void uvm_free_all(pagetable_t pt);
/* Copies every user page of src into fresh frames in dst (fork), under
 * src's lock: another thread of src cannot unmap a page mid-copy. */
int uvm_copy(struct uspace *src, pagetable_t dst);

/* True if [uva, uva+len) is user memory readable (and writable if asked);
 * pages of a thread stack not touched yet are mapped on the way. */
/* (A quick check before blocking; the copies check again, under the lock.) */
bool uvm_range_ok(struct uspace *us, uint64_t uva, size_t len, bool write);
/* Does [uva, uva+len) lie within one page?  Then a copy of it is whole or
 * nothing by itself (it checks the page under the lock, then copies), and
 * needs no check of the range before it.  (Whether it is user memory at
 * all is the copy's check.) */
static inline bool uvm_one_page(uint64_t uva, size_t len)
{
    return len <= PAGE_SIZE - (uva & (PAGE_SIZE - 1));
}
int copy_from_user(struct uspace *us, void *dst, uint64_t usrc, size_t len);
/* copy_from_user from memory the process may also write: fails unless
 * every page of the range is writable.  For a record the kernel reads
 * now and writes later (an asynchronous operation's struct co_io): the
 * copy's own walk is the writability check, not a second walk of
 * uvm_range_ok's before it. */
int copy_from_writable_user(struct uspace *us, void *dst, uint64_t usrc, size_t len);
int copy_to_user(struct uspace *us, uint64_t udst, const void *src, size_t len);
/* Runs write(k, arg), k the kernel's address of [uva, uva+len): user
 * memory, writable, within one page (asserted), translated under the
 * address space's lock held shared, so that the frame stays the
 * process's while write stores into it.  For a record whose fields must
 * be stored in an order of the caller's (a completion: its result, then
 * its done flag), in one walk and one hold rather than a copy per field.
 * False, write not run, if the page is not there or not writable: the
 * caller takes the copies' way then (they also map a thread stack's
 * page not touched yet). */
bool uvm_write_in_page(struct uspace *us, uint64_t uva, size_t len,
                       void (*write)(void *k, void *arg), void *arg);
/* Copies a NUL-terminated string of at most max-1 characters; returns its
 * length, -EFAULT, or -ENAMETOOLONG if no NUL within max bytes. */
/* The same without checking the whole range first: one walk per page
 * instead of two, but on -EFAULT the pages before the bad one have been
 * copied.  For a caller to whom that is harmless (a pipe: its ring's head
 * or tail moves only once the whole copy succeeded). */
int copy_from_user_partial(struct uspace *us, void *dst, uint64_t usrc, size_t len);
int copy_to_user_partial(struct uspace *us, uint64_t udst, const void *src, size_t len);
long copy_string_from_user(struct uspace *us, char *dst, uint64_t usrc, size_t max);

#endif
