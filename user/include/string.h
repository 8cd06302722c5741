/*
 * String and memory functions.  The first group is os/lib/string.c (the
 * kernel's own, compiled into the user library too); the rest is
 * user/lib/string.c.  This header and os/lib/string.h never meet: user code
 * does not have os/ on its include path, and os/lib/string.c is compiled
 * against its own header.
 */
#ifndef USER_STRING_H
#define USER_STRING_H

#include <stddef.h>

/* os/lib/string.c */
void  *memset(void *dst, int c, size_t n);
void  *memcpy(void *dst, const void *src, size_t n);
void  *memmove(void *dst, const void *src, size_t n);
int    memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int    strcmp(const char *a, const char *b);
int    strncmp(const char *a, const char *b, size_t n);
char  *strchr(const char *s, int c);
/* Copies at most size-1 bytes and always terminates; returns strlen(src),
 * so truncation shows as a result >= size. */
size_t strlcpy(char *dst, const char *src, size_t size);

/* user/lib/string.c */
char  *strcpy(char *dst, const char *src);
char  *strncpy(char *dst, const char *src, size_t n);
char  *strcat(char *dst, const char *src);
size_t strlcat(char *dst, const char *src, size_t size);
char  *strrchr(const char *s, int c);
char  *strstr(const char *haystack, const char *needle);
void  *memchr(const void *s, int c, size_t n);
char  *strdup(const char *s);       /* malloc'ed copy, NULL if out of memory */

/* user/lib/strerror.c (also declared in errno.h) */
const char *strerror(int err);

#endif
