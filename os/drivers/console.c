#include "drivers/console.h"
#include "drivers/uart.h"
#include "drivers/foreground.h"
#include "kernel/panic.h"
#include "kernel/trace.h"
#include "trap/timer.h"
#include "kernel/spinlock.h"
#include "kernel/printf.h"
#include "kernel/cpu.h"
#include "proc/thread.h"
#include "proc/waitq.h"
#include "proc/proc.h"
#include "arch/riscv.h"
#include "lib/string.h"
#include "uapi/errno.h"

/* Type-ahead the kernel keeps, from boot on.  When it is full the kernel
 * stops taking bytes from the UART (uart_rx_pause): they wait in the
 * UART's FIFO and then in QEMU and the host (the pipe or the terminal),
 * and nothing is dropped; taking resumes when a reader makes room.  Ctrl-C
 * and Ctrl-T queue behind the waiting bytes meanwhile. */
#define RX_BUF_SIZE 1024
_Static_assert((RX_BUF_SIZE & (RX_BUF_SIZE - 1)) == 0,
               "the indexes wrap at 2^32: the size must divide it");
#define BACKSPACE   0x08
#define DELETE      0x7f
#define CTRL_C      0x03
#define CTRL_D      0x04
#define CTRL_T      0x14
/* A second Ctrl-T this soon after the first, with nothing typed between,
 * lists the scheduling events. */
#define EVENTS_WINDOW_NS (2ull * 1000 * 1000 * 1000)

/* rx_head <= rx_commit <= rx_edit; indexes grow forever, modulo the size.
 * [head, commit) can be read; [commit, edit) is the line being typed. */
static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_BUF_SIZE];
static unsigned rx_head, rx_commit, rx_edit;
static unsigned eof_pending;        /* Ctrl-D on an empty line: reads return 0 */
static bool rx_paused;              /* the UART's receive interrupt is off */
static struct waitq rx_waiters = WAITQ_INIT(rx_waiters);
static uint64_t last_dump_ns;       /* when Ctrl-T last printed the table
                                       (0: the last byte was not that) */

static void echo(const char *s)
{
    console_write(s, strlen(s));
}

bool console_accepting(void)
{
    spin_lock(&rx_lock);
    bool room = rx_edit - rx_head < RX_BUF_SIZE;
    if (!room && !rx_paused) {
        rx_paused = true;
        uart_rx_pause();
    }
    spin_unlock(&rx_lock);
    return room;
}

/* A reader took bytes: let the UART's waiting ones in again once a quarter
 * of the buffer is free (not a byte at a time), or at once if nothing
 * readable is left (the rest of a line may be waiting); rx_lock held. */
static void made_room(void)
{
    bool roomy = RX_BUF_SIZE - (rx_edit - rx_head) >= RX_BUF_SIZE / 4;
    if (rx_paused && (roomy || rx_head == rx_commit)) {
        rx_paused = false;
        uart_rx_resume();           /* the UART interrupts again at once if
                                       bytes are waiting */
    }
}

/* Ctrl-T: the process table and a summary; a second Ctrl-T within the
 * window: the scheduling events themselves, which would otherwise scroll
 * the table off the screen. */
static void dump(void)
{
    uint64_t now = timer_now_ns();
    if (last_dump_ns && now - last_dump_ns < EVENTS_WINDOW_NS) {
        trace_dump();
        last_dump_ns = 0;
        return;
    }
    proc_dump();
    trace_summary();
    kprintf("--- Ctrl-T again (within %lu s, nothing typed between): the events themselves ---\n",
            (uint64_t)(EVENTS_WINDOW_NS / 1000000000ull));
    last_dump_ns = timer_now_ns();
}

void console_input(char c)
{
    if (c == CTRL_T) {
        dump();
        return;
    }
    last_dump_ns = 0;               /* typed between: the next Ctrl-T is a table */
    if (c == '\0')
        return;     /* never typed; scripts/run-qemu.sh sends one ahead of
                       piped input for the firmware to swallow */
    /* Ctrl-C ends the foreground job before rx_lock is taken: proc_lock
     * is never taken inside rx_lock. */
    bool interrupted = c == CTRL_C && foreground_interrupt();
    spin_lock(&rx_lock);
    KASSERT(rx_edit - rx_head < RX_BUF_SIZE);   /* console_accepting said so */
    if (c == CTRL_C) {
        rx_edit = rx_commit;            /* the line being typed is gone */
        echo("^C\n");
        if (!interrupted) {
            /* Nothing to interrupt: the reader (the shell at its prompt)
             * gets an empty line, and so prompts again. */
            rx_buf[rx_edit++ % RX_BUF_SIZE] = '\n';
            rx_commit = rx_edit;
        }
    } else if (c == BACKSPACE || c == DELETE) {
        if (rx_edit != rx_commit) {
            rx_edit--;
            echo("\b \b");
        }
    } else if (c == CTRL_D) {
        if (rx_edit == rx_commit)
            eof_pending++;              /* at the start of a line: end of file */
        rx_commit = rx_edit;            /* else: hand over the line so far */
    } else if (c == '\r' || c == '\n') {
        rx_buf[rx_edit++ % RX_BUF_SIZE] = '\n';
        rx_commit = rx_edit;
        echo("\n");
    } else {
        rx_buf[rx_edit++ % RX_BUF_SIZE] = c;
        char s[2] = { c, 0 };
        echo(s);
        /* Full of an unfinished line: hand it to the reader, or nobody
         * could ever make room. */
        if (rx_edit - rx_head == RX_BUF_SIZE)
            rx_commit = rx_edit;
    }
    bool readable = rx_head != rx_commit || eof_pending;
    spin_unlock(&rx_lock);
    if (readable)
        waitq_wake(&rx_waiters, -1);
}

/* Waits for committed input; rx_lock held on entry and return. */
static int wait_for_input(void)
{
    while (rx_head == rx_commit && !eof_pending) {
        struct thread *t = thread_current();
        if (t && t->proc) {
            int r = waitq_sleep(&rx_waiters, &rx_lock, 0);
            if (r == -EINTR)
                return r;
        } else {
            /* Boot time or the idle thread: sleep in wfi.  Interrupts are
             * off here (lock held), so the wake-up cannot be missed. */
            spin_unlock(&rx_lock);
            intr_off();
            if (rx_head == rx_commit && !eof_pending)
                wfi();
            intr_on();
            spin_lock(&rx_lock);
        }
    }
    return 0;
}

char console_getc(void)
{
    spin_lock(&rx_lock);
    wait_for_input();
    if (rx_head == rx_commit) {          /* Ctrl-D: the monitor sees a newline */
        eof_pending--;
        spin_unlock(&rx_lock);
        return '\n';
    }
    char c = rx_buf[rx_head++ % RX_BUF_SIZE];
    made_room();
    spin_unlock(&rx_lock);
    return c;
}

long console_read(char *buf, size_t n)
{
    if (n == 0)
        return 0;
    spin_lock(&rx_lock);
    int r = wait_for_input();
    if (r) {
        spin_unlock(&rx_lock);
        return r;
    }
    if (rx_head == rx_commit) {          /* only an end of file is pending */
        eof_pending--;
        spin_unlock(&rx_lock);
        return 0;
    }
    size_t got = 0;
    while (got < n && rx_head != rx_commit) {
        char c = rx_buf[rx_head++ % RX_BUF_SIZE];
        buf[got++] = c;
        if (c == '\n')
            break;
    }
    made_room();
    spin_unlock(&rx_lock);
    return (long)got;
}

int console_readline(char *buf, size_t size)
{
    size_t len = 0;
    int too_long = 0;
    for (;;) {
        char c = console_getc();
        if (c == '\n') {
            if (too_long) {
                kprintf("console: line longer than %zu bytes ignored\n", size - 1);
                return -1;
            }
            buf[len] = '\0';
            return (int)len;
        }
        if (len + 1 < size)
            buf[len++] = c;
        else
            too_long = 1;
    }
}
