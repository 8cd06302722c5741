#include "kernel/printf.h"
#include "kernel/spinlock.h"
#include "kernel/cpu.h"
#include "drivers/uart.h"
#include "drivers/console.h"
#include "arch/riscv.h"

static struct spinlock print_lock = SPINLOCK_INIT("print");
static volatile int seized_by = -1;

static void console_sink(void *ctx, char c)
{
    (void)ctx;
    if (c == '\n')
        uart_putc_sync('\r');          /* raw terminals need CR LF */
    uart_putc_sync(c);
}

int vkprintf(const char *fmt, va_list ap)
{
    /* Once a panicking hart has seized the console, only it prints. */
    int seizer = seized_by;
    if (seizer >= 0) {
        if (seizer != (int)this_hartid())
            for (;;)
                wfi();
        return vformat(console_sink, 0, fmt, ap);
    }
    spin_lock(&print_lock);
    int n = vformat(console_sink, 0, fmt, ap);
    spin_unlock(&print_lock);
    return n;
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vkprintf(fmt, ap);
    va_end(ap);
    return n;
}

void printf_seize(void)
{
    int me = (int)this_hartid();
    int expected = -1;
    if (!__atomic_compare_exchange_n(&seized_by, &expected, me, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) &&
        expected != me) {
        /* Another hart is already panicking: let it finish. */
        intr_off();
        for (;;)
            wfi();
    }
    /* Wait a little for a line in progress on another hart to finish. */
    for (int i = 0; i < 1000000 && print_lock.locked &&
                    print_lock.owner != me; i++)
        cpu_relax();
}

void console_lock(void)
{
    spin_lock(&print_lock);
}

void console_unlock(void)
{
    spin_unlock(&print_lock);
}

void console_write_locked(const char *buf, size_t n)
{
    if (seized_by >= 0 && seized_by != (int)this_hartid())
        return;                     /* a panic owns the console */
    for (size_t i = 0; i < n; i++)
        console_sink(0, buf[i]);
}

void console_write(const char *buf, size_t n)
{
    console_lock();
    console_write_locked(buf, n);
    console_unlock();
}
