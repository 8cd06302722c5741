#include "drivers/uart.h"
#include "drivers/console.h"
#include "memlayout.h"

#define UART ((volatile uint8_t *)PA2VA(UART_PA))

#define RBR 0   /* receive buffer (read) */
#define THR 0   /* transmit holding (write) */
#define IER 1   /* interrupt enable */
#define FCR 2   /* FIFO control */
#define LCR 3   /* line control */
#define LSR 5   /* line status */

#define IER_RX_AVAILABLE 0x01
#define FCR_ENABLE       0x01   /* keep what arrived before boot */
#define LCR_8N1          0x03
#define LCR_DLAB         0x80
#define LSR_DATA_READY   0x01
#define LSR_THR_EMPTY    0x20

static uint64_t rx_interrupts;

void uart_init(void)
{
    UART[IER] = 0;
    UART[LCR] = LCR_DLAB;      /* divisor latch: 38400 baud (QEMU ignores it) */
    UART[0] = 3;
    UART[1] = 0;
    UART[LCR] = LCR_8N1;
    /* Turning the FIFO on empties it: keep a byte typed before boot. */
    int early = UART[LSR] & LSR_DATA_READY ? UART[RBR] : -1;
    UART[FCR] = FCR_ENABLE;
    if (early >= 0)
        console_input((char)early);
    UART[IER] = IER_RX_AVAILABLE;
}

void uart_putc_sync(char c)
{
    while (!(UART[LSR] & LSR_THR_EMPTY))
        ;
    UART[THR] = (uint8_t)c;
}

void uart_intr(void)
{
    __atomic_fetch_add(&rx_interrupts, 1, __ATOMIC_RELAXED);
    while ((UART[LSR] & LSR_DATA_READY) && console_accepting())
        console_input((char)UART[RBR]);
}

void uart_rx_pause(void)
{
    UART[IER] = 0;
}

void uart_rx_resume(void)
{
    UART[IER] = IER_RX_AVAILABLE;
}

uint64_t uart_rx_interrupts(void)
{
    return __atomic_load_n(&rx_interrupts, __ATOMIC_RELAXED);
}
