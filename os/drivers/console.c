#include "drivers/console.h"
#include "kernel/spinlock.h"
#include "kernel/printf.h"
#include "arch/riscv.h"

#define RX_BUF_SIZE 256

static struct spinlock rx_lock = SPINLOCK_INIT("console-rx");
static char rx_buf[RX_BUF_SIZE];
static unsigned rx_head, rx_tail;       /* head: next read; tail: next write */
static unsigned rx_dropped;

void console_input(char c)
{
    spin_lock(&rx_lock);
    if (rx_tail - rx_head < RX_BUF_SIZE)
        rx_buf[rx_tail++ % RX_BUF_SIZE] = c;
    else
        rx_dropped++;
    spin_unlock(&rx_lock);
}

char console_getc(void)
{
    for (;;) {
        /* Check with interrupts off, then wfi: an interrupt that arrives
         * between the check and the wfi still wakes it (wfi ignores
         * sstatus.SIE), so no byte is missed. */
        intr_off();
        spin_lock(&rx_lock);
        if (rx_head != rx_tail) {
            char c = rx_buf[rx_head++ % RX_BUF_SIZE];
            spin_unlock(&rx_lock);
            intr_on();
            return c;
        }
        spin_unlock(&rx_lock);
        wfi();
        intr_on();
    }
}

int console_readline(char *buf, size_t size)
{
    size_t len = 0;
    int too_long = 0;
    for (;;) {
        char c = console_getc();
        if (c == '\r' || c == '\n') {
            kprintf("\n");
            if (too_long) {
                kprintf("console: line longer than %zu bytes ignored\n", size - 1);
                return -1;
            }
            buf[len] = '\0';
            return (int)len;
        }
        if (c == 0x7f || c == '\b') {
            if (len > 0) {
                len--;
                kprintf("\b \b");
            }
            continue;
        }
        if (len + 1 < size) {
            buf[len++] = c;
            kprintf("%c", c);
        } else {
            too_long = 1;
        }
    }
}
