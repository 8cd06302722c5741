#include "drivers/plic.h"
#include "drivers/uart.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "memlayout.h"

#define PLIC ((volatile uint8_t *)PA2VA(PLIC_PA))
/* QEMU virt: context 2*hart is M-mode, 2*hart+1 is S-mode. */
#define S_CONTEXT(hart)      (2 * (hart) + 1)
#define PRIORITY(irq)        (*(volatile uint32_t *)(PLIC + 4 * (irq)))
#define ENABLE(ctx, irq)     (*(volatile uint32_t *)(PLIC + 0x2000 + 0x80 * (ctx) + 4 * ((irq) / 32)))
#define THRESHOLD(ctx)       (*(volatile uint32_t *)(PLIC + 0x200000 + 0x1000 * (ctx)))
#define CLAIM(ctx)           (*(volatile uint32_t *)(PLIC + 0x200004 + 0x1000 * (ctx)))

void plic_init(void)
{
    PRIORITY(UART_IRQ) = 1;
}

void plic_enable(uint32_t irq, uint64_t hartid)
{
    ENABLE(S_CONTEXT(hartid), irq) |= 1u << (irq % 32);
}

void plic_init_this_hart(void)
{
    THRESHOLD(S_CONTEXT(this_hartid())) = 0;
}

void plic_dispatch(void)
{
    uint64_t ctx = S_CONTEXT(this_hartid());
    uint32_t irq;
    while ((irq = CLAIM(ctx)) != 0) {
        if (irq == UART_IRQ)
            uart_intr();
        else
            kprintf("plic: unexpected interrupt %u on hart %lu\n", irq, this_hartid());
        CLAIM(ctx) = irq;       /* complete */
    }
}
