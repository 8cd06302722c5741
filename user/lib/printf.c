/*
 * printf and friends on top of the kernel's format engine (os/lib/format.c).
 *
 * Each call formats into a STDIO_CHUNK-byte buffer on its own stack and
 * writes it with one write() at the end, so a line printed by one thread is
 * never cut by another's.  Text longer than the buffer is flushed whenever
 * the buffer fills: it is written in several pieces, never truncated.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The engine's interface, as in os/lib/format.h (not on our include path). */
typedef void (*format_sink)(void *ctx, char c);
int vformat(format_sink sink, void *ctx, const char *fmt, va_list ap);

static FILE files[3] = { { 0 }, { 1 }, { 2 } };
FILE *const stdin = &files[0];
FILE *const stdout = &files[1];
FILE *const stderr = &files[2];

long write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    size_t done = 0;
    while (done < n) {
        ssize_t r = write(fd, p + done, n - done);
        if (r < 0)
            return -1;
        if (r == 0) {           /* should not happen; do not spin */
            errno = EAGAIN;
            return -1;
        }
        done += (size_t)r;
    }
    return (long)n;
}

struct outbuf {
    int fd;
    int failed;             /* a write failed: the call returns -1 */
    size_t len;
    char data[STDIO_CHUNK];
};

static void flush(struct outbuf *b)
{
    if (b->len && write_all(b->fd, b->data, b->len) < 0)
        b->failed = 1;
    b->len = 0;
}

static void sink(void *ctx, char c)
{
    struct outbuf *b = ctx;
    if (b->len == sizeof b->data)
        flush(b);
    b->data[b->len++] = c;
}

int vdprintf(int fd, const char *fmt, va_list ap)
{
    struct outbuf b;
    b.fd = fd;
    b.failed = 0;
    b.len = 0;
    int n = vformat(sink, &b, fmt, ap);
    flush(&b);
    return b.failed ? -1 : n;
}

int dprintf(int fd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(fd, fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap)
{
    return vdprintf(1, fmt, ap);
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(1, fmt, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    return vdprintf(f->fd, fmt, ap);
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vdprintf(f->fd, fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    return dprintf(1, "%s\n", s) < 0 ? EOF : 0;
}

int fputs(const char *s, FILE *f)
{
    return write_all(f->fd, s, strlen(s)) < 0 ? EOF : 0;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    return write_all(f->fd, &ch, 1) < 0 ? EOF : (unsigned char)ch;
}

int putchar(int c)
{
    return fputc(c, stdout);
}
