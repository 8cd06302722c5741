/*
 * The printf formatting engine, shared by the kernel's kprintf and (later)
 * the user library.  It knows nothing about where characters go: the caller
 * passes a sink.
 *
 * Supported: %d %i %u %x %X %o %p %s %c %%, flags '-' '0' '+' ' ' '#', a width
 * and a precision (numbers or '*'), and the length modifiers hh h l ll z t j.
 */
#ifndef LIB_FORMAT_H
#define LIB_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*format_sink)(void *ctx, char c);

/* Returns the number of characters produced. */
int vformat(format_sink sink, void *ctx, const char *fmt, va_list ap);

/* snprintf semantics: always terminates (if size > 0) and returns the length
 * the full output would have had, so truncation is detectable. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
