// help: copy standard input to standard output until end of input
/* cat: copies its standard input to its standard output until end of
 * input.  There is no file system, so file arguments are refused. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc > 1) {
        dprintf(2, "cat: %s: no files here (cat copies standard input)\n",
                argv[1]);
        return 1;
    }
    static char buf[4096];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n == 0)
            return 0;
        if (n < 0) {
            perror("cat: read");
            return 1;
        }
        if (write_all(1, buf, (size_t)n) < 0) {
            perror("cat: write");
            return 1;
        }
    }
}
