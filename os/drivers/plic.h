/* The platform-level interrupt controller: routes device interrupts to the
 * S-mode context of a hart. */
#ifndef DRIVERS_PLIC_H
#define DRIVERS_PLIC_H

#include <stdint.h>

void plic_init(void);
/* Enables `irq` on the given hart's S-mode context only. */
void plic_enable(uint32_t irq, uint64_t hartid);
void plic_init_this_hart(void);
/* External interrupt: claim, run the device's handler, complete. */
void plic_dispatch(void);

#endif
