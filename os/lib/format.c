#include "lib/format.h"
#include <stdint.h>
#include <stdbool.h>

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision;      /* -1: none */
};

static void emit(format_sink sink, void *ctx, int *count, char c)
{
    sink(ctx, c);
    (*count)++;
}

static void pad(format_sink sink, void *ctx, int *count, char c, int n)
{
    while (n-- > 0)
        emit(sink, ctx, count, c);
}

static void put_string(format_sink sink, void *ctx, int *count,
                       const struct spec *sp, const char *s)
{
    if (!s)
        s = "(null)";
    int len = 0;
    while (s[len] && (sp->precision < 0 || len < sp->precision))
        len++;
    if (!sp->left)
        pad(sink, ctx, count, ' ', sp->width - len);
    for (int i = 0; i < len; i++)
        emit(sink, ctx, count, s[i]);
    if (sp->left)
        pad(sink, ctx, count, ' ', sp->width - len);
}

static void put_number(format_sink sink, void *ctx, int *count,
                       const struct spec *sp, uint64_t value, bool negative,
                       unsigned base, bool upper, const char *prefix)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char buf[24];
    int len = 0;
    do {
        buf[len++] = digits[value % base];
        value /= base;
    } while (value);
    if (sp->precision == 0 && len == 1 && buf[0] == '0')
        len = 0;                       /* printf("%.0d", 0) prints nothing */

    char sign = negative ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
    int prefix_len = 0;
    while (prefix && prefix[prefix_len])
        prefix_len++;
    int zeros = sp->precision > len ? sp->precision - len : 0;
    int body = len + zeros + (sign != 0) + prefix_len;
    bool zero_pad = sp->zero && !sp->left && sp->precision < 0;

    if (!sp->left && !zero_pad)
        pad(sink, ctx, count, ' ', sp->width - body);
    if (sign)
        emit(sink, ctx, count, sign);
    for (int i = 0; i < prefix_len; i++)
        emit(sink, ctx, count, prefix[i]);
    if (zero_pad)
        pad(sink, ctx, count, '0', sp->width - body);
    pad(sink, ctx, count, '0', zeros);
    while (len)
        emit(sink, ctx, count, buf[--len]);
    if (sp->left)
        pad(sink, ctx, count, ' ', sp->width - body);
}

int vformat(format_sink sink, void *ctx, const char *fmt, va_list ap)
{
    int count = 0;
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(sink, ctx, &count, *fmt);
            continue;
        }
        struct spec sp = { .precision = -1 };
        for (;;) {
            char f = *++fmt;
            if (f == '-') sp.left = true;
            else if (f == '0') sp.zero = true;
            else if (f == '+') sp.plus = true;
            else if (f == ' ') sp.space = true;
            else if (f == '#') sp.alt = true;
            else break;
        }
        if (*fmt == '*') {
            sp.width = va_arg(ap, int);
            if (sp.width < 0) { sp.left = true; sp.width = -sp.width; }
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9')
                sp.width = sp.width * 10 + (*fmt++ - '0');
        }
        if (*fmt == '.') {
            fmt++;
            sp.precision = 0;
            if (*fmt == '*') {
                sp.precision = va_arg(ap, int);
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9')
                    sp.precision = sp.precision * 10 + (*fmt++ - '0');
            }
        }
        /* Length: 0 int, 1 long / long long / size_t / ptrdiff_t / intmax_t,
         * -1 short, -2 char. */
        int length = 0;
        for (;; fmt++) {
            if (*fmt == 'l' || *fmt == 'z' || *fmt == 't' || *fmt == 'j') length = 1;
            else if (*fmt == 'h') length = length < 0 ? -2 : -1;
            else break;
        }

        char conv = *fmt;
        switch (conv) {
        case 'd': case 'i': {
            int64_t v = length == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (length == -1) v = (short)v;
            if (length == -2) v = (signed char)v;
            uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
            put_number(sink, ctx, &count, &sp, mag, v < 0, 10, false, NULL);
            break;
        }
        case 'u': case 'x': case 'X': case 'o': {
            uint64_t v = length == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
            if (length == -1) v = (unsigned short)v;
            if (length == -2) v = (unsigned char)v;
            unsigned base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
            const char *prefix = NULL;
            if (sp.alt && v != 0)
                prefix = conv == 'x' ? "0x" : conv == 'X' ? "0X" : conv == 'o' ? "0" : NULL;
            put_number(sink, ctx, &count, &sp, v, false, base, conv == 'X', prefix);
            break;
        }
        case 'p':
            put_number(sink, ctx, &count, &sp, (uintptr_t)va_arg(ap, void *),
                       false, 16, false, "0x");
            break;
        case 's':
            put_string(sink, ctx, &count, &sp, va_arg(ap, const char *));
            break;
        case 'c': {
            char ch = (char)va_arg(ap, int);
            if (!sp.left)
                pad(sink, ctx, &count, ' ', sp.width - 1);
            emit(sink, ctx, &count, ch);
            if (sp.left)
                pad(sink, ctx, &count, ' ', sp.width - 1);
            break;
        }
        case '%':
            emit(sink, ctx, &count, '%');
            break;
        case '\0':
            return count;              /* a lone '%' at the end */
        default:
            /* Unknown conversion: print it as written so the bug is visible. */
            emit(sink, ctx, &count, '%');
            emit(sink, ctx, &count, conv);
            break;
        }
    }
    return count;
}

struct buffer { char *buf; size_t size; size_t pos; };

static void buffer_sink(void *ctx, char c)
{
    struct buffer *b = ctx;
    if (b->pos + 1 < b->size)
        b->buf[b->pos] = c;
    b->pos++;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct buffer b = { buf, size, 0 };
    int n = vformat(buffer_sink, &b, fmt, ap);
    if (size)
        buf[b.pos < size ? b.pos : size - 1] = '\0';
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
