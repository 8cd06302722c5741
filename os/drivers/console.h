/*
 * The console: the serial line as a terminal.  Input is cooked in the
 * interrupt handler (echo, backspace, lines end at Enter) and becomes
 * readable a whole line at a time; readers block until then (threads on a
 * wait queue, the boot-time monitor in wfi), never polling the device.
 */
#ifndef DRIVERS_CONSOLE_H
#define DRIVERS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The UART interrupt asks before it takes each received byte: false when
 * the type-ahead buffer is full (the UART is then paused, and resumed
 * once a reader makes room; the byte waits in the UART). */
bool console_accepting(void);
/* Called from the UART interrupt for each received byte it took.
 * Ctrl-C ends the foreground job (drivers/foreground.h), or at a prompt
 * gives the reader an empty line; Ctrl-T prints the process table. */
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
