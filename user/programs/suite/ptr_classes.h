/*
 * The classes of pointer no process has the right to hand the kernel as
 * its own memory, and the huge lengths: shared by h_suite's table of
 * pointer cases (suite/pointers.c) and the system-call fuzzer (h_fuzz),
 * so that both attack with the same addresses.
 *
 *   null       0
 *   unaligned  3 bytes before the end of the heap's last page, so the
 *              object runs into the unmapped page after it
 *   kernel     an address in the kernel image
 *   shared     the process's own shared data pages (VDSO_DATA), which it
 *              can write but which are not user memory
 *   noncanon   a good buffer's address with bit 62 set (the page walk
 *              would ignore the high bits and find the buffer)
 *   wrap       the last bytes of the address space, so address + size
 *              wraps round to 0
 *   hugelen    a good buffer with a length of 2^40        (buffer calls)
 *   lenwrap    a good buffer with a length of 2^64 - 16   (buffer calls)
 */
#ifndef SUITE_PTR_CLASSES_H
#define SUITE_PTR_CLASSES_H

#define SUITE_KADDR     0xffffffe080200000UL   /* the kernel image */
#define SUITE_NONCANON  (1UL << 62)            /* or'ed into a good address:
                                                  not an Sv39 address */

enum ptr_class { PC_NULL, PC_UNALIGNED, PC_KERNEL, PC_SHARED, PC_NONCANON, PC_WRAP,
                 PC_HUGELEN, PC_LENWRAP, PC_COUNT };

extern const char *const ptr_class_names[PC_COUNT];

/* The address of class `cls` for an object a call reads or writes.
 * `good` is a buffer of the caller's own (at least 8 bytes, a
 * NUL-terminated string): the classes that keep a good address use it,
 * and the unaligned and shared ones copy its first bytes (a path without
 * its end; the whole string) to where they point, so that a kernel that
 * wrongly accepted the address would read that string.  The unaligned
 * class grows the heap by a page. */
long ptr_class_address(enum ptr_class cls, char *good);

/* The length that goes with class `cls`: 16, or a huge one. */
long ptr_class_length(enum ptr_class cls);

#endif
