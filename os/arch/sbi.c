#include "arch/sbi.h"

#define EXT_TIME  0x54494D45
#define EXT_IPI   0x735049
#define EXT_HSM   0x48534D
#define EXT_SRST  0x53525354
#define EXT_RFENCE 0x52464E43

static struct sbiret sbi_call4(long ext, long fid, long a0, long a1, long a2, long a3)
{
    register long r_a0 __asm__("a0") = a0;
    register long r_a1 __asm__("a1") = a1;
    register long r_a2 __asm__("a2") = a2;
    register long r_a3 __asm__("a3") = a3;
    register long r_a6 __asm__("a6") = fid;
    register long r_a7 __asm__("a7") = ext;
    __asm__ volatile("ecall"
                     : "+r"(r_a0), "+r"(r_a1)
                     : "r"(r_a2), "r"(r_a3), "r"(r_a6), "r"(r_a7)
                     : "memory");
    return (struct sbiret){ .error = r_a0, .value = r_a1 };
}

struct sbiret sbi_call(long ext, long fid, long a0, long a1, long a2)
{
    return sbi_call4(ext, fid, a0, a1, a2, 0);
}

long sbi_hart_start(uint64_t hartid, uint64_t start_pa, uint64_t opaque)
{
    return sbi_call(EXT_HSM, 0, (long)hartid, (long)start_pa, (long)opaque).error;
}

void sbi_set_timer(uint64_t when)
{
    sbi_call(EXT_TIME, 0, (long)when, 0, 0);
}

long sbi_send_ipi(uint64_t hart_mask, uint64_t hart_mask_base)
{
    return sbi_call(EXT_IPI, 0, (long)hart_mask, (long)hart_mask_base, 0).error;
}

void sbi_shutdown(void)
{
    sbi_call(EXT_SRST, 0, 0 /* shutdown */, 0 /* no reason */, 0);
}

long sbi_remote_sfence_vma(uint64_t hart_mask, uint64_t hart_mask_base)
{
    /* start 0 and size 2^64-1: the whole address space. */
    return sbi_call4(EXT_RFENCE, 1, (long)hart_mask, (long)hart_mask_base, 0, -1L).error;
}
