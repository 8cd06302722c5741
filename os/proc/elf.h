/*
 * Loading ELF executables.  Everything read from the file is validated
 * before anything is mapped: a bad or truncated file makes the load fail
 * with -ENOEXEC and leaves the address space untouched.
 */
#ifndef PROC_ELF_H
#define PROC_ELF_H

#include <stddef.h>
#include <stdint.h>
#include "mm/vm.h"

/* Checks the whole file (header, program headers, segment bounds, overlap,
 * alignment, W^X, entry inside an executable segment).  0 or -ENOEXEC; the
 * console gets one line saying what is wrong, naming `name`. */
int elf_validate(const char *name, const void *file, size_t size);
/* Maps and fills the segments of a validated file into pt.  Returns 0 or
 * -ENOMEM (then nothing stays mapped); sets the entry point and the end of
 * the highest segment. */
int elf_load(pagetable_t pt, const void *file, uint64_t *entry, uint64_t *image_end);

#endif
