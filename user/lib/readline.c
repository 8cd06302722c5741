/* read_line: see readline.h for the contract. */
#include <readline.h>
#include <unistd.h>

long read_line(int fd, char *buf, size_t size)
{
    size_t len = 0;
    int too_long = 0;
    for (;;) {
        char c;
        ssize_t r = read(fd, &c, 1);
        if (r <= 0) {                   /* EOF or error */
            if (len == 0 && !too_long)
                return READ_LINE_EOF;
            break;                      /* a last line without newline */
        }
        if (c == '\n')
            break;
        if (c == '\r')                   /* a terminal's Enter may add one */
            continue;
        if (len + 1 < size)
            buf[len++] = c;
        else
            too_long = 1;               /* keep reading to the newline */
    }
    if (size)
        buf[len] = '\0';
    return too_long ? READ_LINE_TOO_LONG : (long)len;
}
