/*
 * Scheduling-policy blobs: finding, validating and installing one.  The
 * checks are those of scripts/blobcheck.py --verify; a blob that fails one
 * is refused with a line that says which.
 */
#ifndef SCHED_BLOB_H
#define SCHED_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sched_abi.h"

/* Checks the blob at [data, data+avail); on failure writes why. */
bool blob_validate(const void *data, size_t avail, char *why, size_t why_size);
/* An embedded blob by policy name, or NULL. */
const struct sched_blob_header *blob_find_embedded(const char *name, size_t len);
/* Lists the embedded blobs' names, separated by spaces. */
void blob_list_embedded(char *out, size_t size);
/* Copies a validated blob into the shared code pages (mapped for the kernel
 * at SHARED_KALIAS) and fills ops with the entry points there. */
void blob_install(const struct sched_blob_header *blob, struct sched_ops *ops);
uint32_t blob_checksum(const void *data, size_t size);
/* The i-th shared code page (holding the installed policy), for mapping
 * into processes. */
void *blob_code_frame(int i);

#endif
