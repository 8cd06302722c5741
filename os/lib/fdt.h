/*
 * A small reader for the flattened device tree (devicetree specification
 * v0.4, chapter 5).  Every offset and length taken from the blob is checked
 * against the blob's own bounds before use, so a corrupt or truncated tree
 * yields an error, never a wild read.
 *
 * Nodes are named by their offset in the structure block (an int >= 0);
 * negative values are errors (FDT_ERR_*).
 */
#ifndef LIB_FDT_H
#define LIB_FDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FDT_MAGIC 0xd00dfeed

enum {
    FDT_ERR_NOTFOUND  = -1,
    FDT_ERR_BADMAGIC  = -2,
    FDT_ERR_BADHEADER = -3,   /* offsets/sizes outside the blob */
    FDT_ERR_BADVERSION = -4,
    FDT_ERR_BADSTRUCT = -5,   /* malformed structure block */
};

struct fdt {
    const uint8_t *blob;
    uint32_t total_size;
    uint32_t struct_off, struct_size;
    uint32_t strings_off, strings_size;
    uint32_t rsvmap_off;
};

/* Validates the header of the blob at `blob`, which must be readable for at
 * least `max_size` bytes (the header's totalsize must not exceed it). */
int fdt_open(struct fdt *fdt, const void *blob, size_t max_size);
const char *fdt_strerror(int err);

/* Reads the header's totalsize field of a blob (no other validation). */
uint32_t fdt_peek_total_size(const void *blob);

/* The root node. */
int fdt_root(const struct fdt *fdt);
/* "/cpus", "/chosen", "/soc/serial@10000000".  A path component without a
 * unit address also matches a node that has one ("memory" matches
 * "memory@80000000"). */
int fdt_path(const struct fdt *fdt, const char *path);
int fdt_first_child(const struct fdt *fdt, int node);
int fdt_next_sibling(const struct fdt *fdt, int node);
const char *fdt_name(const struct fdt *fdt, int node);

/* A property's value and length, or NULL if absent or malformed. */
const void *fdt_prop(const struct fdt *fdt, int node, const char *name,
                     uint32_t *len);
/* A property that is a NUL-terminated string (checked), or NULL. */
const char *fdt_prop_string(const struct fdt *fdt, int node, const char *name);
/* True if the string list property contains `str`. */
bool fdt_prop_has_string(const struct fdt *fdt, int node, const char *name,
                         const char *str);
/* Reads a value of `cells` 32-bit cells (1 or 2) starting at cell `index`. */
bool fdt_cells(const void *prop, uint32_t len, uint32_t index, uint32_t cells,
               uint64_t *out);
/* A u32 or u64 property (decided by its length). */
bool fdt_prop_uint(const struct fdt *fdt, int node, const char *name,
                   uint64_t *out);

/* Number of entries in the memory reservation block, and one entry. */
bool fdt_reserved_entry(const struct fdt *fdt, int index,
                        uint64_t *addr, uint64_t *size);

#endif
