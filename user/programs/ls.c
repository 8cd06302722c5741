// help: list the programs and files of the initrd, with sizes
/* ls: lists the initrd, one "name size" line per entry. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    struct dirent d;
    int i = 0;
    for (; readdir(i, &d) == 0; i++)
        printf("%-16s %8lu\n", d.name, (unsigned long)d.size);
    if (errno != ENOENT) {
        perror("ls: readdir");
        return 1;
    }
    return 0;
}
