/*
 * lineshare: a QEMU TCG plugin that counts the accesses that would move a
 * cache line from one hart to another (make lineshare, bench/README.md
 * "make lineshare").
 *
 * QEMU has no caches; this models the simplest coherent one, per 64-byte
 * physical line, with every hart's cache unbounded: a line has a writer
 * (the hart that stored to it last) and the set of harts that have read
 * it since.  A *move* is
 *   - a load by a hart that is neither the line's writer nor has read it
 *     since that store (the line must come from the writer's cache), or
 *   - a store by a hart while another hart holds the line (it was the
 *     writer, or has read it since): the others' copies are invalidated.
 * A real cache forgets: a line nobody touched for a long time would come
 * from memory on any hart, moved or not.  So each move is also filed by
 * its *age*: the accesses (all harts') since any hart last touched the
 * line.  A young move is one a real cache would pay for as a transfer
 * between cores; an old one it would pay for as a miss anyway.
 *
 * Counted only inside marked sections (the marks of user/include/profile.h,
 * which `prof CMD` puts around a command, as for make profile).  Under
 * -icount QEMU runs the harts in turns, long slices each, so moves are
 * few and say little: count without it.
 *
 * Arguments: out=FILE (required).  The file, written when QEMU exits:
 *   accesses N moves M untracked U
 *   age <1k A <10k B <100k C <1M D <10M E older F
 *   line PA va=VA moves=N      (the lines that moved most, most first)
 *   pc ADDR size=S word=W moves=N young=Y   (every instruction whose accesses
 *                      moved lines, most young moves (age below YOUNG)
 *                      first, then most moves; size and word for
 *                      scripts/lineshare.py to name them; it ranks them
 *                      either way)
 * `untracked`: accesses to lines beyond the table (then counts are low).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "qemu_plugin_api.h"

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;

#define SLTI_X0(imm)   (((uint32_t)(imm) << 20) | (2u << 12) | 0x13u)
#define MARK_BEGIN     SLTI_X0(0x7b1)
#define MARK_END       SLTI_X0(0x7b0)

#define LINE_SHIFT   6
#define LINE_SLOTS   (1u << 22)          /* 256 MiB of guest memory at most */
#define LINE_LIMIT   (LINE_SLOTS / 4 * 3) /* a fuller open-addressing table crawls */
#define PC_SLOTS     (1u << 16)
#define PC_LIMIT     (PC_SLOTS / 4 * 3)
#define MAX_HARTS    8                   /* readers: one bit a hart */
#define AGE_BUCKETS  6                   /* <1k <10k <100k <1M <10M older */
#define YOUNG        100000              /* accesses: a move a real cache pays for */
#define TOP_LINES    30

struct line {
    uint64_t key;            /* physical line number + 1; 0: empty slot */
    uint64_t stamp;          /* `accesses` when any hart last touched it */
    uint64_t va;             /* the virtual address of its last move */
    uint32_t moves;
    uint8_t writer;          /* hart + 1 that stored last; 0: none yet */
    uint8_t readers;         /* harts that loaded it since that store */
};

struct pc {
    uint64_t pc;             /* 0: empty slot */
    uint64_t moves, young;   /* young: of age below YOUNG */
    uint32_t word, size;     /* the instruction, for naming it */
};

static struct line *lines;
static struct pc *pcs;
static unsigned nlines, npcs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;   /* all of the above */
static uint64_t accesses, moves, untracked, by_age[AGE_BUCKETS];
static int counting;         /* inside a marked section */
static char *out_path;

static uint64_t hash(uint64_t x)
{
    return x * 0x9e3779b97f4a7c15ull;
}

/* The line's record, made on first use; NULL when the table is full. */
static struct line *line_of(uint64_t pa)
{
    uint64_t key = (pa >> LINE_SHIFT) + 1;
    for (uint64_t s = hash(key) >> (64 - 22);; s = (s + 1) & (LINE_SLOTS - 1)) {
        if (lines[s].key == key)
            return &lines[s];
        if (!lines[s].key) {
            if (nlines >= LINE_LIMIT)
                return NULL;
            nlines++;
            lines[s].key = key;
            return &lines[s];
        }
    }
}

/* The instruction's record (made at translation; the table only grows). */
static struct pc *pc_of(uint64_t pc)
{
    for (uint64_t s = hash(pc) >> (64 - 16);; s = (s + 1) & (PC_SLOTS - 1)) {
        if (pcs[s].pc == pc)
            return &pcs[s];
        if (!pcs[s].pc) {
            if (npcs >= PC_LIMIT)
                return NULL;
            npcs++;
            pcs[s].pc = pc;
            return &pcs[s];
        }
    }
}

static int age_bucket(uint64_t age)
{
    int b = 0;
    for (uint64_t limit = 1000; b < AGE_BUCKETS - 1 && age >= limit; limit *= 10)
        b++;
    return b;
}

static void on_access(unsigned int vcpu, qemu_plugin_meminfo_t info, uint64_t va, void *udata)
{
    if (!__atomic_load_n(&counting, __ATOMIC_RELAXED) || vcpu >= MAX_HARTS)
        return;
    struct qemu_plugin_hwaddr *hw = qemu_plugin_get_hwaddr(info, va);
    if (!hw)
        return;
    uint64_t pa = qemu_plugin_hwaddr_phys_addr(hw);
    bool store = qemu_plugin_mem_is_store(info);
    uint8_t me = (uint8_t)(1u << vcpu);
    pthread_mutex_lock(&lock);
    accesses++;
    struct line *l = line_of(pa);
    if (!l) {
        untracked++;
        pthread_mutex_unlock(&lock);
        return;
    }
    bool others_hold = (l->writer && l->writer != vcpu + 1) || (l->readers & ~me);
    bool moved = store ? others_hold
                       : l->writer && l->writer != vcpu + 1 && !(l->readers & me);
    if (store) {
        l->writer = (uint8_t)(vcpu + 1);
        l->readers = 0;
    } else {
        l->readers |= me;
    }
    if (moved) {
        uint64_t age = accesses - l->stamp;
        moves++;
        by_age[age_bucket(age)]++;
        l->moves++;
        l->va = va;
        struct pc *p = udata;
        if (p) {
            p->moves++;
            p->young += age < YOUNG;
        }
    }
    l->stamp = accesses;
    pthread_mutex_unlock(&lock);
}

static void section_begins(unsigned int vcpu, void *udata)
{
    (void)vcpu, (void)udata;
    __atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
}

static void section_ends(unsigned int vcpu, void *udata)
{
    (void)vcpu, (void)udata;
    __atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    for (size_t i = 0; i < qemu_plugin_tb_n_insns(tb); i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t word = 0;
        size_t size = qemu_plugin_insn_size(insn);
        memcpy(&word, qemu_plugin_insn_data(insn), size < 4 ? size : 4);
        if (size == 4 && word == MARK_BEGIN) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, section_begins, QEMU_PLUGIN_CB_NO_REGS, NULL);
            continue;
        }
        if (size == 4 && word == MARK_END) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, section_ends, QEMU_PLUGIN_CB_NO_REGS, NULL);
            continue;
        }
        /* Translation may run on several vCPU threads at once. */
        pthread_mutex_lock(&lock);
        struct pc *p = pc_of(qemu_plugin_insn_vaddr(insn));
        if (p) {
            p->word = word;
            p->size = (uint32_t)size;
        }
        pthread_mutex_unlock(&lock);
        qemu_plugin_register_vcpu_mem_cb(insn, on_access, QEMU_PLUGIN_CB_NO_REGS,
                                         QEMU_PLUGIN_MEM_RW, p);
    }
}

static int most_moved_line(const void *a, const void *b)
{
    uint32_t x = ((const struct line *)a)->moves, y = ((const struct line *)b)->moves;
    return x < y ? 1 : x > y ? -1 : 0;
}

static int most_young_pc(const void *a, const void *b)
{
    const struct pc *x = a, *y = b;
    if (x->young != y->young)
        return x->young < y->young ? 1 : -1;
    return x->moves < y->moves ? 1 : x->moves > y->moves ? -1 : 0;
}

static void write_report(qemu_plugin_id_t id, void *udata)
{
    (void)id, (void)udata;
    FILE *f = fopen(out_path, "w");
    if (!f) {
        fprintf(stderr, "lineshare: cannot write %s\n", out_path);
        return;
    }
    fprintf(f, "accesses %" PRIu64 " moves %" PRIu64 " untracked %" PRIu64 "\n", accesses,
            moves, untracked);
    fprintf(f, "age <1k %" PRIu64 " <10k %" PRIu64 " <100k %" PRIu64 " <1M %" PRIu64
            " <10M %" PRIu64 " older %" PRIu64 "\n",
            by_age[0], by_age[1], by_age[2], by_age[3], by_age[4], by_age[5]);
    qsort(lines, LINE_SLOTS, sizeof *lines, most_moved_line);
    for (int i = 0; i < TOP_LINES && lines[i].moves; i++)
        fprintf(f, "line %#" PRIx64 " va=%#" PRIx64 " moves=%" PRIu32 "\n",
                (lines[i].key - 1) << LINE_SHIFT, lines[i].va, lines[i].moves);
    qsort(pcs, PC_SLOTS, sizeof *pcs, most_young_pc);
    for (unsigned i = 0; i < PC_SLOTS && pcs[i].moves; i++)
        fprintf(f, "pc %#" PRIx64 " size=%" PRIu32 " word=%#" PRIx32 " moves=%" PRIu64
                " young=%" PRIu64 "\n", pcs[i].pc, pcs[i].size, pcs[i].word, pcs[i].moves,
                pcs[i].young);
    fclose(f);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                      char **argv)
{
    if (!info->system_emulation) {
        fprintf(stderr, "lineshare: system emulation only (it needs physical addresses)\n");
        return -1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) != 0) {
            fprintf(stderr, "lineshare: unknown argument '%s' (it takes out=FILE)\n", argv[i]);
            return -1;
        }
        out_path = argv[i] + 4;
    }
    if (!out_path || !*out_path) {
        fprintf(stderr, "lineshare: give out=FILE (where the report goes)\n");
        return -1;
    }
    if (info->system.max_vcpus > MAX_HARTS) {
        fprintf(stderr, "lineshare: at most %d harts\n", MAX_HARTS);
        return -1;
    }
    lines = calloc(LINE_SLOTS, sizeof *lines);
    pcs = calloc(PC_SLOTS, sizeof *pcs);
    if (!lines || !pcs) {
        fprintf(stderr, "lineshare: out of memory for its tables\n");
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_report, NULL);
    return 0;
}
