/* The console: bytes typed on the serial line, buffered until read. */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stddef.h>

/* Called from the UART interrupt for each received byte. */
void console_input(char c);
/* Blocks (wfi, no polling of the device) until a byte is available. */
char console_getc(void);
/* Reads one line with echo and backspace; returns its length without the
 * newline.  A line longer than the buffer is refused whole (returns -1 and
 * says so) rather than silently cut. */
int console_readline(char *buf, size_t size);

#endif
