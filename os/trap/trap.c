#include "trap/trap.h"
#include "trap/timer.h"
#include "trap/ipi.h"
#include "drivers/plic.h"
#include "kernel/panic.h"
#include "arch/riscv.h"

extern char trap_vector[];

void trap_init_this_hart(void)
{
    csr_write(stvec, (uint64_t)trap_vector);
    csr_set(sie, SIE_SSIE | SIE_STIE | SIE_SEIE);
}

const char *trap_cause_name(uint64_t scause)
{
    if (scause & SCAUSE_INTR) {
        switch (scause & ~SCAUSE_INTR) {
        case IRQ_S_SOFT: return "supervisor software interrupt";
        case IRQ_S_TIMER: return "supervisor timer interrupt";
        case IRQ_S_EXT: return "supervisor external interrupt";
        default: return "unknown interrupt";
        }
    }
    switch (scause) {
    case EXC_INST_MISALIGNED: return "instruction address misaligned";
    case EXC_INST_ACCESS: return "instruction access fault";
    case EXC_ILLEGAL_INST: return "illegal instruction";
    case EXC_BREAKPOINT: return "breakpoint";
    case EXC_LOAD_MISALIGNED: return "load address misaligned";
    case EXC_LOAD_ACCESS: return "load access fault";
    case EXC_STORE_MISALIGNED: return "store address misaligned";
    case EXC_STORE_ACCESS: return "store access fault";
    case EXC_ECALL_U: return "environment call from U-mode";
    case EXC_ECALL_S: return "environment call from S-mode";
    case EXC_INST_PAGE_FAULT: return "instruction page fault";
    case EXC_LOAD_PAGE_FAULT: return "load page fault";
    case EXC_STORE_PAGE_FAULT: return "store page fault";
    default: return "unknown exception";
    }
}

void trap_kernel(struct trapframe *tf)
{
    if (tf->sstatus & SSTATUS_SPP) {
        if (tf->scause & SCAUSE_INTR) {
            switch (tf->scause & ~SCAUSE_INTR) {
            case IRQ_S_TIMER:
                timer_interrupt();
                return;
            case IRQ_S_EXT:
                plic_dispatch();
                return;
            case IRQ_S_SOFT:
                ipi_interrupt();
                return;
            }
        }
        panic_trap(tf, "unexpected trap in the kernel");
    }
    panic_trap(tf, "trap from user mode, which does not exist yet");
}
