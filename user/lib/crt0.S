/*
 * Program entry.  The kernel enters e_entry in U-mode with a0 = argc,
 * a1 = argv (NULL-terminated, strings on the stack) and sp 16-byte aligned.
 * This stub only makes the stack look like the bottom of a call chain
 * (fp = ra = 0, so backtraces stop here) and hands over to C; everything
 * else (tp, main, exit) is in start.c.
 *
 * It lives in .text.start, which user.ld places first, so the entry point is
 * the first byte of the text segment.
 */
    .section .text.start, "ax", @progbits
    .globl _start
    .type _start, @function
_start:
    li      fp, 0
    li      ra, 0
    call    __libc_start            /* (argc, argv): never returns */
1:  j       1b
    .size _start, . - _start
