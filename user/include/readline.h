/* Reading a line of input, for the shell and other interactive programs. */
#ifndef USER_READLINE_H
#define USER_READLINE_H

#include <stddef.h>

#define READ_LINE_EOF       (-1)    /* end of input (or an error: see errno) */
#define READ_LINE_TOO_LONG  (-2)    /* the line did not fit; it was discarded */

/*
 * Reads one line from fd into buf (size bytes, NUL-terminated, without the
 * newline) and returns its length.  It reads one byte at a time so it never
 * consumes input past the newline: whatever follows is left for the next
 * reader, which may be a child process sharing the descriptor.  A last line
 * without a newline is returned as a line; EOF with nothing read gives
 * READ_LINE_EOF.  A line of size bytes or more is read to its end, thrown
 * away, and reported as READ_LINE_TOO_LONG.
 */
long read_line(int fd, char *buf, size_t size);

#endif
