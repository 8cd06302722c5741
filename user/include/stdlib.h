/* Memory allocation, number conversion, exit. */
#ifndef USER_STDLIB_H
#define USER_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

/* A first-fit free list over sbrk, thread-safe (one mutex).  Blocks are
 * 16-byte aligned. */
void *malloc(size_t size);
void  free(void *p);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);

/* C semantics, base 0 (0x.., 0..) or 2..36; saturate at LONG_MIN/MAX. */
long          strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
int           atoi(const char *s);

void exit(int status) __attribute__((noreturn));
/* exit(134), as a process killed by SIGABRT reports to a Unix shell. */
void abort(void) __attribute__((noreturn));

#endif
