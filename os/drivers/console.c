#include "drivers/console.h"
#include "drivers/uart.h"
#include "kernel/spinlock.h"
#include "kernel/printf.h"
#include "kernel/cpu.h"
#include "proc/thread.h"
#include "proc/waitq.h"
#include "proc/proc.h"
#include "arch/riscv.h"
#include "lib/string.h"
#include "uapi/errno.h"

#define RX_BUF_SIZE 256
#define BACKSPACE   0x08
#define DELETE      0x7f
#define CTRL_D      0x04
#define CTRL_T      0x14

/* rx_head <= rx_commit <= rx_edit; indexes grow forever, modulo the size.
 * [head, commit) can be read; [commit, edit) is the line being typed. */
static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_BUF_SIZE];
static unsigned rx_head, rx_commit, rx_edit;
static unsigned eof_pending;        /* Ctrl-D on an empty line: reads return 0 */
static struct waitq rx_waiters = WAITQ_INIT(rx_waiters);

static void echo(const char *s)
{
    console_write(s, strlen(s));
}

void console_input(char c)
{
    if (c == CTRL_T) {
        proc_dump();
        return;
    }
    spin_lock(&rx_lock);
    if (c == BACKSPACE || c == DELETE) {
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
    } else if (rx_edit - rx_head < RX_BUF_SIZE - 1) {
        rx_buf[rx_edit++ % RX_BUF_SIZE] = c;
        char s[2] = { c, 0 };
        echo(s);
    } else {
        /* Full of an unfinished line: hand what there is to the reader
         * rather than drop input. */
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
