#include "fs/initrd.h"
#include "kernel/printf.h"
#include "lib/string.h"

#define HEADER_SIZE 110
#define MAX_FILES   128
#define S_IFMT      0170000
#define S_IFREG     0100000

struct entry {
    const char *name;        /* inside the archive, NUL-terminated there */
    const void *data;
    size_t size;
};

static struct entry files[MAX_FILES];
static int nfiles;

/* One 8-digit hex field; false if any character is not a hex digit. */
static bool hex8(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' :
                c >= 'a' && c <= 'f' ? c - 'a' + 10 :
                c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return false;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return true;
}

static size_t align4(size_t x) { return (x + 3) & ~(size_t)3; }

static const char *strip_prefix(const char *name)
{
    if (name[0] == '.' && name[1] == '/')
        name += 2;
    while (*name == '/')
        name++;
    return name;
}

int initrd_init(const void *start, size_t size)
{
    const char *base = start;
    size_t off = 0;
    nfiles = 0;
    for (;;) {
        if (off > size || size - off < HEADER_SIZE || memcmp(base + off, "070701", 6) != 0) {
            kprintf("initrd: bad cpio header at offset %zu (need the newc format)\n", off);
            return -1;
        }
        const char *h = base + off;
        uint32_t mode, filesize, namesize;
        if (!hex8(h + 14, &mode) || !hex8(h + 54, &filesize) ||
            !hex8(h + 94, &namesize) || namesize == 0) {
            kprintf("initrd: bad cpio field at offset %zu\n", off);
            return -1;
        }
        size_t name_off = off + HEADER_SIZE;
        if (namesize > size - name_off || base[name_off + namesize - 1] != '\0') {
            kprintf("initrd: cpio name runs past the archive at offset %zu\n", off);
            return -1;
        }
        const char *name = base + name_off;
        size_t data_off = align4(name_off + namesize);
        if (data_off > size || filesize > size - data_off) {
            kprintf("initrd: cpio entry '%s' runs past the archive\n", name);
            return -1;
        }
        if (strcmp(name, "TRAILER!!!") == 0)
            break;
        if ((mode & S_IFMT) == S_IFREG && *strip_prefix(name)) {
            if (nfiles == MAX_FILES) {
                kprintf("initrd: more than %d files; refusing the archive\n", MAX_FILES);
                return -1;
            }
            files[nfiles++] = (struct entry){ name, base + data_off, filesize };
        }
        off = align4(data_off + filesize);
    }
    return nfiles;
}

bool initrd_find(const char *name, const void **data, size_t *size)
{
    name = strip_prefix(name);
    for (int i = 0; i < nfiles; i++)
        if (strcmp(strip_prefix(files[i].name), name) == 0) {
            *data = files[i].data;
            *size = files[i].size;
            return true;
        }
    return false;
}

bool initrd_entry(int index, const char **name, size_t *size)
{
    if (index < 0 || index >= nfiles)
        return false;
    *name = strip_prefix(files[index].name);
    *size = files[index].size;
    return true;
}
