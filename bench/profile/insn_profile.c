/*
 * insn_profile: a QEMU TCG plugin that counts, by address, every guest
 * instruction executed inside marked sections (make profile,
 * bench/README.md "Seeing where the time goes").
 *
 *   qemu-system-riscv64 ... -plugin build/profile/insn_profile.so,out=FILE
 *
 * A section begins when any hart executes `slti x0, x0, 0x7b1` and ends at
 * `slti x0, x0, 0x7b0` (user/include/profile.h): writes to x0 are hints,
 * which real hardware executes as no-ops, so marked code runs unchanged
 * elsewhere.  Counting is global, not per hart: between a begin and an end
 * every instruction any hart executes is counted (the kernel's, another
 * process's), which is what a section costs the machine.  The markers
 * themselves are not counted.
 *
 * Each instruction is counted by an execution callback that QEMU calls
 * before the instruction runs, so a block left halfway (a trap, an
 * interrupt) counts only what ran.  An instruction QEMU starts twice (one
 * that takes a page fault and is retried, an I/O access that -icount
 * replays) counts twice: deterministically so.
 *
 * Counts are kept per (address, instruction bytes): different processes
 * run different code at the same user address, and the bytes let the
 * report (scripts/profile_report.py) tell which program an address was.
 * At exit the plugin writes FILE: a header, then one line per instruction
 * that ran in a section.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qemu_plugin_api.h"

PLUGIN_EXPORT int qemu_plugin_version = PLUGIN_API_VERSION;

/* slti x0, x0, IMM: opcode OP-IMM (0x13), funct3 2, rd = rs1 = x0. */
#define SLTI_X0(imm)   (((uint32_t)(imm) << 20) | (2u << 12) | 0x13u)
#define MARK_BEGIN     SLTI_X0(0x7b1)
#define MARK_END       SLTI_X0(0x7b0)
_Static_assert(MARK_BEGIN == 0x7b102013u, "the encoding user/include/profile.h emits");
_Static_assert(MARK_END == 0x7b002013u, "the encoding user/include/profile.h emits");

/* One instruction, as distinct (address, bytes).  Never freed or moved:
 * QEMU keeps a pointer to it in every translated block that holds it. */
struct insn_count {
    uint64_t vaddr;
    uint32_t word;                      /* the bytes, little-endian */
    uint32_t size;                      /* 2 (compressed) or 4 */
    uint64_t count;                     /* executions inside sections */
    struct insn_count *next;            /* hash chain */
};

/* Chained hash table of every instruction translated so far.  Only
 * translation touches it (under table_lock: vCPU threads may translate at
 * once without -icount); execution goes straight to the record. */
#define TABLE_BITS_START 16
static struct insn_count **table;
static size_t table_bits, table_entries;
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* Section state: read by every executed instruction, hence plain words
 * with relaxed atomics rather than a lock. */
static int counting;
static uint64_t sections, begins_ignored, ends_ignored;

static const char *out_path;

static size_t slot_of(uint64_t vaddr, uint32_t word, size_t bits)
{
    uint64_t h = (vaddr ^ ((uint64_t)word << 17)) * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> (64 - bits));
}

static void grow_table(void)
{
    size_t bits = table_bits + 1;
    struct insn_count **bigger = calloc((size_t)1 << bits, sizeof *bigger);
    if (!bigger) {
        fprintf(stderr, "insn_profile: out of memory growing the table\n");
        abort();
    }
    for (size_t i = 0; i < ((size_t)1 << table_bits); i++) {
        struct insn_count *r = table[i];
        while (r) {
            struct insn_count *next = r->next;
            size_t s = slot_of(r->vaddr, r->word, bits);
            r->next = bigger[s];
            bigger[s] = r;
            r = next;
        }
    }
    free(table);
    table = bigger;
    table_bits = bits;
}

/* The record of (vaddr, word, size), made on first sight.  table_lock held. */
static struct insn_count *record_for(uint64_t vaddr, uint32_t word, uint32_t size)
{
    size_t s = slot_of(vaddr, word, table_bits);
    for (struct insn_count *r = table[s]; r; r = r->next)
        if (r->vaddr == vaddr && r->word == word && r->size == size)
            return r;
    struct insn_count *r = calloc(1, sizeof *r);
    if (!r) {
        fprintf(stderr, "insn_profile: out of memory\n");
        abort();
    }
    r->vaddr = vaddr;
    r->word = word;
    r->size = size;
    r->next = table[s];
    table[s] = r;
    if (++table_entries > ((size_t)1 << table_bits))
        grow_table();                   /* chains stay about one long */
    return r;
}

static void on_insn(unsigned int vcpu, void *userdata)
{
    (void)vcpu;
    if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
        __atomic_fetch_add(&((struct insn_count *)userdata)->count, 1, __ATOMIC_RELAXED);
}

static void on_begin(unsigned int vcpu, void *userdata)
{
    (void)vcpu; (void)userdata;
    /* A begin inside a section is not a new section: the counts go on. */
    if (__atomic_exchange_n(&counting, 1, __ATOMIC_RELAXED))
        __atomic_fetch_add(&begins_ignored, 1, __ATOMIC_RELAXED);
}

static void on_end(unsigned int vcpu, void *userdata)
{
    (void)vcpu; (void)userdata;
    if (__atomic_exchange_n(&counting, 0, __ATOMIC_RELAXED))
        __atomic_fetch_add(&sections, 1, __ATOMIC_RELAXED);
    else
        __atomic_fetch_add(&ends_ignored, 1, __ATOMIC_RELAXED);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    pthread_mutex_lock(&table_lock);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint32_t word = 0;
        size_t size = qemu_plugin_insn_size(insn);
        memcpy(&word, qemu_plugin_insn_data(insn), size < 4 ? size : 4);
        if (size == 4 && word == MARK_BEGIN) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else if (size == 4 && word == MARK_END) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
        } else {
            struct insn_count *r = record_for(qemu_plugin_insn_vaddr(insn), word,
                                              (uint32_t)size);
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_insn, QEMU_PLUGIN_CB_NO_REGS, r);
        }
    }
    pthread_mutex_unlock(&table_lock);
}

static int by_address(const void *a, const void *b)
{
    const struct insn_count *x = *(struct insn_count *const *)a;
    const struct insn_count *y = *(struct insn_count *const *)b;
    if (x->vaddr != y->vaddr)
        return x->vaddr < y->vaddr ? -1 : 1;
    return x->word < y->word ? -1 : x->word > y->word;
}

/* Writes the counts, sorted, so that equal runs give equal files. */
static void write_profile(qemu_plugin_id_t id, void *userdata)
{
    (void)id; (void)userdata;
    pthread_mutex_lock(&table_lock);
    size_t n = 0;
    struct insn_count **ran = malloc((table_entries + 1) * sizeof *ran);
    FILE *f = fopen(out_path, "w");
    if (!ran || !f) {
        fprintf(stderr, "insn_profile: cannot write %s\n", out_path);
        pthread_mutex_unlock(&table_lock);
        return;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < ((size_t)1 << table_bits); i++)
        for (struct insn_count *r = table[i]; r; r = r->next)
            if (r->count) {
                ran[n++] = r;
                total += r->count;
            }
    qsort(ran, n, sizeof *ran, by_address);
    fprintf(f, "# schedos instruction profile (bench/profile/insn_profile.c)\n");
    fprintf(f, "sections %" PRIu64 "\n", sections);
    fprintf(f, "unfinished %d\n", counting);
    fprintf(f, "begins_ignored %" PRIu64 "\n", begins_ignored);
    fprintf(f, "ends_ignored %" PRIu64 "\n", ends_ignored);
    fprintf(f, "total %" PRIu64 "\n", total);
    fprintf(f, "# insn VADDR SIZE BYTES COUNT\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "insn %016" PRIx64 " %" PRIu32 " %08" PRIx32 " %" PRIu64 "\n",
                ran[i]->vaddr, ran[i]->size, ran[i]->word, ran[i]->count);
    int bad = ferror(f);
    bad |= fclose(f);
    if (bad)
        fprintf(stderr, "insn_profile: error writing %s\n", out_path);
    free(ran);
    pthread_mutex_unlock(&table_lock);
}

PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                      int argc, char **argv)
{
    if (info->version.cur < PLUGIN_API_VERSION || info->version.min > PLUGIN_API_VERSION) {
        fprintf(stderr, "insn_profile: written for plugin API %d; this QEMU has %d..%d\n",
                PLUGIN_API_VERSION, info->version.min, info->version.cur);
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0 && argv[i][4]) {
            out_path = argv[i] + 4;
        } else {
            fprintf(stderr, "insn_profile: unknown argument '%s' (it takes out=FILE)\n",
                    argv[i]);
            return 1;
        }
    }
    if (!out_path) {
        fprintf(stderr, "insn_profile: out=FILE is required "
                "(-plugin insn_profile.so,out=FILE)\n");
        return 1;
    }
    table_bits = TABLE_BITS_START;
    table = calloc((size_t)1 << table_bits, sizeof *table);
    if (!table)
        return 1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, write_profile, NULL);
    return 0;
}
