#include "mm/ustack.h"
#include "mm/frame.h"
#include "kernel/panic.h"
#include "uapi/errno.h"
#include "uapi/syscall.h"
#include "arch/riscv.h"
#include "lib/bits.h"
#include "lib/string.h"

#define STRIDE (USER_THREAD_STACK + PAGE_SIZE)        /* stack + guard page */
#define STACKS_BOTTOM (USER_STACK_TOP - (uint64_t)USER_STACK_SLOTS * STRIDE)

_Static_assert(USER_STACK_SLOTS % 64 == 0, "whole words of slot bits");
_Static_assert(USER_THREAD_STACK % PAGE_SIZE == 0, "stacks are whole pages");
_Static_assert(STACKS_BOTTOM >= USER_MAX_IMAGE, "stacks above the program image");

static bool in_use(const struct uspace *us, int slot)
{
    return us->stack_slots[slot / 64] >> (slot % 64) & 1;
}

uint64_t ustack_top(int slot)
{
    KASSERT(slot >= 0 && slot < USER_STACK_SLOTS);
    return USER_STACK_TOP - (uint64_t)slot * STRIDE;
}

int ustack_take(struct uspace *us)
{
    hart_rwlock_lock(&us->lock);
    int slot = -EAGAIN;
    for (int w = 0; w < USER_STACK_SLOTS / 64 && slot < 0; w++)
        if (~us->stack_slots[w])
            slot = w * 64 + ctz64(~us->stack_slots[w]);
    if (slot >= 0) {
        uint64_t top = ustack_top(slot), pa, flags;
        /* Pages a forked child inherited here belong to no thread of it
         * (nothing is mapped there otherwise: no shootdown then). */
        uvm_free(us->pt, top - USER_THREAD_STACK, USER_THREAD_STACK - PAGE_SIZE);
        int err = 0;
        if (vm_translate(us->pt, top - PAGE_SIZE, &pa, &flags))
            memset(PA2VA(pa & ~(uint64_t)(PAGE_SIZE - 1)), 0, PAGE_SIZE);   /* kept */
        else
            err = uvm_alloc(us->pt, top - PAGE_SIZE, PAGE_SIZE, PTE_R | PTE_W);
        if (err)
            slot = err;
        else
            us->stack_slots[slot / 64] |= 1UL << (slot % 64);
    }
    hart_rwlock_unlock(&us->lock);
    return slot;
}

void ustack_claim(struct uspace *us, int slot)
{
    hart_rwlock_lock(&us->lock);
    KASSERT(!in_use(us, slot));
    us->stack_slots[slot / 64] |= 1UL << (slot % 64);
    hart_rwlock_unlock(&us->lock);
}

void ustack_release(struct uspace *us, int slot)
{
    hart_rwlock_lock(&us->lock);
    KASSERT(in_use(us, slot));
    us->stack_slots[slot / 64] &= ~(1UL << (slot % 64));
    /* The pages under the top one, if the thread went that deep: shot
     * down on every hart running the space before the frames go.  The top
     * page stays for the slot's next thread: freeing it would cost a
     * shootdown at every exit, which stalls every hart of a process whose
     * threads come and go (a 400-thread ring on four harts took 60 ms an
     * exit), for 4 KiB a slot that is given back with the process. */
    uvm_free(us->pt, ustack_top(slot) - USER_THREAD_STACK, USER_THREAD_STACK - PAGE_SIZE);
    hart_rwlock_unlock(&us->lock);
}

void ustack_reset(struct uspace *us)
{
    hart_rwlock_lock(&us->lock);
    for (int w = 0; w < USER_STACK_SLOTS / 64; w++)
        us->stack_slots[w] = 0;
    hart_rwlock_unlock(&us->lock);
}

int ustack_demand_locked(struct uspace *us, uint64_t va)
{
    KASSERT(hart_rwlock_holding(&us->lock));
    if (va < STACKS_BOTTOM || va >= USER_STACK_TOP)
        return -EFAULT;
    int slot = (int)((USER_STACK_TOP - 1 - va) / STRIDE);
    uint64_t page = va & ~(uint64_t)(PAGE_SIZE - 1);
    if (!in_use(us, slot) || page < ustack_top(slot) - USER_THREAD_STACK)
        return -EFAULT;                       /* a free slot, or a guard page */
    uint64_t pa, flags;
    if (vm_translate(us->pt, page, &pa, &flags))
        return 0;                             /* another hart mapped it first */
    int err = uvm_alloc(us->pt, page, PAGE_SIZE, PTE_R | PTE_W);
    /* This hart may have cached the missing entry (the spec allows it). */
    sfence_vma();
    return err;
}

int ustack_fault(struct uspace *us, uint64_t va)
{
    hart_rwlock_lock(&us->lock);
    int err = ustack_demand_locked(us, va);
    hart_rwlock_unlock(&us->lock);
    return err;
}
