/* Inter-processor interrupts (supervisor software interrupts via SBI). */
#ifndef TRAP_IPI_H
#define TRAP_IPI_H

#include <stdint.h>

enum ipi_reason {
    IPI_WAKE = 1u << 0,   /* just wake from wfi (new work to look at) */
    IPI_STOP = 1u << 1,   /* stop for good (panic) */
};

void ipi_send(uint64_t hartid, unsigned reasons);
void ipi_stop_others(void);
void ipi_interrupt(void);

#endif
