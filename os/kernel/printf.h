/* Kernel console output.  A whole kprintf call is printed under one lock, so
 * lines from harts printing at the same time never interleave. */
#ifndef KERNEL_PRINTF_H
#define KERNEL_PRINTF_H

#include <stdarg.h>
#include "lib/format.h"

int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vkprintf(const char *fmt, va_list ap);

/* For panic: take the console even if another hart holds it and never lets
 * go (it may be stuck); output from then on is the panicking hart's. */
void printf_seize(void);

#endif
