#include "ktest/ktest.h"
#include "kernel/cpu.h"
#include "kernel/spinlock.h"
#include "sched/blob_guard.h"
#include "trap/timer.h"
#include "arch/riscv.h"

/* How long a wait may take: a loaded host may not run a virtual hart for
 * a long while, so generous; a hart that never takes the interrupt waited
 * for fails after it. */
#define WAIT_MAX_NS 30000000000ULL

#define SIP_SSIP SIE_SSIE       /* the same bit in sip and sie */

/* The guard's window (sched/blob_guard.h) around this code instead of a
 * policy's: interrupts on, and every interrupt taken by the guard's trap
 * handler.  A software interrupt raised on this hart inside it must not
 * reach its handler (ipi_interrupt: every other interrupt's handler may
 * take sched_lock, which a policy call's caller holds); the guard holds
 * it back by leaving only the timer enabled, and the window's end enables
 * it again, still pending, to be taken once interrupts are on.  A tick
 * inside the window is counted by the guard, not by the timer's handler,
 * and comes once the window is over. */
static int held_back_in_window(struct cpu *c)
{
    struct blob_jmp regs;
    uint64_t sie_before = csr_read(sie);
    uint64_t ipis = c->ipis_received, ticks = c->timer_ticks;
    KT_CHECK(sie_before & SIE_SSIE);
    KT_CHECK(c->blob_held == 0);
    if (blob_setjmp(&regs)) {
        blob_guard_close(c);
        KT_DIAG("the window was abandoned (fault cause %lu)\n", c->blob_fault_cause);
        return -1;
    }
    blob_guard_open(c, &regs);
    /* Taken at once (SIE on, SSIE enabled), by the guard. */
    csr_set(sip, SIP_SSIP);
    uint64_t sie_in = csr_read(sie), sip_in = csr_read(sip);
    uint32_t held_irqs = c->blob_held & BLOB_HELD_IRQS;
    /* A tick: the guard counts it (blob_ticks); the kernel's own waits. */
    uint64_t deadline = timer_now_ns() + WAIT_MAX_NS;
    while (!__atomic_load_n(&c->blob_ticks, __ATOMIC_RELAXED) && timer_now_ns() < deadline)
        cpu_relax();
    uint32_t held_tick = c->blob_held & BLOB_HELD_TICK;
    uint64_t ipis_in = c->ipis_received, ticks_in = c->timer_ticks;
    blob_guard_close(c);
    uint64_t sie_after = csr_read(sie);
    uint32_t held_after = c->blob_held, blob_ticks_after = c->blob_ticks;

    KT_CHECK(sie_in == SIE_STIE);              /* the others held back */
    KT_CHECK(sip_in & SIP_SSIP);               /* pending still */
    KT_CHECK(held_irqs);
    KT_CHECK(held_tick);
    KT_CHECK(ipis_in == ipis);                 /* no handler ran in the window */
    KT_CHECK(ticks_in == ticks);
    KT_CHECK(sie_after == sie_before);         /* all enabled again */
    KT_CHECK(held_after == 0 && blob_ticks_after == 0);
    return 0;
}

int ktest_blobguard(void)
{
    struct cpu *c = this_cpu();
    /* Interrupts off around it, as a policy call's caller has them. */
    push_off();
    int r = held_back_in_window(c);
    uint64_t ipis = c->ipis_received, ticks = c->timer_ticks;
    pop_off();
    KT_CHECK(r == 0);
    /* Both taken once interrupts are on: the interrupt still pending, the
     * tick's deadline set again (in the past by now). */
    uint64_t deadline = timer_now_ns() + WAIT_MAX_NS;
    while ((c->ipis_received == ipis || c->timer_ticks == ticks) && timer_now_ns() < deadline)
        cpu_relax();
    KT_CHECK(c->ipis_received == ipis + 1);
    KT_CHECK(c->timer_ticks > ticks);
    KT_CHECK(!(csr_read(sip) & SIP_SSIP));
    KT_DIAG("held back in the window: a software interrupt and a tick, both taken after it\n");
    return 0;
}
