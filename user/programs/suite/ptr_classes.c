/* The pointer classes (ptr_classes.h): one definition for h_suite and h_fuzz. */
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "ptr_classes.h"
#include "vdso.h"               /* SHARED_BASE_ADDR */

const char *const ptr_class_names[PC_COUNT] = {
    "null", "unaligned", "kernel", "shared", "noncanon", "wrap", "hugelen", "lenwrap",
};

long ptr_class_address(enum ptr_class cls, char *good)
{
    switch (cls) {
    case PC_NULL:
        return 0;
    case PC_UNALIGNED: {
        /* The heap's last page is mapped, the one after it is not. */
        sbrk(4096);
        uintptr_t end = ((uintptr_t)sbrk(0) + 4095) & ~4095UL;
        memcpy((char *)end - 3, good, 3);       /* a path without its end */
        return (long)(end - 3);
    }
    case PC_KERNEL:
        return (long)SUITE_KADDR;
    case PC_SHARED: {
        char *p = (char *)(SHARED_BASE_ADDR + SHARED_VDSO_PAGES * 4096ULL - 64);
        strlcpy(p, good, 64);
        return (long)p;
    }
    case PC_NONCANON:
        return (long)((uintptr_t)good | SUITE_NONCANON);
    case PC_WRAP:
        return -8;
    default:
        return (long)good;
    }
}

long ptr_class_length(enum ptr_class cls)
{
    return cls == PC_HUGELEN ? 1L << 40 : cls == PC_LENWRAP ? -16L : 16;
}
