#include "kernel/bootinfo.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/printf.h"
#include "lib/fdt.h"
#include "lib/string.h"
#include "memlayout.h"

struct bootinfo bootinfo;

/* #address-cells / #size-cells of a node, with the spec's defaults. */
static uint32_t cells(const struct fdt *fdt, int node, const char *name,
                      uint32_t dflt)
{
    uint64_t v;
    return fdt_prop_uint(fdt, node, name, &v) && v >= 1 && v <= 2
           ? (uint32_t)v : dflt;
}

/* Appends each (address, size) pair of `node`'s reg to `out`. */
static void read_reg(const struct fdt *fdt, int node, uint32_t ac, uint32_t sc,
                     struct mem_range *out, int *n, const char *what)
{
    uint32_t len;
    const void *reg = fdt_prop(fdt, node, "reg", &len);
    for (uint32_t i = 0; reg && i + ac + sc <= len / 4; i += ac + sc) {
        uint64_t addr, size;
        if (!fdt_cells(reg, len, i, ac, &addr) || !fdt_cells(reg, len, i + ac, sc, &size))
            break;
        if (*n >= MAX_MEM_RANGES) {
            kprintf("boot: more than %d %s ranges; ignoring the rest\n",
                    MAX_MEM_RANGES, what);
            return;
        }
        out[(*n)++] = (struct mem_range){ addr, addr + size };
    }
}

static void parse_memory(const struct fdt *fdt, int root)
{
    uint32_t ac = cells(fdt, root, "#address-cells", 2);
    uint32_t sc = cells(fdt, root, "#size-cells", 1);
    for (int n = fdt_first_child(fdt, root); n >= 0; n = fdt_next_sibling(fdt, n)) {
        const char *type = fdt_prop_string(fdt, n, "device_type");
        if (type && strcmp(type, "memory") == 0)
            read_reg(fdt, n, ac, sc, bootinfo.ram, &bootinfo.nram, "memory");
    }
    if (bootinfo.nram == 0)
        panic("boot: the device tree describes no memory");

    uint64_t addr, size;
    for (int i = 0; fdt_reserved_entry(fdt, i, &addr, &size); i++)
        if (bootinfo.nreserved < MAX_MEM_RANGES)
            bootinfo.reserved[bootinfo.nreserved++] = (struct mem_range){ addr, addr + size };
    int rmem = fdt_path(fdt, "/reserved-memory");
    if (rmem >= 0) {
        uint32_t rac = cells(fdt, rmem, "#address-cells", ac);
        uint32_t rsc = cells(fdt, rmem, "#size-cells", sc);
        for (int n = fdt_first_child(fdt, rmem); n >= 0; n = fdt_next_sibling(fdt, n))
            read_reg(fdt, n, rac, rsc, bootinfo.reserved, &bootinfo.nreserved,
                     "reserved-memory");
    }
}

static void parse_cpus(const struct fdt *fdt)
{
    int cpus_node = fdt_path(fdt, "/cpus");
    if (cpus_node < 0)
        panic("boot: the device tree has no /cpus node");
    if (!fdt_prop_uint(fdt, cpus_node, "timebase-frequency", &bootinfo.timebase_hz))
        panic("boot: /cpus has no timebase-frequency");
    uint32_t ac = cells(fdt, cpus_node, "#address-cells", 1);

    bootinfo.have_sstc = true;
    for (int n = fdt_first_child(fdt, cpus_node); n >= 0; n = fdt_next_sibling(fdt, n)) {
        const char *type = fdt_prop_string(fdt, n, "device_type");
        const char *status = fdt_prop_string(fdt, n, "status");
        if (!type || strcmp(type, "cpu") != 0)
            continue;
        if (status && strcmp(status, "okay") != 0)
            continue;
        uint32_t len;
        uint64_t hartid;
        const void *reg = fdt_prop(fdt, n, "reg", &len);
        if (!fdt_cells(reg, len, 0, ac, &hartid))
            continue;
        if (hartid >= MAX_HARTS) {
            kprintf("boot: hart %lu ignored (this kernel supports ids below %d)\n",
                    hartid, MAX_HARTS);
            continue;
        }
        hart_ids[hart_count++] = hartid;
        /* Extensions follow the base ISA, separated by '_'. */
        const char *isa = fdt_prop_string(fdt, n, "riscv,isa");
        bool sstc = false;
        for (const char *p = isa; p && (p = strchr(p, '_')) != NULL; p++)
            if (strncmp(p + 1, "sstc", 4) == 0 && (p[5] == '_' || p[5] == '\0'))
                sstc = true;
        bootinfo.have_sstc &= sstc;
    }
    if (hart_count == 0)
        panic("boot: no usable hart in the device tree");
}

static void parse_chosen(const struct fdt *fdt)
{
    bootinfo.bootargs = "";
    int chosen = fdt_path(fdt, "/chosen");
    if (chosen < 0)
        return;
    const char *args = fdt_prop_string(fdt, chosen, "bootargs");
    if (args)
        bootinfo.bootargs = args;
    uint64_t start, end;
    if (fdt_prop_uint(fdt, chosen, "linux,initrd-start", &start) &&
        fdt_prop_uint(fdt, chosen, "linux,initrd-end", &end)) {
        if (end < start)
            kprintf("boot: initrd end %lx is below its start %lx; ignored\n", end, start);
        else {
            bootinfo.initrd_start = start;
            bootinfo.initrd_end = end;
        }
    }
}

void bootinfo_parse(uint64_t dtb_pa)
{
    struct fdt fdt;
    bootinfo.dtb_pa = dtb_pa;
    /* The boot page table maps BOOT_MAP_GIB GiB: the blob must lie inside. */
    uint64_t limit = (uint64_t)BOOT_MAP_GIB << 30;
    if (dtb_pa == 0 || dtb_pa >= limit - 40)
        panic("boot: device tree address %lx is unusable", dtb_pa);
    int err = fdt_open(&fdt, PA2VA(dtb_pa), limit - dtb_pa);
    if (err)
        panic("boot: bad device tree at %lx: %s", dtb_pa, fdt_strerror(err));
    bootinfo.dtb_size = fdt.total_size;
    int root = fdt_root(&fdt);
    if (root < 0)
        panic("boot: device tree has no root node: %s", fdt_strerror(root));
    parse_memory(&fdt, root);
    parse_cpus(&fdt);
    parse_chosen(&fdt);
}
