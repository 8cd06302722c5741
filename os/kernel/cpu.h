/* Per-hart state.  `tp` always holds this hart's struct cpu while in the
 * kernel (the trap entry restores it from sscratch when coming from user
 * mode). */
#ifndef KERNEL_CPU_H
#define KERNEL_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include "memlayout.h"

struct cpu {
    uint64_t hartid;
    /* Interrupt-disable nesting (push_off/pop_off), and whether interrupts
     * were on before the outermost push_off. */
    int irq_depth;
    bool irq_were_on;
    bool online;
    uint64_t timer_ticks;
    uint64_t ipis_received;
    uint64_t next_timer;        /* absolute time of the next tick */
};

extern struct cpu cpus[MAX_HARTS];

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("mv %0, tp" : "=r"(c));
    return c;
}

static inline uint64_t this_hartid(void) { return this_cpu()->hartid; }

/* Hart ids known from the device tree. */
extern uint64_t hart_count;
extern uint64_t hart_ids[MAX_HARTS];
extern uint64_t boot_hartid;

void cpu_init_this(uint64_t hartid);
int cpu_online_count(void);

#endif
