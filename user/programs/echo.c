// help: print the arguments, separated by spaces
/* echo: prints its arguments separated by spaces, then a newline, in one
 * write (so the line arrives whole even with other output going on). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static char line[MAX_ARG_BYTES + 2];
    size_t len = 0;
    for (int i = 1; i < argc; i++) {
        if (i > 1)
            line[len++] = ' ';
        /* Bounded by MAX_ARG_BYTES, but do not trust it. */
        size_t n = strnlen(argv[i], sizeof line - 2 - len);
        memcpy(line + len, argv[i], n);
        len += n;
    }
    line[len++] = '\n';
    return write_all(1, line, len) < 0 ? 1 : 0;
}
