#include "sched/blob.h"
#include "mm/frame.h"
#include "mm/vm.h"
#include "kernel/panic.h"
#include "lib/format.h"
#include "lib/string.h"
#include "memlayout.h"
#include "arch/riscv.h"

struct embedded { const uint8_t *start, *end; };
extern const struct embedded embedded_blobs[];

uint32_t blob_checksum(const void *data, size_t size)
{
    const uint8_t *p = data;
    uint32_t h = 0x811c9dc5;
    for (size_t i = 0; i < size; i++) {
        /* The checksum field (bytes 36..39) counts as zero. */
        uint8_t b = i >= 36 && i < 40 ? 0 : p[i];
        h = (h ^ b) * 0x01000193;
    }
    return h;
}

#define REFUSE(...) do { snprintf(why, why_size, __VA_ARGS__); return false; } while (0)

bool blob_validate(const void *data, size_t avail, char *why, size_t why_size)
{
    struct sched_blob_header h;
    if (avail < sizeof(h))
        REFUSE("shorter than the %zu-byte header", sizeof(h));
    memcpy(&h, data, sizeof(h));
    if (h.magic != SCHED_ABI_MAGIC)
        REFUSE("bad magic 0x%08x (want 0x%08x)", h.magic, SCHED_ABI_MAGIC);
    /* The name is checked below; here it only labels the message (at most
     * its 16 bytes, NUL-terminated or not). */
    int name_len = (int)strnlen(h.name, sizeof(h.name));
    /* A blob from before 2.0 may assume a 2 KiB queue and at most 256
     * tasks: run on a bigger table it would misbehave, so say what changed
     * and what to do. */
    if (h.abi_major < SCHED_ABI_MAJOR)
        REFUSE("policy '%.*s': built for scheduler ABI %u.%u; this kernel needs %u.x "
               "(queues now sized by task count, SCHED_QUEUE_WORDS(n)): rebuild it "
               "against sched_abi/", name_len, h.name, h.abi_major, h.abi_minor,
               SCHED_ABI_MAJOR);
    if (h.abi_major != SCHED_ABI_MAJOR || h.abi_minor > SCHED_ABI_MINOR)
        REFUSE("policy '%.*s': built for scheduler ABI %u.%u, newer than this kernel's %u.%u",
               name_len, h.name, h.abi_major, h.abi_minor, SCHED_ABI_MAJOR, SCHED_ABI_MINOR);
    if (h.header_size != sizeof(h))
        REFUSE("header size %u, want %zu", h.header_size, sizeof(h));
    if (h.total_size < sizeof(h) || h.total_size > SCHED_BLOB_MAX || h.total_size > avail)
        REFUSE("total size %u outside %zu..%u", h.total_size, sizeof(h),
               (unsigned)(avail < SCHED_BLOB_MAX ? avail : SCHED_BLOB_MAX));
    if (strnlen(h.name, sizeof(h.name)) == sizeof(h.name) || h.name[0] == '\0')
        REFUSE("name is empty or not NUL-terminated");
    if (h.flags & ~SCHED_FLAGS_KNOWN)
        REFUSE("unknown flags 0x%x", h.flags & ~SCHED_FLAGS_KNOWN);
    for (int i = 0; i < 4; i++)
        if (h.reserved[i])
            REFUSE("reserved field %d is not zero", i);
    /* 2.4's optional yield_fetch: before 2.4 the field was reserved.  The
     * kernel never calls it (only a process's runtime does), but checks it
     * as it checks every entry, so that no blob it installs points a
     * runtime outside the code. */
    if (h.yield_fetch_offset && h.abi_minor < 4)
        REFUSE("yield_fetch at offset 0x%lx in an ABI %u.%u blob (the field is reserved "
               "before 2.4)", h.yield_fetch_offset, h.abi_major, h.abi_minor);
    if (h.yield_fetch_offset && (h.yield_fetch_offset < sizeof(h) ||
                                 h.yield_fetch_offset >= h.total_size))
        REFUSE("operation yield_fetch at offset 0x%lx, outside the code",
               h.yield_fetch_offset);
    if (h.yield_fetch_offset % 2)
        REFUSE("operation yield_fetch at offset 0x%lx, odd (instructions start at even "
               "offsets)", h.yield_fetch_offset);
    static const char *const op_names[SCHED_OP_COUNT] = {
        "init", "add", "fetch", "yield", "wake", "remove", "top_priority", "tick",
    };
    for (int i = 0; i < SCHED_OP_COUNT; i++) {
        if (h.op_offset[i] < sizeof(h) || h.op_offset[i] >= h.total_size)
            REFUSE("operation %s at offset 0x%lx, outside the code", op_names[i],
                   h.op_offset[i]);
        if (h.op_offset[i] % 2)
            REFUSE("operation %s at offset 0x%lx, odd (instructions start at even "
                   "offsets)", op_names[i], h.op_offset[i]);
    }
    uint32_t sum = blob_checksum(data, h.total_size);
    if (sum != h.checksum)
        REFUSE("checksum 0x%08x, computed 0x%08x", h.checksum, sum);
    return true;
}

const struct sched_blob_header *blob_find_embedded(const char *name, size_t len)
{
    for (const struct embedded *e = embedded_blobs; e->start; e++) {
        const struct sched_blob_header *h = (const void *)e->start;
        if (strnlen(h->name, sizeof(h->name)) == len && strncmp(h->name, name, len) == 0)
            return h;
    }
    return NULL;
}

void blob_list_embedded(char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (const struct embedded *e = embedded_blobs; e->start; e++) {
        const struct sched_blob_header *h = (const void *)e->start;
        used += (size_t)snprintf(out + used, used < size ? size - used : 0, "%s%s",
                                 used ? " " : "", h->name);
    }
}

static void *code_frames[SHARED_CODE_PAGES];

/* The code pages: allocated and mapped for the kernel once; every install
 * overwrites them. */
static void map_code_pages(void)
{
    if (code_frames[0])
        return;
    for (int i = 0; i < SHARED_CODE_PAGES; i++) {
        code_frames[i] = frame_alloc();
        if (!code_frames[i] ||
            vm_map(kernel_pagetable, SHARED_KALIAS + (uint64_t)i * PAGE_SIZE,
                   VA2PA(code_frames[i]), PAGE_SIZE, PTE_R | PTE_X | PTE_G, 0))
            panic("sched: cannot map the shared code pages");
    }
    sfence_vma();
}

void blob_install(const struct sched_blob_header *blob, struct sched_ops *ops)
{
    map_code_pages();
    const uint8_t *src = (const void *)blob;
    for (int i = 0; i < SHARED_CODE_PAGES; i++) {
        size_t off = (size_t)i * PAGE_SIZE;
        size_t n = off < blob->total_size ? blob->total_size - off : 0;
        if (n > PAGE_SIZE)
            n = PAGE_SIZE;
        memcpy(code_frames[i], src + off, n);
        memset((char *)code_frames[i] + n, 0, PAGE_SIZE - n);
    }
    __asm__ volatile("fence.i" ::: "memory");
    void *base = (void *)SHARED_KALIAS;
    uint64_t off[SCHED_OP_COUNT];
    memcpy(off, blob->op_offset, sizeof(off));
    ops->init = (void *)((char *)base + off[SCHED_OP_INIT]);
    ops->add = (void *)((char *)base + off[SCHED_OP_ADD]);
    ops->fetch = (void *)((char *)base + off[SCHED_OP_FETCH]);
    ops->yield = (void *)((char *)base + off[SCHED_OP_YIELD]);
    ops->wake = (void *)((char *)base + off[SCHED_OP_WAKE]);
    ops->remove = (void *)((char *)base + off[SCHED_OP_REMOVE]);
    ops->top_priority = (void *)((char *)base + off[SCHED_OP_TOP]);
    ops->tick = (void *)((char *)base + off[SCHED_OP_TICK]);
}

void *blob_code_frame(int i)
{
    map_code_pages();
    return code_frames[i];
}
