/*
 * The initrd: a cpio archive in the "newc" format (cpio -H newc), loaded by
 * QEMU (-initrd) and found through the device tree.  It holds the user
 * programs.  Read-only; every header field is checked against the archive's
 * bounds, and an archive that does not parse is refused as a whole.
 */
#ifndef FS_INITRD_H
#define FS_INITRD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Validates and indexes the archive at [start, start+size); returns the
 * number of files, or a negative error (the console says why). */
int initrd_init(const void *start, size_t size);
/* A file by name ("sh", "/sh" and "./sh" are the same). */
bool initrd_find(const char *name, const void **data, size_t *size);
/* The index-th regular file, for listing; false past the end. */
bool initrd_entry(int index, const char **name, size_t *size);

#endif
