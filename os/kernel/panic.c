#include "kernel/panic.h"
#include "kernel/printf.h"
#include "kernel/cpu.h"
#include "proc/thread.h"
#include "kernel/power.h"
#include "trap/trap.h"
#include "trap/ipi.h"
#include "arch/riscv.h"
#include <stdarg.h>

volatile int panicking;

extern char boot_stacks[], boot_stacks_end[];

static const char *const reg_names[32] = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2",
    "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5",
    "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7",
    "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6",
};

/* A frame pointer is followed only if it points into a kernel stack (the
 * boot stacks, or the running thread's) and is aligned, so a corrupt chain
 * ends the backtrace instead of faulting. */
static int fp_plausible(uint64_t fp, uint64_t prev)
{
    if (fp & 7 || fp <= prev)
        return 0;
    if (fp >= (uint64_t)boot_stacks + 16 && fp <= (uint64_t)boot_stacks_end)
        return 1;
    struct thread *t = this_cpu()->current;
    uint64_t base = t && t->kstack ? (uint64_t)t->kstack : 0;
    return base && fp >= base + 16 && fp <= base + KSTACK_SIZE;
}

void backtrace_print(uint64_t pc, uint64_t fp)
{
    kprintf("backtrace:\n");
    int depth = 0;
    if (pc)
        kprintf("  #%d %p\n", depth++, (void *)pc);
    uint64_t prev = 0;
    while (depth < 32 && fp_plausible(fp, prev)) {
        uint64_t ra = ((uint64_t *)fp)[-1];
        uint64_t next = ((uint64_t *)fp)[-2];
        if (!ra)
            break;
        /* ra is the return address; the call was the instruction before. */
        kprintf("  #%d %p\n", depth++, (void *)(ra - 4));
        prev = fp;
        fp = next;
    }
    kprintf("end of backtrace\n");
}

static void dump_registers(const struct trapframe *tf)
{
    for (int i = 1; i < 32; i++)
        kprintf("  %-4s %016lx%s", reg_names[i], tf->regs[i],
                i % 4 == 3 ? "\n" : "  ");
    kprintf("\n");
}

static __attribute__((noreturn))
void vpanic(struct trapframe *tf, const char *fmt, va_list ap)
{
    intr_off();
    panicking = 1;
    printf_seize();
    ipi_stop_others();

    kprintf("\nPANIC on hart %lu: ", this_hartid());
    vkprintf(fmt, ap);
    kprintf("\n");
    if (tf) {
        kprintf("  cause  %lu (%s)\n  sepc   %016lx\n  stval  %016lx\n",
                tf->scause, trap_cause_name(tf->scause), tf->sepc, tf->stval);
        dump_registers(tf);
        backtrace_print(tf->sepc, tf->regs[REG_S0]);
    } else {
        backtrace_print(0, read_fp());
    }
    kprintf("all harts stopped; exiting with status %d\n", POWER_STATUS_PANIC);
    power_off(POWER_STATUS_PANIC);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(0, fmt, ap);
}

void panic_trap(struct trapframe *tf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(tf, fmt, ap);
}
