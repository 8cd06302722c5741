/* NS16550A UART: polled output, interrupt-driven input. */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <stdint.h>

void uart_init(void);
/* Writes one byte, waiting for room in the transmitter. */
void uart_putc_sync(char c);
/* Interrupt handler: moves every received byte to the console. */
void uart_intr(void);
uint64_t uart_rx_interrupts(void);

#endif
