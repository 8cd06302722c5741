#include "kernel/monitor.h"
#include "kernel/bootargs.h"
#include "kernel/cpu.h"
#include "kernel/panic.h"
#include "kernel/power.h"
#include "kernel/printf.h"
#include "drivers/console.h"
#include "drivers/uart.h"
#include "mm/frame.h"
#include "mm/kmalloc.h"
#include "lib/string.h"
#include "memlayout.h"

#define PROMPT "kmon> "
#define LINE_MAX 128

struct command {
    const char *name;
    const char *help;
    void (*run)(const char *args);
};

static void cmd_help(const char *args);

static void cmd_echo(const char *args)
{
    kprintf("%s\n", args);
}

static void cmd_mem(const char *args)
{
    (void)args;
    struct kmalloc_stats st;
    kmalloc_stats(&st);
    kprintf("frames: %zu free of %zu (%zu KiB free)\n", frame_free_count(),
            frame_total_count(), frame_free_count() * (PAGE_SIZE / 1024));
    kprintf("heap: %zu bytes in use, %zu slab frames, %zu large frames\n",
            st.bytes_in_use, st.slab_frames, st.large_frames);
}

static void cmd_harts(const char *args)
{
    (void)args;
    for (uint64_t i = 0; i < hart_count; i++) {
        struct cpu *c = &cpus[hart_ids[i]];
        kprintf("hart %lu: %s, %lu timer ticks, %lu IPIs%s\n", c->hartid,
                c->online ? "online" : "offline", c->timer_ticks,
                c->ipis_received, c->hartid == boot_hartid ? " (boot)" : "");
    }
}

static void cmd_bootargs(const char *args)
{
    (void)args;
    size_t cursor = 0;
    struct bootarg a;
    int n = 0;
    while (bootarg_next(&cursor, &a)) {
        if (a.has_value)
            kprintf("bootarg %d: %.*s = \"%.*s\"\n", n, (int)a.key_len, a.key,
                    (int)a.value_len, a.value);
        else
            kprintf("bootarg %d: %.*s (no value)\n", n, (int)a.key_len, a.key);
        n++;
    }
    kprintf("%d boot arguments\n", n);
}

static void cmd_irqs(const char *args)
{
    (void)args;
    kprintf("uart rx interrupts: %lu\n", uart_rx_interrupts());
}

static void cmd_panic(const char *args)
{
    panic("requested from the monitor: %s", *args ? args : "(no reason)");
}

static void cmd_poweroff(const char *args)
{
    (void)args;
    kprintf("powering off\n");
    power_off(POWER_STATUS_OK);
}

static const struct command commands[] = {
    { "help",     "list the commands",                    cmd_help },
    { "echo",     "print the rest of the line",           cmd_echo },
    { "mem",      "free frames and heap usage",           cmd_mem },
    { "harts",    "each hart's state and counters",       cmd_harts },
    { "bootargs", "the parsed kernel command line",       cmd_bootargs },
    { "irqs",     "count of console input interrupts",    cmd_irqs },
    { "panic",    "panic on purpose (tests the panic path)", cmd_panic },
    { "poweroff", "stop the machine (QEMU exits with 0)", cmd_poweroff },
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void cmd_help(const char *args)
{
    (void)args;
    for (size_t i = 0; i < NCOMMANDS; i++)
        kprintf("  %-9s %s\n", commands[i].name, commands[i].help);
}

static void execute(char *line)
{
    while (*line == ' ')
        line++;
    if (!*line)
        return;
    char *args = line;
    while (*args && *args != ' ')
        args++;
    if (*args)
        *args++ = '\0';
    while (*args == ' ')
        args++;
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(line, commands[i].name) == 0) {
            commands[i].run(args);
            return;
        }
    kprintf("unknown command '%s' (try 'help')\n", line);
}

void monitor_run(void)
{
    char line[LINE_MAX];
    kprintf("kernel monitor ready; 'help' lists the commands\n");
    for (;;) {
        kprintf(PROMPT);
        if (console_readline(line, sizeof(line)) >= 0)
            execute(line);
    }
}
