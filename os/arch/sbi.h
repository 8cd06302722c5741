/* Calls into the SBI firmware (OpenSBI), RISC-V SBI specification v1.0. */
#ifndef ARCH_SBI_H
#define ARCH_SBI_H

#include <stdint.h>

struct sbiret { long error; long value; };

#define SBI_SUCCESS 0
#define SBI_ERR_ALREADY_AVAILABLE (-6)

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2);

/* HSM: start a stopped hart at a physical address with a1 = opaque. */
long sbi_hart_start(uint64_t hartid, uint64_t start_pa, uint64_t opaque);
/* TIME: program the next timer interrupt (when Sstc is absent). */
void sbi_set_timer(uint64_t when);
/* IPI: raise a supervisor software interrupt on the harts in the mask. */
long sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base);
/* RFENCE: every hart in the mask runs sfence.vma for its whole address
 * space.  OpenSBI delivers the request by machine-mode IPIs (taken even
 * where S-mode interrupts are off) and returns only once every target has
 * flushed, so the caller may hold spinlocks and may reuse frames after. */
long sbi_remote_sfence_vma(uint64_t hart_mask, uint64_t hart_mask_base);
/* SRST: power off.  QEMU exits with status 0 whatever the reason. */
void sbi_shutdown(void);

#endif
