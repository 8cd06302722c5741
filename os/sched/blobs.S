/* The policy blobs built from sched_impls/, embedded in the kernel image so
 * that sched=NAME can pick one.  (An external blob comes from QEMU's loader
 * instead: sched_blob=ADDR.)  Each is 8-byte aligned so its header can be
 * read in place.  The paths are under the build tree, which the Makefile
 * puts on the assembler's search path (build/ or build-debug/). */
    .section .rodata
    .balign 8
    .globl embedded_blobs
embedded_blobs:
    .quad heap_start, heap_end
    .quad bitmap_start, bitmap_end
    .quad multiqueue_start, multiqueue_end
    .quad fifo_start, fifo_end
    .quad 0, 0

    .balign 8
heap_start:       .incbin "sched/heap.bin"
heap_end:
    .balign 8
bitmap_start:     .incbin "sched/bitmap.bin"
bitmap_end:
    .balign 8
multiqueue_start: .incbin "sched/multiqueue.bin"
multiqueue_end:
    .balign 8
fifo_start:       .incbin "sched/fifo.bin"
fifo_end:

    /* The user-side runtime (user/runtime/), mapped into every process. */
    .balign 8
    .globl runtime_blob_start, runtime_blob_end
runtime_blob_start: .incbin "sched/runtime.bin"
runtime_blob_end:
