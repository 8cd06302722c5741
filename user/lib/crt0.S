/*
 * Program entry.  The kernel starts every process in the shared runtime's
 * user_entry (user/runtime/user_entry.c), which calls e_entry like a
 * function with a0 = argc, a1 = argv (NULL-terminated, strings on the
 * stack), a2 = the main thread's TaskSched record, sp 16-byte aligned, and
 * takes the return value as main's status: it then runs the program's
 * coroutines, if any, and exits.  This stub only clears fp (so backtraces
 * stop at the program's bottom frame) and hands over to C, keeping ra so
 * that __libc_start returns to user_entry; everything else (tp, main) is
 * in start.c.
 *
 * It lives in .text.start, which user.ld places first, so the entry point is
 * the first byte of the text segment.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    li      fp, 0
    tail    __libc_start            /* (argc, argv, task): returns main's status */
    .size _start, . - _start
