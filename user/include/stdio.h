/*
 * Formatted output straight to file descriptors.  There is no buffering
 * across calls: each call formats into a buffer of its own and issues one
 * write() when the text fits in STDIO_CHUNK bytes, so lines printed by
 * different threads (or processes) at once do not interleave.  Longer text
 * is written in pieces, never truncated.
 *
 * The formats are those of os/lib/format.c: %d %i %u %x %X %o %p %s %c %%,
 * flags - 0 + space #, width and precision (or *), and hh h l ll z t j.
 * No floating point.
 */
#ifndef USER_STDIO_H
#define USER_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define STDIO_CHUNK 1024
#define EOF (-1)

/* A FILE is only a file descriptor, so fprintf(stderr, ...) reads as usual. */
typedef struct FILE {
    int fd;
} FILE;

extern FILE *const stdin;
extern FILE *const stdout;
extern FILE *const stderr;

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap);
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vdprintf(int fd, const char *fmt, va_list ap);
int fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vfprintf(FILE *f, const char *fmt, va_list ap);

/* From os/lib/format.c: always terminated (size > 0); returns the length
 * the whole output would have had, so truncation shows as >= size. */
int snprintf(char *buf, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

int puts(const char *s);            /* s and a newline, in one write */
int putchar(int c);
int fputs(const char *s, FILE *f);  /* no newline added */
int fputc(int c, FILE *f);

/* Writes all n bytes (looping over short writes); n, or -1 and errno. */
long write_all(int fd, const void *buf, size_t n);

/* "prefix: message\n" for errno on stderr (just the message if prefix is
 * NULL or empty). */
void perror(const char *prefix);

#endif
