/* NS16550A UART: polled output, interrupt-driven input. */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <stdint.h>

void uart_init(void);
/* Writes one byte, waiting for room in the transmitter. */
void uart_putc_sync(char c);
/* Interrupt handler: moves received bytes to the console while it has
 * room for them. */
void uart_intr(void);
uint64_t uart_rx_interrupts(void);
/* Receive interrupt off / on: with it off, received bytes wait in the
 * UART's FIFO (and QEMU takes no more from the host). */
void uart_rx_pause(void);
void uart_rx_resume(void);

#endif
