/* The kernel monitor: a tiny command line on the console, until there is a
 * user-space shell. */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

void monitor_run(void) __attribute__((noreturn));

#endif
