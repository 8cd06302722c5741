/*
 * The kernel command line (/chosen/bootargs, from QEMU's -append): words
 * separated by spaces, each `key=value` or a bare `key`.  A value may be
 * double-quoted to hold spaces: msg="hello world".  Queries scan the string
 * in place, so there is no limit on the number or length of options.
 */
#ifndef KERNEL_BOOTARGS_H
#define KERNEL_BOOTARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bootarg {
    const char *key;   size_t key_len;
    const char *value; size_t value_len;   /* value_len 0 for a bare key */
    bool has_value;
};

void bootargs_init(const char *cmdline);
const char *bootargs_raw(void);

/* Iterates: pass *cursor = 0 first; returns false at the end. */
bool bootarg_next(size_t *cursor, struct bootarg *out);
/* The last occurrence of `key` wins, as on Linux. */
bool bootarg_find(const char *key, struct bootarg *out);
/* Copies the value of `key` into buf; false if absent, or (with a message
 * naming the option) if it does not fit. */
bool bootarg_copy(const char *key, char *buf, size_t size);
/* The value of `key` as a number (decimal, or hex with 0x); false if
 * absent or not a number (with a message naming the option). */
bool bootarg_u64(const char *key, uint64_t *out);
/* True if `key` is present and its value, compared whole, is `value`. */
bool bootarg_is(const char *key, const char *value);
/* Warns about every option no part of the kernel knows. */
void bootargs_warn_unknown(void);

#endif
