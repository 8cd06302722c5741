#include "mm/uvm.h"
#include "mm/frame.h"
#include "mm/tlb.h"
#include "mm/ustack.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"

struct hart_readers uspace_readers;

#define ALLOC_BATCH 32                 /* frames taken per hold of the lock */

int uvm_alloc(pagetable_t pt, uint64_t va, uint64_t size, uint64_t perm)
{
    KASSERT(perm & (PTE_R | PTE_X));
    /* A batch of frames at a time, into consecutive slots of one leaf
     * table: one walk and one hold of the frame allocator's lock per batch
     * instead of per page (sbrk of a megabyte is 256 pages). */
    uint64_t end = va + size, a = va;
    int err = 0;
    while (a < end && !err) {
        uint64_t stop = vm_table_stop(a, end);
        size_t want = (stop - a) / PAGE_SIZE;
        if (want > ALLOC_BATCH)
            want = ALLOC_BATCH;
        pte_t *pte = vm_leaf_pte(pt, a, true);
        void *frames[ALLOC_BATCH];
        size_t got = pte ? frame_alloc_many(frames, want) : 0;
        size_t k = 0;
        for (; k < got && !(pte[k] & PTE_V); k++, a += PAGE_SIZE) {
            memset(frames[k], 0, PAGE_SIZE);
            pte[k] = PA_PTE(VA2PA(frames[k])) | perm | PTE_U | PTE_V | PTE_A | PTE_D;
        }
        if (k < got) {
            frame_free_many(frames + k, got - k);
            err = -EEXIST;                /* pte[k] was mapped already */
        } else if (got < want) {
            uint64_t pa, flags;           /* no table: a larger leaf, or no memory */
            err = !pte && vm_translate(pt, a, &pa, &flags) ? -EEXIST : -ENOMEM;
        }
    }
    if (err)
        uvm_free(pt, va, a - va);         /* what this call mapped */
    return err;
}

void uvm_free(pagetable_t pt, uint64_t va, uint64_t size)
{
    vm_unmap(pt, va, size, true);
}

#define FREE_BATCH 32                  /* frames freed per hold of the lock */

struct free_batch {
    void *frames[FREE_BATCH];
    size_t n;
};

static void batch_free(struct free_batch *b, void *frame)
{
    b->frames[b->n++] = frame;
    if (b->n == FREE_BATCH) {
        frame_free_many(b->frames, b->n);
        b->n = 0;
    }
}

static void free_level(pagetable_t table, int level, struct free_batch *b)
{
    VM_FOR_EACH_ENTRY(i, table, 512, PTE_V) {
        pte_t pte = table[i];
        if (pte & (PTE_R | PTE_W | PTE_X))
            batch_free(b, PA2VA(PTE_PA(pte)));      /* user data page */
        else if (level > 0)
            free_level(PA2VA(PTE_PA(pte)), level - 1, b);
        table[i] = 0;
    }
    batch_free(b, table);
}

void uvm_free_all(pagetable_t pt)
{
    /* Cut the whole user half off first (each entry keeps its table's
     * number while invalid), shoot the TLBs down, then free. */
    VM_FOR_EACH_ENTRY(i, pt, 256, PTE_V)
        pt[i] &= ~PTE_V;
    tlb_shootdown(MAKE_SATP(VA2PA(pt)));
    struct free_batch b = { .n = 0 };
    VM_FOR_EACH_ENTRY(i, pt, 256, ~(pte_t)0) {
        pte_t pte = pt[i];
        if (!(pte & (PTE_R | PTE_W | PTE_X)))
            free_level(PA2VA(PTE_PA(pte)), 1, &b);
        pt[i] = 0;
    }
    frame_free_many(b.frames, b.n);
}

/* Copies the user pages under `src` (a table of the given level, its
 * first `count` entries) into fresh frames at the same places under `dst`,
 * a table of the same level.  Entry by entry rather than through vm_map:
 * no walk from the root per page, and the copy goes into a frame that is
 * not zeroed first (it is overwritten whole before it is mapped). */
static int copy_level(pagetable_t src, pagetable_t dst, int level, int count)
{
    VM_FOR_EACH_ENTRY(i, src, count, PTE_V) {
        pte_t pte = src[i];
        if (pte & (PTE_R | PTE_W | PTE_X)) {
            /* uvm_alloc maps 4 KiB pages only: a larger user leaf is a
             * kernel bug, and copying 4 KiB of it would be another. */
            KASSERT(level == 0);
            KASSERT(!(dst[i] & PTE_V));
            void *frame = frame_alloc_unzeroed();
            if (!frame)
                return -ENOMEM;
            memcpy(frame, PA2VA(PTE_PA(pte)), PAGE_SIZE);
            dst[i] = PA_PTE(VA2PA(frame)) | (pte & PTE_PERM_MASK) | PTE_V | PTE_A | PTE_D;
            continue;
        }
        KASSERT(level > 0);
        pagetable_t next;
        if (dst[i] & PTE_V) {
            KASSERT(!(dst[i] & (PTE_R | PTE_W | PTE_X)));
            next = PA2VA(PTE_PA(dst[i]));
        } else {
            if (!(next = frame_alloc()))
                return -ENOMEM;
            dst[i] = PA_PTE(VA2PA(next)) | PTE_V;
        }
        int err = copy_level(PA2VA(PTE_PA(pte)), next, level - 1, 512);
        if (err)
            return err;
    }
    return 0;
}

int uvm_copy(struct uspace *src, pagetable_t dst)
{
    hart_rwlock_lock(&src->lock);
    int err = copy_level(src->pt, dst, 2, 256);     /* the user half */
    hart_rwlock_unlock(&src->lock);
    if (err)
        uvm_free_all(dst);
    return err;
}

static bool user_range(uint64_t uva, size_t len)
{
    return uva < USER_TOP && len <= USER_TOP - uva;
}

/* The leaf PTE of the user page at uva (below USER_TOP) if it is valid
 * and grants `need`, else 0.  The copies' one walk, unrolled: the user half
 * holds 4 KiB pages only (uvm_alloc), so a leaf above level 0 is no user
 * page and is refused, like an invalid entry. */
static inline __attribute__((always_inline)) pte_t user_leaf(pagetable_t pt, uint64_t uva,
                                                           uint64_t need)
{
    const pte_t table = PTE_V, kind = PTE_V | PTE_R | PTE_W | PTE_X;
    pte_t pte = pt[VPN(uva, 2)];
    if ((pte & kind) != table)
        return 0;
    pte = ((pagetable_t)PA2VA(PTE_PA(pte)))[VPN(uva, 1)];
    if ((pte & kind) != table)
        return 0;
    pte = ((pagetable_t)PA2VA(PTE_PA(pte)))[VPN(uva, 0)];
    return (pte & (need | PTE_V)) == (need | PTE_V) ? pte : 0;
}

/* user_leaf_demand_locked's way when the first walk found nothing. */
static __attribute__((noinline)) pte_t demand_then_leaf_locked(struct uspace *us, uint64_t uva,
                                                               uint64_t need)
{
    return ustack_demand_locked(us, uva) == 0 ? user_leaf(us->pt, uva, need) : 0;
}

/* user_leaf, or with us->lock held exclusively, the page of a thread
 * stack not touched yet, mapped now: a buffer on a thread's stack is an
 * ordinary argument.  The rare second way is out of line. */
static inline __attribute__((always_inline)) pte_t user_leaf_demand_locked(
    struct uspace *us, uint64_t uva, uint64_t need)
{
    pte_t pte = user_leaf(us->pt, uva, need);
    return pte ? pte : demand_then_leaf_locked(us, uva, need);
}

static uint64_t need_for(bool write)
{
    return PTE_U | PTE_R | (write ? PTE_W : 0);
}

/* uvm_range_ok's pages, from `page` on, where the first look found one
 * missing: a stack page not touched yet is mapped on the way. */
static __attribute__((noinline)) bool range_ok_slow(struct uspace *us, uint64_t page,
                                                    uint64_t end, uint64_t need)
{
    for (; page < end; page += PAGE_SIZE) {
        /* Without the lock first: what this finds may change at once
         * anyway (the copies look again, under it). */
        if (user_leaf(us->pt, page, need))
            continue;
        hart_rwlock_lock(&us->lock);
        bool ok = user_leaf_demand_locked(us, page, need) != 0;
        hart_rwlock_unlock(&us->lock);
        if (!ok)
            return false;
    }
    return true;
}

bool uvm_range_ok(struct uspace *us, uint64_t uva, size_t len, bool write)
{
    if (len == 0)
        return true;
    if (!user_range(uva, len))
        return false;
    uint64_t need = need_for(write);
    uint64_t page = uva & ~(uint64_t)(PAGE_SIZE - 1);
    /* The common case, a small buffer already mapped: one walk. */
    if (uvm_one_page(uva, len) && user_leaf(us->pt, page, need))
        return true;
    return range_ok_slow(us, page, uva + len, need);
}

/* Copies at most SMALL_COPY bytes one at a time.  A system call's small
 * argument (a pipe's byte, a pair of descriptors) is most of what the
 * kernel copies: a call to memcpy, with its alignment tests, costs more
 * than the loop, and keeping the copy a leaf spares copy_in_page's caller
 * the registers a call would make it save.  (volatile: the compiler would
 * otherwise turn the loop back into a call to memcpy.) */
#define SMALL_COPY 16
static inline __attribute__((always_inline)) void copy_small(char *d, const char *s,
                                                            size_t len)
{
    volatile char *vd = d;
    for (size_t i = 0; i < len; i++)
        vd[i] = s[i];
}

/* The copy itself, between kernel memory and the frame `pte` maps. */
static inline __attribute__((always_inline)) void copy_with_frame(pte_t pte, uint64_t uva,
                                                                 char *k, size_t len,
                                                                 bool to_user)
{
    char *page = (char *)PA2VA(PTE_PA(pte)) + (uva & (PAGE_SIZE - 1));
    char *d = to_user ? page : k;
    const char *s = to_user ? k : page;
    if (len <= SMALL_COPY)
        copy_small(d, s, len);
    else
        memcpy(d, s, len);
}

/* copy_in_page's way for a page not mapped yet: a thread stack's page
 * mapped now, which changes the mapping, so under an exclusive hold. */
static __attribute__((noinline)) bool copy_in_page_demand(struct uspace *us, uint64_t uva,
                                                          char *k, size_t len, uint64_t need,
                                                          bool to_user)
{
    hart_rwlock_lock(&us->lock);
    pte_t pte = user_leaf_demand_locked(us, uva, need);
    if (pte)
        copy_with_frame(pte, uva, k, len, to_user);
    hart_rwlock_unlock(&us->lock);
    return pte != 0;
}

/* Copies len bytes (within one page) between kernel memory and the user
 * page at uva, translated and copied under the address space's lock:
 * another thread of the process may unmap it at any time (sbrk), and then
 * the copy fails; it never writes into a frame that has been freed
 * meanwhile.  False if the page is not there (or not `need`).
 * A copy only reads the mapping, so it holds the lock shared
 * (kernel/hart_rwlock.h): every change of the mapping is made under an
 * exclusive hold, which waits for the copies to end, while two threads'
 * copies (a process's workers on two harts, each copying a pipe's data)
 * go on at once instead of taking turns for the length of a memcpy. */
static inline __attribute__((always_inline)) bool copy_in_page(struct uspace *us, uint64_t uva,
                                                              char *k, size_t len, uint64_t need,
                                                              bool to_user)
{
    hart_rwlock_lock_shared(&us->lock);
    pte_t pte = user_leaf(us->pt, uva, need);
    if (pte)
        copy_with_frame(pte, uva, k, len, to_user);
    hart_rwlock_unlock_shared(&us->lock);
    return pte || copy_in_page_demand(us, uva, k, len, need, to_user);
}

/* copy_user_pages for a range over more than one page: a page at a time.
 * On -EFAULT the pages before the bad one have been copied. */
static __attribute__((noinline)) int copy_across_pages(struct uspace *us, uint64_t uva,
                                                       char *k, size_t len, uint64_t need,
                                                       bool to_user)
{
    while (len) {
        size_t off = uva & (PAGE_SIZE - 1);
        size_t chunk = PAGE_SIZE - off < len ? PAGE_SIZE - off : len;
        if (!copy_in_page(us, uva, k, chunk, need, to_user))
            return -EFAULT;
        uva += chunk;
        k += chunk;
        len -= chunk;
    }
    return 0;
}

/* Copies len bytes between kernel memory and a user range, each page as
 * copy_in_page says.  Within one page (a pipe's byte, a system call's
 * struct): that page's copy inline, with no loop around it.  Inline in
 * each copy_*_user: the pipe's copies are four a round trip. */
static inline __attribute__((always_inline)) int copy_user_pages_needing(
    struct uspace *us, uint64_t uva, void *kbuf, size_t len, uint64_t need, bool to_user)
{
    if (!user_range(uva, len))
        return -EFAULT;
    if (!uvm_one_page(uva, len))
        return copy_across_pages(us, uva, kbuf, len, need, to_user);
    return len == 0 || copy_in_page(us, uva, kbuf, len, need, to_user) ? 0 : -EFAULT;
}

/* The same, each page granting what the direction needs. */
static inline __attribute__((always_inline)) int copy_user_pages(struct uspace *us, uint64_t uva,
                                                                void *kbuf, size_t len,
                                                                bool to_user)
{
    return copy_user_pages_needing(us, uva, kbuf, len, need_for(to_user), to_user);
}

int copy_from_user(struct uspace *us, void *dst, uint64_t usrc, size_t len)
{
    /* Checked whole first: a copy that would fail leaves dst untouched. */
    if (!uvm_one_page(usrc, len) && !uvm_range_ok(us, usrc, len, false))
        return -EFAULT;
    return copy_user_pages(us, usrc, dst, len, false);
}

int copy_from_writable_user(struct uspace *us, void *dst, uint64_t usrc, size_t len)
{
    if (!uvm_one_page(usrc, len) && !uvm_range_ok(us, usrc, len, true))
        return -EFAULT;
    return copy_user_pages_needing(us, usrc, dst, len, need_for(true), false);
}

int copy_to_user(struct uspace *us, uint64_t udst, const void *src, size_t len)
{
    if (!uvm_one_page(udst, len) && !uvm_range_ok(us, udst, len, true))
        return -EFAULT;
    return copy_user_pages(us, udst, (void *)src, len, true);
}

bool uvm_write_in_page(struct uspace *us, uint64_t uva, size_t len,
                       void (*write)(void *k, void *arg), void *arg)
{
    KASSERT(uvm_one_page(uva, len));
    if (!user_range(uva, len))
        return false;
    hart_rwlock_lock_shared(&us->lock);
    pte_t pte = user_leaf(us->pt, uva, need_for(true));
    if (pte)
        write((char *)PA2VA(PTE_PA(pte)) + (uva & (PAGE_SIZE - 1)), arg);
    hart_rwlock_unlock_shared(&us->lock);
    return pte != 0;
}

int copy_from_user_partial(struct uspace *us, void *dst, uint64_t usrc, size_t len)
{
    return copy_user_pages(us, usrc, dst, len, false);
}

int copy_to_user_partial(struct uspace *us, uint64_t udst, const void *src, size_t len)
{
    return copy_user_pages(us, udst, (void *)src, len, true);
}

long copy_string_from_user(struct uspace *us, char *dst, uint64_t usrc, size_t max)
{
    /* A page at a time: one page-table walk per page, not per byte. */
    size_t done = 0;
    while (done < max) {
        uint64_t uva = usrc + done;
        size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
        if (chunk > max - done)
            chunk = max - done;
        if (copy_user_pages(us, uva, dst + done, chunk, false))
            return -EFAULT;
        size_t len = strnlen(dst + done, chunk);
        if (len < chunk)
            return (long)(done + len);
        done += chunk;
    }
    return -ENAMETOOLONG;
}
