#include "proc/exec.h"
#include "sched/shared.h"
#include "kernel/timeline.h"
#include "sched/coexec.h"
#include "fs/coio.h"
#include "proc/elf.h"
#include "proc/priority.h"
#include "sched/sched.h"
#include "fs/initrd.h"
#include "fs/file.h"
#include "mm/kmalloc.h"
#include "mm/uvm.h"
#include "mm/ustack.h"
#include "kernel/cpu.h"
#include "kernel/printf.h"
#include "lib/string.h"
#include "arch/riscv.h"
#include "uapi/errno.h"
#include "memlayout.h"

int exec_args_from_user(struct uspace *us, uint64_t upath, uint64_t uargv,
                        char path[MAX_PATH], struct exec_args *args)
{
    long n = copy_string_from_user(us, path, upath, MAX_PATH);
    if (n < 0)
        return (int)n;
    args->argc = 0;
    args->bytes = 0;
    for (;; args->argc++) {
        uint64_t uarg;
        if (copy_from_user(us, &uarg, uargv + 8 * (uint64_t)args->argc, 8))
            return -EFAULT;
        if (!uarg)
            break;
        if (args->argc == MAX_ARGS)
            return -E2BIG;
        char *dst = args->buf + args->bytes;
        n = copy_string_from_user(us, dst, uarg, MAX_ARG_BYTES - args->bytes);
        if (n == -ENAMETOOLONG)
            return -E2BIG;
        if (n < 0)
            return (int)n;
        args->argv[args->argc] = dst;
        args->bytes += (size_t)n + 1;
    }
    args->argv[args->argc] = NULL;
    return 0;
}

/* Writes argc/argv onto the top of the main stack (slot 0, claimed):
 * the strings, then the argv array, 16-byte aligned.  Returns the new sp and
 * the user address of argv. */
static int push_args(struct uspace *us, char *const argv[], int argc,
                     uint64_t *sp_out, uint64_t *argv_out)
{
    uint64_t sp = USER_STACK_TOP;
    uint64_t uptrs[MAX_ARGS + 1];
    for (int i = argc - 1; i >= 0; i--) {
        size_t len = strlen(argv[i]) + 1;
        sp -= len;
        if (copy_to_user(us, sp, argv[i], len))
            return -E2BIG;
        uptrs[i] = sp;
    }
    uptrs[argc] = 0;
    sp &= ~(uint64_t)15;
    sp -= 8 * (uint64_t)(argc + 1);
    sp &= ~(uint64_t)15;
    if (copy_to_user(us, sp, uptrs, 8 * (uint64_t)(argc + 1)))
        return -E2BIG;
    *sp_out = sp;
    *argv_out = sp;
    return 0;
}

/* Loads the program into us (empty user half, no stack slot in use):
 * segments and a main stack in slot 0 holding the arguments (its top page
 * mapped here, so that running out of memory is -ENOMEM, not -E2BIG). */
static int load_image(struct uspace *us, const char *path, char *const argv[], int argc,
                      uint64_t *entry, uint64_t *image_end, uint64_t *sp,
                      uint64_t *uargv)
{
    const void *file;
    size_t size;
    if (!initrd_find(path, &file, &size))
        return -ENOENT;
    int err = elf_validate(path, file, size);
    if (err)
        return err;
    pagetable_t pt = us->pt;
    err = elf_load(pt, file, entry, image_end);
    if (err)
        return err;
    ustack_claim(us, 0);
    hart_rwlock_lock(&us->lock);
    err = uvm_alloc(pt, ustack_top(0) - PAGE_SIZE, PAGE_SIZE, PTE_R | PTE_W);
    hart_rwlock_unlock(&us->lock);
    if (!err)
        err = push_args(us, argv, argc, sp, uargv);
    if (err)
        uvm_free_all(pt);
    return err;
}

static const char *base_name(const char *path)
{
    const char *slash = strchr(path, '/');
    while (slash) {
        path = slash + 1;
        slash = strchr(path, '/');
    }
    return path;
}

int exec_into(struct proc *p, const char *path, char *const argv[], int argc,
              struct thread **main_thread)
{
    uint64_t entry, image_end, sp, uargv;
    int err = load_image(&p->vm, path, argv, argc, &entry, &image_end, &sp, &uargv);
    if (err)
        return err;
    p->image_end = p->brk = image_end;
    struct thread *t = thread_create_user(p, shared_user_entry(), (uint64_t)argc, uargv,
                                          DEFAULT_PRIORITY, 0, &err);   /* a2 = slot 0 */
    if (!t)
        return err;
    t->tf->regs[REG_SP] = sp;
    t->tf->regs[REG_A0 + 3] = entry;
    if (main_thread)
        *main_thread = t;
    return 0;
}

int sys_spawn_impl(uint64_t upath, uint64_t uargv, const struct prio_start *start)
{
    struct thread *self = thread_current();
    struct proc *parent = self->proc;
    struct exec_args *args = kmalloc(sizeof(*args));
    char path[MAX_PATH];
    if (!args)
        return -ENOMEM;
    int err = exec_args_from_user(&parent->vm, upath, uargv, path, args);
    struct proc *child = err ? NULL : proc_alloc(base_name(path), &err);
    if (child) {
        /* The child gets the caller's standard input, output and error
         * (how the shell wires pipelines).  Only those three: a pipeline
         * stage must not hold the ends it does not use, or EOF and EPIPE
         * would never come.  First, while the child has no thread: a
         * failure then only needs proc_discard (which closes them). */
        spin_lock(&parent->lock);
        for (uint32_t fd = 0; fd <= STDERR_FILENO && !err; fd++) {
            struct file *f = fdtable_get(&parent->files, fd);
            if (f && (err = fdtable_set(&child->files, fd, f)) == 0)
                file_dup(f);
        }
        spin_unlock(&parent->lock);
        struct thread *t;
        if (!err)
            err = exec_into(child, path, args->argv, args->argc, &t);
        if (!err) {
            /* Its priority and ceiling were checked by prio_spawn_start. */
            t->priority = start->priority;
            child->prio_ceiling = start->ceiling;
            proc_adopt(parent, child);
            err = child->pid;
            proc_start_main_thread(child);
        } else {
            proc_discard(child);
        }
    }
    kfree(args);
    return err;
}

int sys_exec_impl(uint64_t upath, uint64_t uargv)
{
    struct thread *self = thread_current();
    struct proc *p = self->proc;
    struct exec_args *args = kmalloc(sizeof(*args));
    char path[MAX_PATH];
    if (!args)
        return -ENOMEM;
    int err = exec_args_from_user(&p->vm, upath, uargv, path, args);
    if (!err && p->live_threads > 1)
        err = -EBUSY;                 /* exec from a multi-threaded process */
    pagetable_t npt = err ? NULL : vm_create();
    if (!err && !npt)
        err = -ENOMEM;
    struct shared_region nshared;
    if (!err && (err = shared_map(npt, &nshared, p->pid)) != 0)
        vm_destroy(npt);
    /* The new space is this call's alone until it is installed. */
    struct uspace nvm = { .pt = npt, .lock = USPACE_LOCK_INIT("uspace") };
    uint64_t entry, image_end, sp, uargv_new;
    if (!err) {
        err = load_image(&nvm, path, args->argv, args->argc, &entry, &image_end,
                         &sp, &uargv_new);
        if (err) {
            shared_unmap(npt, &nshared);
            vm_destroy(npt);
        }
    }
    int argc = args->argc;
    kfree(args);
    if (!err) {
        spin_lock(&p->lock);
        err = proc_reserve_slot_thread(p, 0);    /* for self, below */
        spin_unlock(&p->lock);
        if (err) {
            shared_unmap(npt, &nshared);
            uvm_free_all(npt);
            vm_destroy(npt);
        }
    }
    if (err)
        return err;

    /* Point of no return: switch to the new image and drop the old one.
     * No other thread is live (live_threads counted under p->lock cannot
     * grow: only live threads create threads), but one that has exited
     * may still be on its way off a hart, running on the old page table. */
    coio_drop_all(p);                 /* they hold p: before the waits */
    coio_wait_released(p);            /* completers done with the old image */
    thread_wait_siblings_off_cpu(self);
    timeline_harvest(p);              /* the old image's own events */
    self->timeline_gen = 0;           /* named again, under its new name */
    uint32_t oexec_pages = coexec_detach(p);
    spin_lock(&p->lock);
    hart_rwlock_lock(&p->vm.lock);
    pagetable_t old = p->vm.pt;
    struct shared_region oshared = p->shared;
    p->vm.pt = npt;
    hart_rwlock_unlock(&p->vm.lock);
    ustack_reset(&p->vm);
    ustack_claim(&p->vm, 0);            /* the new image's main stack */
    p->shared = nshared;
    proc_set_slot_thread(p, self->stack_slot, NULL);
    proc_set_slot_thread(p, 0, self);
    p->satp = MAKE_SATP(VA2PA(npt));
    p->image_end = p->brk = image_end;
    self->stack_slot = 0;
    strlcpy(p->name, base_name(path), sizeof(p->name));
    spin_unlock(&p->lock);
    sched_switch_address_space(p->satp);
    uvm_free_all(old);
    coexec_unmap(old, oexec_pages);
    shared_unmap(old, &oshared);
    vm_destroy(old);

    memset(self->tf->regs, 0, sizeof(self->tf->regs));
    self->tf->sepc = shared_user_entry();
    self->tf->regs[REG_SP] = sp;
    self->tf->regs[REG_A0 + 1] = uargv_new;
    self->tf->regs[REG_A0 + 2] = 0;          /* TaskSched record: slot 0 */
    self->tf->regs[REG_A0 + 3] = entry;      /* the program's own entry */
    return argc;                      /* becomes a0 */
}
