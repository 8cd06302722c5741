/*
 * The part of QEMU's TCG plugin interface that insn_profile.c uses,
 * declared here because Debian's QEMU ships without qemu-plugin.h.
 *
 * These declarations must match the ABI of the QEMU that loads the plugin:
 * Debian 12's qemu-system-riscv64 7.2, whose plugin API is version 1 (it
 * accepts plugins declaring 0 or 1: its refusal message says so when a
 * plugin declares anything else).  The functions are resolved at load time
 * against the QEMU binary itself (`nm -D $(which qemu-system-riscv64) |
 * grep qemu_plugin` lists them), so a wrong signature here is not caught
 * by any linker: each one below is checked against 7.2's API.
 */
#ifndef QEMU_PLUGIN_API_H
#define QEMU_PLUGIN_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The API version this plugin is written against; QEMU 7.2 supports 0..1. */
#define PLUGIN_API_VERSION 1

/* What QEMU must find in the shared object (all else can stay hidden). */
#define PLUGIN_EXPORT __attribute__((visibility("default")))

/* QEMU's handle for this plugin, passed back on registration. */
typedef uint64_t qemu_plugin_id_t;

/* Describes the QEMU that loaded the plugin (qemu_info_t in 7.2). */
typedef struct {
    const char *target_name;            /* "riscv64" */
    struct {
        int min;                        /* oldest API version accepted */
        int cur;                        /* newest */
    } version;
    bool system_emulation;              /* true: qemu-system-*, false: linux-user */
    union {
        struct {
            int smp_vcpus;
            int max_vcpus;
        } system;
    };
} qemu_info_t;

/* Opaque: valid only inside the translation callback that received them. */
struct qemu_plugin_tb;
struct qemu_plugin_insn;

/* Whether a callback reads or writes guest registers: 7.2's values. */
enum qemu_plugin_cb_flags {
    QEMU_PLUGIN_CB_NO_REGS = 0,
    QEMU_PLUGIN_CB_R_REGS = 1,
    QEMU_PLUGIN_CB_RW_REGS = 2,
};

typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

/* Called by QEMU once, after loading; nonzero refuses to start. */
PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                      int argc, char **argv);

/* Each block of guest code QEMU translates is shown to cb first. */
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
                                           qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);

/* An instruction's bytes as the guest had them, their number, its address
 * (virtual: the address the hart fetched it from). */
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);

/* cb(vcpu, userdata) runs each time the instruction is about to execute. */
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn,
                                            qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);

/* Memory accesses (lineshare.c).  In 7.2 a qemu_plugin_meminfo_t packs
 * the access's size, sign, endianness and direction into 32 bits; the
 * plugin only asks whether it was a store.  cb(vcpu, info, vaddr,
 * userdata) runs after each access the instruction makes. */
typedef uint32_t qemu_plugin_meminfo_t;
enum qemu_plugin_mem_rw {
    QEMU_PLUGIN_MEM_R = 1,
    QEMU_PLUGIN_MEM_W = 2,
    QEMU_PLUGIN_MEM_RW = 3,
};
typedef void (*qemu_plugin_vcpu_mem_cb_t)(unsigned int vcpu_index, qemu_plugin_meminfo_t info,
                                          uint64_t vaddr, void *userdata);
void qemu_plugin_register_vcpu_mem_cb(struct qemu_plugin_insn *insn,
                                      qemu_plugin_vcpu_mem_cb_t cb,
                                      enum qemu_plugin_cb_flags flags,
                                      enum qemu_plugin_mem_rw rw, void *userdata);
bool qemu_plugin_mem_is_store(qemu_plugin_meminfo_t info);
/* The physical address behind an access (system emulation): valid only
 * inside the memory callback; NULL where QEMU cannot say. */
struct qemu_plugin_hwaddr;
struct qemu_plugin_hwaddr *qemu_plugin_get_hwaddr(qemu_plugin_meminfo_t info, uint64_t vaddr);
uint64_t qemu_plugin_hwaddr_phys_addr(const struct qemu_plugin_hwaddr *haddr);

/* cb runs when QEMU exits (the guest powered off, or a signal QEMU handles). */
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);

/* A line on QEMU's log (stderr unless -D says otherwise). */
void qemu_plugin_outs(const char *string);

#endif
