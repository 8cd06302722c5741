/*
 * The console: the serial line as a terminal.  Input is cooked in the
 * interrupt handler (echo, backspace, lines end at Enter) and becomes
 * readable a whole line at a time; readers block until then (threads on a
 * wait queue, the boot-time monitor in wfi), never polling the device.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

/* Called from the UART interrupt for each received byte. */
void console_input(char c);
/* One byte of committed input; blocks until there is one. */
char console_getc(void);
/* Reads one line (monitor): returns its length without the newline.  A line
 * longer than the buffer is refused whole (returns -1 and says so) rather
 * than silently cut. */
int console_readline(char *buf, size_t size);
/* Up to n bytes of committed input, stopping after a newline; blocks until
 * at least one byte.  Returns the count, or -EINTR if the reader is killed. */
long console_read(char *buf, size_t n);
/* Writes bytes as one unit (no other console output inside them). */
void console_write(const char *buf, size_t n);
/* For longer writes made of several pieces: hold the console meanwhile. */
void console_lock(void);
void console_unlock(void);
void console_write_locked(const char *buf, size_t n);

#endif
