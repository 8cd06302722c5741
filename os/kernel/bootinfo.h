/* What the kernel learns from the device tree at boot. */
#ifndef KERNEL_BOOTINFO_H
#define KERNEL_BOOTINFO_H

#include <stdbool.h>
#include <stdint.h>
#include "mm/frame.h"

struct bootinfo {
    uint64_t dtb_pa, dtb_size;
    struct mem_range ram[MAX_MEM_RANGES];
    int nram;
    struct mem_range reserved[MAX_MEM_RANGES];   /* from the DT: rsvmap and
                                                    /reserved-memory */
    int nreserved;
    uint64_t timebase_hz;
    bool have_sstc;              /* every hart's riscv,isa names sstc */
    const char *bootargs;        /* "" if none */
    uint64_t initrd_start, initrd_end;   /* physical; 0, 0 if none */
};

extern struct bootinfo bootinfo;

/* Parses the device tree at physical address `dtb_pa`.  Panics with a
 * precise message if the tree is unusable. */
void bootinfo_parse(uint64_t dtb_pa);

#endif
