/*
 * kmain: the boot hart's C entry (from arch/entry.S), on the boot page table.
 * Brings the kernel up in dependency order, starts the other harts, then
 * runs the self-tests (ktest=...) or the kernel monitor.
 */
#include "kernel/bootinfo.h"
#include "sched/kcoro.h"
#include "sched/coio_timer.h"
#include "kernel/bootargs.h"
#include "kernel/timeline.h"
#include "kernel/cpu.h"
#include "kernel/monitor.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/printf.h"
#include "kernel/smp.h"
#include "fs/initrd.h"
#include "proc/proc.h"
#include "sched/sched.h"
#include "sched/shared.h"
#include "syscall/syscall.h"
#include "ktest/ktest.h"
#include "mm/frame.h"
#include "mm/vm.h"
#include "trap/trap.h"
#include "trap/timer.h"
#include "drivers/plic.h"
#include "drivers/uart.h"
#include "arch/riscv.h"
#include "memlayout.h"
#include "kernel/ordered_store.h"

extern char _kernel_start[], _kernel_end[];

static void add_reserved(struct mem_range *res, int *n, uint64_t start, uint64_t end)
{
    if (end <= start)
        return;
    if (*n >= MAX_MEM_RANGES)
        panic("boot: too many reserved memory ranges");
    res[(*n)++] = (struct mem_range){ start, end };
}

static void memory_init(void)
{
    struct mem_range res[MAX_MEM_RANGES];
    int nres = 0;
    for (int i = 0; i < bootinfo.nreserved; i++)
        add_reserved(res, &nres, bootinfo.reserved[i].start, bootinfo.reserved[i].end);
    /* Everything below the kernel is the firmware's, and the kernel image,
     * the device tree and the initrd must survive. */
    add_reserved(res, &nres, RAM_PA, VA2PA(_kernel_end));
    add_reserved(res, &nres, bootinfo.dtb_pa, bootinfo.dtb_pa + bootinfo.dtb_size);
    add_reserved(res, &nres, bootinfo.initrd_start, bootinfo.initrd_end);
    /* A policy blob loaded by QEMU must survive until the scheduler reads it. */
    uint64_t blob_pa;
    if (bootarg_u64("sched_blob", &blob_pa) && blob_pa % PAGE_SIZE == 0)
        add_reserved(res, &nres, blob_pa, blob_pa + SHARED_CODE_PAGES * PAGE_SIZE);
    frame_init(bootinfo.ram, bootinfo.nram, res, nres);
}

static void print_boot_summary(void)
{
    for (int i = 0; i < bootinfo.nram; i++) {
        uint64_t size = bootinfo.ram[i].end - bootinfo.ram[i].start;
        kprintf("memory: %lu MiB RAM at %#lx\n", size >> 20, bootinfo.ram[i].start);
    }
    kprintf("memory: %zu KiB free in %zu frames, kernel image %lu KiB\n",
            frame_free_count() * (PAGE_SIZE / 1024), frame_free_count(),
            (uint64_t)(_kernel_end - _kernel_start) / 1024);
    kprintf("timer: %lu Hz timebase, %s, %d Hz tick\n", bootinfo.timebase_hz,
            bootinfo.have_sstc ? "Sstc stimecmp" : "SBI set_timer", TICK_HZ);
    kprintf("bootargs: \"%s\"\n", bootargs_raw());
    if (bootinfo.initrd_end > bootinfo.initrd_start)
        kprintf("initrd: %lu bytes at %#lx\n",
                bootinfo.initrd_end - bootinfo.initrd_start, bootinfo.initrd_start);
}

void kmain(uint64_t hartid, uint64_t dtb_pa)
{
    cpu_init_this(hartid);
    boot_hartid = hartid;
    trap_init_this_hart();          /* a fault from here on panics cleanly */
    uart_init();
    kprintf("\nschedos: booting on hart %lu\n", hartid);

    bootinfo_parse(dtb_pa);
    bootargs_init(bootinfo.bootargs);
    if (bootarg_is("timer", "sbi"))
        bootinfo.have_sstc = false;     /* exercise the SBI fallback */
    timer_configure(bootinfo.timebase_hz, bootinfo.have_sstc);
    struct bootarg poke_arg;
    uint64_t poke_us = 0;
    if (bootarg_find("timer_poke_us", &poke_arg)) {
        if (bootarg_u64("timer_poke_us", &poke_us) && poke_us >= TIMER_POKE_MIN_US &&
            poke_us < 1000000 / TICK_HZ)
            timer_configure_pokes(poke_us);
        else
            kprintf("schedos: timer_poke_us ignored: microseconds between pokes, %d to %d\n",
                    TIMER_POKE_MIN_US, 1000000 / TICK_HZ - 1);
    }
    memory_init();
    if (bootarg_is("poison", "1"))
        frame_poison_enable();
    vm_init_kernel();
    /* The tick runs (interrupts still off) before the policy's init: a
     * guarded blob call counts ticks to tell a loop (sched/blob_guard.h). */
    timer_init_this_hart();
    shared_init();                  /* the user runtime's code pages, and the
                                       page that tells processes when a
                                       policy was replaced (even at boot) */
    sched_init();                   /* the policy, before any thread exists */
    shared_bind_policy();           /* tells every runtime how to call it */
    timeline_init();                /* make trace's ring (trace=ENTRIES) */
    futex_init();
    kcoro_init();                   /* the kernel's coroutines (the runtime's
                                       executor, at the kernel's alias) */
    coio_timer_init();
    sched_init_this_hart();

    plic_init();
    plic_enable(UART_IRQ, hartid);
    plic_init_this_hart();
    print_boot_summary();
    kprintf("hart %lu online (boot hart)\n", hartid);
    store_release(&this_cpu()->online, true);

    smp_start_secondaries();
    int online = cpu_online_count();
    kprintf("boot: %d hart%s online\n", online, online == 1 ? "" : "s");
    intr_on();
    bootargs_warn_unknown();

    struct bootarg ktest;
    if (bootarg_find("ktest", &ktest))
        power_off(ktest_main(ktest.value, ktest.value_len));

    /* User space, if there is an initrd with an init in it; otherwise the
     * kernel monitor. */
    const void *init_file;
    size_t init_size;
    if (bootinfo.initrd_end > bootinfo.initrd_start &&
        initrd_init(PA2VA(bootinfo.initrd_start),
                    bootinfo.initrd_end - bootinfo.initrd_start) >= 0 &&
        initrd_find("init", &init_file, &init_size)) {
        kprintf("starting /init\n");
        proc_start_init();
        sched_idle_loop();
    }
    kprintf("no initrd with an init: starting the kernel monitor\n");
    monitor_run();
}
