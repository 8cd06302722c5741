#include "proc/elf.h"
#include <stdbool.h>
#include "mm/uvm.h"
#include "mm/frame.h"
#include "kernel/printf.h"
#include "lib/string.h"
#include "uapi/errno.h"
#include "memlayout.h"

/* The parts of the ELF64 format we read (System V gABI). */
struct elf64_ehdr {
    uint8_t  ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define ET_EXEC     2
#define EM_RISCV    243
#define PT_LOAD     1
#define PF_X        1
#define PF_W        2
#define PF_R        4
#define MAX_PHDRS   16

static int reject(const char *name, const char *why)
{
    kprintf("exec: %s: not a valid executable: %s\n", name, why);
    return -ENOEXEC;
}

static uint64_t page_down(uint64_t x) { return x & ~(uint64_t)(PAGE_SIZE - 1); }
static uint64_t page_up(uint64_t x) { return page_down(x + PAGE_SIZE - 1); }

/* The file sits in the initrd with only 4-byte alignment: headers are
 * copied out before their 8-byte fields are read. */
static void read_headers(const void *file, struct elf64_ehdr *eh,
                         struct elf64_phdr ph[MAX_PHDRS])
{
    memcpy(eh, file, sizeof(*eh));
    if (eh->phnum <= MAX_PHDRS)
        memcpy(ph, (const char *)file + eh->phoff, eh->phnum * sizeof(*ph));
}

int elf_validate(const char *name, const void *file, size_t size)
{
    struct elf64_ehdr ehc;
    const struct elf64_ehdr *eh = &ehc;
    if (size < sizeof(*eh))
        return reject(name, "shorter than an ELF header");
    memcpy(&ehc, file, sizeof(ehc));
    if (memcmp(eh->ident, "\177ELF", 4) != 0)
        return reject(name, "bad magic");
    if (eh->ident[4] != 2 || eh->ident[5] != 1)
        return reject(name, "not 64-bit little-endian");
    if (eh->type != ET_EXEC || eh->machine != EM_RISCV)
        return reject(name, "not a RISC-V executable");
    if (eh->phentsize != sizeof(struct elf64_phdr) || eh->phnum == 0 ||
        eh->phnum > MAX_PHDRS)
        return reject(name, "bad program header table");
    if (eh->phoff > size || (uint64_t)eh->phnum * sizeof(struct elf64_phdr) > size - eh->phoff)
        return reject(name, "program headers past the end of the file");

    struct elf64_phdr ph[MAX_PHDRS];
    read_headers(file, &ehc, ph);
    int loads = 0;
    bool entry_ok = false;
    for (int i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *a = &ph[i];
        if (a->type != PT_LOAD || a->memsz == 0)
            continue;                  /* an empty segment maps nothing */
        loads++;
        if (a->filesz > a->memsz)
            return reject(name, "segment file size above its memory size");
        if (a->offset > size || a->filesz > size - a->offset)
            return reject(name, "segment data past the end of the file");
        if (a->vaddr < USER_BASE || a->memsz > USER_MAX_IMAGE ||
            a->vaddr > USER_MAX_IMAGE - a->memsz)
            return reject(name, "segment outside the user image area");
        if (a->vaddr % PAGE_SIZE != a->offset % PAGE_SIZE)
            return reject(name, "segment address and offset disagree modulo the page size");
        if ((a->flags & PF_W) && (a->flags & PF_X))
            return reject(name, "segment both writable and executable");
        if (!(a->flags & (PF_R | PF_X)))
            return reject(name, "segment neither readable nor executable");
        if ((a->flags & PF_X) && eh->entry >= a->vaddr && eh->entry < a->vaddr + a->memsz)
            entry_ok = true;
        /* Segments may not share a page: each page gets one set of rights. */
        for (int j = 0; j < i; j++) {
            const struct elf64_phdr *b = &ph[j];
            if (b->type == PT_LOAD && b->memsz &&
                page_down(a->vaddr) < page_up(b->vaddr + b->memsz) &&
                page_down(b->vaddr) < page_up(a->vaddr + a->memsz))
                return reject(name, "segments overlap");
        }
    }
    if (loads == 0)
        return reject(name, "no loadable segment");
    if (!entry_ok)
        return reject(name, "entry point outside every executable segment");
    return 0;
}

/* Maps the page at `page` (rights perm) holding what the segment puts
 * there: the file's bytes [vaddr, vaddr+filesz) from `data`, zeros around
 * them (the bss, the page's head and tail).  The frame is not zeroed
 * first and then overwritten: each byte is written once, and every byte
 * is written, so nothing of the frame's last owner shows. */
static int load_page(pagetable_t pt, uint64_t page, uint64_t perm, const char *data,
                     uint64_t vaddr, uint64_t filesz)
{
    char *frame = frame_alloc_unzeroed();
    if (!frame)
        return -ENOMEM;
    uint64_t lo = vaddr > page ? vaddr : page;
    uint64_t hi = vaddr + filesz < page + PAGE_SIZE ? vaddr + filesz : page + PAGE_SIZE;
    if (lo < hi) {
        memset(frame, 0, lo - page);
        memcpy(frame + (lo - page), data + (lo - vaddr), hi - lo);
        memset(frame + (hi - page), 0, page + PAGE_SIZE - hi);
    } else {
        memset(frame, 0, PAGE_SIZE);         /* no byte of the file here: bss */
    }
    if (vm_map(pt, page, VA2PA(frame), PAGE_SIZE, perm, 0)) {
        frame_free(frame);
        return -ENOMEM;
    }
    return 0;
}

int elf_load(pagetable_t pt, const void *file, uint64_t *entry, uint64_t *image_end)
{
    struct elf64_ehdr ehc;
    const struct elf64_ehdr *eh = &ehc;
    struct elf64_phdr ph[MAX_PHDRS];
    read_headers(file, &ehc, ph);
    uint64_t end = 0;
    for (int i = 0; i < eh->phnum; i++) {
        const struct elf64_phdr *a = &ph[i];
        if (a->type != PT_LOAD || a->memsz == 0)
            continue;
        uint64_t perm = (a->flags & PF_R ? PTE_R : 0) | (a->flags & PF_W ? PTE_W : 0) |
                        (a->flags & PF_X ? PTE_X : 0);
        uint64_t start = page_down(a->vaddr), stop = page_up(a->vaddr + a->memsz);
        const char *data = (const char *)file + a->offset;
        for (uint64_t page = start; page < stop; page += PAGE_SIZE) {
            if (load_page(pt, page, perm | PTE_U, data, a->vaddr, a->filesz)) {
                uvm_free_all(pt);
                return -ENOMEM;
            }
        }
        if (stop > end)
            end = stop;
    }
    *entry = eh->entry;
    *image_end = end;
    return 0;
}
