/*
 * Host-side test of the kernel's flattened-device-tree reader (os/lib/fdt.c).
 *
 * fdt.h promises that a corrupt or truncated blob yields an error code, never
 * a read outside the blob or a hang.  This program checks that promise on the
 * host, where AddressSanitizer and UBSan can watch every access:
 *
 *   1. positive checks on a known-good blob (testsuite/host/fdt_sample.dts),
 *      so the reader is not "safe" merely by rejecting everything;
 *   2. every truncation of that blob, each copied into a buffer of exactly
 *      the truncated size, so that reading one byte too far is an ASan error;
 *   3. every single-byte corruption (several values per offset), every
 *      aligned 32-bit word replaced by "interesting" values (lengths and
 *      offsets that overflow), and a few thousand deterministic random
 *      multi-byte corruptions.
 *
 * Every node-taking function is also called on every int offset in and
 * around the structure block.  All phases run twice: on dtc's layout
 * (strings block last) and on a rearranged copy whose structure block ends
 * the buffer, so an overread of either block runs off the allocation.
 *
 * Each damaged blob is opened and then "walked": every node reachable through
 * fdt_first_child/fdt_next_sibling is visited and its properties read
 * through every accessor.  Errors are fine; what fails the test is a
 * sanitizer report, a pointer returned outside the structure block, a node
 * iterator that does not move forward (the kernel's `for (n = first_child;
 * n >= 0; n = next_sibling(n))` loops would spin), a walk longer than
 * STEP_LIMIT steps, or the watchdog alarm.
 *
 * Usage: fdt_test sample.dtb     (compiled from fdt_sample.dts by dtc)
 * Prints "fdt_test: N checks passed" and exits 0, or reports each failure
 * and exits 1.
 */
#define _POSIX_C_SOURCE 200809L     /* sigaction, strnlen, write */
#define _DEFAULT_SOURCE             /* setitimer */

#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/fdt.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/common_interface_defs.h>
#endif

/* A walk of a ~1.6 KiB blob visits a few dozen nodes; 100000 steps can only
 * mean that an iterator went round in circles. */
#define STEP_LIMIT 100000
/* The sample is 4 levels deep; deeper recursion would only happen on a
 * corrupt blob and is cut off here (not an error) to bound the walk. */
#define MAX_DEPTH 64
/* The whole run takes a few seconds of CPU; a hang inside the parser itself
 * (which no step counter in this file can see) is caught by this alarm, of
 * CPU time, so that a loaded host, which only delays the run, cannot set it
 * off. */
#define WATCHDOG_SECONDS 60
/* Later failures are counted but not printed, to keep the log readable. */
#define MAX_REPORTED 30
#define RANDOM_CASES 4000

/* Values the sample was built with: keep in sync with fdt_sample.dts. */
#define EXPECTED_BOOTARGS   "console=ttyS0 color=blue msg=\"two words\""
#define EXPECTED_INITRD_START 0x88200000ull
#define EXPECTED_INITRD_END   0x88400000ull
#define EXPECTED_TIMEBASE     10000000ull
#define EXPECTED_CPUS         3

static unsigned long checks, failures;

/* What is being tested right now; printed with every failure, and by the
 * watchdog and the sanitizer death callback, so a crash names its input. */
static char current_case[200] = "startup";
/* Which memory layout of the sample is under test (see make_struct_last). */
static const char *layout = "-";

static void set_case(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(current_case, sizeof current_case, fmt, ap);
    va_end(ap);
}

static void fail(const char *fmt, ...)
{
    failures++;
    if (failures > MAX_REPORTED) {
        if (failures == MAX_REPORTED + 1)
            printf("(further failures not shown)\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    printf("FAIL [%s: %s]: ", layout, current_case);
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        checks++;                                                            \
        if (!(cond))                                                         \
            fail(__VA_ARGS__);                                               \
    } while (0)

/* Async-signal-safe report of the current case (watchdog, sanitizer death). */
static void write_case(const char *why)
{
    ssize_t r = write(STDOUT_FILENO, why, strlen(why));
    r = write(STDOUT_FILENO, layout, strlen(layout));
    r = write(STDOUT_FILENO, ": ", 2);
    r = write(STDOUT_FILENO, current_case, strlen(current_case));
    r = write(STDOUT_FILENO, "\n", 1);
    (void)r;
}

static void on_alarm(int sig)
{
    (void)sig;
    write_case("FAIL: watchdog: the parser hangs (or is far too slow) in case: ");
    _exit(2);
}

#ifdef __SANITIZE_ADDRESS__
static void on_sanitizer_death(void)
{
    write_case("fdt_test: sanitizer error while testing case: ");
}
#endif

/* ---- small helpers --------------------------------------------------- */

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Header field offsets (devicetree specification, section 5.2). */
enum {
    H_MAGIC = 0, H_TOTALSIZE = 4, H_OFF_STRUCT = 8, H_OFF_STRINGS = 12,
    H_OFF_RSVMAP = 16, H_VERSION = 20, H_LAST_COMP = 24,
    H_SIZE_STRINGS = 32, H_SIZE_STRUCT = 36, H_SIZE = 40,
};

static bool is_error_code(int err)
{
    return err == FDT_ERR_NOTFOUND || err == FDT_ERR_BADMAGIC ||
           err == FDT_ERR_BADHEADER || err == FDT_ERR_BADVERSION ||
           err == FDT_ERR_BADSTRUCT;
}

/* A node offset returned by the API is either one of the documented error
 * codes or the offset of a token inside the structure block. */
static bool valid_node_result(const struct fdt *f, int node)
{
    if (node < 0)
        return is_error_code(node);
    return (uint32_t)node < f->struct_size && f->struct_size - (uint32_t)node >= 4;
}

/* Does [p, p+len) lie inside the structure block?  ASan only sees reads past
 * the whole buffer; this also catches pointers into the header, the
 * strings block or the padding that the API must never hand out. */
static bool in_struct(const struct fdt *f, const void *p, size_t len)
{
    const uint8_t *start = f->blob + f->struct_off;
    const uint8_t *end = start + f->struct_size;
    const uint8_t *q = p;
    return q >= start && q <= end && len <= (size_t)(end - q);
}

/* Reads every byte, so ASan checks the whole range the API claims is
 * readable (the compiler may not drop volatile accesses). */
static volatile uint8_t sink;
static void touch(const void *p, size_t len)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < len; i++)
        sink ^= b[i];
}

/* A string the API returned must be terminated inside the structure block. */
static bool string_in_struct(const struct fdt *f, const char *s)
{
    if (!in_struct(f, s, 0))
        return false;
    size_t room = (size_t)(f->blob + f->struct_off + f->struct_size - (const uint8_t *)s);
    return strnlen(s, room) < room;
}

/* ---- the walk: touch everything reachable, check the API's promises ---- */

struct walk {
    const struct fdt *f;
    unsigned long steps;
    bool aborted;            /* a failure was reported; stop this walk */
};

static bool step(struct walk *w)
{
    if (w->aborted)
        return false;
    if (++w->steps > STEP_LIMIT) {
        fail("walk exceeded %d steps: an iterator does not terminate", STEP_LIMIT);
        w->aborted = true;
        return false;
    }
    return true;
}

/* A few names of each kind (u32, u64, string, string list, empty, cells);
 * every lookup scans the node's properties, so this list sets the cost of
 * the whole run. */
static const char *const prop_names[] = {
    "reg", "compatible", "device_type", "bootargs", "timebase-frequency",
    "linux,initrd-start", "ranges",
};

static void walk_props(struct walk *w, int node)
{
    const struct fdt *f = w->f;
    for (size_t i = 0; i < sizeof prop_names / sizeof prop_names[0]; i++) {
        const char *name = prop_names[i];
        uint32_t len = 0xdeadbeef;
        const void *p = fdt_prop(f, node, name, &len);
        if (p) {
            if (!in_struct(f, p, len)) {
                fail("fdt_prop(%d, \"%s\") returned %" PRIu32
                     " bytes outside the structure block", node, name, len);
                w->aborted = true;
                return;
            }
            touch(p, len);
            /* Every index/width combination, including ones past the end. */
            for (uint32_t idx = 0; idx <= len / 4 + 1; idx++) {
                uint64_t v;
                (void)fdt_cells(p, len, idx, 1, &v);
                (void)fdt_cells(p, len, idx, 2, &v);
            }
            uint64_t v;
            if (fdt_cells(p, len, UINT32_MAX, 1, &v) || fdt_cells(p, len, 0, 3, &v)) {
                fail("fdt_cells accepted an impossible index or width");
                w->aborted = true;
                return;
            }
        }
        const char *s = fdt_prop_string(f, node, name);
        if (s && (s != p || !string_in_struct(f, s) || strlen(s) >= len)) {
            fail("fdt_prop_string(%d, \"%s\") returned an unterminated or "
                 "foreign string", node, name);
            w->aborted = true;
            return;
        }
        (void)fdt_prop_has_string(f, node, name, "ns16550a");
        (void)fdt_prop_has_string(f, node, name, "");
        uint64_t v;
        (void)fdt_prop_uint(f, node, name, &v);
    }
    /* A name that is not in the strings block at all. */
    (void)fdt_prop(f, node, "no-such-property", NULL);
}

static void walk_node(struct walk *w, int node, int depth)
{
    const struct fdt *f = w->f;
    if (!step(w))
        return;
    const char *name = fdt_name(f, node);
    if (name && !string_in_struct(f, name)) {
        fail("fdt_name(%d) is not a string inside the structure block", node);
        w->aborted = true;
        return;
    }
    walk_props(w, node);
    if (w->aborted || depth >= MAX_DEPTH)
        return;

    int prev = node;
    int child = fdt_first_child(f, node);
    while (child >= 0) {
        if (!valid_node_result(f, child) || child <= prev) {
            /* Not moving forward means the kernel's child loops never end. */
            fail("node %d: child/sibling %d does not lie after %d", node, child, prev);
            w->aborted = true;
            return;
        }
        walk_node(w, child, depth + 1);
        if (w->aborted)
            return;
        prev = child;
        child = fdt_next_sibling(f, child);
    }
    if (!is_error_code(child)) {
        fail("node %d: iteration ended with %d, not an FDT_ERR_* code", node, child);
        w->aborted = true;
    }
}

static const char *const walk_paths[] = {
    "/", "/chosen", "/cpus", "/cpus/cpu@1", "/cpus/cpu", "/memory",
    "/memory@80000000", "/soc/uart@10000000", "/soc/uart", "/soc/plic",
    "/cpus/cpu-map/cluster0/core0", "//cpus//cpu@2/", "/nonexistent",
    "/soc/uart@10000000/deeper", "cpus", "",
};

/* Opens a blob readable for exactly `size` bytes and, if the header is
 * accepted, walks it.  Returns fdt_open's result. */
static int open_and_walk(const uint8_t *buf, size_t size)
{
    struct fdt f;
    int err = fdt_open(&f, buf, size);
    if (err != 0) {
        if (!is_error_code(err) || err == FDT_ERR_NOTFOUND)
            fail("fdt_open returned %d, not a header error code", err);
        return err;
    }
    /* The accepted header must describe blocks inside the buffer. */
    if (f.blob != buf || f.total_size > size || f.total_size < H_SIZE ||
        (uint64_t)f.struct_off + f.struct_size > f.total_size ||
        (uint64_t)f.strings_off + f.strings_size > f.total_size ||
        f.rsvmap_off > f.total_size) {
        fail("fdt_open accepted a header whose blocks leave the blob");
        return err;
    }

    struct walk w = { .f = &f };
    int root = fdt_root(&f);
    if (!valid_node_result(&f, root)) {
        fail("fdt_root returned %d", root);
        return err;
    }
    if (root >= 0) {
        walk_node(&w, root, 0);
        int sib = fdt_next_sibling(&f, root);
        if (!valid_node_result(&f, sib) || (sib >= 0 && sib <= root))
            fail("fdt_next_sibling(root) returned %d", sib);
    }
    for (size_t i = 0; i < sizeof walk_paths / sizeof walk_paths[0] && !w.aborted; i++) {
        int n = fdt_path(&f, walk_paths[i]);
        if (!valid_node_result(&f, n)) {
            fail("fdt_path(\"%s\") returned %d", walk_paths[i], n);
            return err;
        }
        if (n >= 0 && step(&w)) {
            const char *name = fdt_name(&f, n);
            if (name && !string_in_struct(&f, name))
                fail("fdt_name(fdt_path(\"%s\")) is outside the block", walk_paths[i]);
            walk_props(&w, n);
        }
    }

    /* The reservation list ends at a zero entry or at the end of the blob. */
    uint64_t addr, size64;
    for (int i = 0; fdt_reserved_entry(&f, i, &addr, &size64); i++) {
        if (!step(&w))
            break;
        if ((uint64_t)f.rsvmap_off + (uint64_t)(i + 1) * 16 > f.total_size) {
            fail("fdt_reserved_entry(%d) read past the end of the blob", i);
            break;
        }
    }
    if (fdt_reserved_entry(&f, -1, &addr, &size64) ||
        fdt_reserved_entry(&f, INT_MAX, &addr, &size64))
        fail("fdt_reserved_entry accepted a negative or huge index");
    return err;
}

/* ---- 1. positive checks on the intact sample ------------------------- */

static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return NULL;
    uint8_t *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        if (r == 0)
            break;
        n += r;
    }
    fclose(fp);
    *size = n;
    return buf;
}

static bool name_is(const struct fdt *f, int node, const char *expected)
{
    const char *name = fdt_name(f, node);
    return name && strcmp(name, expected) == 0;
}

static void positive_checks(const uint8_t *blob, size_t size)
{
    set_case("positive checks on the sample");
    struct fdt f;
    int err = fdt_open(&f, blob, size);
    CHECK(err == 0, "fdt_open failed on the valid sample: %s", fdt_strerror(err));
    if (err != 0)
        return;
    CHECK(f.total_size == size, "total_size %" PRIu32 " != file size %zu",
          f.total_size, size);
    CHECK(fdt_peek_total_size(blob) == size, "fdt_peek_total_size is wrong");

    /* Header errors are told apart. */
    uint8_t *copy = malloc(size);
    memcpy(copy, blob, size);
    copy[0] ^= 1;
    CHECK(fdt_open(&f, copy, size) == FDT_ERR_BADMAGIC, "bad magic not reported");
    memcpy(copy, blob, size);
    put_be32(copy + H_VERSION, 15);
    CHECK(fdt_open(&f, copy, size) == FDT_ERR_BADVERSION, "version 15 not rejected");
    memcpy(copy, blob, size);
    put_be32(copy + H_OFF_STRUCT, get_be32(blob + H_OFF_STRUCT) + 2);
    CHECK(fdt_open(&f, copy, size) == FDT_ERR_BADHEADER,
          "misaligned structure block not rejected");
    free(copy);
    /* A buffer larger than the blob is fine: max_size is only a bound. */
    uint8_t *big = calloc(1, size + 64);
    memcpy(big, blob, size);
    CHECK(fdt_open(&f, big, size + 64) == 0 && f.total_size == size,
          "fdt_open rejected a blob in a larger buffer");
    free(big);

    CHECK(fdt_open(&f, blob, size) == 0, "reopening failed");
    int root = fdt_root(&f);
    CHECK(root == 0, "root node at %d, expected 0", root);
    CHECK(name_is(&f, root, ""), "root node name is not empty");
    CHECK(fdt_path(&f, "/") == root, "fdt_path(\"/\") is not the root");
    CHECK(fdt_next_sibling(&f, root) == FDT_ERR_NOTFOUND, "the root has a sibling");

    /* Paths, including the unit-address-less match. */
    int chosen = fdt_path(&f, "/chosen");
    int cpus = fdt_path(&f, "/cpus");
    int memory = fdt_path(&f, "/memory");
    int uart = fdt_path(&f, "/soc/uart@10000000");
    CHECK(chosen > 0 && name_is(&f, chosen, "chosen"), "/chosen not found (%d)", chosen);
    CHECK(cpus > 0 && name_is(&f, cpus, "cpus"), "/cpus not found (%d)", cpus);
    CHECK(memory > 0 && name_is(&f, memory, "memory@80000000"),
          "/memory did not match memory@80000000 (%d)", memory);
    CHECK(uart > 0 && name_is(&f, uart, "uart@10000000"),
          "/soc/uart@10000000 not found (%d)", uart);
    CHECK(fdt_path(&f, "/memory@80000000") == memory, "exact unit address not matched");
    CHECK(fdt_path(&f, "/soc/uart") == uart, "/soc/uart did not match uart@10000000");
    CHECK(fdt_path(&f, "//chosen/") == chosen, "extra slashes not ignored");
    int cpu2 = fdt_path(&f, "/cpus/cpu@2");
    CHECK(cpu2 > 0 && name_is(&f, cpu2, "cpu@2"), "/cpus/cpu@2 not found");
    int core0 = fdt_path(&f, "/cpus/cpu-map/cluster0/core0");
    CHECK(core0 > 0 && name_is(&f, core0, "core0"), "deep path not found");

    /* Missing nodes. */
    CHECK(fdt_path(&f, "/nonexistent") == FDT_ERR_NOTFOUND, "/nonexistent found");
    CHECK(fdt_path(&f, "/memory@90000000") == FDT_ERR_NOTFOUND,
          "a different unit address matched");
    CHECK(fdt_path(&f, "/mem") == FDT_ERR_NOTFOUND, "a name prefix matched");
    CHECK(fdt_path(&f, "/cpus/cpu@7") == FDT_ERR_NOTFOUND, "/cpus/cpu@7 found");
    CHECK(fdt_path(&f, "/soc/uart@10000000/x") == FDT_ERR_NOTFOUND,
          "a child of a leaf found");
    CHECK(fdt_path(&f, "cpus") == FDT_ERR_NOTFOUND, "a relative path was accepted");
    CHECK(fdt_first_child(&f, uart) == FDT_ERR_NOTFOUND, "a leaf has a child");

    /* Strings. */
    const char *bootargs = fdt_prop_string(&f, chosen, "bootargs");
    CHECK(bootargs && strcmp(bootargs, EXPECTED_BOOTARGS) == 0,
          "bootargs is \"%s\", expected \"%s\"", bootargs ? bootargs : "(null)",
          EXPECTED_BOOTARGS);
    const char *stdout_path = fdt_prop_string(&f, chosen, "stdout-path");
    CHECK(stdout_path && strcmp(stdout_path, "/soc/uart@10000000") == 0,
          "stdout-path is wrong");
    CHECK(fdt_prop_string(&f, cpus, "timebase-frequency") == NULL,
          "a u32 not ending in NUL was returned as a string");

    /* Integers: a u64 (two cells) and a u32 (one cell). */
    uint64_t v = 0;
    CHECK(fdt_prop_uint(&f, chosen, "linux,initrd-start", &v) && v == EXPECTED_INITRD_START,
          "linux,initrd-start read as %#" PRIx64, v);
    v = 0;
    CHECK(fdt_prop_uint(&f, chosen, "linux,initrd-end", &v) && v == EXPECTED_INITRD_END,
          "linux,initrd-end read as %#" PRIx64, v);
    v = 0;
    CHECK(fdt_prop_uint(&f, cpus, "timebase-frequency", &v) && v == EXPECTED_TIMEBASE,
          "timebase-frequency read as %" PRIu64, v);
    CHECK(!fdt_prop_uint(&f, chosen, "bootargs", &v),
          "a string property was read as an integer");
    CHECK(!fdt_prop_uint(&f, memory, "reg", &v), "a 16-byte property was read as an integer");
    CHECK(!fdt_prop_uint(&f, chosen, "no-such-property", &v), "a missing integer was read");

    /* Cells: the 2-cell address and size in a reg. */
    uint32_t len = 0;
    const void *reg = fdt_prop(&f, uart, "reg", &len);
    uint64_t addr = 0, sz = 0;
    CHECK(reg && len == 16, "uart reg has length %" PRIu32, len);
    CHECK(fdt_cells(reg, len, 0, 2, &addr) && addr == 0x10000000,
          "uart reg address %#" PRIx64, addr);
    CHECK(fdt_cells(reg, len, 2, 2, &sz) && sz == 0x100, "uart reg size %#" PRIx64, sz);
    CHECK(fdt_cells(reg, len, 1, 1, &addr) && addr == 0x10000000, "one-cell read wrong");
    CHECK(!fdt_cells(reg, len, 3, 2, &addr), "a 2-cell read past the end succeeded");
    CHECK(!fdt_cells(reg, len, 4, 1, &addr), "a read at the end succeeded");
    CHECK(!fdt_cells(reg, len, 0, 3, &addr), "3 cells accepted");
    CHECK(!fdt_cells(NULL, 0, 0, 1, &addr), "a NULL property accepted");
    reg = fdt_prop(&f, memory, "reg", &len);
    CHECK(reg && fdt_cells(reg, len, 0, 2, &addr) && fdt_cells(reg, len, 2, 2, &sz) &&
          addr == 0x80000000 && sz == 0x10000000, "memory reg is wrong");

    /* Empty properties exist but are no strings. */
    len = 99;
    int soc = fdt_path(&f, "/soc");
    CHECK(fdt_prop(&f, soc, "ranges", &len) != NULL && len == 0,
          "empty property \"ranges\" not found with length 0");
    CHECK(fdt_prop_string(&f, soc, "ranges") == NULL, "an empty property is a string");
    CHECK(fdt_prop(&f, chosen, "no-such-property", &len) == NULL, "a missing property found");
    CHECK(fdt_prop_string(&f, chosen, "no-such-property") == NULL,
          "a missing string property found");
    CHECK(fdt_prop(&f, chosen, "reg", &len) == NULL, "/chosen has a reg?");

    /* Children of /cpus: three cpu nodes, in order, plus cpu-map. */
    int ncpu = 0, nchild = 0;
    for (int n = fdt_first_child(&f, cpus); n >= 0 && nchild < 100;
         n = fdt_next_sibling(&f, n)) {
        nchild++;
        const char *type = fdt_prop_string(&f, n, "device_type");
        if (!type || strcmp(type, "cpu") != 0)
            continue;
        char expected[16];
        snprintf(expected, sizeof expected, "cpu@%d", ncpu);
        CHECK(name_is(&f, n, expected), "cpu %d is named \"%s\"", ncpu,
              fdt_name(&f, n) ? fdt_name(&f, n) : "(null)");
        const void *r = fdt_prop(&f, n, "reg", &len);
        uint64_t hart = 99;
        CHECK(fdt_cells(r, len, 0, 1, &hart) && hart == (uint64_t)ncpu,
              "%s has reg %" PRIu64, expected, hart);
        const char *status = fdt_prop_string(&f, n, "status");
        CHECK(status && strcmp(status, "okay") == 0, "%s status is not okay", expected);
        CHECK(fdt_prop_string(&f, n, "riscv,isa") != NULL, "%s has no riscv,isa", expected);
        ncpu++;
    }
    CHECK(ncpu == EXPECTED_CPUS, "found %d cpu nodes under /cpus, expected %d",
          ncpu, EXPECTED_CPUS);
    CHECK(nchild == EXPECTED_CPUS + 1, "found %d children of /cpus, expected %d",
          nchild, EXPECTED_CPUS + 1);

    /* String lists. */
    CHECK(fdt_prop_has_string(&f, uart, "compatible", "ns16550a"),
          "compatible lacks its first string");
    CHECK(fdt_prop_has_string(&f, uart, "compatible", "other"),
          "compatible lacks its second string");
    CHECK(!fdt_prop_has_string(&f, uart, "compatible", "ns16550"),
          "a prefix of a list entry matched");
    CHECK(!fdt_prop_has_string(&f, uart, "compatible", "ns16550aother"),
          "two entries run together matched");
    CHECK(!fdt_prop_has_string(&f, uart, "compatible", ""), "the empty string matched");
    CHECK(!fdt_prop_has_string(&f, uart, "no-such-property", "ns16550a"),
          "a missing list matched");
    /* (A reg of <0 ...> would "contain" the empty string: its bytes do form a
     * NUL-terminated list.  timebase-frequency does not end in a NUL.) */
    CHECK(!fdt_prop_has_string(&f, cpus, "timebase-frequency", ""),
          "a non-string matched");

    /* The memory reservation block. */
    uint64_t ra = 0, rs = 0;
    CHECK(fdt_reserved_entry(&f, 0, &ra, &rs) && ra == 0x80000000 && rs == 0x200000,
          "reserved entry 0 is %#" PRIx64 "+%#" PRIx64, ra, rs);
    CHECK(fdt_reserved_entry(&f, 1, &ra, &rs) && ra == 0x87f00000 && rs == 0x10000,
          "reserved entry 1 is %#" PRIx64 "+%#" PRIx64, ra, rs);
    CHECK(!fdt_reserved_entry(&f, 2, &ra, &rs), "a third reserved entry");
    CHECK(!fdt_reserved_entry(&f, -1, &ra, &rs), "reserved entry -1 exists");

    /* Error strings exist for every code. */
    const int codes[] = { 0, FDT_ERR_NOTFOUND, FDT_ERR_BADMAGIC, FDT_ERR_BADHEADER,
                          FDT_ERR_BADVERSION, FDT_ERR_BADSTRUCT, -100 };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        CHECK(fdt_strerror(codes[i]) != NULL, "fdt_strerror(%d) is NULL", codes[i]);

    /* The walk itself must be clean on the intact blob. */
    unsigned long before = failures;
    open_and_walk(blob, size);
    CHECK(failures == before, "the walk fails on the intact sample");
}

/* Every node-taking function must cope with any int as a node: every offset
 * in and around the structure block, misaligned ones, and extremes. */
static void arbitrary_offsets(const uint8_t *blob, size_t size)
{
    struct fdt f;
    if (fdt_open(&f, blob, size) != 0)
        return;
    int extremes[] = { INT_MIN, -1, INT_MAX, (int)f.struct_size,
                       (int)f.struct_size - 1, (int)f.struct_size - 4 };
    int n_offsets = (int)f.struct_size + 8 + (int)(sizeof extremes / sizeof extremes[0]);
    for (int i = 0; i < n_offsets; i++) {
        int node = i < (int)f.struct_size + 8 ? i - 4
                 : extremes[i - ((int)f.struct_size + 8)];
        set_case("arbitrary node offset %d", node);
        checks++;
        const char *name = fdt_name(&f, node);
        if (name && !string_in_struct(&f, name))
            fail("fdt_name returned a string outside the block");
        int c = fdt_first_child(&f, node);
        int s = fdt_next_sibling(&f, node);
        if (node < 0) {
            /* A negative "node" is an error code the caller failed to
             * check.  fdt_next_sibling hands it straight back (even one
             * that is not an FDT_ERR_* value), so only require that no
             * node is conjured out of it. */
            if (c >= 0 || s >= 0)
                fail("node %d has child %d / sibling %d", node, c, s);
        } else {
            if (!valid_node_result(&f, c) || (c >= 0 && c <= node))
                fail("fdt_first_child returned %d", c);
            if (!valid_node_result(&f, s) || (s >= 0 && s <= node))
                fail("fdt_next_sibling returned %d", s);
        }
        struct walk w = { .f = &f };
        walk_props(&w, node);
    }
}

/* ---- 2. truncation -------------------------------------------------- */

static void truncation(const uint8_t *blob, size_t size)
{
    uint32_t off_struct = get_be32(blob + H_OFF_STRUCT);
    uint32_t size_struct = get_be32(blob + H_SIZE_STRUCT);
    uint32_t off_strings = get_be32(blob + H_OFF_STRINGS);
    uint32_t size_strings = get_be32(blob + H_SIZE_STRINGS);
    uint32_t off_rsvmap = get_be32(blob + H_OFF_RSVMAP);

    for (size_t len = 0; len < size; len++) {
        /* malloc(len) exactly: one byte past the copy is an ASan error. */
        uint8_t *buf = malloc(len ? len : 1);
        if (!buf) {
            fail("out of memory");
            return;
        }
        memcpy(buf, blob, len);

        /* (a) The untouched header claims more than the buffer holds. */
        set_case("truncated to %zu bytes, header untouched", len);
        struct fdt f;
        int err = fdt_open(&f, buf, len);
        CHECK(err < 0 && is_error_code(err),
              "fdt_open accepted a %zu-byte prefix (result %d)", len, err);
        /* Still call the walk on it: it must do nothing when open fails. */
        if (len > 0)
            open_and_walk(buf, len);

        /* (b) totalsize says `len` too, but the blocks still reach past it:
         * the per-block bounds must reject it. */
        if (len >= 8) {
            set_case("truncated to %zu bytes, totalsize patched", len);
            put_be32(buf + H_TOTALSIZE, (uint32_t)len);
            bool blocks_fit = (uint64_t)off_struct + size_struct <= len &&
                              (uint64_t)off_strings + size_strings <= len &&
                              off_rsvmap <= len;
            err = open_and_walk(buf, len);
            CHECK(blocks_fit || err == FDT_ERR_BADHEADER,
                  "fdt_open accepted blocks reaching past totalsize (result %d)", err);
        }

        /* (c) A fully self-consistent header: every block clipped to the
         * prefix.  It must be accepted, and the cut structure and strings
         * blocks must then be walked without reading past them. */
        if (len >= H_SIZE) {
            set_case("truncated to %zu bytes, header clipped to fit", len);
            uint32_t l = (uint32_t)len;
            uint32_t os = off_struct <= l ? off_struct : (l & ~3u);
            uint32_t ss = off_struct <= l ? ((l - os < size_struct ? l - os : size_struct) & ~3u) : 0;
            uint32_t ot = off_strings <= l ? off_strings : l;
            uint32_t st = off_strings <= l ? (l - ot < size_strings ? l - ot : size_strings) : 0;
            uint32_t orsv = off_rsvmap <= l ? off_rsvmap : (l & ~7u);
            put_be32(buf + H_TOTALSIZE, l);
            put_be32(buf + H_OFF_STRUCT, os);
            put_be32(buf + H_SIZE_STRUCT, ss);
            put_be32(buf + H_OFF_STRINGS, ot);
            put_be32(buf + H_SIZE_STRINGS, st);
            put_be32(buf + H_OFF_RSVMAP, orsv);
            unsigned long before = failures;
            err = open_and_walk(buf, len);
            CHECK(err == 0, "fdt_open rejected a consistent clipped header: %s",
                  fdt_strerror(err));
            CHECK(failures == before, "the walk failed on a truncated blob");
        }
        free(buf);
    }
}

/* ---- 3. corruption -------------------------------------------------- */

/* One corrupted blob: `buf` is an exact-size buffer already holding it. */
static void corrupted_case(const uint8_t *buf, size_t size)
{
    unsigned long before = failures;
    open_and_walk(buf, size);
    CHECK(failures == before, "the walk failed on a corrupted blob");
}

static void byte_flips(const uint8_t *blob, size_t size, uint8_t *buf)
{
    /* 0x01/0x02/0x03/0x04/0x09 turn the low byte of a token into
     * BEGIN_NODE/END_NODE/PROP/NOP/END; 0x00 and 0xff hit lengths,
     * offsets and string terminators; xor 0x80 flips a high bit. */
    static const int values[] = { 0x00, 0xff, 0x01, 0x02, 0x03, 0x04, 0x09, -1 };
    for (size_t off = 0; off < size; off++) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            memcpy(buf, blob, size);
            buf[off] = values[i] < 0 ? (uint8_t)(blob[off] ^ 0x80) : (uint8_t)values[i];
            if (values[i] < 0)
                set_case("byte %zu xor 0x80", off);
            else
                set_case("byte %zu set to 0x%02x", off, values[i]);
            corrupted_case(buf, size);
        }
    }
}

static void word_overwrites(const uint8_t *blob, size_t size, uint8_t *buf)
{
    uint32_t s = (uint32_t)size;
    uint32_t size_struct = get_be32(blob + H_SIZE_STRUCT);
    /* Lengths and offsets at and around the limits, where a missing or
     * overflowing bounds check would show. */
    const uint32_t values[] = {
        0, 1, 2, 3, 4, 9, 0x7fffffff, 0x80000000, 0xfffffff0, 0xfffffffc,
        0xffffffff, s, s - 4, s + 4, size_struct, size_struct - 4,
        size_struct - 12, size_struct + 4,
    };
    for (size_t off = 0; off + 4 <= size; off += 4) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            memcpy(buf, blob, size);
            put_be32(buf + off, values[i]);
            set_case("word at %zu set to %#" PRIx32, off, values[i]);
            corrupted_case(buf, size);
        }
    }
}

/* xorshift64*: small, deterministic, the same sequence on every host. */
static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 32);
}

static void random_corruptions(const uint8_t *blob, size_t size, uint8_t *buf)
{
    uint32_t off_struct = get_be32(blob + H_OFF_STRUCT);
    uint32_t size_struct = get_be32(blob + H_SIZE_STRUCT);
    static const uint32_t tokens[] = { 1, 2, 3, 4, 9 };
    for (int c = 0; c < RANDOM_CASES; c++) {
        set_case("random corruption %d", c);
        memcpy(buf, blob, size);
        int n = 1 + (int)(rnd() % 8);
        for (int i = 0; i < n; i++) {
            /* Mostly aim at the structure block, where the parser works
             * hardest; a header hit usually just fails fdt_open. */
            uint32_t at = off_struct + (rnd() % size_struct & ~3u);
            switch (rnd() % 4) {
            case 0:             /* any byte anywhere */
                buf[rnd() % size] = (uint8_t)rnd();
                break;
            case 1:             /* a token where it does not belong */
                put_be32(buf + at, tokens[rnd() % 5]);
                break;
            case 2:             /* a small or huge length/offset */
                put_be32(buf + at, rnd() % 2 ? rnd() % 64 : 0xffffffff - rnd() % 64);
                break;
            default:            /* a word copied from elsewhere in the block */
                memcpy(buf + at, blob + off_struct + (rnd() % size_struct & ~3u), 4);
                break;
            }
        }
        corrupted_case(buf, size);
    }
}

/* ---- memory layouts ------------------------------------------------- */

/*
 * ASan only notices a read past the end of the whole buffer (or before its
 * start).  dtc puts the strings block last, so an overread of a property
 * name is caught, but an overread of the structure block would land in the
 * strings block and go unseen.  So every phase also runs on a rearranged
 * copy, header | memory reservation map | strings | structure, where the
 * structure block ends exactly at the end of the buffer.  Both are valid
 * blobs: the header's offsets, not the order, define the layout.
 */
static uint8_t *make_struct_last(const uint8_t *blob, size_t *size)
{
    uint32_t off_struct = get_be32(blob + H_OFF_STRUCT);
    uint32_t size_struct = get_be32(blob + H_SIZE_STRUCT);
    uint32_t off_strings = get_be32(blob + H_OFF_STRINGS);
    uint32_t size_strings = get_be32(blob + H_SIZE_STRINGS);
    uint32_t off_rsvmap = get_be32(blob + H_OFF_RSVMAP);

    /* The reservation map runs up to and including its all-zero entry. */
    uint32_t rsv_len = 0;
    for (;;) {
        if ((uint64_t)off_rsvmap + rsv_len + 16 > *size)
            return NULL;
        const uint8_t *e = blob + off_rsvmap + rsv_len;
        rsv_len += 16;
        bool zero = true;
        for (int i = 0; i < 16; i++)
            zero &= e[i] == 0;
        if (zero)
            break;
    }
    uint32_t new_rsv = H_SIZE;                           /* 8-aligned */
    uint32_t new_strings = new_rsv + rsv_len;
    uint32_t new_struct = (new_strings + size_strings + 3) & ~3u;
    uint32_t total = new_struct + size_struct;

    uint8_t *out = calloc(1, total);
    if (!out)
        return NULL;
    memcpy(out, blob, H_SIZE);
    memcpy(out + new_rsv, blob + off_rsvmap, rsv_len);
    memcpy(out + new_strings, blob + off_strings, size_strings);
    memcpy(out + new_struct, blob + off_struct, size_struct);
    put_be32(out + H_TOTALSIZE, total);
    put_be32(out + H_OFF_RSVMAP, new_rsv);
    put_be32(out + H_OFF_STRINGS, new_strings);
    put_be32(out + H_OFF_STRUCT, new_struct);
    *size = total;
    return out;
}

/* Every phase on one layout of the sample (`blob` is exactly `size` bytes).
 * Returns false if the positive checks failed: then the blob is not the
 * sample (or the reader is badly broken), and fuzzing it would only bury
 * the first failure under noise. */
static bool run_phases(const char *name, const uint8_t *blob, size_t size)
{
    layout = name;
    printf("%s (%zu bytes):\n", name, size);
    unsigned long n = checks, before = failures;
    positive_checks(blob, size);
    printf("  positive: %lu checks\n", checks - n);
    if (failures != before) {
        printf("  positive checks failed: skipping the robustness phases\n");
        return false;
    }
    n = checks;
    arbitrary_offsets(blob, size);
    printf("  arbitrary node offsets: %lu checks\n", checks - n);
    n = checks;
    truncation(blob, size);
    printf("  truncation: %lu checks\n", checks - n);

    uint8_t *buf = malloc(size);            /* exact size, reused per case */
    n = checks;
    byte_flips(blob, size, buf);
    printf("  byte flips: %lu checks\n", checks - n);
    n = checks;
    word_overwrites(blob, size, buf);
    printf("  word overwrites: %lu checks\n", checks - n);
    n = checks;
    random_corruptions(blob, size, buf);
    printf("  random corruptions: %lu checks\n", checks - n);
    free(buf);
    return true;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc != 2) {
        fprintf(stderr, "usage: %s sample.dtb\n", argv[0]);
        return 2;
    }
#ifdef __SANITIZE_ADDRESS__
    __sanitizer_set_death_callback(on_sanitizer_death);
#endif
    struct sigaction sa = { .sa_handler = on_alarm };
    sigaction(SIGPROF, &sa, NULL);
    /* ITIMER_PROF counts the process's CPU time (user and system). */
    struct itimerval watchdog = { .it_value = { .tv_sec = WATCHDOG_SECONDS } };
    setitimer(ITIMER_PROF, &watchdog, NULL);

    size_t size = 0;
    uint8_t *file = read_file(argv[1], &size);
    if (!file) {
        printf("FAIL: cannot read %s\n", argv[1]);
        return 1;
    }
    if (size < H_SIZE || get_be32(file + H_MAGIC) != FDT_MAGIC ||
        get_be32(file + H_TOTALSIZE) != size) {
        printf("FAIL: %s is not a %zu-byte device tree blob\n", argv[1], size);
        free(file);
        return 1;
    }
    /* Exact-size copies, so even the positive checks run under ASan's eye. */
    uint8_t *blob = malloc(size);
    memcpy(blob, file, size);
    free(file);
    if (run_phases("dtc layout (strings last)", blob, size)) {
        size_t size2 = size;
        uint8_t *blob2 = make_struct_last(blob, &size2);
        if (blob2)
            run_phases("rearranged layout (structure last)", blob2, size2);
        else
            fail("cannot rearrange %s", argv[1]);
        free(blob2);
    }
    free(blob);

    if (failures) {
        printf("fdt_test: %lu of %lu checks FAILED\n", failures, checks);
        return 1;
    }
    printf("fdt_test: %lu checks passed\n", checks);
    return 0;
}
