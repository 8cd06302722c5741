#include "mm/uvm.h"
#include "mm/frame.h"
#include "mm/tlb.h"
#include "mm/ustack.h"
#include "kernel/panic.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "arch/riscv.h"
#include "memlayout.h"

int uvm_alloc(pagetable_t pt, uint64_t va, uint64_t size, uint64_t perm)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        void *frame = frame_alloc();
        int err = frame ? vm_map(pt, va + off, VA2PA(frame), PAGE_SIZE,
                                 perm | PTE_U, 0) : VM_ENOMEM;
        if (err) {
            if (frame)
                frame_free(frame);
            uvm_free(pt, va, off);
            return err == VM_EEXIST ? -EEXIST : -ENOMEM;
        }
    }
    return 0;
}

void uvm_free(pagetable_t pt, uint64_t va, uint64_t size)
{
    vm_unmap(pt, va, size, true);
}

static void free_level(pagetable_t table, int level)
{
    for (int i = 0; i < 512; i++) {
        pte_t pte = table[i];
        if (!(pte & PTE_V))
            continue;
        if (pte & (PTE_R | PTE_W | PTE_X))
            frame_free(PA2VA(PTE_PA(pte)));     /* user data page */
        else if (level > 0)
            free_level(PA2VA(PTE_PA(pte)), level - 1);
        table[i] = 0;
    }
    frame_free(table);
}

void uvm_free_all(pagetable_t pt)
{
    /* Cut the whole user half off first (each entry keeps its table's
     * number while invalid), shoot the TLBs down, then free. */
    for (int i = 0; i < 256; i++)
        pt[i] &= ~PTE_V;
    tlb_shootdown(MAKE_SATP(VA2PA(pt)));
    for (int i = 0; i < 256; i++) {
        pte_t pte = pt[i];
        if (pte && !(pte & (PTE_R | PTE_W | PTE_X)))
            free_level(PA2VA(PTE_PA(pte)), 1);
        pt[i] = 0;
    }
}

/* Copies the user pages under `src` (a table of the given level) into
 * fresh frames mapped at the same addresses in dst. */
static int copy_level(pagetable_t src, pagetable_t dst, int level, uint64_t va_base)
{
    for (int i = 0; i < 512; i++) {
        pte_t pte = src[i];
        if (!(pte & PTE_V))
            continue;
        uint64_t va = va_base + ((uint64_t)i << (12 + 9 * level));
        if (level == 2 && i >= 256)
            break;                                 /* the kernel half */
        if (!(pte & (PTE_R | PTE_W | PTE_X))) {
            int err = copy_level(PA2VA(PTE_PA(pte)), dst, level - 1, va);
            if (err)
                return err;
            continue;
        }
        void *frame = frame_alloc();
        if (!frame)
            return -ENOMEM;
        memcpy(frame, PA2VA(PTE_PA(pte)), PAGE_SIZE);
        if (vm_map(dst, va, VA2PA(frame), PAGE_SIZE, pte & PTE_PERM_MASK, 0)) {
            frame_free(frame);
            return -ENOMEM;
        }
    }
    return 0;
}

int uvm_copy(struct uspace *src, pagetable_t dst)
{
    spin_lock(&src->lock);
    int err = copy_level(src->pt, dst, 2, 0);
    spin_unlock(&src->lock);
    if (err)
        uvm_free_all(dst);
    return err;
}

static bool user_range(uint64_t uva, size_t len)
{
    return uva < USER_TOP && len <= USER_TOP - uva;
}

bool uvm_range_ok(struct uspace *us, uint64_t uva, size_t len, bool write)
{
    if (len == 0)
        return true;
    if (!user_range(uva, len))
        return false;
    uint64_t need = PTE_U | PTE_R | (write ? PTE_W : 0);
    for (uint64_t page = uva & ~(uint64_t)(PAGE_SIZE - 1); page < uva + len;
         page += PAGE_SIZE) {
        uint64_t pa, flags;
        if (vm_translate(us->pt, page, &pa, &flags) && (flags & need) == need)
            continue;
        /* A stack page not touched yet is as good as a mapped one: a
         * buffer on a thread's stack is an ordinary argument. */
        spin_lock(&us->lock);
        bool ok = ustack_demand_locked(us, page) == 0 &&
                  vm_translate(us->pt, page, &pa, &flags) && (flags & need) == need;
        spin_unlock(&us->lock);
        if (!ok)
            return false;
    }
    return true;
}

/* Copies len bytes between kernel memory and a user range, a page at a
 * time, each page translated and copied under the address space's lock:
 * another thread of the process may unmap part of the range at any time
 * (sbrk), and then the copy stops with -EFAULT; it never writes into a
 * frame that has been freed meanwhile. */
static int copy_user_pages(struct uspace *us, uint64_t uva, void *kbuf, size_t len,
                           bool to_user)
{
    char *k = kbuf;
    uint64_t need = PTE_U | PTE_R | (to_user ? PTE_W : 0);
    if (!user_range(uva, len))
        return -EFAULT;
    while (len) {
        uint64_t pa, flags;
        size_t chunk = PAGE_SIZE - (uva & (PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        spin_lock(&us->lock);
        bool mapped = vm_translate(us->pt, uva, &pa, &flags) && (flags & need) == need;
        if (!mapped && ustack_demand_locked(us, uva) == 0)
            mapped = vm_translate(us->pt, uva, &pa, &flags) && (flags & need) == need;
        if (mapped) {
            if (to_user)
                memcpy(PA2VA(pa), k, chunk);
            else
                memcpy(k, PA2VA(pa), chunk);
        }
        spin_unlock(&us->lock);
        if (!mapped)
            return -EFAULT;
        uva += chunk;
        k += chunk;
        len -= chunk;
    }
    return 0;
}

int copy_from_user(struct uspace *us, void *dst, uint64_t usrc, size_t len)
{
    /* Checked whole first: a copy that would fail leaves dst untouched. */
    if (!uvm_range_ok(us, usrc, len, false))
        return -EFAULT;
    return copy_user_pages(us, usrc, dst, len, false);
}

int copy_to_user(struct uspace *us, uint64_t udst, const void *src, size_t len)
{
    if (!uvm_range_ok(us, udst, len, true))
        return -EFAULT;
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
